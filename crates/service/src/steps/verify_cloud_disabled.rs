//! `verify-cloud-disabled`: the synced leaver's cloud account shows the AD disable.
//!
//! **When it applies.** Planned for accounts synced from on-premises AD, after `ad-disable`
//! and `revoke-sessions` (`offboard_core::plan::build`). Graph refuses to patch
//! `accountEnabled` on a synced account, so offboard disables it in AD and then watches Entra
//! ID until directory sync (Entra Connect or Cloud Sync, every 30 minutes by default) carries
//! it over.
//!
//! **Act.** Nothing to change: this step only reads, so a replay changes nothing.
//!
//! **Verify.** Read `accountEnabled` (`GET /users/{id}`). `false`: verified. Still `true`
//! within the sync window (`[sync] verify_window_minutes` of the policy, counted from when the
//! step was first started — right after the AD disable): the step asks the engine to look
//! again in about a minute ([`StepFailure::Throttled`] "waiting for directory sync", which
//! does not count as a failed attempt). Still `true` after the window: an exception — the
//! account is disabled on-premises but not in the cloud, so someone must check directory sync.
//! Still `true` while `ad-disable` did not end verified (the agent refused or rejected the
//! command, or could not be reached): there is nothing for directory sync to carry, so the
//! step fails at once naming what happened to the AD disable — never "check directory sync" —
//! and can be retried once `ad-disable` is.
//!
//! **Evidence.** One action: the read, its status and Graph's request id, expected
//! `accountEnabled=false` versus observed, and how long after the AD disable it was seen.

use async_trait::async_trait;
use chrono::TimeDelta;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

use offboard_core::evidence::Outcome;
use offboard_core::plan::{StepKind, StepStatus};

use super::common::{Attempt, ENTRA, RECHECK_EVERY, read_back, user_id};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Watches for directory sync to disable the cloud account.
#[derive(Debug, Clone)]
pub struct VerifyCloudDisabled {
    tenant: Arc<Tenant>,
    window: TimeDelta,
}

impl VerifyCloudDisabled {
    /// The step on `tenant`, giving directory sync `window_minutes` (the policy's
    /// `sync_verify_window_minutes`).
    pub fn new(tenant: Arc<Tenant>, window_minutes: u32) -> Self {
        Self {
            tenant,
            window: TimeDelta::minutes(i64::from(window_minutes)),
        }
    }
}

#[async_trait]
impl StepAction for VerifyCloudDisabled {
    fn kind(&self) -> StepKind {
        StepKind::VerifyCloudDisabled
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let id = user_id(ctx);
        let read = Attempt::new(
            ENTRA,
            "cloud account disabled by directory sync",
            vec![id.to_owned()],
        )
        .request("GET", format!("/users/{id}"));
        let user = self
            .tenant
            .graph
            .get_user(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let waited = (ctx.now - ctx.since).max(TimeDelta::zero());
        let minutes = waited.num_minutes();
        let expected = json!({ "accountEnabled": false });
        let observed = json!({ "accountEnabled": user.value.account_enabled });
        let details = json!({
            "minutesSinceAdDisable": minutes,
            "windowMinutes": self.window.num_minutes(),
            "onPremisesSyncEnabled": user.value.on_premises_sync_enabled,
        });
        if user.value.account_enabled == Some(false) {
            return Ok(StepReport::from_actions(vec![read.checked(
                user.status,
                user.request_id,
                read_back(expected, observed),
                Some(details),
            )]));
        }
        // Directory sync can only carry a disable that happened in AD.
        let ad = ctx.plan.step(StepKind::AdDisable);
        if let Some(ad) = ad.filter(|s| s.status.is_terminal() && s.status != StepStatus::Verified)
        {
            let why = ad.reason.as_deref().unwrap_or("no reason recorded");
            let mut e = read.exception(
                format!(
                    "cloud account still enabled, and the AD account was never disabled: ad-disable is {} ({why}); directory sync has nothing to carry. Resolve ad-disable (see its remediation item) and retry it, then retry this step",
                    ad.status.as_str()
                ),
                Some(user.status),
                user.request_id,
                Some(read_back(expected, observed)),
                Some(json!({
                    "adDisableStatus": ad.status.as_str(),
                    "adDisableReason": ad.reason,
                    "onPremisesSyncEnabled": user.value.on_premises_sync_enabled,
                })),
            );
            // Failed, not an exception: the goal is unmet and a person can fix it and retry.
            e.outcome = Outcome::Failed;
            return Ok(StepReport::from_actions(vec![e]));
        }
        if waited < self.window {
            // Look again in a minute, or just after the window closes if that is sooner.
            let left = (self.window - waited).to_std().unwrap_or_default() + Duration::from_secs(1);
            return Err(StepFailure::Throttled {
                retry_after: RECHECK_EVERY.min(left),
                detail: format!(
                    "waiting for directory sync: {} is disabled in AD but still enabled in Entra ID after {minutes} of {} minutes",
                    ctx.facts.user.user_principal_name.as_deref().unwrap_or(id),
                    self.window.num_minutes()
                ),
            });
        }
        Ok(StepReport::from_actions(vec![read.exception(
            format!(
                "cloud account still enabled {minutes} minutes after the AD disable: check directory sync (Entra Connect or Cloud Sync health, sync errors for this object, whether its OU is in scope), then retry the step"
            ),
            Some(user.status),
            user.request_id,
            Some(read_back(expected, observed)),
            Some(details),
        )]))
    }
}
