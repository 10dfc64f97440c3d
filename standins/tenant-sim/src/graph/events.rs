//! Calendar events, from the Graph v1.0 reference:
//!
//! - `GET /users/{id}/events` (user-list-events: application `Calendars.Read`, higher
//!   `Calendars.ReadWrite`): single instances and series masters, not occurrences;
//! - `GET /users/{id}/events/{id}` (event-get);
//! - `POST /users/{id}/events/{id}/cancel` (event-cancel: application `Calendars.ReadWrite`;
//!   `202 Accepted`, no body; "moves the event to the Deleted Items folder"; an attendee gets
//!   `400` "Your request can't be completed. You need to be an organizer to cancel a
//!   meeting.");
//! - `PATCH /users/{id}/events/{id}` (event-update: `Calendars.ReadWrite`) with `recurrence`,
//!   whose `range` (`recurrenceRange`: `type` `endDate`, `startDate`, `endDate`) ends a series.

use super::*;
use crate::mailbox_doors::Event;

fn when(t: &chrono::DateTime<chrono::Utc>) -> Value {
    // Graph writes seven fractional digits (`2026-12-07T09:00:00.0000000`).
    json!({"dateTime": format!("{}0", t.format("%Y-%m-%dT%H:%M:%S%.6f")), "timeZone": "UTC"})
}

fn event_json(e: &Event) -> Value {
    json!({
        "id": e.id,
        "subject": e.subject,
        "start": when(&e.start),
        "end": when(&e.end),
        "isOrganizer": e.is_organizer,
        "isCancelled": e.is_cancelled,
        "type": e.event_type,
        "recurrence": e.recurrence,
        "attendees": e.attendees.iter().map(|a| json!({"type": "required", "emailAddress": {"address": a}})).collect::<Vec<_>>(),
    })
}

fn item_not_found() -> ApiError {
    ApiError::new(
        404,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    )
}

fn calendar_of<'t>(t: &'t Tenant, id: &str) -> Result<(String, &'t Mailbox), ApiError> {
    let u = find_user(t, id)?;
    let m = t.mailbox(&u.id).ok_or_else(no_mailbox)?;
    Ok((u.id.clone(), m))
}

pub(super) fn list_events(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::CALENDARS_READ, outlook_denied)?;
    let (uid, m) = calendar_of(t, id)?;
    // A cancelled event sits in Deleted Items, not in the calendar.
    let items = m
        .doors
        .events
        .iter()
        .filter(|e| !e.is_cancelled)
        .map(event_json)
        .collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        format!("users('{uid}')/events"),
        items,
    )))
}

pub(super) fn get_event(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    event: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::CALENDARS_READ, outlook_denied)?;
    let (uid, m) = calendar_of(t, id)?;
    let e = m
        .doors
        .events
        .iter()
        .find(|e| e.id == event && !e.is_cancelled)
        .ok_or_else(item_not_found)?;
    let mut out = event_json(e).as_object().cloned().unwrap_or_default();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&format!("users('{uid}')/events/$entity"))),
    );
    Ok(SimResponse::ok(Value::Object(out)))
}

pub(super) fn cancel_event(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    event: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::CALENDARS_WRITE, outlook_denied)?;
    let comment = req
        .body
        .as_ref()
        .and_then(|b| b.get("Comment").or_else(|| b.get("comment")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let uid = calendar_of(t, id)?.0;
    let m = t.mailbox_mut(&uid).ok_or_else(no_mailbox)?;
    let e = m
        .doors
        .events
        .iter_mut()
        .find(|e| e.id == event && !e.is_cancelled)
        .ok_or_else(item_not_found)?;
    if !e.is_organizer {
        return Err(ApiError::new(
            400,
            "ErrorAccessDenied",
            "Your request can't be completed. You need to be an organizer to cancel a meeting.",
        ));
    }
    e.is_cancelled = true;
    e.cancel_comment = comment;
    Ok(SimResponse::empty(202))
}

pub(super) fn patch_event(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    event: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::CALENDARS_WRITE, outlook_denied)?;
    let body = body_obj(req)?.clone();
    let uid = calendar_of(t, id)?.0;
    let m = t.mailbox_mut(&uid).ok_or_else(no_mailbox)?;
    let e = m
        .doors
        .events
        .iter_mut()
        .find(|e| e.id == event && !e.is_cancelled)
        .ok_or_else(item_not_found)?;
    for (k, v) in body.iter().filter(|(k, _)| !k.starts_with('@')) {
        match (k.as_str(), v) {
            ("recurrence", v @ Value::Object(_)) if e.event_type == "seriesMaster" => {
                e.recurrence = Some(v.clone())
            }
            ("subject", Value::String(s)) => e.subject = s.clone(),
            _ => {
                return Err(ApiError::new(
                    400,
                    "RequestBodyRead",
                    format!(
                        "The property '{k}' does not exist on type 'microsoft.graph.event' or has a value the simulator does not model."
                    ),
                ));
            }
        }
    }
    let mut out = event_json(e).as_object().cloned().unwrap_or_default();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&format!("users('{uid}')/events/$entity"))),
    );
    Ok(SimResponse::ok(Value::Object(out)))
}
