//! `GET /api/remediations` and `POST /api/cases/{caseId}/steps/{step}/retry`: the failed
//! steps waiting for a person, and retrying one once its cause is fixed.

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_core::actor::HumanActor;
use offboard_core::ids::CaseId;
use offboard_core::plan::StepKind;
use offboard_core::ports::RemediationStatus;
use offboard_service::engine::EngineError;

use crate::problem::Problem;
use crate::reply::{json, with_location};
use crate::request::Request;
use crate::startup::AppState;

/// Lists remediation items (`?status=open|retrying|resolved`, default open).
pub async fn list(state: &AppState, req: &Request) -> Response {
    let status = match req.query_param("status").as_deref() {
        None | Some("open") => Some(RemediationStatus::Open),
        Some("retrying") => Some(RemediationStatus::Retrying),
        Some("resolved") => Some(RemediationStatus::Resolved),
        Some("all") => None,
        Some(other) => {
            return Problem::bad_query(format!(
                "`status` must be open, retrying, resolved or all (got `{other}`)"
            ))
            .into_response();
        }
    };
    match state.engine.remediations().list(status).await {
        Ok(items) => json(StatusCode::OK, &serde_json::json!({ "items": items })),
        Err(e) => Problem::unavailable(e.to_string()).into_response(),
    }
}

/// Retries a failed (or waiting) step of a case, for the operator `by` (recorded in the
/// case's evidence).
pub async fn retry(state: &AppState, case_id: &str, step: &str, by: &HumanActor) -> Response {
    let Ok(id) = CaseId::parse(case_id) else {
        return Problem::not_found(format!("`{case_id}` is not a case id")).into_response();
    };
    let Some(kind) = StepKind::parse(step) else {
        return Problem::not_found(format!("`{step}` is not a step")).into_response();
    };
    match state.engine.retry_step(&id, kind, by).await {
        Ok(case) => with_location(
            json(
                StatusCode::ACCEPTED,
                &serde_json::json!({"caseId": case.id, "status": case.status, "step": kind, "stepStatus": "queued"}),
            ),
            &case.id,
        ),
        Err(EngineError::NoSuchCase(id)) => {
            Problem::not_found(format!("no case {id}")).into_response()
        }
        Err(EngineError::Refused(why)) => {
            Problem::new(StatusCode::CONFLICT, "conflict", "Cannot retry", why).into_response()
        }
        Err(e) if e.is_transient() => Problem::unavailable(e.to_string()).into_response(),
        Err(e) => Problem::internal(e.to_string()).into_response(),
    }
}
