//! The leaver's meetings (`cancel-meetings`): list the events of a calendar, cancel one as its
//! organiser, end a recurring series (Graph v1.0 `event`, `event-cancel`, `event-update`).

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::{Call, GraphClient, Reply};
use crate::error::GraphError;
use crate::users::user_path;

/// A `dateTimeTimeZone`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DateTimeTimeZone {
    /// Local date and time, without offset.
    pub date_time: String,
    /// The time zone it is in.
    pub time_zone: Option<String>,
}

impl DateTimeTimeZone {
    /// The instant, when the zone is UTC (offboard asks Graph for UTC with
    /// `Prefer: outlook.timezone="UTC"`).
    pub fn utc(&self) -> Option<DateTime<Utc>> {
        let zone = self.time_zone.as_deref().unwrap_or("UTC");
        if !zone.eq_ignore_ascii_case("UTC") {
            return None;
        }
        NaiveDateTime::parse_from_str(&self.date_time, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|n| n.and_utc())
    }
}

/// A calendar event (the fields `cancel-meetings` reads).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Event {
    /// Event id.
    pub id: String,
    /// Subject.
    pub subject: Option<String>,
    /// Start.
    pub start: Option<DateTimeTimeZone>,
    /// End.
    pub end: Option<DateTimeTimeZone>,
    /// The calendar's owner organises it.
    pub is_organizer: Option<bool>,
    /// Cancelled.
    pub is_cancelled: Option<bool>,
    /// `singleInstance`, `seriesMaster`, `occurrence`, `exception`.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// A series' `patternedRecurrence` (pattern and range), as Graph sent it.
    pub recurrence: Option<Value>,
    /// Attendees, as Graph sent them.
    pub attendees: Option<Value>,
}

impl GraphClient {
    /// `GET /users/{id}/events` in UTC (`Calendars.Read`): single instances and series
    /// masters; no mailbox gives [`GraphError::NotApplicable`] (`NoMailbox`).
    pub async fn events(&self, user: &str) -> Result<Reply<Vec<Event>>, GraphError> {
        let mut call = Call::new(
            Method::GET,
            format!("{}/events", user_path(user)),
            "listEvents",
        )
        .query(
            "$select",
            "id,subject,start,end,isOrganizer,isCancelled,type,recurrence,attendees",
        );
        call.headers
            .push(("Prefer", "outlook.timezone=\"UTC\"".to_owned()));
        self.list(call).await
    }

    /// `GET /users/{id}/events/{id}` in UTC; a cancelled event (moved to Deleted Items) is a
    /// 404.
    pub async fn event(&self, user: &str, id: &str) -> Result<Reply<Event>, GraphError> {
        let mut call = Call::new(
            Method::GET,
            format!("{}/events/{}", user_path(user), crate::client::seg(id)),
            "getEvent",
        );
        call.headers
            .push(("Prefer", "outlook.timezone=\"UTC\"".to_owned()));
        self.execute_json(&call).await
    }

    /// `POST /users/{id}/events/{id}/cancel` with the comment sent to the attendees
    /// (`Calendars.ReadWrite`; organiser only). `202 Accepted`.
    pub async fn cancel_event(
        &self,
        user: &str,
        id: &str,
        comment: &str,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::POST,
            format!(
                "{}/events/{}/cancel",
                user_path(user),
                crate::client::seg(id)
            ),
            "cancelEvent",
        )
        .json(json!({ "Comment": comment }));
        self.execute_empty(&call).await
    }

    /// `PATCH /users/{id}/events/{id}` with a new `recurrence` (`Calendars.ReadWrite`): a
    /// series ends on the range's `endDate`.
    pub async fn set_recurrence(
        &self,
        user: &str,
        id: &str,
        recurrence: &Value,
    ) -> Result<Reply<Event>, GraphError> {
        let call = Call::new(
            Method::PATCH,
            format!("{}/events/{}", user_path(user), crate::client::seg(id)),
            "updateEvent",
        )
        .json(json!({ "recurrence": recurrence }));
        self.execute_json(&call).await
    }
}
