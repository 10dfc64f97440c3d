//! `GET /api/reports/terminations?from=&to=&format=csv|xlsx|json`: one row per leaver, with
//! the facts an auditor needs to rely on the report. The JSON export carries them in `meta`;
//! the CSV export (RFC 4180, formula cells neutralised) and the XLSX workbook (the CSV's rows
//! on one sheet, the query, parameters and row count on another) carry them in response
//! headers:
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

use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use offboard_api::{ReportFormat, ReportMeta};
use offboard_service::report::ReportQuery;

use crate::problem::Problem;
use crate::request::Request;
use crate::startup::AppState;

/// The terminations report, exported for `by` (the signed-in caller, or a function key).
pub async fn terminations(state: &AppState, req: &Request, by: &str) -> Response {
    run(state, req, by)
        .await
        .unwrap_or_else(Problem::into_response)
}

async fn run(state: &AppState, req: &Request, by: &str) -> Result<Response, Problem> {
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
    let q = ReportQuery {
        from,
        to,
        from_as_given,
        to_as_given,
        format,
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
    // An export is a person's action: the log names who pulled which population, in which
    // format, and the hash of what they got (the dashboard's Reports page logs its views).
    tracing::info!(
        by = %by,
        format = format.as_str(),
        from = %q.from_as_given,
        to = %q.to_as_given,
        rows = report.meta.row_count,
        sha256 = %report.meta.sha256,
        "terminations report exported"
    );
    let mut resp = Response::new(report.body.into());
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"terminations-{}-{}.{}\"",
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
    vec![
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
    ]
}
