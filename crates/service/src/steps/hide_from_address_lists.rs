//! `hide-from-address-lists`: the leaver's mailbox no longer appears in the global address list,
//! so colleagues stop picking it.
//!
//! **When it applies.** Planned for a cloud-only leaver with a mailbox, after
//! `convert-mailbox` (`offboard_core::plan::build`). For a synced leaver the flag is mastered
//! in AD (`msExchHideFromAddressLists`, set by `ad-cleanup`); run on one anyway, this step
//! records Exchange's refusal as an exception.
//!
//! **Act.** `Get-Mailbox -Identity {upn}`. Already hidden: nothing to write, so a replay
//! changes nothing. Otherwise `Set-Mailbox -Identity {upn} -HiddenFromAddressListsEnabled
//! $true`. No mailbox: not applicable.
//!
//! **Verify.** `Get-Mailbox` again; expected `HiddenFromAddressListsEnabled = true`.
//!
//! **Evidence.** One action: the cmdlet (or the read, when already hidden) with status and
//! Exchange's request id, and the read-back.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{GraphError, NotApplicableReason};

use super::common::{
    Attempt, EXCHANGE, INVOKE_COMMAND, mailbox_or_report, read_back, read_until, upn, user_id,
};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Hides the mailbox from address lists.
#[derive(Debug, Clone)]
pub struct HideFromAddressLists {
    tenant: Arc<Tenant>,
}

impl HideFromAddressLists {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for HideFromAddressLists {
    fn kind(&self) -> StepKind {
        StepKind::HideFromAddressLists
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let exo = &self.tenant.exchange;
        let who = upn(ctx);
        let targets = vec![user_id(ctx).to_owned(), who.to_owned()];
        let expected = json!({ "HiddenFromAddressListsEnabled": true });
        let hidden = |m: &offboard_graph::exchange::Mailbox| {
            m.hidden_from_address_lists_enabled == Some(true)
        };

        // Act: read first.
        let read = Attempt::new(EXCHANGE, "mailbox already hidden", targets.clone()).request(
            "POST",
            format!("{INVOKE_COMMAND} Get-Mailbox -Identity {who}"),
        );
        let before = match mailbox_or_report(&read, exo.get_mailbox(who).await)? {
            Ok(r) => r,
            Err(not_applicable) => return Ok(not_applicable),
        };
        if hidden(&before.value) {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(expected, json!({ "HiddenFromAddressListsEnabled": true })),
                Some(json!({ "changed": false })),
            )]));
        }

        let act = Attempt::new(EXCHANGE, "hide the mailbox from address lists", targets).request(
            "POST",
            format!(
                "{INVOKE_COMMAND} Set-Mailbox -Identity {who} -HiddenFromAddressListsEnabled $true"
            ),
        );
        let done = match exo.set_hidden_from_address_lists(who, true).await {
            Ok(r) => r,
            Err(GraphError::NotApplicable {
                reason: NotApplicableReason::SyncedFromOnPremises,
                info,
            }) => {
                return Ok(StepReport::from_actions(vec![act.exception(
                    "the address-list flag of an account synced from on-premises AD is mastered there: set msExchHideFromAddressLists in AD (ad-cleanup) and let directory sync carry it",
                    info.status,
                    info.request_id,
                    Some(read_back(
                        expected,
                        json!({ "HiddenFromAddressListsEnabled": before.value.hidden_from_address_lists_enabled }),
                    )),
                    None,
                )]));
            }
            Err(e) => return Err(act.fail(&e)),
        };

        // Verify.
        let after = read_until(|| exo.get_mailbox(who), |m| hidden(m))
            .await
            .map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(
                expected,
                json!({ "HiddenFromAddressListsEnabled": after.value.hidden_from_address_lists_enabled }),
            ),
            Some(json!({ "changed": true, "readBackRequestId": after.request_id })),
        )]))
    }
}
