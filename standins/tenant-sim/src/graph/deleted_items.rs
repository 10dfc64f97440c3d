//! Deleted items (`/directory/deletedItems`): users deleted through Graph stay here, restorable,
//! for 30 days. Follows "Get deleted item" and "List deleted items" (v1.0): reading a deleted
//! user needs a permission that reads users (`User.Read.All` least); the item is a
//! `directoryObject` whose `@odata.type` names the user, with `deletedDateTime`; Entra ID
//! prefixes a deleted user's UPN with its object id (without dashes), freeing the name.

use super::*;

/// A deleted user as deleted items answers it: its properties (`$select`, or the defaults),
/// its type and when it was deleted.
fn deleted_json(t: &Tenant, u: &User, q: &Query) -> Result<Map<String, Value>, ApiError> {
    let mut full = user_full(t, u);
    full.remove("signInActivity");
    full.remove("employeeLeaveDateTime");
    full.insert(
        "userPrincipalName".to_owned(),
        json!(format!(
            "{}{}",
            u.id.replace('-', ""),
            u.user_principal_name
        )),
    );
    full.insert(
        "deletedDateTime".to_owned(),
        json!(u.deleted_date_time.as_ref().map(ts)),
    );
    full.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
    let mut defaults = USER_DEFAULTS.to_vec();
    defaults.push("deletedDateTime");
    project(
        &full,
        q.select.as_deref(),
        &defaults,
        "microsoft.graph.user",
    )
    .map_err(q_err)
}

/// `GET /directory/deletedItems/{id}`.
pub(super) fn get_deleted_item(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_READ)?;
    let u = t
        .deleted_users
        .iter()
        .find(|u| u.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| ApiError::not_found(id))?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context("directoryObjects/$entity")),
    );
    out.extend(deleted_json(t, u, q)?);
    Ok(SimResponse::ok(Value::Object(out)))
}

/// `GET /directory/deletedItems/microsoft.graph.user`: the deleted users, in pages.
pub(super) fn list_deleted_users(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_READ)?;
    let items = t
        .deleted_users
        .iter()
        .map(|u| deleted_json(t, u, q).map(Value::Object))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        select_context("directoryObjects", q, "/microsoft.graph.user"),
        items,
    )))
}
