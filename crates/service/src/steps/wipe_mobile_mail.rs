//! `wipe-mobile-mail`: phones that sync the leaver's mail lose it — company mail only, never
//! the whole phone unless the policy says so — and the partnership goes once the phone has
//! taken the wipe.
//!
//! **When it applies.** Planned when the leaver has a mailbox and the policy's `mobile_wipe`
//! is `account_only` or `full`, after `stop-forwarding`.
//!
//! **Act.** `Get-MobileDeviceStatistics -Mailbox {upn}` lists each Exchange ActiveSync /
//! Outlook mobile partnership with its wipe state. For a partnership without a wipe:
//! `Clear-MobileDevice -Identity {device} -AccountOnly` (`full`: without `-AccountOnly`;
//! Outlook mobile only ever takes an account-only wipe). Once the phone has acknowledged the
//! wipe (`DeviceWipeAckTime`): `Remove-MobileDevice -Identity {device}`. A partnership
//! removed before the phone picked the wipe up would drop the wipe, so a pending wipe is
//! re-checked every minute for a day (the step waits, as `verify-cloud-disabled` does);
//! after that it is an exception naming the phone, its partnership kept so the wipe still
//! reaches it. Nothing left: nothing to write, so a replay changes nothing. No mailbox: not
//! applicable.
//!
//! **Verify.** The statistics again (wipe requested, account-only as asked) and the
//! partnership list (each wiped one gone).
//!
//! **Evidence.** One action per phone: the wipe and the removal, with both read-backs.

use async_trait::async_trait;
use chrono::TimeDelta;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

use offboard_core::plan::StepKind;
use offboard_core::policy::MobileWipe;
use offboard_graph::MobileDevice;

use super::common::{
    Attempt, EXCHANGE, INVOKE_COMMAND, mailbox_or_report, read_back, read_back_if, upn, user_id,
};
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// How often a pending wipe is looked at again.
const RECHECK: Duration = Duration::from_secs(60);
/// How long a phone may take to pick the wipe up before a person is asked.
const WIPE_WINDOW: TimeDelta = TimeDelta::hours(24);

/// Wipes the leaver's mobile mail and removes the partnerships.
#[derive(Debug, Clone)]
pub struct WipeMobileMail {
    tenant: Arc<Tenant>,
}

