//! Inbox rules and the organisation's verified domains, from the Graph v1.0 reference:
//!
//! - `GET /users/{id}/mailFolders/inbox/messageRules` (messagerule-list: application
//!   `MailboxSettings.Read`, higher `MailboxSettings.ReadWrite`), a collection of `messageRule`;
//! - `PATCH /users/{id}/mailFolders/inbox/messageRules/{id}` (messagerule-update:
//!   `MailboxSettings.ReadWrite`; "If successful, this method returns a 200 OK response code
//!   and updated messageRule object in the response body");
//! - `GET /organization` (organization-get: application `Organization.Read.All`), whose
//!   `verifiedDomains` are `verifiedDomain` objects (`capabilities`, `isDefault`,
//!   `isInitial`, `name`, `type`).

use super::*;

fn rule_json(r: &crate::mailbox_doors::MessageRule) -> Value {
    json!({
        "id": r.id,
        "displayName": r.display_name,
        "sequence": r.sequence,
        "isEnabled": r.is_enabled,
        "hasError": false,
        "isReadOnly": false,
        "conditions": if r.conditions.is_null() { json!({}) } else { r.conditions.clone() },
        "actions": if r.actions.is_null() { json!({}) } else { r.actions.clone() },
    })
}

fn inbox_of<'t>(t: &'t Tenant, id: &str) -> Result<(String, &'t Mailbox), ApiError> {
    let u = find_user(t, id)?;
    let m = t.mailbox(&u.id).ok_or_else(no_mailbox)?;
    Ok((u.id.clone(), m))
}

pub(super) fn list_rules(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::MAILBOX_SETTINGS_READ, outlook_denied)?;
    let (uid, m) = inbox_of(t, id)?;
    let mut rules = m.doors.message_rules.clone();
    rules.sort_by_key(|r| r.sequence);
    let items = rules.iter().map(rule_json).collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        format!("users('{uid}')/mailFolders('inbox')/messageRules"),
        items,
    )))
}

pub(super) fn patch_rule(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    rule: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::MAILBOX_SETTINGS_WRITE, outlook_denied)?;
    let body = body_obj(req)?.clone();
    let uid = inbox_of(t, id)?.0;
    let m = t.mailbox_mut(&uid).ok_or_else(no_mailbox)?;
    let r = m
        .doors
        .message_rules
        .iter_mut()
        .find(|r| r.id == rule)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            )
        })?;
    for (k, v) in body.iter().filter(|(k, _)| !k.starts_with('@')) {
        match (k.as_str(), v) {
            ("isEnabled", Value::Bool(b)) => r.is_enabled = *b,
            ("displayName", Value::String(s)) => r.display_name = s.clone(),
            ("sequence", Value::Number(n)) => r.sequence = n.as_i64().unwrap_or(r.sequence),
            ("conditions", v @ Value::Object(_)) => r.conditions = v.clone(),
            ("actions", v @ Value::Object(_)) => r.actions = v.clone(),
            _ => {
                return Err(ApiError::new(
                    400,
                    "RequestBodyRead",
                    format!(
                        "The property '{k}' does not exist on type 'microsoft.graph.messageRule' or has a value of the wrong type."
                    ),
                ));
            }
        }
    }
    let mut out = rule_json(r).as_object().cloned().unwrap_or_default();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&format!(
            "users('{uid}')/mailFolders('inbox')/messageRules/$entity"
        ))),
    );
    Ok(SimResponse::ok(Value::Object(out)))
}

pub(super) fn organization(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ORGANIZATION_READ)?;
    let initial = format!(
        "{}.onmicrosoft.com",
        t.domain.split('.').next().unwrap_or("tenant")
    );
    let domain = |name: &str, default: bool, initial: bool| {
        json!({
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": default,
            "isInitial": initial,
            "name": name,
            "type": "Managed",
        })
    };
    let org = json!({
        "id": t.tenant_id,
        "displayName": "Contoso",
        "verifiedDomains": [domain(&t.domain, true, false), domain(&initial, false, true)],
    });
    let item = match &q.select {
        Some(fields) => {
            let mut o = Map::new();
            o.insert("id".to_owned(), org["id"].clone());
            for f in fields {
                if let Some(v) = org.get(f) {
                    o.insert(f.clone(), v.clone());
                }
            }
            Value::Object(o)
        }
        None => org,
    };
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        select_context("organization", q, ""),
        vec![item],
    )))
}
