//! `ad-disable`: the synced leaver's on-premises AD account is disabled, through the agent.
//!
//! **When it applies.** Planned first for accounts synced from on-premises AD
//! (`offboard_core::plan::build`), together with `revoke-sessions` (which does not wait for
//! it); `verify-cloud-disabled` follows both. AD is the source of authority for a synced
//! account: Graph refuses `accountEnabled` on it, and directory sync carries the AD disable to
//! Entra ID.
//!
//! **Act.** One signed command to the on-prem agent through the relay: `disable` — the agent
//! reads `userAccountControl` and, unless the ACCOUNTDISABLE bit (0x2) is already set, adds it
//! with a compare-and-set that keeps every other bit. A replayed step is a new command that
//! finds the bit set and reports `alreadyDone`, so nothing is written twice.
//!
//! **Verify.** The agent reads the account back; expected `userAccountControl` = the value
//! before with 0x2 added (every other bit kept) and disabled, versus what it read.
//!
//! **Evidence.** One action: the LDAP modify (or the read, when already disabled) in outline,
//! the command id (as the service request id), the agent that ran it, the safety rails'
//! verdict and the account's state before and after. How the agent's outcomes map onto the
//! step's: `super::ad_common`.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_agent_proto::Action;
use offboard_core::plan::StepKind;

use super::ad_common::{AdRecord, execute, missing_action, state_json};
use super::common::read_back;
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::onprem::OnPremAgent;

/// The ACCOUNTDISABLE bit of `userAccountControl`.
pub const ACCOUNTDISABLE: u32 = 0x2;

/// Disables the AD account.
#[derive(Debug, Clone)]
pub struct AdDisable {
    agent: Arc<OnPremAgent>,
}

impl AdDisable {
    /// The step through `agent`.
    pub fn new(agent: Arc<OnPremAgent>) -> Self {
        Self { agent }
    }
}

const WHAT: &str = "set the ACCOUNTDISABLE bit of userAccountControl";

#[async_trait]
impl StepAction for AdDisable {
    fn kind(&self) -> StepKind {
        StepKind::AdDisable
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let ex = execute(&self.agent, ctx, WHAT, vec![Action::Disable]).await?;
        let Some(result) = ex.action("disable") else {
            return Ok(StepReport::from_actions(vec![missing_action(
                &ex, "disable", WHAT,
            )]));
        };
        let before = ex.before().map(|u| u.user_account_control);
        let after = ex.after();
        let expected = json!({
            "userAccountControl": before.map(|b| b | ACCOUNTDISABLE),
            "accountDisabled": true,
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
                .map(|b| (b | ACCOUNTDISABLE).to_string())
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
