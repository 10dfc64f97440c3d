//! A SCIM 2.0 client (RFC 7644) for the other systems a leaver has access to — Salesforce,
//! Slack, GitHub Enterprise, Zoom, Atlassian and anything else that speaks SCIM as a
//! service provider: find the user with a filter, deactivate (`PATCH active=false`) or
//! delete them, and read them back.
//!
//! It reads like `offboard-graph`: a [`ScimClient`] over an endpoint, a [`Credential`] and
//! [`ScimClientOptions`], answers that carry the HTTP status for evidence, and a
//! [`ScimError`] that says whether to wait (`429` + `Retry-After`), retry (`5xx`, no
//! connection) or ask a person (`400`, `401`, `403`, `409`, quoting the system's answer). A
//! user already gone (`404`) is an answer, not an error. No variant, log line or `Debug`
//! output holds a token or secret.
//!
//! It is its own crate rather than a module of `offboard-graph` because nothing is shared
//! with Graph: another protocol, another authentication (static bearer tokens and OAuth 2.0
//! client credentials instead of managed identity), other error bodies.

mod auth;
mod client;
mod error;
mod model;

pub use auth::Credential;
pub use client::{Answer, ScimClient, ScimClientOptions};
pub use error::ScimError;
pub use model::{ScimUser, UserFilter};
