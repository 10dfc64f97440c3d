//! `POST /api/offboardings`: an operator's immediate or scheduled offboarding. The Functions
//! host authenticates the caller with a function key (`authLevel: function`) before the
//! request reaches offboard.

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_core::event::TerminationEvent;
use offboard_core::intake::operator;
use offboard_core::signature::Verified;

use crate::problem::Problem;
use crate::reply::{json, with_location};
use crate::request::Request;
use crate::startup::AppState;
use offboard_api::CaseReceipt;

/// Creates (or finds, by request id) the operator's case.
pub async fn create(state: &AppState, req: &Request) -> Response {
    run(state, req).await.unwrap_or_else(Problem::into_response)
}

async fn run(state: &AppState, req: &Request) -> Result<Response, Problem> {
    let verified = Verified::by_function_key(&req.body, state.clock.now());
    let request = operator::parse(&req.body)?;
    if request.dry_run {
        // Reads the tenant only: no case, no queue message, no change anywhere.
        return match state
            .engine
            .dry_run(&request.facts.employee, request.facts.kind)
            .await
        {
            Ok(dry) => Ok(json(
                StatusCode::OK,
                &serde_json::json!({
                    "dryRun": true,
                    "changed": false,
                    "plan": dry.plan,
                    "exception": dry.exception,
                }),
            )),
            Err(offboard_service::steps::StepFailure::Throttled { retry_after, .. }) => {
                Err(Problem::unavailable(format!(
                    "Microsoft Graph is throttling; retry the dry run in {} s",
                    retry_after.as_secs()
                )))
            }
            Err(e @ offboard_service::steps::StepFailure::Transient { .. }) => Err(
                Problem::unavailable(format!("could not read the tenant for the dry run: {e}")),
            ),
            Err(e) => Err(Problem::bad_gateway(format!(
                "the tenant refused a read the dry run needs: {e}; check the app's Graph and Exchange permissions (README, Least privilege)"
            ))),
        };
    }
    let ev = TerminationEvent::new(request.facts, &verified, &state.effective).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Malformed request body",
            e.to_string(),
        )
    })?;
    let r = state.intake.open(ev).await?;
    let receipt = CaseReceipt {
        case_id: r.case_id.clone(),
        status: r.status,
        duplicate: !r.created,
    };
    Ok(with_location(
        json(StatusCode::ACCEPTED, &receipt),
        &r.case_id,
    ))
}
