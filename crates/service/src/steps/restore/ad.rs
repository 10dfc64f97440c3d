//! `restore:ad-groups-and-ou`: the synced leaver's AD account goes back to the OU it lived in
//! and into the AD groups the case's `ad-cleanup` removed it from — through the agent.
//!
//! **When it applies.** Planned by the reverse plan (`offboard_core::plan::reverse`) after
//! `restore:ad-enable`, when the case's `ad-cleanup` changed the account and the evidence
//! holds the agent's read of the account before the case (`Plan::restore_ad`: its DN and
//! direct groups).
//!
//! **Act.** One signed command with two actions, each idempotent on the agent: `moveToOu`
//! (the parent of the DN before; the agent moves only into an OU it manages) and
//! `addGroupMemberships` (each group before; the agent adds only to groups under its
//! `group_ous` that are not protected, so a restore never makes an administrator). A second
//! restore reports `alreadyDone` for both and writes nothing.
//!
//! **Verify.** The agent reads the account back (by objectGUID) after each change; the
//! evidence compares the expected OU and groups with that read-back.
//!
//! **Evidence.** One action per agent action, with the per-group results.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_agent_proto::Action;
use offboard_core::plan::reverse::parent_dn;
use offboard_core::plan::{RestoreAction, StepKind};

use super::super::ad_common::{AdRecord, execute, missing_action, state_json};
use super::super::common::read_back_if;
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::onprem::OnPremAgent;

/// Moves the AD account back to its OU and adds it back to its AD groups.
#[derive(Debug, Clone)]
pub struct RestoreAdGroupsAndOu {
    agent: Arc<OnPremAgent>,
}

impl RestoreAdGroupsAndOu {
    /// The step through `agent`.
    pub fn new(agent: Arc<OnPremAgent>) -> Self {
        Self { agent }
    }
}

const MOVE: &str = "move the AD account back to the OU it lived in";
const GROUPS: &str = "add the AD account back to its groups";

fn same_dn(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[async_trait]
impl StepAction for RestoreAdGroupsAndOu {
    fn kind(&self) -> StepKind {
        StepKind::Restore(RestoreAction::AdGroupsAndOu)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let Some(before) = ctx.plan.restore_ad.as_ref() else {
            return Err(StepFailure::Permanent {
                detail: "the restore has no record of the AD account before the case (its OU and groups); move it back and add its groups in AD by hand".into(),
                action: None,
            });
        };
        let ou = parent_dn(&before.dn).to_owned();
        let groups = before.member_of.clone();
        let ex = execute(
            &self.agent,
            ctx,
            "put the AD account back in its OU and groups",
            vec![
                Action::MoveToOu { ou: ou.clone() },
                Action::AddGroupMemberships {
                    groups: groups.clone(),
                },
            ],
        )
        .await?;
        let after = ex.after();
        let now_dn = after.map(|u| u.dn.clone());
        let mut actions: Vec<ActionEvidence> = Vec::new();

        match ex.action("moveToOu") {
            None => actions.push(missing_action(&ex, "moveToOu", MOVE)),
            Some(result) => {
                let back = now_dn
                    .as_deref()
                    .is_some_and(|dn| same_dn(parent_dn(dn), &ou));
                actions.push(
                    AdRecord {
                        executed: &ex,
                        result,
                        what: MOVE.to_owned(),
                        request: ("LDAP modifyDN", format!("{} -> {ou}", ex.dn())),
                        read_back: read_back_if(
                            json!({ "ou": ou }),
                            json!({ "ou": now_dn.as_deref().map(parent_dn) }),
                            back,
                        ),
                        details: json!({ "dnBefore": before.dn, "dnAfter": now_dn }),
                    }
                    .evidence(),
                );
            }
        }

        match ex.action("addGroupMemberships") {
            None => actions.push(missing_action(&ex, "addGroupMemberships", GROUPS)),
            Some(result) => {
                let member_of = after.map(|u| u.member_of.clone()).unwrap_or_default();
                let all_back = groups
                    .iter()
                    .all(|g| member_of.iter().any(|m| same_dn(m, g)));
                actions.push(
                    AdRecord {
                        executed: &ex,
                        result,
                        what: GROUPS.to_owned(),
                        request: (
                            "LDAP modify",
                            format!("{} group(s): add member {}", groups.len(), ex.dn()),
                        ),
                        read_back: read_back_if(
                            json!({ "memberOf": groups }),
                            json!({ "memberOf": member_of }),
                            all_back,
                        ),
                        details: json!({
                            "before": state_json(ex.before()),
                            "after": state_json(after),
                        }),
                    }
                    .evidence(),
                );
            }
        }
        Ok(StepReport::from_actions(actions))
    }
}
