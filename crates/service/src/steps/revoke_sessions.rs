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

use super::common::{Attempt, ENTRA, instant, user_id};
use super::stamped::Stamped;
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
        let run = Stamped::new(ctx, "signInSessionsValidFromDateTime", |u| {
            u.sign_in_sessions_valid_from_date_time
        });

        // Act: read first.
        let read = Attempt::new(
            ENTRA,
            "sessions already revoked by this step",
            vec![id.to_owned()],
        )
        .request("GET", format!("/users/{id}"));
        let valid_from = match run.read_first(graph, id, read).await? {
            Ok(valid_from) => valid_from,
            Err(done) => return Ok(done),
        };

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
        let details = json!({
            "changed": true,
            "graphAnswered": done.value,
            "previousValidFrom": instant(valid_from),
        });
        run.read_back(graph, id, act, (done.status, done.request_id), details)
            .await
    }
}
