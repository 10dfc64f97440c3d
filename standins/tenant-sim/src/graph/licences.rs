//! Licences: `licenseDetails` and `assignLicense`, with group-based licences refused.

use super::*;

pub(super) fn license_details(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::LICENSE_READ)?;
    let u = find_user(t, id)?;
    let mut items = Vec::new();
    for sku_id in t.effective_skus(&u.id) {
        let Some(sku) = t.sku(&sku_id) else { continue };
        let disabled: Vec<String> = t
            .license_states(&u.id)
            .into_iter()
            .filter(|s| s.sku_id == sku_id)
            .flat_map(|s| s.disabled_plans)
            .collect();
        let plans: Vec<Value> = sku
            .service_plans
            .iter()
            .map(|p| {
                json!({
                    "servicePlanId": p.service_plan_id,
                    "servicePlanName": p.service_plan_name,
                    "provisioningStatus": if disabled.contains(&p.service_plan_id) { "Disabled" } else { "Success" },
                    "appliesTo": "User",
                })
            })
            .collect();
        let full = json!({
            "id": format!("{}{}", u.id.chars().take(8).collect::<String>(), sku.sku_id.replace('-', "")),
            "skuId": sku.sku_id,
            "skuPartNumber": sku.sku_part_number,
            "servicePlans": plans,
        });
        let obj = full.as_object().cloned().unwrap_or_default();
        items.push(Value::Object(
            project(
                &obj,
                q.select.as_deref(),
                &["id", "skuId", "skuPartNumber", "servicePlans"],
                "microsoft.graph.licenseDetails",
            )
            .map_err(q_err)?,
        ));
    }
    let context = format!("users('{}')/licenseDetails", u.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

pub(super) fn assign_license(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::LICENSE_WRITE)?;
    let body = body_obj(req)?.clone();
    let user = find_user(t, id)?.clone();
    let missing: Vec<&str> = ["addLicenses", "removeLicenses"]
        .into_iter()
        .filter(|k| !body.get(*k).is_some_and(Value::is_array))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad_request(format!(
            "One or more parameters of the function import 'assignLicense' are missing from the request payload. The missing parameters are: {}.",
            missing.join(", ")
        )));
    }
    let mut adds: Vec<AssignedLicense> = Vec::new();
    for a in body["addLicenses"].as_array().into_iter().flatten() {
        let sku_id = a.get("skuId").and_then(Value::as_str).unwrap_or_default();
        if t.sku(sku_id).is_none() {
            return Err(ApiError::bad_request(format!(
                "License {sku_id} does not correspond to a valid company License."
            )));
        }
        if user.usage_location.is_none() {
            return Err(ApiError::bad_request("Invalid usage location."));
        }
        adds.push(AssignedLicense {
            sku_id: sku_id.to_owned(),
            disabled_plans: a
                .get("disabledPlans")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    let states = t.license_states(&user.id);
    let mut removes: Vec<String> = Vec::new();
    for r in body["removeLicenses"].as_array().into_iter().flatten() {
        let sku_id = r.as_str().unwrap_or_default().to_owned();
        let direct = user
            .assigned_licenses
            .iter()
            .any(|l| l.sku_id.eq_ignore_ascii_case(&sku_id));
        if !direct {
            let inherited = states
                .iter()
                .any(|s| s.sku_id.eq_ignore_ascii_case(&sku_id) && s.assigned_by_group.is_some());
            if inherited {
                return Err(ApiError::bad_request(GROUP_BASED_LICENSE));
            }
            return Err(ApiError::bad_request(format!(
                "User does not have a corresponding license. License {sku_id} is not assigned to the user."
            )));
        }
        removes.push(sku_id);
    }
    {
        let u = t.user_mut(id).ok_or_else(|| ApiError::not_found(id))?;
        u.assigned_licenses
            .retain(|l| !removes.iter().any(|r| r.eq_ignore_ascii_case(&l.sku_id)));
        for a in adds {
            u.assigned_licenses
                .retain(|l| !l.sku_id.eq_ignore_ascii_case(&a.sku_id));
            u.assigned_licenses.push(a);
        }
    }
    let u = find_user(t, id)?;
    let full = user_full(t, u);
    let mut defaults: Vec<&str> = USER_DEFAULTS.to_vec();
    defaults.extend([
        "accountEnabled",
        "assignedLicenses",
        "assignedPlans",
        "city",
        "companyName",
    ]);
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context("users/$entity")),
    );
    out.extend(
        project(
            &full,
            q.select.as_deref(),
            &defaults,
            "microsoft.graph.user",
        )
        .map_err(q_err)?,
    );
    Ok(SimResponse::ok(Value::Object(out)))
}
