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
use offboard_core::notify::NotificationKind;
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

    /// Records on the ended (or still running) case `id` that HR rescinded its termination
    /// but the case is not restored, and why (`why`: the rescind came after the policy's
    /// days, or a restore could not start), and notifies the operators: a late rescind is
    /// never dropped in silence. An ended case is sealed again (a new generation over the
    /// added record); a running one is sealed when it ends.
    pub async fn rescind_not_restored(
        &self,
        id: &CaseId,
        by: Actor,
        note: &str,
        why: &str,
    ) -> Result<offboard_core::case::Case, EngineError> {
        let Versioned { value: case, .. } = self.load(id).await?;
        let body = RecordBody {
            target_ids: vec![case.id.to_string()],
            actor: by.describe(),
            reason: Some(note.to_owned()),
            details: Some(serde_json::json!({
                "caseStatus": case.status,
                "by": by,
                "restored": false,
                "why": why,
            })),
            ..self.evidence.body(
                "rescind",
                "offboard",
                "rescind received after the termination took effect: not restored, an operator decides",
                Outcome::Noted,
                self.clock.now(),
            )
        };
        // A redelivered rescind (the same note names the same HR message) is recorded once.
        let period = offboard_core::evidence::period_of(case.event.effective_at());
        let recorded = self
            .evidence
            .store()
            .records(&period, &case.id)
            .await
            .map_err(crate::evidence::EvidenceFailure::from)?
            .into_iter()
            .filter_map(|r| r.record.ok())
            .any(|r| r.body.step == "rescind" && r.body.reason.as_deref() == Some(note));
        if !recorded {
            self.evidence.append(&case, body).await?;
        }
        if matches!(
            case.status,
            CaseStatus::Completed | CaseStatus::CompletedWithExceptions
        ) {
            self.evidence.reseal(&case).await?;
        }
        self.notify(
            &case,
            NotificationKind::RescindNotRestored,
            &format!("HR rescinded the termination ({note}), but access was not put back: {why}"),
            &format!(
                "Check with HR that the person still works here. If so, restore the case with POST /api/cases/{}/restore {{\"reason\": \"...\"}} (another operator than the one who raised it; preview it with offboard plan --restore {}); if not, nothing to do.",
                case.id, case.id
            ),
            &format!("rescind:{note}"),
        )
        .await?;
        Ok(case)
    }
}
