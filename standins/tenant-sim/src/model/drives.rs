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

/// A OneDrive for Business drive, or a SharePoint site's document library (`site_id` set).
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
    /// Files and folders below the root, with the sharing links set on them.
    #[serde(default)]
    pub items: Vec<DriveItem>,
    /// The SharePoint site whose library this is (`None`: a user's OneDrive).
    #[serde(default)]
    pub site_id: Option<String>,
}

/// A file or folder of a drive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriveItem {
    /// Item id.
    pub id: String,
    /// File or folder name.
    pub name: String,
    /// The parent item's id (the drive's `root_id` for the top level).
    pub parent_id: String,
    /// A folder (else a file).
    #[serde(default)]
    pub folder: bool,
    /// Sharing links set directly on this item; its children inherit them.
    #[serde(default)]
    pub links: Vec<SharingLink>,
    /// Permissions granted to a person directly on this item ("Grant access", no link); its
    /// children inherit them.
    #[serde(default)]
    pub grants: Vec<DrivePermission>,
}

/// A sharing link: a permission with Graph's `link` facet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingLink {
    /// Permission id.
    pub id: String,
    /// `anonymous`, `organization` or `users`.
    pub scope: String,
    /// `view` or `edit`.
    pub link_type: String,
    /// For `users` links, the people the link names.
    #[serde(default)]
    pub granted_to: Vec<String>,
}

fn business() -> String {
    "business".to_owned()
}
