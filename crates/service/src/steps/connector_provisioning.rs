//! `connector:<name>` for an `entra-provisioning` connector: a system that Entra ID's own
//! provisioning service feeds (an enterprise application with automatic provisioning: Slack,
//! Zoom, ServiceNow, …) no longer holds the leaver's account enabled.
//!
//! **When it applies.** Planned for every such connector in the connector file, after the
//! cloud account's disable — `block-sign-in`, or `verify-cloud-disabled` for a synced leaver
//! (`core::plan::PlannedConnector`, `ConnectorAfter::CloudDisabled`): the provisioning service
//! disables the user downstream when Entra shows them disabled (or unassigned), so that is what
//! this step waits for.
//!
//! **Act.** Nothing is sent to the system: offboard does not hold its credentials, Entra does.
//! So a replay changes nothing anywhere.
//!
//! **Verify.** Read Entra's provisioning logs for the app and the leaver (`GET
//! /auditLogs/provisioning?$filter=servicePrincipal/id eq '…' and sourceIdentity/id eq '…'`,
//! every page). The first `disable` or `delete` that ended in `success` (or `warning`) since the
//! case opened (any time, when the account was already disabled at planning) is the system's
//! verified removal, at the service's own `activityDateTime`. None yet, or only failures,
//! within the connector's `wait_minutes` (counted from when the step first ran): the step asks
//! the engine to look again in a minute ([`StepFailure::Throttled`], no worker sleeps). None
//! after the window: an **exception** that says what was (not) seen and what to do — check
//! the app's provisioning (job running, not in quarantine, the leaver in scope) or remove the
//! account by hand — with a remediation item; a retry after the fix reads the logs again.
//!
//! **Evidence.** One record. Verified: the provisioning service's action as the removal —
//! started and ended at its `activityDateTime`, the entry's id, job and the target system's id
//! in the details with when offboard read it (`readAt`), the read's status and Graph's request
//! id. Exception: the read, with the failures seen (their reasons, as the service gave them).

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

use offboard_core::evidence::millis;
use offboard_core::plan::{ConnectorName, StepKind};
use offboard_graph::{ProvisioningObjectSummary, ProvisioningResult};

use super::common::{Attempt, RECHECK_EVERY, read_back_if, user_id};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport, TargetSystem};
use crate::m365::Tenant;
use crate::settings::ProvisionedApp;

/// How far before the case opened a provisioning entry still counts (clocks of two services).
const SKEW: TimeDelta = TimeDelta::minutes(5);

/// Verifies, from Entra's provisioning logs, that the provisioning service removed the leaver
/// from one system it feeds.
pub struct ProvisioningConnectorStep {
    name: ConnectorName,
    app: ProvisionedApp,
    tenant: Arc<Tenant>,
}

impl ProvisioningConnectorStep {
    /// The step of connector `name` for the provisioned `app`, reading the logs on `tenant`.
    pub fn new(name: ConnectorName, app: ProvisionedApp, tenant: Arc<Tenant>) -> Self {
        Self { name, app, tenant }
    }
}

/// Whether the service's action ended the leaver's access.
fn removed(e: &ProvisioningObjectSummary) -> bool {
    e.provisioning_action.is_some_and(|a| a.removes_access())
        && matches!(
            e.status(),
            Some(ProvisioningResult::Success | ProvisioningResult::Warning)
        )
}

/// An entry as evidence shows it.
fn summary(e: &ProvisioningObjectSummary) -> Value {
    json!({
        "id": e.id,
        "activityDateTime": millis::text(e.activity_date_time),
        "provisioningAction": e.provisioning_action,
        "status": e.status(),
        "reason": e.failure_reason(),
        "jobId": e.job_id,
        "targetId": e.target_identity.as_ref().and_then(|t| t.id.clone()),
    })
}

