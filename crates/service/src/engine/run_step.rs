//! Running one step: claim it with a lease stored on the case (so a duplicate message
//! changes nothing), run it within its deadline, and decide what a failure means —
//! throttled: again after `Retry-After`; transient: back off; permanent or out of
//! attempts: the step fails (see `finish.rs`). A step no action is registered for waits,
//! visibly.

use chrono::{DateTime, Utc};
use std::time::Duration;

use offboard_core::case::Case;
use offboard_core::ids::CaseId;
use offboard_core::messages::StepMessage;
use offboard_core::plan::{StepKind, StepStatus};

use super::journal::StepJournal;
use super::kill_switch::AfterCut;
use super::outcome::{EngineError, Handled};
use super::sign_in_cut::is_cut_kind;
use super::{
    DEAD_HOLDER_GRACE, Engine, MAX_TRANSIENT_ATTEMPTS, STEP_LEASE, backoff, holder, leaver_name,
};
use crate::attempt::{StepContext, StepFailure};
use crate::etag::Change;

impl Engine {
    /// A step queue function (`step-<kind>`). The seal message ends the case
    /// ([`Engine::seal`]) under the seal step's lease; every other step is claimed, run and
    /// concluded.
    ///
    /// Log lines carry the case through the caller's span, as for [`Engine::plan`].
    pub async fn run_step(&self, msg: &StepMessage) -> Result<Handled, EngineError> {
        match msg.step {
            StepKind::Seal => self.run_seal(msg).await,
            _ => self.run_claimed(msg).await,
        }
    }

    /// The seal message, claimed like a step: two copies at once (a redelivered plan or
    /// finished step re-sends what is queued, the seal among them) would otherwise both seal
    /// — two seal generations and two ledger entries for one ending.
    async fn run_seal(&self, msg: &StepMessage) -> Result<Handled, EngineError> {
        match self.claim(msg).await? {
            Claim::Claimed { .. } => {}
            Claim::Finished(why) | Claim::Skip(why) => return Ok(Handled::Skipped(why)),
            Claim::Later(delay, why) => {
                self.enqueue_step(msg, delay).await?;
                return Ok(Handled::Deferred(why));
            }
        }
        let sealed = self.seal(&msg.case_id).await;
        if !matches!(sealed, Ok(Handled::Done(_))) {
            // Not sealed this time: the next message may seal at once.
            if let Err(e) = self.release(msg).await {
                tracing::warn!(error = %e, "could not release the seal's lease");
            }
        }
        sealed
    }

