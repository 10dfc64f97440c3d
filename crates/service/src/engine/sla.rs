//! The SLA watch (timer function `sla`): a case whose sign-in is not cut and verified
//! within the deadline for its termination kind — measured from HR's effective time — is
//! flagged once, recorded in its evidence, and notified.

use chrono::Duration as ChronoDuration;

use offboard_core::case::CaseStatus;
use offboard_core::evidence::{Outcome, RecordBody};
use offboard_core::notify::NotificationKind;
use offboard_core::ports::CaseQuery;

use super::outcome::{EngineError, SlaReport};
use super::{Engine, RACES};

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
        let mut flagged = false;
        for _ in 0..RACES {
            let offboard_core::ports::Versioned {
                value: mut case,
                etag,
            } = self.load(id).await?;
            if case.sla_breached_at.is_some() {
                return Ok(false);
            }
            let now = self.clock.now();
            case.sla_breached_at = Some(now);
            case.note(
                format!(
                    "SLA breached: sign-in not cut within {minutes} minutes of the effective time"
                ),
                now,
            );
            match self.cases.replace(&case, &etag).await {
                Ok(_) => {
                    flagged = true;
                    let what = format!(
                        "sign-in was not cut within {minutes} minutes of the effective time ({}); deadline {}",
                        case.event.effective_at.format("%Y-%m-%d %H:%M UTC"),
                        deadline.format("%Y-%m-%d %H:%M UTC")
                    );
                    self.evidence
                        .append(&case, RecordBody {
                            step: offboard_core::evidence::SLA_STEP.into(),
                            target_system: "offboard".into(),
                            action: "SLA breach flagged".into(),
                            target_ids: vec![case.id.to_string()],
                            request: None,
                            response_status: None,
                            service_request_id: None,
                            read_back: None,
                            started_at: now,
                            ended_at: now,
                            actor: self.evidence.actor().to_owned(),
                            outcome: Outcome::Exception,
                            reason: Some(what.clone()),
                            details: Some(serde_json::json!({"deadline": deadline.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), "slaMinutes": minutes})),
                        })
                        .await?;
                    self.notify(
                        &case,
                        NotificationKind::SlaBreached,
                        &what,
                        "Check the case's steps (GET /api/cases/{id}): a step may be throttled, failed or waiting for the on-prem agent.",
                        "sla",
                    )
                    .await?;
                    break;
                }
                Err(offboard_core::ports::StoreError::PreconditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(flagged)
    }
}
