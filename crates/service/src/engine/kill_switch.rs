//! The kill switch: the intake invocation cuts the leaver's sign-in itself, before any queue
//! hop — blocks sign-in (cloud-only) or disables the AD account through the agent (synced),
//! revokes sessions, reads both back and records their evidence — within a time budget.
//!
//! **One writer.** The cut is claimed on the case under its ETag ([`SignInCut::claimed`],
//! held for [`STEP_LEASE`], the steps' own lease) and only while the case has no plan, so the
//! planner, and the queued steps after it, come later. Intake sends the case to planning only
//! once the cut has ended. A queued `block-sign-in`, `revoke-sessions` or `ad-disable` step
//! then finds its kind verified on the case and records it as already verified without
//! calling Microsoft 365 (`Engine::after_inline_cut`); finds the cut still held (a redelivery
//! raced it, or its invocation died) and waits for the lease; or finds it ended without that
//! kind verified and does the work itself — reading first, with the cut's start as its own,
//! so a write the cut made before giving up is recognised and not made again.
//!
//! **Bounded.** The cut's calls run under the budget; at the budget they are dropped (no
//! further call is made) and what finished is kept. Throttling does not wait in the
//! invocation: the step's clients hand `429` straight back. Whatever is not verified is left
//! to the queued steps, which run as they always did; the answer says why.

use chrono::{DateTime, Utc};
use serde_json::json;
use std::time::Duration;

use offboard_core::case::{Case, CaseStatus, CutStep, SignInCut};
use offboard_core::evidence::{Outcome, RecordBody, millis};
use offboard_core::ids::CaseId;
use offboard_core::messages::StepMessage;
use offboard_core::plan::{self, StepKind, StepStatus};
use offboard_core::policy::Policy;
use offboard_core::ports::Versioned;

use super::journal::StepJournal;
use super::outcome::{EngineError, Handled};
use super::sign_in_cut::{SignInCutOutcome, cut_kinds, is_cut_kind};
use super::{Engine, STEP_LEASE};
use crate::attempt::{StepContext, StepFailure, StepReport};
use crate::directory::Resolution;
use crate::etag::Change;

/// What claiming the cut came to.
enum Claim {
    /// Ours: run it.
    Ours(SignInCut),
    /// Not to run here; the answer.
    Not(SignInCutOutcome),
}

/// Claims the cut on `case` unless the policy leaves it to the steps, it ended or is held,
/// or the case is not (or no longer) waiting for its plan.
fn claim(case: &mut Case, now: DateTime<Utc>, policy: &Policy) -> Change<Claim> {
    let not = |o| Change::Keep(Claim::Not(o));
    let kind = case.plan_kind();
    if !policy.for_kind(kind).inline_sign_in_cut {
        return not(SignInCutOutcome::Off {
            reason: format!(
                "the policy leaves the sign-in cut of a {kind} termination to the queued steps"
            ),
        });
    }
    if let Some(cut) = &case.sign_in_cut {
        if cut.finished_at.is_some() {
            return not(SignInCutOutcome::of(cut));
        }
        if cut.is_held(now) {
            return not(SignInCutOutcome::Queued {
                reason: "another invocation is cutting sign-in for this case".into(),
            });
        }
        // Held by an invocation that died: its lease is over, so nothing of it still acts.
    }
    if case.plan.is_some() {
        return not(SignInCutOutcome::Queued {
            reason: "the case is planned: its queued steps cut sign-in".into(),
        });
    }
    if case.status != CaseStatus::Received {
        return not(SignInCutOutcome::Queued {
            reason: format!("the case is {}", case.status),
        });
    }
    let cut = SignInCut::claimed(now, now + STEP_LEASE);
    case.sign_in_cut = Some(cut.clone());
    Change::Write(Claim::Ours(cut))
}

/// The result of each step the cut ran, in order.
type Ran = Vec<(StepKind, Result<StepReport, StepFailure>)>;

