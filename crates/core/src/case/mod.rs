//! The case: one termination's life in offboard, from receipt to completion.
//!
//! ```text
//!   received ──────────────► running ──► completed
//!      ▲   \                    │   └──► completed_with_exceptions
//!      │    └──► cancelled      │  ▲ (a remediation retry reopens a case completed with exceptions)
//!  scheduled ──► cancelled      (planning, steps)
//!
//!  received / scheduled ──► awaiting_approval ──► received (approved, then planned)
//!                                 │   └─────────► rejected (rejected, or expired)
//!                                 └─────────────► cancelled (rescinded)
//! ```
//! A case is held (`awaiting_approval`) at planning, before anything is changed, when its
//! source passed the policy's blast-radius brake or the leaver is protected
//! ([`approval`]). A held case can be rescinded at any time: nothing was changed.
//! A case whose effective time is in the future is `scheduled`; the scheduler moves it to
//! `received` when it falls due, which sends it to planning. A rescind (or a SCIM
//! reactivation) cancels it only before its effective time: after that, access is already
//! being removed and a reinstatement is a new onboarding, not an undo.

pub mod approval;
mod cut;
mod flag;
pub mod roles_approval;
pub(crate) mod status;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use approval::{
    Actor, ActorKind, Approval, Decision, DecisionError, Hold, HoldReason, Restore, RolesApproval,
};
pub use cut::{CutStep, SignInCut};
pub use flag::{CaseFlag, CaseFlagKind};
pub use roles_approval::RolesDecisionError;
pub use status::CaseStatus;

use crate::event::{Source, TerminationEvent, TerminationKind};
use crate::ids::{CaseId, Sha256Digest};

/// A refused change to a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseTransitionError {
    /// The state machine does not allow this move.
    #[error("a {from} case cannot become {to}")]
    Illegal {
        /// Current status.
        from: CaseStatus,
        /// Requested status.
        to: CaseStatus,
    },
    /// A cancel arrived after the effective time.
    #[error(
        "the termination took effect at {effective_at} and access removal has started ({status}); it cannot be rescinded — reinstate the person through onboarding instead"
    )]
    AlreadyEffective {
        /// When it took effect.
        effective_at: DateTime<Utc>,
        /// Current status.
        status: CaseStatus,
    },
}

/// One line of a case's history: a transition or a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The status after this entry.
    pub status: CaseStatus,
    /// What happened, in words an operator understands.
    pub note: String,
}

/// One termination's case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// Deterministic id from the event's source and source event id.
    pub id: CaseId,
    /// Current status.
    pub status: CaseStatus,
    /// The termination that opened the case.
    pub event: TerminationEvent,
    /// When the case was created.
    pub created_at: DateTime<Utc>,
    /// When the case last changed.
    pub updated_at: DateTime<Utc>,
    /// Transitions and notes, oldest first.
    pub history: Vec<HistoryEntry>,
    /// The plan, once the leaver has been resolved and planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<crate::plan::Plan>,
    /// Why the case could not be planned (leaver not found, ambiguous), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planning_exception: Option<String>,
    /// When an SLA breach was flagged (once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_breached_at: Option<DateTime<Utc>>,
    /// Later terminations of the same person that joined this case instead of opening their
    /// own (one person, one active offboarding), in the order they arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached: Vec<AttachedEvent>,
    /// What steps found that a person must look at (possible exfiltration), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<CaseFlag>,
    /// Who raised the termination, when a signed-in operator did (four eyes: they cannot
    /// approve its hold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised_by: Option<Actor>,
    /// The hold and its decision, when the case was held for approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    /// The sign-in cut made inline at intake, once claimed (the kill switch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_cut: Option<SignInCut>,
    /// The latest restore, when the termination was undone after it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored: Option<Restore>,
}

/// A termination of the same person that arrived while this case was open and joined it:
/// its HR record is in this case's evidence chain, and an earlier effective time or a harsher
/// kind tightens the case ([`Case::due_at`], [`Case::plan_kind`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachedEvent {
    /// Where it came from.
    pub source: Source,
    /// The id its source gave it.
    pub source_event_id: String,
    /// Its kind.
    pub kind: TerminationKind,
    /// Its effective instant.
    pub effective_at: DateTime<Utc>,
    /// When offboard received it.
    pub received_at: DateTime<Utc>,
    /// SHA-256 of its request body.
    pub body_sha256: Sha256Digest,
    /// Whether its HR record has been appended to the evidence chain.
    #[serde(default)]
    pub recorded: bool,
}

