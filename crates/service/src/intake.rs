//! Intake: a verified termination becomes a durable, de-duplicated case, and a due case is
//! sent to planning.
//!
//! Order of writes: the case is created first (create-if-absent), then — if it is due — the
//! plan message is enqueued. If the enqueue fails the request fails (the sender retries);
//! the retry finds the case and enqueues again. Planning is idempotent, so a second plan
//! message for the same case changes nothing.
//!
//! The kill switch: a due case has the leaver's sign-in cut by this invocation, after the
//! case and its HR record are durable and before the plan message is sent
//! ([`Engine::cut_sign_in`], within the budget set by `with_kill_switch`); the answer says
//! what came of it. Whatever the cut did not verify, the queued steps do.
//!
//! One person, one active offboarding (`intake/person.rs`): before deciding, intake resolves
//! the leaver to their Entra object id and claims the person (create-if-absent); a
//! termination of a person whose case is open joins that case instead of opening a second
//! one. An event id seen before with a different termination is refused as a conflict.

mod person;

use std::sync::Arc;
use std::time::Duration;

use offboard_core::case::{Actor, Case, CaseStatus, CaseTransitionError};
use offboard_core::event::{Source, TerminationEvent};
use offboard_core::ids::CaseId;
use offboard_core::messages::{self, PLAN_QUEUE, PlanMessage};
use offboard_core::ports::{CaseStore, Created, MessageQueue, QueueError, StoreError};

use crate::clock::Clock;
use crate::directory::Directory;
use crate::engine::{Engine, SignInCutOutcome};
use crate::etag::{self, Change};
use crate::evidence::{Evidence, EvidenceFailure};
use crate::notifier::Notifier;

/// What intake answers: the case and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The case id.
    pub case_id: CaseId,
    /// Its status now.
    pub status: CaseStatus,
    /// Whether this request created the case — or, when `attached`, attached the event to
    /// it (false for a redelivery).
    pub created: bool,
    /// Set when the termination joined the open case of the same person instead of opening
    /// its own: `case_id` is then that case.
    pub attached: bool,
    /// What this request did about the leaver's sign-in (the kill switch); `None` when the
    /// termination joined another case or intake has no kill switch.
    pub sign_in_cut: Option<SignInCutOutcome>,
}

/// What a rescind did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RescindOutcome {
    /// The case was cancelled (or already was).
    Cancelled(Receipt),
    /// The termination had taken effect and the rescind came within the policy's
    /// `[restore] rescind_within_days`: the case is being restored from its snapshot.
    Restoring(Receipt),
    /// The termination had taken effect and the case was not restored (the rescind came
    /// after the policy's days, or the case could not be restored then): the rescind is
    /// recorded in the case's evidence and the operators are notified to decide. With why it
    /// was not restored.
    Recorded(Receipt, String),
    /// No case exists for that event: nothing to cancel.
    NoSuchCase(CaseId),
}

/// Why intake could not complete. The HTTP layer maps these to status codes.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The requested change is not allowed in the case's state.
    #[error(transparent)]
    Transition(#[from] CaseTransitionError),
    /// Encoding a message failed (a bug).
    #[error("could not encode a queue message: {0}")]
    Encode(String),
    /// Evidence could not be written.
    #[error(transparent)]
    Evidence(#[from] EvidenceFailure),
    /// The event id was received before with a different termination (another person,
    /// kind or effective time): nothing was changed.
    #[error(
        "{sender} event `{event_id}` was received before with different content (case {original}); nothing was changed — a new termination needs a new event id"
    )]
    EventIdReused {
        /// The source that sent it.
        sender: Source,
        /// The reused event id.
        event_id: String,
        /// The case the first use of the id belongs to.
        original: CaseId,
    },
    /// The directory could not tell who the leaver is right now (throttled, unavailable).
    #[error("the directory could not resolve the leaver right now: {0}")]
    DirectoryUnavailable(String),
    /// A rescind within the policy's days asked for a restore the engine could not start.
    #[error("the termination took effect and the rescind could not restore the case: {detail}")]
    Restore {
        /// Why.
        detail: String,
        /// Whether the same rescind may succeed later.
        transient: bool,
    },
}

impl IntakeError {
    /// Whether the caller should retry the same request later.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(e) => e.is_transient(),
            Self::Queue(e) => matches!(e, QueueError::Unavailable { .. }),
            Self::Evidence(e) => e.is_transient(),
            Self::DirectoryUnavailable(_) => true,
            Self::Restore { transient, .. } => *transient,
            Self::Transition(_) | Self::Encode(_) | Self::EventIdReused { .. } => false,
        }
    }
}

