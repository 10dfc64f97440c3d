//! The scheduler (timer function, every minute): releases scheduled cases that have fallen
//! due — cutting sign-in inline first, as intake does for a termination due at once — and re-sends to planning any case that has waited in `received` too long (its plan
//! message was lost — for example the enqueue failed after the case was stored).

use chrono::Duration;
use futures::StreamExt;
use offboard_core::case::CaseStatus;
use offboard_core::ports::{CaseQuery, StoreError};

use crate::etag::{self, Change};
use crate::intake::{Intake, IntakeError};

/// How many due cases one tick releases; the next tick takes the rest.
pub const RELEASE_BATCH: u32 = 200;

/// How many due cases one tick releases at the same time.
pub const RELEASE_CONCURRENCY: usize = 8;

/// A `received` case older than this without being picked up is sent to planning again.
pub const STUCK_AFTER: Duration = Duration::minutes(5);

/// What one scheduler tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    /// Cases moved from scheduled to received and sent to planning.
    pub released: u32,
    /// Received cases sent to planning again.
    pub resent: u32,
    /// Cases that could not be released this tick (they are retried next tick).
    pub failed: u32,
}

/// Runs one tick.
#[tracing::instrument(skip_all)]
pub async fn tick(intake: &Intake) -> Result<TickReport, IntakeError> {
    let now = intake.clock().now();
    let mut report = TickReport::default();
    let due = intake.cases().due_scheduled(now, RELEASE_BATCH).await?;
    // Several at a time: each release cuts its leaver's sign-in inline, and a midnight
    // cut-off can make many cases due in the same tick.
    let mut releases = futures::stream::iter(due)
        .map(|id| async move { (release(intake, &id).await, id) })
        .buffer_unordered(RELEASE_CONCURRENCY);
    while let Some((result, id)) = releases.next().await {
        match result {
            Ok(true) => report.released += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(case_id = %id, error = %e, "could not release case; will retry next tick");
                report.failed += 1;
            }
        }
    }
    let mut continuation = None;
    loop {
        let page = intake
            .cases()
            .list(&CaseQuery {
                status: Some(CaseStatus::Received),
                limit: 200,
                continuation,
                ..CaseQuery::default()
            })
            .await?;
        for case in page.items {
            if now - case.updated_at >= STUCK_AFTER {
                tracing::warn!(case_id = %case.id, "case waited in received too long; sending to planning again");
                intake.send_to_planning(&case.id).await?;
                report.resent += 1;
            }
        }
        continuation = page.continuation;
        if continuation.is_none() {
            break;
        }
    }
    Ok(report)
}

/// Moves one due case to received and sends it to planning. Returns false when someone
/// else already did (the case is no longer scheduled).
async fn release(intake: &Intake, id: &offboard_core::CaseId) -> Result<bool, IntakeError> {
    let cases = intake.cases().as_ref();
    let released = etag::update(
        5,
        || async move { Ok::<_, IntakeError>(cases.get(id).await?) },
        |slot: &mut Option<offboard_core::Case>| {
            let now = intake.clock().now();
            let Some(case) = slot.as_mut().filter(|c| c.is_due(now)) else {
                return Ok(Change::Keep(false));
            };
            case.transition(
                CaseStatus::Received,
                "effective time reached; sent to planning",
                now,
            )?;
            Ok(Change::Write(true))
        },
        |case, etag| etag::replace_case(cases, case, etag),
    )
    .await?
    .ok_or_else(|| StoreError::PreconditionFailed {
        what: format!("case {id}"),
    })?;
    let (Some(case), true) = (released.value, released.answer) else {
        return Ok(false);
    };
    intake
        .evidence()
        .record_status(&case, "effective time reached; sent to planning")
        .await?;
    // The same fast path as a termination due at intake: sign-in is cut first.
    intake.cut_then_plan(id, None).await?;
    Ok(true)
}
