//! Sharing on a drive: the bounded walk that finds the items someone shared, the sharing
//! links set on them, and the removal of a link.
//!
//! Graph v1.0 has no app-only call that lists "what this user shared": an item that was
//! shared carries the `shared` facet, so the walk reads the drive folder by folder
//! (`GET /drives/{id}/items/{id}/children`, every page through `@odata.nextLink`) and reads
//! the permissions of each shared item (`GET /drives/{id}/items/{id}/permissions`). A link
//! is a permission with a `link` facet; one with `inheritedFrom` set belongs to an ancestor
//! and is removed there (Graph deletes only permissions that are not inherited).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::VecDeque;

use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::GraphError;
use crate::model::Permission;

/// A sharing link (Graph's `sharingLink`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SharingLink {
    /// `anonymous`, `organization` or `users`.
    pub scope: Option<String>,
    /// `view`, `edit`, `embed`…
    #[serde(rename = "type")]
    pub link_type: Option<String>,
    /// The link's URL (a secret: never logged or recorded).
    #[serde(skip_serializing)]
    pub web_url: Option<String>,
}

/// Where an item sits (Graph's `itemReference`), as far as offboard reads it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ItemReference {
    /// The item's id.
    pub id: Option<String>,
    /// The path of the item (`/drive/root:/Budget`).
    pub path: Option<String>,
}

/// One item of a drive, as the walk reads it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DriveItem {
    /// Item id.
    pub id: String,
    /// File or folder name.
    pub name: Option<String>,
    /// Present on folders.
    pub folder: Option<Value>,
    /// Present when the item was shared.
    pub shared: Option<Value>,
}

/// The item the root of a drive is addressed by.
pub const ROOT: &str = "root";

/// A shared item and the links set directly on it.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedItem {
    /// Item id ([`ROOT`] for the drive's root).
    pub item_id: String,
    /// Its path in the drive (`/` is the root).
    pub path: String,
    /// Its link permissions that are not inherited.
    pub links: Vec<Permission>,
}

/// What a walk of a drive found.
#[derive(Clone, Debug, PartialEq)]
pub struct SharingWalk {
    /// Shared items with links of their own.
    pub items: Vec<SharedItem>,
    /// How many items the walk read (the root included).
    pub items_checked: u32,
    /// Whether every folder was read (false: the walk stopped at its bound).
    pub complete: bool,
    /// Graph's request id of the walk's last read.
    pub request_id: Option<String>,
}

/// The path of `item` in a drive (`root` → `/drives/{d}/root`).
fn item_path(drive_id: &str, item: &str) -> String {
    if item == ROOT {
        format!("/drives/{}/root", seg(drive_id))
    } else {
        format!("/drives/{}/items/{}", seg(drive_id), seg(item))
    }
}

impl GraphClient {
    /// The permissions of an item (`GET /drives/{d}/items/{i}/permissions`), every page.
    pub async fn item_permissions(
        &self,
        drive_id: &str,
        item: &str,
    ) -> Result<Reply<Vec<Permission>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/permissions", item_path(drive_id, item)),
            "listDriveItemPermissions",
        );
        self.list(call).await
    }

    /// Removes a permission that is not inherited, such as a sharing link
    /// (`DELETE /drives/{d}/items/{i}/permissions/{p}` → 204).
    pub async fn delete_item_permission(
        &self,
        drive_id: &str,
        item: &str,
        permission_id: &str,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::DELETE,
            format!(
                "{}/permissions/{}",
                item_path(drive_id, item),
                seg(permission_id)
            ),
            "deleteDriveItemPermission",
        );
        self.execute_empty(&call).await
    }

    /// Walks the drive breadth-first from its root, reading at most `max_items` items, and
    /// returns each shared item with the links set directly on it.
    pub async fn sharing_links(
        &self,
        drive_id: &str,
        max_items: u32,
    ) -> Result<SharingWalk, GraphError> {
        let mut walk = SharingWalk {
            items: Vec::new(),
            items_checked: 1,
            complete: true,
            request_id: None,
        };
        // The root can be shared as a whole; it carries no `shared` facet to tell.
        self.collect_links(drive_id, ROOT, "/", &mut walk).await?;
        let mut folders = VecDeque::from([(ROOT.to_owned(), String::new())]);
        'walk: while let Some((folder, path)) = folders.pop_front() {
            let mut call = Call::new(
                Method::GET,
                format!("{}/children", item_path(drive_id, &folder)),
                "listDriveItemChildren",
            )
            .query("$select", "id,name,folder,shared")
            .query("$top", "200");
            loop {
                let raw = self.execute(&call).await?;
                walk.request_id = raw.request_id.clone();
                let body = raw.body.unwrap_or(Value::Null);
                let children: Vec<DriveItem> = body
                    .get("value")
                    .cloned()
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|e| crate::client::decode_error(call.op, e, &raw.request_id))?
                    .unwrap_or_default();
                for child in children {
                    if walk.items_checked >= max_items {
                        walk.complete = false;
                        break 'walk;
                    }
                    walk.items_checked += 1;
                    let child_path =
                        format!("{path}/{}", child.name.as_deref().unwrap_or(&child.id));
                    if child.shared.is_some() {
                        self.collect_links(drive_id, &child.id, &child_path, &mut walk)
                            .await?;
                    }
                    if child.folder.is_some() {
                        folders.push_back((child.id, child_path));
                    }
                }
                match body.get("@odata.nextLink").and_then(Value::as_str) {
                    Some(next) => {
                        call = Call {
                            path: next.to_owned(),
                            query: Vec::new(),
                            ..call
                        }
                    }
                    None => break,
                }
            }
        }
        Ok(walk)
    }

    async fn collect_links(
        &self,
        drive_id: &str,
        item: &str,
        path: &str,
        walk: &mut SharingWalk,
    ) -> Result<(), GraphError> {
        let reply = self.item_permissions(drive_id, item).await?;
        walk.request_id = reply.request_id;
        let links: Vec<Permission> = reply
            .value
            .into_iter()
            .filter(|p| p.link.is_some() && p.inherited_from.is_none())
            .collect();
        if !links.is_empty() {
            walk.items.push(SharedItem {
                item_id: item.to_owned(),
                path: path.to_owned(),
                links,
            });
        }
        Ok(())
    }
}
