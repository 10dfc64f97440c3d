//! `POST /api/scans`: runs the ghost-access scan now (`?dryRun=true` reads and judges but
//! stores, opens, notifies and seals nothing). An on-demand scan re-checks every completed
//! case at once, however recently sealed.

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_api::ScanAnswer;
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

/// Runs a scan on demand.
pub async fn run(state: &AppState, req: &Request) -> Response {
    let dry_run = match req.query_param("dryRun").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Problem::bad_query(format!("`dryRun` must be true or false (got `{other}`)"))
                .into_response();
        }
    };
    match state
        .reconciler
        .scan(Trigger::OnDemand("api"), dry_run)
        .await
    {
        Ok(o) => json(StatusCode::OK, &answer(o)),
        Err(e) if e.is_transient() => Problem::unavailable(e.to_string()).into_response(),
        Err(e) => Problem::bad_gateway(e.to_string()).into_response(),
    }
}
