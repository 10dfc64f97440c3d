//! `convert-mailbox`: the leaver's mailbox becomes a shared mailbox, which keeps its mail
//! without a licence.
//!
//! **When it applies.** Planned when the leaver has a mailbox, after sign-in is cut and before
//! any licence goes (`offboard_core::plan::build`): removing the Exchange licence starts the
//! 30-day deletion clock of a user mailbox, not of a shared one.
//!
//! **Act.** `Get-Mailbox -Identity {upn}` in Exchange Online. No mailbox: not applicable.
//! Already `SharedMailbox`: nothing to write, so a replay changes nothing. Otherwise
//! `Set-Mailbox -Identity {upn} -Type Shared` (`Exchange.ManageAsApp` and an Exchange
//! recipient role). A shared mailbox over 50 GB still needs a licence; Exchange enforces that,
//! not this step.
//!
//! **Verify.** `Get-Mailbox` again; expected `RecipientTypeDetails = SharedMailbox`.
//!
//! **Evidence.** One action: the cmdlet (or the read, when already shared) with status and
//! Exchange's request id, and the read-back.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;

use super::common::{
    Attempt, EXCHANGE, INVOKE_COMMAND, mailbox_or_report, read_back, read_until, upn, user_id,
};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Converts the mailbox to shared.
#[derive(Debug, Clone)]
pub struct ConvertMailbox {
    tenant: Arc<Tenant>,
}

impl ConvertMailbox {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for ConvertMailbox {
    fn kind(&self) -> StepKind {
        StepKind::ConvertMailbox
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let exo = &self.tenant.exchange;
        let who = upn(ctx);
        let targets = vec![user_id(ctx).to_owned(), who.to_owned()];
        let expected = json!({ "RecipientTypeDetails": "SharedMailbox" });

        // Act: read first.
        let read = Attempt::new(EXCHANGE, "mailbox already shared", targets.clone()).request(
            "POST",
            format!("{INVOKE_COMMAND} Get-Mailbox -Identity {who}"),
        );
        let before = match mailbox_or_report(&read, exo.get_mailbox(who).await)? {
            Ok(r) => r,
            Err(not_applicable) => return Ok(not_applicable),
        };
        if before.value.is_shared() {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(
                    expected,
                    json!({ "RecipientTypeDetails": before.value.recipient_type_details }),
                ),
                Some(json!({ "changed": false })),
            )]));
        }

        let act = Attempt::new(EXCHANGE, "convert the mailbox to shared", targets).request(
            "POST",
            format!("{INVOKE_COMMAND} Set-Mailbox -Identity {who} -Type Shared"),
        );
        let done = exo
            .convert_to_shared(who)
            .await
            .map_err(|e| act.clone().fail(&e))?;

        // Verify.
        let after = read_until(|| exo.get_mailbox(who), |m| m.is_shared())
            .await
            .map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(
                expected,
                json!({ "RecipientTypeDetails": after.value.recipient_type_details }),
            ),
            Some(json!({
                "changed": true,
                "previous": before.value.recipient_type_details,
                "readBackRequestId": after.request_id,
            })),
        )]))
    }
}
