//! Queue- and timer-triggered functions, called by the host with the invocation payload.
//! Each answers 200 with the invocation response, or 500 so the host retries the message
//! (and, after `maxDequeueCount`, moves it to `<queue>-poison`, which the `poison` sweep
//! handles).

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_core::messages::{self, PlanMessage, StepMessage};
use offboard_core::notify::Notification;
use offboard_core::plan::StepKind;
use offboard_service::engine::{EngineError, Handled};
use offboard_service::rights_index::{RefreshMessage, RightsIndexError};
use offboard_service::scheduler;

use crate::problem::Problem;
use crate::protocol::{InvocationRequest, InvocationResponse};
use crate::reply::json;
use crate::request::Request;
use crate::startup::AppState;

/// The queue trigger binding name used by every queue function.
pub const QUEUE_BINDING: &str = "message";

/// Whether `name` is a non-HTTP function this handler serves.
pub fn is_function(name: &str) -> bool {
    matches!(
        name,
        "plan"
            | "scheduler"
            | "notify"
            | "sla"
            | "poison"
            | "reconcile"
            | "rights-index"
            | "rights-index-timer"
    ) || name == offboard_core::plan::CONNECTOR_QUEUE
        || name == offboard_core::plan::RESTORE_QUEUE
        || name
            .strip_prefix("step-")
            .is_some_and(|k| StepKind::parse(k).is_some())
}

enum Failure {
    Retry(String),
    Permanent(String),
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        if e.is_transient() {
            Self::Retry(e.to_string())
        } else {
            Self::Permanent(e.to_string())
        }
    }
}

