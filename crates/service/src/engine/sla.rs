//! The SLA watch (timer function `sla`): a case whose sign-in is not cut and verified
//! within the deadline for its termination kind — measured from HR's effective time — is
//! flagged once, recorded in its evidence, and notified.
//!
//! A termination HR sends after its deadline has already passed is flagged as soon as it is
//! planned (it would otherwise be cut within seconds, before any tick, and its breach never
//! said): the record and the notice separate HR's delay from offboard's own time.

use chrono::Duration as ChronoDuration;

use offboard_core::case::{Case, CaseStatus};
use offboard_core::evidence::{Outcome, RecordBody};
use offboard_core::notify::NotificationKind;
use offboard_core::ports::CaseQuery;

use super::Engine;
use super::outcome::{EngineError, SlaReport};
use crate::etag::Change;
use offboard_api::ms;

impl Engine {
    /// Checks every open case against its deadline.
    pub async fn sla_tick(&self) -> Result<SlaReport, EngineError> {
        let mut report = SlaReport::default();
        // A case still scheduled after its effective time (the scheduler failing) counts too.
        for status in [
            CaseStatus::Scheduled,
            CaseStatus::Received,
            CaseStatus::Running,
        ] {
            let mut continuation = None;
            loop {
                let page = self
                    .cases
                    .list(&CaseQuery {
                        status: Some(status),
                        limit: 200,
                        continuation,
                        effective_to: Some(self.clock.now()),
                        ..CaseQuery::default()
                    })
                    .await?;
                for case in page.items {
                    report.checked += 1;
                    if case.sla_breached_at.is_some() {
                        continue;
                    }
                    let minutes = self.policy.for_kind(case.event.kind()).sla_minutes;
                    let deadline =
                        case.event.effective_at() + ChronoDuration::minutes(i64::from(minutes));
                    let now = self.clock.now();
                    let cut = case.plan.as_ref().and_then(|p| p.sign_in_cut_at());
                    if now <= deadline || cut.is_some_and(|c| c <= deadline) {
                        continue;
                    }
                    let what = format!(
                        "sign-in was not cut within {minutes} minutes of the effective time ({}); deadline {}",
                        case.event.effective_at().format("%Y-%m-%d %H:%M UTC"),
                        deadline.format("%Y-%m-%d %H:%M UTC")
                    );
                    let breach = Breach {
                        what,
                        action: "Check the case's steps (GET /api/cases/{id}): a step may be throttled, failed or waiting for the on-prem agent.",
                        details: serde_json::json!({
                            "deadline": ms::text(&deadline),
                            "slaMinutes": minutes,
                        }),
                    };
                    if self.flag_breach(&case.id, breach).await? {
                        report.breached += 1;
                    }
                }
                continuation = page.continuation;
                if continuation.is_none() {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Flags the breach of a termination that reached offboard after its SLA deadline: it is
    /// breached before offboard could act, and HR's delay is the reason.
    pub(super) async fn flag_if_arrived_late(&self, case: &Case) -> Result<(), EngineError> {
        let minutes = self.policy.for_kind(case.event.kind()).sla_minutes;
        let deadline = case.event.effective_at() + ChronoDuration::minutes(i64::from(minutes));
        let received = case.event.received_at();
        if received <= deadline || case.sla_breached_at.is_some() {
            return Ok(());
        }
        let hr_delay = received - case.event.effective_at();
        let what = format!(
            "the termination reached offboard {} after its effective time ({}), {} after its {minutes}-minute SLA had run out (deadline {}): HR's delay, not offboard's; offboard's own time is measured from its arrival ({})",
            human(hr_delay),
            case.event.effective_at().format("%Y-%m-%d %H:%M UTC"),
            human(received - deadline),
            deadline.format("%Y-%m-%d %H:%M UTC"),
            received.format("%Y-%m-%d %H:%M:%S UTC"),
        );
        let breach = Breach {
            what,
            action: "Ask HR why the termination was sent late (the leaver had access after the effective time); offboard cut sign-in as soon as it arrived (GET /api/cases/{id}).",
            details: serde_json::json!({
                "deadline": ms::text(&deadline),
                "slaMinutes": minutes,
                "arrivedAfterDeadline": true,
                "receivedAt": ms::text(&received),
                "hrDelaySeconds": hr_delay.num_milliseconds() as f64 / 1000.0,
            }),
        };
        self.flag_breach(&case.id, breach).await.map(|_| ())
    }

    async fn flag_breach(
        &self,
        id: &offboard_core::CaseId,
        breach: Breach,
    ) -> Result<bool, EngineError> {
        let flagged = self
            .change_case(id, |case, now| {
                if case.sla_breached_at.is_some() {
                    return Ok(Change::Keep(None));
                }
                case.sla_breached_at = Some(now);
                case.note(format!("SLA breached: {}", breach.what), now);
                Ok(Change::Write(Some(now)))
            })
            .await;
        let (case, now) = match flagged {
            Ok((case, Some(now))) => (case, now),
            // Already flagged, or every try lost a race: the next tick looks again.
            Ok((_, None)) | Err(EngineError::Contended(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        let body = RecordBody {
            target_ids: vec![case.id.to_string()],
            reason: Some(breach.what.clone()),
            details: Some(breach.details),
            ..self.evidence.body(
                offboard_core::evidence::SLA_STEP,
                "offboard",
                "SLA breach flagged",
                Outcome::Exception,
                now,
            )
        };
        self.evidence.append(&case, body).await?;
        self.notify(
            &case,
            NotificationKind::SlaBreached,
            &breach.what,
            breach.action,
            "sla",
        )
        .await?;
        Ok(true)
    }
}

/// What a breach record and its notice say.
struct Breach {
    /// The breach in one sentence (the record's reason and the notice's text).
    what: String,
    /// What to do about it.
    action: &'static str,
    /// The record's details.
    details: serde_json::Value,
}

/// A duration for people: `2 d 3 h`, `3 h 20 min`, `12 min`, `40 s`.
fn human(d: ChronoDuration) -> String {
    let s = d.num_seconds().max(0);
    let (days, hours, mins) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}
