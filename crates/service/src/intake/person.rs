//! One person, one active offboarding.
//!
//! HR and a SCIM client may both report the same leaver, and an operator may act too: each
//! sends its own event id, so case ids alone never bring them together. Intake therefore
//! resolves the leaver to their Entra object id first and claims the person in the store
//! (`person-{objectId}`, create-if-absent — the same on SQLite and Cosmos DB, so two handler
//! instances decide as one would). The claim names the case and holds the event that opened
//! it, so an intake that finds a claim whose case is not written yet can finish creating it.
//!
//! - No claim, or the claimed case is final: this event opens its own case (the claim is
//!   replaced under its ETag).
//! - The claimed case is open: the event is attached to it. Its HR record joins that case's
//!   evidence chain; an earlier effective time or a harsher kind tightens the case while it
//!   is not yet planned; no second set of steps is ever planned. An `event-{caseId}` claim
//!   remembers where the event went, so a redelivery answers with the same case.
//!
//! When the leaver cannot be resolved (no account, several), intake opens the event's own
//! case: the planner will reach the same conclusion and stop the case without changing
//! anything. When the directory is throttled or down, intake refuses for now (the sender
//! retries) rather than decide without knowing who the person is.

use offboard_core::case::{AttachedEvent, Case, CaseStatus};
use offboard_core::event::TerminationEvent;
use offboard_core::evidence::hr_trigger_body;
use offboard_core::ids::CaseId;
use offboard_core::notify::{Notification, NotificationKind};
use offboard_core::ports::{Claim, Created, ETag, StoreError};

use super::{Intake, IntakeError, Known, MAX_CONFLICT_RETRIES, Receipt};
use crate::attempt::StepFailure;
use crate::directory::Resolution;
use crate::etag::{self, Change};

/// ETag races retried when attaching: a burst of terminations of one person all write the
/// same case, and its steps write it too (as many as the engine allows itself).
const ATTACH_RACES: usize = 25;

/// What attaching found on the open case.
enum Attach {
    /// The event is on the case (now or before); `due_now` when it made a scheduled case due.
    Joined { due_now: bool, recorded: bool },
    /// The case finished meanwhile: the person has no active offboarding any more.
    Finished,
}

impl Intake {
    /// Accepts `event` as a redelivery of `first` (the event first received with its id), or
    /// refuses it as a reused event id: logged, notified, and answered with the case of the
    /// first use.
    pub(super) async fn same_or_conflict(
        &self,
        first: &TerminationEvent,
        event: &TerminationEvent,
        original: &CaseId,
    ) -> Result<(), IntakeError> {
        if first.is_same_termination(event) {
            return Ok(());
        }
        tracing::warn!(
            %original,
            event_id = %event.source_event_id(),
            first_leaver = first.employee().display_name(),
            leaver = event.employee().display_name(),
            "an event id was reused for a different termination; refused"
        );
        if let Some(notifier) = &self.notifier {
            let n = Notification {
                recipients: Vec::new(),
                kind: NotificationKind::EventIdConflict,
                case_id: original.clone(),
                leaver: first.employee().display_name().to_owned(),
                what: format!(
                    "{} sent event `{}` again for a different termination ({}, {}, effective {}) than the first time ({}, {}, effective {}); the second request was refused with 409 and changed nothing",
                    event.source(),
                    event.source_event_id(),
                    event.employee().display_name(),
                    event.kind(),
                    event.hr_effective().as_sent().unwrap_or("now"),
                    first.employee().display_name(),
                    first.kind(),
                    first.hr_effective().as_sent().unwrap_or("now"),
                ),
                action: "Check the sender's event ids: a new termination needs a new event id. If the second termination is real, send it again with its own id.".into(),
                at: self.clock.now(),
                key: format!(
                    "{original}:EventIdConflict:{}",
                    event.body_sha256().to_hex()
                ),
            };
            // The refusal stands even if the notification cannot be queued: the sender gets
            // the 409 and the log has the conflict.
            if let Err(e) = notifier.notify(&n).await {
                tracing::error!(error = %e, "could not queue the event-id conflict notification");
            }
        }
        Err(IntakeError::EventIdReused {
            sender: event.source(),
            event_id: event.source_event_id().to_owned(),
            original: original.clone(),
        })
    }

