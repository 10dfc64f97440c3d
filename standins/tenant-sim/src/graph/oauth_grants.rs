//! Delegated permission grants (`oauth2PermissionGrants`): listing them with `$filter` on the
//! principal or the client, and deleting one. Follows "List oauth2PermissionGrants" and
//! "Delete oAuth2PermissionGrant" (v1.0): app-only listing needs `Directory.Read.All` or a
//! `DelegatedPermissionGrant` permission, deleting `DelegatedPermissionGrant.ReadWrite.All`
//! (or `Directory.ReadWrite.All`); a deleted grant stops new tokens, not issued ones.

use super::*;

fn grant_json(g: &OAuth2PermissionGrant) -> Value {
    json!({
        "id": g.id,
        "clientId": g.client_id,
        "consentType": g.consent_type,
        "principalId": g.principal_id,
        "resourceId": g.resource_id,
        "scope": g.scope,
    })
}

pub(super) fn list_oauth_grants(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::DELEGATED_GRANT_READ)?;
    if let Some(f) = &q.filter {
        for p in f.properties() {
            // The filterable properties the reference names ($filter, eq only).
            if !["clientId", "consentType", "principalId", "resourceId", "id"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&p))
            {
                return Err(ApiError::new(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported Query.",
                ));
            }
        }
    }
    let items: Vec<Value> = t
        .oauth2_permission_grants
        .iter()
        .map(grant_json)
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
        "oauth2PermissionGrants".to_owned(),
        items,
    )))
}

pub(super) fn delete_oauth_grant(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::DELEGATED_GRANT_WRITE)?;
    let pos = t
        .oauth2_permission_grants
        .iter()
        .position(|g| g.id == id)
        .ok_or_else(|| ApiError::not_found(id))?;
    t.oauth2_permission_grants.remove(pos);
    Ok(SimResponse::empty(204))
}
