//! A person's action that belongs to no case — a report exported or viewed, a dry run, a scan
//! asked for — is written to the evidence (a sealed chain of one record and a ledger entry)
//! before its answer goes out. An action that cannot be recorded is not served: the chain
//! must say who did what, and an export nobody can account for is what it exists to prevent.

use offboard_core::actor::ActivityBy;
use warp::http::HeaderValue;
use warp::reply::Response;

use crate::problem::Problem;
use crate::startup::AppState;

/// The response header naming the ledger entry that records the action.
pub const LEDGER_HEADER: &str = "offboard-activity-ledger-seq";

/// Records `activity` (described by `action`) done by `by` with `parameters`; the ledger
/// position of its entry, or a 503 that says the action was not served.
pub async fn record(
    state: &AppState,
    activity: &str,
    action: String,
    by: ActivityBy<'_>,
    parameters: serde_json::Value,
) -> Result<u64, Problem> {
    match state
        .compliance
        .evidence_service()
        .record_activity(activity, action, by, parameters)
        .await
    {
        Ok(entry) => Ok(entry.seq),
        Err(e) => {
            tracing::error!(activity, by = %by.describe(), error = %e, "an activity could not be recorded; not served");
            Err(Problem::unavailable(format!(
                "this {activity} was not served because it could not be recorded in the evidence ({e}); retry"
            )))
        }
    }
}

/// Names the ledger entry `seq` that records the action on its answer.
pub fn name_entry(resp: &mut Response, seq: u64) {
    resp.headers_mut()
        .insert(LEDGER_HEADER, HeaderValue::from(seq));
}
