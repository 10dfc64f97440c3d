//! `ad-cleanup`: the synced leaver's AD account loses its group memberships, moves to the
//! disabled-users OU, carries the case id, and is hidden from address lists — through the agent.
//!
//! **When it applies.** Planned for accounts synced from on-premises AD, after `ad-disable`
//! (`offboard_core::plan::build`). Group memberships of a synced user are mastered in AD
//! (Graph cannot change synced groups), and so is `msExchHideFromAddressLists` in a hybrid
//! Exchange organisation.
//!
//! **Act.** One signed command with four actions, each idempotent on the agent:
//! `removeGroupMemberships` (every direct group under the agent's `group_ous`; the primary
//! group stays), `moveToDisabledOu`, `stamp` (`description` = "offboard: disabled for case
//! {case} on {effective date}", appended to `info`) and `hideFromAddressLists` (not applicable
//! when the forest has no Exchange schema). A replayed step reports `alreadyDone` for each.
//!
//! **Verify.** The agent reads the account back after every change; each action's evidence
//! compares the expected state with that read-back.
//!
//! **Evidence.** One action per agent action, with the per-group results for the memberships.
//! A group outside the agent's `group_ous` is refused by the agent and recorded as an
//! exception (the membership stays and must be removed by hand), never as done.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_agent_proto::{
    Action, AddressListVisibility, CaseId as AgentCaseId, Outcome as AgentOutcome, stamp_text,
};
use offboard_core::plan::StepKind;

use super::ad_common::{AdRecord, execute, missing_action};
use super::common::{read_back, read_back_if};
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::onprem::OnPremAgent;

/// Removes AD group memberships, moves, stamps and hides the AD account.
#[derive(Debug, Clone)]
pub struct AdCleanup {
    agent: Arc<OnPremAgent>,
}

impl AdCleanup {
    /// The step through `agent`.
    pub fn new(agent: Arc<OnPremAgent>) -> Self {
        Self { agent }
    }
}

const GROUPS: &str = "remove the AD group memberships (the primary group stays)";
const MOVE: &str = "move the AD account to the disabled-users OU";
const STAMP: &str = "stamp description and info with the case id";
const HIDE: &str = "hide from address lists (msExchHideFromAddressLists)";

#[async_trait]
impl StepAction for AdCleanup {
    fn kind(&self) -> StepKind {
        StepKind::AdCleanup
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let date = ctx.case.event.effective_at().date_naive();
        let ex = execute(
            &self.agent,
            ctx,
            "clean up the AD account (groups, OU, stamp, address lists)",
            vec![
                Action::RemoveGroupMemberships,
                Action::MoveToDisabledOu,
                Action::Stamp { date },
                Action::HideFromAddressLists,
            ],
        )
        .await?;
        let before = ex.before();
        let after = ex.after();
        let dn = before.map(|u| u.dn.clone()).unwrap_or_else(|| "?".into());
        let mut actions: Vec<ActionEvidence> = Vec::new();

        // Groups.
        match ex.action("removeGroupMemberships") {
            None => actions.push(missing_action(&ex, "removeGroupMemberships", GROUPS)),
            Some(result) => {
                let observed = after.map(|u| u.member_of.clone());
                let groups = before.map(|u| u.member_of.clone()).unwrap_or_default();
                actions.push(
                    AdRecord {
                        executed: &ex,
                        result,
                        what: GROUPS.to_owned(),
                        request: (
                            "LDAP modify",
                            format!("member of {} group(s): delete {dn}", groups.len()),
                        ),
                        read_back: read_back(
                            json!({ "memberOf": [] }),
                            json!({ "memberOf": observed }),
                        ),
                        details: json!({
                            "memberOfBefore": groups,
                            "primaryGroupId": after.and_then(|u| u.primary_group_id),
                        }),
                    }
                    .evidence(),
                );
            }
        }

        // Move.
        match ex.action("moveToDisabledOu") {
            None => actions.push(missing_action(&ex, "moveToDisabledOu", MOVE)),
            Some(result) => {
                let moved = match &result.outcome {
                    AgentOutcome::AlreadyDone => after.is_some(),
                    AgentOutcome::Done => {
                        after.is_some_and(|a| before.is_some_and(|b| a.dn != b.dn))
                    }
                    _ => false,
                };
                actions.push(
                    AdRecord {
                        executed: &ex,
                        result,
                        what: MOVE.to_owned(),
                        request: (
                            "LDAP modrdn",
                            format!("{dn} -> newSuperior = the agent's disabled-users OU"),
                        ),
                        read_back: read_back_if(
                            json!({ "inDisabledUsersOu": true }),
                            json!({
                                "inDisabledUsersOu": moved,
                                "dn": after.map(|u| u.dn.clone()),
                            }),
                            moved,
                        ),
                        details: json!({
                            "dnBefore": before.map(|u| u.dn.clone()),
                            "dnAfter": after.map(|u| u.dn.clone()),
                        }),
                    }
                    .evidence(),
                );
            }
        }

        // Stamp.
        match ex.action("stamp") {
            None => actions.push(missing_action(&ex, "stamp", STAMP)),
            Some(result) => {
                let text = AgentCaseId::parse(ctx.case.id.as_str())
                    .map(|c| stamp_text(&c, date))
                    .unwrap_or_default();
                let description = after.and_then(|u| u.description.clone());
                let info = after.and_then(|u| u.info.clone());
                let ok = !text.is_empty()
                    && description.as_deref() == Some(text.as_str())
                    && info.as_deref().is_some_and(|i| i.contains(&text));
                actions.push(
                    AdRecord {
                        executed: &ex,
                        result,
                        what: STAMP.to_owned(),
                        request: ("LDAP modify", format!("description, info of {dn}")),
                        read_back: read_back_if(
                            json!({ "description": text, "infoContains": text }),
                            json!({ "description": description, "info": info }),
                            ok,
                        ),
                        details: json!({}),
                    }
                    .evidence(),
                );
            }
        }

        // Address lists.
        match ex.action("hideFromAddressLists") {
            None => actions.push(missing_action(&ex, "hideFromAddressLists", HIDE)),
            Some(result) => {
                let observed = after.map(|u| match u.hide_from_address_lists {
                    AddressListVisibility::Hidden => json!(true),
                    AddressListVisibility::Visible => json!(false),
                    AddressListVisibility::NotInSchema => json!("not in the schema"),
                });
                actions.push(
                    AdRecord {
                        executed: &ex,
                        result,
                        what: HIDE.to_owned(),
                        request: ("LDAP modify", format!("msExchHideFromAddressLists of {dn}")),
                        read_back: read_back(
                            json!({ "msExchHideFromAddressLists": true }),
                            json!({ "msExchHideFromAddressLists": observed }),
                        ),
                        details: json!({}),
                    }
                    .evidence(),
                );
            }
        }
        Ok(StepReport::from_actions(actions))
    }
}
