//! The SLA watch (timer function `sla`): a case whose sign-in is not cut and verified
//! within the deadline for its termination kind — measured from HR's effective time — is
//! flagged once, recorded in its evidence, and notified.

use chrono::Duration as ChronoDuration;

use offboard_core::case::CaseStatus;
use offboard_core::evidence::{Outcome, RecordBody};
use offboard_core::notify::NotificationKind;
use offboard_core::ports::CaseQuery;

use super::Engine;
use super::outcome::{EngineError, SlaReport};
use crate::etag::Change;

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
                    let minutes = self.policy.for_kind(case.event.kind).sla_minutes;
                    let deadline =
                        case.event.effective_at + ChronoDuration::minutes(i64::from(minutes));
                    let now = self.clock.now();
                    let cut = case.plan.as_ref().and_then(|p| p.sign_in_cut_at());
                    if now <= deadline || cut.is_some() {
                        continue;
                    }
                    if self.flag_breach(&case.id, deadline, minutes).await? {
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

    async fn flag_breach(
        &self,
        id: &offboard_core::CaseId,
        deadline: chrono::DateTime<chrono::Utc>,
        minutes: u32,
    ) -> Result<bool, EngineError> {
        let flagged = self
            .change_case(id, |case, now| {
                if case.sla_breached_at.is_some() {
                    return Ok(Change::Keep(None));
                }
                case.sla_breached_at = Some(now);
                case.note(
                    format!(
                        "SLA breached: sign-in not cut within {minutes} minutes of the effective time"
                    ),
                    now,
                );
                Ok(Change::Write(Some(now)))
            })
            .await;
        let (case, now) = match flagged {
            Ok((case, Some(now))) => (case, now),
            // Already flagged, or every try lost a race: the next tick looks again.
            Ok((_, None)) | Err(EngineError::Contended(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        let what = format!(
            "sign-in was not cut within {minutes} minutes of the effective time ({}); deadline {}",
            case.event.effective_at.format("%Y-%m-%d %H:%M UTC"),
            deadline.format("%Y-%m-%d %H:%M UTC")
        );
        let body = RecordBody {
            target_ids: vec![case.id.to_string()],
            reason: Some(what.clone()),
            details: Some(
                serde_json::json!({"deadline": deadline.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), "slaMinutes": minutes}),
            ),
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
            &what,
            "Check the case's steps (GET /api/cases/{id}): a step may be throttled, failed or waiting for the on-prem agent.",
            "sla",
        )
        .await?;
        Ok(true)
    }
}
