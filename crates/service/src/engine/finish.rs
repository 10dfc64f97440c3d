//! How a step and a case end. A step's report becomes evidence (one record per action),
//! its status goes into the plan and what became ready is enqueued; a failure opens a
//! remediation item. When every step is terminal the seal message ends the case and seals
//! its evidence into the ledger.

use std::time::Duration;

use offboard_core::case::CaseStatus;
use offboard_core::evidence::{Outcome, millis};
use offboard_core::ids::CaseId;
use offboard_core::messages::StepMessage;
use offboard_core::notify::NotificationKind;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_core::ports::Versioned;

use super::Engine;
use super::outcome::{EngineError, Handled};
use crate::attempt::{ActionEvidence, StepReport, TargetSystem};

impl Engine {
    /// Records a step's report as evidence, stores its status, escalates a failure and
    /// enqueues what became ready.
    pub(super) async fn conclude(
        &self,
        msg: &StepMessage,
        mut report: StepReport,
    ) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(&msg.case_id).await?;
        let attempt = case
            .plan
            .as_ref()
            .and_then(|p| p.step(msg.step))
            .map_or(0, |s| s.attempts);
        self.attribute_earlier_changes(&case, msg.step, attempt, &mut report)
            .await?;
        let mut last_seq = None;
        for a in &report.actions {
            let r = self
                .evidence
                .append(&case, a.record_body(msg.step, self.evidence.actor()))
                .await?;
            last_seq = Some(r.seq);
        }
        let mut ready = Vec::new();
        let mut finished = false;
        let raised = super::flags::raised(&report, msg.step, self.clock.now());
        let escalates = report.status == StepStatus::Failed || report.remediation;
        let case = self
            .update_case(&msg.case_id, |case, now| {
                ready.clear();
                finished = false;
                super::flags::add(case, &raised);
                let Some(plan) = case.plan.as_mut() else {
                    return Ok(false);
                };
                let Some(s) = plan.step_mut(msg.step) else {
                    return Ok(false);
                };
                s.status = report.status;
                s.reason = report.reason.clone();
                s.finished_at = Some(now);
                s.lease_until = None;
                s.lease_holder = None;
                s.evidence_seq = last_seq.or(s.evidence_seq);
                if escalates {
                    // Before the item is stored: a crash between leaves a flag, not an
                    // item no success would ever resolve.
                    s.remediation_item = Some(true);
                }
                ready = Self::take_ready(plan, now);
                finished = ready.contains(&StepKind::Seal);
                Ok(true)
            })
            .await?;
        self.notify_flags(&case, &raised).await?;
        if escalates {
            self.escalate(
                &case,
                msg.step,
                report.status,
                report.reason.as_deref().unwrap_or("failed"),
            )
            .await?;
        } else if case
            .plan
            .as_ref()
            .and_then(|p| p.step(msg.step))
            .is_none_or(|s| s.remediation_item != Some(false))
        {
            // Only a step that failed or waited before can have an item to resolve (on
            // Cosmos DB the look is a point read, a `404` for nearly every step).
            self.resolve_remediation(&case, msg.step).await?;
        }
        for k in &ready {
            self.enqueue_step(
                &StepMessage {
                    case_id: msg.case_id.clone(),
                    step: *k,
                    attempt: 0,
                },
                Duration::ZERO,
            )
            .await?;
        }
        let _ = finished;
        Ok(Handled::Done(format!(
            "{} {}{}",
            msg.step,
            report.status.as_str(),
            report.reason.map(|r| format!(": {r}")).unwrap_or_default()
        )))
    }

    /// A message for a step that is already terminal: its conclusion may have stored the
    /// case and then died before enqueueing what became ready (the host redelivers the
    /// message because the invocation failed). Every successor still queued, never claimed
    /// and without a live lease is sent again — a duplicate is harmless, since a claim skips a
    /// terminal or leased step — so the case goes on now instead of after the stuck-step
    /// sweep. A successor that was claimed has its own message: its invocation re-enqueued it
    /// (deferred by throttling, say) or the host redelivers it. Sending it again would only
    /// add a copy, and each copy of a terminal step re-sends in turn: under a throttled
    /// layoff that compounded to 14 extra deliveries of one step per leaver.
    pub(super) async fn resend_successors(
        &self,
        msg: &StepMessage,
        why: String,
    ) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(&msg.case_id).await?;
        let now = self.clock.now();
        let Some(plan) = case.plan.as_ref() else {
            return Ok(Handled::Skipped(why));
        };
        let waiting: Vec<StepKind> = plan
            .steps
            .iter()
            .filter(|s| {
                s.status == StepStatus::Queued
                    && s.attempts == 0
                    && s.lease_until.is_none_or(|l| l <= now)
            })
            .filter(|s| {
                s.depends_on.contains(&msg.step) || (s.kind == StepKind::Seal && plan.is_finished())
            })
            .map(|s| s.kind)
            .collect();
        for k in &waiting {
            self.enqueue_step(
                &StepMessage {
                    case_id: msg.case_id.clone(),
                    step: *k,
                    attempt: 0,
                },
                Duration::ZERO,
            )
            .await?;
        }
        Ok(Handled::Skipped(if waiting.is_empty() {
            why
        } else {
            format!("{why}; re-sent {} queued successor(s)", waiting.len())
        }))
    }

    pub(super) fn failure_report(
        &self,
        kind: StepKind,
        detail: String,
        action: Option<ActionEvidence>,
    ) -> StepReport {
        let now = self.clock.now();
        let action = action.unwrap_or_else(|| ActionEvidence {
            target_system: if kind.is_on_prem() {
                TargetSystem::Ad
            } else {
                TargetSystem::Entra
            },
            action: kind.as_str().to_owned(),
            target_ids: vec![],
            request: None,
            response_status: None,
            service_request_id: None,
            read_back: None,
            outcome: Outcome::Failed,
            reason: Some(detail.clone()),
            details: None,
            started_at: now,
            ended_at: now,
        });
        StepReport {
            status: StepStatus::Failed,
            reason: Some(detail),
            actions: vec![action],
            remediation: false,
        }
    }

    /// The seal step (its own queue message, not a step to claim): every other step is
    /// terminal, so the case ends (completed, or completed with exceptions) and its evidence
    /// is sealed into the ledger. Idempotent: a redelivered seal message changes nothing.
    pub async fn seal(&self, id: &CaseId) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(id).await?;
        tracing::Span::current().record("leaver", super::leaver_name(&case));
        let Some(plan) = case.plan.clone() else {
            return Ok(Handled::Skipped("case has no plan".into()));
        };
        if !plan.is_finished() {
            return Ok(Handled::Skipped("steps are still running".into()));
        }
        let outcome = plan.outcome();
        let cut_at = plan.sign_in_cut_at();
        // Evidence first (idempotent), then the case: a crash in between is healed by the
        // redelivered message.
        let mut final_case = case.clone();
        if final_case.status != outcome {
            final_case
                .transition(outcome, "every step is terminal", self.clock.now())
                .map_err(|e| EngineError::Refused(e.to_string()))?;
        }
        if !self.evidence.is_sealed(&final_case).await? {
            let exceptions: Vec<String> = plan
                .steps
                .iter()
                .filter(|s| matches!(s.status, StepStatus::Failed | StepStatus::Exception))
                .map(|s| format!("{}: {}", s.kind, s.reason.clone().unwrap_or_default()))
                .collect();
            let mut body = self.evidence.case_status_body(
                &final_case,
                &format!("case {}", outcome),
                (!exceptions.is_empty()).then(|| exceptions.join("; ")),
            );
            if let Some(d) = body.details.as_mut() {
                d["signInCutAt"] = serde_json::json!(cut_at.map(millis::text));
            }
            self.evidence.append(&final_case, body).await?;
        }
        // Always, even when a seal already covers every record: a worker killed after writing
        // the seal but before its ledger entry or index row would otherwise leave a sealed
        // case the ledger never heard of. Sealing again reuses the seal, finds or appends its
        // ledger entry and rewrites the index row, so a redelivered message completes the work.
        self.evidence
            .seal(&final_case, self.sla(&final_case, cut_at))
            .await?;
        let stored = self
            .update_case(id, |c, now| {
                let mut changed = false;
                if c.status != outcome {
                    c.transition(outcome, "every step is terminal; evidence sealed", now)
                        .map_err(|e| EngineError::Refused(e.to_string()))?;
                    changed = true;
                }
                if let Some(s) = c.plan.as_mut().and_then(|p| p.step_mut(StepKind::Seal))
                    && s.status != StepStatus::Verified
                {
                    s.status = StepStatus::Verified;
                    s.finished_at = Some(now);
                    s.lease_until = None;
                    s.lease_holder = None;
                    changed = true;
                }
                Ok(changed)
            })
            .await?;
        if outcome == CaseStatus::CompletedWithExceptions {
            let what: Vec<String> = plan
                .steps
                .iter()
                .filter(|s| matches!(s.status, StepStatus::Failed | StepStatus::Exception))
                .map(|s| format!("{} ({})", s.kind, s.reason.clone().unwrap_or_default()))
                .collect();
            self.notify(
                &stored,
                NotificationKind::CaseCompletedWithExceptions,
                &format!("finished with exceptions: {}", what.join("; ")),
                "Review the exceptions: failed steps can be retried (GET /api/remediations); exceptions must be handled where they are mastered (Exchange, on-premises AD, the dynamic group's rule).",
                &format!("completed:{}", stored.history.len()),
            )
            .await?;
        }
        Ok(Handled::Done(format!("case {outcome}; evidence sealed")))
    }
}
