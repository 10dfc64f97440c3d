//! `POST /api/cases/{caseId}/approve` and `POST /api/cases/{caseId}/reject`: an operator's
//! decision on a held case (`awaiting_approval`), with a reason. The decider is the signed-in
//! operator the router checked (`Offboard.Operator`), recorded with the decision; a person
//! cannot approve a termination they raised themselves.

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_core::case::{Actor, Case, Decision, DecisionError};
use offboard_core::ids::CaseId;
use offboard_service::engine::EngineError;

use crate::problem::Problem;
use crate::reply::{json, with_location};
use crate::request::Request;
use crate::startup::AppState;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    reason: String,
}

/// Approves (`approved`) or rejects a held case.
pub async fn decide(
    state: &AppState,
    case_id: &str,
    req: &Request,
    approved: bool,
    by: Actor,
) -> Response {
    run(state, case_id, req, approved, by)
        .await
        .unwrap_or_else(Problem::into_response)
}

async fn run(
    state: &AppState,
    case_id: &str,
    req: &Request,
    approved: bool,
    by: Actor,
) -> Result<Response, Problem> {
    let id = parse_id(case_id)?;
    let body: DecisionBody = serde_json::from_slice(&req.body).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Malformed decision",
            format!("the body must be {{\"reason\": \"...\"}}: {e}"),
        )
    })?;
    let case = decide_case(state, &id, approved, by, body.reason).await?;
    Ok(with_location(
        json(
            StatusCode::OK,
            &serde_json::json!({
                "caseId": case.id,
                "status": case.status,
                "approval": case.approval,
            }),
        ),
        &case.id,
    ))
}

/// A case id from the path, or 404.
pub fn parse_id(case_id: &str) -> Result<CaseId, Problem> {
    CaseId::parse(case_id).map_err(|_| Problem::not_found(format!("`{case_id}` is not a case id")))
}

/// Records `by`'s decision on the held case `id` through the engine (four eyes, the
/// evidence record, planning or sealing after it), as a problem an API or a page can show:
/// the API's JSON body and the dashboard's Held page's form both come here.
pub async fn decide_case(
    state: &AppState,
    id: &CaseId,
    approved: bool,
    by: Actor,
    reason: String,
) -> Result<Case, Problem> {
    let case_id = id.as_str();
    let decision = Decision {
        approved,
        by,
        at: state.clock.now(),
        reason,
    };
    match state.engine.decide(id, decision).await {
        Ok(case) => Ok(case),
        Err(EngineError::NoSuchCase(id)) => Err(Problem::not_found(format!("no case {id}"))),
        Err(EngineError::Decision(e @ DecisionError::SelfApproval { .. })) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "self-approval",
            "Four eyes: not the same person",
            e.to_string(),
        )
        .about_case(case_id)),
        Err(EngineError::Decision(e @ DecisionError::NoReason)) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "no-reason",
            "A reason is required",
            e.to_string(),
        )),
        Err(EngineError::Decision(e)) => Err(Problem::new(
            StatusCode::CONFLICT,
            "conflict",
            "Not awaiting approval",
            e.to_string(),
        )
        .about_case(case_id)),
        Err(e) if e.is_transient() => Err(Problem::unavailable(e.to_string())),
        Err(e) => Err(Problem::internal(e.to_string())),
    }
}
