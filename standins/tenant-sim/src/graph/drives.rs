//! OneDrive: the user's drive, item permissions and `invite` (sharing with the manager).

use super::*;

pub(super) fn files_denied() -> ApiError {
    ApiError::new(403, "accessDenied", "Access denied")
}

pub(super) fn drive_of(t: &Tenant, user: &str) -> Result<String, ApiError> {
    let u = find_user(t, user)?;
    t.drives
        .iter()
        .find(|d| d.owner_id == u.id)
        .map(|d| d.id.clone())
        .ok_or_else(|| ApiError::new(404, "ResourceNotFound", "User's mysite not found."))
}

pub(super) fn drive_json(t: &Tenant, ctx: &Ctx<'_>, d: &Drive) -> Value {
    let owner = t.user(&d.owner_id);
    let total: u64 = 1_099_511_627_776;
    json!({
        "@odata.context": ctx.context("drives/$entity"),
        "id": d.id,
        "driveType": d.drive_type,
        "name": "OneDrive",
        "webUrl": d.web_url,
        "createdDateTime": owner.map(|o| ts(&o.created_date_time)),
        "owner": {"user": {
            "id": d.owner_id,
            "displayName": owner.map(|o| o.display_name.clone()),
            "email": owner.and_then(|o| o.mail.clone()),
        }},
        "quota": {
            "deleted": 0,
            "remaining": total - d.used_bytes,
            "state": "normal",
            "total": total,
            "used": d.used_bytes,
        },
    })
}

pub(super) fn user_drive(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_READ, files_denied)?;
    let did = drive_of(t, id)?;
    drive_by_id(t, ctx, &did)
}

pub(super) fn find_drive<'t>(t: &'t Tenant, did: &str) -> Result<&'t Drive, ApiError> {
    t.drives
        .iter()
        .find(|d| d.id == did)
        .ok_or_else(|| ApiError::new(404, "itemNotFound", "The resource could not be found."))
}

pub(super) fn drive_by_id(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    did: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_READ, files_denied)?;
    let d = find_drive(t, did)?;
    Ok(SimResponse::ok(drive_json(t, ctx, d)))
}

pub(super) fn permission_json(t: &Tenant, p: &DrivePermission) -> Value {
    let u = t.user(&p.user_id);
    let who = json!({
        "id": p.user_id,
        "displayName": u.map(|u| u.display_name.clone()),
        "email": u.and_then(|u| u.mail.clone().or_else(|| Some(u.user_principal_name.clone()))),
    });
    let mut v = json!({
        "@deprecated.GrantedTo": "GrantedTo has been deprecated. Refer to GrantedToV2",
        "id": p.id,
        "roles": p.roles,
        "grantedTo": {"user": who.clone()},
        "grantedToV2": {"user": who, "siteUser": {
            "id": "1",
            "displayName": u.map(|u| u.display_name.clone()),
            "loginName": u.map(|u| format!("i:0#.f|membership|{}", u.user_principal_name)),
        }},
        "hasPassword": false,
    });
    if let Some(o) = v.as_object_mut() {
        if p.invited {
            o.insert(
                "invitation".to_owned(),
                json!({"email": u.and_then(|u| u.mail.clone()), "signInRequired": true}),
            );
        }
        if let Some(exp) = &p.expiration_date_time {
            o.insert(
                "expirationDateTime".to_owned(),
                json!(exp.to_rfc3339_opts(SecondsFormat::Millis, true)),
            );
        }
    }
    v
}

pub(super) fn check_item(d: &Drive, item: &str) -> Result<(), ApiError> {
    if item == "root" || item == d.root_id {
        Ok(())
    } else {
        Err(ApiError::new(
            404,
            "itemNotFound",
            "The resource could not be found.",
        ))
    }
}

pub(super) fn invite(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    did: &str,
    item: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_WRITE, files_denied)?;
    let body = body_obj(req)?.clone();
    let drive = find_drive(t, did)?.clone();
    check_item(&drive, item)?;
    let roles: Vec<String> = body
        .get("roles")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if roles.is_empty() || roles.iter().any(|r| r != "read" && r != "write") {
        return Err(ApiError::new(
            400,
            "invalidRequest",
            "Invalid request: roles must be 'read' or 'write'.",
        ));
    }
    let recipients = body
        .get("recipients")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                400,
                "invalidRequest",
                "Invalid request: recipients are required.",
            )
        })?;
    let expiration = match body.get("expirationDateTime").and_then(Value::as_str) {
        Some(e) => Some(
            DateTime::parse_from_rfc3339(e)
                .map_err(|_| {
                    ApiError::new(
                        400,
                        "invalidRequest",
                        "Invalid request: expirationDateTime is not a date.",
                    )
                })?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let mut targets = Vec::new();
    for r in recipients {
        let key = r
            .get("email")
            .or_else(|| r.get("objectId"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let u = t
            .users
            .iter()
            .find(|u| {
                u.id.eq_ignore_ascii_case(key)
                    || u.user_principal_name.eq_ignore_ascii_case(key)
                    || u.mail
                        .as_deref()
                        .is_some_and(|m| m.eq_ignore_ascii_case(key))
            })
            // App-only tokens cannot invite new guests: every recipient must be a tenant user.
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "invalidRequest",
                    "One or more users could not be resolved.",
                )
            })?;
        targets.push(u.id.clone());
    }
    let d =
        t.drives.iter_mut().find(|d| d.id == did).ok_or_else(|| {
            ApiError::new(404, "itemNotFound", "The resource could not be found.")
        })?;
    let mut granted = Vec::new();
    for uid in targets {
        if let Some(existing) = d
            .root_permissions
            .iter_mut()
            .find(|p| p.user_id == uid && p.invited)
        {
            existing.roles = roles.clone();
            existing.expiration_date_time = expiration;
            granted.push(existing.clone());
        } else {
            let p = DrivePermission {
                id: uuid::Uuid::new_v4().to_string().to_uppercase(),
                roles: roles.clone(),
                user_id: uid,
                invited: true,
                expiration_date_time: expiration,
            };
            d.root_permissions.push(p.clone());
            granted.push(p);
        }
    }
    let items: Vec<Value> = granted.iter().map(|p| permission_json(t, p)).collect();
    Ok(SimResponse::ok(json!({
        "@odata.context": ctx.context("Collection(microsoft.graph.permission)"),
        "value": items,
    })))
}

pub(super) fn permissions(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    did: &str,
    item: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_READ, files_denied)?;
    let d = find_drive(t, did)?;
    check_item(d, item)?;
    let items: Vec<Value> = d
        .root_permissions
        .iter()
        .map(|p| permission_json(t, p))
        .collect();
    let context = format!("drives('{}')/root/permissions", d.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}
