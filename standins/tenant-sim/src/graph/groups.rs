//! Groups: reading, members, `memberOf`, removing a member (with the refusals for dynamic,
//! mail-enabled and on-premises groups) and deleting a group.

use super::*;

/// The full property set of a group.
pub fn group_full(g: &Group) -> Map<String, Value> {
    let v = json!({
        "@odata.type": "#microsoft.graph.group",
        "id": g.id,
        "deletedDateTime": null,
        "displayName": g.display_name,
        "description": g.description,
        "groupTypes": g.group_types,
        "mailEnabled": g.mail_enabled,
        "securityEnabled": g.security_enabled,
        "mail": g.mail,
        "mailNickname": g.mail_nickname,
        "membershipRule": g.membership_rule,
        "membershipRuleProcessingState": g.membership_rule_processing_state,
        "onPremisesSyncEnabled": g.on_premises_sync_enabled,
        "isAssignableToRole": g.is_assignable_to_role,
        "assignedLicenses": g.assigned_licenses.iter().map(|l| json!({"disabledPlans": l.disabled_plans, "skuId": l.sku_id})).collect::<Vec<_>>(),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub(super) fn member_of(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
    transitive: bool,
    groups_only: bool,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::MEMBER_OF)?;
    let u = find_user(t, id)?;
    let groups = if transitive {
        t.transitive_groups(&u.id)
    } else {
        t.direct_groups(&u.id)
    };
    let mut items = Vec::new();
    for g in groups {
        let full = group_full(g);
        if q.filter.as_ref().is_none_or(|f| f.matches(&full)) {
            items.push(Value::Object(
                project(&full, q.select.as_deref(), &[], "microsoft.graph.group")
                    .map(|p| if q.select.is_none() { full.clone() } else { p })
                    .map_err(q_err)?,
            ));
        }
    }
    if !groups_only {
        for d in t.roles_of(&u.id) {
            let full = directory_role_object(d);
            if q.filter.as_ref().is_none_or(|f| f.matches(&full)) {
                let sel = project(
                    &full,
                    q.select.as_deref(),
                    &[],
                    "microsoft.graph.directoryRole",
                )
                .unwrap_or_else(|_| full.clone());
                items.push(Value::Object(if q.select.is_none() { full } else { sel }));
            }
        }
    }
    let context = if groups_only {
        select_context("groups", q, "")
    } else {
        "directoryObjects".to_owned()
    };
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

pub(super) fn get_group(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    gid: &str,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::GROUP_READ)?;
    let g = t.group(gid).ok_or_else(|| ApiError::not_found(gid))?;
    let mut full = group_full(g);
    full.remove("@odata.type");
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&select_context("groups", q, "/$entity"))),
    );
    let body = match &q.select {
        Some(_) => {
            project(&full, q.select.as_deref(), &[], "microsoft.graph.group").map_err(q_err)?
        }
        None => full,
    };
    out.extend(body);
    Ok(SimResponse::ok(Value::Object(out)))
}

pub(super) fn group_members(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    gid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::GROUP_READ)?;
    let g = t.group(gid).ok_or_else(|| ApiError::not_found(gid))?;
    let mut items = Vec::new();
    for m in &g.members {
        if let Some(u) = t.user(m) {
            let mut full = user_full(t, u);
            full.remove("signInActivity");
            let mut o = project(
                &full,
                q.select.as_deref(),
                USER_DEFAULTS,
                "microsoft.graph.user",
            )
            .map_err(q_err)?;
            o.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
            items.push(Value::Object(o));
        } else if let Some(sub) = t.group(m) {
            items.push(Value::Object(group_full(sub)));
        }
    }
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "directoryObjects".to_owned(),
        items,
    )))
}

pub(super) fn delete_group(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    gid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::GROUP_DELETE)?;
    let pos = t
        .groups
        .iter()
        .position(|g| g.id.eq_ignore_ascii_case(gid))
        .ok_or_else(|| ApiError::not_found(gid))?;
    let g = t.groups.remove(pos);
    for other in &mut t.groups {
        other.members.retain(|m| m != &g.id);
    }
    Ok(SimResponse::empty(204))
}

pub(super) fn remove_member(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    gid: &str,
    mid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::MEMBER_REMOVE)?;
    let g = t
        .group(gid)
        .ok_or_else(|| ApiError::not_found(gid))?
        .clone();
    if g.is_assignable_to_role == Some(true) {
        ctx.require(perms::ROLE_WRITE)?;
    }
    if g.is_dynamic() {
        return Err(ApiError::bad_request(DYNAMIC_GROUP));
    }
    if g.is_exchange_mastered() {
        return Err(ApiError::bad_request(EXCHANGE_MASTERED_GROUP));
    }
    if g.is_synced() {
        return Err(ApiError::bad_request(ON_PREM_MASTERED));
    }
    let member_id = t
        .user(mid)
        .map(|u| u.id.clone())
        .unwrap_or_else(|| mid.to_owned());
    let pos = g
        .members
        .iter()
        .position(|m| m.eq_ignore_ascii_case(&member_id))
        .ok_or_else(|| {
            ApiError::new(
                404,
                "Request_ResourceNotFound",
                "One or more removed object references do not exist for the following modified properties: 'members'.",
            )
        })?;
    if let Some(gm) = t.groups.iter_mut().find(|x| x.id == g.id) {
        gm.members.remove(pos);
    }
    Ok(SimResponse::empty(204))
}

/// `POST /groups/{id}/members/$ref` with `{"@odata.id": "…/directoryObjects/{id}"}` → 204, as
/// the "Add members" reference documents; a member already there is Graph's 400, and the
/// groups Graph cannot change refuse as they do for a removal.
pub(super) fn add_member(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    gid: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::MEMBER_REMOVE)?;
    let reference = body_obj(req)?
        .get("@odata.id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("The @odata.id of the member is required."))?
        .to_owned();
    let g = t
        .group(gid)
        .ok_or_else(|| ApiError::not_found(gid))?
        .clone();
    if g.is_assignable_to_role == Some(true) {
        ctx.require(perms::ROLE_WRITE)?;
    }
    if g.is_dynamic() {
        return Err(ApiError::bad_request(DYNAMIC_GROUP));
    }
    if g.is_exchange_mastered() {
        return Err(ApiError::bad_request(EXCHANGE_MASTERED_GROUP));
    }
    if g.is_synced() {
        return Err(ApiError::bad_request(ON_PREM_MASTERED));
    }
    let member = reference.rsplit('/').next().unwrap_or_default();
    let member_id = find_user(t, member)?.id.clone();
    if g.members.iter().any(|m| m.eq_ignore_ascii_case(&member_id)) {
        return Err(ApiError::bad_request(
            "One or more added object references already exist for the following modified properties: 'members'.",
        ));
    }
    if let Some(gm) = t.groups.iter_mut().find(|x| x.id == g.id) {
        gm.members.push(member_id);
    }
    Ok(SimResponse::empty(204))
}

pub(super) fn remove_member_without_ref(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    gid: &str,
    mid: &str,
) -> Result<SimResponse, ApiError> {
    // As documented: without `/$ref` the member object itself is deleted when the app may
    // manage that object type; otherwise 403.
    ctx.require(perms::MEMBER_REMOVE)?;
    t.group(gid).ok_or_else(|| ApiError::not_found(gid))?;
    if !ctx.has(perms::USER_DELETE) {
        return Err(ApiError::denied());
    }
    let u = find_user(t, mid)?.id.clone();
    remove_user_object(t, &u, ctx.now);
    Ok(SimResponse::empty(204))
}
