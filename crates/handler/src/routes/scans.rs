//! `POST /api/scans`: runs the ghost-access scan now (`?dryRun=true` reads and judges but
//! stores, opens, notifies and seals nothing). An on-demand scan re-checks every completed
//! case at once, however recently sealed. Who asked is written to the evidence (an `activity`
//! naming the scan), beside the scan's own record.

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_api::ScanAnswer;
use offboard_core::actor::ActivityBy;
use offboard_core::actor::HumanActor;
use offboard_service::reconcile::{ScanOutcome, Trigger};

use crate::problem::Problem;
use crate::reply::json;
use crate::request::Request;
use crate::startup::AppState;

/// The answer of a scan.
pub fn answer(o: ScanOutcome) -> ScanAnswer {
    ScanAnswer {
        scan: o.record,
        findings: o.findings,
        resolved: o.resolved,
        ledger_seq: o.ledger_seq,
    }
}

/// Runs a scan on demand for `by`.
pub async fn run(state: &AppState, req: &Request, by: &HumanActor) -> Response {
    let dry_run = match req.query_param("dryRun").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Problem::bad_query(format!("`dryRun` must be true or false (got `{other}`)"))
                .into_response();
        }
    };
    let outcome = match state
        .reconciler
        .scan(Trigger::OnDemand("api"), dry_run)
        .await
    {
        Ok(o) => o,
        Err(e) if e.is_transient() => return Problem::unavailable(e.to_string()).into_response(),
        Err(e) => return Problem::bad_gateway(e.to_string()).into_response(),
    };
    let recorded = crate::activity::record(
        state,
        "scan-requested",
        format!(
            "ghost-access scan {} asked for{}",
            outcome.record.scan_id,
            if dry_run { " (dry run)" } else { "" }
        ),
        ActivityBy::SignedIn(by),
        serde_json::json!({
            "scanId": outcome.record.scan_id,
            "dryRun": dry_run,
            "scanLedgerSeq": outcome.ledger_seq,
        }),
    )
    .await;
    match recorded {
        Ok(seq) => {
            let mut resp = json(StatusCode::OK, &answer(outcome));
            crate::activity::name_entry(&mut resp, seq);
            resp
        }
        Err(p) => p.into_response(),
    }
}
