//! `POST /api/cases/{caseId}/restore`: an operator undoes a mistaken termination that has
//! ended, with a reason. The asker is the signed-in operator the router checked
//! (`Offboard.Operator`), recorded with the restore; the person who raised the termination
//! cannot restore it (four eyes). The engine plans the reverse steps from the case's snapshot
//! and runs them on the same case (`engine/restore.rs`).
//!
//! `POST /api/cases/{caseId}/restore/roles/approve` and `/reject`: the second approval of the
//! directory roles a restore held, with a reason, by an operator other than the restore's
//! asker and than whoever approved the case (`engine/restore_roles.rs`).

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_api::RestoreAccepted;
use offboard_core::case::Actor;
use offboard_core::case::RolesDecisionError;
use offboard_core::ids::CaseId;
use offboard_service::engine::EngineError;
use offboard_service::restore::RestoreError;

use crate::problem::Problem;
use crate::reply::{json, with_location};
use crate::request::Request;
use crate::startup::AppState;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RestoreBody {
    reason: String,
}

/// Restores the case `case_id`, asked by `by`.
pub async fn restore(state: &AppState, case_id: &str, req: &Request, by: Actor) -> Response {
    run(state, case_id, req, by)
        .await
        .unwrap_or_else(Problem::into_response)
}

async fn run(
    state: &AppState,
    case_id: &str,
    req: &Request,
    by: Actor,
) -> Result<Response, Problem> {
    let id = CaseId::parse(case_id)
        .map_err(|_| Problem::not_found(format!("`{case_id}` is not a case id")))?;
    let body: RestoreBody = serde_json::from_slice(&req.body).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Malformed restore",
            format!("the body must be {{\"reason\": \"...\"}}: {e}"),
        )
    })?;
    match state.engine.restore(&id, by, &body.reason).await {
        Ok(started) => {
            let answer = RestoreAccepted {
                case_id: started.case.id.clone(),
                status: started.case.status,
                restored: started.case.restored.clone(),
                restore: started.reverse,
            };
            Ok(with_location(
                json(StatusCode::ACCEPTED, &answer),
                &started.case.id,
            ))
        }
        Err(EngineError::NoSuchCase(id)) => Err(Problem::not_found(format!("no case {id}"))),
        Err(EngineError::Restore(e @ RestoreError::SelfRestore { .. })) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "self-restore",
            "Four eyes: not the same person",
            e.to_string(),
        )
        .about_case(case_id)),
        Err(EngineError::Restore(e @ RestoreError::NoReason)) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "no-reason",
            "A reason is required",
            e.to_string(),
        )),
        Err(EngineError::Restore(e @ RestoreError::NotRestorable { .. })) => Err(Problem::new(
            StatusCode::CONFLICT,
            "conflict",
            "Cannot be restored now",
            e.to_string(),
        )
        .about_case(case_id)),
        Err(e) if e.is_transient() => Err(Problem::unavailable(e.to_string())),
        Err(e) => Err(Problem::internal(e.to_string())),
    }
}

/// Approves (or rejects) the directory roles the latest restore of `case_id` holds.
pub async fn decide_roles(
    state: &AppState,
    case_id: &str,
    req: &Request,
    approve: bool,
    by: Actor,
) -> Response {
    roles(state, case_id, req, approve, by)
        .await
        .unwrap_or_else(Problem::into_response)
}

async fn roles(
    state: &AppState,
    case_id: &str,
    req: &Request,
    approve: bool,
    by: Actor,
) -> Result<Response, Problem> {
    let id = CaseId::parse(case_id)
        .map_err(|_| Problem::not_found(format!("`{case_id}` is not a case id")))?;
    let body: RestoreBody = serde_json::from_slice(&req.body).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Malformed decision",
            format!("the body must be {{\"reason\": \"...\"}}: {e}"),
        )
    })?;
    match state
        .engine
        .decide_restore_roles(&id, approve, by, &body.reason)
        .await
    {
        Ok(case) => {
            let answer = serde_json::json!({
                "caseId": case.id,
                "status": case.status,
                "restored": case.restored,
            });
            Ok(with_location(json(StatusCode::OK, &answer), &case.id))
        }
        Err(EngineError::NoSuchCase(id)) => Err(Problem::not_found(format!("no case {id}"))),
        Err(EngineError::Restore(RestoreError::Roles(
            e @ RolesDecisionError::SamePerson { .. },
        ))) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "self-approval",
            "Four eyes: not the same person",
            e.to_string(),
        )
        .about_case(case_id)),
        Err(EngineError::Restore(RestoreError::Roles(e @ RolesDecisionError::NoReason))) => {
            Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "no-reason",
                "A reason is required",
                e.to_string(),
            ))
        }
        Err(EngineError::Restore(RestoreError::Roles(e))) => Err(Problem::new(
            StatusCode::CONFLICT,
            "conflict",
            "No directory roles to decide",
            e.to_string(),
        )
        .about_case(case_id)),
        Err(e) if e.is_transient() => Err(Problem::unavailable(e.to_string())),
        Err(e) => Err(Problem::internal(e.to_string())),
    }
}
