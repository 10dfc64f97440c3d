//! `cancel-meetings`: the future meetings the leaver organises stop inviting the team in
//! their name — cancelled with the policy's message, and a recurring series ends at the
//! effective time.
//!
//! **When it applies.** Planned when the leaver has a mailbox and the policy says
//! `meetings = "cancel"`, after `stop-forwarding` and before any licence goes (a mailbox
//! without its licence cannot be changed). `meetings = "leave"` leaves them for the manager.
//!
//! **Act.** `GET /users/{id}/events` (single instances and series masters, in UTC). For each
//! event the leaver organises that is not cancelled:
//! - a single meeting starting at or after the effective time: `POST …/events/{id}/cancel`
//!   with the policy's message;
//! - a series with occurrences after the effective time: when its first occurrence is at or
//!   after the effective time, the whole series is cancelled; otherwise
//!   `PATCH …/events/{id}` ends its `recurrence.range` (`type = endDate`) on the last day
//!   whose occurrence starts before the effective time, so the past stays as it was.
//!
//! Nothing of that kind: nothing to write, so a replay changes nothing (a cancelled event has
//! left the calendar, an ended series no longer runs past the effective time). No mailbox:
//! not applicable.
//!
//! **Verify.** Each event read back: a cancelled one is gone from the calendar (Graph moves it
//! to Deleted Items: `404`), an ended series shows the new `endDate`.
//!
//! **Evidence.** One action per meeting: subject, start, attendee count, what was done, the
//! read-back.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

use offboard_core::evidence::millis;
use offboard_core::plan::StepKind;
use offboard_graph::{Event, GraphError};

use super::common::{Attempt, EXCHANGE, read_back, upn, user_id};
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Cancels the leaver's future meetings.
#[derive(Debug, Clone)]
pub struct CancelMeetings {
    tenant: Arc<Tenant>,
}

impl CancelMeetings {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// What to do with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    /// Cancel it (a single meeting, or a whole series that starts after the cut).
    Cancel,
    /// End the series on this date.
    End(NaiveDate),
}

fn start(e: &Event) -> Option<DateTime<Utc>> {
    e.start.as_ref().and_then(|s| s.utc())
}

