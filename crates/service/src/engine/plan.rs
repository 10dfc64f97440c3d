//! Planning a case: resolve the leaver in the directory, build the plan under the policy,
//! store it on the case and enqueue the first steps; or, when the leaver cannot be resolved,
//! stop the case with the exception, seal it and notify. The plan's evidence record carries
//! the snapshot of what the leaver had before any change (the facts the planner read), in the
//! same record as the plan so that one never exists without the other.

use std::time::Duration;

use offboard_core::case::CaseStatus;
use offboard_core::evidence::{Outcome, RecordBody};
use offboard_core::ids::{CaseId, EmployeeIdentifiers};
use offboard_core::messages::{self, StepMessage};
use offboard_core::notify::NotificationKind;
use offboard_core::plan::{self, StepKind, StepStatus};
use offboard_core::ports::Versioned;

use super::dry_run::{DryRun, dry_run_with_connectors, facts_for};
use super::outcome::{EngineError, Handled};
use super::{Engine, leaver_name};
use crate::attempt::StepFailure;
use crate::etag::Change;

impl Engine {
    /// Resolves the leaver and gathers the facts (no change anywhere).
    pub(super) async fn facts_for(
        &self,
        who: &EmployeeIdentifiers,
    ) -> Result<Result<plan::Facts, String>, StepFailure> {
        facts_for(self.directory.as_ref(), who).await
    }

    /// The dry run: the plan a termination of `who` would get, changing nothing.
    pub async fn dry_run(
        &self,
        who: &EmployeeIdentifiers,
        kind: offboard_core::event::TerminationKind,
    ) -> Result<DryRun, StepFailure> {
        dry_run_with_connectors(
            self.directory.as_ref(),
            &self.policy,
            &self.connectors,
            who,
            kind,
            self.clock.now(),
        )
        .await
    }

