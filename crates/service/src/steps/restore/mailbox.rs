//! `restore:user-mailbox`, `restore:auto-reply-off`, `restore:unhide` and
//! `restore:manager-access-removed`: the mailbox goes back to what the snapshot shows.
//!
//! **When it applies.** Planned by the reverse plan when the case's own step changed the
//! mailbox: converted a user mailbox to shared (it becomes a user mailbox again once its
//! licences are back), set the automatic reply, hid a visible mailbox (cloud-only: a synced
//! leaver's is hidden in AD), or granted the manager full access they did not have.
//!
//! **Act.** Read first (`Get-Mailbox`, `GET /users/{id}/mailboxSettings`,
//! `Get-MailboxPermission`); change only what is not yet back (`Set-Mailbox -Type Regular`,
//! automatic replies `disabled`, `Set-Mailbox -HiddenFromAddressListsEnabled $false`,
//! `Remove-MailboxPermission -AccessRights FullAccess`), so a second restore writes nothing.
//!
//! **Verify.** Read again; expected the snapshot's state.
//!
//! **Evidence.** One action per step: the write (or the read) with the read-back and
//! `changed`.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::{RestoreAction, StepKind};
use offboard_graph::AutoReplyStatus;
use offboard_graph::exchange::MailboxPermission;

use super::super::common::{
    Attempt, EXCHANGE, INVOKE_COMMAND, mailbox_or_report, read_back, read_until, upn, user_id,
};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// One mailbox restore step; which one is its action.
#[derive(Debug, Clone)]
pub struct RestoreMailbox {
    tenant: Arc<Tenant>,
    action: RestoreAction,
}

impl RestoreMailbox {
    /// The mailbox restore steps on `tenant`.
    pub fn all(tenant: Arc<Tenant>) -> [Self; 4] {
        [
            RestoreAction::UserMailbox,
            RestoreAction::AutoReplyOff,
            RestoreAction::Unhide,
            RestoreAction::ManagerAccessRemoved,
        ]
        .map(|action| Self {
            tenant: tenant.clone(),
            action,
        })
    }
}

fn manager_full_access(perms: &[MailboxPermission], manager: &str) -> bool {
    perms.iter().any(|p| {
        p.deny != Some(true)
            && p.user
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(manager))
            && p.access_rights
                .iter()
                .any(|r| r.eq_ignore_ascii_case("FullAccess"))
    })
}

#[async_trait]
impl StepAction for RestoreMailbox {
    fn kind(&self) -> StepKind {
        StepKind::Restore(self.action)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        match self.action {
            RestoreAction::AutoReplyOff => self.auto_reply_off(ctx).await,
            RestoreAction::ManagerAccessRemoved => self.manager_access(ctx).await,
            _ => self.set_mailbox(ctx).await,
        }
    }
}

