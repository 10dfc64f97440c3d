//! `GET /api/findings`: the ghost-access scan's findings (`?type=`, `?status=open|resolved|all`
//! (default open), `?from=` / `?to=` on when each was first raised).

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_api::FindingsPage;
use offboard_core::reconcile::{FindingKind, FindingQuery, FindingStatus};

use crate::problem::Problem;
use crate::reply::json;
use crate::request::Request;
use crate::startup::AppState;

/// The findings `req` asks for (`type`, `status` (default open), `from`, `to`): the API's
/// filters, and the dashboard's Findings page's.
pub fn query(req: &Request) -> Result<FindingQuery, Problem> {
    let kind = match req.query_param("type") {
        None => None,
        Some(t) => Some(FindingKind::parse(&t).ok_or_else(|| {
            Problem::bad_query(format!(
                "`type` must be one of {} (got `{t}`)",
                FindingKind::ALL.map(|k| k.as_str()).join(", ")
            ))
        })?),
    };
    let status = match req.query_param("status").as_deref() {
        None | Some("open") => Some(FindingStatus::Open),
        Some("resolved") => Some(FindingStatus::Resolved),
        Some("all") => None,
        Some(other) => {
            return Err(Problem::bad_query(format!(
                "`status` must be open, resolved or all (got `{other}`)"
            )));
        }
    };
    Ok(FindingQuery {
        kind,
        status,
        from: req.instant("from", false)?.map(|(t, _)| t),
        to: req.instant("to", true)?.map(|(t, _)| t),
    })
}

/// Lists findings.
pub async fn list(state: &AppState, req: &Request) -> Response {
    let q = match query(req) {
        Ok(q) => q,
        Err(p) => return p.into_response(),
    };
    match state.reconciler.findings().list(&q).await {
        Ok(findings) => json(StatusCode::OK, &FindingsPage { findings }),
        Err(e) => Problem::unavailable(e.to_string()).into_response(),
    }
}