    /// The `plan` queue function: resolves the leaver, gathers the facts, stores the plan
    /// and enqueues the first steps. Idempotent.
    ///
    /// Log lines carry the case through the caller's span (the handler's invocation span
    /// declares `case_id` and `leaver`; the engine fills in the leaver once it has the case).
    pub async fn plan(&self, id: &CaseId) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(id).await?;
        tracing::Span::current().record("leaver", leaver_name(&case));
        let now = self.clock.now();
        match case.status {
            CaseStatus::Received => {}
            CaseStatus::Scheduled if case.is_due(now) => {}
            CaseStatus::Running if case.plan.is_some() => return self.resume(id).await,
            CaseStatus::AwaitingApproval => {
                // A redelivery after the hold was stored: finish its evidence, nothing more.
                self.record_hold(&case).await?;
                return Ok(Handled::Skipped(
                    "case is awaiting approval; nothing to plan until someone decides".into(),
                ));
            }
            other => {
                return Ok(Handled::Skipped(format!(
                    "case is {other}; nothing to plan"
                )));
            }
        }
        let facts = match self.facts_for(case.event.employee()).await {
            Ok(f) => f,
            Err(StepFailure::Throttled {
                retry_after,
                detail,
            }) => {
                self.requeue_plan(id, retry_after).await?;
                return Ok(Handled::Deferred(format!(
                    "directory throttled ({detail}); planning again in {}s",
                    retry_after.as_secs()
                )));
            }
            Err(StepFailure::Transient { detail }) => {
                // Fail the invocation: the host retries the plan message.
                return Err(EngineError::Unavailable(format!(
                    "the directory is unavailable: {detail}"
                )));
            }
            Err(StepFailure::Permanent { detail, .. }) => Err(detail),
        };
        match facts {
            Ok(facts) => match self.hold_if_needed(&case, &facts).await? {
                Some(held) => Ok(held),
                None => self.store_plan(id, facts).await,
            },
            Err(why) => self.unresolvable(id, &why).await,
        }
    }

    pub(super) async fn requeue_plan(
        &self,
        id: &CaseId,
        delay: Duration,
    ) -> Result<(), EngineError> {
        let text = messages::encode(&messages::PlanMessage {
            case_id: id.clone(),
        })
        .map_err(|e| EngineError::Encode(e.to_string()))?;
        self.queue.send(messages::PLAN_QUEUE, &text, delay).await?;
        Ok(())
    }

    pub(super) async fn store_plan(
        &self,
        id: &CaseId,
        facts: plan::Facts,
    ) -> Result<Handled, EngineError> {
        let (case, stored) = self
            .change_case(id, |case, now| {
                if case.plan.is_some() {
                    return Ok(Change::Keep(None));
                }
                let kind_policy = self.policy.for_kind(case.plan_kind());
                let mut plan = plan::build(facts.clone(), kind_policy, now);
                // delete-account counts its days from the effective time, not from planning.
                plan.schedule_follow_ups(case.due_at(), &kind_policy.delete_account);
                plan.add_connectors(crate::connectors::planned(
                    &self.connectors,
                    &facts,
                    case.event.employee(),
                ));
                if case.status == CaseStatus::Scheduled {
                    case.transition(CaseStatus::Received, "effective time reached", now)
                        .map_err(|e| EngineError::Refused(e.to_string()))?;
                }
                let ready = Self::take_ready(&mut plan, now);
                let summary = format!(
                    "planned {} steps ({} to run, {} not applicable)",
                    plan.steps.len(),
                    plan.steps
                        .iter()
                        .filter(|s| !s.status.is_terminal())
                        .count(),
                    plan.steps
                        .iter()
                        .filter(|s| s.status == StepStatus::NotApplicable)
                        .count()
                );
                case.plan = Some(plan);
                case.transition(CaseStatus::Running, summary.clone(), now)
                    .map_err(|e| EngineError::Refused(e.to_string()))?;
                Ok(Change::Write(Some((summary, ready, now))))
            })
            .await?;
        let (Some((summary, ready, now)), Some(plan)) = (stored, case.plan.as_ref()) else {
            return self.resume(id).await;
        };
        let details = serde_json::json!({
            "caseStatus": "running",
            "leaver": plan.facts.user,
            "employeeId": plan.facts.employee_id,
            "onPremisesSamAccountName": plan.facts.on_premises_sam_account_name,
            "resolvedBy": plan.facts.resolved_by,
            "synced": plan.facts.synced,
            "steps": plan.steps.iter().map(|s| serde_json::json!({
                "step": s.kind, "status": s.status, "dependsOn": s.depends_on, "preview": s.preview, "reason": s.reason,
            })).collect::<Vec<_>>(),
            // What the leaver had before any change, as the planner read it (names and ids,
            // never a secret): the record a restore would be planned from.
            "snapshot": plan.facts,
        });
        let body = RecordBody {
            target_ids: vec![facts.user.id.clone()],
            ended_at: self.clock.now(),
            details: Some(details),
            ..self
                .evidence
                .body("plan", "entra", summary.clone(), Outcome::Noted, now)
        };
        self.evidence.append(&case, body).await?;
        self.flag_if_arrived_late(&case).await?;
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
        Ok(Handled::Done(summary))
    }

    /// The leaver cannot be resolved: the case stops with the exception, evidence and a
    /// notification.
    pub(super) async fn unresolvable(
        &self,
        id: &CaseId,
        why: &str,
    ) -> Result<Handled, EngineError> {
        let (case, ()) = self
            .change_case(id, |case, now| {
                if case.status.is_final() {
                    return Ok(Change::Keep(()));
                }
                if case.status == CaseStatus::Scheduled {
                    case.transition(CaseStatus::Received, "effective time reached", now)
                        .map_err(|e| EngineError::Refused(e.to_string()))?;
                }
                case.planning_exception = Some(why.to_owned());
                case.transition(CaseStatus::Running, "resolving the leaver", now)
                    .map_err(|e| EngineError::Refused(e.to_string()))?;
                case.transition(CaseStatus::CompletedWithExceptions, why, now)
                    .map_err(|e| EngineError::Refused(e.to_string()))?;
                Ok(Change::Write(()))
            })
            .await?;
        if !self.evidence.is_sealed(&case).await? {
            let body = RecordBody {
                target_ids: vec![leaver_name(&case)],
                reason: Some(why.to_owned()),
                details: Some(serde_json::json!({"caseStatus": case.status})),
                ..self.evidence.body(
                    "resolve-leaver",
                    "entra",
                    "resolve the leaver by employeeId, then UPN, then mail",
                    Outcome::Exception,
                    self.clock.now(),
                )
            };
            self.evidence.append(&case, body).await?;
            self.evidence.seal(&case, self.sla(&case, None)).await?;
        }
        self.notify(&case, NotificationKind::LeaverNotResolved, why, "Correct the identifiers in HR (or offboard the account by hand) and send the termination again.", "resolve")
            .await?;
        Ok(Handled::Done(format!("leaver not resolved: {why}")))
    }

    /// Re-enqueues the steps of a planned case that are ready or were queued (after a lost
    /// message); idempotent, since step handlers skip terminal steps.
    pub async fn resume(&self, id: &CaseId) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(id).await?;
        let Some(plan) = &case.plan else {
            return Ok(Handled::Skipped("not planned".into()));
        };
        let queued: Vec<StepKind> = plan
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::Queued)
            .map(|s| s.kind)
            .collect();
        for k in &queued {
            self.enqueue_step(
                &StepMessage {
                    case_id: id.clone(),
                    step: *k,
                    attempt: 0,
                },
                Duration::ZERO,
            )
            .await?;
        }
        Ok(Handled::Skipped(format!(
            "already planned; re-sent {} queued step(s)",
            queued.len()
        )))
    }
}