    /// A redelivery of an event that was attached to another case: the same answer again
    /// (and whatever the first delivery left unfinished), or the conflict.
    pub(super) async fn attached_before(
        &self,
        event: &TerminationEvent,
    ) -> Result<Option<Receipt>, IntakeError> {
        let Some(claim) = self
            .cases
            .get_claim(&Claim::event_key(&event.case_id()))
            .await?
        else {
            return Ok(None);
        };
        let claim = claim.value;
        self.same_or_conflict(&claim.event, event, &claim.case_id)
            .await?;
        if let Some(receipt) = self.attach(&claim.case_id, event, None).await? {
            return Ok(Some(receipt));
        }
        // The case it joined has finished since: the same answer, with the case as it is.
        let status = match self.cases.get(&claim.case_id).await? {
            Some(c) => c.value.status,
            None => CaseStatus::Received,
        };
        Ok(Some(Receipt {
            case_id: claim.case_id,
            status,
            created: false,
            attached: true,
            sign_in_cut: None,
        }))
    }

    /// The leaver's Entra object id (with the identifier that found it), or `None` when the
    /// directory cannot name exactly one account (the planner then stops the case with the
    /// reason) or no directory is set.
    pub(super) async fn resolve_person(
        &self,
        event: &TerminationEvent,
    ) -> Result<Option<Known>, IntakeError> {
        let Some(directory) = &self.directory else {
            return Ok(None);
        };
        match directory.resolve(event.employee()).await {
            Ok(Resolution::Found { user_id, by }) => Ok(Some((user_id, by))),
            Ok(Resolution::NotFound { .. } | Resolution::Ambiguous { .. }) => Ok(None),
            Err(StepFailure::Throttled { detail, .. } | StepFailure::Transient { detail }) => {
                Err(IntakeError::DirectoryUnavailable(detail))
            }
            Err(StepFailure::Permanent { detail, .. }) => {
                // A refused read (permissions) stops planning the same way; the case says why.
                tracing::warn!(%detail, "the directory refused to resolve the leaver at intake");
                Ok(None)
            }
        }
    }

    /// Opens the person's case, or attaches `event` to the one already open.
    pub(super) async fn open_for_person(
        &self,
        known: &Known,
        event: TerminationEvent,
    ) -> Result<Receipt, IntakeError> {
        let person = known.0.as_str();
        let mine = Claim {
            key: Claim::person_key(person),
            case_id: event.case_id(),
            event: event.clone(),
            claimed_at: self.clock.now(),
        };
        for _ in 0..MAX_CONFLICT_RETRIES {
            let held = match self.cases.create_claim(&mine).await? {
                Created::New(_) => return self.open_own(event, Some(known)).await,
                Created::Existing(held) => held,
            };
            if held.value.case_id == mine.case_id {
                return self.open_own(event, Some(known)).await;
            }
            // The holder's case, finished here if its opener stopped after claiming.
            let holder = match self.cases.get(&held.value.case_id).await? {
                Some(c) => c.value,
                None => {
                    self.open_own(held.value.event.clone(), Some(known)).await?;
                    continue;
                }
            };
            if holder.status.is_final() {
                if self.take_over(&mine, &held.etag).await? {
                    return self.open_own(event, Some(known)).await;
                }
                continue;
            }
            if let Some(receipt) = self.attach(&holder.id, &event, Some(known)).await? {
                return Ok(receipt);
            }
        }
        Err(StoreError::PreconditionFailed {
            what: format!("the claim on person {person}"),
        }
        .into())
    }