impl AttachedEvent {
    /// The summary of `event` as attached.
    pub fn of(event: &TerminationEvent) -> Self {
        Self {
            source: event.source(),
            source_event_id: event.source_event_id().to_owned(),
            kind: event.kind(),
            effective_at: event.effective_at(),
            received_at: event.received_at(),
            body_sha256: event.body_sha256().clone(),
            recorded: false,
        }
    }

    /// Whether this entry is `event`.
    pub fn is(&self, event: &TerminationEvent) -> bool {
        self.source == event.source() && self.source_event_id == event.source_event_id()
    }
}

/// How hard a kind cuts: dismissal for cause above the company ending the employment above
/// everything else (which follow HR's date). Used to pick the stricter of two terminations.
fn severity(kind: TerminationKind) -> u8 {
    match kind {
        TerminationKind::ForCause => 2,
        TerminationKind::Involuntary => 1,
        _ => 0,
    }
}

impl Case {
    /// Opens a case for `event`: `scheduled` if it takes effect after `now`, else `received`.
    pub fn open(event: TerminationEvent, now: DateTime<Utc>) -> Self {
        let status = if event.effective_at() > now {
            CaseStatus::Scheduled
        } else {
            CaseStatus::Received
        };
        let note = match status {
            CaseStatus::Scheduled => format!(
                "termination received from {}; scheduled for {}",
                event.source(),
                event
                    .effective_at()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            ),
            _ => format!(
                "termination received from {}; effective now, sent to planning",
                event.source()
            ),
        };
        Self {
            id: event.case_id(),
            status,
            created_at: now,
            updated_at: now,
            history: vec![HistoryEntry {
                at: now,
                status,
                note,
            }],
            plan: None,
            planning_exception: None,
            sla_breached_at: None,
            attached: Vec::new(),
            flags: Vec::new(),
            raised_by: None,
            approval: None,
            sign_in_cut: None,
            restored: None,
            event,
        }
    }

    /// When access must go: the opening event's effective time, or an attached event's if
    /// earlier. (The evidence period stays the opening event's: the chain never moves.)
    pub fn due_at(&self) -> DateTime<Utc> {
        self.attached
            .iter()
            .map(|a| a.effective_at)
            .fold(self.event.effective_at(), DateTime::min)
    }

    /// The kind the case is planned under: the harshest of the opening and attached events
    /// (the opening event's on a tie).
    pub fn plan_kind(&self) -> TerminationKind {
        self.attached
            .iter()
            .map(|a| a.kind)
            .fold(self.event.kind(), |k, a| {
                if severity(a) > severity(k) { a } else { k }
            })
    }

    /// When the scheduler releases a follow-up of this ended case (`delete-account`): the
    /// earliest scheduled step's due time, once the case has ended and been sealed; `None`
    /// while it runs (the follow-up waits for the case to end) or when nothing is scheduled.
    /// The stores keep it beside the case so the scheduler finds due follow-ups by query.
    pub fn follow_up_at(&self) -> Option<DateTime<Utc>> {
        matches!(
            self.status,
            CaseStatus::Completed | CaseStatus::CompletedWithExceptions
        )
        .then(|| self.plan.as_ref()?.follow_up_at())
        .flatten()
    }