impl Engine {
    /// Cuts the leaver's sign-in inline (see the module): claims the cut, runs it within
    /// `budget`, records the evidence of every action that finished and stores the outcome
    /// on the case. `known` is the leaver as intake resolved them (object id, and by which
    /// identifier); without it the cut resolves them itself. Never sends the case to
    /// planning: the caller does, after this returns.
    pub async fn cut_sign_in(
        &self,
        id: &CaseId,
        known: Option<(&str, &str)>,
        budget: Duration,
    ) -> Result<SignInCutOutcome, EngineError> {
        let (case, claimed) = self
            .change_case(id, |case, now| Ok(claim(case, now, &self.policy)))
            .await?;
        let cut = match claimed {
            Claim::Ours(cut) => cut,
            Claim::Not(outcome) => return Ok(outcome),
        };
        let mut ran: Ran = Vec::new();
        let stopped = match tokio::time::timeout(
            budget,
            self.run_cut(&case, known, cut.started_at, &mut ran),
        )
        .await
        {
            Ok(stopped) => stopped,
            Err(_) => Some(format!(
                "the inline cut did not finish within its {} ms budget",
                budget.as_millis()
            )),
        };
        let (steps, why) = self.record_cut(&case, ran).await?;
        let reason = stopped.or(why);
        self.finish_cut(id, &cut, steps, reason).await
    }

    /// Runs the cut's steps; pushes each result into `ran` as it comes, so that what
    /// finished survives the budget. Returns why it stopped early, if it did.
    async fn run_cut(
        &self,
        case: &Case,
        known: Option<(&str, &str)>,
        since: DateTime<Utc>,
        ran: &mut Ran,
    ) -> Option<String> {
        let (user_id, by) = match known {
            Some((u, b)) => (u.to_owned(), b.to_owned()),
            None => match self.directory.resolve(case.event.employee()).await {
                Ok(Resolution::Found { user_id, by }) => (user_id, by),
                Ok(_) => {
                    return Some(
                        "the leaver does not resolve to exactly one account; the planner stops the case with the reason".into(),
                    );
                }
                Err(e) => return Some(format!("the leaver could not be resolved: {e}")),
            },
        };
        let facts = match self.directory.account(&user_id, &by).await {
            Ok(f) => f,
            Err(e) => return Some(format!("the leaver's account could not be read: {e}")),
        };
        let policy = self.policy.for_kind(case.plan_kind());
        // The plan the planner would make of the account alone: it names the cut's steps as
        // the policy has them (a skipped step is not applicable) and gives each its context.
        // It is never stored.
        let plan = plan::build(facts, policy, since);
        let kinds = cut_kinds(plan.facts.synced);
        let mut why = None;
        let mut actions = Vec::new();
        for kind in kinds {
            match (plan.step(kind), self.steps.get(kind)) {
                (Some(step), Some(action)) if !step.status.is_terminal() => {
                    actions.push((kind, step, action.clone()))
                }
                (Some(step), _) if step.status.is_terminal() => {
                    why.get_or_insert(format!(
                        "{kind} is {}: {}",
                        step.status.as_str(),
                        step.reason.clone().unwrap_or_default()
                    ));
                }
                _ => {
                    why.get_or_insert(format!(
                        "{kind} cannot run here (no on-prem agent is configured); its queued step waits for one"
                    ));
                }
            }
        }
        let ctx = |step| StepContext {
            case,
            plan: &plan,
            step,
            facts: &plan.facts,
            policy,
            since,
            now: self.clock.now(),
        };
        if plan.facts.synced {
            // AD and the cloud sessions do not wait for each other.
            let runs = actions.iter().map(|(kind, step, action)| {
                let ctx = ctx(step);
                let journal = self.inline_journal(case, *kind);
                async move {
                    let run = offboard_graph::with_journal(journal, action.run(&ctx));
                    (*kind, run.await)
                }
            });
            ran.extend(futures::future::join_all(runs).await);
        } else {
            for (kind, step, action) in &actions {
                let journal = self.inline_journal(case, *kind);
                let result = offboard_graph::with_journal(journal, action.run(&ctx(step))).await;
                let verified = matches!(&result, Ok(r) if r.status == StepStatus::Verified);
                ran.push((*kind, result));
                if !verified {
                    // Revoking before the block holds would let a session be re-established.
                    break;
                }
            }
        }
        why
    }

