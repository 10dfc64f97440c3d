//! A SCIM user as offboard stores it, and the attributes it is looked up by.

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

/// The SCIM attributes offboard can filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimKey {
    /// `userName` (case-insensitive, unique).
    UserName,
    /// `externalId` (case-exact).
    ExternalId,
}
