//! `mailbox-manager-access`: the leaver's manager can open the (now shared) mailbox.
//!
//! **When it applies.** Planned when the leaver has a mailbox and a manager and the policy
//! grants the manager access, after `convert-mailbox` and before any licence goes
//! (`offboard_core::plan::build`).
//!
//! **Act.** `Get-MailboxPermission -Identity {upn}`. The manager already holds `FullAccess`:
//! nothing to write, so a replay changes nothing. Otherwise
//! `Add-MailboxPermission -Identity {upn} -User {manager} -AccessRights FullAccess
//! -InheritanceType All -AutoMapping $true` (Exchange's default: the mailbox appears in the
//! manager's Outlook). No mailbox: not applicable.
//!
//! **Verify.** `Get-MailboxPermission` again; expected a `FullAccess` entry for the manager.
//!
//! **Evidence.** One action: the cmdlet (or the read, when the access was already there) with
//! status and Exchange's request id, and the read-back.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::exchange::MailboxPermission;

use super::common::{
    Attempt, EXCHANGE, INVOKE_COMMAND, mailbox_or_report, read_back, read_until, upn, user_id,
};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Gives the manager full access to the mailbox.
#[derive(Debug, Clone)]
pub struct MailboxManagerAccess {
    tenant: Arc<Tenant>,
}

impl MailboxManagerAccess {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

fn has_full_access(perms: &[MailboxPermission], names: &[&str]) -> bool {
    perms.iter().any(|p| {
        p.deny != Some(true)
            && p.user
                .as_deref()
                .is_some_and(|u| names.iter().any(|n| n.eq_ignore_ascii_case(u)))
            && p.access_rights
                .iter()
                .any(|r| r.eq_ignore_ascii_case("FullAccess"))
    })
}

#[async_trait]
impl StepAction for MailboxManagerAccess {
    fn kind(&self) -> StepKind {
        StepKind::MailboxManagerAccess
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let exo = &self.tenant.exchange;
        let who = upn(ctx);
        let Some(manager) = &ctx.facts.manager else {
            return Ok(StepReport::from_actions(vec![
                Attempt::new(
                    EXCHANGE,
                    "give the manager full access to the mailbox",
                    vec![user_id(ctx).to_owned()],
                )
                .not_applicable(
                    "the leaver has no manager in Entra ID: nobody to give access to",
                    None,
                    None,
                    None,
                ),
            ]));
        };
        let trustee = manager
            .user_principal_name
            .as_deref()
            .or(manager.mail.as_deref())
            .unwrap_or(&manager.id);
        let names: Vec<&str> = [
            manager.user_principal_name.as_deref(),
            manager.mail.as_deref(),
            Some(manager.id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let targets = vec![user_id(ctx).to_owned(), who.to_owned(), manager.id.clone()];
        let expected = json!({ "user": trustee, "accessRights": "FullAccess" });
        let observed = |perms: &[MailboxPermission]| {
            json!({
                "user": trustee,
                "accessRights": if has_full_access(perms, &names) { json!("FullAccess") } else { json!(null) },
            })
        };

        // Act: read first.
        let read = Attempt::new(EXCHANGE, "manager already has full access", targets.clone())
            .request(
                "POST",
                format!("{INVOKE_COMMAND} Get-MailboxPermission -Identity {who}"),
            );
        let before = match mailbox_or_report(&read, exo.mailbox_permissions(who).await)? {
            Ok(r) => r,
            Err(not_applicable) => return Ok(not_applicable),
        };
        if has_full_access(&before.value, &names) {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(expected, observed(&before.value)),
                Some(json!({ "changed": false })),
            )]));
        }

        let act = Attempt::new(
            EXCHANGE,
            format!("give {trustee} full access to the mailbox"),
            targets,
        )
        .request(
            "POST",
            format!(
                "{INVOKE_COMMAND} Add-MailboxPermission -Identity {who} -User {trustee} -AccessRights FullAccess -InheritanceType All -AutoMapping $true"
            ),
        );
        let done = exo
            .grant_full_access(who, trustee, true)
            .await
            .map_err(|e| act.clone().fail(&e))?;

        // Verify.
        let after = read_until(
            || exo.mailbox_permissions(who),
            |p| has_full_access(p, &names),
        )
        .await
        .map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(expected, observed(&after.value)),
            Some(json!({ "changed": true, "readBackRequestId": after.request_id })),
        )]))
    }
}
