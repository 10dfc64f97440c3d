//! offboard as a SCIM 2.0 service provider (RFC 7643 schemas, RFC 7644 protocol).
//!
//! Identity providers (Entra ID, Okta, Rippling) provision people into offboard's
//! `/api/scim/v2/Users` as they would into any application. When one of them deactivates a
//! user — `active` set to false by PATCH or PUT, or the user deleted — offboard opens a
//! termination case for that person. Setting `active` back to true before the termination
//! takes effect cancels the case.
//!
//! This module is the protocol, without I/O, one concept per file:
//!
//! - [`schema`]: the attributes offboard publishes (core User, the enterprise extension's
//!   `employeeNumber`, and offboard's own extension with `terminationDateTime` and
//!   `terminationKind`), and how each one behaves.
//! - [`resource`]: reading a User a client sends (POST, PUT) into the stored form, and
//!   rendering the stored form back with `id`, `schemas` and `meta`.
//! - [`path`] and [`filter`]: attribute paths (`name.givenName`, extension URNs,
//!   `emails[type eq "work"].value`) and the filter language.
//! - [`patch`]: PATCH operations, applied all or nothing.
//! - [`projection`]: the `attributes` / `excludedAttributes` parameters.
//! - [`list`]: list and search parameters, paging, and the ListResponse message.
//! - [`discovery`]: `ServiceProviderConfig`, `ResourceTypes` and `Schemas`.
//! - [`error`]: the SCIM error message and its `scimType` codes.
//! - [`termination`]: what a deactivation means to offboard — who is leaving, when, and why.
//! - [`query`]: decoding query strings and path segments.
//! - [`attr`]: attribute names as written, shared by paths and filters.
//! - [`user`]: the stored form of a user and the attributes it is looked up by.
//! - [`urn`]: the schema and message URNs.
//!
//! The use case that drives these (store, case intake, HTTP answers) lives in
//! `offboard-service`'s `scim` module.

pub mod attr;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod list;
pub mod patch;
pub mod path;
pub mod projection;
pub mod query;
pub mod resource;
pub mod schema;
pub mod termination;
pub mod urn;
pub mod user;

#[cfg(test)]
mod limits_tests;

pub use error::{ScimError, ScimType};
pub use list::{ListFilter, ListQuery};
pub use patch::PatchRequest;
pub use projection::Projection;
pub use schema::SchemaId;
pub use termination::ActiveChange;
pub use urn::*;
pub use user::{ScimKey, ScimUser};
