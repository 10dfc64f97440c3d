//! Findings: what the ghost-access scan found (a termination HR reported and offboard never
//! ran, access that came back, a sign-in after the cut, an account nobody in HR owns, ...), with
//! the filters of `GET /api/findings`: type, status (open by default) and when each was first
//! raised.

use maud::{Markup, html};
use offboard_core::reconcile::{FindingKind, FindingStatus};

use super::BASE;
use super::layout::{at, at_or_dash, badge, page as chrome};
use crate::problem::Problem;
use crate::request::Request;
use crate::routes::findings::query;
use crate::signin::Caller;
use crate::startup::AppState;

/// The findings page.
pub async fn page(state: &AppState, req: &Request, caller: &Caller) -> Result<Markup, Problem> {
    let q = query(req)?;
    let mut findings = state
        .reconciler
        .findings()
        .list(&q)
        .await
        .map_err(|e| Problem::unavailable(e.to_string()))?;
    // The most recently seen first: what the latest scan found leads.
    findings.sort_by(|a, b| (b.last_seen, b.id()).cmp(&(a.last_seen, a.id())));
    let status = match q.status {
        Some(s) => s.as_str(),
        None => "all",
    };
    let from = req.query_param("from").unwrap_or_default();
    let to = req.query_param("to").unwrap_or_default();
    let body = html! {
        form method="get" action={ (BASE) "/findings" } class="filters" aria-label="Filter findings" {
            label for="f-type" { "Type" }
            select id="f-type" name="type" {
                option value="" { "any" }
                @for k in FindingKind::ALL {
                    @if q.kind == Some(k) {
                        option value=(k.as_str()) selected { (k.as_str().replace('_', " ")) }
                    } @else {
                        option value=(k.as_str()) { (k.as_str().replace('_', " ")) }
                    }
                }
            }
            label for="f-status" { "Status" }
            select id="f-status" name="status" {
                @for s in ["open", "resolved", "all"] {
                    @if s == status { option value=(s) selected { (s) } } @else { option value=(s) { (s) } }
                }
            }
            label for="f-from" { "First raised from" }
            input id="f-from" type="date" name="from" value=(from);
            label for="f-to" { "to (included)" }
            input id="f-to" type="date" name="to" value=(to);
            button type="submit" { "Show" }
        }
        p class="count" role="status" { (findings.len()) " findings" }
        @if !findings.is_empty() {
            table class="findings" {
                caption class="visually-hidden" { "Findings of the ghost-access scan, most recently seen first" }
                thead { tr {
                    th scope="col" { "Type" } th scope="col" { "Who" } th scope="col" { "What was seen" }
                    th scope="col" { "Since" } th scope="col" { "Status" } th scope="col" { "First raised" }
                    th scope="col" { "Last seen" } th scope="col" { "What to do" }
                } }
                tbody {
                    @for f in &findings {
                        tr {
                            td { (badge(f.observation.kind.as_str())) }
                            td {
                                (f.observation.subject)
                                @if let Some(id) = &f.observation.case_id {
                                    br; small { "case " a href={ (BASE) "/cases/" (id) } { (id) } }
                                }
                            }
                            td { (f.observation.what)
                                @if let Some(h) = &f.handled { br; small { "Done: " (h) } } }
                            td { (at_or_dash(f.observation.since)) }
                            td { (badge(f.status.as_str()))
                                @if f.status == FindingStatus::Resolved { br; small { (at_or_dash(f.resolved_at)) } } }
                            td { (at(f.first_seen)) br; small { code { (f.first_scan) } } }
                            td { (at(f.last_seen)) br; small { code { (f.last_scan) } } }
                            td { (f.observation.action) }
                        }
                    }
                }
            }
        }
    };
    Ok(chrome(caller, "Findings", "Findings", body))
}
