//! Ownership: what a user owns (`GET /users/{id}/ownedObjects`) and the owners of a group, app
//! registration or service principal (`GET|POST /{collection}/{id}/owners[/$ref]`,
//! `DELETE /{collection}/{id}/owners/{ownerId}/$ref`). Follows "List ownedObjects", "List
//! owners", "Add owner" and "Remove owner" for groups, applications and service principals
//! (v1.0): an owner already there is a 400; Graph refuses to remove the last owner of a group
//! ("the last owner (a user object) of the group cannot be removed"); adding an owner to an
//! application or service principal needs `Application.ReadWrite.All` *and*
//! `Directory.Read.All` (`Application.ReadWrite.OwnedBy` only for objects the caller owns).

use super::*;

/// What kind of object `id` is: `(collection, @odata.type, displayName)`.
fn object(t: &Tenant, id: &str) -> Option<(&'static str, &'static str, String)> {
    if let Some(g) = t.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id)) {
        return Some(("groups", "#microsoft.graph.group", g.display_name.clone()));
    }
    if let Some(a) = t
        .applications
        .iter()
        .find(|a| a.id.eq_ignore_ascii_case(id))
    {
        return Some((
            "applications",
            "#microsoft.graph.application",
            a.display_name.clone(),
        ));
    }
    t.service_principals
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
        .map(|s| {
            (
                "servicePrincipals",
                "#microsoft.graph.servicePrincipal",
                s.display_name.clone(),
            )
        })
}

fn object_json(t: &Tenant, id: &str) -> Value {
    match object(t, id) {
        Some((_, kind, name)) => json!({"@odata.type": kind, "id": id, "displayName": name}),
        None => json!({"@odata.type": "#microsoft.graph.directoryObject", "id": id}),
    }
}

fn owner_json(t: &Tenant, id: &str) -> Value {
    match t.user(id) {
        Some(u) => json!({
            "@odata.type": "#microsoft.graph.user",
            "id": u.id,
            "displayName": u.display_name,
            "userPrincipalName": u.user_principal_name,
        }),
        None => object_json(t, id),
    }
}

/// The object `id` in `collection`, or 404.
fn in_collection(t: &Tenant, collection: &str, id: &str) -> Result<String, ApiError> {
    match object(t, id) {
        Some((c, _, _)) if c == collection => Ok(id.to_owned()),
        _ => Err(ApiError::not_found(id)),
    }
}

fn require_read(ctx: &Ctx<'_>, collection: &str) -> Result<(), ApiError> {
    ctx.require(if collection == "groups" {
        perms::GROUP_OWNERS_READ
    } else {
        perms::APP_OWNERS_READ
    })
}

/// Whether the caller may change the owners of `object` in `collection`; `adding`: an add
/// (applications and service principals also need `Directory.Read.All` for it).
fn require_write(
    t: &Tenant,
    ctx: &Ctx<'_>,
    collection: &str,
    object: &str,
    adding: bool,
) -> Result<(), ApiError> {
    if collection == "groups" {
        return ctx.require(perms::GROUP_OWNERS_WRITE);
    }
    if ctx.has(&["Directory.ReadWrite.All"]) {
        return Ok(());
    }
    let owns = t
        .owners
        .iter()
        .any(|o| o.object_id == object && o.owner_id == ctx.caller_object_id);
    let write = ctx.has(&["Application.ReadWrite.All"])
        || (owns && ctx.has(&["Application.ReadWrite.OwnedBy"]));
    if write && (!adding || ctx.has(&["Directory.Read.All"])) {
        Ok(())
    } else {
        Err(ApiError::denied())
    }
}

pub(super) fn owned_objects(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    user: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_READ)?;
    let uid = find_user(t, user)?.id.clone();
    let items: Vec<Value> = t
        .owners
        .iter()
        .filter(|o| o.owner_id == uid)
        .map(|o| object_json(t, &o.object_id))
        .collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "directoryObjects".to_owned(),
        items,
    )))
}

pub(super) fn list_owners(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    collection: &str,
    id: &str,
) -> Result<SimResponse, ApiError> {
    require_read(ctx, collection)?;
    let id = in_collection(t, collection, id)?;
    let items: Vec<Value> = t
        .owners
        .iter()
        .filter(|o| o.object_id == id)
        .map(|o| owner_json(t, &o.owner_id))
        .collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "directoryObjects".to_owned(),
        items,
    )))
}

pub(super) fn add_owner(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    collection: &str,
    id: &str,
) -> Result<SimResponse, ApiError> {
    let id = in_collection(t, collection, id)?;
    require_write(t, ctx, collection, &id, true)?;
    let body = body_obj(req)?;
    let reference = body
        .get("@odata.id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("@odata.id is required."))?;
    let owner = reference.rsplit('/').next().unwrap_or_default().to_owned();
    let owner = match t.user(&owner) {
        Some(u) => u.id.clone(),
        None if t.service_principals.iter().any(|s| s.id == owner) => owner,
        None => return Err(ApiError::not_found(&owner)),
    };
    if t.owners
        .iter()
        .any(|o| o.object_id == id && o.owner_id == owner)
    {
        return Err(ApiError::bad_request(
            "One or more added object references already exist for the following modified properties: 'owners'.",
        ));
    }
    t.owners.push(Ownership {
        object_id: id,
        owner_id: owner,
    });
    Ok(SimResponse::empty(204))
}

pub(super) fn remove_owner(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    collection: &str,
    id: &str,
    owner: &str,
) -> Result<SimResponse, ApiError> {
    let id = in_collection(t, collection, id)?;
    require_write(t, ctx, collection, &id, false)?;
    let owner = t.user(owner).map_or(owner.to_owned(), |u| u.id.clone());
    let pos = t
        .owners
        .iter()
        .position(|o| o.object_id == id && o.owner_id == owner)
        .ok_or_else(|| ApiError::not_found(&owner))?;
    let owners = t.owners.iter().filter(|o| o.object_id == id).count();
    if collection == "groups" && owners == 1 && t.user(&owner).is_some() {
        return Err(ApiError::bad_request(
            "The group must have at least one owner, hence this owner cannot be removed.",
        ));
    }
    t.owners.remove(pos);
    Ok(SimResponse::empty(204))
}
