//! What a person is asked to fix: a failed step opens (or reopens) a remediation item and
//! notifies; the poison queue's leftovers fail their step the same way; the operator's
//! retry runs a failed or waiting step again and reopens a case that had finished with
//! exceptions.

use std::time::Duration;

use offboard_core::actor::HumanActor;
use offboard_core::case::{Case, CaseStatus};
use offboard_core::ids::CaseId;
use offboard_core::messages::StepMessage;
use offboard_core::notify::NotificationKind;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_core::ports::{Remediation, RemediationStatus, Versioned};

use super::outcome::{EngineError, Handled};
use super::{Engine, leaver_name};

impl Engine {
    /// A step that failed before and has now ended otherwise: its remediation item, if it
    /// has one, is resolved.
    pub(super) async fn resolve_remediation(
        &self,
        case: &Case,
        step: StepKind,
    ) -> Result<(), EngineError> {
        if let Some(mut item) = self
            .remediations
            .get(&format!("{}:{}", case.id, step))
            .await?
        {
            item.status = RemediationStatus::Resolved;
            item.updated_at = self.clock.now();
            self.remediations.put(&item).await?;
        }
        Ok(())
    }

    /// A remediation item for an AD step that waits because no relay is configured: it says
    /// what to configure, and [`Engine::resolve_remediation`] closes it when the step moves
    /// (after a retry).
    pub(super) async fn open_waiting_item(
        &self,
        id: &CaseId,
        kind: StepKind,
    ) -> Result<(), EngineError> {
        let item_id = format!("{id}:{kind}");
        if let Some(item) = self.remediations.get(&item_id).await?
            && item.status == RemediationStatus::Open
        {
            return Ok(());
        }
        let Versioned { value: case, .. } = self.load(id).await?;
        let now = self.clock.now();
        self.remediations
            .put(&Remediation {
                id: item_id,
                case_id: id.clone(),
                step: kind,
                leaver: leaver_name(&case),
                reason: format!(
                    "{kind} is waiting for the on-prem agent: no relay is configured. Set OFFBOARD_RELAY_NAMESPACE (and OFFBOARD_RELAY_HYBRID_CONNECTION) and OFFBOARD_AGENT_SIGNING_KEY, run offboard-agent next to a domain controller (crates/agent/README.md), then retry: POST /api/cases/{id}/steps/{kind}/retry"
                ),
                status: RemediationStatus::Open,
                opened_at: now,
                updated_at: now,
                failures: 0,
            })
            .await?;
        Ok(())
    }

    /// Opens (or reopens) the step's remediation item and notifies: a failed step, or one
    /// whose report asks a person to act ([`crate::attempt::StepReport::remediation`]).
    pub(super) async fn escalate(
        &self,
        case: &Case,
        step: StepKind,
        status: StepStatus,
        why: &str,
    ) -> Result<(), EngineError> {
        let id = format!("{}:{step}", case.id);
        let now = self.clock.now();
        let item = match self.remediations.get(&id).await? {
            Some(mut r) => {
                r.status = RemediationStatus::Open;
                r.reason = why.to_owned();
                r.failures += 1;
                r.updated_at = now;
                r
            }
            None => Remediation {
                id: id.clone(),
                case_id: case.id.clone(),
                step,
                leaver: leaver_name(case),
                reason: why.to_owned(),
                status: RemediationStatus::Open,
                opened_at: now,
                updated_at: now,
                failures: 1,
            },
        };
        self.remediations.put(&item).await?;
        self.notify(
            case,
            NotificationKind::StepFailed,
            &match status {
                StepStatus::Failed => format!("step {step} failed: {why}"),
                _ => format!("step {step} ended in an exception: {why}"),
            },
            &format!("Fix the cause, then retry: POST /api/cases/{}/steps/{step}/retry (open items: GET /api/remediations).", case.id),
            &format!("{step}:{}", item.failures),
        )
        .await
    }