    /// Claims the step with its lease, runs it within [`STEP_DEADLINE`] and decides what
    /// its failure means: wait as the service said, back off, or give up.
    pub(super) async fn run_claimed(&self, msg: &StepMessage) -> Result<Handled, EngineError> {
        // 0. In a burst, every leaver's sign-in cut comes before anyone's clean-up.
        if let Some(delay) = self.held_for_cuts(msg.step) {
            self.enqueue_step(msg, delay).await?;
            return Ok(Handled::Deferred(format!(
                "{} waits for the sign-in cuts of a burst of leavers; again in {} s",
                msg.step,
                delay.as_secs()
            )));
        }
        // 1. Claim the step.
        let (case, since, claim, lease_until) = match self.claim(msg).await? {
            Claim::Claimed {
                case,
                since,
                claim,
                lease_until,
            } => (case, since, claim, lease_until),
            Claim::Skip(why) => return Ok(Handled::Skipped(why)),
            Claim::Finished(why) => return self.resend_successors(msg, why).await,
            Claim::Later(delay, why) => {
                self.enqueue_step(msg, delay).await?;
                return Ok(Handled::Deferred(why));
            }
        };
        // The sign-in cut at intake may have done this step, or may still be doing it.
        let since = match self.after_inline_cut(msg, &case, since).await? {
            AfterCut::Run(since) => since,
            AfterCut::Handled(handled) => return Ok(handled),
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
            policy: self.policy.for_kind(case.event.kind()),
            since,
            now: self.clock.now(),
        };
        // Every change the step sends is recorded first (`journal.rs`); the step runs under
        // its lease, renewed while it runs and given up before it could pass to another
        // invocation (`lease.rs`).
        let journal = StepJournal::new(
            self.evidence.clone(),
            case.as_ref().clone(),
            msg.step,
            step.attempts,
        );
        let run = offboard_graph::with_journal(journal, action.run(&ctx));
        let result = self.run_leased(msg, &claim, lease_until, run).await;
        match result {
            Ok(report) => self.conclude(msg, report).await,
            Err(StepFailure::Throttled {
                retry_after,
                detail,
            }) => {
                self.give_back(msg, Some(retry_after)).await?;
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

    /// How long a Microsoft 365 clean-up step of `kind` waits before it starts, when the
    /// instance's write pacer holds clean-up back for a burst's sign-in cuts. Cut steps, the
    /// seal, and steps that do not write to Graph through the pacer (AD, other systems,
    /// restores) never wait here.
    fn held_for_cuts(&self, kind: StepKind) -> Option<Duration> {
        let paced_clean_up = !is_cut_kind(kind)
            && kind != StepKind::Seal
            && !kind.is_on_prem()
            && kind.connector().is_none()
            && kind.restore().is_none();
        if !paced_clean_up {
            return None;
        }
        self.write_pacer.as_ref()?.clean_up_held_for_cuts()
    }

    /// Takes the step's lease, unless it is done, not ready or leased by another
    /// invocation.
    pub(super) async fn claim(&self, msg: &StepMessage) -> Result<Claim, EngineError> {
        self.change_case(&msg.case_id, |case, now| {
            tracing::Span::current().record("leaver", leaver_name(case));
            let Some(plan) = case.plan.as_mut() else {
                return Ok(Change::Keep(Claim::Skip("case has no plan".into())));
            };
            let Some(step) = plan.step_mut(msg.step) else {
                return Ok(Change::Keep(Claim::Skip(format!(
                    "{} is not in the plan",
                    msg.step
                ))));
            };
            if step.status.is_terminal() {
                return Ok(Change::Keep(Claim::Finished(format!(
                    "{} is already {}",
                    msg.step,
                    step.status.as_str()
                ))));
            }
            if step.status == StepStatus::Scheduled {
                return Ok(Change::Keep(Claim::Skip(format!(
                    "{} is scheduled for later: the scheduler releases it when due",
                    msg.step
                ))));
            }
            if step.status == StepStatus::Pending {
                return Ok(Change::Keep(Claim::Skip(format!(
                    "{} is waiting for its predecessors",
                    msg.step
                ))));
            }
            if let Some(until) = step.lease_until
                && until > now
            {
                // A holder known dead is taken over once a request it had just sent has had
                // time to land; any other holder keeps the lease until it ends.
                let last_alive = until - STEP_LEASE;
                let dead = step.lease_holder.as_ref().is_some_and(holder::is_dead);
                let open_at = if dead {
                    last_alive + DEAD_HOLDER_GRACE
                } else {
                    until
                };
                if open_at > now {
                    let wait =
                        (open_at - now).to_std().unwrap_or_default() + Duration::from_secs(1);
                    return Ok(Change::Keep(Claim::Later(
                        wait,
                        format!("{} is being run by another invocation", msg.step),
                    )));
                }
                tracing::warn!(step = %msg.step, holder = ?step.lease_holder, "taking over the lease of a holder whose process has ended");
            }
            let claim = uuid::Uuid::new_v4().to_string();
            let lease_until = now + STEP_LEASE;
            step.status = StepStatus::Queued;
            step.lease_until = Some(lease_until);
            step.lease_holder = Some(holder::this_holder(claim.clone()));
            step.attempts += 1;
            let since = *step.started_at.get_or_insert(now);
            Ok(Change::Write(Claim::Claimed {
                case: Box::new(case.clone()),
                since,
                claim,
                lease_until,
            }))
        })
        .await
        .map(|(_, claim)| claim)
    }

    /// Gives the lease back (the step will run again from a new message).
    pub(super) async fn release(&self, msg: &StepMessage) -> Result<(), EngineError> {
        self.give_back(msg, None).await
    }

    /// Gives the lease back; with `delay`, the step's new message comes back after it
    /// (`Step::comes_back_at`, which keeps the stuck-step sweep from sending it twice).
    async fn give_back(
        &self,
        msg: &StepMessage,
        delay: Option<Duration>,
    ) -> Result<(), EngineError> {
        self.update_case(&msg.case_id, |case, now| {
            if let Some(s) = case.plan.as_mut().and_then(|p| p.step_mut(msg.step)) {
                s.lease_until = None;
                s.lease_holder = None;
                s.comes_back_at = delay
                    .and_then(|d| chrono::Duration::from_std(d).ok())
                    .map(|d| now + d);
            }
            Ok(true)
        })
        .await
        .map(|_| ())
    }

    /// A step no registered action can run (the on-prem steps before the agent is
    /// configured): it waits, visibly, and the case cannot complete as if it were done.
    pub(super) async fn wait_outside(
        &self,
        id: &CaseId,
        kind: StepKind,
    ) -> Result<Handled, EngineError> {
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
            s.lease_holder = None;
            if kind.is_on_prem() {
                s.remediation_item = Some(true);
            }
            Ok(true)
        })
        .await?;
        if kind.is_on_prem() {
            self.open_waiting_item(id, kind).await?;
        }
        Ok(Handled::Deferred(format!("{kind}: {why}")))
    }
}

/// What claiming a step came to.
pub(super) enum Claim {
    /// The lease is ours (`case` as claimed) as `claim`, until `lease_until` unless renewed;
    /// the step was first started at `since`.
    Claimed {
        case: Box<Case>,
        since: DateTime<Utc>,
        claim: String,
        lease_until: DateTime<Utc>,
    },
    /// The step is already terminal.
    Finished(String),
    /// Nothing to run (not planned, waiting for predecessors).
    Skip(String),
    /// Another invocation holds the lease: look again after the delay.
    Later(Duration, String),
}
