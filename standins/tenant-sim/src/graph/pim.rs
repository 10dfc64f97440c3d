//! PIM eligibility: directory roles (`roleManagement/directory/roleEligibilitySchedules` and
//! `roleEligibilityScheduleRequests`) and PIM for Groups
//! (`identityGovernance/privilegedAccess/group/eligibilitySchedules` and
//! `eligibilityScheduleRequests`). Follows "List roleEligibilitySchedules", "Create
//! roleEligibilityScheduleRequests", "List eligibilitySchedules" and "Create
//! eligibilityScheduleRequests" (v1.0): listing filters on `principalId` (a group listing
//! needs `principalId` or `groupId`); an eligibility is removed by a request with
//! `action: adminRemove`, answered 201 with the request, status `Revoked`, and the schedule is
//! gone from the listing. Removing an eligibility that does not exist is answered 404 here
//! (the reference does not name that refusal).

use super::*;

const SCHEDULE_ACTIONS: &[&str] = &[
    "adminAssign",
    "adminUpdate",
    "adminRemove",
    "selfActivate",
    "selfDeactivate",
    "adminExtend",
    "adminRenew",
    "selfExtend",
    "selfRenew",
];

fn schedule_info(created: &DateTime<Utc>) -> Value {
    json!({"startDateTime": ts(created), "expiration": {"type": "noExpiration"}})
}

fn role_eligibility_json(t: &Tenant, e: &RoleEligibility, q: &Query) -> Value {
    let mut v = json!({
        "id": e.id,
        "principalId": e.principal_id,
        "roleDefinitionId": e.role_definition_id,
        "directoryScopeId": e.directory_scope_id,
        "appScopeId": null,
        "createdUsing": e.id,
        "createdDateTime": ts(&e.created_date_time),
        "modifiedDateTime": null,
        "status": "Provisioned",
        "memberType": "Direct",
        "scheduleInfo": schedule_info(&e.created_date_time),
    });
    if q.expand.iter().any(|x| x == "roleDefinition")
        && let Some(o) = v.as_object_mut()
    {
        let d = t
            .role_definitions
            .iter()
            .find(|d| d.id == e.role_definition_id);
        o.insert(
            "roleDefinition".to_owned(),
            json!({
                "id": e.role_definition_id,
                "displayName": d.map(|d| d.display_name.clone()),
                "templateId": e.role_definition_id,
                "isBuiltIn": true,
                "isEnabled": true,
            }),
        );
    }
    v
}

fn group_eligibility_json(t: &Tenant, e: &GroupEligibility, q: &Query) -> Value {
    let mut v = json!({
        "id": e.id,
        "principalId": e.principal_id,
        "groupId": e.group_id,
        "accessId": e.access_id,
        "memberType": "direct",
        "createdUsing": e.id,
        "createdDateTime": ts(&e.created_date_time),
        "modifiedDateTime": null,
        "status": "Provisioned",
        "scheduleInfo": schedule_info(&e.created_date_time),
    });
    if q.expand.iter().any(|x| x == "group")
        && let Some(o) = v.as_object_mut()
    {
        let g = t.groups.iter().find(|g| g.id == e.group_id);
        o.insert(
            "group".to_owned(),
            json!({"id": e.group_id, "displayName": g.map(|g| g.display_name.clone())}),
        );
    }
    v
}

/// Refuses a `$filter` on anything but `allowed`.
fn filter_on(q: &Query, allowed: &[&str]) -> Result<(), ApiError> {
    if let Some(f) = &q.filter {
        for p in f.properties() {
            if !allowed.iter().any(|k| k.eq_ignore_ascii_case(&p)) {
                return Err(ApiError::new(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported Query.",
                ));
            }
        }
    }
    Ok(())
}

fn matching(q: &Query, v: &Value) -> bool {
    q.filter
        .as_ref()
        .is_none_or(|f| v.as_object().is_some_and(|o| f.matches(o)))
}

pub(super) fn list_role_eligibility(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ROLE_ELIGIBILITY_READ)?;
    filter_on(
        q,
        &["principalId", "roleDefinitionId", "directoryScopeId", "id"],
    )?;
    let items: Vec<Value> = t
        .role_eligibility_schedules
        .iter()
        .map(|e| role_eligibility_json(t, e, q))
        .filter(|v| matching(q, v))
        .collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "roleManagement/directory/roleEligibilitySchedules".to_owned(),
        items,
    )))
}

