//! Users: listing, reading with `$select`, updating (sign-in, password), deleting, revoking
//! sessions and the manager.

use super::*;

pub(super) const USER_DEFAULTS: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

pub(super) const USER_FILTERABLE: &[&str] = &[
    "id",
    "userPrincipalName",
    "mail",
    "employeeId",
    "displayName",
    "accountEnabled",
    "givenName",
    "surname",
    "mailNickname",
    "onPremisesSamAccountName",
    "onPremisesImmutableId",
    "onPremisesSyncEnabled",
    "userType",
    "department",
    "jobTitle",
    "city",
    "employeeType",
];

/// The properties `$filter` may name on users ([`USER_FILTERABLE`]), as [`user_full`] has
/// them but without its licence properties, which walk every group: filtering a listing on
/// these costs O(users) instead of O(users × memberships).
pub(super) fn user_filterable(u: &User) -> Map<String, Value> {
    let v = json!({
        "id": u.id,
        "userPrincipalName": u.user_principal_name,
        "mail": u.mail,
        "employeeId": u.employee_id,
        "displayName": u.display_name,
        "accountEnabled": u.account_enabled,
        "givenName": u.given_name,
        "surname": u.surname,
        "mailNickname": u.mail_nickname,
        "onPremisesSamAccountName": u.on_premises_sam_account_name,
        "onPremisesImmutableId": u.on_premises_immutable_id,
        "onPremisesSyncEnabled": u.on_premises_sync_enabled,
        "userType": u.user_type,
        "department": u.department,
        "jobTitle": u.job_title,
        "city": u.city,
        "employeeType": u.employee_type,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The full property set of a user (what `$select` picks from).
pub fn user_full(t: &Tenant, u: &User) -> Map<String, Value> {
    let states = t.license_states_of(u);
    let mut assigned: Vec<Value> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for s in &states {
        if !seen.contains(&s.sku_id) {
            seen.push(s.sku_id.clone());
            assigned.push(json!({"disabledPlans": s.disabled_plans, "skuId": s.sku_id}));
        }
    }
    let license_states: Vec<Value> = states
        .iter()
        .map(|s| {
            json!({
                "assignedByGroup": s.assigned_by_group,
                "disabledPlans": s.disabled_plans,
                "error": "None",
                "lastUpdatedDateTime": ts(&u.created_date_time),
                "skuId": s.sku_id,
                "state": "Active",
            })
        })
        .collect();
    let mut plans: Vec<Value> = Vec::new();
    for sku_id in &seen {
        if let Some(sku) = t.sku(sku_id) {
            for p in &sku.service_plans {
                plans.push(json!({
                    "assignedDateTime": ts(&u.created_date_time),
                    "capabilityStatus": if u.account_enabled { "Enabled" } else { "Suspended" },
                    "service": p.service_plan_name,
                    "servicePlanId": p.service_plan_id,
                }));
            }
        }
    }
    let v = json!({
        "id": u.id,
        "businessPhones": u.business_phones,
        "displayName": u.display_name,
        "givenName": u.given_name,
        "jobTitle": u.job_title,
        "mail": u.mail,
        "mobilePhone": u.mobile_phone,
        "officeLocation": u.office_location,
        "preferredLanguage": u.preferred_language,
        "surname": u.surname,
        "userPrincipalName": u.user_principal_name,
        "accountEnabled": u.account_enabled,
        "employeeId": u.employee_id,
        "employeeType": u.employee_type,
        "employeeLeaveDateTime": u.employee_leave_date_time.as_ref().map(ts),
        "department": u.department,
        "companyName": u.company_name,
        "city": u.city,
        "postalCode": null,
        "usageLocation": u.usage_location,
        "userType": u.user_type,
        "mailNickname": u.mail_nickname,
        "proxyAddresses": u.mail.iter().map(|m| format!("SMTP:{m}")).collect::<Vec<_>>(),
        "identities": [{
            "signInType": "userPrincipalName",
            "issuer": t.domain,
            "issuerAssignedId": u.user_principal_name,
        }],
        "onPremisesSyncEnabled": u.on_premises_sync_enabled,
        "onPremisesImmutableId": u.on_premises_immutable_id,
        "onPremisesSamAccountName": u.on_premises_sam_account_name,
        "onPremisesDistinguishedName": u.on_premises_distinguished_name,
        "onPremisesLastSyncDateTime": u.on_premises_last_sync_date_time.as_ref().map(ts),
        "createdDateTime": ts(&u.created_date_time),
        "signInSessionsValidFromDateTime": ts(&u.sign_in_sessions_valid_from_date_time),
        "lastPasswordChangeDateTime": u.last_password_change_date_time.as_ref().map(ts),
        "assignedLicenses": assigned,
        "licenseAssignmentStates": license_states,
        "assignedPlans": plans,
        "signInActivity": {
            "lastSignInDateTime": u.last_sign_in_date_time.as_ref().map(ts),
            "lastSignInRequestId": u.last_sign_in_date_time.map(|_| "sim-signin-request"),
            "lastNonInteractiveSignInDateTime": u.last_sign_in_date_time.as_ref().map(ts),
            "lastNonInteractiveSignInRequestId": u.last_sign_in_date_time.map(|_| "sim-signin-request"),
            "lastSuccessfulSignInDateTime": u.last_sign_in_date_time.as_ref().map(ts),
            "lastSuccessfulSignInRequestId": u.last_sign_in_date_time.map(|_| "sim-signin-request"),
        },
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub(super) fn select_user(
    t: &Tenant,
    ctx: &Ctx<'_>,
    u: &User,
    q: &Query,
) -> Result<Map<String, Value>, ApiError> {
    let wants_sign_in = q
        .select
        .as_ref()
        .is_some_and(|s| s.iter().any(|p| p.eq_ignore_ascii_case("signInActivity")));
    if wants_sign_in {
        ctx.require(perms::SIGN_IN_ACTIVITY)?;
    }
    let wants_leave = q.select.as_ref().is_some_and(|s| {
        s.iter()
            .any(|p| p.eq_ignore_ascii_case("employeeLeaveDateTime"))
    });
    if wants_leave {
        ctx.require(perms::LIFECYCLE_INFO_READ)?;
    }
    let mut full = user_full(t, u);
    if !wants_sign_in {
        full.remove("signInActivity");
    }
    if !wants_leave {
        full.remove("employeeLeaveDateTime");
    }
    project(
        &full,
        q.select.as_deref(),
        USER_DEFAULTS,
        "microsoft.graph.user",
    )
    .map_err(q_err)
}

pub(super) fn list_users(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_READ)?;
    if let Some(f) = &q.filter {
        for p in f.properties() {
            if !USER_FILTERABLE.iter().any(|k| k.eq_ignore_ascii_case(&p)) {
                return Err(ApiError::new(
                    400,
                    "Request_UnsupportedQuery",
                    format!(
                        "Unsupported or invalid query filter clause specified for property '{p}' of resource 'User'."
                    ),
                ));
            }
        }
    }
    let matching: Vec<&User> = t
        .users
        .iter()
        .filter(|u| {
            q.filter
                .as_ref()
                .is_none_or(|f: &Filter| f.matches(&user_filterable(u)))
        })
        .collect();
    // Only the page's users are projected: a 100,000-user tenant read in pages of 999 would
    // otherwise build every user's full property set on every page.
    let (start, end) = page_window(ctx, q, matching.len());
    let mut items = Vec::with_capacity(end - start);
    for u in &matching[start..end] {
        items.push(Value::Object(select_user(t, ctx, u, q)?));
    }
    let context = select_context("users", q, "");
    Ok(SimResponse::ok(page_of(
        ctx,
        req,
        q,
        context,
        matching.len(),
        end,
        items,
    )))
}

pub(super) fn get_user(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_READ)?;
    let u = find_user(t, id)?;
    let mut body = select_user(t, ctx, u, q)?;
    if q.expand.iter().any(|e| e == "manager") {
        let m = u.manager_id.as_deref().and_then(|m| t.user(m));
        body.insert(
            "manager".to_owned(),
            m.map(|m| {
                let mut full = user_full(t, m);
                full.remove("signInActivity");
                let mut o =
                    project(&full, None, USER_DEFAULTS, "microsoft.graph.user").unwrap_or_default();
                o.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
                Value::Object(o)
            })
            .unwrap_or(Value::Null),
        );
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&select_context("users", q, "/$entity"))),
    );
    out.extend(body);
    Ok(SimResponse::ok(Value::Object(out)))
}

pub(super) fn check_password(p: &str) -> bool {
    let classes = [
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    p.chars().count() >= 8
        && p.chars().count() <= 256
        && classes.iter().filter(|c| **c).count() >= 3
}

pub(super) const SIMPLE_USER_PROPS: &[&str] = &[
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "companyName",
    "city",
    "officeLocation",
    "mobilePhone",
    "usageLocation",
    "employeeId",
    "preferredLanguage",
];

pub(super) fn patch_user(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    let body = body_obj(req)?.clone();
    let user = find_user(t, id)?.clone();
    let caller = ctx.caller_object_id;
    let target_privileged = t.holds_privileged_role(&user.id);
    // Permission checks first, for every property in the body, as Graph authorises the whole
    // request before changing anything.
    for key in body.keys().filter(|k| !k.starts_with('@')) {
        match key.as_str() {
            "accountEnabled" => {
                ctx.require(perms::ENABLE_DISABLE)?;
                if target_privileged && !t.has_role_named(caller, PRIVILEGED_TARGET_ROLES) {
                    return Err(ApiError::denied());
                }
            }
            "passwordProfile" => {
                ctx.require(perms::PASSWORD)?;
                let roles = if target_privileged {
                    PRIVILEGED_TARGET_ROLES
                } else {
                    PASSWORD_ROLES
                };
                if !t.has_role_named(caller, roles) {
                    return Err(ApiError::denied());
                }
            }
            other if SIMPLE_USER_PROPS.contains(&other) || other == "businessPhones" => {
                ctx.require(perms::USER_WRITE)?
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "Invalid property '{other}'."
                )));
            }
        }
    }
    if user.is_synced() {
        // Source of authority is on-premises AD: Graph refuses AD-mastered properties.
        return Err(ApiError::bad_request(ON_PREM_MASTERED));
    }
    let mut new_enabled = None;
    let mut new_password: Option<bool> = None;
    for (key, value) in body.iter().filter(|(k, _)| !k.starts_with('@')) {
        match key.as_str() {
            "accountEnabled" => {
                new_enabled = Some(value.as_bool().ok_or_else(|| {
                    ApiError::bad_request(
                        "Invalid value specified for property 'accountEnabled' of resource 'User'.",
                    )
                })?);
            }
            "passwordProfile" => {
                let pwd = value
                    .get("password")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "Invalid value specified for property 'passwordProfile' of resource 'User'.",
                        )
                    })?;
                if !check_password(pwd) {
                    return Err(ApiError::bad_request(
                        "The specified password does not comply with password complexity requirements. Please provide a different password.",
                    ));
                }
                new_password = Some(
                    value
                        .get("forceChangePasswordNextSignIn")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                );
            }
            "businessPhones" => {
                let ok = value
                    .as_array()
                    .is_some_and(|a| a.len() <= 1 && a.iter().all(Value::is_string));
                if !ok {
                    return Err(ApiError::bad_request(
                        "Invalid value specified for property 'businessPhones' of resource 'User'.",
                    ));
                }
            }
            _ => {
                if !(value.is_string() || value.is_null()) {
                    return Err(ApiError::bad_request(format!(
                        "Invalid value specified for property '{key}' of resource 'User'."
                    )));
                }
            }
        }
    }
    let now = ctx.now;
    let u = t.user_mut(id).ok_or_else(|| ApiError::not_found(id))?;
    if let Some(e) = new_enabled {
        u.account_enabled = e;
    }
    if let Some(force) = new_password {
        u.last_password_change_date_time = Some(now);
        u.force_change_password_next_sign_in = force;
    }
    for (key, value) in body.iter() {
        let v = value.as_str().map(str::to_owned);
        match key.as_str() {
            "displayName" => u.display_name = v.unwrap_or_default(),
            "givenName" => u.given_name = v,
            "surname" => u.surname = v,
            "jobTitle" => u.job_title = v,
            "department" => u.department = v,
            "companyName" => u.company_name = v,
            "city" => u.city = v,
            "officeLocation" => u.office_location = v,
            "mobilePhone" => u.mobile_phone = v,
            "usageLocation" => u.usage_location = v,
            "employeeId" => u.employee_id = v,
            "preferredLanguage" => u.preferred_language = v,
            "businessPhones" => {
                u.business_phones = value
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            }
            _ => {}
        }
    }
    Ok(SimResponse::empty(204))
}

