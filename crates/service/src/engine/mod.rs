//! The engine: planning a case, running its steps, retrying what can be retried, escalating
//! what cannot, and finishing (sealing) the case.
//!
//! Every handler is idempotent. A step is claimed with a short lease stored on the case
//! (ETag-checked), so a duplicated or replayed message for a step that is running, or
//! already done, changes nothing; a lease left by a crashed handler expires and the next
//! delivery takes over. Throttling re-enqueues the step after `Retry-After` without spending
//! the message's dequeue count; transient failures are retried with exponential backoff; a
//! permanent failure marks the step failed with its evidence, opens a remediation item and
//! notifies. Successors are enqueued once all their predecessors are terminal.

mod outcome;
mod sla;
mod sweep;

pub use crate::directory::{Directory, Resolution};
pub use crate::notifier::{Notifier, QueueNotifier};
pub use outcome::{EngineError, Handled, SlaReport};

#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::sync::Arc;
use std::time::Duration;

use offboard_core::case::{Case, CaseStatus};
use offboard_core::evidence::{Outcome, RecordBody, SlaOutcome};
use offboard_core::ids::{CaseId, EmployeeIdentifiers};
use offboard_core::messages::{self, StepMessage};
use offboard_core::notify::{Notification, NotificationKind};
use offboard_core::plan::{self, Plan, StepKind, StepStatus};
use offboard_core::policy::Policy;
use offboard_core::ports::{
    CaseStore, MessageQueue, Remediation, RemediationStatus, RemediationStore, StoreError,
    Versioned,
};

use crate::attempt::{ActionEvidence, StepContext, StepFailure, StepReport};
use crate::clock::Clock;
use crate::evidence::Evidence;
use crate::steps::StepRegistry;

/// How long a step's claim lasts; a handler that dies mid-step holds it this long at most.
pub const STEP_LEASE: ChronoDuration = ChronoDuration::minutes(2);

/// How long one invocation may run a step: well inside [`STEP_LEASE`], so a duplicate
/// message can never run the same step while the first invocation still acts.
pub const STEP_DEADLINE: Duration = Duration::from_secs(100);
/// Transient failures retried before the step fails.
pub const MAX_TRANSIENT_ATTEMPTS: u32 = 6;
/// Longest backoff between transient retries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// ETag races retried before giving up (the host then redelivers the message).
const RACES: usize = 25;

/// What a dry run shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    /// The plan, with each step's preview of what it would change.
    pub plan: Option<Plan>,
    /// Why no plan could be made (leaver not found or ambiguous).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
}

/// Resolves the leaver in the directory and gathers the facts the plan needs: `Ok(Err(why))`
/// when no account or several match (offboard never guesses).
async fn facts_for(
    directory: &dyn Directory,
    who: &EmployeeIdentifiers,
) -> Result<Result<plan::Facts, String>, StepFailure> {
    match directory.resolve(who).await? {
        Resolution::Found { user_id, by } => Ok(Ok(directory.facts(&user_id, &by).await?)),
        Resolution::NotFound { tried } => Ok(Err(format!(
            "no account in Entra ID matches the leaver (tried {}); nothing was changed — correct the identifiers in HR or offboard the account by hand",
            tried.join(", ")
        ))),
        Resolution::Ambiguous { by, candidates } => Ok(Err(format!(
            "{} accounts match the leaver's {by} ({}); offboard never guesses — make the identifier unique or offboard the right account by hand",
            candidates.len(),
            candidates.join(", ")
        ))),
    }
}

/// The dry run on its own (the engine's, and `offboard plan`'s, which has no stores): reads
/// the directory and returns the plan a termination of `who` would get. Changes nothing.
pub async fn dry_run(
    directory: &dyn Directory,
    policy: &Policy,
    who: &EmployeeIdentifiers,
    kind: offboard_core::event::TerminationKind,
    now: DateTime<Utc>,
) -> Result<DryRun, StepFailure> {
    Ok(match facts_for(directory, who).await? {
        Ok(facts) => DryRun {
            plan: Some(plan::build(facts, policy.for_kind(kind), now)),
            exception: None,
        },
        Err(why) => DryRun {
            plan: None,
            exception: Some(why),
        },
    })
}

