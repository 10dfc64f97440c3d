//! PIM eligibility and object ownership (issue 16): what a leaver may still activate and what
//! they own.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A directory role a principal is eligible for (`unifiedRoleEligibilitySchedule`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleEligibility {
    /// Schedule id.
    pub id: String,
    /// The eligible principal.
    pub principal_id: String,
    /// The role definition (template id of a built-in role).
    pub role_definition_id: String,
    /// `/` for the tenant.
    pub directory_scope_id: String,
    /// When it was created.
    pub created_date_time: DateTime<Utc>,
}

/// Membership or ownership of a group a principal is eligible for under PIM for Groups
/// (`privilegedAccessGroupEligibilitySchedule`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupEligibility {
    /// Schedule id.
    pub id: String,
    /// The eligible principal.
    pub principal_id: String,
    /// The group.
    pub group_id: String,
    /// `member` or `owner`.
    pub access_id: String,
    /// When it was created.
    pub created_date_time: DateTime<Utc>,
}

/// An app registration (`application`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Object id.
    pub id: String,
    /// Application (client) id.
    pub app_id: String,
    /// Display name.
    pub display_name: String,
}

/// One owner of a group, app registration or service principal (Graph's `owners`
/// navigation, kept as pairs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ownership {
    /// The owned object's id.
    pub object_id: String,
    /// The owner's object id (a user or service principal).
    pub owner_id: String,
}
