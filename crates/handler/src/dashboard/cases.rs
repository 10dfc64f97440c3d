//! The cases list: filter by period, status, kind, SLA state and source; search by name, UPN
//! or employee id; 50 to a page, newest effective time first.

use chrono::{NaiveDate, TimeZone, Utc};
use maud::{Markup, html};
use offboard_core::case::CaseStatus;
use offboard_core::evidence::IndexSummary;

use super::BASE;
use super::layout::{at, badge, page as chrome};
use crate::problem::Problem;
use crate::request::Request;
use crate::signin::Caller;
use crate::startup::AppState;

/// Cases on one page.
pub const PAGE_SIZE: usize = 50;

const STATUSES: [&str; 8] = [
    "received",
    "scheduled",
    "running",
    "completed",
    "completed_with_exceptions",
    "cancelled",
    "awaiting_approval",
    "rejected",
];
const KINDS: [&str; 7] = [
    "unspecified",
    "voluntary",
    "involuntary",
    "for_cause",
    "retirement",
    "contract_end",
    "death",
];
const SLAS: [&str; 4] = ["met", "breached", "pending", "no_target"];
const SOURCES: [&str; 4] = ["bamboohr", "generic", "scim", "operator"];

/// What the list is asked for, as the query string says it.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    period: Option<String>,
    status: Option<String>,
    kind: Option<String>,
    sla: Option<String>,
    source: Option<String>,
    q: Option<String>,
    open: bool,
    page: usize,
}

impl Filters {
    fn read(req: &Request) -> Result<Self, Problem> {
        let pick = |name: &'static str, allowed: &[&str]| -> Result<Option<String>, Problem> {
            match req.query_param(name).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v)),
                Some(v) => Err(Problem::bad_query(format!(
                    "`{name}` must be one of {} (got `{v}`)",
                    allowed.join(", ")
                ))),
            }
        };
        let period = match req.query_param("period").filter(|v| !v.is_empty()) {
            None => None,
            Some(p) => {
                NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d").map_err(|_| {
                    Problem::bad_query(format!("`period` must be a month, YYYY-MM (got `{p}`)"))
                })?;
                Some(p)
            }
        };
        let page = match req.query_param("page").filter(|v| !v.is_empty()) {
            None => 1,
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    Problem::bad_query(format!("`page` must be 1 or more (got `{n}`)"))
                })?,
        };
        Ok(Self {
            period,
            status: pick("status", &STATUSES)?,
            kind: pick("kind", &KINDS)?,
            sla: pick("sla", &SLAS)?,
            source: pick("source", &SOURCES)?,
            q: req
                .query_param("q")
                .map(|q| q.trim().to_owned())
                .filter(|q| !q.is_empty()),
            open: req.query_param("open").is_some_and(|v| v == "1"),
            page,
        })
    }

    fn keeps(&self, e: &IndexSummary) -> bool {
        let is = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        is(&self.status, e.status.as_str())
            && is(&self.kind, e.kind.as_str())
            && is(&self.sla, &e.sla_state)
            && is(&self.source, e.source.as_str())
            && (!self.open
                || matches!(
                    e.status,
                    CaseStatus::Received | CaseStatus::Scheduled | CaseStatus::Running
                ))
            && self.q.as_deref().is_none_or(|q| e.matches(q))
    }

    /// The query string of these filters on page `page`.
    fn query(&self, page: usize) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("period", &self.period),
            ("status", &self.status),
            ("kind", &self.kind),
            ("sla", &self.sla),
            ("source", &self.source),
            ("q", &self.q),
        ] {
            if let Some(v) = v {
                s.append_pair(k, v);
            }
        }
        if self.open {
            s.append_pair("open", "1");
        }
        s.append_pair("page", &page.to_string());
        s.finish()
    }
}

/// The cases list page.
pub async fn page(state: &AppState, req: &Request, caller: &Caller) -> Result<Markup, Problem> {
    let f = Filters::read(req)?;
    let (from, to) = match &f.period {
        Some(p) => {
            let start = NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d")
                .map_err(|_| Problem::bad_query("`period` must be YYYY-MM"))?;
            let end = start
                .checked_add_months(chrono::Months::new(1))
                .ok_or_else(|| Problem::bad_query("`period` is out of range"))?;
            let utc = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
            (utc(start), utc(end))
        }
        None => (None, None),
    };
    // Summaries, not whole index entries: the list filters, orders and shows nothing more.
    let (periods, entries) = state.compliance.summaries_between(from, to).await?;
    let mut kept: Vec<&IndexSummary> = entries.iter().filter(|e| f.keeps(e)).collect();
    // Newest first: what a person looks for is usually recent.
    kept.sort_by(|a, b| (b.effective_at, &b.id).cmp(&(a.effective_at, &a.id)));
    let total = kept.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = f.page.min(pages);
    let shown = &kept[(page - 1) * PAGE_SIZE..(page * PAGE_SIZE).min(total)];
    let all_periods = state.compliance.periods_in(None, None).await?;
    let select = |name: &str, label: &str, options: &[&str], chosen: &Option<String>| {
        html! {
            label for={ "f-" (name) } { (label) }
            select id={ "f-" (name) } name=(name) {
                option value="" { "any" }
                @for o in options {
                    @if chosen.as_deref() == Some(*o) {
                        option value=(o) selected { (o.replace('_', " ")) }
                    } @else {
                        option value=(o) { (o.replace('_', " ")) }
                    }
                }
            }
        }
    };
    let period_options: Vec<&str> = all_periods.iter().map(String::as_str).collect();
    let body = html! {
        form method="get" action={ (BASE) "/cases" } class="filters" role="search" aria-label="Filter cases" {
            (select("period", "Period", &period_options, &f.period))
            (select("status", "Status", &STATUSES, &f.status))
            (select("kind", "Kind", &KINDS, &f.kind))
            (select("sla", "SLA", &SLAS, &f.sla))
            (select("source", "Source", &SOURCES, &f.source))
            label for="f-q" { "Search" }
            input id="f-q" type="search" name="q" value=[f.q.as_deref()] placeholder="name, UPN or employee id";
            button type="submit" { "Show" }
        }
        p class="count" role="status" {
            (total) " cases"
            @if !periods.is_empty() { " in " (periods.len()) " periods" }
            ", page " (page) " of " (pages)
        }
        table class="cases" {
            caption class="visually-hidden" { "Cases, newest effective time first" }
            thead { tr {
                th scope="col" { "Leaver" } th scope="col" { "Employee id" } th scope="col" { "Kind" }
                th scope="col" { "Source" } th scope="col" { "Effective" } th scope="col" { "Status" }
                th scope="col" { "SLA" } th scope="col" class="num" { "Exceptions" }
            } }
            tbody {
                @for e in shown {
                    tr {
                        td { a href={ (BASE) "/cases/" (e.id) } { (e.name) } }
                        td { (e.employee_id.as_deref().unwrap_or("—")) }
                        td { (e.kind.as_str().replace('_', " ")) }
                        td { (e.source.as_str()) }
                        td { (at(e.effective_at)) }
                        td { (badge(e.status.as_str())) }
                        td { (badge(&e.sla_state)) }
                        td class="num" { (e.exception_count) }
                    }
                }
            }
        }
        nav class="pager" aria-label="Pages" {
            @if page > 1 {
                a href={ (BASE) "/cases?" (f.query(page - 1)) } rel="prev" { "← Newer" }
            }
            @if page < pages {
                a href={ (BASE) "/cases?" (f.query(page + 1)) } rel="next" { "Older →" }
            }
        }
    };
    Ok(chrome(caller, "Cases", "Cases", body))
}
