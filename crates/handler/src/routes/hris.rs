//! `POST /api/hris/{provider}`: signed HR webhooks.

use secrecy::ExposeSecret;
use warp::http::StatusCode;
use warp::reply::Response;

use offboard_core::CaseId;
use offboard_core::event::{Source, TerminationEvent};
use offboard_core::intake::bamboohr::{self, BambooEntry};
use offboard_core::intake::generic::{self, GenericEvent};
use offboard_core::signature::{self, Verified, WebhookSecret};
use offboard_service::RescindOutcome;
use offboard_service::settings::{OFFBOARD_BAMBOOHR_SECRET, OFFBOARD_GENERIC_WEBHOOK_SECRET};

use offboard_api::CaseReceipt;

use crate::problem::Problem;
use crate::reply::{json, receipt, with_location};
use crate::request::Request;
use crate::startup::AppState;

/// The providers offboard accepts, for the 404 message.
const PROVIDERS: &str = "bamboohr, generic";

/// Routes to the provider's handler.
pub async fn handle(state: &AppState, provider: &str, req: &Request) -> Response {
    let result = match provider {
        "bamboohr" => bamboohr_webhook(state, req).await,
        "generic" => generic_webhook(state, req).await,
        other => Err(Problem::not_found(format!(
            "`{other}` is not an HR provider offboard accepts; use one of: {PROVIDERS}"
        ))),
    };
    result.unwrap_or_else(Problem::into_response)
}

fn unauthorized(source: Source, e: signature::SignatureError) -> Problem {
    tracing::warn!(%source, reason = %e, "refused an unauthenticated intake request");
    match e {
        signature::SignatureError::BadSecret(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-configured",
            "Provider misconfigured",
            e.to_string(),
        ),
        _ => Problem::unauthorized(e.to_string()),
    }
}

async fn bamboohr_webhook(state: &AppState, req: &Request) -> Result<Response, Problem> {
    let secret = state
        .secrets
        .bamboohr
        .as_ref()
        .ok_or_else(|| Problem::not_configured(OFFBOARD_BAMBOOHR_SECRET))?;
    let verified = signature::verify_bamboohr(
        secret.expose_secret().as_bytes(),
        &req.body,
        req.header("x-bamboohr-signature"),
        req.header("x-bamboohr-timestamp"),
        state.clock.now(),
    )
    .map_err(|e| unauthorized(Source::Bamboohr, e))?;
    let entries = bamboohr::parse(&req.body)?;
    // Build every event before writing anything: a payload with one bad entry stores nothing.
    let mut events = Vec::new();
    let mut reinstated = Vec::new();
    let mut ignored = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        match entry {
            BambooEntry::Terminated(facts) => events.push(event(facts, &verified, state, i)?),
            BambooEntry::Reinstated { subject_id } => reinstated.push(subject_id),
            BambooEntry::Ignored { subject_id, reason } => {
                ignored.push(serde_json::json!({"employeeId": subject_id, "reason": reason}))
            }
        }
    }
    let mut receipts = Vec::new();
    for ev in events {
        let r = state.intake.open(ev).await?;
        receipts.push(receipt(&r));
    }
    let mut cancelled = Vec::new();
    for subject in &reinstated {
        for outcome in state
            .intake
            .rescind_subject(
                Source::Bamboohr,
                subject,
                "employee reinstated in BambooHR (employment status no longer Terminated)",
            )
            .await?
        {
            cancelled.push(match outcome {
                Ok(RescindOutcome::Cancelled(r)) => rescinded(&r, "cancelled"),
                Ok(RescindOutcome::Restoring(r)) => rescinded(&r, "restoring"),
                // Recorded on the case, operators notified: not restored.
                Ok(RescindOutcome::Recorded(r, _)) => rescinded(&r, "recorded"),
                Ok(RescindOutcome::NoSuchCase(_)) => continue,
                Err(e) => serde_json::json!({"employeeId": subject, "error": e.to_string()}),
            });
        }
    }
    if receipts.len() == 1 && reinstated.is_empty() && ignored.is_empty() {
        let r = &receipts[0];
        return Ok(with_location(json(StatusCode::ACCEPTED, r), &r.case_id));
    }
    let status = if receipts.is_empty() && cancelled.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok(json(
        status,
        &serde_json::json!({"cases": receipts, "cancelled": cancelled, "ignored": ignored}),
    ))
}

