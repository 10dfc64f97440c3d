//! Holding a case for approval before anything is changed, and deciding on it.
//!
//! At planning, after the leaver is resolved and before the plan is stored: a protected
//! person (policy-named group, privileged directory role) is held, and so is a termination
//! past its source's brake ([`super::brake`]). An operator's own for-cause termination is
//! never held (the kill switch). A held case is `awaiting_approval`: its hold is in the
//! evidence, operators are notified (a brake trip once per window), and nothing else happens
//! until someone approves (the case goes back to planning, past the brake) or rejects it, or
//! the hold expires into `rejected` — never into action.

use std::time::Duration;

use chrono::Duration as ChronoDuration;

use offboard_core::case::{Actor, Case, CaseStatus, Decision, Hold, HoldReason};
use offboard_core::event::{Source, TerminationKind};
use offboard_core::evidence::{Outcome, RecordBody, millis};
use offboard_core::ids::CaseId;
use offboard_core::notify::NotificationKind;
use offboard_core::plan::Facts;
use offboard_core::ports::CaseQuery;

use super::brake::{Admission, Started};
use super::{Engine, EngineError, Handled, leaver_name};
use crate::etag::Change;
use crate::evidence::Evidence;

/// How many of the window's earlier cases a brake notice names.
const SAMPLE: usize = 10;

impl Engine {
    /// Whether the guard rails apply to `case`: not once approved, and never to an
    /// operator's own dismissal for cause (the kill switch goes at once).
    pub(super) fn is_guarded(&self, case: &Case) -> bool {
        let kill_switch = case.event.source() == Source::Operator
            && case.plan_kind() == TerminationKind::ForCause;
        !case.is_approved() && !kill_switch
    }

    /// Holds `case` when the policy says a person must decide first; `None` to plan it.
    pub(super) async fn hold_if_needed(
        &self,
        case: &Case,
        facts: &Facts,
    ) -> Result<Option<Handled>, EngineError> {
        if !self.is_guarded(case) {
            return Ok(None);
        }
        let now = self.clock.now();
        let expires_at =
            now + ChronoDuration::minutes(i64::from(self.policy.approval.expire_after_minutes));
        if let Some(why) = self.policy.approval.protected(facts) {
            let hold = Hold {
                reason: HoldReason::Protected,
                detail: format!("the leaver is protected: {why}"),
                held_at: now,
                expires_at,
            };
            let case = self.hold(&case.id, hold).await?;
            self.notify(
                &case,
                NotificationKind::HeldForApproval,
                &format!(
                    "{} ({}) is protected ({why}); their termination from {} is held and nothing was changed",
                    leaver_name(&case),
                    facts.user.user_principal_name.as_deref().unwrap_or(&facts.user.id),
                    case.event.source()
                ),
                &self.decide_action(),
                "held",
            )
            .await?;
            return Ok(Some(Handled::Done(format!("held: protected ({why})"))));
        }
        let Admission::Held {
            limit,
            window_minutes,
            started,
        } = self.brake(case).await?
        else {
            return Ok(None);
        };
        let source = case.event.source();
        let hold = Hold {
            reason: HoldReason::Brake,
            detail: format!(
                "{source} already started {} terminations in the last {window_minutes} minutes, the brake's limit",
                started.len().max(limit as usize)
            ),
            held_at: now,
            expires_at,
        };
        let case = self.hold(&case.id, hold).await?;
        if self.first_trip_in_window(&case, window_minutes).await? {
            let what = brake_notice(&case, source, limit, window_minutes, &started);
            self.notify(
                &case,
                NotificationKind::BrakeTripped,
                &what,
                &format!(
                    "Check {source}'s terminations. If they are genuine, approve each held case; if not, reject them and check the {source} connection (its credentials and field mapping). List them with GET /api/cases?status=awaiting_approval. {}",
                    self.decide_action()
                ),
                "brake",
            )
            .await?;
        }
        Ok(Some(Handled::Done(format!(
            "held: {source} is past the brake ({limit} per {window_minutes} minutes)"
        ))))
    }

    fn decide_action(&self) -> String {
        format!(
            "Approve with POST /api/cases/{{id}}/approve or reject with POST /api/cases/{{id}}/reject, each with {{\"reason\": \"...\"}}. Without a decision the case is rejected after {} minutes and nothing is changed.",
            self.policy.approval.expire_after_minutes
        )
    }

    /// Moves the case to `awaiting_approval` and records the hold (idempotent: a redelivered
    /// plan message finds the case held and only completes the evidence).
    async fn hold(&self, id: &CaseId, hold: Hold) -> Result<Case, EngineError> {
        let (case, ()) = self
            .change_case(id, |case, now| {
                if case.status == CaseStatus::AwaitingApproval
                    || case.status.is_final()
                    || case.plan.is_some()
                {
                    return Ok(Change::Keep(()));
                }
                case.hold(hold.clone(), now)
                    .map_err(|e| EngineError::Refused(e.to_string()))?;
                Ok(Change::Write(()))
            })
            .await?;
        self.record_hold(&case).await?;
        Ok(case)
    }