    /// Replaces a claim whose case is final with ours; false when someone else did first.
    async fn take_over(&self, mine: &Claim, etag: &ETag) -> Result<bool, IntakeError> {
        match self.cases.replace_claim(mine, etag).await {
            Ok(_) => Ok(true),
            Err(StoreError::PreconditionFailed { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Attaches `event` to the open case `holder`: notes it on the case (tightening it when
    /// earlier or harsher), remembers where it went, and records its HR record in the case's
    /// chain. `None` when the case became final first.
    async fn attach(
        &self,
        holder: &CaseId,
        event: &TerminationEvent,
        known: Option<&Known>,
    ) -> Result<Option<Receipt>, IntakeError> {
        let now = self.clock.now();
        let (case, answer, written) = self
            .change_case(holder, |slot| decide(slot.as_mut(), event, now))
            .await?;
        let (Some(case), Attach::Joined { due_now, recorded }) = (case, answer) else {
            return Ok(None);
        };
        let remembered = Claim {
            key: Claim::event_key(&event.case_id()),
            case_id: case.id.clone(),
            event: event.clone(),
            claimed_at: self.clock.now(),
        };
        if let Created::Existing(first) = self.cases.create_claim(&remembered).await? {
            self.same_or_conflict(&first.value.event, event, &first.value.case_id)
                .await?;
        }
        if !recorded {
            self.record_attached(&case, event).await?;
        }
        if due_now {
            self.evidence
                .record_status(
                    &case,
                    "an attached termination is effective now; sent to planning",
                )
                .await?;
            // The attached termination made the case due: cut sign-in as for a new one.
            self.cut_then_plan(&case.id, known).await?;
        }
        tracing::info!(
            attached_to = %case.id,
            event_id = %event.source_event_id(),
            written,
            "termination attached to the person's open case"
        );
        Ok(Some(Receipt {
            case_id: case.id,
            status: case.status,
            created: written,
            attached: true,
            sign_in_cut: None,
        }))
    }

    /// Changes the case `id` under its ETag ([`etag::update`]): `change` sees a fresh copy
    /// (`None` when there is no such case) and decides. Returns the case as stored (or as
    /// read), the answer, and whether this call wrote it.
    async fn change_case<T>(
        &self,
        id: &CaseId,
        change: impl FnMut(&mut Option<Case>) -> Result<Change<T>, IntakeError>,
    ) -> Result<(Option<Case>, T, bool), IntakeError> {
        let cases = self.cases.as_ref();
        let updated = etag::update(
            ATTACH_RACES,
            || async move { Ok::<_, IntakeError>(cases.get(id).await?) },
            change,
            |case, etag| etag::replace_case(cases, case, etag),
        )
        .await?
        .ok_or_else(|| StoreError::PreconditionFailed {
            what: format!("case {id}"),
        })?;
        Ok((updated.value, updated.answer, updated.written))
    }

    /// Appends the attached event's HR record to the case's chain, then marks it recorded
    /// (a crash in between records it once more on the redelivery: never zero times).
    async fn record_attached(
        &self,
        case: &Case,
        event: &TerminationEvent,
    ) -> Result<(), IntakeError> {
        let mut body = hr_trigger_body(event, self.evidence.actor(), case.status.as_str());
        body.action = format!(
            "termination of the same person received and authenticated; attached to the open case {}",
            case.id
        );
        self.evidence.append(case, body).await?;
        self.change_case(&case.id, |slot| {
            Ok(if mark_recorded(slot.as_mut(), event) {
                Change::Write(())
            } else {
                Change::Keep(())
            })
        })
        .await?;
        Ok(())
    }
}

/// What attaching `event` to `case` comes to: already there, the case finished, or joined
/// now (written).
fn decide(
    case: Option<&mut Case>,
    event: &TerminationEvent,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Change<Attach>, IntakeError> {
    let Some(case) = case else {
        return Ok(Change::Keep(Attach::Finished));
    };
    if let Some(recorded) = recorded_flag(case, event) {
        return Ok(Change::Keep(Attach::Joined {
            due_now: false,
            recorded,
        }));
    }
    if case.status.is_final() {
        return Ok(Change::Keep(Attach::Finished));
    }
    Ok(Change::Write(Attach::Joined {
        due_now: join(case, event, now)?,
        recorded: false,
    }))
}

/// Whether `event`'s HR record is in the chain, if it is attached to `case`.
fn recorded_flag(case: &Case, event: &TerminationEvent) -> Option<bool> {
    for a in &case.attached {
        if a.is(event) {
            return Some(a.recorded);
        }
    }
    None
}

/// Marks `event`'s entry on `case` recorded; false when there was nothing to change.
fn mark_recorded(case: Option<&mut Case>, event: &TerminationEvent) -> bool {
    let Some(case) = case else {
        return false;
    };
    for a in &mut case.attached {
        if a.is(event) && !a.recorded {
            a.recorded = true;
            return true;
        }
    }
    false
}

/// Notes `event` on the open `case` and tightens it: an earlier effective time moves a
/// scheduled case forward (to due now when it already is), a harsher kind changes the plan
/// while none is made. Returns whether the case became due now.
fn join(
    case: &mut Case,
    event: &TerminationEvent,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, IntakeError> {
    let earlier = event.effective_at() < case.due_at();
    let kind_before = case.plan_kind();
    case.attached.push(AttachedEvent::of(event));
    let mut note = format!(
        "termination {}/{} of the same person ({}, effective {}) attached",
        event.source(),
        event.source_event_id(),
        event.kind(),
        event
            .effective_at()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    if case.plan_kind() != kind_before {
        if case.plan.is_none() {
            note.push_str(&format!("; planned as {}", case.plan_kind()));
        } else {
            note.push_str("; already planned: the steps under way remove access");
        }
    }
    let mut due_now = false;
    if earlier && case.status == CaseStatus::Scheduled {
        if case.is_due(now) {
            case.note(note, now);
            case.transition(
                CaseStatus::Received,
                "effective time reached (an attached termination is earlier); sent to planning",
                now,
            )?;
            due_now = true;
            return Ok(due_now);
        }
        note.push_str(&format!(
            "; the case now falls due at {}",
            case.due_at()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ));
    }
    case.note(note, now);
    Ok(due_now)
}
