//! The compliance API's case endpoints:
//!
//! - `GET /api/cases?from=&to=&status=&limit=&continuation=`: a page of cases from the
//!   compliance index, by HR effective time;
//! - `GET /api/cases/{caseId}`: the case's timeline;
//! - `GET /api/cases/{caseId}/evidence`: the evidence packet with its verification.

use chrono::{DateTime, Utc};
use serde::Serialize;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use offboard_core::case::{Case, CaseStatus, HistoryEntry};
use offboard_core::ids::{CaseId, EmployeeIdentifiers, Sha256Digest};
use offboard_core::signature::Scheme;
use offboard_service::compliance::{CaseListQuery, ComplianceError, Timeline};

use super::{Request, json};
use crate::problem::Problem;
use crate::startup::AppState;

/// A case as the case store holds it (the authoritative status and history).
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
    /// What the Functions host asserted, when it (not offboard) authorised the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    host_assertion: Option<offboard_core::signature::HostAssertion>,
    history: Vec<HistoryEntry>,
    /// The plan and where each step stands (absent until planned).
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<offboard_core::plan::Plan>,
    /// Why the case could not be planned, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    planning_exception: Option<String>,
    /// When an SLA breach was flagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    sla_breached_at: Option<DateTime<Utc>>,
    /// Later terminations of the same person that joined this case.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attached: Vec<offboard_core::case::AttachedEvent>,
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
            host_assertion: c.event.host_assertion,
            history: c.history,
            plan: c.plan,
            planning_exception: c.planning_exception,
            sla_breached_at: c.sla_breached_at,
            attached: c.attached,
        }
    }
}

/// The timeline answer: the case, and what its evidence shows.
#[derive(Serialize)]
struct TimelineView {
    #[serde(flatten)]
    case: CaseView,
    #[serde(flatten)]
    timeline: Timeline,
}

/// Maps a compliance failure to a problem answer.
pub fn problem(e: ComplianceError) -> Problem {
    match &e {
        ComplianceError::BadRequest { .. } => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Bad query parameter",
            e.to_string(),
        ),
        ComplianceError::NoSuchCase(_) => Problem::not_found(e.to_string()),
        _ if e.is_transient() => Problem::unavailable(format!("{e}; retry later")),
        _ => {
            tracing::error!(error = %e, "compliance query failed");
            Problem::internal(e.to_string())
        }
    }
}

fn case_id(id: &str) -> Result<CaseId, Problem> {
    CaseId::parse(id).map_err(|_| {
        Problem::not_found(format!(
            "`{id}` is not a case id (case ids look like c-<32 hex digits>, as intake answered)"
        ))
    })
}

/// One case's timeline.
pub async fn get(state: &AppState, id: &str) -> Response {
    let run = async {
        let id = case_id(id)?;
        let t = state.compliance.timeline(&id).await.map_err(problem)?;
        let view = TimelineView {
            case: CaseView::from(t.case.clone()),
            timeline: t,
        };
        Ok::<_, Problem>(json(StatusCode::OK, &view))
    };
    run.await.unwrap_or_else(Problem::into_response)
}

/// One case's evidence packet and its verification.
pub async fn evidence(state: &AppState, id: &str) -> Response {
    let run = async {
        let id = case_id(id)?;
        let v = state.compliance.evidence(&id).await.map_err(problem)?;
        let mut resp = json(StatusCode::OK, &v);
        resp.headers_mut().insert(
            "offboard-verification",
            HeaderValue::from_static(if v.verification.ok { "ok" } else { "failed" }),
        );
        Ok::<_, Problem>(resp)
    };
    run.await.unwrap_or_else(Problem::into_response)
}

/// 400 naming the query parameter at fault (the detail names it).
pub fn bad(detail: impl Into<String>) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "malformed",
        "Bad query parameter",
        detail,
    )
}

/// Reads query parameter `name` as an instant: a date (`YYYY-MM-DD`, UTC midnight; as an
/// end (`end = true`) the whole day is included) or an RFC 3339 date-time.
pub fn instant(
    req: &Request,
    name: &'static str,
    end: bool,
) -> Result<Option<(DateTime<Utc>, String)>, Problem> {
    let Some(v) = req.query_param(name) else {
        return Ok(None);
    };
    if let Some(t) = offboard_service::report::parse_bound(&v, end) {
        return Ok(Some((t, v)));
    }
    Err(bad(format!(
        "`{name}` must be a date (YYYY-MM-DD) or an RFC 3339 date-time such as 2026-11-30T17:00:00Z, in the years 0000 to 9999 (got `{v}`)"
    )))
}

/// Cases by effective time, from the compliance index.
pub async fn list(state: &AppState, req: &Request) -> Response {
    let run = async {
        let status = match req.query_param("status") {
            None => None,
            Some(s) => Some(CaseStatus::parse(&s).ok_or_else(|| {
                bad(format!(
                        "`status` must be one of received, scheduled, running, completed, completed_with_exceptions, cancelled (got `{s}`)"
                    ),
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
                    bad(format!(
                        "`limit` must be a whole number from 1 to 1000 (got `{l}`)"
                    ))
                })?,
        };
        let query = CaseListQuery {
            from: instant(req, "from", false)?.map(|(t, _)| t),
            to: instant(req, "to", true)?.map(|(t, _)| t),
            status,
            limit,
            continuation: req.query_param("continuation"),
        };
        let page = state.compliance.list_cases(&query).await.map_err(problem)?;
        Ok::<_, Problem>(json(StatusCode::OK, &page))
    };
    run.await.unwrap_or_else(Problem::into_response)
}
