//! Sweeps (timer functions): messages that ended in a `-poison` queue are handled like
//! permanent failures, and steps whose message was lost are sent again.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Duration as ChronoDuration;
use std::time::Duration;

use offboard_core::case::CaseStatus;
use offboard_core::messages::{self, NOTIFY_QUEUE, PLAN_QUEUE, PlanMessage, StepMessage};
use offboard_core::notify::Notification;
use offboard_core::notify::NotificationKind;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_core::ports::{CaseQuery, QueueError};

use super::{Engine, EngineError, Handled};

/// A queued step older than this, with no live lease, has lost its message.
pub const STUCK_AFTER: ChronoDuration = ChronoDuration::minutes(10);

fn decode_text(text: &str) -> String {
    BASE64
        .decode(text.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// A notification no sink accepted after every attempt. Nobody was told, so it is logged as
/// an error carrying everything the notification said (for an alert on the logs), and dropped:
/// the case itself still shows the failure, exception or breach it was about.
fn notification_lost(queue: &str, text: &str) {
    match messages::decode::<Notification>("notification", text) {
        Ok(n) => tracing::error!(
            queue,
            case_id = %n.case_id,
            kind = ?n.kind,
            leaver = %n.leaver,
            what = %n.what,
            action = %n.action,
            "NOTIFICATION LOST: no sink accepted it after every attempt; {}",
            n.kind.title()
        ),
        Err(e) => tracing::error!(queue, error = %e, "unreadable poison notification dropped"),
    }
}

impl Engine {
    /// Handles every message in the step, plan and notification poison queues; returns how
    /// many.
    pub async fn sweep_poison(&self) -> Result<u32, EngineError> {
        let mut handled = 0;
        let mut queues: Vec<String> = StepKind::ALL
            .iter()
            .map(|k| format!("{}-poison", k.queue()))
            .collect();
        queues.push(format!("{}-poison", offboard_core::plan::CONNECTOR_QUEUE));
        queues.push(format!("{}-poison", offboard_core::plan::RESTORE_QUEUE));
        queues.push(format!("{PLAN_QUEUE}-poison"));
        queues.push(format!("{NOTIFY_QUEUE}-poison"));
        for q in queues {
            loop {
                let batch = match self.queue.receive(&q, 32, Duration::from_secs(120)).await {
                    Ok(b) => b,
                    Err(QueueError::NoSuchQueue { .. }) => break,
                    Err(e) => return Err(e.into()),
                };
                if batch.is_empty() {
                    break;
                }
                for m in batch {
                    let text = decode_text(&m.text);
                    let outcome = if q.starts_with(NOTIFY_QUEUE) {
                        notification_lost(&q, &text);
                        Ok(())
                    } else if q.starts_with(PLAN_QUEUE) {
                        match messages::decode::<PlanMessage>("plan message", &text) {
                            Ok(p) => self.plan_poisoned(&p.case_id).await.map(|_| ()),
                            Err(e) => {
                                tracing::error!(queue = %q, error = %e, "unreadable poison message dropped");
                                Ok(())
                            }
                        }
                    } else {
                        match messages::decode::<StepMessage>("step message", &text) {
                            Ok(s) => self.poisoned(&s).await.map(|_| ()),
                            Err(e) => {
                                tracing::error!(queue = %q, error = %e, "unreadable poison message dropped");
                                Ok(())
                            }
                        }
                    };
                    match outcome {
                        Ok(()) | Err(EngineError::NoSuchCase(_)) => {
                            self.queue.delete(&q, &m.id, &m.pop_receipt).await?;
                            handled += 1;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(handled)
    }

    /// A plan message that failed repeatedly: the case stops with an exception.
    async fn plan_poisoned(&self, id: &offboard_core::CaseId) -> Result<Handled, EngineError> {
        let case = self.load(id).await?.value;
        if case.status.is_final() || case.plan.is_some() {
            return Ok(Handled::Skipped("already planned or final".into()));
        }
        let why = "planning failed repeatedly (the message was moved to the poison queue); nothing was changed";
        self.unresolvable(id, why).await?;
        self.notify(
            &case,
            NotificationKind::StepFailed,
            why,
            "Check the handler's logs for the planning error, then send the termination again.",
            "plan-poison",
        )
        .await?;
        Ok(Handled::Done(why.into()))
    }

    /// Re-sends steps that have been queued too long without a live lease (their message
    /// was lost, e.g. the handler died between storing the case and enqueuing): ten minutes
    /// after they were queued, or after their own message was due back when a throttle sent
    /// them away for longer.
    pub async fn resume_stuck(&self) -> Result<u32, EngineError> {
        let now = self.clock.now();
        let mut resent = 0;
        let mut continuation = None;
        loop {
            let page = self
                .cases
                .list(&CaseQuery {
                    status: Some(CaseStatus::Running),
                    limit: 200,
                    continuation,
                    ..CaseQuery::default()
                })
                .await?;
            for case in page.items {
                let Some(plan) = &case.plan else { continue };
                for s in &plan.steps {
                    // Counted from its own message's return, for a step sent back for later.
                    let waiting_since = s.started_at.max(s.comes_back_at);
                    let stale = s.status == StepStatus::Queued
                        && s.lease_until.is_none_or(|l| l < now)
                        && waiting_since.is_some_and(|t| now - t > STUCK_AFTER);
                    let seal_ready = s.kind == StepKind::Seal
                        && s.status == StepStatus::Queued
                        && plan.is_finished();
                    if stale || (seal_ready && s.started_at.is_some_and(|t| now - t > STUCK_AFTER))
                    {
                        self.enqueue_step(
                            &StepMessage {
                                case_id: case.id.clone(),
                                step: s.kind,
                                attempt: 0,
                            },
                            Duration::ZERO,
                        )
                        .await?;
                        resent += 1;
                    }
                }
            }
            continuation = page.continuation;
            if continuation.is_none() {
                break;
            }
        }
        Ok(resent)
    }
}
