//! Drive items (OneDrive and site libraries) and their sharing: list a folder's children, list
//! an item's permissions (its own links and direct grants, and those it inherits), delete a
//! permission.
//!
//! Shapes follow the v1.0 reference: `driveItem` with the `folder`, `file`, `parentReference`
//! and `shared` facets (driveitem-list-children), `permission` with the `link` facet and
//! `inheritedFrom` (driveitem-list-permissions), and permission-delete, which answers 204
//! and deletes only permissions that are not inherited (`Files.ReadWrite.All` or
//! `Sites.ReadWrite.All` for an application).

use super::*;

fn not_found() -> ApiError {
    ApiError::new(404, "itemNotFound", "The resource could not be found.")
}

/// The item's id, with `root` meaning the drive's root.
fn resolve(d: &Drive, item: &str) -> String {
    if item == "root" {
        d.root_id.clone()
    } else {
        item.to_owned()
    }
}

/// The item's path below the root (`/Budget/Q3.xlsx`), or `None` for an unknown item.
fn path_of(d: &Drive, id: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut cur = id.to_owned();
    while cur != d.root_id {
        let it = d.items.iter().find(|i| i.id == cur)?;
        parts.push(it.name.clone());
        cur = it.parent_id.clone();
        if parts.len() > 64 {
            return None;
        }
    }
    parts.reverse();
    Some(parts.iter().map(|p| format!("/{p}")).collect())
}

pub(super) fn item_json(t: &Tenant, d: &Drive, it: &DriveItem) -> Value {
    let parent_path = path_of(d, &it.parent_id).unwrap_or_default();
    let mut parent = json!({
        "driveId": d.id,
        "driveType": d.drive_type,
        "id": it.parent_id,
        "path": format!("/drive/root:{parent_path}"),
    });
    if let (Some(site), Some(o)) = (&d.site_id, parent.as_object_mut()) {
        o.insert("siteId".to_owned(), json!(site));
    }
    let mut v = json!({
        "id": it.id,
        "name": it.name,
        "webUrl": format!("{}{}", d.web_url, path_of(d, &it.id).unwrap_or_default()),
        "parentReference": parent,
    });
    if let Some(o) = v.as_object_mut() {
        if it.folder {
            let n = d.items.iter().filter(|c| c.parent_id == it.id).count();
            o.insert("folder".to_owned(), json!({ "childCount": n }));
        } else {
            o.insert(
                "file".to_owned(),
                json!({ "mimeType": "application/octet-stream" }),
            );
        }
        // The widest scope of the item's own links (the facet's `scope` is deprecated but
        // still declared in v1.0).
        // A direct grant shares the item with specific people, as a `users` link does.
        let widest = ["anonymous", "organization", "users"]
            .into_iter()
            .find(|s| {
                it.links.iter().any(|l| l.scope == *s) || (*s == "users" && !it.grants.is_empty())
            });
        if let Some(scope) = widest {
            let owner = t.user(&d.owner_id);
            o.insert(
                "shared".to_owned(),
                json!({
                    "owner": {"user": {"id": d.owner_id, "displayName": owner.map(|u| u.display_name.clone())}},
                    "scope": scope,
                }),
            );
        }
    }
    v
}

