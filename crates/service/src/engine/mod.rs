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
//!
//! One file per path a message takes through the engine:
//!
//! - [`plan`](Engine::plan) (`plan.rs`): resolve the leaver, store the plan, enqueue the
//!   first steps — or stop with an exception when the leaver cannot be resolved;
//! - [`run_step`](Engine::run_step) (`run_step.rs`): claim a step with its lease, run it
//!   within its deadline, and decide what a failure means (wait, back off, give up);
//!   `lease.rs` keeps the lease while the step runs, `holder.rs` tells a dead holder;
//! - `journal.rs`: every change a step sends is recorded before it is sent, and a retry
//!   that finds the change made names the attempt that announced it;
//! - `finish.rs`: conclude a step (its evidence, its status, its successors) and
//!   [`seal`](Engine::seal) the case when every step is terminal;
//! - `remediation.rs`: a failed step's remediation item, the poison queue and the
//!   operator's retry;
//! - `hold.rs` and `brake.rs`: holding a case for approval before planning (a protected
//!   leaver, or its source past the blast-radius brake), the operator's decision on it and
//!   the expiry of undecided holds;
//! - `sla.rs` and `sweep.rs`: the timers; `dry_run.rs`: the plan without a case;
//! - `restore.rs`: undoing a mistaken termination — the reverse plan's steps join the ended
//!   case's plan and run like any step, then the case is sealed again;
//! - `kill_switch.rs`: the sign-in cut intake makes inline before answering, and what a
//!   queued step of the cut's kinds does when it finds the cut done or still running.
//!
//! Every change to a case goes through [`crate::etag::update`] (read, change, replace
//! with the ETag, read again when another invocation wrote first).

mod brake;
mod dry_run;
mod finish;
mod flags;
mod follow_up;
mod hold;
mod holder;
mod journal;
mod kill_switch;
mod lease;
mod outcome;
mod plan;
mod remediation;
mod restore;
mod restore_roles;
mod run_step;
mod sign_in_cut;
mod sla;
mod sweep;

pub use crate::directory::{Directory, Resolution};
pub use crate::notifier::{Notifier, QueueNotifier};
pub use dry_run::{DryRun, dry_run, dry_run_with_connectors};
pub use outcome::{EngineError, Handled, SlaReport};
pub use sign_in_cut::{SignInCutOutcome, cut_kinds, is_cut_kind};

#[cfg(test)]
mod burst_tests;
#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
use run_step::Claim;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::sync::Arc;
use std::time::Duration;

use offboard_core::case::Case;
use offboard_core::evidence::SlaOutcome;
use offboard_core::ids::CaseId;
use offboard_core::messages::{self, StepMessage};
use offboard_core::notify::{Notification, NotificationKind};
use offboard_core::plan::{Plan, StepKind, StepStatus};
use offboard_core::policy::Policy;
use offboard_core::ports::{CaseStore, MessageQueue, RemediationStore, Versioned};

use crate::clock::Clock;
use crate::etag::{self, Change};
use crate::evidence::Evidence;
use crate::steps::StepRegistry;

/// How long a step's claim lasts without renewal: the invocation running the step renews
/// it every `lease::RENEW_EVERY`, so a handler that dies mid-step holds it this long at most
/// after it last showed life (less on the same host: `holder.rs`).
pub const STEP_LEASE: ChronoDuration = ChronoDuration::seconds(40);

/// How long one invocation may run a step before it gives up (its lease renewed meanwhile).
pub const STEP_DEADLINE: Duration = Duration::from_secs(100);

/// A dead holder's lease is taken over no sooner than this after the holder last claimed or
/// renewed it, so that a request it had just sent has been answered or dropped.
pub const DEAD_HOLDER_GRACE: ChronoDuration = ChronoDuration::seconds(5);
/// Transient failures retried before the step fails.
pub const MAX_TRANSIENT_ATTEMPTS: u32 = 6;
/// Longest backoff between transient retries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// ETag races retried before giving up (the host then redelivers the message).
const RACES: usize = 25;

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
    /// The connector file's systems: each is planned as a step of its own.
    connectors: Arc<Vec<crate::settings::ConnectorConfig>>,
    /// The instance's Graph write pacer, when it has one: a clean-up step asks it before it
    /// starts whether a burst's sign-in cuts come first.
    write_pacer: Option<Arc<offboard_graph::WritePacer>>,
}

fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_secs(2u64.saturating_pow(attempt.min(16)));
    let jitter = Duration::from_millis(rand::random_range(0..1000));
    (base + jitter).min(MAX_BACKOFF)
}

fn leaver_name(case: &Case) -> String {
    case.event.employee().display_name().to_owned()
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
            connectors: Arc::new(Vec::new()),
            write_pacer: None,
        }
    }

    /// The engine planning a step for each of `connectors` (the connector file's systems);
    /// their actions are in the step registry ([`crate::steps::with_connector_steps`]).
    pub fn with_connectors(mut self, connectors: Vec<crate::settings::ConnectorConfig>) -> Self {
        self.connectors = Arc::new(connectors);
        self
    }

    /// The engine whose clean-up steps first ask `pacer` (the instance's Graph write pacer)
    /// whether a burst's sign-in cuts come first, and if so go back to their queue before
    /// they read anything.
    pub fn with_write_pacer(mut self, pacer: Arc<offboard_graph::WritePacer>) -> Self {
        self.write_pacer = Some(pacer);
        self
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

    /// Changes the case `id` under its ETag ([`etag::update`]): `change` sees a fresh copy
    /// and the time it was read, and decides whether to write. Returns the case as stored
    /// (or as read, when nothing was written) with the change's answer.
    async fn change_case<T>(
        &self,
        id: &CaseId,
        mut change: impl FnMut(&mut Case, DateTime<Utc>) -> Result<Change<T>, EngineError>,
    ) -> Result<(Case, T), EngineError> {
        let cases = self.cases.as_ref();
        let updated = etag::update(
            RACES,
            || async move { self.load(id).await.map(Some) },
            |slot: &mut Option<Case>| match slot.as_mut() {
                Some(case) => change(case, self.clock.now()),
                None => Ok(Change::ReadAgain),
            },
            |case, etag| etag::replace_case(cases, case, etag),
        )
        .await?
        .ok_or_else(|| EngineError::Contended(id.clone()))?;
        let case = updated
            .value
            .ok_or_else(|| EngineError::NoSuchCase(id.clone()))?;
        Ok((case, updated.answer))
    }

    /// Applies `f` to the case and stores it, retrying ETag races. `f` returns false to
    /// store nothing.
    async fn update_case(
        &self,
        id: &CaseId,
        mut f: impl FnMut(&mut Case, DateTime<Utc>) -> Result<bool, EngineError>,
    ) -> Result<Case, EngineError> {
        self.change_case(id, |case, now| {
            Ok(if f(case, now)? {
                Change::Write(())
            } else {
                Change::Keep(())
            })
        })
        .await
        .map(|(case, ())| case)
    }

    fn sla(&self, case: &Case, cut_at: Option<DateTime<Utc>>) -> SlaOutcome {
        let minutes = self.policy.for_kind(case.event.kind()).sla_minutes;
        let deadline = case.event.effective_at() + ChronoDuration::minutes(i64::from(minutes));
        SlaOutcome {
            target_minutes: Some(minutes),
            measured_from: case.event.effective_at(),
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
            recipients: Vec::new(),
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
}
