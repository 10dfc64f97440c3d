//! Queue- and timer-triggered functions, called by the host with the invocation payload.

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_core::case::CaseStatus;
use offboard_core::messages::{self, PlanMessage};
use offboard_core::ports::StoreError;
use offboard_service::scheduler;

use super::{Request, json};
use crate::problem::Problem;
use crate::protocol::{InvocationRequest, InvocationResponse};
use crate::startup::AppState;

/// Function names (folders under `handlers/`) answered here.
const FUNCTIONS: &[&str] = &["plan", "scheduler"];

/// The queue trigger binding name used by every queue function.
pub const QUEUE_BINDING: &str = "message";

/// Whether `name` is a non-HTTP function this handler serves.
pub fn is_function(name: &str) -> bool {
    FUNCTIONS.contains(&name)
}

/// Answers one invocation: 200 with the invocation response, or 500 so the host retries.
pub async fn invoke(state: &AppState, function: &str, req: &Request) -> Response {
    let invocation: InvocationRequest = match serde_json::from_slice(&req.body) {
        Ok(i) => i,
        Err(e) => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed",
                "Not an invocation payload",
                format!("expected the Functions host's invocation JSON: {e}"),
            )
            .into_response();
        }
    };
    let result = match function {
        "plan" => plan(state, &invocation).await,
        "scheduler" => tick(state).await,
        _ => Err(Failure::Permanent(format!("no function {function}"))),
    };
    match result {
        Ok(resp) => json(StatusCode::OK, &resp),
        Err(Failure::Retry(why)) => {
            tracing::warn!(function, reason = %why, "invocation failed; the host will retry");
            // Non-2xx fails the invocation: the message becomes visible again and its
            // dequeue count grows; after maxDequeueCount the host moves it to -poison.
            json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &InvocationResponse::logged([format!("failed, will retry: {why}")]),
            )
        }
        Err(Failure::Permanent(why)) => {
            tracing::error!(function, reason = %why, "invocation failed permanently");
            json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &InvocationResponse::logged([format!("failed: {why}")]),
            )
        }
    }
}

enum Failure {
    Retry(String),
    Permanent(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        if e.is_transient() {
            Self::Retry(e.to_string())
        } else {
            Self::Permanent(e.to_string())
        }
    }
}

/// The `plan` queue function. Planning is not built yet: the case moves to `running` and
/// records that it awaits planning. Idempotent: a repeated message changes nothing.
#[tracing::instrument(skip_all, fields(case_id))]
async fn plan(state: &AppState, inv: &InvocationRequest) -> Result<InvocationResponse, Failure> {
    let text = inv
        .queue_text(QUEUE_BINDING)
        .ok_or_else(|| Failure::Permanent(format!("no `{QUEUE_BINDING}` in Data")))?;
    let msg: PlanMessage =
        messages::decode("plan message", &text).map_err(|e| Failure::Permanent(e.to_string()))?;
    tracing::Span::current().record("case_id", msg.case_id.as_str());
    for _ in 0..5 {
        let Some(mut v) = state.backends.cases.get(&msg.case_id).await? else {
            return Ok(InvocationResponse::logged([format!(
                "case {} does not exist; message dropped",
                msg.case_id
            )]));
        };
        let now = state.clock.now();
        match v.value.status {
            CaseStatus::Received => {}
            CaseStatus::Scheduled if v.value.is_due(now) => {
                v.value
                    .transition(CaseStatus::Received, "effective time reached", now)
                    .map_err(|e| Failure::Permanent(e.to_string()))?;
            }
            other => {
                return Ok(InvocationResponse::logged([format!(
                    "case {} is {other}; nothing to plan",
                    msg.case_id
                )]));
            }
        }
        v.value
            .transition(
                CaseStatus::Running,
                "awaiting planning: the planner is not part of this version; no access has been changed yet",
                now,
            )
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        match state.backends.cases.replace(&v.value, &v.etag).await {
            Ok(_) => {
                tracing::info!(
                    dequeue_count = inv.dequeue_count(),
                    "case awaiting planning"
                );
                return Ok(InvocationResponse::logged([format!(
                    "case {} recorded as awaiting planning",
                    msg.case_id
                )]));
            }
            Err(StoreError::PreconditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Retry(format!(
        "case {} kept changing; retrying",
        msg.case_id
    )))
}

/// The `scheduler` timer function.
async fn tick(state: &AppState) -> Result<InvocationResponse, Failure> {
    let report = scheduler::tick(&state.intake).await.map_err(|e| {
        if e.is_transient() {
            Failure::Retry(e.to_string())
        } else {
            Failure::Permanent(e.to_string())
        }
    })?;
    tracing::info!(
        released = report.released,
        resent = report.resent,
        failed = report.failed,
        "scheduler tick"
    );
    Ok(InvocationResponse::logged([format!(
        "released {} due case(s), re-sent {} waiting case(s), {} failed",
        report.released, report.resent, report.failed
    )]))
}