    /// Appends the hold's evidence record unless the evidence already shows the case held.
    pub(super) async fn record_hold(&self, case: &Case) -> Result<(), EngineError> {
        let Some(hold) = case.approval.as_ref().map(|a| &a.hold) else {
            return Ok(());
        };
        if case.status != CaseStatus::AwaitingApproval
            || self.evidence_status(case).await? == Some(CaseStatus::AwaitingApproval)
        {
            return Ok(());
        }
        let body = RecordBody {
            target_ids: vec![case.id.to_string()],
            reason: Some(hold.detail.clone()),
            details: Some(serde_json::json!({
                "caseStatus": CaseStatus::AwaitingApproval,
                "hold": hold.reason,
                "heldAt": millis::text(hold.held_at),
                "expiresAt": millis::text(hold.expires_at),
            })),
            ..self.evidence.body(
                "hold",
                "offboard",
                "hold the termination for approval; nothing changed",
                Outcome::Noted,
                self.clock.now(),
            )
        };
        self.evidence.append(case, body).await?;
        Ok(())
    }

    /// The case's status as its evidence (the index row) shows it.
    async fn evidence_status(&self, case: &Case) -> Result<Option<CaseStatus>, EngineError> {
        let period = offboard_core::evidence::period_of(case.event.effective_at());
        Ok(self
            .evidence
            .index()
            .get(&period, &case.id)
            .await
            .map_err(crate::evidence::EvidenceFailure::from)?
            .map(|v| v.value.status))
    }

    /// Records an operator's decision on a held case: approved → planned (past the brake),
    /// rejected → sealed with nothing changed. Retrying the same decision changes nothing.
    pub async fn decide(&self, id: &CaseId, decision: Decision) -> Result<Case, EngineError> {
        let (case, ()) = self
            .change_case(id, |case, now| {
                Ok(if case.decide(decision.clone(), now)? {
                    Change::Write(())
                } else {
                    Change::Keep(())
                })
            })
            .await?;
        let recorded = case
            .approval
            .as_ref()
            .and_then(|a| a.decision.clone())
            .unwrap_or(decision);
        if self.evidence_status(&case).await? == Some(CaseStatus::AwaitingApproval) {
            let verb = if recorded.approved {
                "approve"
            } else {
                "reject"
            };
            let status = if recorded.approved {
                CaseStatus::Received
            } else {
                CaseStatus::Rejected
            };
            let body = RecordBody {
                target_ids: vec![case.id.to_string()],
                reason: Some(recorded.reason.clone()),
                actor: recorded.by.describe(),
                details: Some(serde_json::json!({
                    "caseStatus": status,
                    "approved": recorded.approved,
                    "by": recorded.by,
                    "decidedAt": millis::text(recorded.at),
                    "raisedBy": case.raised_by,
                })),
                ..self.evidence.body(
                    "approval",
                    "offboard",
                    format!("{verb} the held termination"),
                    Outcome::Noted,
                    recorded.at,
                )
            };
            self.evidence.append(&case, body).await?;
        }
        if recorded.approved {
            self.requeue_plan(id, Duration::ZERO).await?;
        } else if !self.evidence.is_sealed(&case).await? {
            self.evidence
                .seal(&case, Evidence::no_sla(&case, None))
                .await?;
        }
        Ok(case)
    }

    /// Every held case (`awaiting_approval`), by effective time then id, read from the case
    /// store (which keeps the hold and who raised the termination): what the dashboard's Held
    /// page lists and what the hold timer expires.
    pub async fn held_cases(&self) -> Result<Vec<Case>, EngineError> {
        let mut held = Vec::new();
        let mut continuation = None;
        loop {
            let page = self
                .cases
                .list(&CaseQuery {
                    status: Some(CaseStatus::AwaitingApproval),
                    limit: 200,
                    continuation,
                    ..CaseQuery::default()
                })
                .await?;
            held.extend(page.items);
            continuation = page.continuation;
            if continuation.is_none() {
                return Ok(held);
            }
        }
    }

    /// The timer's part: held cases past their hold's expiry are rejected (never run), each
    /// with a notice. Returns how many.
    pub async fn expire_holds(&self) -> Result<u32, EngineError> {
        let mut expired = 0;
        for case in self.held_cases().await? {
            let now = self.clock.now();
            let Some(hold) = case.approval.as_ref().map(|a| a.hold.clone()) else {
                continue;
            };
            if hold.expires_at > now {
                continue;
            }
            let reason = format!(
                "nobody approved or rejected it within {} minutes of the hold ({}); rejected, nothing was changed",
                self.policy.approval.expire_after_minutes, hold.detail
            );
            let decision = Decision {
                approved: false,
                by: Actor::offboard(),
                at: now,
                reason: reason.clone(),
            };
            let case = self.decide(&case.id, decision).await?;
            self.notify(
                &case,
                NotificationKind::HoldExpired,
                &reason,
                "If the termination is genuine, send it again (a new event id) or raise it as an operator; it will be held again if the policy still says so.",
                "expired",
            )
            .await?;
            expired += 1;
        }
        Ok(expired)
    }
}

fn brake_notice(
    held: &Case,
    source: Source,
    limit: u32,
    window_minutes: u32,
    started: &[Started],
) -> String {
    let sample = started
        .iter()
        .take(SAMPLE)
        .map(|s| format!("{} ({})", s.leaver, s.case_id))
        .collect::<Vec<_>>()
        .join(", ");
    let more = started.len().saturating_sub(SAMPLE);
    format!(
        "{source} sent more than {limit} terminations within {window_minutes} minutes (the brake's limit). {} ({}) and every further termination from {source} in the window are held (awaiting_approval) with nothing changed; this notice is sent once per window. Already started in the window, below the limit ({}): {}{}",
        leaver_name(held),
        held.id,
        started.len(),
        if sample.is_empty() { "none" } else { &sample },
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}
