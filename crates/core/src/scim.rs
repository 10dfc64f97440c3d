//! offboard as a SCIM 2.0 service provider (RFC 7643/7644): the stored user resource.
//! The protocol logic (PATCH, filters, schemas) lives in [`crate::intake::scim`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// `active`; false means the identity provider deprovisioned the person.
    pub active: bool,
    /// How many times this user has gone from active to inactive (or been deleted): each
    /// deactivation is a distinct termination, so it is part of the case's event id.
    pub deactivations: u32,
    /// The full resource (attributes and extensions, without `id` and `meta`).
    pub resource: serde_json::Value,
    /// `meta.created`.
    pub created: DateTime<Utc>,
    /// `meta.lastModified`.
    pub last_modified: DateTime<Utc>,
    /// Incremented on every write; `meta.version` is `W/"<version>"`.
    pub version: u64,
}
