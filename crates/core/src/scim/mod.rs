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
//!
//! The use case that drives these (store, case intake, HTTP answers) lives in
//! `offboard-service`'s `scim` module.

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

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use error::{ScimError, ScimType};
pub use list::{ListFilter, ListQuery};
pub use patch::PatchRequest;
pub use projection::Projection;
pub use schema::SchemaId;
pub use termination::ActiveChange;

/// The media type of every SCIM message (RFC 7644 §8.1).
pub const MEDIA_TYPE: &str = "application/scim+json";

/// URN of the core User schema (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// URN of the enterprise User extension (RFC 7643 §4.3); offboard reads its `employeeNumber`.
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// URN of offboard's User extension: when and why the person leaves.
pub const OFFBOARD_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:offboard:2.0:User";
/// URN of the ListResponse message (RFC 7644 §3.4.2).
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// URN of the SearchRequest message (RFC 7644 §3.4.3).
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// URN of the PatchOp message (RFC 7644 §3.5.2).
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// URN of the Error message (RFC 7644 §3.12).
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// URN of the ServiceProviderConfig resource (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// URN of the ResourceType resource (RFC 7643 §6).
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// URN of the Schema resource (RFC 7643 §7).
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// A SCIM user as stored: the key attributes offboard acts on, extracted, plus the whole
/// resource as the client last wrote it (so GET returns exactly what was stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    /// Server-assigned id (a UUID).
    pub id: String,
    /// `userName`, unique case-insensitively.
    pub user_name: String,
    /// The client's id for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Whether offboard considers the person active. It follows every explicit `active`
    /// value a client writes; a resource without `active` keeps the state it had (a new
    /// user without `active` is active). False means the identity provider deprovisioned
    /// the person.
    pub active: bool,
    /// How many times this user has gone from active to inactive (or been deleted): each
    /// deactivation is a distinct termination, so it is part of the case's event id.
    pub deactivations: u32,
    /// The full resource (attributes and extensions, without `id`, `schemas` and `meta`),
    /// in the normalised form [`resource::normalize_user`] produces.
    pub resource: serde_json::Value,
    /// `meta.created`.
    pub created: DateTime<Utc>,
    /// `meta.lastModified`.
    pub last_modified: DateTime<Utc>,
    /// Incremented on every write; `meta.version` is `W/"<version>"`.
    pub version: u64,
}
