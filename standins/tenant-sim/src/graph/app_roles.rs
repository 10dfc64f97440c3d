//! App role assignments of a user, and removing one from either side.

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
