//! App role assignments of a user, granting one, and removing one from either side.

use super::*;

pub(super) fn app_role_json(t: &Tenant, a: &AppRoleAssignment) -> Value {
    let principal = t.user(&a.principal_id);
    let resource = t.service_principals.iter().find(|s| s.id == a.resource_id);
    json!({
        "id": a.id,
        "deletedDateTime": null,
        "appRoleId": a.app_role_id,
        "createdDateTime": a.created_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        "principalDisplayName": principal.map(|p| p.display_name.clone()),
        "principalId": a.principal_id,
        "principalType": "User",
        "resourceDisplayName": resource.map(|r| r.display_name.clone()),
        "resourceId": a.resource_id,
    })
}

pub(super) fn app_roles(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::APP_ROLE_READ)?;
    let u = find_user(t, id)?;
    let items: Vec<Value> = t
        .app_role_assignments
        .iter()
        .filter(|a| a.principal_id == u.id)
        .map(|a| app_role_json(t, a))
        .filter(|v| {
            q.filter
                .as_ref()
                .is_none_or(|f| v.as_object().is_some_and(|o| f.matches(o)))
        })
        .collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "appRoleAssignments".to_owned(),
        items,
    )))
}

pub(super) fn delete_app_role(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    user: Option<&str>,
    sp: Option<&str>,
    aid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::APP_ROLE_WRITE)?;
    if let Some(u) = user {
        find_user(t, u)?;
    }
    let user_id = user.and_then(|u| t.user(u)).map(|u| u.id.clone());
    let pos = t
        .app_role_assignments
        .iter()
        .position(|a| {
            a.id == aid
                && user_id.as_deref().is_none_or(|u| a.principal_id == u)
                && sp.is_none_or(|s| a.resource_id.eq_ignore_ascii_case(s))
        })
        .ok_or_else(|| ApiError::not_found(aid))?;
    t.app_role_assignments.remove(pos);
    Ok(SimResponse::empty(204))
}

/// `POST /users/{id}/appRoleAssignments` `{principalId, resourceId, appRoleId}` → 201 with the
/// assignment, as "Grant an appRoleAssignment to a user" documents; the same role on the same
/// resource again is Graph's 400.
pub(super) fn add_app_role(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::APP_ROLE_WRITE)?;
    let user = find_user(t, id)?.id.clone();
    let body = body_obj(req)?;
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ApiError::bad_request(format!("{k} is required.")))
    };
    let (principal, resource, role) = (
        field("principalId")?,
        field("resourceId")?,
        field("appRoleId")?,
    );
    if !principal.eq_ignore_ascii_case(&user) {
        return Err(ApiError::bad_request(
            "principalId must be the user the assignment is created for.",
        ));
    }
    if !t
        .service_principals
        .iter()
        .any(|s| s.id.eq_ignore_ascii_case(&resource))
    {
        return Err(ApiError::not_found(&resource));
    }
    if t.app_role_assignments.iter().any(|a| {
        a.principal_id == user
            && a.resource_id.eq_ignore_ascii_case(&resource)
            && a.app_role_id.eq_ignore_ascii_case(&role)
    }) {
        return Err(ApiError::bad_request(
            "Permission being assigned already exists on the object",
        ));
    }
    let a = AppRoleAssignment {
        id: uuid::Uuid::new_v4().simple().to_string(),
        app_role_id: role,
        principal_id: user,
        resource_id: resource,
        created_date_time: ctx.now,
    };
    let mut out = app_role_json(t, &a);
    if let Some(o) = out.as_object_mut() {
        o.insert(
            "@odata.context".to_owned(),
            json!(ctx.context("appRoleAssignments/$entity")),
        );
    }
    t.app_role_assignments.push(a);
    Ok(SimResponse {
        status: 201,
        ..SimResponse::ok(out)
    })
}