/// `GET /drives/{d}/items/{i}/children` (and `/root/children`).
pub(super) fn children(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    did: &str,
    item: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_READ, files_denied)?;
    let d = find_drive(t, did)?;
    let parent = resolve(d, item);
    if parent != d.root_id && !d.items.iter().any(|i| i.id == parent && i.folder) {
        return Err(not_found());
    }
    let items: Vec<Value> = d
        .items
        .iter()
        .filter(|i| i.parent_id == parent)
        .map(|i| {
            let full = item_json(t, d, i);
            match (&q.select, full) {
                (Some(sel), Value::Object(m)) => Value::Object(
                    m.into_iter()
                        .filter(|(k, _)| sel.iter().any(|s| s == k))
                        .collect(),
                ),
                (_, full) => full,
            }
        })
        .collect();
    let context = format!("drives('{}')/items('{parent}')/children", d.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

/// The `inheritedFrom` of a permission set on the ancestor `a` (an `itemReference`).
fn inherited_from_json(d: &Drive, a: &DriveItem) -> Value {
    json!({
        "driveId": d.id,
        "id": a.id,
        "path": format!("/drive/root:{}", path_of(d, &a.id).unwrap_or_default()),
    })
}

fn link_json(d: &Drive, l: &SharingLink, inherited_from: Option<&DriveItem>) -> Value {
    let mut v = json!({
        "id": l.id,
        "roles": [if l.link_type == "edit" { "write" } else { "read" }],
        "shareId": format!("s!{}", l.id),
        "hasPassword": false,
        "link": {
            "scope": l.scope,
            "type": l.link_type,
            "webUrl": format!("{}/:f:/s/{}", d.web_url, l.id),
            "preventsDownload": false,
        },
    });
    if let Some(o) = v.as_object_mut() {
        if let Some(a) = inherited_from {
            o.insert("inheritedFrom".to_owned(), inherited_from_json(d, a));
        }
        if !l.granted_to.is_empty() {
            let people: Vec<Value> = l
                .granted_to
                .iter()
                .map(|u| json!({"user": {"id": u}}))
                .collect();
            o.insert("grantedToIdentitiesV2".to_owned(), Value::Array(people));
        }
    }
    v
}

/// A permission granted to a person directly on an item (no `link` facet), inherited from
/// `inherited_from` when set.
fn grant_json(
    t: &Tenant,
    d: &Drive,
    g: &DrivePermission,
    inherited_from: Option<&DriveItem>,
) -> Value {
    let mut v = permission_json(t, g);
    if let (Some(a), Some(o)) = (inherited_from, v.as_object_mut()) {
        o.insert("inheritedFrom".to_owned(), inherited_from_json(d, a));
    }
    v
}

/// `GET /drives/{d}/items/{i}/permissions`: the item's own links and those of its ancestors
/// (with `inheritedFrom`); the root's are its grants.
pub(super) fn item_permissions(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    did: &str,
    item: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_READ, files_denied)?;
    let d = find_drive(t, did)?;
    let id = resolve(d, item);
    if id == d.root_id {
        return permissions(t, ctx, req, q, did, "root");
    }
    let it = d.items.iter().find(|i| i.id == id).ok_or_else(not_found)?;
    let mut items: Vec<Value> = it.links.iter().map(|l| link_json(d, l, None)).collect();
    items.extend(it.grants.iter().map(|g| grant_json(t, d, g, None)));
    let mut cur = it.parent_id.clone();
    while let Some(a) = d.items.iter().find(|i| i.id == cur) {
        items.extend(a.links.iter().map(|l| link_json(d, l, Some(a))));
        items.extend(a.grants.iter().map(|g| grant_json(t, d, g, Some(a))));
        cur = a.parent_id.clone();
    }
    let context = format!("drives('{}')/items('{id}')/permissions", d.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

/// `DELETE /drives/{d}/items/{i}/permissions/{p}` → 204; an inherited permission cannot be
/// deleted on the item that inherits it.
pub(super) fn delete_permission(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    did: &str,
    item: &str,
    pid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_WRITE, files_denied)?;
    let d = t
        .drives
        .iter_mut()
        .find(|d| d.id == did)
        .ok_or_else(not_found)?;
    let id = resolve(d, item);
    if id == d.root_id {
        let before = d.root_permissions.len();
        d.root_permissions
            .retain(|p| p.id != pid || p.roles.iter().any(|r| r == "owner"));
        return if d.root_permissions.len() < before {
            Ok(SimResponse::empty(204))
        } else {
            Err(not_found())
        };
    }
    let parent = d
        .items
        .iter()
        .find(|i| i.id == id)
        .map(|i| i.parent_id.clone())
        .ok_or_else(not_found)?;
    let mut cur = parent;
    while let Some(a) = d.items.iter().find(|i| i.id == cur) {
        if a.links.iter().any(|l| l.id == pid) || a.grants.iter().any(|g| g.id == pid) {
            return Err(ApiError::new(
                400,
                "invalidRequest",
                "Inherited permissions cannot be deleted; remove the permission on the item it is inherited from.",
            ));
        }
        cur = a.parent_id.clone();
    }
    let it = d
        .items
        .iter_mut()
        .find(|i| i.id == id)
        .ok_or_else(not_found)?;
    let before = it.links.len() + it.grants.len();
    it.links.retain(|l| l.id != pid);
    it.grants.retain(|g| g.id != pid);
    if it.links.len() + it.grants.len() < before {
        Ok(SimResponse::empty(204))
    } else {
        Err(not_found())
    }
}
