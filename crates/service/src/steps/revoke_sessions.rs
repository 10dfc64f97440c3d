//! `revoke-sessions`: refresh tokens and session cookies issued to the leaver stop working.
//!
//! **When it applies.** Always planned (`offboard_core::plan::build`): after `block-sign-in`
//! for a cloud-only account (a revoked session could otherwise be re-established), at once
//! for a synced account (in parallel with the AD disable, which directory sync carries later).
//!
//! **Act.** Read `signInSessionsValidFromDateTime`. If it is at or after the moment this step
//! was first started, an earlier attempt of this step already revoked (the message was
//! replayed or the handler died after the call): nothing to write. Otherwise
//! `POST /users/{id}/revokeSignInSessions` (`User.RevokeSessions.All`). Access tokens already
//! issued stay valid until they expire (about an hour) unless the resource supports
//! continuous access evaluation.
//!
//! **Verify.** Read `signInSessionsValidFromDateTime` back; expected at or after the step's
//! start.
//!
//! **Evidence.** One action: the POST (or the read, when already revoked) with status, Graph's
//! request id and the read-back.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;

use super::common::{
    Attempt, ENTRA, at_or_after, instant, read_back_if, read_until, started, user_id,
};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Revokes sign-in sessions.
#[derive(Debug, Clone)]
pub struct RevokeSessions {
    tenant: Arc<Tenant>,
}

impl RevokeSessions {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for RevokeSessions {
    fn kind(&self) -> StepKind {
        StepKind::RevokeSessions
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let from = started(ctx);
        let expected = json!({ "signInSessionsValidFromDateTime": format!(">= {}", instant(Some(from)).as_str().unwrap_or_default()) });

        // Act: read first.
        let read = Attempt::new(
            ENTRA,
            "sessions already revoked by this step",
            vec![id.to_owned()],
        )
        .request("GET", format!("/users/{id}"));
        let before = graph
            .get_user(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let valid_from = before.value.sign_in_sessions_valid_from_date_time;
        if at_or_after(valid_from, from) {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back_if(
                    expected,
                    json!({ "signInSessionsValidFromDateTime": instant(valid_from) }),
                    true,
                ),
                Some(json!({ "changed": false })),
            )]));
        }

        let act = Attempt::new(
            ENTRA,
            "revoke refresh tokens and session cookies",
            vec![id.to_owned()],
        )
        .request("POST", format!("/users/{id}/revokeSignInSessions"));
        let done = graph
            .revoke_sign_in_sessions(id)
            .await
            .map_err(|e| act.clone().fail(&e))?;

        // Verify.
        let after = read_until(
            || graph.get_user(id),
            |u| at_or_after(u.sign_in_sessions_valid_from_date_time, from),
        )
        .await
        .map_err(|e| act.clone().fail(&e))?;
        let observed = after.value.sign_in_sessions_valid_from_date_time;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back_if(
                expected,
                json!({ "signInSessionsValidFromDateTime": instant(observed) }),
                at_or_after(observed, from),
            ),
            Some(json!({
                "changed": true,
                "graphAnswered": done.value,
                "previousValidFrom": instant(valid_from),
                "readBackRequestId": after.request_id,
            })),
        )]))
    }
}
