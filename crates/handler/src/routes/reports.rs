//! `GET /api/reports/terminations?from=&to=&format=csv|xlsx|json&section=terminations|completeness`:
//! one row per leaver, and the population-completeness section (HR's leavers of the period
//! against offboard's cases), with the facts an auditor needs to rely on the report. The JSON
//! export holds both sections and carries the facts in `meta` (and `completeness`); a CSV
//! export (RFC 4180, formula cells neutralised) or XLSX workbook (the CSV's rows on one sheet,
//! the query, parameters and row count on another) holds the section `section` names (the
//! cases by default) and carries them in response headers:
//!
//! | header | meaning |
//! | --- | --- |
//! | `Offboard-Report-Sha256` | SHA-256 of the export (the CSV body or XLSX file as delivered, or the canonical JSON of `rows`) |
//! | `Offboard-Report-Rows` | row count |
//! | `Offboard-Report-Generated-At` | generation time (UTC, ms) |
//! | `Offboard-Report-Query` | the query in words |
//! | `Offboard-Report-Parameters` | the parameters, as given and as applied (JSON) |
//! | `Offboard-Report-Periods` | the evidence periods read |
//! | `Offboard-Worm` | `enforced`, or the `WORM not enforced: ...` warning |
//! | `Offboard-Report-Population` | completeness: the scan HR's leavers were read from (JSON: id, ledger position, end, each source's digest and rows) |
//! | `Offboard-Report-Note` | completeness: why there are no rows to show, when there cannot be |
//! | `Offboard-Activity-Ledger-Seq` | the ledger entry that records this export: who pulled it, when, the parameters, the SHA-256 |
//!
//! Every export is written to the evidence before it is delivered (an `activity` chain sealed
//! into the ledger): an export that cannot be recorded is not served.

use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use offboard_api::{ReportFormat, ReportMeta, ReportSection};
use offboard_core::actor::ActivityBy;
use offboard_service::report::ReportQuery;

use crate::problem::Problem;
use crate::request::Request;
use crate::startup::AppState;

/// The terminations report, exported for `by` (the signed-in caller, or a function key).
pub async fn terminations(state: &AppState, req: &Request, by: ActivityBy<'_>) -> Response {
    run(state, req, by)
        .await
        .unwrap_or_else(Problem::into_response)
}

async fn run(state: &AppState, req: &Request, by: ActivityBy<'_>) -> Result<Response, Problem> {
    let (from, from_as_given) = req.instant("from", false)?.ok_or_else(|| {
        Problem::bad_query("`from` is required: the first day of the report period (YYYY-MM-DD) or an RFC 3339 date-time")
    })?;
    let (to, to_as_given) = req.instant("to", true)?.ok_or_else(|| {
        Problem::bad_query("`to` is required: the last day of the report period (YYYY-MM-DD, included) or an RFC 3339 date-time (excluded)")
    })?;
    let format = match req.query_param("format") {
        None => ReportFormat::Json,
        Some(f) => ReportFormat::parse(&f).ok_or_else(|| {
            Problem::bad_query(format!("`format` must be csv, xlsx or json (got `{f}`)"))
        })?,
    };
    let section = match req.query_param("section") {
        None => ReportSection::Terminations,
        Some(s) => ReportSection::parse(&s).ok_or_else(|| {
            Problem::bad_query(format!(
                "`section` must be terminations or completeness (got `{s}`)"
            ))
        })?,
    };
    let q = ReportQuery {
        from,
        to,
        from_as_given,
        to_as_given,
        format,
        section,
    };
    let generated_by = format!(
        "offboard {} ({})",
        env!("CARGO_PKG_VERSION"),
        state.backends.actor
    );
    let report = state
        .compliance
        .termination_report(&q, state.clock.now(), &generated_by)
        .await?;
    // An export is a person's action: the evidence says who pulled which population, in which
    // format, and the hash of what they got, before they get it.
    let section_name = match section {
        ReportSection::Terminations => "terminations",
        ReportSection::Completeness => "completeness",
    };
    let ledger_seq = crate::activity::record(
        state,
        "report-exported",
        format!(
            "terminations report exported ({}, {section_name}, {} to {}, {} rows)",
            format.as_str(),
            q.from_as_given,
            q.to_as_given,
            report.meta.row_count
        ),
        by,
        serde_json::json!({
            "report": "terminations",
            "format": format.as_str(),
            "section": section_name,
            "from": q.from_as_given,
            "to": q.to_as_given,
            "rows": report.meta.row_count,
            "sha256": report.meta.sha256,
            "generatedAt": report.meta.generated_at,
        }),
    )
    .await?;
    let mut resp = Response::new(report.body.into());
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-{}-{}.{}\"",
        match (format, section) {
            (ReportFormat::Json, _) | (_, ReportSection::Terminations) => "terminations",
            (_, ReportSection::Completeness) => "completeness",
        },
        sanitize(&q.from_as_given),
        sanitize(&q.to_as_given),
        format.as_str()
    )) {
        h.insert("content-disposition", v);
    }
    for (name, value) in meta_headers(&report.meta) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    crate::activity::name_entry(&mut resp, ledger_seq);
    Ok(resp)
}

/// Keeps a file name to characters every system accepts.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The meta as response headers (visible ASCII only; anything else is escaped by JSON).
pub fn meta_headers(meta: &ReportMeta) -> Vec<(&'static str, String)> {
    let ascii = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect::<String>()
    };
    let mut headers = vec![
        ("offboard-report-sha256", meta.sha256.clone()),
        ("offboard-report-rows", meta.row_count.to_string()),
        ("offboard-report-generated-at", meta.generated_at.clone()),
        ("offboard-report-query", ascii(&meta.query)),
        (
            "offboard-report-parameters",
            ascii(&serde_json::to_string(&meta.parameters).unwrap_or_default()),
        ),
        ("offboard-report-periods", meta.periods.join(",")),
        ("offboard-report-sha256-of", meta.sha256_of.clone()),
        (
            "offboard-worm",
            ascii(meta.warning.as_deref().unwrap_or("enforced")),
        ),
    ];
    if let Some(p) = &meta.population {
        headers.push((
            "offboard-report-population",
            ascii(&serde_json::to_string(p).unwrap_or_default()),
        ));
    }
    if let Some(n) = &meta.note {
        headers.push(("offboard-report-note", ascii(n)));
    }
    headers
}