    /// The poison handler: a step message that failed `maxDequeueCount` times is handled
    /// like a permanent failure.
    pub async fn poisoned(&self, msg: &StepMessage) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(&msg.case_id).await?;
        if case
            .plan
            .as_ref()
            .and_then(|p| p.step(msg.step))
            .is_none_or(|s| s.status.is_terminal() || s.status == StepStatus::Scheduled)
        {
            return Ok(Handled::Skipped("step already terminal".into()));
        }
        let report = self.failure_report(
            msg.step,
            "the step's message failed repeatedly and was moved to the poison queue".into(),
            None,
        );
        self.conclude(msg, report).await
    }

    /// The retry endpoint: a failed (or waiting) step runs again, and so does an exception
    /// that asked a person to act (its remediation item is open); a case that had finished
    /// with exceptions is reopened and will be sealed again. The operator who asked (`by`) is
    /// recorded in the case's evidence before the step is queued.
    pub async fn retry_step(
        &self,
        id: &CaseId,
        kind: StepKind,
        by: &HumanActor,
    ) -> Result<Case, EngineError> {
        let item_open = self
            .remediations
            .get(&format!("{id}:{kind}"))
            .await?
            .is_some_and(|i| i.status == RemediationStatus::Open);
        let case = self
            .update_case(id, |case, now| {
                let Some(plan) = case.plan.as_mut() else {
                    return Err(EngineError::Refused(format!("case {id} has no plan")));
                };
                let Some(s) = plan.step_mut(kind) else {
                    return Err(EngineError::Refused(format!(
                        "{kind} is not in the plan of case {id}"
                    )));
                };
                let retryable = matches!(s.status, StepStatus::Failed | StepStatus::Waiting)
                    || (s.status == StepStatus::Exception && item_open);
                if !retryable {
                    return Err(EngineError::Refused(format!(
                        "{kind} is {}; only a failed or waiting step, or an exception with an open remediation item, can be retried",
                        s.status.as_str()
                    )));
                }
                s.status = StepStatus::Queued;
                s.reason = None;
                s.finished_at = None;
                s.lease_until = None;
                s.lease_holder = None;
                s.started_at = Some(now);
                if let Some(seal) = plan.step_mut(StepKind::Seal) {
                    seal.status = StepStatus::Pending;
                    seal.finished_at = None;
                }
                if case.status == CaseStatus::CompletedWithExceptions {
                    case.transition(
                        CaseStatus::Running,
                        format!("reopened: {kind} retried by {}", by.describe()),
                        now,
                    )
                    .map_err(|e| EngineError::Refused(e.to_string()))?;
                }
                Ok(true)
            })
            .await?;
        if let Some(mut item) = self.remediations.get(&format!("{id}:{kind}")).await? {
            item.status = RemediationStatus::Retrying;
            item.updated_at = self.clock.now();
            self.remediations.put(&item).await?;
        }
        self.evidence
            .record_human_action(
                &case,
                &format!("retry {kind}"),
                by,
                serde_json::json!({ "retriedStep": kind }),
            )
            .await?;
        self.enqueue_step(
            &StepMessage {
                case_id: id.clone(),
                step: kind,
                attempt: 0,
            },
            Duration::ZERO,
        )
        .await?;
        Ok(case)
    }

    /// Access a sealed case removed came back (the ghost-access scan saw it, policy
    /// `auto_remediate`): re-runs just `kinds` on the same case. The case reopens, the steps
    /// act and verify again with new records, and the seal step seals a new generation over
    /// every record; nothing already recorded is rewritten. Steps not in the plan, or not
    /// verified before, are left alone; returns the steps re-run (none: nothing changed).
    pub async fn remediate_drift(
        &self,
        id: &CaseId,
        kinds: &[StepKind],
        why: &str,
    ) -> Result<Vec<StepKind>, EngineError> {
        let mut rerun = Vec::new();
        let case = self
            .update_case(id, |case, now| {
                rerun.clear();
                if !matches!(
                    case.status,
                    CaseStatus::Completed | CaseStatus::CompletedWithExceptions
                ) {
                    return Ok(false);
                }
                let Some(plan) = case.plan.as_mut() else {
                    return Ok(false);
                };
                for kind in kinds {
                    let Some(s) = plan.step_mut(*kind) else {
                        continue;
                    };
                    if s.status != StepStatus::Verified {
                        continue;
                    }
                    s.status = StepStatus::Queued;
                    s.reason = None;
                    s.finished_at = None;
                    s.lease_until = None;
                    s.started_at = Some(now);
                    rerun.push(*kind);
                }
                if rerun.is_empty() {
                    return Ok(false);
                }
                if let Some(seal) = plan.step_mut(StepKind::Seal) {
                    seal.status = StepStatus::Pending;
                    seal.finished_at = None;
                }
                let names: Vec<&str> = rerun.iter().map(|k| k.as_str()).collect();
                case.transition(
                    CaseStatus::Running,
                    format!("reopened: {why}; re-running {}", names.join(", ")),
                    now,
                )
                .map_err(|e| EngineError::Refused(e.to_string()))?;
                Ok(true)
            })
            .await?;
        if rerun.is_empty() {
            return Ok(rerun);
        }
        self.evidence
            .record_status(&case, &format!("access returned after sealing: {why}"))
            .await?;
        for kind in &rerun {
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
        Ok(rerun)
    }
}
