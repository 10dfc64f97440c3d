//! `POST /api/offboardings`: an operator's immediate or scheduled offboarding. The Functions
//! host authorises the caller with a function key (`authLevel: function`) before the request
//! reaches offboard. offboard holds no function key and checks none, so the case records the
//! host's assertion — the level the function requires and where the caller's key was — never
//! a key check of its own.

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_core::event::TerminationEvent;
use offboard_core::intake::operator;
use offboard_core::signature::{HostAssertion, KeyLocation, Verified};

use crate::problem::Problem;
use crate::reply::{json, receipt, with_location};
use crate::request::Request;
use crate::startup::AppState;

/// The `authLevel` of `handlers/offboardings/function.json` (a test keeps them equal).
const AUTH_LEVEL: &str = "function";

/// What the host asserted by forwarding `req`: the function's level, and where the caller's
/// key was (the host forwards the request's headers and query verbatim; the key's value is
/// never read, logged or kept).
fn assertion(req: &Request) -> HostAssertion {
    let key_presented_in = if req.headers.contains_key("x-functions-key") {
        KeyLocation::Header
    } else if url::form_urlencoded::parse(req.query.as_bytes()).any(|(k, _)| k == "code") {
        KeyLocation::QueryParameter
    } else {
        KeyLocation::NotForwarded
    };
    HostAssertion {
        auth_level: AUTH_LEVEL.to_owned(),
        function: "offboardings".to_owned(),
        key_presented_in,
    }
}

/// Creates (or finds, by request id) the operator's case.
pub async fn create(state: &AppState, req: &Request) -> Response {
    run(state, req).await.unwrap_or_else(Problem::into_response)
}

async fn run(state: &AppState, req: &Request) -> Result<Response, Problem> {
    let verified = Verified::by_functions_host(&req.body, state.clock.now(), assertion(req));
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
    // Who raised it, when they signed in (four eyes: they cannot approve its hold).
    let raiser = crate::signin::operator_actor(state, req).await?;
    let r = state.intake.open(ev).await?;
    if r.created && !r.attached && raiser.object_id.is_some() {
        state.intake.record_raiser(&r.case_id, raiser).await?;
    }
    let receipt = receipt(&r);
    Ok(with_location(
        json(StatusCode::ACCEPTED, &receipt),
        &r.case_id,
    ))
}

#[cfg(test)]
mod tests {
    use super::AUTH_LEVEL;

    #[test]
    fn the_recorded_auth_level_is_the_functions_own() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../handlers/offboardings/function.json");
        let def: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let trigger = def["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "httpTrigger")
            .unwrap();
        assert_eq!(trigger["authLevel"], AUTH_LEVEL);
    }
}
