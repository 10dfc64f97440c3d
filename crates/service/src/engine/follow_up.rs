//! Follow-ups on ended cases (`delete-account`): the scheduler timer releases those due, on the
//! same case, as a restore or the scan's re-run reopens one — the case runs again, the step
//! acts and reads back with new records on the same chain, and the seal step seals a new
//! generation. The case store finds them (`CaseStore::due_follow_ups`: `Case::follow_up_at`,
//! kept beside each case), so nothing waits in a queue for days.

use std::time::Duration;

use offboard_core::case::CaseStatus;
use offboard_core::ids::CaseId;
use offboard_core::messages::StepMessage;
use offboard_core::plan::StepKind;

use super::Engine;
use super::outcome::EngineError;
use crate::etag::Change;

/// How many due follow-ups one tick releases; the next tick takes the rest.
pub const FOLLOW_UP_BATCH: u32 = 200;

impl Engine {
    /// Releases every follow-up due now (at most [`FOLLOW_UP_BATCH`]). Returns how many cases
    /// were reopened; one that cannot be released now is logged and retried next tick.
    pub async fn release_follow_ups(&self) -> Result<u32, EngineError> {
        let now = self.clock.now();
        let due = self.cases.due_follow_ups(now, FOLLOW_UP_BATCH).await?;
        let mut released = 0;
        for id in due {
            match self.release_follow_up(&id).await {
                Ok(kinds) if !kinds.is_empty() => released += 1,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(case_id = %id, error = %e, "could not release a follow-up; will retry next tick");
                }
            }
        }
        Ok(released)
    }

    /// Reopens the ended case `id` for its due follow-ups and enqueues them. Returns what was
    /// released (nothing when another tick did it first, or the case is no longer ended).
    pub async fn release_follow_up(&self, id: &CaseId) -> Result<Vec<StepKind>, EngineError> {
        let (case, released) = self
            .change_case(id, |case, now| {
                if !matches!(
                    case.status,
                    CaseStatus::Completed | CaseStatus::CompletedWithExceptions
                ) {
                    return Ok(Change::Keep(Vec::new()));
                }
                let Some(plan) = case.plan.as_mut() else {
                    return Ok(Change::Keep(Vec::new()));
                };
                let released = plan.release_follow_ups(now);
                if released.is_empty() {
                    return Ok(Change::Keep(released));
                }
                let names: Vec<&str> = released.iter().map(|k| k.as_str()).collect();
                case.transition(
                    CaseStatus::Running,
                    format!("follow-up due: running {}", names.join(", ")),
                    now,
                )
                .map_err(|e| EngineError::Refused(e.to_string()))?;
                Ok(Change::Write(released))
            })
            .await?;
        if released.is_empty() {
            return Ok(released);
        }
        let names: Vec<&str> = released.iter().map(|k| k.as_str()).collect();
        self.evidence
            .record_status(
                &case,
                &format!("follow-up due after sealing: {}", names.join(", ")),
            )
            .await?;
        for kind in &released {
            self.enqueue_step(
                &StepMessage {
                    case_id: id.clone(),
                    step: *kind,
                    attempt: 0,
                },
                Duration::ZERO,
            )
            .await?;
        }
        Ok(released)
    }

    /// Cancels the follow-ups still scheduled on case `id` (a restore, a rescind: the person
    /// may be back, and their account must stay), recording `why` on each step and in the
    /// evidence. Returns what was cancelled.
    pub async fn cancel_follow_ups(
        &self,
        id: &CaseId,
        why: &str,
    ) -> Result<Vec<StepKind>, EngineError> {
        let (case, cancelled) = self
            .change_case(id, |case, now| {
                let Some(plan) = case.plan.as_mut() else {
                    return Ok(Change::Keep(Vec::new()));
                };
                let cancelled = plan.cancel_follow_ups(why, now);
                Ok(if cancelled.is_empty() {
                    Change::Keep(cancelled)
                } else {
                    Change::Write(cancelled)
                })
            })
            .await?;
        if !cancelled.is_empty() {
            let names: Vec<&str> = cancelled.iter().map(|k| k.as_str()).collect();
            self.evidence
                .record_status(&case, &format!("{} {why}", names.join(", ")))
                .await?;
        }
        Ok(cancelled)
    }
}