/// Answers one invocation.
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
        "notify" => notify(state, &invocation).await,
        "sla" => sla(state).await,
        "poison" => poison(state).await,
        "reconcile" => reconcile(state).await,
        "rights-index" => rights_refresh(state, &invocation).await,
        "rights-index-timer" => rights_timer(state).await,
        step => run_step(state, step, &invocation).await,
    };
    match result {
        Ok(line) => json(StatusCode::OK, &InvocationResponse::logged([line])),
        Err(Failure::Retry(why)) => {
            tracing::warn!(function, reason = %why, "invocation failed; the host will retry");
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

fn message_text(inv: &InvocationRequest) -> Result<String, Failure> {
    inv.queue_text(QUEUE_BINDING)
        .ok_or_else(|| Failure::Permanent(format!("no `{QUEUE_BINDING}` in Data")))
}

fn handled(h: Handled) -> String {
    h.describe().to_owned()
}

#[tracing::instrument(skip_all, fields(case_id, leaver))]
async fn plan(state: &AppState, inv: &InvocationRequest) -> Result<String, Failure> {
    let msg: PlanMessage = messages::decode("plan message", &message_text(inv)?)
        .map_err(|e| Failure::Permanent(e.to_string()))?;
    tracing::Span::current().record("case_id", msg.case_id.as_str());
    let h = state.engine.plan(&msg.case_id).await?;
    tracing::info!(
        dequeue_count = inv.dequeue_count(),
        outcome = h.describe(),
        "plan"
    );
    Ok(handled(h))
}

#[tracing::instrument(skip_all, fields(case_id, leaver, step, attempt))]
async fn run_step(
    state: &AppState,
    function: &str,
    inv: &InvocationRequest,
) -> Result<String, Failure> {
    let msg: StepMessage = messages::decode("step message", &message_text(inv)?)
        .map_err(|e| Failure::Permanent(e.to_string()))?;
    tracing::Span::current().record("case_id", msg.case_id.as_str());
    tracing::Span::current().record("step", msg.step.as_str());
    tracing::Span::current().record("attempt", msg.attempt);
    if function != msg.step.queue() {
        return Err(Failure::Permanent(format!(
            "a {} message arrived on {function}",
            msg.step
        )));
    }
    let h = state.engine.run_step(&msg).await?;
    tracing::info!(
        dequeue_count = inv.dequeue_count(),
        outcome = h.describe(),
        "step"
    );
    Ok(handled(h))
}

async fn notify(state: &AppState, inv: &InvocationRequest) -> Result<String, Failure> {
    let n: Notification = messages::decode("notification", &message_text(inv)?)
        .map_err(|e| Failure::Permanent(e.to_string()))?;
    state.sinks.deliver(&n).await.map_err(|e| {
        if e.is_transient() {
            Failure::Retry(e.to_string())
        } else {
            Failure::Permanent(e.to_string())
        }
    })?;
    Ok(format!(
        "notification {:?} for case {} delivered",
        n.kind, n.case_id
    ))
}

/// The `sla` timer function: the SLA watch, and held cases whose hold expired (rejected).
async fn sla(state: &AppState) -> Result<String, Failure> {
    let r = state.engine.sla_tick().await?;
    let expired = state.engine.expire_holds().await?;
    Ok(format!(
        "SLA: {} open case(s) checked, {} breach(es) flagged; {expired} expired hold(s) rejected",
        r.checked, r.breached
    ))
}

/// The `reconcile` timer: the daily ghost-access scan.
async fn reconcile(state: &AppState) -> Result<String, Failure> {
    let o = state
        .reconciler
        .scan(offboard_service::reconcile::Trigger::Timer, false)
        .await
        .map_err(|e| {
            if e.is_transient() {
                Failure::Retry(e.to_string())
            } else {
                Failure::Permanent(e.to_string())
            }
        })?;
    Ok(format!(
        "scan {}: {} finding(s) seen, {} raised, {} resolved",
        o.record.scan_id,
        o.findings.len(),
        o.record.raised.values().sum::<u64>(),
        o.resolved.len()
    ))
}

fn rights_failure(e: RightsIndexError) -> Failure {
    if e.is_transient() {
        Failure::Retry(e.to_string())
    } else {
        Failure::Permanent(e.to_string())
    }
}

/// The `rights-index` queue function: refreshes the rights index.
async fn rights_refresh(state: &AppState, inv: &InvocationRequest) -> Result<String, Failure> {
    let msg: RefreshMessage = messages::decode("rights index refresh", &message_text(inv)?)
        .map_err(|e| Failure::Permanent(e.to_string()))?;
    let r = state
        .rights
        .refresh(state.clock.now())
        .await
        .map_err(rights_failure)?;
    tracing::info!(
        by = %msg.by,
        mailboxes = r.mailboxes,
        trustees = r.trustees,
        calls = r.calls,
        "rights index refreshed"
    );
    Ok(format!(
        "rights index: {} mailbox(es) read, {} trustee(s) written, {} Exchange call(s)",
        r.mailboxes, r.trustees, r.calls
    ))
}

/// The `rights-index-timer` function: asks for the nightly refresh.
async fn rights_timer(state: &AppState) -> Result<String, Failure> {
    let sent = state
        .rights
        .request_refresh("timer", state.clock.now())
        .await
        .map_err(rights_failure)?;
    Ok(if sent {
        "rights index refresh requested".to_owned()
    } else {
        "a rights index refresh was requested within the hour".to_owned()
    })
}

async fn poison(state: &AppState) -> Result<String, Failure> {
    let n = state.engine.sweep_poison().await?;
    Ok(format!("{n} poisoned message(s) handled"))
}

/// The `scheduler` timer function: releases due cases and re-sends lost messages.
async fn tick(state: &AppState) -> Result<String, Failure> {
    let report = scheduler::tick(&state.intake).await.map_err(|e| {
        if e.is_transient() {
            Failure::Retry(e.to_string())
        } else {
            Failure::Permanent(e.to_string())
        }
    })?;
    let resent = state.engine.resume_stuck().await?;
    // Follow-ups of ended cases (delete-account) that fell due: reopened on the same case.
    // Boxed: its future would otherwise grow every invocation's on the worker's stack.
    let follow_ups = Box::pin(state.engine.release_follow_ups()).await?;
    tracing::info!(
        released = report.released,
        follow_ups,
        resent = report.resent,
        failed = report.failed,
        steps_resent = resent,
        "scheduler tick"
    );
    Ok(format!(
        "released {} due case(s) and {follow_ups} due follow-up(s), re-sent {} waiting case(s) and {resent} stuck step(s), {} failed",
        report.released, report.resent, report.failed
    ))
}