pub(super) fn list_group_eligibility(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::GROUP_ELIGIBILITY_READ)?;
    filter_on(q, &["principalId", "groupId", "accessId", "id"])?;
    // "Requires either the principalId or groupId filter".
    let scoped = q.filter.as_ref().is_some_and(|f| {
        f.properties()
            .iter()
            .any(|p| p.eq_ignore_ascii_case("principalId") || p.eq_ignore_ascii_case("groupId"))
    });
    if !scoped {
        return Err(ApiError::bad_request(
            "The filter must contain principalId or groupId.",
        ));
    }
    let items: Vec<Value> = t
        .group_eligibility_schedules
        .iter()
        .map(|e| group_eligibility_json(t, e, q))
        .filter(|v| matching(q, v))
        .collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "identityGovernance/privilegedAccess/group/eligibilitySchedules".to_owned(),
        items,
    )))
}

fn field(body: &Map<String, Value>, k: &str) -> Result<String, ApiError> {
    body.get(k)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad_request(format!("{k} is required.")))
}

/// Only `adminRemove` is modelled; the other documented actions are refused as not modelled.
fn remove_action(body: &Map<String, Value>) -> Result<(), ApiError> {
    let action = field(body, "action")?;
    if !SCHEDULE_ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::bad_request(format!(
            "The action '{action}' is not valid."
        )));
    }
    if action != "adminRemove" {
        return Err(ApiError::new(
            501,
            "NotImplemented",
            "The tenant simulator models only adminRemove.",
        ));
    }
    Ok(())
}

fn created(v: Value) -> SimResponse {
    SimResponse {
        status: 201,
        ..SimResponse::ok(v)
    }
}

pub(super) fn request_role_eligibility(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ROLE_ELIGIBILITY_WRITE)?;
    let body = body_obj(req)?;
    remove_action(body)?;
    let (principal, role) = (
        field(body, "principalId")?,
        field(body, "roleDefinitionId")?,
    );
    let scope = field(body, "directoryScopeId")?;
    let pos = t
        .role_eligibility_schedules
        .iter()
        .position(|e| {
            e.principal_id.eq_ignore_ascii_case(&principal)
                && e.role_definition_id.eq_ignore_ascii_case(&role)
                && e.directory_scope_id == scope
        })
        .ok_or_else(|| ApiError::not_found(&role))?;
    let gone = t.role_eligibility_schedules.remove(pos);
    Ok(created(json!({
        "@odata.context": ctx.context("roleManagement/directory/roleEligibilityScheduleRequests/$entity"),
        "id": uuid::Uuid::new_v4().to_string(),
        "status": "Revoked",
        "createdDateTime": ts(&ctx.now),
        "completedDateTime": ts(&ctx.now),
        "approvalId": null,
        "customData": null,
        "action": "adminRemove",
        "principalId": gone.principal_id,
        "roleDefinitionId": gone.role_definition_id,
        "directoryScopeId": gone.directory_scope_id,
        "appScopeId": null,
        "isValidationOnly": false,
        "targetScheduleId": gone.id,
        "justification": body.get("justification").cloned().unwrap_or(Value::Null),
    })))
}

pub(super) fn request_group_eligibility(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::GROUP_ELIGIBILITY_WRITE)?;
    let body = body_obj(req)?;
    remove_action(body)?;
    let (principal, group) = (field(body, "principalId")?, field(body, "groupId")?);
    let access = field(body, "accessId")?;
    let pos = t
        .group_eligibility_schedules
        .iter()
        .position(|e| {
            e.principal_id.eq_ignore_ascii_case(&principal)
                && e.group_id.eq_ignore_ascii_case(&group)
                && e.access_id == access
        })
        .ok_or_else(|| ApiError::not_found(&group))?;
    let gone = t.group_eligibility_schedules.remove(pos);
    Ok(created(json!({
        "@odata.context": ctx.context("identityGovernance/privilegedAccess/group/eligibilityScheduleRequests/$entity"),
        "id": uuid::Uuid::new_v4().to_string(),
        "status": "Revoked",
        "createdDateTime": ts(&ctx.now),
        "completedDateTime": ts(&ctx.now),
        "approvalId": null,
        "customData": null,
        "action": "adminRemove",
        "isValidationOnly": false,
        "accessId": gone.access_id,
        "principalId": gone.principal_id,
        "groupId": gone.group_id,
        "targetScheduleId": gone.id,
        "justification": body.get("justification").cloned().unwrap_or(Value::Null),
    })))
}