    /// Whether a scheduled case has fallen due at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.status == CaseStatus::Scheduled && self.due_at() <= now
    }

    /// Moves to `to`, recording `note`.
    pub fn transition(
        &mut self,
        to: CaseStatus,
        note: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Result<(), CaseTransitionError> {
        if !self.status.can_become(to) {
            return Err(CaseTransitionError::Illegal {
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.push(note.into(), now);
        Ok(())
    }

    /// Cancels the case because the termination was rescinded, if it has not yet taken
    /// effect. Cancelling an already cancelled case is a no-op (redelivered rescinds).
    pub fn cancel(
        &mut self,
        note: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Result<bool, CaseTransitionError> {
        if self.status == CaseStatus::Cancelled {
            return Ok(false);
        }
        // A held case changed nothing yet: it can be rescinded whenever.
        let held = self.status == CaseStatus::AwaitingApproval;
        if (!held && now >= self.due_at()) || !self.status.can_become(CaseStatus::Cancelled) {
            return Err(CaseTransitionError::AlreadyEffective {
                effective_at: self.event.effective_at(),
                status: self.status,
            });
        }
        self.transition(CaseStatus::Cancelled, note, now)?;
        Ok(true)
    }

    /// Whether an operator approved this case's hold: the planner then plans it without
    /// holding it again.
    pub fn is_approved(&self) -> bool {
        self.approval
            .as_ref()
            .and_then(|a| a.decision.as_ref())
            .is_some_and(|d| d.approved)
    }

    /// Holds the case for approval before planning; nothing has been changed.
    pub fn hold(&mut self, hold: Hold, now: DateTime<Utc>) -> Result<(), CaseTransitionError> {
        let note = format!(
            "held for approval ({}): {}; nothing was changed",
            hold.reason, hold.detail
        );
        self.transition(CaseStatus::AwaitingApproval, note, now)?;
        self.approval = Some(Approval {
            hold,
            decision: None,
        });
        Ok(())
    }

    /// Records `decision` on a held case: approved → `received` (to be planned), rejected →
    /// `rejected`. `Ok(false)` when the same decision was already recorded (a retried
    /// request); a signed-in person cannot approve a termination they raised.
    pub fn decide(
        &mut self,
        decision: Decision,
        now: DateTime<Utc>,
    ) -> Result<bool, DecisionError> {
        if decision.reason.trim().is_empty() {
            return Err(DecisionError::NoReason);
        }
        if let Some(previous) = self.approval.as_ref().and_then(|a| a.decision.as_ref())
            && previous.approved == decision.approved
            && previous.by == decision.by
        {
            return Ok(false);
        }
        if self.status != CaseStatus::AwaitingApproval {
            return Err(DecisionError::NotHeld {
                status: self.status,
            });
        }
        if decision.approved
            && let Some(raiser) = &self.raised_by
            && raiser.is_same_identity(&decision.by)
        {
            return Err(DecisionError::SelfApproval {
                who: decision.by.describe(),
            });
        }
        let (to, verb) = if decision.approved {
            (CaseStatus::Received, "approved")
        } else {
            (CaseStatus::Rejected, "rejected")
        };
        let note = format!("{verb} by {}: {}", decision.by.describe(), decision.reason);
        self.transition(to, note, now)
            .map_err(|_| DecisionError::NotHeld {
                status: self.status,
            })?;
        if let Some(a) = self.approval.as_mut() {
            a.decision = Some(decision);
        }
        Ok(true)
    }

    /// Adds a note without changing the status.
    pub fn note(&mut self, note: impl Into<String>, now: DateTime<Utc>) {
        self.push(note.into(), now);
    }

    fn push(&mut self, note: String, now: DateTime<Utc>) {
        self.updated_at = now;
        self.history.push(HistoryEntry {
            at: now,
            status: self.status,
            note,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effective::{EffectivePolicy, HrEffectiveTime};
    use crate::event::{Source, TerminationFacts, TerminationKind};
    use crate::ids::EmployeeIdentifiers;
    use crate::signature::Verified;

    fn event(effective: &str, received: DateTime<Utc>) -> TerminationEvent {
        event_of("evt-1", TerminationKind::Voluntary, effective, received)
    }

    fn event_of(
        id: &str,
        kind: TerminationKind,
        effective: &str,
        received: DateTime<Utc>,
    ) -> TerminationEvent {
        let facts = TerminationFacts {
            source: Source::Generic,
            source_event_id: id.into(),
            source_subject_id: None,
            employee: EmployeeIdentifiers::new(Some("1".into()), None, None, None).unwrap(),
            kind,
            hr_effective: HrEffectiveTime::instant(effective).unwrap(),
            reason: None,
        };
        TerminationEvent::new(
            facts,
            &Verified::by_function_key(b"{}", received),
            &EffectivePolicy::default(),
        )
        .unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn future_cases_are_scheduled_and_cancellable_until_effective() {
        let now = t("2026-11-26T10:00:00Z");
        let mut case = Case::open(event("2026-11-30T17:00:00Z", now), now);
        assert_eq!(case.status, CaseStatus::Scheduled);
        assert!(!case.is_due(now));
        assert!(case.is_due(t("2026-11-30T17:00:00Z")));
        assert_eq!(case.cancel("rescinded", now), Ok(true));
        assert_eq!(case.status, CaseStatus::Cancelled);
        assert_eq!(case.cancel("again", now), Ok(false));
        assert_eq!(case.history.len(), 2);
    }

    #[test]
    fn effective_cases_cannot_be_rescinded() {
        let now = t("2026-11-26T10:00:00Z");
        let mut case = Case::open(event("2026-11-25T17:00:00Z", now), now);
        assert_eq!(case.status, CaseStatus::Received);
        assert!(matches!(
            case.cancel("too late", now),
            Err(CaseTransitionError::AlreadyEffective { .. })
        ));
    }

    #[test]
    fn an_earlier_or_harsher_attached_termination_tightens_the_case() {
        let now = t("2026-11-26T10:00:00Z");
        let mut case = Case::open(event("2026-11-30T17:00:00Z", now), now);
        assert_eq!(case.plan_kind(), TerminationKind::Voluntary);
        let dismissal = event_of(
            "evt-2",
            TerminationKind::ForCause,
            "2026-11-26T09:00:00Z",
            now,
        );
        case.attached.push(AttachedEvent::of(&dismissal));
        assert_eq!(case.due_at(), t("2026-11-26T09:00:00Z"));
        assert!(case.is_due(now));
        assert_eq!(case.plan_kind(), TerminationKind::ForCause);
        assert!(case.attached[0].is(&dismissal));
        // The evidence period stays the opening event's.
        assert_eq!(case.event.effective_at(), t("2026-11-30T17:00:00Z"));
        // A later, milder one changes nothing.
        let later = event_of(
            "evt-1",
            TerminationKind::Retirement,
            "2026-12-30T17:00:00Z",
            now,
        );
        case.attached.push(AttachedEvent::of(&later));
        assert_eq!(case.due_at(), t("2026-11-26T09:00:00Z"));
        assert_eq!(case.plan_kind(), TerminationKind::ForCause);
    }

    #[test]
    fn only_legal_transitions() {
        let now = t("2026-11-26T10:00:00Z");
        let mut case = Case::open(event("2026-11-25T17:00:00Z", now), now);
        assert!(case.transition(CaseStatus::Completed, "x", now).is_err());
        case.transition(CaseStatus::Running, "planning", now)
            .unwrap();
        case.transition(CaseStatus::Completed, "done", now).unwrap();
        assert!(case.status.is_final());
        for s in CaseStatus::ALL {
            // Only access that came back after sealing reopens a completed case.
            assert_eq!(
                CaseStatus::Completed.can_become(s),
                s == CaseStatus::Running
            );
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
        }
    }

    fn held(now: DateTime<Utc>) -> Case {
        let mut case = Case::open(event("2026-11-25T17:00:00Z", now), now);
        case.hold(
            Hold {
                reason: HoldReason::Brake,
                detail: "generic is past the brake".into(),
                held_at: now,
                expires_at: now + chrono::Duration::hours(72),
            },
            now,
        )
        .unwrap();
        case
    }

    fn person(id: &str) -> Actor {
        Actor {
            kind: ActorKind::Person,
            object_id: Some(id.into()),
            name: None,
        }
    }

    #[test]
    fn a_held_case_is_approved_by_another_person_or_rejected_and_can_be_rescinded() {
        let now = t("2026-11-26T10:00:00Z");
        let mut case = held(now);
        assert_eq!(case.status, CaseStatus::AwaitingApproval);
        assert!(!case.status.is_final());
        case.raised_by = Some(person("op-1"));
        let by = |who: Actor, approved: bool, reason: &str| Decision {
            approved,
            by: who,
            at: now,
            reason: reason.into(),
        };
        assert_eq!(
            case.decide(by(person("op-2"), true, " "), now),
            Err(DecisionError::NoReason)
        );
        assert!(matches!(
            case.decide(by(person("op-1"), true, "fine"), now),
            Err(DecisionError::SelfApproval { .. })
        ));
        // offboard itself (an expired hold) is nobody's raiser.
        assert!(!Actor::offboard().is_same_identity(&Actor::offboard()));
        assert_eq!(case.decide(by(person("op-2"), true, "fine"), now), Ok(true));
        assert_eq!(case.status, CaseStatus::Received);
        assert!(case.is_approved());
        assert_eq!(
            case.decide(by(person("op-2"), true, "fine"), now),
            Ok(false)
        );

        let mut other = held(now);
        assert_eq!(
            other.decide(by(person("op-1"), false, "not ours"), now),
            Ok(true)
        );
        assert_eq!(other.status, CaseStatus::Rejected);
        assert!(other.status.is_final());

        // Held after the effective time, it can still be rescinded: nothing was changed.
        let mut rescinded = held(now);
        assert_eq!(rescinded.cancel("rescinded", now), Ok(true));
        assert_eq!(rescinded.status, CaseStatus::Cancelled);
    }
}
