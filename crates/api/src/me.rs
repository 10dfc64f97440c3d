//! `GET /api/me`: who offboard takes the caller to be, and what they may do.

use serde::{Deserialize, Serialize};

/// The signed-in caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Me {
    /// Entra object id: of the person, or of the application's service principal.
    pub object_id: String,
    /// The directory.
    pub tenant_id: String,
    /// `person` or `application`.
    pub kind: String,
    /// The person's sign-in name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The calling application's client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// offboard's app roles held (`Offboard.Auditor`, `Offboard.Operator`).
    pub roles: Vec<String>,
    /// How the caller proved it: `bearer` (an access token) or `session` (a signed-in browser).
    pub signed_in_with: String,
}
