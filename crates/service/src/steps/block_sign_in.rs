//! `block-sign-in`: the cloud-only leaver can no longer sign in (`accountEnabled = false`).
//!
//! **When it applies.** Planned for cloud-only accounts, first of all steps
//! (`offboard_core::plan::build`). For a synced account Graph refuses `accountEnabled`; the
//! planner disables it in AD instead and plans `verify-cloud-disabled`. Run on a synced
//! account anyway, this step records Graph's refusal as an exception, never as done.
//!
//! **Act.** Read the account (`GET /users/{id}`). Already disabled: nothing to write, so a
//! replayed message changes nothing. Otherwise `PATCH /users/{id}` `{"accountEnabled":false}`
//! (needs `User.EnableDisableAccount.All`; a leaver holding a privileged directory role also
//! needs Privileged Authentication Administrator, which offboard deliberately lacks: that
//! 403 fails the step for a human).
//!
//! **Verify.** Read `accountEnabled` back; expected `false`.
//!
//! **Evidence.** One action: the PATCH (or the read, when the account was already disabled)
//! with status and Graph's request id, and the read-back.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{GraphError, NotApplicableReason};

use super::common::{Attempt, ENTRA, read_back, read_until, user_id};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Blocks cloud sign-in.
#[derive(Debug, Clone)]
pub struct BlockSignIn {
    tenant: Arc<Tenant>,
}

impl BlockSignIn {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for BlockSignIn {
    fn kind(&self) -> StepKind {
        StepKind::BlockSignIn
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let expected = json!({ "accountEnabled": false });

        // Act: read first.
        let read = Attempt::new(ENTRA, "sign-in already blocked", vec![id.to_owned()])
            .request("GET", format!("/users/{id}"));
        let before = match graph.get_user(id).await {
            Ok(r) => r,
            Err(e) => return Err(read.fail(&e)),
        };
        if before.value.account_enabled == Some(false) {
            let observed = json!({ "accountEnabled": false });
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(expected, observed),
                Some(json!({ "changed": false })),
            )]));
        }

        let act = Attempt::new(ENTRA, "set accountEnabled=false", vec![id.to_owned()])
            .request("PATCH", format!("/users/{id}"));
        let done = match graph.set_account_enabled(id, false).await {
            Ok(r) => r,
            Err(GraphError::NotApplicable {
                reason: NotApplicableReason::SyncedFromOnPremises,
                info,
            }) => {
                return Ok(StepReport::from_actions(vec![act.exception(
                    "Graph refuses accountEnabled on an account synced from on-premises AD: disable it in AD (ad-disable) and verify the cloud account after directory sync (verify-cloud-disabled)",
                    info.status,
                    info.request_id,
                    Some(read_back(expected, json!({ "accountEnabled": true }))),
                    Some(json!({ "errorCode": info.code })),
                )]));
            }
            Err(e) => return Err(act.fail(&e)),
        };

        // Verify.
        let after = read_until(|| graph.get_user(id), |u| u.account_enabled == Some(false))
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let observed = json!({ "accountEnabled": after.value.account_enabled });
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(expected, observed),
            Some(json!({
                "changed": true,
                "body": { "accountEnabled": false },
                "readBackRequestId": after.request_id,
            })),
        )]))
    }
}
