//! `restore:enable-sign-in` and `restore:ad-enable`: the leaver can sign in again.
//!
//! **When it applies.** Planned by the reverse plan (`offboard_core::plan::reverse`) first of
//! a restore, when the case itself disabled the account: in AD (through the agent) for a
//! synced leaver — Graph refuses `accountEnabled` on those, and directory sync carries the AD
//! state to Entra ID — and in Entra ID for a cloud-only one.
//!
//! **Act.** Read first; already enabled: nothing is written (a second restore records that).
//! Otherwise `PATCH /users/{id}` `{"accountEnabled": true}`, or the agent's `enable` (clear
//! ACCOUNTDISABLE with a compare-and-set keeping every other bit).
//!
//! **Verify.** Read `accountEnabled` (or `userAccountControl`) back; expected enabled.
//!
//! **Evidence.** One action: the write (or the read, when already enabled) with the read-back
//! and `changed`.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_agent_proto::Action;
use offboard_core::plan::{RestoreAction, StepKind};

use super::super::ad_common::{AdRecord, execute, missing_action, state_json};
use super::super::ad_disable::ACCOUNTDISABLE;
use super::super::common::{Attempt, ENTRA, read_back, read_until, user_id};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;
use crate::onprem::OnPremAgent;

/// Lets the cloud-only account sign in again.
#[derive(Debug, Clone)]
pub struct RestoreEnableSignIn {
    tenant: Arc<Tenant>,
}

impl RestoreEnableSignIn {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for RestoreEnableSignIn {
    fn kind(&self) -> StepKind {
        StepKind::Restore(RestoreAction::EnableSignIn)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let expected = json!({ "accountEnabled": true });
        let read = Attempt::new(ENTRA, "sign-in already allowed", vec![id.to_owned()])
            .request("GET", format!("/users/{id}"));
        let before = graph
            .get_user(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        if before.value.account_enabled == Some(true) {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(expected.clone(), expected),
                Some(json!({ "changed": false })),
            )]));
        }
        let act = Attempt::new(ENTRA, "set accountEnabled=true", vec![id.to_owned()])
            .request("PATCH", format!("/users/{id}"));
        let done = graph
            .set_account_enabled(id, true)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let after = read_until(|| graph.get_user(id), |u| u.account_enabled == Some(true))
            .await
            .map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(
                expected,
                json!({ "accountEnabled": after.value.account_enabled }),
            ),
            Some(json!({ "changed": true, "readBackRequestId": after.request_id })),
        )]))
    }
}

/// Enables the on-premises AD account again, through the agent.
#[derive(Debug, Clone)]
pub struct RestoreAdEnable {
    agent: Arc<OnPremAgent>,
}

impl RestoreAdEnable {
    /// The step through `agent`.
    pub fn new(agent: Arc<OnPremAgent>) -> Self {
        Self { agent }
    }
}

const WHAT: &str = "clear the ACCOUNTDISABLE bit of userAccountControl";

#[async_trait]
impl StepAction for RestoreAdEnable {
    fn kind(&self) -> StepKind {
        StepKind::Restore(RestoreAction::AdEnable)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let ex = execute(&self.agent, ctx, WHAT, vec![Action::Enable]).await?;
        let Some(result) = ex.action("enable") else {
            return Ok(StepReport::from_actions(vec![missing_action(
                &ex, "enable", WHAT,
            )]));
        };
        let before = ex.before().map(|u| u.user_account_control);
        let after = ex.after();
        let expected = json!({
            "userAccountControl": before.map(|b| b & !ACCOUNTDISABLE),
            "accountDisabled": false,
        });
        let observed = json!({
            "userAccountControl": after.map(|u| u.user_account_control),
            "accountDisabled": after.map(|u| u.disabled),
        });
        let target = format!(
            "userAccountControl of {}: {} -> {}",
            ex.before().map(|u| u.dn.as_str()).unwrap_or("?"),
            before.map(|b| b.to_string()).unwrap_or_default(),
            before
                .map(|b| (b & !ACCOUNTDISABLE).to_string())
                .unwrap_or_default(),
        );
        let record = AdRecord {
            executed: &ex,
            result,
            what: WHAT.to_owned(),
            request: ("LDAP modify", target),
            read_back: read_back(expected, observed),
            details: json!({
                "before": state_json(ex.before()),
                "after": state_json(after),
            }),
        };
        Ok(StepReport::from_actions(vec![record.evidence()]))
    }
}