    /// The journal of the inline cut's `kind`: its changes are in the evidence before they
    /// are sent, as a queued step's are (`journal.rs`), as attempt 0 — the cut at intake —
    /// so the queued step that follows names it if it finds the change made.
    fn inline_journal(&self, case: &Case, kind: StepKind) -> std::sync::Arc<StepJournal> {
        StepJournal::new(self.evidence.clone(), case.clone(), kind, 0)
    }

    /// Records the evidence of every action that finished; returns the steps as the case
    /// keeps them and why one of them is not verified, if one is not. A throttled or
    /// temporary failure changed nothing and is not recorded (as for a queued step).
    async fn record_cut(
        &self,
        case: &Case,
        ran: Ran,
    ) -> Result<(Vec<CutStep>, Option<String>), EngineError> {
        let mut steps = Vec::new();
        let mut why = None;
        for (kind, result) in ran {
            let actions = match result {
                Ok(report) => {
                    if report.status != StepStatus::Verified {
                        why.get_or_insert(format!(
                            "{kind} is {}: {}",
                            report.status.as_str(),
                            report.reason.clone().unwrap_or_default()
                        ));
                    }
                    Some((report.status, report.actions))
                }
                Err(StepFailure::Permanent { detail, action }) => {
                    why.get_or_insert(format!("{kind} failed: {detail}"));
                    Some((
                        StepStatus::Failed,
                        action.map(|a| vec![*a]).unwrap_or_default(),
                    ))
                }
                Err(e) => {
                    why.get_or_insert(format!("{kind}: {e}"));
                    None
                }
            };
            let Some((status, actions)) = actions else {
                continue;
            };
            let mut last = None;
            for a in &actions {
                let r = self
                    .evidence
                    .append(case, a.record_body(kind, self.evidence.actor()))
                    .await?;
                last = Some((r.seq, a.ended_at));
            }
            steps.push(CutStep {
                kind,
                status,
                evidence_seq: last.map(|(seq, _)| seq),
                at: last.map(|(_, at)| at).unwrap_or_else(|| self.clock.now()),
            });
        }
        Ok((steps, why))
    }

