//! Undoing a mistaken termination: a restore adds the reverse plan's steps to the case's own
//! plan and reopens it, as the ghost-access scan's re-run does (`remediation.rs`,
//! `remediate_drift`): the steps run as any step does (lease, read first, read back, one
//! record per action), on the same chain, and the seal step seals a new generation over every
//! record. Asked by an operator (`POST /api/cases/{id}/restore`, four eyes: not the person who
//! raised the termination) or by a rescind from HR that arrives within the policy's days.

use std::time::Duration;

use offboard_core::case::{Actor, CaseStatus, Restore};
use offboard_core::evidence::{Outcome, RecordBody};
use offboard_core::ids::CaseId;
use offboard_core::messages::StepMessage;
use offboard_core::ports::Versioned;

use super::Engine;
use super::outcome::EngineError;
use crate::restore::{RestoreError, RestoreStarted, restorable, reverse_plan};

impl Engine {
    /// Restores the ended case `id` from its snapshot, asked by `by` for `reason`: records the
    /// request and the reverse plan in the case's evidence, adds the restore steps to the plan
    /// (or sets them pending again: a second restore runs them again, and each finds its state
    /// already back) and enqueues the first.
    pub async fn restore(
        &self,
        id: &CaseId,
        by: Actor,
        reason: &str,
    ) -> Result<RestoreStarted, EngineError> {
        if reason.trim().is_empty() {
            return Err(RestoreError::NoReason.into());
        }
        let Versioned { value: case, .. } = self.load(id).await?;
        if let Some(raiser) = &case.raised_by
            && raiser.is_same_identity(&by)
        {
            return Err(RestoreError::SelfRestore { who: by.describe() }.into());
        }
        let reverse = reverse_plan(&case, &self.evidence).await?;
        if reverse.steps.is_empty() {
            return Ok(RestoreStarted { case, reverse });
        }
        let mut ready = Vec::new();
        let (case, ()) = self
            .change_case(id, |case, now| {
                restorable(case)?;
                let Some(plan) = case.plan.as_mut() else {
                    return Ok(crate::etag::Change::Keep(()));
                };
                plan.add_restore(&reverse);
                ready = Self::take_ready(plan, now);
                let count = case.restored.as_ref().map_or(0, |r| r.count) + 1;
                case.restored = Some(Restore {
                    by: by.clone(),
                    at: now,
                    reason: reason.to_owned(),
                    count,
                });
                case.transition(
                    CaseStatus::Running,
                    format!(
                        "restore {count} asked by {}: {reason}; {} step(s) to put access back",
                        by.describe(),
                        reverse.steps.len()
                    ),
                    now,
                )
                .map_err(|e| EngineError::Refused(e.to_string()))?;
                Ok(crate::etag::Change::Write(()))
            })
            .await?;
        let body = RecordBody {
            target_ids: vec![case.id.to_string()],
            actor: by.describe(),
            reason: Some(reason.to_owned()),
            details: Some(serde_json::json!({
                "caseStatus": case.status,
                "by": by,
                "restore": reverse,
            })),
            ..self.evidence.body(
                "restore",
                "offboard",
                "restore requested: put back what the case took, from its snapshot",
                Outcome::Noted,
                self.clock.now(),
            )
        };
        self.evidence.append(&case, body).await?;
        for k in ready {
            self.enqueue_step(
                &StepMessage {
                    case_id: id.clone(),
                    step: k,
                    attempt: 0,
                },
                Duration::ZERO,
            )
            .await?;
        }
        Ok(RestoreStarted { case, reverse })
    }
}
