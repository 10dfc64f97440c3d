//! OneDrive for Business drives and their sharing permissions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A sharing permission on a drive's root.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrivePermission {
    /// Permission id.
    pub id: String,
    /// `read`, `write` or `owner`.
    pub roles: Vec<String>,
    /// The user granted.
    pub user_id: String,
    /// Whether it came from an invitation (vs. ownership).
    #[serde(default)]
    pub invited: bool,
    /// When the grant expires, if the inviter set it.
    #[serde(default)]
    pub expiration_date_time: Option<DateTime<Utc>>,
}

/// A OneDrive for Business drive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Drive {
    /// Drive id.
    pub id: String,
    /// Owner.
    pub owner_id: String,
    /// `business`.
    #[serde(default = "business")]
    pub drive_type: String,
    /// Web URL.
    pub web_url: String,
    /// Id of the root driveItem.
    pub root_id: String,
    /// Bytes used.
    #[serde(default)]
    pub used_bytes: u64,
    /// Permissions on the root item.
    #[serde(default)]
    pub root_permissions: Vec<DrivePermission>,
}

fn business() -> String {
    "business".to_owned()
}