impl RestoreMailbox {
    /// `restore:user-mailbox` and `restore:unhide`: both `Set-Mailbox`, read by `Get-Mailbox`.
    async fn set_mailbox(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let ex = &self.tenant.exchange;
        let upn = upn(ctx);
        let unhide = self.action == RestoreAction::Unhide;
        let (goal, cmdlet) = if unhide {
            (
                "visible in address lists",
                "Set-Mailbox -HiddenFromAddressListsEnabled $false",
            )
        } else {
            ("a user mailbox", "Set-Mailbox -Type Regular")
        };
        let state = |m: &offboard_graph::exchange::Mailbox| {
            if unhide {
                json!({ "hiddenFromAddressListsEnabled": m.hidden_from_address_lists_enabled.unwrap_or(false) })
            } else {
                json!({ "recipientTypeDetails": m.recipient_type_details })
            }
        };
        let expected = if unhide {
            json!({ "hiddenFromAddressListsEnabled": false })
        } else {
            json!({ "recipientTypeDetails": "UserMailbox" })
        };
        let read = Attempt::new(
            EXCHANGE,
            format!("mailbox already {goal}"),
            vec![upn.to_owned()],
        )
        .request("POST", format!("{INVOKE_COMMAND} Get-Mailbox"));
        let before = match mailbox_or_report(&read, ex.get_mailbox(upn).await)? {
            Ok(r) => r,
            Err(report) => return Ok(report),
        };
        if state(&before.value) == expected {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(expected.clone(), expected),
                Some(json!({ "changed": false })),
            )]));
        }
        let act = Attempt::new(
            EXCHANGE,
            format!("make the mailbox {goal}"),
            vec![upn.to_owned()],
        )
        .request("POST", format!("{INVOKE_COMMAND} {cmdlet}"));
        let done = if unhide {
            ex.set_hidden_from_address_lists(upn, false).await
        } else {
            ex.convert_to_regular(upn).await
        }
        .map_err(|e| act.clone().fail(&e))?;
        let after = read_until(|| ex.get_mailbox(upn), |m| state(m) == expected)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(expected, state(&after.value)),
            Some(json!({ "changed": true, "readBackRequestId": after.request_id })),
        )]))
    }

    async fn auto_reply_off(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let off = |s: &offboard_graph::MailboxSettings| {
            s.automatic_replies_setting
                .as_ref()
                .is_none_or(|a| a.status == AutoReplyStatus::Disabled)
        };
        let expected = json!({ "status": AutoReplyStatus::Disabled });
        let read = Attempt::new(EXCHANGE, "automatic reply already off", vec![id.to_owned()])
            .request("GET", format!("/users/{id}/mailboxSettings"));
        let before = match mailbox_or_report(&read, graph.mailbox_settings(id).await)? {
            Ok(r) => r,
            Err(report) => return Ok(report),
        };
        let mut replies = match before.value.automatic_replies_setting.clone() {
            Some(a) if a.status != AutoReplyStatus::Disabled => a,
            _ => {
                return Ok(StepReport::from_actions(vec![read.checked(
                    before.status,
                    before.request_id,
                    read_back(expected.clone(), expected),
                    Some(json!({ "changed": false })),
                )]));
            }
        };
        let act = Attempt::new(
            EXCHANGE,
            "turn the automatic reply off",
            vec![id.to_owned()],
        )
        .request("PATCH", format!("/users/{id}/mailboxSettings"));
        replies.status = AutoReplyStatus::Disabled;
        let done = graph
            .set_automatic_replies(id, &replies)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let after = read_until(|| graph.mailbox_settings(id), off)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let status = after
            .value
            .automatic_replies_setting
            .as_ref()
            .map(|a| a.status);
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(expected, json!({ "status": status })),
            Some(json!({ "changed": true, "readBackRequestId": after.request_id })),
        )]))
    }

    async fn manager_access(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let ex = &self.tenant.exchange;
        let upn = upn(ctx);
        let Some(manager) = ctx.facts.manager.as_ref() else {
            return Ok(StepReport::from_actions(vec![
                Attempt::new(
                    EXCHANGE,
                    "remove the manager's full access",
                    vec![upn.to_owned()],
                )
                .not_applicable("the snapshot names no manager", None, None, None),
            ]));
        };
        let who = manager
            .user_principal_name
            .as_deref()
            .unwrap_or(&manager.id);
        let targets = vec![upn.to_owned(), who.to_owned()];
        let expected = json!({ "managerFullAccess": false });
        let read = Attempt::new(
            EXCHANGE,
            "manager's full access already gone",
            targets.clone(),
        )
        .request("POST", format!("{INVOKE_COMMAND} Get-MailboxPermission"));
        let before = match mailbox_or_report(&read, ex.mailbox_permissions(upn).await)? {
            Ok(r) => r,
            Err(report) => return Ok(report),
        };
        if !manager_full_access(&before.value, who) {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(expected.clone(), expected),
                Some(json!({ "changed": false })),
            )]));
        }
        let act = Attempt::new(EXCHANGE, "remove the manager's full access", targets)
            .request("POST", format!("{INVOKE_COMMAND} Remove-MailboxPermission"));
        let done = ex
            .remove_full_access(upn, who)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let after = read_until(
            || ex.mailbox_permissions(upn),
            |p| !manager_full_access(p, who),
        )
        .await
        .map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(
                expected,
                json!({ "managerFullAccess": manager_full_access(&after.value, who) }),
            ),
            Some(json!({ "changed": true, "readBackRequestId": after.request_id })),
        )]))
    }
}
