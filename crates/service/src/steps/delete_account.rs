//! `delete-account`: days after the effective time, the leaver's account is deleted — and the
//! case says when it is gone for good.
//!
//! **When it applies.** Only with the policy's `[delete_account] enabled = true` (off by
//! default). Planned `scheduled`, due `after_days` after the effective time
//! (`offboard_core::plan::delete_account`): the case ends and is sealed without it; the
//! scheduler timer releases it on the same case when it falls due (`engine/follow_up.rs`), and
//! the case is sealed again, a new generation. A restore or a rescind before then cancels it.
//!
//! **Act.** Read the account first (`GET /users/{id}`):
//! - gone already (404): nothing is deleted again — deleted items says when it was deleted
//!   (a replay after success, or a delete outside offboard);
//! - enabled again (someone re-enabled the account since the case): not deleted, an exception;
//! - synced from on-premises AD: Graph refuses to delete it. With `synced_via_ad = true` the
//!   on-prem agent deletes the AD account (`deleteUser`, under its OU rails, only when the
//!   agent's configuration allows it) and directory sync then deletes the cloud account;
//!   otherwise an exception naming the AD object (its DN) to delete;
//! - otherwise `DELETE /users/{id}` → 204 (`User.ReadWrite.All`): a soft delete, restorable
//!   from deleted items for 30 days.
//!
//! **Verify.** `GET /users/{id}` → 404 and `GET /directory/deletedItems/{id}` present with its
//! `deletedDateTime`; for AD, the agent's search by objectGUID finds nothing.
//!
//! **Evidence.** The DELETE (or the agent's delete) with status and request id, the read-back,
//! when it was deleted and when it is gone for good (deleted + 30 days).

use async_trait::async_trait;
use serde_json::{Value, json};
use std::sync::Arc;

use offboard_agent_proto::{Action, Outcome as AgentOutcome};
use offboard_core::evidence::millis;
use offboard_core::plan::{StepKind, gone_for_good_at};
use offboard_graph::Reply;

use super::ad_common::{AdRecord, execute, missing_action, state_json};
use super::common::{Attempt, ENTRA, gone_counts_as_sent, read_back_if, upn, user_id};
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;
use crate::onprem::OnPremAgent;

/// Deletes the leaver's account.
#[derive(Debug, Clone)]
pub struct DeleteAccount {
    tenant: Arc<Tenant>,
    agent: Option<Arc<OnPremAgent>>,
}

impl DeleteAccount {
    /// The step on `tenant`, without an on-prem agent (synced leavers become exceptions).
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self {
            tenant,
            agent: None,
        }
    }

    /// The step on `tenant`, deleting synced leavers in AD through `agent` when the policy
    /// allows it.
    pub fn with_agent(tenant: Arc<Tenant>, agent: Arc<OnPremAgent>) -> Self {
        Self {
            tenant,
            agent: Some(agent),
        }
    }
}

/// When it was deleted and when it is gone for good, as evidence shows them.
fn deleted_details(deleted_at: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    json!({
        "deletedDateTime": deleted_at.map(millis::text),
        "goneForGoodAt": deleted_at.map(|t| millis::text(gone_for_good_at(t))),
        "restorableFrom": "/directory/deletedItems",
    })
}

#[async_trait]
impl StepAction for DeleteAccount {
    fn kind(&self) -> StepKind {
        StepKind::DeleteAccount
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let upn = upn(ctx);
        let read = Attempt::new(
            ENTRA,
            format!("read {upn} before deleting the account"),
            vec![id.to_owned()],
        )
        .request("GET", format!("/users/{id}"));
        if ctx.case.restored.is_some() {
            return Ok(StepReport::from_actions(vec![read.not_applicable(
                "the case was restored: the person is back and the account stays",
                None,
                None,
                None,
            )]));
        }
        let found = graph
            .user_if_present(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let Some(user) = found.value.clone() else {
            return self.already_deleted(ctx, &found).await;
        };
        if user.is_synced() {
            return self.synced(ctx, &user).await;
        }
        if user.account_enabled == Some(true) {
            return Ok(StepReport::from_actions(vec![read.exception(
                format!(
                    "{upn} is enabled again since the case disabled it: not deleted. Find out why (a rehire is a new onboarding); delete it by hand if it should go"
                ),
                Some(found.status),
                found.request_id.clone(),
                None,
                None,
            )]));
        }
        let act = Attempt::new(
            ENTRA,
            format!("delete the cloud account {upn}"),
            vec![id.to_owned(), upn.to_owned()],
        )
        .request("DELETE", format!("/users/{id}"));
        let sent =
            gone_counts_as_sent(graph.delete_user(id).await).map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![
            self.verified_deleted(act, id, sent).await?,
        ]))
    }
}

