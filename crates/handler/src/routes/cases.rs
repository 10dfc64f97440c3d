//! The compliance API's case endpoints:
//!
//! - `GET /api/cases?from=&to=&status=&limit=&continuation=`: a page of cases from the
//!   compliance index, by HR effective time;
//! - `GET /api/cases/{caseId}`: the case's timeline;
//! - `GET /api/cases/{caseId}/evidence`: the evidence packet with its verification.

use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use offboard_core::case::CaseStatus;
use offboard_core::ids::CaseId;
use offboard_service::compliance::CaseListQuery;

use crate::problem::Problem;
use crate::reply::json;
use crate::request::Request;
use crate::startup::AppState;

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
        let t = state.compliance.timeline(&id).await?;
        Ok::<_, Problem>(json(StatusCode::OK, &t))
    };
    run.await.unwrap_or_else(Problem::into_response)
}

/// One case's evidence packet and its verification.
pub async fn evidence(state: &AppState, id: &str) -> Response {
    let run = async {
        let id = case_id(id)?;
        let v = state.compliance.evidence(&id).await?;
        let mut resp = json(StatusCode::OK, &v);
        resp.headers_mut().insert(
            "offboard-verification",
            HeaderValue::from_static(if v.verification.ok { "ok" } else { "failed" }),
        );
        Ok::<_, Problem>(resp)
    };
    run.await.unwrap_or_else(Problem::into_response)
}

/// Cases by effective time, from the compliance index.
pub async fn list(state: &AppState, req: &Request) -> Response {
    let run = async {
        let status = match req.query_param("status") {
            None => None,
            Some(s) => Some(CaseStatus::parse(&s).ok_or_else(|| {
                Problem::bad_query(format!(
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
                    Problem::bad_query(format!(
                        "`limit` must be a whole number from 1 to 1000 (got `{l}`)"
                    ))
                })?,
        };
        let query = CaseListQuery {
            from: req.instant("from", false)?.map(|(t, _)| t),
            to: req.instant("to", true)?.map(|(t, _)| t),
            status,
            limit,
            continuation: req.query_param("continuation"),
        };
        let page = state.compliance.list_cases(&query).await?;
        Ok::<_, Problem>(json(StatusCode::OK, &page))
    };
    run.await.unwrap_or_else(Problem::into_response)
}