    /// Stores the cut's outcome on the case and ends its claim.
    async fn finish_cut(
        &self,
        id: &CaseId,
        claimed: &SignInCut,
        steps: Vec<CutStep>,
        reason: Option<String>,
    ) -> Result<SignInCutOutcome, EngineError> {
        let (_, outcome) = self
            .change_case(id, |case, now| {
                let Some(cut) = case.sign_in_cut.as_mut() else {
                    return Ok(Change::Keep(None));
                };
                if cut.started_at != claimed.started_at || cut.finished_at.is_some() {
                    // Another invocation took the claim over after ours expired.
                    return Ok(Change::Keep(None));
                }
                cut.steps = steps.clone();
                cut.finished_at = Some(now);
                cut.lease_until = None;
                let outcome = match cut.verified_at() {
                    Some(_) => {
                        cut.reason = None;
                        SignInCutOutcome::of(cut)
                    }
                    None => {
                        cut.reason = Some(format!(
                            "{}; the queued steps cut sign-in",
                            reason.clone().unwrap_or_else(|| "not verified".into())
                        ));
                        SignInCutOutcome::of(cut)
                    }
                };
                let note = match &outcome {
                    SignInCutOutcome::Verified { at } => format!(
                        "sign-in cut inline and verified at {} ({})",
                        millis::text(*at),
                        steps
                            .iter()
                            .map(|s| s.kind.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    SignInCutOutcome::Queued { reason } => {
                        format!("sign-in not cut inline: {reason}")
                    }
                    _ => String::new(),
                };
                case.note(note, now);
                Ok(Change::Write(Some(outcome)))
            })
            .await?;
        Ok(outcome.unwrap_or_else(|| SignInCutOutcome::Queued {
            reason: "another invocation took the inline cut over; the queued steps finish it"
                .into(),
        }))
    }

    /// Before a queued step of the cut's kinds runs: records it as already verified when the
    /// cut verified it, waits while the cut is held, and otherwise lets it run with the
    /// cut's start as its own (so it recognises what the cut did before giving up).
    pub(super) async fn after_inline_cut(
        &self,
        msg: &StepMessage,
        case: &Case,
        since: DateTime<Utc>,
    ) -> Result<AfterCut, EngineError> {
        let Some(cut) = case.sign_in_cut.as_ref().filter(|_| is_cut_kind(msg.step)) else {
            return Ok(AfterCut::Run(since));
        };
        if let Some(done) = cut.verified(msg.step) {
            return self.adopt(msg, done).await.map(AfterCut::Handled);
        }
        let now = self.clock.now();
        if let (true, Some(until)) = (cut.is_held(now), cut.lease_until) {
            self.release(msg).await?;
            let wait = (until - now).to_std().unwrap_or_default() + Duration::from_secs(1);
            self.enqueue_step(msg, wait).await?;
            return Ok(AfterCut::Handled(Handled::Deferred(format!(
                "{}: the inline sign-in cut is still running; again in {} s",
                msg.step,
                wait.as_secs()
            ))));
        }
        Ok(AfterCut::Run(since.min(cut.started_at)))
    }

    /// Concludes a step the inline cut verified: one record saying so (nothing was sent), the
    /// step verified at the cut's read-back, pointing at the cut's record, and its
    /// successors enqueued.
    async fn adopt(&self, msg: &StepMessage, done: &CutStep) -> Result<Handled, EngineError> {
        let Versioned { value: case, .. } = self.load(&msg.case_id).await?;
        let now = self.clock.now();
        let system = if msg.step.is_on_prem() { "ad" } else { "entra" };
        let seq = done
            .evidence_seq
            .map(|s| s.to_string())
            .unwrap_or_else(|| "?".into());
        let body = RecordBody {
            details: Some(json!({
                "changed": false,
                "verifiedAtIntake": millis::text(done.at),
                "intakeRecordSeq": done.evidence_seq,
            })),
            ..self.evidence.body(
                msg.step.as_str(),
                system,
                format!(
                    "already verified by the sign-in cut at intake (record {seq}); nothing sent"
                ),
                Outcome::Noted,
                now,
            )
        };
        self.evidence.append(&case, body).await?;
        let mut ready = Vec::new();
        self.update_case(&msg.case_id, |case, now| {
            ready.clear();
            let Some(plan) = case.plan.as_mut() else {
                return Ok(false);
            };
            let Some(s) = plan.step_mut(msg.step) else {
                return Ok(false);
            };
            s.status = StepStatus::Verified;
            s.reason = None;
            s.finished_at = Some(done.at);
            s.lease_until = None;
            s.evidence_seq = done.evidence_seq.or(s.evidence_seq);
            ready = Self::take_ready(plan, now);
            Ok(true)
        })
        .await?;
        for k in ready {
            self.enqueue_step(
                &StepMessage {
                    case_id: msg.case_id.clone(),
                    step: k,
                    attempt: 0,
                },
                Duration::ZERO,
            )
            .await?;
        }
        Ok(Handled::Done(format!(
            "{} verified at intake by the inline sign-in cut; nothing sent",
            msg.step
        )))
    }
}

/// What a queued step of the cut's kinds does after [`Engine::after_inline_cut`].
pub(super) enum AfterCut {
    /// Run the step, with this as its first start.
    Run(DateTime<Utc>),
    /// Done here (recorded as verified, or deferred while the cut is held).
    Handled(Handled),
}
