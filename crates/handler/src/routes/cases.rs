//! `GET /api/cases/{caseId}` and `GET /api/cases?from=&to=&status=`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use warp::http::StatusCode;
use warp::reply::Response;

use offboard_core::case::{Case, CaseStatus, HistoryEntry};
use offboard_core::ids::{CaseId, EmployeeIdentifiers, Sha256Digest};
use offboard_core::ports::CaseQuery;
use offboard_core::signature::Scheme;

use super::{Request, json};
use crate::problem::Problem;
use crate::startup::AppState;

/// A case as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseView {
    case_id: CaseId,
    status: CaseStatus,
    source: String,
    source_event_id: String,
    employee: EmployeeIdentifiers,
    kind: String,
    hr_effective_as_sent: Option<String>,
    effective_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    body_sha256: Sha256Digest,
    authenticated_by: Scheme,
    history: Vec<HistoryEntry>,
}

impl From<Case> for CaseView {
    fn from(c: Case) -> Self {
        Self {
            case_id: c.id,
            status: c.status,
            source: c.event.source.to_string(),
            source_event_id: c.event.source_event_id,
            employee: c.event.employee,
            kind: c.event.kind.to_string(),
            hr_effective_as_sent: c.event.hr_effective.as_sent().map(str::to_owned),
            effective_at: c.event.effective_at,
            received_at: c.event.received_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            body_sha256: c.event.body_sha256,
            authenticated_by: c.event.authenticated_by,
            history: c.history,
        }
    }
}

/// One case.
pub async fn get(state: &AppState, id: &str) -> Response {
    let Ok(id) = CaseId::parse(id) else {
        return Problem::not_found(format!("`{id}` is not a case id")).into_response();
    };
    match state.backends.cases.get(&id).await {
        Ok(Some(v)) => json(StatusCode::OK, &CaseView::from(v.value)),
        Ok(None) => Problem::not_found(format!("no case {id}")).into_response(),
        Err(e) if e.is_transient() => Problem::unavailable(e.to_string()).into_response(),
        Err(e) => Problem::internal(e.to_string()).into_response(),
    }
}

fn instant(req: &Request, name: &'static str, end: bool) -> Result<Option<DateTime<Utc>>, Problem> {
    let Some(v) = req.query_param(name) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(&v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
        // A date as `to` includes that whole day.
        let d = if end { d.succ_opt().unwrap_or(d) } else { d };
        return Ok(Some(d.and_time(chrono::NaiveTime::MIN).and_utc()));
    }
    Err(Problem::new(
        StatusCode::BAD_REQUEST,
        "malformed",
        "Bad query parameter",
        format!("`{name}` must be a date (YYYY-MM-DD) or an RFC 3339 date-time"),
    ))
}

/// Cases by effective time.
pub async fn list(state: &AppState, req: &Request) -> Response {
    let run = async {
        let status = match req.query_param("status") {
            None => None,
            Some(s) => Some(CaseStatus::parse(&s).ok_or_else(|| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    "Bad query parameter",
                    format!("`status` must be one of received, scheduled, running, completed, completed_with_exceptions, cancelled (got `{s}`)"),
                )
            })?),
        };
        let limit = match req.query_param("limit") {
            None => 100,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    Problem::new(
                        StatusCode::BAD_REQUEST,
                        "malformed",
                        "Bad query parameter",
                        "`limit` must be a number from 1 to 1000",
                    )
                })?,
        };
        let query = CaseQuery {
            effective_from: instant(req, "from", false)?,
            effective_to: instant(req, "to", true)?,
            status,
            limit,
            continuation: req.query_param("continuation"),
        };
        let page = state
            .backends
            .cases
            .list(&query)
            .await
            .map_err(|e| Problem::unavailable(e.to_string()))?;
        let items: Vec<CaseView> = page.items.into_iter().map(CaseView::from).collect();
        Ok::<_, Problem>(json(
            StatusCode::OK,
            &serde_json::json!({"items": items, "continuation": page.continuation}),
        ))
    };
    run.await.unwrap_or_else(Problem::into_response)
}