/// The engine.
#[derive(Clone)]
pub struct Engine {
    cases: Arc<dyn CaseStore>,
    queue: Arc<dyn MessageQueue>,
    evidence: Evidence,
    clock: Arc<dyn Clock>,
    policy: Arc<Policy>,
    directory: Arc<dyn Directory>,
    steps: Arc<StepRegistry>,
    notifier: Arc<dyn Notifier>,
    remediations: Arc<dyn RemediationStore>,
}

fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_secs(2u64.saturating_pow(attempt.min(16)));
    let jitter = Duration::from_millis(rand::random_range(0..1000));
    (base + jitter).min(MAX_BACKOFF)
}

fn leaver_name(case: &Case) -> String {
    case.event.employee.display_name().to_owned()
}

impl Engine {
    /// An engine over its dependencies.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cases: Arc<dyn CaseStore>,
        queue: Arc<dyn MessageQueue>,
        evidence: Evidence,
        clock: Arc<dyn Clock>,
        policy: Arc<Policy>,
        directory: Arc<dyn Directory>,
        steps: Arc<StepRegistry>,
        notifier: Arc<dyn Notifier>,
        remediations: Arc<dyn RemediationStore>,
    ) -> Self {
        Self {
            cases,
            queue,
            evidence,
            clock,
            policy,
            directory,
            steps,
            notifier,
            remediations,
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The remediation store.
    pub fn remediations(&self) -> &Arc<dyn RemediationStore> {
        &self.remediations
    }

    async fn load(&self, id: &CaseId) -> Result<Versioned<Case>, EngineError> {
        self.cases
            .get(id)
            .await?
            .ok_or_else(|| EngineError::NoSuchCase(id.clone()))
    }

    async fn enqueue_step(&self, msg: &StepMessage, delay: Duration) -> Result<(), EngineError> {
        let text = messages::encode(msg).map_err(|e| EngineError::Encode(e.to_string()))?;
        self.queue.send(&msg.step.queue(), &text, delay).await?;
        Ok(())
    }

    /// Marks the ready steps queued (in `plan`) and returns them; the caller enqueues them
    /// after the case is stored.
    fn take_ready(plan: &mut Plan, now: DateTime<Utc>) -> Vec<StepKind> {
        let ready = plan.ready();
        for k in &ready {
            if let Some(s) = plan.step_mut(*k) {
                s.status = StepStatus::Queued;
                s.started_at.get_or_insert(now);
            }
        }
        ready
    }

    /// Resolves the leaver and gathers the facts (no change anywhere).
    async fn facts_for(
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
        dry_run(
            self.directory.as_ref(),
            &self.policy,
            who,
            kind,
            self.clock.now(),
        )
        .await
    }

    /// The `plan` queue function: resolves the leaver, gathers the facts, stores the plan
    /// and enqueues the first steps. Idempotent.
    #[tracing::instrument(skip(self), fields(case_id = %id))]
    pub async fn plan(&self, id: &CaseId) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(id).await?;
        let now = self.clock.now();
        match case.status {
            CaseStatus::Received => {}
            CaseStatus::Scheduled if case.is_due(now) => {}
            CaseStatus::Running if case.plan.is_some() => return self.resume(id).await,
            other => {
                return Ok(Handled::Skipped(format!(
                    "case is {other}; nothing to plan"
                )));
            }
        }
        let facts = match self.facts_for(&case.event.employee).await {
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
            Ok(facts) => self.store_plan(id, facts).await,
            Err(why) => self.unresolvable(id, &why).await,
        }
    }

    async fn requeue_plan(&self, id: &CaseId, delay: Duration) -> Result<(), EngineError> {
        let text = messages::encode(&messages::PlanMessage {
            case_id: id.clone(),
        })
        .map_err(|e| EngineError::Encode(e.to_string()))?;
        self.queue.send(messages::PLAN_QUEUE, &text, delay).await?;
        Ok(())
    }

    async fn store_plan(&self, id: &CaseId, facts: plan::Facts) -> Result<Handled, EngineError> {
        for _ in 0..RACES {
            let Versioned {
                value: mut case,
                etag,
            } = self.load(id).await?;
            if case.plan.is_some() {
                return self.resume(id).await;
            }
            let now = self.clock.now();
            let mut plan = plan::build(facts.clone(), self.policy.for_kind(case.event.kind), now);
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
            let details = serde_json::json!({
                "caseStatus": "running",
                "leaver": plan.facts.user,
                "resolvedBy": plan.facts.resolved_by,
                "synced": plan.facts.synced,
                "steps": plan.steps.iter().map(|s| serde_json::json!({
                    "step": s.kind, "status": s.status, "dependsOn": s.depends_on, "preview": s.preview, "reason": s.reason,
                })).collect::<Vec<_>>(),
            });
            case.plan = Some(plan);
            case.transition(CaseStatus::Running, summary.clone(), now)
                .map_err(|e| EngineError::Refused(e.to_string()))?;
            match self.cases.replace(&case, &etag).await {
                Ok(_) => {}
                Err(StoreError::PreconditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
            self.evidence
                .append(
                    &case,
                    RecordBody {
                        step: "plan".into(),
                        target_system: "entra".into(),
                        action: summary.clone(),
                        target_ids: vec![facts.user.id.clone()],
                        request: None,
                        response_status: None,
                        service_request_id: None,
                        read_back: None,
                        started_at: now,
                        ended_at: self.clock.now(),
                        actor: self.evidence.actor().to_owned(),
                        outcome: Outcome::Noted,
                        reason: None,
                        details: Some(details),
                    },
                )
                .await?;
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
            return Ok(Handled::Done(summary));
        }
        Err(EngineError::Contended(id.clone()))
    }

    /// The leaver cannot be resolved: the case stops with the exception, evidence and a
    /// notification.
    async fn unresolvable(&self, id: &CaseId, why: &str) -> Result<Handled, EngineError> {
        for _ in 0..RACES {
            let Versioned {
                value: mut case,
                etag,
            } = self.load(id).await?;
            let now = self.clock.now();
            if case.status.is_final() {
                break;
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
            match self.cases.replace(&case, &etag).await {
                Ok(_) => break,
                Err(StoreError::PreconditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let Versioned { value: case, .. } = self.load(id).await?;
        if !self.evidence.is_sealed(&case).await? {
            let now = self.clock.now();
            self.evidence
                .append(
                    &case,
                    RecordBody {
                        step: "resolve-leaver".into(),
                        target_system: "entra".into(),
                        action: "resolve the leaver by employeeId, then UPN, then mail".into(),
                        target_ids: vec![leaver_name(&case)],
                        request: None,
                        response_status: None,
                        service_request_id: None,
                        read_back: None,
                        started_at: now,
                        ended_at: now,
                        actor: self.evidence.actor().to_owned(),
                        outcome: Outcome::Exception,
                        reason: Some(why.to_owned()),
                        details: Some(serde_json::json!({"caseStatus": case.status})),
                    },
                )
                .await?;
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

    fn sla(&self, case: &Case, cut_at: Option<DateTime<Utc>>) -> SlaOutcome {
        let minutes = self.policy.for_kind(case.event.kind).sla_minutes;
        let deadline = case.event.effective_at + ChronoDuration::minutes(i64::from(minutes));
        SlaOutcome {
            target_minutes: Some(minutes),
            measured_from: case.event.effective_at,
            access_removed_at: cut_at,
            met: Some(cut_at.is_some_and(|t| t <= deadline)),
        }
    }

    async fn notify(
        &self,
        case: &Case,
        kind: NotificationKind,
        what: &str,
        action: &str,
        key: &str,
    ) -> Result<(), EngineError> {
        let n = Notification {
            kind,
            case_id: case.id.clone(),
            leaver: leaver_name(case),
            what: what.to_owned(),
            action: action.to_owned(),
            at: self.clock.now(),
            key: format!("{}:{kind:?}:{key}", case.id),
        };
        self.notifier.notify(&n).await.map_err(EngineError::Queue)
    }

    /// A step queue function: runs one step of one case.
    #[tracing::instrument(skip(self, msg), fields(case_id = %msg.case_id, step = %msg.step, attempt = msg.attempt))]
    pub async fn run_step(&self, msg: &StepMessage) -> Result<Handled, EngineError> {
        if msg.step == StepKind::Seal {
            return self.finish(&msg.case_id).await;
        }
        // 1. Claim the step.
        let (case, since) = match self.claim(msg).await? {
            Claim::Claimed { case, since } => (case, since),
            Claim::Skip(why) => return Ok(Handled::Skipped(why)),
            Claim::Later(delay, why) => {
                self.enqueue_step(msg, delay).await?;
                return Ok(Handled::Deferred(why));
            }
        };
        let Some(action) = self.steps.get(msg.step).cloned() else {
            return self.wait_outside(&msg.case_id, msg.step).await;
        };
        // 2. Act, verify, report.
        let plan = case
            .plan
            .as_ref()
            .ok_or_else(|| EngineError::Refused("case has no plan".into()))?;
        let step = plan
            .step(msg.step)
            .ok_or_else(|| EngineError::Refused("step not planned".into()))?;
        let ctx = StepContext {
            case: &case,
            plan,
            step,
            facts: &plan.facts,
            policy: self.policy.for_kind(case.event.kind),
            since,
            now: self.clock.now(),
        };
        // Never past the claim: at the deadline the step's future is dropped (no further
        // call is made) and the step is retried from a new message, which re-reads the state.
        let result = match tokio::time::timeout(STEP_DEADLINE, action.run(&ctx)).await {
            Ok(result) => result,
            Err(_) => Err(StepFailure::Transient {
                detail: format!(
                    "the step did not finish within {} s (its claim lasts {} s)",
                    STEP_DEADLINE.as_secs(),
                    STEP_LEASE.num_seconds()
                ),
            }),
        };
        match result {
            Ok(report) => self.conclude(msg, report).await,
            Err(StepFailure::Throttled {
                retry_after,
                detail,
            }) => {
                self.release(msg).await?;
                self.enqueue_step(msg, retry_after).await?;
                Ok(Handled::Deferred(format!(
                    "throttled ({detail}); again in {}s",
                    retry_after.as_secs()
                )))
            }
            Err(StepFailure::Transient { detail }) if msg.attempt + 1 < MAX_TRANSIENT_ATTEMPTS => {
                self.release(msg).await?;
                let delay = backoff(msg.attempt);
                let next = StepMessage {
                    attempt: msg.attempt + 1,
                    ..msg.clone()
                };
                self.enqueue_step(&next, delay).await?;
                Ok(Handled::Deferred(format!(
                    "transient failure ({detail}); attempt {} in {}s",
                    next.attempt + 1,
                    delay.as_secs()
                )))
            }
            Err(StepFailure::Transient { detail }) => {
                let report = self.failure_report(
                    msg.step,
                    format!("gave up after {MAX_TRANSIENT_ATTEMPTS} attempts: {detail}"),
                    None,
                );
                self.conclude(msg, report).await
            }
            Err(StepFailure::Permanent { detail, action }) => {
                let report = self.failure_report(msg.step, detail, action.map(|a| *a));
                self.conclude(msg, report).await
            }
        }
    }

    fn failure_report(
        &self,
        kind: StepKind,
        detail: String,
        action: Option<ActionEvidence>,
    ) -> StepReport {
        let now = self.clock.now();
        let action = action.unwrap_or_else(|| ActionEvidence {
            target_system: if kind.is_on_prem() {
                "ad".into()
            } else {
                "entra".into()
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
        }
    }

    async fn claim(&self, msg: &StepMessage) -> Result<Claim, EngineError> {
        for _ in 0..RACES {
            let Versioned {
                value: mut case,
                etag,
            } = self.load(&msg.case_id).await?;
            let now = self.clock.now();
            let Some(plan) = case.plan.as_mut() else {
                return Ok(Claim::Skip("case has no plan".into()));
            };
            let Some(step) = plan.step_mut(msg.step) else {
                return Ok(Claim::Skip(format!("{} is not in the plan", msg.step)));
            };
            if step.status.is_terminal() {
                return Ok(Claim::Skip(format!(
                    "{} is already {}",
                    msg.step,
                    step.status.as_str()
                )));
            }
            if step.status == StepStatus::Pending {
                return Ok(Claim::Skip(format!(
                    "{} is waiting for its predecessors",
                    msg.step
                )));
            }
            if let Some(until) = step.lease_until
                && until > now
            {
                let wait = (until - now).to_std().unwrap_or_default() + Duration::from_secs(1);
                return Ok(Claim::Later(
                    wait,
                    format!("{} is being run by another invocation", msg.step),
                ));
            }
            step.status = StepStatus::Queued;
            step.lease_until = Some(now + STEP_LEASE);
            step.attempts += 1;
            let since = *step.started_at.get_or_insert(now);
            match self.cases.replace(&case, &etag).await {
                Ok(_) => {
                    return Ok(Claim::Claimed {
                        case: Box::new(case),
                        since,
                    });
                }
                Err(StoreError::PreconditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Contended(msg.case_id.clone()))
    }

    /// Gives the lease back (the step will run again from a new message).
    async fn release(&self, msg: &StepMessage) -> Result<(), EngineError> {
        self.update_case(&msg.case_id, |case, _| {
            if let Some(s) = case.plan.as_mut().and_then(|p| p.step_mut(msg.step)) {
                s.lease_until = None;
            }
            Ok(true)
        })
        .await
        .map(|_| ())
    }

    /// Applies `f` to the case and stores it, retrying ETag races. `f` returns false to
    /// store nothing.
    async fn update_case(
        &self,
        id: &CaseId,
        mut f: impl FnMut(&mut Case, DateTime<Utc>) -> Result<bool, EngineError>,
    ) -> Result<Case, EngineError> {
        for _ in 0..RACES {
            let Versioned {
                value: mut case,
                etag,
            } = self.load(id).await?;
            let now = self.clock.now();
            if !f(&mut case, now)? {
                return Ok(case);
            }
            match self.cases.replace(&case, &etag).await {
                Ok(v) => return Ok(v.value),
                Err(StoreError::PreconditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Contended(id.clone()))
    }

    /// A step no registered action can run (the on-prem steps before the agent is
    /// configured): it waits, visibly, and the case cannot complete as if it were done.
    async fn wait_outside(&self, id: &CaseId, kind: StepKind) -> Result<Handled, EngineError> {
        let why = if kind.is_on_prem() {
            "waiting for the on-prem agent: no hybrid connection is configured, so this AD step cannot run yet"
        } else {
            "waiting: no action is configured for this step"
        };
        self.update_case(id, |case, _| {
            let Some(s) = case.plan.as_mut().and_then(|p| p.step_mut(kind)) else {
                return Ok(false);
            };
            s.status = StepStatus::Waiting;
            s.reason = Some(why.to_owned());
            s.lease_until = None;
            Ok(true)
        })
        .await?;
        Ok(Handled::Deferred(format!("{kind}: {why}")))
    }

    /// Records a step's report as evidence, stores its status, escalates a failure and
    /// enqueues what became ready.
    async fn conclude(
        &self,
        msg: &StepMessage,
        report: StepReport,
    ) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(&msg.case_id).await?;
        let mut last_seq = None;
        for a in &report.actions {
            let r = self
                .evidence
                .append(
                    &case,
                    RecordBody {
                        step: msg.step.as_str().to_owned(),
                        target_system: a.target_system.clone(),
                        action: a.action.clone(),
                        target_ids: a.target_ids.clone(),
                        request: a.request.clone(),
                        response_status: a.response_status,
                        service_request_id: a.service_request_id.clone(),
                        read_back: a.read_back.clone(),
                        started_at: a.started_at,
                        ended_at: a.ended_at,
                        actor: self.evidence.actor().to_owned(),
                        outcome: a.outcome,
                        reason: a.reason.clone(),
                        details: a.details.clone(),
                    },
                )
                .await?;
            last_seq = Some(r.seq);
        }
        let mut ready = Vec::new();
        let mut finished = false;
        let case = self
            .update_case(&msg.case_id, |case, now| {
                ready.clear();
                finished = false;
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
                s.evidence_seq = last_seq.or(s.evidence_seq);
                ready = Self::take_ready(plan, now);
                finished = ready.contains(&StepKind::Seal);
                Ok(true)
            })
            .await?;
        if report.status == StepStatus::Failed {
            self.escalate(
                &case,
                msg.step,
                report.reason.as_deref().unwrap_or("failed"),
            )
            .await?;
        } else if let Some(mut item) = self
            .remediations
            .get(&format!("{}:{}", case.id, msg.step))
            .await?
        {
            item.status = RemediationStatus::Resolved;
            item.updated_at = self.clock.now();
            self.remediations.put(&item).await?;
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

    async fn escalate(&self, case: &Case, step: StepKind, why: &str) -> Result<(), EngineError> {
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
            &format!("step {step} failed: {why}"),
            &format!("Fix the cause, then retry: POST /api/cases/{}/steps/{step}/retry (open items: GET /api/remediations).", case.id),
            &format!("{step}:{}", item.failures),
        )
        .await
    }

    /// The seal step: every other step is terminal, so the case ends (completed, or
    /// completed with exceptions) and its evidence is sealed into the ledger.
    async fn finish(&self, id: &CaseId) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(id).await?;
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
                d["signInCutAt"] = serde_json::json!(
                    cut_at.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
                );
            }
            self.evidence.append(&final_case, body).await?;
            self.evidence
                .seal(&final_case, self.sla(&final_case, cut_at))
                .await?;
        }
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

    /// The poison handler: a step message that failed `maxDequeueCount` times is handled
    /// like a permanent failure.
    pub async fn poisoned(&self, msg: &StepMessage) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(&msg.case_id).await?;
        if case
            .plan
            .as_ref()
            .and_then(|p| p.step(msg.step))
            .is_none_or(|s| s.status.is_terminal())
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

    /// The retry endpoint: a failed (or waiting) step runs again; a case that had finished
    /// with exceptions is reopened and will be sealed again.
    pub async fn retry_step(&self, id: &CaseId, kind: StepKind) -> Result<Case, EngineError> {
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
                if !matches!(s.status, StepStatus::Failed | StepStatus::Waiting) {
                    return Err(EngineError::Refused(format!(
                        "{kind} is {}; only a failed or waiting step can be retried",
                        s.status.as_str()
                    )));
                }
                s.status = StepStatus::Queued;
                s.reason = None;
                s.finished_at = None;
                s.lease_until = None;
                s.started_at = Some(now);
                if let Some(seal) = plan.step_mut(StepKind::Seal) {
                    seal.status = StepStatus::Pending;
                    seal.finished_at = None;
                }
                if case.status == CaseStatus::CompletedWithExceptions {
                    case.transition(
                        CaseStatus::Running,
                        format!("reopened: {kind} retried by an operator"),
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
            .record_status(&case, &format!("{kind} retried by an operator"))
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
}

enum Claim {
    Claimed {
        case: Box<Case>,
        since: DateTime<Utc>,
    },
    Skip(String),
    Later(Duration, String),
}
