//! Reports: the terminations report for a period, with the facts an auditor relies on to use
//! it (parameters, row count, SHA-256 of each export: information produced by the entity), and
//! the CSV, XLSX and JSON downloads from the compliance API (the session's cookie opens them).
//! The CSV and XLSX exports are rendered here from one read of the index, so the hashes shown
//! are those of the files the downloads deliver while the evidence is unchanged.

use chrono::Datelike;
use maud::{Markup, html};
use offboard_api::{ReportFormat, ReportSection};
use offboard_core::actor::ActivityBy;
use offboard_service::report::ReportQuery;

use super::layout::page as chrome;
use crate::problem::Problem;
use crate::request::Request;
use crate::signin::Caller;
use crate::startup::AppState;

/// The reports page.
pub async fn page(state: &AppState, req: &Request, caller: &Caller) -> Result<Markup, Problem> {
    let today = state.clock.now().date_naive();
    let first = today.with_day(1).unwrap_or(today);
    let from_default = first.format("%Y-%m-%d").to_string();
    let to_default = today.format("%Y-%m-%d").to_string();
    let asked = req.query_param("from").is_some() || req.query_param("to").is_some();
    let from_text = req.query_param("from").unwrap_or(from_default);
    let to_text = req.query_param("to").unwrap_or(to_default);
    let report = if asked {
        let (from, _) = req
            .instant("from", false)?
            .ok_or_else(|| Problem::bad_query("`from` is required"))?;
        let (to, _) = req
            .instant("to", true)?
            .ok_or_else(|| Problem::bad_query("`to` is required"))?;
        let q = ReportQuery {
            from,
            to,
            from_as_given: from_text.clone(),
            to_as_given: to_text.clone(),
            format: ReportFormat::Csv,
            section: ReportSection::Terminations,
        };
        let actor = caller.actor();
        let by = actor.describe();
        let exports = state
            .compliance
            .termination_exports(
                &q,
                &[ReportFormat::Csv, ReportFormat::Xlsx],
                state.clock.now(),
                &format!("dashboard, for {by}"),
            )
            .await?;
        // Showing a period's population is a person's action: written to the evidence (who,
        // which period, the row count and each file's SHA-256) before it is shown.
        let rows = exports.first().map(|e| e.meta.row_count).unwrap_or(0);
        let seq = crate::activity::record(
            state,
            "report-viewed",
            format!("terminations report viewed on the dashboard ({from_text} to {to_text}, {rows} rows)"),
            ActivityBy::SignedIn(&actor),
            serde_json::json!({
                "report": "terminations",
                "from": from_text,
                "to": to_text,
                "rows": rows,
                "sha256": exports
                    .iter()
                    .map(|e| (e.meta.parameters.format.as_str().to_owned(), e.meta.sha256.clone()))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            }),
        )
        .await?;
        Some((exports, seq))
    } else {
        None
    };
    let query = |format: &str| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("from", &from_text)
            .append_pair("to", &to_text)
            .append_pair("format", format)
            .finish()
    };
    let body = html! {
        form method="get" class="filters" aria-label="Report period" {
            label for="r-from" { "From (first day)" }
            input id="r-from" type="date" name="from" value=(from_text) required;
            label for="r-to" { "To (last day, included)" }
            input id="r-to" type="date" name="to" value=(to_text) required;
            button type="submit" { "Show the report" }
        }
        @if let Some((exports, seq)) = &report {
            @if let Some(r) = exports.first() {
            section aria-labelledby="h-meta" {
                h2 id="h-meta" { "Terminations report" }
                dl class="facts" {
                    div { dt { "Query" } dd { (r.meta.query) } }
                    div { dt { "Parameters" } dd { code { (serde_json::to_string(&r.meta.parameters).unwrap_or_default()) } } }
                    div { dt { "Rows" } dd { (r.meta.row_count) } }
                    @for e in exports {
                        div { dt { "SHA-256 of the " (e.meta.parameters.format.as_str().to_uppercase()) " (" (e.meta.sha256_of) ")" } dd { code class="hash" { (e.meta.sha256) } } }
                    }
                    div { dt { "Periods read" } dd { (r.meta.periods.join(", ")) } }
                    div { dt { "Generated" } dd { (r.meta.generated_at) } }
                    @if let Some(w) = &r.meta.warning { div { dt { "Storage" } dd class="warning" { (w) } } }
                    div { dt { "Recorded" } dd { "in the evidence with your name, as ledger entry " (seq) " (each download is recorded too)" } }
                }
                p class="downloads" {
                    a href={ "/api/reports/terminations?" (query("csv")) } download { "Download CSV" }
                    " · "
                    a href={ "/api/reports/terminations?" (query("xlsx")) } download { "Download XLSX" }
                    " · "
                    a href={ "/api/reports/terminations?" (query("json")) } download { "Download JSON" }
                    " · "
                    a href={ "/api/reports/terminations?" (query("csv")) "&section=completeness" } download { "Download population completeness (CSV)" }
                }
                p { small { "The download is generated again: while the evidence is unchanged its rows, and the CSV and XLSX files with their SHA-256 above, are the same; the generation time (in the response headers) differs. The XLSX holds the rows on its Terminations sheet and the query, parameters and row count on its Report sheet." } }
            }
            }
        }
    };
    Ok(chrome(caller, "Reports", "Reports", body))
}