impl DeleteAccount {
    /// Reads the account back after the DELETE: gone from users, present in deleted items.
    async fn verified_deleted(
        &self,
        act: Attempt,
        id: &str,
        sent: Reply<()>,
    ) -> Result<ActionEvidence, StepFailure> {
        let graph = &self.tenant.graph;
        let gone = graph
            .user_if_present(id)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let item = graph
            .deleted_user(id)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let deleted_at = item.value.as_ref().and_then(|d| d.deleted_date_time);
        let expected =
            json!({"user": "absent (404)", "deletedItem": "present with deletedDateTime"});
        let observed = json!({
            "user": if gone.value.is_none() { "absent (404)" } else { "present" },
            "deletedItem": deleted_at.map_or_else(|| "absent".to_owned(), |t| format!("deleted {}", millis::text(t))),
        });
        let matches = gone.value.is_none() && deleted_at.is_some();
        Ok(act.checked(
            sent.status,
            sent.request_id,
            read_back_if(expected, observed, matches),
            Some(deleted_details(deleted_at)),
        ))
    }

    /// The account is not in users any more: recorded from deleted items, nothing deleted.
    async fn already_deleted(
        &self,
        ctx: &StepContext<'_>,
        found: &Reply<Option<offboard_graph::User>>,
    ) -> Result<StepReport, StepFailure> {
        let id = user_id(ctx);
        let act = Attempt::new(
            ENTRA,
            format!("{} already deleted: read from deleted items", upn(ctx)),
            vec![id.to_owned()],
        )
        .request("GET", format!("/directory/deletedItems/{id}"));
        let item = self
            .tenant
            .graph
            .deleted_user(id)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let deleted_at = item.value.as_ref().and_then(|d| d.deleted_date_time);
        let mut details = deleted_details(deleted_at);
        details["userRead"] = json!({"status": found.status, "requestId": found.request_id});
        if item.value.is_none() {
            details["note"] = json!(
                "in neither users nor deleted items: deleted for good (more than 30 days ago, or purged)"
            );
        }
        let expected = json!({"user": "absent (404)"});
        let observed = json!({
            "user": "absent (404)",
            "deletedItem": deleted_at.map_or_else(|| "absent".to_owned(), |t| format!("deleted {}", millis::text(t))),
        });
        Ok(StepReport::from_actions(vec![act.checked(
            item.status,
            item.request_id.clone(),
            read_back_if(expected, observed, true),
            Some(details),
        )]))
    }

    /// A synced leaver: deleted in AD through the agent when the policy allows it, otherwise an
    /// exception naming the AD object to delete.
    async fn synced(
        &self,
        ctx: &StepContext<'_>,
        user: &offboard_graph::User,
    ) -> Result<StepReport, StepFailure> {
        let dn = user
            .on_premises_distinguished_name
            .clone()
            .or_else(|| {
                ctx.facts
                    .on_premises_sam_account_name
                    .as_ref()
                    .map(|s| format!("the AD account with sAMAccountName {s}"))
            })
            .unwrap_or_else(|| format!("the AD account of {}", upn(ctx)));
        let agent = match (&self.agent, ctx.policy.delete_account.synced_via_ad) {
            (Some(agent), true) => agent,
            (agent, via_ad) => {
                let why = if !via_ad {
                    "the policy does not delete synced accounts in AD ([delete_account] synced_via_ad = false)"
                } else {
                    debug_assert!(agent.is_none());
                    "no on-prem agent is configured"
                };
                let act = Attempt::new(
                    ENTRA,
                    format!("delete the synced account {}", upn(ctx)),
                    vec![user.id.clone(), dn.clone()],
                );
                return Ok(StepReport::from_actions(vec![act.exception(
                    format!(
                        "synced from on-premises AD: Graph refuses to delete it, and {why}. Delete the AD object {dn} in Active Directory; directory sync then moves the cloud account to deleted items (restorable for 30 days)"
                    ),
                    None,
                    None,
                    None,
                    Some(json!({"adObject": dn})),
                )]));
            }
        };
        const WHAT: &str = "delete the AD account through the on-prem agent";
        let ex = execute(agent, ctx, WHAT, vec![Action::DeleteUser]).await?;
        let Some(result) = ex.action("deleteUser") else {
            return Ok(StepReport::from_actions(vec![missing_action(
                &ex,
                "deleteUser",
                WHAT,
            )]));
        };
        // Done: the agent searched by objectGUID and found nothing. NotFound: an earlier attempt
        // (or a person) deleted it; nothing was deleted now.
        let gone = matches!(result.outcome, AgentOutcome::Done | AgentOutcome::NotFound);
        let mut result = result.clone();
        if result.outcome == AgentOutcome::NotFound {
            result.outcome = AgentOutcome::AlreadyDone;
        }
        let read_back = read_back_if(
            json!({"adAccount": "absent"}),
            json!({"adAccount": if gone { "absent" } else { "present" }}),
            gone,
        );
        let record = AdRecord {
            executed: &ex,
            result: &result,
            what: WHAT.to_owned(),
            request: ("LDAP delete", ex.dn()),
            read_back: read_back.clone(),
            details: json!({
                "before": state_json(ex.before()),
                "adObject": ex.before().map(|u| u.dn.clone()).unwrap_or(dn),
                "cloudAccount": "directory sync moves it to deleted items, restorable for 30 days",
            }),
        };
        let mut evidence = record.evidence();
        // The account is gone, so the agent has no state after to show: the search that found
        // nothing is the read-back.
        if gone {
            evidence.read_back = Some(read_back);
        }
        Ok(StepReport::from_actions(vec![evidence]))
    }
}
