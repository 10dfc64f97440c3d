//! Entra ID's provisioning logs: `GET /auditLogs/provisioning`, shaped as "List
//! provisioningObjectSummary" (v1.0) documents it. Application permission `AuditLog.Read.All`;
//! `$filter` on the attributes the reference lists (`eq`, joined with `and`), among them
//! `servicePrincipal/id` and `sourceIdentity/id`; newest first; `$top` and `$skiptoken`
//! paging. The entries are written by the simulated provisioning service (`provisioning.rs`).

use super::*;

/// The attributes the reference says `$filter` supports (the simulator serves `eq`).
const FILTERABLE: &[&str] = &[
    "id",
    "activityDateTime",
    "tenantId",
    "jobId",
    "changeId",
    "cycleId",
    "provisioningAction",
    "provisioningStatusInfo/status",
    "sourceSystem/displayName",
    "targetSystem/displayName",
    "sourceIdentity/identityType",
    "targetIdentity/identityType",
    "sourceIdentity/id",
    "targetIdentity/id",
    "sourceIdentity/displayName",
    "targetIdentity/displayName",
    "servicePrincipal/id",
    "servicePrincipal/displayName",
];

fn entry_json(tenant_id: &str, e: &ProvisioningLogEntry) -> Value {
    let error = e.error_reason.as_ref().map(|reason| {
        json!({
            "errorCategory": "failure",
            "errorCode": "SystemForCrossDomainIdentityManagementServiceIncompatible",
            "reason": reason,
            "additionalDetails": null,
            "recommendedAction": "Check the target application's SCIM endpoint and the provisioning job's credentials.",
        })
    });
    json!({
        "id": e.id,
        "activityDateTime": ts(&e.activity_date_time),
        "tenantId": tenant_id,
        "jobId": e.job_id,
        "cycleId": uuid::Uuid::new_v4().to_string(),
        "changeId": uuid::Uuid::new_v4().to_string(),
        "durationInMilliseconds": 412,
        "initiatedBy": {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"},
        "provisioningAction": e.provisioning_action,
        "provisioningStatusInfo": {"status": e.status, "errorInformation": error},
        "provisioningSteps": [],
        "modifiedProperties": [],
        "servicePrincipal": {"id": e.service_principal_id, "displayName": e.service_principal_name},
        "sourceIdentity": {"id": e.source_id, "displayName": e.source_name, "identityType": "User", "details": null},
        "sourceSystem": {"id": "", "displayName": "Microsoft Entra ID", "details": null},
        "targetIdentity": {"id": "", "displayName": e.source_name, "identityType": "urn:ietf:params:scim:schemas:core:2.0:User", "details": null},
        "targetSystem": {"id": "", "displayName": e.service_principal_name, "details": null},
    })
}

pub(super) fn list_provisioning(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::PROVISIONING_LOGS_READ)?;
    if let Some(f) = &q.filter {
        for p in f.properties() {
            if !FILTERABLE.iter().any(|k| k.eq_ignore_ascii_case(&p)) {
                return Err(ApiError::new(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported Query.",
                ));
            }
        }
    }
    let mut entries: Vec<&ProvisioningLogEntry> = t.provisioning_logs.iter().collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.activity_date_time));
    let items: Vec<Value> = entries
        .into_iter()
        .map(|e| entry_json(&t.tenant_id, e))
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
        "auditLogs/provisioning".to_owned(),
        items,
    )))
}
