//! The overview: open cases, SLA states, breaches, exceptions, held cases, the remediation
//! queue, the ghost-access scan's open findings and the ledger's head, over every period with
//! evidence.

use std::collections::BTreeMap;

use maud::{Markup, html};
use offboard_core::case::CaseStatus;
use offboard_core::ports::RemediationStatus;
use offboard_core::reconcile::{FindingQuery, FindingStatus};

use super::BASE;
use super::layout::{at, badge, page as chrome};
use crate::problem::Problem;
use crate::signin::Caller;
use crate::startup::AppState;

/// The overview page.
pub async fn page(state: &AppState, caller: &Caller) -> Result<Markup, Problem> {
    // Every case's summary, not its whole index entry: the counts need nothing more.
    let (_, entries) = state.compliance.summaries_between(None, None).await?;
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_sla: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &entries {
        *by_status.entry(e.status.as_str()).or_default() += 1;
        *by_sla.entry(e.sla_state.as_str()).or_default() += 1;
    }
    let open = entries
        .iter()
        .filter(|e| {
            matches!(
                e.status,
                CaseStatus::Received | CaseStatus::Scheduled | CaseStatus::Running
            )
        })
        .count();
    let breaches: Vec<_> = entries
        .iter()
        .filter(|e| e.sla_state == "breached")
        .collect();
    let exceptions: Vec<_> = entries
        .iter()
        .filter(|e| e.status == CaseStatus::CompletedWithExceptions)
        .collect();
    let remediations = state
        .engine
        .remediations()
        .list(Some(RemediationStatus::Open))
        .await
        .map_err(|e| Problem::unavailable(e.to_string()))?;
    let held = state
        .engine
        .held_cases()
        .await
        .map_err(|e| Problem::unavailable(e.to_string()))?
        .len();
    let findings = state
        .reconciler
        .findings()
        .list(&FindingQuery::default())
        .await
        .map_err(|e| Problem::unavailable(e.to_string()))?;
    // The latest scan that saw anything, and what of its findings still stands.
    let last_scan = findings
        .iter()
        .max_by_key(|f| f.last_seen)
        .map(|f| (f.last_scan.clone(), f.last_seen));
    let mut open_by_kind: BTreeMap<&'static str, usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.status == FindingStatus::Open) {
        *open_by_kind.entry(f.observation.kind.as_str()).or_default() += 1;
    }
    let open_findings: usize = open_by_kind.values().sum();
    let ledger = state.compliance.ledger().await?;
    let body = html! {
        section aria-labelledby="h-counts" {
            h2 id="h-counts" { "Cases" }
            dl class="tiles" {
                div { dt { "All cases" } dd { (entries.len()) } }
                div { dt { "Open" } dd { a href={ (BASE) "/cases?open=1" } { (open) } } }
                div { dt { "SLA breached" } dd { a href={ (BASE) "/cases?sla=breached" } { (breaches.len()) } } }
                div { dt { "With exceptions" } dd { a href={ (BASE) "/cases?status=completed_with_exceptions" } { (exceptions.len()) } } }
                div { dt { "Held for approval" } dd { a href={ (BASE) "/held" } { (held) } } }
                div { dt { "Remediation queue" } dd { (remediations.len()) } }
                div { dt { "Open findings" } dd { a href={ (BASE) "/findings" } { (open_findings) } } }
            }
        }
        div class="columns" {
            section aria-labelledby="h-status" {
                h2 id="h-status" { "By status" }
                table {
                    thead { tr { th scope="col" { "Status" } th scope="col" class="num" { "Cases" } } }
                    tbody {
                        @for (s, n) in &by_status {
                            tr { td { a href={ (BASE) "/cases?status=" (s) } { (badge(s)) } } td class="num" { (n) } }
                        }
                    }
                }
            }
            section aria-labelledby="h-sla" {
                h2 id="h-sla" { "By SLA state" }
                table {
                    thead { tr { th scope="col" { "SLA" } th scope="col" class="num" { "Cases" } } }
                    tbody {
                        @for (s, n) in &by_sla {
                            tr { td { a href={ (BASE) "/cases?sla=" (s) } { (badge(s)) } } td class="num" { (n) } }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-rem" {
            h2 id="h-rem" { "Remediation queue" }
            @if remediations.is_empty() {
                p { "Nothing waits for a person." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Case" } th scope="col" { "Leaver" } th scope="col" { "Step" }
                        th scope="col" { "Why" } th scope="col" { "Opened" }
                    } }
                    tbody {
                        @for r in &remediations {
                            tr {
                                td { a href={ (BASE) "/cases/" (r.case_id) } { (r.case_id) } }
                                td { (r.leaver) }
                                td { (r.step) }
                                td { (r.reason) }
                                td { (at(r.opened_at)) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-scan" {
            h2 id="h-scan" { "Ghost-access scan" }
            @match &last_scan {
                None => p { "No scan has found anything yet." },
                Some((scan, seen)) => {
                    p { "Latest scan with findings: " code { (scan) } ", " (at(*seen)) ". "
                        a href={ (BASE) "/findings?status=all" } { "Every finding" } }
                    @if open_by_kind.is_empty() {
                        p { "No finding is open." }
                    } @else {
                        table {
                            thead { tr { th scope="col" { "Open findings" } th scope="col" class="num" { "Count" } } }
                            tbody {
                                @for (k, n) in &open_by_kind {
                                    tr { td { a href={ (BASE) "/findings?type=" (k) } { (badge(k)) } } td class="num" { (n) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-ledger" {
            h2 id="h-ledger" { "Ledger" }
            p {
                (ledger.length) " sealed case endings in the ledger."
                @if let Some(head) = &ledger.head {
                    " Head: entry " (head.seq) ", " code class="hash" { (head.hash) }
                }
            }
        }
    };
    Ok(chrome(caller, "Overview", "Overview", body))
}