/// One case a BambooHR reinstatement rescinded, and what became of it: `cancelled` (not yet
/// effective), `restoring` (effective, restored within the policy's days) or `recorded`
/// (effective, not restored: recorded on the case and the operators notified).
fn rescinded(r: &offboard_service::Receipt, outcome: &str) -> serde_json::Value {
    serde_json::json!({"caseId": r.case_id, "status": r.status, "outcome": outcome})
}

fn event(
    facts: offboard_core::event::TerminationFacts,
    verified: &Verified,
    state: &AppState,
    index: usize,
) -> Result<TerminationEvent, Problem> {
    TerminationEvent::new(facts, verified, &state.effective).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Malformed request body",
            e.to_string(),
        )
        .at(format!("/employees/{index}/fields"))
    })
}

async fn generic_webhook(state: &AppState, req: &Request) -> Result<Response, Problem> {
    let secret = state
        .secrets
        .generic
        .as_ref()
        .ok_or_else(|| Problem::not_configured(OFFBOARD_GENERIC_WEBHOOK_SECRET))?;
    let secret = WebhookSecret::parse(secret.expose_secret())
        .map_err(|e| unauthorized(Source::Generic, e))?;
    let verified = signature::verify_standard_webhooks(
        &secret,
        &req.body,
        req.header("webhook-id"),
        req.header("webhook-timestamp"),
        req.header("webhook-signature"),
        state.clock.now(),
    )
    .map_err(|e| unauthorized(Source::Generic, e))?;
    match generic::parse(&req.body)? {
        GenericEvent::Terminated(facts) => {
            let ev = TerminationEvent::new(facts, &verified, &state.effective).map_err(|e| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    "Malformed request body",
                    e.to_string(),
                )
                .at("/data")
            })?;
            let r = state.intake.open(ev).await?;
            let receipt = receipt(&r);
            Ok(with_location(
                json(StatusCode::ACCEPTED, &receipt),
                &r.case_id,
            ))
        }
        GenericEvent::Rescinded {
            event_id,
            rescinds_event_id,
        } => {
            let id = CaseId::derive(Source::Generic.as_str(), &rescinds_event_id);
            let note = format!(
                "termination rescinded by generic event {event_id} (rescinds {rescinds_event_id})"
            );
            match state.intake.rescind(&id, &note).await? {
                RescindOutcome::Cancelled(r) | RescindOutcome::Restoring(r) => {
                    let receipt = CaseReceipt {
                        case_id: r.case_id.clone(),
                        status: r.status,
                        duplicate: false,
                        attached_to: None,
                        sign_in_cut: None,
                    };
                    Ok(with_location(json(StatusCode::ACCEPTED, &receipt), &r.case_id))
                }
                RescindOutcome::Recorded(r, why) => Err(Problem::new(
                    StatusCode::CONFLICT,
                    "rescind-not-restored",
                    "Rescinded after the termination took effect: not restored",
                    format!(
                        "the termination took effect and the case is {}; it cannot be rescinded and was not restored: {why}. The rescind is recorded in the case's evidence and the operators are notified to decide on a restore",
                        r.status
                    ),
                )
                .about_case(r.case_id.as_str())),
                RescindOutcome::NoSuchCase(id) => Err(Problem::new(
                    StatusCode::NOT_FOUND,
                    "no-such-case",
                    "Nothing to rescind",
                    format!(
                        "no termination with eventId `{rescinds_event_id}` has been received (case {id}); send the rescind after the termination"
                    ),
                )
                .at("/data/rescindsEventId")),
            }
        }
    }
}
