//! `hold-mailbox`: the leaver's mailbox is put on litigation hold before any licence goes,
//! so that it becomes an inactive mailbox (kept, searchable) when the account is deleted,
//! instead of being purged with it.
//!
//! **When it applies.** Planned when the leaver has a mailbox and the policy asks for a hold
//! (`mailbox_hold = "litigation"`), after `stop-forwarding` and before `remove-groups` and
//! `remove-licences` (group removal can take a group-based licence with it).
//!
//! **Licensing.** Litigation hold needs Exchange Online (Plan 2) — in Microsoft 365 E3/E5 and
//! Office 365 E3/E5 — or Exchange Online (Plan 1) with the Exchange Online Archiving add-on.
//! The step reads the leaver's licences first (`GET /users/{id}/licenseDetails`); without
//! such a plan it is an **exception** that names what to assign — never silently skipped.
//!
//! **Act.** `Get-Mailbox`. Already on hold for the policy's duration: nothing to write, so a
//! replay changes nothing. Otherwise `Set-Mailbox -LitigationHoldEnabled $true
//! -LitigationHoldDuration {days|unlimited}` (Exchange's Legal Hold role: the Compliance
//! Administrator directory role). No mailbox: not applicable.
//!
//! **Verify.** `Get-Mailbox` again; expected `LitigationHoldEnabled = true` and the duration.
//!
//! **Evidence.** One action: the cmdlet (or the read) with status, Exchange's request id,
//! the read-back and the licence plans that allowed it.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::exchange::Mailbox;

use super::common::{
    Attempt, EXCHANGE, INVOKE_COMMAND, mailbox_or_report, read_back, read_until, upn, user_id,
};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Service plans that allow litigation hold.
const HOLD_PLANS: &[&str] = &["EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_ARCHIVE_ADDON"];

/// Puts the mailbox on litigation hold.
#[derive(Debug, Clone)]
pub struct HoldMailbox {
    tenant: Arc<Tenant>,
}

impl HoldMailbox {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// The duration in days as text, or `Unlimited`.
fn duration_text(days: Option<u32>) -> String {
    days.map_or("Unlimited".to_owned(), |d| d.to_string())
}

/// Exchange shows a duration as a time span (`2555.00:00:00`) or `Unlimited`: the days.
fn duration_days(shown: &str) -> String {
    if shown.eq_ignore_ascii_case("unlimited") {
        "Unlimited".to_owned()
    } else {
        shown.split('.').next().unwrap_or(shown).trim().to_owned()
    }
}

fn observed(m: &Mailbox) -> serde_json::Value {
    json!({
        "LitigationHoldEnabled": m.litigation_hold_enabled.unwrap_or(false),
        "LitigationHoldDuration": m.litigation_hold_duration.as_deref().map(duration_days),
    })
}

#[async_trait]
impl StepAction for HoldMailbox {
    fn kind(&self) -> StepKind {
        StepKind::HoldMailbox
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let exo = &self.tenant.exchange;
        let graph = &self.tenant.graph;
        let who = upn(ctx);
        let id = user_id(ctx);
        let targets = vec![id.to_owned(), who.to_owned()];
        let days = ctx.policy.mailbox_hold_days;
        let expected = json!({
            "LitigationHoldEnabled": true,
            "LitigationHoldDuration": duration_text(days),
        });
        let held = |m: &Mailbox| observed(m) == expected;

        // Read first.
        let read = Attempt::new(
            EXCHANGE,
            "mailbox already on litigation hold",
            targets.clone(),
        )
        .request(
            "POST",
            format!("{INVOKE_COMMAND} Get-Mailbox -Identity {who}"),
        );
        let before = match mailbox_or_report(&read, exo.get_mailbox(who).await)? {
            Ok(r) => r,
            Err(not_applicable) => return Ok(not_applicable),
        };
        if held(&before.value) {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(expected, observed(&before.value)),
                Some(json!({ "changed": false })),
            )]));
        }

        // The licence the hold needs.
        let lic = Attempt::new(
            EXCHANGE,
            "put the mailbox on litigation hold",
            targets.clone(),
        )
        .request("GET", format!("/users/{id}/licenseDetails"));
        let licences = graph
            .license_details(id)
            .await
            .map_err(|e| lic.clone().fail(&e))?;
        let plans: Vec<String> = licences
            .value
            .iter()
            .flat_map(|l| l.service_plans.iter())
            .filter(|p| HOLD_PLANS.contains(&p.service_plan_name.as_str()))
            .filter(|p| p.provisioning_status.as_deref() != Some("Disabled"))
            .map(|p| p.service_plan_name.clone())
            .collect();
        if plans.is_empty() {
            let held_by: Vec<&str> = licences
                .value
                .iter()
                .map(|l| l.sku_part_number.as_str())
                .collect();
            return Ok(StepReport::from_actions(vec![lic.exception(
                format!(
                    "litigation hold needs Exchange Online (Plan 2), or Plan 1 with the Exchange Online Archiving add-on, and the leaver holds neither (licences: {}); assign one (e.g. Exchange Online Archiving) and retry the step before any licence is removed, or set mailbox_hold = \"none\" in the policy if the mailbox need not outlive the account",
                    if held_by.is_empty() { "none".to_owned() } else { held_by.join(", ") }
                ),
                Some(licences.status),
                licences.request_id,
                Some(read_back(expected, observed(&before.value))),
                None,
            )]));
        }

        let act = Attempt::new(EXCHANGE, "put the mailbox on litigation hold", targets).request(
            "POST",
            format!(
                "{INVOKE_COMMAND} Set-Mailbox -Identity {who} -LitigationHoldEnabled $true -LitigationHoldDuration {}",
                duration_text(days)
            ),
        );
        let done = exo
            .set_litigation_hold(who, days)
            .await
            .map_err(|e| act.clone().fail(&e))?;

        // Verify.
        let after = read_until(|| exo.get_mailbox(who), |m| held(m))
            .await
            .map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(expected, observed(&after.value)),
            Some(json!({
                "changed": true,
                "previous": observed(&before.value),
                "licencePlans": plans,
                "licenceRequestId": licences.request_id,
                "readBackRequestId": after.request_id,
            })),
        )]))
    }
}

#[cfg(test)]
mod tests {
    use super::duration_days;

    #[test]
    fn a_time_span_reads_as_its_days() {
        assert_eq!(duration_days("2555.00:00:00"), "2555");
        assert_eq!(duration_days("Unlimited"), "Unlimited");
        assert_eq!(duration_days("unlimited"), "Unlimited");
    }
}