pub(super) fn delete_user(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_DELETE)?;
    let u = find_user(t, id)?.clone();
    if !t.has_role_named(ctx.caller_object_id, PASSWORD_ROLES) {
        return Err(ApiError::denied());
    }
    // AD is the source of authority of a synced user: Graph refuses to delete it (delete it in
    // AD; directory sync then deletes the cloud account).
    if u.on_premises_sync_enabled == Some(true) {
        return Err(ApiError::new(400, "Request_BadRequest", ON_PREM_MASTERED));
    }
    remove_user_object(t, &u.id, ctx.now);
    Ok(SimResponse::empty(204))
}

/// Moves the user to deleted items (soft delete, restorable for 30 days), out of its groups.
pub(super) fn remove_user_object(t: &mut Tenant, id: &str, now: DateTime<Utc>) {
    if let Some(pos) = t.users.iter().position(|u| u.id == id) {
        let mut u = t.users.remove(pos);
        for g in &mut t.groups {
            g.members.retain(|m| m != id);
        }
        u.deleted_date_time = Some(now);
        t.deleted_users.push(u);
    }
}

pub(super) fn revoke(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require(perms::REVOKE)?;
    let now = ctx.now;
    let u = t.user_mut(id).ok_or_else(|| ApiError::not_found(id))?;
    u.sign_in_sessions_valid_from_date_time = now;
    Ok(SimResponse::ok(json!({
        "@odata.context": ctx.context("Edm.Boolean"),
        "value": true,
    })))
}

pub(super) fn manager(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_READ)?;
    let u = find_user(t, id)?;
    let m = u
        .manager_id
        .as_deref()
        .and_then(|m| t.user(m))
        .ok_or_else(|| ApiError::not_found("manager"))?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context("directoryObjects/$entity")),
    );
    out.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
    out.extend(select_user(t, ctx, m, q)?);
    Ok(SimResponse::ok(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Filtering on the cheap property set must see exactly what the full set shows.
    #[test]
    fn filterable_properties_are_the_full_ones() {
        let t = crate::demo::demo_tenant();
        for u in &t.users {
            let cheap = user_filterable(u);
            let full = user_full(&t, u);
            for k in USER_FILTERABLE {
                assert_eq!(cheap.get(*k), full.get(*k), "{k} of {}", u.id);
            }
            assert_eq!(cheap.len(), USER_FILTERABLE.len());
        }
    }
}