#[async_trait]
impl StepAction for ProvisioningConnectorStep {
    fn kind(&self) -> StepKind {
        StepKind::Connector(self.name)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let (name, app) = (self.name, &self.app);
        let id = user_id(ctx);
        let read = Attempt::new(
            TargetSystem::Connector(name),
            format!("disabled in {} by Entra ID's provisioning service", app.display_name),
            vec![id.to_owned()],
        )
        .request(
            "GET",
            format!(
                "/auditLogs/provisioning?$filter=servicePrincipal/id eq '{}' and sourceIdentity/id eq '{id}'",
                app.service_principal_id
            ),
        );
        let reply = self
            .tenant
            .graph
            .provisioning_events(&app.service_principal_id, id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let read_at = Utc::now();
        // An account already disabled when planned may have been deprovisioned before the case
        // opened; otherwise only what the service did since counts (an older disable was undone
        // when the account was enabled again).
        let since: Option<DateTime<Utc>> = ctx
            .facts
            .account_enabled
            .then(|| ctx.case.created_at - SKEW);
        let mut entries: Vec<&ProvisioningObjectSummary> = reply
            .value
            .iter()
            .filter(|e| e.provisioning_action.is_some_and(|a| a.removes_access()))
            .filter(|e| since.is_none_or(|s| e.activity_date_time >= s))
            .collect();
        entries.sort_by_key(|e| e.activity_date_time);
        let expected = json!({ "provisioningAction": ["disable", "delete"], "status": "success" });
        let waited = (ctx.now - ctx.since).max(TimeDelta::zero());
        let window = TimeDelta::minutes(i64::from(app.wait_minutes));
        let base = json!({
            "servicePrincipalId": app.service_principal_id,
            "app": app.display_name,
            "readAt": millis::text(read_at),
            "minutesWaited": waited.num_minutes(),
            "waitMinutes": app.wait_minutes,
        });
        let with = |mut details: Value, key: &str, v: Value| {
            if let Some(o) = details.as_object_mut() {
                o.insert(key.to_owned(), v);
            }
            details
        };

        if let Some(done) = entries.iter().find(|e| removed(e)) {
            let mut ev = read.checked(
                reply.status,
                reply.request_id,
                read_back_if(expected, summary(done), true),
                Some(with(base, "provisioningEntry", summary(done))),
            );
            // The removal is the provisioning service's, at its time: that is what the case,
            // the report and the index show for this system.
            ev.started_at = done.activity_date_time;
            ev.ended_at = done.activity_date_time;
            return Ok(StepReport::from_actions(vec![ev]));
        }

        let failures: Vec<Value> = entries.iter().map(|e| summary(e)).collect();
        let last_failure = entries.last().and_then(|e| e.failure_reason());
        let seen = match &last_failure {
            Some(r) => format!(
                "Entra ID's provisioning service tried to remove the leaver from {} and failed ({} attempt(s), last: {r})",
                app.display_name,
                failures.len()
            ),
            None if !failures.is_empty() => format!(
                "Entra ID's provisioning service logged {} unsuccessful disable or delete in {}",
                failures.len(),
                app.display_name
            ),
            None => format!(
                "no disable or delete of the leaver in {} in Entra ID's provisioning logs",
                app.display_name
            ),
        };
        if waited < window {
            let left = (window - waited).to_std().unwrap_or_default() + Duration::from_secs(1);
            return Err(StepFailure::Throttled {
                retry_after: RECHECK_EVERY.min(left),
                detail: format!(
                    "waiting for Entra ID's provisioning service ({name}): {seen} after {} of {} minutes",
                    waited.num_minutes(),
                    app.wait_minutes
                ),
            });
        }
        let observed = entries
            .last()
            .map(|e| summary(e))
            .unwrap_or_else(|| json!({ "provisioningEntry": null }));
        let ev = read.exception(
            format!(
                "{name}: {seen} within {} minutes of the cloud account's disable. Check the app's provisioning in Entra ID (Enterprise applications > {} > Provisioning: the job is running and not in quarantine, the leaver was in its scope; the provisioning logs say why), or remove the leaver's account in {} by hand; then retry this step",
                app.wait_minutes, app.display_name, app.display_name
            ),
            Some(reply.status),
            reply.request_id,
            Some(read_back_if(expected, observed, false)),
            Some(with(base, "unsuccessful", Value::Array(failures))),
        );
        Ok(StepReport::from_actions(vec![ev]).with_remediation())
    }
}