/// The intake use cases.
#[derive(Clone)]
pub struct Intake {
    cases: Arc<dyn CaseStore>,
    queue: Arc<dyn MessageQueue>,
    evidence: Evidence,
    clock: Arc<dyn Clock>,
    directory: Option<Arc<dyn Directory>>,
    notifier: Option<Arc<dyn Notifier>>,
    kill_switch: Option<KillSwitch>,
}

/// The engine that cuts sign-in inline, and how long the cut may take.
#[derive(Clone)]
struct KillSwitch {
    engine: Engine,
    budget: Duration,
}

/// The leaver as intake resolved them: their object id, and the identifier that found them.
pub(crate) type Known = (String, String);

/// How many times an ETag conflict is retried before giving up.
const MAX_CONFLICT_RETRIES: usize = 5;

impl Intake {
    /// Intake over a case store, a queue and the evidence service.
    pub fn new(
        cases: Arc<dyn CaseStore>,
        queue: Arc<dyn MessageQueue>,
        evidence: Evidence,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            cases,
            queue,
            evidence,
            clock,
            directory: None,
            notifier: None,
            kill_switch: None,
        }
    }

    /// Cuts the leaver's sign-in inline through `engine` before a due case is sent to
    /// planning (the kill switch), giving up after `budget` (the queued steps then do it).
    pub fn with_kill_switch(mut self, engine: Engine, budget: Duration) -> Self {
        self.kill_switch = Some(KillSwitch { engine, budget });
        self
    }

    /// Resolves each leaver in `directory` before deciding, so that one person has at most
    /// one active offboarding. Without it every event opens its own case.
    pub fn with_directory(mut self, directory: Arc<dyn Directory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// Notifies through `notifier` when an event id is reused for a different termination.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// The evidence service.
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// The clock intake uses.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The case store.
    pub fn cases(&self) -> &Arc<dyn CaseStore> {
        &self.cases
    }

    /// Opens the case for `event`, finds it when the event was delivered before, or — when
    /// the same person already has an open case — attaches the event to that case. A due
    /// case is sent to planning. An event id seen before with a different termination is
    /// refused ([`IntakeError::EventIdReused`]).
    #[tracing::instrument(skip_all, fields(case_id = %event.case_id(), leaver = %event.employee().display_name(), source = %event.source()))]
    pub async fn open(&self, event: TerminationEvent) -> Result<Receipt, IntakeError> {
        if let Some(seen) = self.cases.get(&event.case_id()).await? {
            self.same_or_conflict(&seen.value.event, &event, &seen.value.id)
                .await?;
            return self.open_own(event, None).await;
        }
        if let Some(receipt) = self.attached_before(&event).await? {
            return Ok(receipt);
        }
        match self.resolve_person(&event).await? {
            Some(person) => self.open_for_person(&person, event).await,
            None => self.open_own(event, None).await,
        }
    }

    /// Opens the case `event` itself opens (create-if-absent), records its HR trigger and,
    /// when due, cuts sign-in and sends it to planning. `known` is the leaver, when intake
    /// resolved them.
    async fn open_own(
        &self,
        event: TerminationEvent,
        known: Option<&Known>,
    ) -> Result<Receipt, IntakeError> {
        let now = self.clock.now();
        let case = Case::open(event.clone(), now);
        let created = self.cases.create(&case).await?;
        let is_new = created.is_new();
        if let Created::Existing(seen) = &created {
            // Two requests with the same event id raced past the first check.
            self.same_or_conflict(&seen.value.event, &event, &seen.value.id)
                .await?;
        }
        let stored = created.into_inner().value;
        // The HR trigger is the first evidence record. Written on every delivery until it
        // exists, so a failure here is healed by the sender's retry.
        if is_new {
            self.evidence.record_trigger_of_new_case(&stored).await?;
        } else {
            self.evidence.record_trigger(&stored).await?;
        }
        let sign_in_cut = match stored.status {
            // Also on redelivery: the first delivery may have stored the case and then
            // failed to enqueue. Planning ignores a second message for the same case, and
            // the cut is claimed once.
            CaseStatus::Received => self.cut_then_plan(&stored.id, known).await?,
            CaseStatus::Scheduled => {
                self.kill_switch
                    .as_ref()
                    .map(|_| SignInCutOutcome::Scheduled {
                        due_at: stored.due_at(),
                    })
            }
            _ => stored
                .sign_in_cut
                .as_ref()
                .filter(|_| self.kill_switch.is_some())
                .map(SignInCutOutcome::of),
        };
        tracing::info!(created = is_new, status = %stored.status, "case opened");
        Ok(Receipt {
            case_id: stored.id,
            status: stored.status,
            created: is_new,
            attached: false,
            sign_in_cut,
        })
    }

    /// Records who raised the case `id` (a signed-in operator), once: four eyes then refuse
    /// their own approval of its hold.
    pub async fn record_raiser(&self, id: &CaseId, raiser: Actor) -> Result<(), IntakeError> {
        let cases = self.cases.as_ref();
        etag::update(
            MAX_CONFLICT_RETRIES,
            || async move { Ok::<_, IntakeError>(cases.get(id).await?) },
            |slot: &mut Option<Case>| match slot.as_mut() {
                Some(case) if case.raised_by.is_none() => {
                    case.raised_by = Some(raiser.clone());
                    Ok(Change::Write(()))
                }
                _ => Ok(Change::Keep(())),
            },
            |case, etag| etag::replace_case(cases, case, etag),
        )
        .await?;
        Ok(())
    }

    /// Cuts the leaver's sign-in inline when intake has a kill switch, then sends the case
    /// to planning — after the cut, so that no queued step runs while it does. A cut that
    /// cannot run at all is logged and left to the queued steps; the case is planned either
    /// way.
    pub(crate) async fn cut_then_plan(
        &self,
        id: &CaseId,
        known: Option<&Known>,
    ) -> Result<Option<SignInCutOutcome>, IntakeError> {
        let outcome = match &self.kill_switch {
            None => None,
            Some(k) => {
                let known = known.map(|(u, b)| (u.as_str(), b.as_str()));
                Some(
                    match Box::pin(k.engine.cut_sign_in(id, known, k.budget)).await {
                        Ok(outcome) => outcome,
                        Err(e) => {
                            tracing::warn!(error = %e, "the inline sign-in cut could not run; the queued steps cut sign-in");
                            SignInCutOutcome::Queued {
                                reason: format!("the inline cut could not run: {e}"),
                            }
                        }
                    },
                )
            }
        };
        if let Some(o) = &outcome {
            tracing::info!(sign_in_cut = ?o, "sign-in cut at intake");
        }
        self.send_to_planning(id).await?;
        Ok(outcome)
    }

    /// Sends a case to the planner.
    pub async fn send_to_planning(&self, id: &CaseId) -> Result<(), IntakeError> {
        let text = messages::encode(&PlanMessage {
            case_id: id.clone(),
        })
        .map_err(|e| IntakeError::Encode(e.to_string()))?;
        self.queue.send(PLAN_QUEUE, &text, Duration::ZERO).await?;
        Ok(())
    }

    /// Cancels the case `id` because its termination was rescinded. Refused once the
    /// termination has taken effect.
    #[tracing::instrument(skip(self, note), fields(case_id = %id))]
    pub async fn rescind(&self, id: &CaseId, note: &str) -> Result<RescindOutcome, IntakeError> {
        match self.cancel(id, note).await {
            Err(IntakeError::Transition(e @ CaseTransitionError::AlreadyEffective { .. })) => {
                self.restore_on_rescind(id, note, e).await
            }
            other => other,
        }
    }

    /// A rescind after the effective time: restored when it arrives within the policy's
    /// `[restore] rescind_within_days` of the effective time (through the engine, as an
    /// operator's restore is, with offboard acting on the rescind as the asker); refused as
    /// before otherwise. A case still running is refused too: its rescind would find nothing
    /// ended to restore.
    async fn restore_on_rescind(
        &self,
        id: &CaseId,
        note: &str,
        refused: CaseTransitionError,
    ) -> Result<RescindOutcome, IntakeError> {
        let Some(k) = &self.kill_switch else {
            return Err(refused.into());
        };
        let Some(case) = self.cases.get(id).await? else {
            return Err(refused.into());
        };
        let case = case.value;
        let policy = k.engine.policy().restore;
        let by = Actor::rescind(case.event.source().as_str());
        let effective_at = case.event.effective_at();
        if !policy.restores_rescind(effective_at, self.clock.now()) {
            let why = if policy.rescind_within_days == 0 {
                "the policy restores no rescind by itself ([restore] rescind_within_days = 0)"
                    .to_owned()
            } else {
                format!(
                    "it came more than {} day(s) after the effective time ({effective_at}), the policy's [restore] rescind_within_days",
                    policy.rescind_within_days
                )
            };
            return self.rescind_recorded(k, id, by, note, &why).await;
        }
        let started = match k.engine.restore(id, by.clone(), note).await {
            Ok(started) => started,
            Err(e) if e.is_transient() => {
                return Err(IntakeError::Restore {
                    transient: true,
                    detail: e.to_string(),
                });
            }
            Err(e) => {
                return self
                    .rescind_recorded(k, id, by, note, &format!("it could not be restored: {e}"))
                    .await;
            }
        };
        tracing::info!(
            steps = started.reverse.steps.len(),
            "rescind after the effective time: restoring"
        );
        Ok(RescindOutcome::Restoring(Receipt {
            case_id: started.case.id,
            status: started.case.status,
            created: false,
            attached: false,
            sign_in_cut: None,
        }))
    }

    /// A rescind that does not restore: recorded on the case and the operators notified.
    async fn rescind_recorded(
        &self,
        k: &KillSwitch,
        id: &CaseId,
        by: Actor,
        note: &str,
        why: &str,
    ) -> Result<RescindOutcome, IntakeError> {
        let case = k
            .engine
            .rescind_not_restored(id, by, note, why)
            .await
            .map_err(|e| IntakeError::Restore {
                transient: e.is_transient(),
                detail: e.to_string(),
            })?;
        tracing::warn!(
            why,
            "rescind after the effective time recorded, not restored"
        );
        Ok(RescindOutcome::Recorded(
            Receipt {
                case_id: case.id,
                status: case.status,
                created: false,
                attached: false,
                sign_in_cut: None,
            },
            why.to_owned(),
        ))
    }

    async fn cancel(&self, id: &CaseId, note: &str) -> Result<RescindOutcome, IntakeError> {
        let cases = self.cases.as_ref();
        let cancelled = etag::update(
            MAX_CONFLICT_RETRIES,
            || async move { Ok::<_, IntakeError>(cases.get(id).await?) },
            |slot: &mut Option<Case>| match slot.as_mut() {
                None => Ok(Change::Keep(())),
                Some(case) => Ok(if case.cancel(note, self.clock.now())? {
                    Change::Write(())
                } else {
                    Change::Keep(())
                }),
            },
            |case, etag| etag::replace_case(cases, case, etag),
        )
        .await?
        .ok_or_else(|| StoreError::PreconditionFailed {
            what: format!("case {id}"),
        })?;
        let Some(value) = cancelled.value else {
            return Ok(RescindOutcome::NoSuchCase(id.clone()));
        };
        if cancelled.written {
            tracing::info!("case cancelled");
        }
        // A cancelled case is finished: record why and seal it (idempotent, so a retried
        // rescind completes what a failed one started).
        self.finish_cancelled(&value, note).await?;
        Ok(RescindOutcome::Cancelled(Receipt {
            case_id: value.id,
            status: value.status,
            created: false,
            attached: false,
            sign_in_cut: None,
        }))
    }

    async fn finish_cancelled(&self, case: &Case, note: &str) -> Result<(), IntakeError> {
        let period = offboard_core::evidence::period_of(case.event.effective_at());
        let recorded = self
            .evidence
            .index()
            .get(&period, &case.id)
            .await
            .map_err(EvidenceFailure::from)?
            .is_some_and(|v| v.value.status == CaseStatus::Cancelled);
        if !recorded {
            let body = self.evidence.case_status_body(
                case,
                "case cancelled: termination rescinded before it took effect",
                Some(note.to_owned()),
            );
            self.evidence.append(case, body).await?;
        }
        self.evidence
            .seal(case, Evidence::no_sla(case, None))
            .await?;
        Ok(())
    }

    /// Rescinds the termination of the person `source` calls `subject_id` (HR reinstated
    /// them): every open case from `source` about them is cancelled (or, once effective,
    /// handled as a late rescind); when none is open, the latest that ended after changing
    /// access is restored within the policy's `[restore] rescind_within_days`, or the rescind
    /// is recorded on it and the operators notified.
    pub async fn rescind_subject(
        &self,
        source: Source,
        subject_id: &str,
        note: &str,
    ) -> Result<Vec<Result<RescindOutcome, IntakeError>>, IntakeError> {
        let mut ids = self.cases.open_for_subject(source, subject_id).await?;
        if ids.is_empty() {
            ids.extend(
                self.cases
                    .latest_ended_for_subject(source, subject_id)
                    .await?,
            );
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(match self.rescind(&id, note).await {
                Ok(RescindOutcome::NoSuchCase(_)) => continue,
                other => other,
            });
        }
        Ok(out)
    }
}