impl WipeMobileMail {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

fn name(d: &MobileDevice) -> String {
    format!(
        "{} ({}, {})",
        d.device_model.as_deref().unwrap_or("phone"),
        d.device_os.as_deref().unwrap_or("?"),
        d.client_type.as_deref().unwrap_or("?")
    )
}

fn state(d: Option<&MobileDevice>) -> serde_json::Value {
    match d {
        None => json!({ "partnership": "removed" }),
        Some(d) => json!({
            "partnership": "present",
            "status": d.status,
            "wipeRequested": d.device_wipe_request_time.is_some(),
            "wipeAcknowledged": d.device_wipe_ack_time.is_some(),
            "accountOnly": d.device_wipe_account_only,
        }),
    }
}

#[async_trait]
impl StepAction for WipeMobileMail {
    fn kind(&self) -> StepKind {
        StepKind::WipeMobileMail
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let exo = &self.tenant.exchange;
        let who = upn(ctx);
        let targets = vec![user_id(ctx).to_owned(), who.to_owned()];
        let account_only = ctx.policy.mobile_wipe != MobileWipe::Full;
        let stats = format!("{INVOKE_COMMAND} Get-MobileDeviceStatistics -Mailbox {who}");

        let read = Attempt::new(EXCHANGE, "no mobile mail partnership left", targets.clone())
            .request("POST", stats.clone());
        let before = match mailbox_or_report(&read, exo.mobile_device_statistics(who).await)? {
            Ok(r) => r,
            Err(not_applicable) => return Ok(not_applicable),
        };
        if before.value.is_empty() {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(json!({ "partnerships": 0 }), json!({ "partnerships": 0 })),
                Some(json!({ "changed": false })),
            )]));
        }

        // Wipe every partnership that has none yet.
        let mut wiped: Vec<(String, u16, Option<String>)> = Vec::new();
        for d in before
            .value
            .iter()
            .filter(|d| d.device_wipe_request_time.is_none())
        {
            let mut t = targets.clone();
            t.push(d.identity.clone());
            let act = Attempt::new(EXCHANGE, format!("wipe company mail from {}", name(d)), t)
                .request(
                    "POST",
                    format!(
                        "{INVOKE_COMMAND} Clear-MobileDevice -Identity {}{}",
                        d.identity,
                        if account_only { " -AccountOnly" } else { "" }
                    ),
                );
            let done = exo
                .wipe_mobile_device(&d.identity, account_only, who)
                .await
                .map_err(|e| act.fail(&e))?;
            wiped.push((d.identity.clone(), done.status, done.request_id));
        }

        // Read the wipe states back; remove what the phone has taken.
        let now_state = exo
            .mobile_device_statistics(who)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let mut actions: Vec<ActionEvidence> = Vec::new();
        let mut pending: Vec<String> = Vec::new();
        for d in &now_state.value {
            let sent = wiped.iter().find(|(i, _, _)| *i == d.identity);
            let mut t = targets.clone();
            t.push(d.identity.clone());
            if d.device_wipe_request_time.is_none()
                || d.device_wipe_account_only
                    .is_some_and(|a| a != account_only)
            {
                let act = Attempt::new(EXCHANGE, format!("wipe company mail from {}", name(d)), t)
                    .request("POST", stats.clone());
                actions.push(act.checked(
                    now_state.status,
                    now_state.request_id.clone(),
                    read_back_if(
                        json!({ "wipeRequested": true, "accountOnly": account_only }),
                        state(Some(d)),
                        false,
                    ),
                    None,
                ));
                continue;
            }
            if d.device_wipe_ack_time.is_none() {
                pending.push(name(d));
                continue;
            }
            let act = Attempt::new(
                EXCHANGE,
                format!(
                    "remove the mobile partnership of {} after its wipe",
                    name(d)
                ),
                t,
            )
            .request(
                "POST",
                format!(
                    "{INVOKE_COMMAND} Remove-MobileDevice -Identity {}",
                    d.identity
                ),
            );
            let done = exo
                .remove_mobile_device(&d.identity, who)
                .await
                .map_err(|e| act.clone().fail(&e))?;
            let after = exo
                .mobile_device_statistics(who)
                .await
                .map_err(|e| act.clone().fail(&e))?;
            let left = after.value.iter().find(|x| x.identity == d.identity);
            actions.push(act.checked(
                done.status,
                done.request_id,
                read_back(json!({ "partnership": "removed" }), state(left)),
                Some(json!({
                    "changed": true,
                    "wipe": state(Some(d)),
                    "wipeRequestedNow": sent.is_some(),
                    "wipeRequestId": sent.and_then(|s| s.2.clone()),
                    "accountOnly": account_only,
                    "readBackRequestId": after.request_id,
                })),
            ));
        }
        if !pending.is_empty() {
            if ctx.now - ctx.since < WIPE_WINDOW {
                return Err(StepFailure::Throttled {
                    retry_after: RECHECK,
                    detail: format!(
                        "waiting for {} to pick up the wipe (partnership kept until then)",
                        pending.join(", ")
                    ),
                });
            }
            actions.push(read.exception(
                format!(
                    "{} did not pick up the wipe within {} hours; the partnership is kept so the wipe still reaches the phone when it connects — block it in Exchange (Set-CASMailbox -ActiveSyncEnabled $false) or retry the step later",
                    pending.join(", "),
                    WIPE_WINDOW.num_hours()
                ),
                Some(now_state.status),
                now_state.request_id.clone(),
                None,
                None,
            ));
        }
        Ok(StepReport::from_actions(actions))
    }
}
