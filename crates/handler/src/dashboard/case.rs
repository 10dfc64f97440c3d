//! One case: HR's clock and each system's removal time as a timeline, every action with what
//! was expected and what was observed, the exceptions, the evidence records with their hashes,
//! the seal and its ledger entry, and — for operators — a retry button on each failed step.

use maud::{Markup, html};
use offboard_core::evidence::EvidenceRecord;
use offboard_core::ids::CaseId;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_service::engine::EngineError;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use super::BASE;
use super::layout::{at, at_or_dash, badge, page as chrome, problem_page, secure};
use crate::problem::Problem;
use crate::request::Request;
use crate::signin::Caller;
use crate::startup::AppState;

fn case_id(id: &str) -> Result<CaseId, Problem> {
    CaseId::parse(id).map_err(|_| Problem::not_found(format!("`{id}` is not a case id")))
}

/// A JSON value as short text for a table cell (escaped where it is written).
fn short(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The case page.
pub async fn page(
    state: &AppState,
    _req: &Request,
    caller: &Caller,
    id: &str,
) -> Result<Markup, Problem> {
    let id = case_id(id)?;
    let t = state.compliance.timeline(&id).await?;
    let ev = state.compliance.evidence(&id).await?;
    let c = &t.case;
    let tl = &t.timeline;
    let records: &[EvidenceRecord] = ev
        .packet
        .as_ref()
        .map(|p| p.records.as_slice())
        .unwrap_or(&[]);
    let name = records
        .iter()
        .rev()
        .filter_map(|r| r.body.details.as_ref())
        .find_map(|d| {
            d.get("leaver")
                .and_then(|l| l.get("displayName"))
                .and_then(|n| n.as_str())
                .map(str::to_owned)
        })
        .or_else(|| c.employee.user_principal_name.clone())
        .or_else(|| c.employee.employee_id.clone())
        .unwrap_or_else(|| c.case_id.to_string());
    let operator = super::is_operator(caller);
    let failed: Vec<_> = c
        .plan
        .as_ref()
        .map(|p| {
            p.steps
                .iter()
                .filter(|s| matches!(s.status, StepStatus::Failed | StepStatus::Waiting))
                .collect()
        })
        .unwrap_or_default();
    let body = html! {
        p class="crumbs" { a href={ (BASE) "/cases" } { "Cases" } " / " (c.case_id) }
        dl class="facts" {
            div { dt { "Leaver" } dd { (name) } }
            div { dt { "Employee id" } dd { (c.employee.employee_id.as_deref().unwrap_or("—")) } }
            div { dt { "UPN" } dd { (c.employee.user_principal_name.as_deref().unwrap_or("—")) } }
            div { dt { "Kind" } dd { (c.kind.as_str().replace('_', " ")) } }
            div { dt { "Source" } dd { (c.source.as_str()) " · event " code { (c.source_event_id) } } }
            div { dt { "Status" } dd { (badge(c.status.as_str())) } }
            div { dt { "SLA" } dd { (badge(&tl.sla.state))
                @if let Some(m) = tl.sla.target_minutes { " (target " (m) " min)" } } }
            @if let Some(r) = &c.reason { div { dt { "Reason" } dd { (r) } } }
            @if let Some(by) = &c.requested_by {
                div { dt { "Requested by" } dd { (by.describe()) } }
            }
        }
        section aria-labelledby="h-clock" {
            h2 id="h-clock" { "Timeline" }
            ol class="timeline" {
                li { span class="when" { (at(tl.clock.received_at)) } " HR's termination received" }
                li { span class="when" { (at(tl.clock.effective_at)) } " effective (HR's clock"
                    @if let Some(s) = &tl.clock.as_sent { ": " code { (s) } }
                    @if let Some(z) = &tl.clock.time_zone { " " (z) }
                    ")" }
                @for (system, when) in &tl.access_removed_at {
                    li { span class="when" { (when) } " access removed in " strong { (system) } }
                }
                @if let Some(a) = tl.sla.access_removed_at {
                    li { span class="when" { (at(a)) } " sign-in cut (SLA measurement)" }
                }
                @if let Some(s) = tl.evidence.sealed_at {
                    li { span class="when" { (at(s)) } " sealed" }
                }
            }
        }
        @if !tl.exceptions.is_empty() {
            section aria-labelledby="h-exc" {
                h2 id="h-exc" { "Exceptions" }
                ul class="exceptions" { @for e in &tl.exceptions { li { (e) } } }
                p { "Fix the cause named above (a permission, a group Graph cannot change), then retry the step." }
            }
        }
        @if let Some(plan) = &c.plan {
            section aria-labelledby="h-steps" {
                h2 id="h-steps" { "Steps" }
                table {
                    thead { tr {
                        th scope="col" { "Step" } th scope="col" { "Status" } th scope="col" class="num" { "Attempts" }
                        th scope="col" { "Finished" } th scope="col" { "Why" }
                        @if operator && !failed.is_empty() { th scope="col" { "Action" } }
                    } }
                    tbody {
                        @for s in &plan.steps {
                            tr {
                                td { (s.kind) }
                                td { (badge(s.status.as_str())) }
                                td class="num" { (s.attempts) }
                                td { (at_or_dash(s.finished_at)) }
                                td { (s.reason.as_deref().unwrap_or("")) }
                                @if operator && !failed.is_empty() {
                                    td {
                                        @if matches!(s.status, StepStatus::Failed | StepStatus::Waiting) {
                                            @if let Some(csrf) = &caller.session_csrf {
                                                form method="post" action={ (BASE) "/cases/" (c.case_id) "/steps/" (s.kind) "/retry" } class="inline" {
                                                    input type="hidden" name="csrf" value=(csrf);
                                                    button type="submit" class="retry" { "Retry " (s.kind) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-actions" {
            h2 id="h-actions" { "Actions: expected → observed" }
            table class="actions" {
                thead { tr {
                    th scope="col" class="num" { "#" } th scope="col" { "Step" } th scope="col" { "System" }
                    th scope="col" { "Action" } th scope="col" { "Expected" } th scope="col" { "Observed" }
                    th scope="col" { "Outcome" } th scope="col" { "Actor" } th scope="col" { "Ended" }
                } }
                tbody {
                    @for r in records {
                        tr {
                            td class="num" { (r.seq) }
                            td { (r.body.step) }
                            td { (r.body.target_system) }
                            td { (r.body.action)
                                @if let Some(why) = &r.body.reason { br; small { (why) } } }
                            td { @if let Some(rb) = &r.body.read_back { code { (short(&rb.expected)) } } }
                            td { @if let Some(rb) = &r.body.read_back { code { (short(&rb.observed)) } } }
                            td { (badge(r.body.outcome.as_str())) }
                            td { (r.body.actor) }
                            td { (at(r.body.ended_at)) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-evidence" {
            h2 id="h-evidence" { "Evidence" }
            p {
                "Verification by offboard: " (badge(if ev.verification.ok { "ok" } else { "failed" }))
                " (" (ev.verification.records_checked) " records, " (ev.verification.seals_checked) " seals checked). "
                a href={ "/api/cases/" (c.case_id) "/evidence" } download={ (c.case_id) "-evidence.json" } { "Download the packet" }
            }
            @for f in &ev.verification.findings { p class="problem" { (f.description) } }
            @if let Some(w) = &tl.evidence.warning { p class="warning" { (w) } }
            table class="hashes" {
                thead { tr { th scope="col" class="num" { "#" } th scope="col" { "Step" } th scope="col" { "Record hash" } th scope="col" { "Previous" } } }
                tbody {
                    @for r in records {
                        tr { td class="num" { (r.seq) } td { (r.body.step) } td { code class="hash" { (r.hash) } } td { code class="hash" { (r.prev_hash) } } }
                    }
                }
            }
            section id="verify" aria-labelledby="h-verify" data-evidence={ "/api/cases/" (c.case_id) "/evidence" } {
                h3 id="h-verify" { "Verify in this browser" }
                p { "Your browser recomputes every record hash, every link, the seal and the ledger entry from the packet itself (SHA-256 over RFC 8785 canonical JSON), independently of offboard's own check." }
                button type="button" id="verify-server" { "Verify this case's packet" }
                " "
                label for="verify-file" { "or check a downloaded packet file (or drop it here):" }
                " "
                input type="file" id="verify-file" accept=".json,application/json";
                div id="verify-result" role="status" aria-live="polite" {}
            }
            @if let Some(p) = &ev.packet {
                @if let Some(seal) = &p.seal {
                    h3 { "Seal" }
                    dl class="facts" {
                        div { dt { "Generation" } dd { (seal.generation) } }
                        div { dt { "Sealed" } dd { (at(seal.sealed_at)) } }
                        div { dt { "Chain head" } dd { code class="hash" { (seal.chain_head) } } }
                        div { dt { "Seal hash" } dd { code class="hash" { (seal.hash) } } }
                    }
                }
                @if let Some(l) = &p.ledger_entry {
                    h3 { "Ledger entry" }
                    dl class="facts" {
                        div { dt { "Position" } dd { (l.seq) } }
                        div { dt { "Entry hash" } dd { code class="hash" { (l.hash) } } }
                        div { dt { "Previous entry" } dd { code class="hash" { (l.prev_hash) } } }
                    }
                }
            }
        }
    };
    Ok(chrome(caller, &format!("Case: {name}"), "Cases", body))
}

/// The retry form's post: the operator (checked, with the form's anti-forgery token, before
/// this runs) retries the step; the browser goes back to the case page.
pub async fn retry(state: &AppState, caller: &Caller, id: &str, step: &str) -> Response {
    let run = async {
        let id = case_id(id)?;
        let kind = StepKind::parse(step)
            .ok_or_else(|| Problem::not_found(format!("`{step}` is not a step")))?;
        state
            .engine
            .retry_step(&id, kind, &caller.actor())
            .await
            .map_err(|e| match e {
                EngineError::NoSuchCase(id) => Problem::not_found(format!("no case {id}")),
                EngineError::Refused(why) => {
                    Problem::new(StatusCode::CONFLICT, "conflict", "Cannot retry", why)
                }
                e if e.is_transient() => Problem::unavailable(e.to_string()),
                e => Problem::internal(e.to_string()),
            })?;
        Ok::<_, Problem>(id)
    };
    match run.await {
        Ok(id) => {
            let mut back = Response::new(Vec::new().into());
            *back.status_mut() = StatusCode::SEE_OTHER;
            if let Ok(v) = HeaderValue::from_str(&format!("{BASE}/cases/{id}")) {
                back.headers_mut().insert("location", v);
            }
            secure(&mut back);
            back
        }
        Err(p) => problem_page(&p),
    }
}