fn range_end(e: &Event) -> Option<NaiveDate> {
    let r = e.recurrence.as_ref()?.get("range")?;
    if r.get("type").and_then(Value::as_str) != Some("endDate") {
        return None;
    }
    r.get("endDate")
        .and_then(Value::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// What the step does to `e`, the effective time being `cut`; `None`: leave it.
fn plan(e: &Event, cut: DateTime<Utc>) -> Option<Plan> {
    if e.is_organizer != Some(true) || e.is_cancelled == Some(true) {
        return None;
    }
    let first = start(e)?;
    match e.event_type.as_deref() {
        Some("seriesMaster") => {
            // The last date whose occurrence (at the series' time of day) starts before the
            // cut.
            let last_kept = if first.time() < cut.time() {
                cut.date_naive()
            } else {
                cut.date_naive() - TimeDelta::days(1)
            };
            if first >= cut || last_kept < first.date_naive() {
                return Some(Plan::Cancel);
            }
            match range_end(e) {
                Some(end) if end <= last_kept => None,
                _ => Some(Plan::End(last_kept)),
            }
        }
        _ => (first >= cut).then_some(Plan::Cancel),
    }
}

fn describe(e: &Event) -> Value {
    json!({
        "id": e.id,
        "subject": e.subject,
        "start": start(e).map(millis::text),
        "type": e.event_type,
        "attendees": e.attendees.as_ref().and_then(Value::as_array).map_or(0, Vec::len),
        "recurrence": e.recurrence,
    })
}

#[async_trait]
impl StepAction for CancelMeetings {
    fn kind(&self) -> StepKind {
        StepKind::CancelMeetings
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let who = upn(ctx);
        let cut = ctx.case.event.effective_at();
        let targets = vec![id.to_owned(), who.to_owned()];
        let name = ctx.facts.user.display_name.as_deref().unwrap_or(who);
        let comment = ctx.policy.meeting_cancel_text(name);

        let read = Attempt::new(
            EXCHANGE,
            "no future meeting organised by the leaver",
            targets.clone(),
        )
        .request("GET", format!("/users/{id}/events"));
        let events = match graph.events(id).await {
            Ok(r) => r,
            Err(e @ GraphError::NotApplicable { .. }) => {
                return Ok(StepReport::from_actions(vec![read.not_applicable(
                    "the leaver has no Exchange Online mailbox",
                    e.status(),
                    e.request_id().map(str::to_owned),
                    None,
                )]));
            }
            Err(e) => return Err(read.fail(&e)),
        };
        let todo: Vec<(&Event, Plan)> = events
            .value
            .iter()
            .filter_map(|e| plan(e, cut).map(|p| (e, p)))
            .collect();
        if todo.is_empty() {
            return Ok(StepReport::from_actions(vec![read.checked(
                events.status,
                events.request_id,
                read_back(json!({ "meetings": 0 }), json!({ "meetings": 0 })),
                Some(json!({
                    "changed": false,
                    "events": events.value.len(),
                    "effectiveAt": millis::text(cut),
                })),
            )]));
        }

        let mut actions: Vec<ActionEvidence> = Vec::new();
        for (e, p) in todo {
            let mut t = targets.clone();
            t.push(e.id.clone());
            let subject = e.subject.clone().unwrap_or_default();
            match p {
                Plan::Cancel => {
                    let act =
                        Attempt::new(EXCHANGE, format!("cancel the meeting \"{subject}\""), t)
                            .request("POST", format!("/users/{id}/events/{}/cancel", e.id));
                    let done = graph
                        .cancel_event(id, &e.id, &comment)
                        .await
                        .map_err(|err| act.clone().fail(&err))?;
                    let (observed, rid) = match graph.event(id, &e.id).await {
                        Err(err) if err.is_not_found() => (
                            json!({ "inCalendar": false }),
                            err.request_id().map(str::to_owned),
                        ),
                        Ok(r) => (
                            json!({ "inCalendar": r.value.is_cancelled != Some(true) }),
                            r.request_id,
                        ),
                        Err(err) => return Err(act.fail(&err)),
                    };
                    actions.push(act.checked(
                        done.status,
                        done.request_id,
                        read_back(json!({ "inCalendar": false }), observed),
                        Some(json!({
                            "changed": true,
                            "cancelled": describe(e),
                            "message": comment,
                            "effectiveAt": millis::text(cut),
                            "readBackRequestId": rid,
                        })),
                    ));
                }
                Plan::End(last) => {
                    let mut recurrence = e.recurrence.clone().unwrap_or_else(|| json!({}));
                    let start_date = recurrence
                        .pointer("/range/startDate")
                        .cloned()
                        .unwrap_or_else(|| json!(start(e).map(|s| s.date_naive().to_string())));
                    recurrence["range"] = json!({
                        "type": "endDate",
                        "startDate": start_date,
                        "endDate": last.to_string(),
                    });
                    let act = Attempt::new(
                        EXCHANGE,
                        format!("end the meeting series \"{subject}\" at the effective time"),
                        t,
                    )
                    .request(
                        "PATCH",
                        format!("/users/{id}/events/{} {{recurrence}}", e.id),
                    );
                    let done = graph
                        .set_recurrence(id, &e.id, &recurrence)
                        .await
                        .map_err(|err| act.clone().fail(&err))?;
                    let after = graph
                        .event(id, &e.id)
                        .await
                        .map_err(|err| act.clone().fail(&err))?;
                    actions.push(act.checked(
                        done.status,
                        done.request_id,
                        read_back(
                            json!({ "endDate": last.to_string() }),
                            json!({ "endDate": range_end(&after.value).map(|d| d.to_string()) }),
                        ),
                        Some(json!({
                            "changed": true,
                            "series": describe(e),
                            "effectiveAt": millis::text(cut),
                            "readBackRequestId": after.request_id,
                        })),
                    ));
                }
            }
        }
        Ok(StepReport::from_actions(actions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offboard_graph::DateTimeTimeZone;

    fn ev(kind: &str, start: &str, end_date: Option<&str>) -> Event {
        Event {
            id: "e".into(),
            start: Some(DateTimeTimeZone {
                date_time: start.into(),
                time_zone: Some("UTC".into()),
            }),
            is_organizer: Some(true),
            event_type: Some(kind.into()),
            recurrence: end_date.map(
                |d| json!({"range": {"type": "endDate", "startDate": "2026-11-02", "endDate": d}}),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn future_meetings_are_cancelled_and_series_end_at_the_cut() {
        let cut: DateTime<Utc> = "2026-12-06T12:00:00Z".parse().unwrap();
        assert_eq!(
            plan(&ev("singleInstance", "2026-12-07T09:00:00", None), cut),
            Some(Plan::Cancel)
        );
        assert_eq!(
            plan(&ev("singleInstance", "2026-12-05T09:00:00", None), cut),
            None
        );
        // A weekly series at 09:00 since November: its 6 December occurrence is before the
        // cut and stays; it ends that day.
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            plan(&ev("seriesMaster", "2026-11-02T09:00:00", None), cut),
            Some(Plan::End(d("2026-12-06")))
        );
        // At 15:00 the 6 December occurrence is after the cut: it ends the day before.
        assert_eq!(
            plan(&ev("seriesMaster", "2026-11-02T15:00:00", None), cut),
            Some(Plan::End(d("2026-12-05")))
        );
        // Already ended: nothing to do (a replay).
        assert_eq!(
            plan(
                &ev("seriesMaster", "2026-11-02T09:00:00", Some("2026-12-06")),
                cut
            ),
            None
        );
        // A series that starts after the cut goes whole.
        assert_eq!(
            plan(&ev("seriesMaster", "2026-12-08T09:00:00", None), cut),
            Some(Plan::Cancel)
        );
        let mut not_mine = ev("singleInstance", "2026-12-07T09:00:00", None);
        not_mine.is_organizer = Some(false);
        assert_eq!(plan(&not_mine, cut), None);
    }
}
