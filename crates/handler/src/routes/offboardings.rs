//! `POST /api/offboardings`: an operator's immediate or scheduled offboarding, or its dry run.
//! The caller is a person signed in with Entra ID (or an application with its own token)
//! holding `Offboard.Operator`, checked by offboard (`access::require`) before this route runs;
//! the case's trigger record names them (`requestedBy`: object id, UPN, how they signed in).

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_core::actor::ActivityBy;
use offboard_core::actor::HumanActor;
use offboard_core::event::TerminationEvent;
use offboard_core::intake::operator;
use offboard_core::signature::Verified;

use crate::problem::Problem;
use crate::reply::{json, receipt, with_location};
use crate::request::Request;
use crate::startup::AppState;

/// Creates (or finds, by request id) the operator's case, or answers the dry run.
pub async fn create(state: &AppState, req: &Request, by: &HumanActor) -> Response {
    run(state, req, by)
        .await
        .unwrap_or_else(Problem::into_response)
}

async fn run(state: &AppState, req: &Request, by: &HumanActor) -> Result<Response, Problem> {
    let verified = Verified::by_entra_id(&req.body, state.clock.now(), by.clone());
    let request = operator::parse(&req.body)?;
    if request.dry_run {
        // Reads the tenant only: no case, no queue message, no change anywhere. It shows who
        // holds what, so it is written to the evidence (an `activity`) before it is answered.
        let dry = match state
            .engine
            .dry_run(&request.facts.employee, request.facts.kind)
            .await
        {
            Ok(dry) => dry,
            Err(offboard_service::steps::StepFailure::Throttled { retry_after, .. }) => {
                return Err(Problem::unavailable(format!(
                    "Microsoft Graph is throttling; retry the dry run in {} s",
                    retry_after.as_secs()
                )));
            }
            Err(e @ offboard_service::steps::StepFailure::Transient { .. }) => {
                return Err(Problem::unavailable(format!(
                    "could not read the tenant for the dry run: {e}"
                )));
            }
            Err(e) => {
                return Err(Problem::bad_gateway(format!(
                    "the tenant refused a read the dry run needs: {e}; check the app's Graph and Exchange permissions (README, Least privilege)"
                )));
            }
        };
        let seq = record_dry_run(
            state,
            by,
            &request.facts.employee,
            request.facts.kind,
            &dry,
            "api",
        )
        .await?;
        let mut resp = json(
            StatusCode::OK,
            &serde_json::json!({
                "dryRun": true,
                "changed": false,
                "plan": dry.plan,
                "exception": dry.exception,
            }),
        );
        crate::activity::name_entry(&mut resp, seq);
        return Ok(resp);
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
    let r = state.intake.open(ev).await?;
    if r.created && !r.attached {
        state
            .intake
            .record_raiser(&r.case_id, offboard_core::case::Actor::signed_in(by))
            .await?;
    }
    let receipt = receipt(&r);
    Ok(with_location(
        json(StatusCode::ACCEPTED, &receipt),
        &r.case_id,
    ))
}

/// Writes a dry run to the evidence: who previewed whose offboarding, of which kind, from
/// where (`api`, `dashboard`), and what the preview showed in outline; the ledger position.
pub async fn record_dry_run(
    state: &AppState,
    by: &HumanActor,
    employee: &offboard_core::ids::EmployeeIdentifiers,
    kind: offboard_core::event::TerminationKind,
    dry: &offboard_service::engine::DryRun,
    from: &str,
) -> Result<u64, Problem> {
    let steps: Vec<String> = dry
        .plan
        .as_ref()
        .map(|p| p.steps.iter().map(|s| s.kind.to_string()).collect())
        .unwrap_or_default();
    crate::activity::record(
        state,
        "dry-run",
        format!("dry run of a {kind} offboarding previewed ({from})"),
        ActivityBy::SignedIn(by),
        serde_json::json!({
            "from": from,
            "employee": employee,
            "kind": kind,
            "steps": steps,
            "exception": dry.exception,
        }),
    )
    .await
}

#[cfg(test)]
mod tests {
    /// The functions offboard guards itself (a role from an Entra ID sign-in) are anonymous at
    /// the host, or a browser's session could never reach them; the one keyed function is the
    /// read-only twin that `OFFBOARD_COMPLIANCE_FUNCTION_KEYS` switches.
    #[test]
    fn guarded_functions_are_anonymous_at_the_host_and_only_the_keyed_twin_needs_a_key() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../handlers");
        let level = |function: &str| {
            let def: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(root.join(function).join("function.json")).unwrap(),
            )
            .unwrap();
            def["bindings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["type"] == "httpTrigger")
                .unwrap()["authLevel"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        for f in [
            "offboardings",
            "cases",
            "case-evidence",
            "case-steps",
            "reports",
            "ledger",
            "remediations",
            "scans",
            "findings",
            "case-approve",
            "case-reject",
            "case-restore",
            "case-restore-roles",
        ] {
            assert_eq!(level(f), "anonymous", "{f}");
        }
        assert_eq!(level("compliance-keys"), "function");
    }
}
