//! The terminations report: one row per leaver in a period, with the facts an auditor needs
//! to rely on a system-generated report (information produced by the entity): the query in
//! words, its parameters, the row count, when it was generated, and the SHA-256 of the export.
//!
//! The report has two sections: one row per case of the period, and the population-completeness
//! section ([`completeness`]: HR's leavers of the period against offboard's cases). Three
//! renderings:
//!
//! - **JSON**: `{"meta": {...}, "rows": [...], "completeness": {...}}`. `meta.sha256` is the
//!   SHA-256 of the RFC 8785 canonical JSON of `rows` (any JCS implementation can recompute
//!   it), `completeness.sha256` that of `completeness.rows`.
//! - **CSV** (RFC 4180: comma-separated, `"`-quoted where needed, CRLF line ends, a header
//!   row), one section per export (`section`, the cases by default): `meta.sha256` is the
//!   SHA-256 of the body exactly as delivered; the meta travels beside it (HTTP response
//!   headers, or `FILE.meta.json` from `offboard report --out`).
//! - **XLSX** ([`xlsx`]), one section per export as for CSV: the CSV's header and rows on a
//!   `Terminations` (or `Completeness`) sheet, the query, parameters, periods, row count and the
//!   CSV rendering's SHA-256 on a `Report` sheet; `meta.sha256` is the SHA-256 of the file
//!   exactly as delivered, and the meta travels beside it as for CSV. Nothing in the file
//!   depends on when or by whom it was generated, so the same evidence gives the same file and
//!   the same hash.
//!
//! **Spreadsheet safety.** A CSV cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
//! return could be run as a formula by a spreadsheet (CSV injection). Every such cell is
//! prefixed with an apostrophe (`'`), which spreadsheets show as text; the apostrophe is part
//! of the export (and of its hash). Values offboard generates (times, hashes, counts) never
//! begin with those characters except a negative time to removal, which is prefixed too.

use chrono::{DateTime, Datelike, Utc};
use std::collections::BTreeSet;

use offboard_core::evidence::{IndexEntry, WormStatus};
use offboard_core::ids::Sha256Digest;

use offboard_api::ms;
pub use offboard_api::{
    Completeness, ReportFormat, ReportMeta, ReportParameters, ReportRow, ReportSection,
};

use crate::compliance::{Compliance, ComplianceError};

pub mod completeness;
pub mod xlsx;
mod xlsx_memo;

/// The systems every CSV export has a removal column for, whether or not a row has a value:
/// a fixed set keeps the columns stable between periods. Other systems found in the rows get
/// a column after these.
pub const STANDARD_SYSTEMS: [&str; 5] = ["ad", "entra", "exchange", "onedrive", "intune"];

/// The schema id of the report.
pub const REPORT_SCHEMA: &str = "offboard.report.terminations/v1";

/// What the report selects, in words (it is part of the report's meta).
pub const REPORT_QUERY: &str = "Every case in the compliance index whose computed HR effective time is at or after `from` and before `to` (UTC), read period by period (YYYY-MM of the effective time), one row per case, ordered by effective time then case id. No other filter: cancelled and unfinished cases are included with their status.";

/// What the neutralisation of CSV cells does (part of the meta of a CSV export).
pub const CSV_NEUTRALISATION: &str = "cells beginning with =, +, -, @, a tab or a carriage return are prefixed with an apostrophe (') so that a spreadsheet shows them as text; the apostrophe is part of the export and of its SHA-256";

/// What a report is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    /// Effective at or after (UTC).
    pub from: DateTime<Utc>,
    /// Effective before (UTC).
    pub to: DateTime<Utc>,
    /// `from` as the caller gave it.
    pub from_as_given: String,
    /// `to` as the caller gave it.
    pub to_as_given: String,
    /// The format.
    pub format: ReportFormat,
    /// The table a CSV or XLSX export holds (the JSON export holds both).
    pub section: ReportSection,
}

/// One leaver's row, from the compliance index.
pub fn row(e: &IndexEntry) -> ReportRow {
    let last = e.all_access_removed_at();
    let sla = e.sla_state();
    let target = e.sla.as_ref().and_then(|s| s.target_minutes);
    let seconds = |d: chrono::Duration| d.num_milliseconds() as f64 / 1000.0;
    let cut = e.sign_in_cut_at();
    ReportRow {
        case_id: e.id.to_string(),
        source: e.source,
        source_event_id: e.source_event_id.clone(),
        employee_id: e.employee.employee_id.clone(),
        user_principal_name: e.employee.user_principal_name.clone(),
        mail: e.employee.mail.clone(),
        on_premises_sam_account_name: e.employee.on_premises_sam_account_name.clone(),
        leaver: e.leaver.clone(),
        kind: e.kind,
        hr_effective_as_sent: e.hr_effective_as_sent.clone(),
        effective_at: ms::text(&e.effective_at),
        received_at: ms::text(&e.received_at),
        case_status: e.status,
        sign_in_cut_at: cut.as_ref().map(ms::text),
        time_to_sign_in_cut_seconds: cut.map(|t| seconds(t - e.effective_at)),
        hr_delay_seconds: seconds(e.hr_delay()),
        offboard_time_to_sign_in_cut_seconds: e.own_time_to_sign_in_cut().map(seconds),
        removed_at: e
            .access_removed_at
            .iter()
            .map(|(k, v)| (k.clone(), ms::text(v)))
            .collect(),
        all_access_removed_at: last.as_ref().map(ms::text),
        time_to_removal_seconds: last
            .map(|t| (t - e.effective_at).num_milliseconds() as f64 / 1000.0),
        sla_target_minutes: target,
        sla: sla.to_owned(),
        exception_count: e.exceptions.len(),
        exceptions: e.exceptions.clone(),
        record_count: e.record_count,
        chain_head: e.chain_head.to_hex(),
        seal_hash: e.seal_hash.as_ref().map(Sha256Digest::to_hex),
        ledger_seq: e.ledger_seq,
        worm_enforced: e.worm_enforced,
    }
}

/// The years a period bound may name. The index is partitioned by `YYYY-MM` periods that
/// compare as text, so a five-digit or negative year (`+10000-01-01`) would sort before
/// `2026-11` and silently select nothing; such a bound is refused instead.
pub const SUPPORTED_YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

/// Reads a period bound as the API and the CLI accept it: an RFC 3339 date-time, or a date
/// (`YYYY-MM-DD`) meaning UTC midnight — as an end bound (`end = true`) the whole day is
/// included, so `to=2026-11-30` reads as `2026-12-01T00:00:00Z` (exclusive). `None` for
/// anything else, including a date outside [`SUPPORTED_YEARS`] (in UTC).
pub fn parse_bound(text: &str, end: bool) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        let t = t.with_timezone(&Utc);
        return SUPPORTED_YEARS.contains(&t.year()).then_some(t);
    }
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    if !SUPPORTED_YEARS.contains(&d.year()) {
        return None;
    }
    let d = if end { d.succ_opt()? } else { d };
    Some(d.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// A rendered report: the export and its meta.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedReport {
    /// The facts about the export.
    pub meta: ReportMeta,
    /// The export's bytes (the CSV body, or the JSON document with meta and rows).
    pub body: Vec<u8>,
}

fn encoding(e: impl std::fmt::Display) -> ComplianceError {
    ComplianceError::Encoding(e.to_string())
}

/// Prefixes a cell that a spreadsheet could read as a formula (see the module docs).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The CSV columns for rows that mention `extra` systems beyond the standard ones.
fn columns(systems: &[String]) -> Vec<String> {
    let mut c: Vec<String> = [
        "case_id",
        "source",
        "source_event_id",
        "employee_id",
        "user_principal_name",
        "mail",
        "on_premises_sam_account_name",
        "leaver_object_id",
        "leaver_user_principal_name",
        "leaver_display_name",
        "leaver_employee_id",
        "leaver_on_premises_account",
        "kind",
        "hr_effective_as_sent",
        "effective_at",
        "received_at",
        "case_status",
        "sign_in_cut_at",
        "time_to_sign_in_cut_seconds",
        "hr_delay_seconds",
        "offboard_time_to_sign_in_cut_seconds",
    ]
    .map(str::to_owned)
    .to_vec();
    c.extend(systems.iter().map(|s| format!("removed_at_{s}")));
    c.extend(
        [
            "all_access_removed_at",
            "time_to_removal_seconds",
            "sla_target_minutes",
            "sla",
            "exception_count",
            "exceptions",
            "record_count",
            "chain_head",
            "seal_hash",
            "ledger_seq",
            "worm_enforced",
        ]
        .map(str::to_owned),
    );
    c
}

/// The columns an XLSX export writes as numbers (with how many decimals); the others are text.
const NUMERIC_COLUMNS: [(&str, u8); 8] = [
    ("time_to_sign_in_cut_seconds", 3),
    ("hr_delay_seconds", 3),
    ("offboard_time_to_sign_in_cut_seconds", 3),
    ("time_to_removal_seconds", 3),
    ("sla_target_minutes", 0),
    ("exception_count", 0),
    ("record_count", 0),
    ("ledger_seq", 0),
];

/// How each of `columns` is written to a spreadsheet.
fn xlsx_kinds(columns: &[String]) -> Vec<xlsx::Column> {
    columns
        .iter()
        .map(|c| match NUMERIC_COLUMNS.iter().find(|(n, _)| n == c) {
            Some((_, decimals)) => xlsx::Column::Number {
                decimals: *decimals,
            },
            None => xlsx::Column::Text,
        })
        .collect()
}

/// The facts of the `Report` sheet of an XLSX export: everything in `meta` that depends on
/// the query and the evidence, and nothing that depends on when or by whom it was asked for.
fn xlsx_facts(meta: &ReportMeta, csv_sha256: &str) -> Vec<(&'static str, String)> {
    let what = match meta.parameters.section {
        ReportSection::Terminations => "Terminations",
        ReportSection::Completeness => "Population completeness",
    };
    let mut facts = vec![
        ("Report", format!("{what} ({})", meta.schema)),
        ("Query", meta.query.clone()),
        ("From (as given)", meta.parameters.from.clone()),
        ("To (as given)", meta.parameters.to.clone()),
        (
            "Effective from (UTC, inclusive)",
            meta.parameters.effective_from.clone(),
        ),
        (
            "Effective to (UTC, exclusive)",
            meta.parameters.effective_to.clone(),
        ),
        ("Periods read", meta.periods.join(", ")),
        ("Rows", meta.row_count.to_string()),
        ("Columns", meta.columns.len().to_string()),
        (
            "SHA-256 of the same rows as CSV",
            format!("{csv_sha256} (the CSV export of this query, as delivered)"),
        ),
        (
            "Evidence storage",
            meta.warning
                .clone()
                .unwrap_or_else(|| "WORM enforced".to_owned()),
        ),
        (
            "This file",
            "Generated again on every download. Nothing in it depends on when or by whom it was asked for, so while the evidence is unchanged the file and its SHA-256 stay the same; the generation time and the SHA-256 of this file travel beside it (the Offboard-Report-* response headers, or FILE.meta.json).".to_owned(),
        ),
    ];
    if let Some(p) = &meta.population {
        facts.push((
            "HR population read by",
            format!(
                "scan {} (ledger position {}, ended {}): {}",
                p.scan_id,
                p.ledger_seq,
                ms::text(&p.ended_at),
                p.sources
                    .iter()
                    .map(|s| format!(
                        "{} {} rows, SHA-256 {}",
                        s.source,
                        s.rows,
                        s.sha256.as_ref().map(|d| d.to_hex()).unwrap_or_default()
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    }
    if let Some(n) = &meta.note {
        facts.push(("Note", n.clone()));
    }
    facts
}

fn csv_cells(r: &ReportRow, systems: &[String]) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let secs = |v: Option<f64>| v.map(|s| format!("{s:.3}")).unwrap_or_default();
    let leaver = r.leaver.clone().unwrap_or_default();
    let mut cells = vec![
        r.case_id.clone(),
        r.source.to_string(),
        r.source_event_id.clone(),
        opt(&r.employee_id),
        opt(&r.user_principal_name),
        opt(&r.mail),
        opt(&r.on_premises_sam_account_name),
        leaver.object_id,
        opt(&leaver.user_principal_name),
        opt(&leaver.display_name),
        opt(&leaver.employee_id),
        opt(&leaver.on_premises_account),
        r.kind.to_string(),
        opt(&r.hr_effective_as_sent),
        r.effective_at.clone(),
        r.received_at.clone(),
        r.case_status.to_string(),
        opt(&r.sign_in_cut_at),
        secs(r.time_to_sign_in_cut_seconds),
        secs(Some(r.hr_delay_seconds)),
        secs(r.offboard_time_to_sign_in_cut_seconds),
    ];
    cells.extend(
        systems
            .iter()
            .map(|s| r.removed_at.get(s).cloned().unwrap_or_default()),
    );
    cells.extend([
        opt(&r.all_access_removed_at),
        r.time_to_removal_seconds
            .map(|s| format!("{s:.3}"))
            .unwrap_or_default(),
        r.sla_target_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
        r.sla.clone(),
        r.exception_count.to_string(),
        r.exceptions.join(" | "),
        r.record_count.to_string(),
        r.chain_head.clone(),
        opt(&r.seal_hash),
        r.ledger_seq.map(|s| s.to_string()).unwrap_or_default(),
        r.worm_enforced.to_string(),
    ]);
    cells
}

/// Renders a table as RFC 4180 CSV with a header row and neutralised cells.
fn render_table(
    columns: &[String],
    rows: impl ExactSizeIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, ComplianceError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::with_capacity(rows.len() * 512 + 512));
    w.write_record(columns).map_err(encoding)?;
    for cells in rows {
        w.write_record(cells.iter().map(|c| neutralise(c).into_owned()))
            .map_err(encoding)?;
    }
    w.into_inner().map_err(encoding)
}

/// Renders rows as RFC 4180 CSV with neutralised cells.
pub fn render_csv(
    rows: &[ReportRow],
    columns: &[String],
    systems: &[String],
) -> Result<Vec<u8>, ComplianceError> {
    render_table(columns, rows.iter().map(|r| csv_cells(r, systems)))
}

impl Compliance {
    /// Generates the terminations report for `q`, stamped `generated_at` by `generated_by`.
    pub async fn termination_report(
        &self,
        q: &ReportQuery,
        generated_at: DateTime<Utc>,
        generated_by: &str,
    ) -> Result<RenderedReport, ComplianceError> {
        let mut reports = self
            .termination_exports(q, &[q.format], generated_at, generated_by)
            .await?;
        reports
            .pop()
            .ok_or_else(|| ComplianceError::Encoding("no export was rendered".into()))
    }

    /// The terminations report for `q` in each of `formats` (`q.format` is ignored), from one
    /// read of the index: the same rows, so the exports agree with each other.
    pub async fn termination_exports(
        &self,
        q: &ReportQuery,
        formats: &[ReportFormat],
        generated_at: DateTime<Utc>,
        generated_by: &str,
    ) -> Result<Vec<RenderedReport>, ComplianceError> {
        if q.from >= q.to {
            return Err(ComplianceError::BadRequest {
                parameter: "to",
                detail: format!(
                    "`to` ({}) must be after `from` ({})",
                    q.to_as_given, q.from_as_given
                ),
            });
        }
        let (periods, entries) = self.entries_between(Some(q.from), Some(q.to)).await?;
        let completeness = self.completeness(q.from, q.to, &entries).await?;
        let rows: Vec<ReportRow> = entries.iter().map(row).collect();
        formats
            .iter()
            .map(|format| {
                build(
                    &ReportQuery {
                        format: *format,
                        ..q.clone()
                    },
                    periods.clone(),
                    rows.clone(),
                    completeness.clone(),
                    self.evidence_service().worm(),
                    generated_at,
                    generated_by,
                )
            })
            .collect()
    }
}

/// Renders `rows` (already selected and ordered) and the completeness section into the export
/// and its meta. Public so the benchmark and tests can render without a store.
pub fn build(
    q: &ReportQuery,
    periods: Vec<String>,
    rows: Vec<ReportRow>,
    completeness: Completeness,
    worm: WormStatus,
    generated_at: DateTime<Utc>,
    generated_by: &str,
) -> Result<RenderedReport, ComplianceError> {
    let found: BTreeSet<&String> = rows.iter().flat_map(|r| r.removed_at.keys()).collect();
    let mut systems: Vec<String> = STANDARD_SYSTEMS.map(str::to_owned).to_vec();
    systems.extend(
        found
            .into_iter()
            .filter(|s| !STANDARD_SYSTEMS.contains(&s.as_str()))
            .cloned(),
    );
    // A CSV or XLSX export is one table; the JSON export carries both sections.
    let table = q.format != ReportFormat::Json && q.section == ReportSection::Completeness;
    let (schema, query, columns, row_count) = if table {
        (
            self::completeness::COMPLETENESS_SCHEMA,
            self::completeness::COMPLETENESS_QUERY,
            self::completeness::COLUMNS.map(str::to_owned).to_vec(),
            completeness.rows.len(),
        )
    } else {
        (REPORT_SCHEMA, REPORT_QUERY, columns(&systems), rows.len())
    };
    let mut meta = ReportMeta {
        schema: schema.to_owned(),
        query: query.to_owned(),
        parameters: ReportParameters {
            from: q.from_as_given.clone(),
            to: q.to_as_given.clone(),
            format: q.format,
            section: q.section,
            effective_from: ms::text(&q.from),
            effective_to: ms::text(&q.to),
        },
        periods,
        row_count,
        columns,
        generated_at: ms::text(&generated_at),
        generated_by: generated_by.to_owned(),
        sha256: String::new(),
        sha256_of: match q.format {
            ReportFormat::Csv => "the CSV body exactly as delivered",
            ReportFormat::Json => "the RFC 8785 canonical JSON of `rows`",
            ReportFormat::Xlsx => "the XLSX file exactly as delivered",
        }
        .to_owned(),
        csv_neutralisation: (q.format == ReportFormat::Csv).then(|| CSV_NEUTRALISATION.to_owned()),
        warning: worm.warning(),
        worm,
        population: table.then(|| completeness.scan.clone()).flatten(),
        note: table.then(|| completeness.note.clone()).flatten(),
    };
    // The table's cells, as the CSV has them before neutralisation.
    let cells: Vec<Vec<String>> = if table {
        completeness
            .rows
            .iter()
            .map(self::completeness::csv_cells)
            .collect()
    } else {
        rows.iter().map(|r| csv_cells(r, &systems)).collect()
    };
    let body = match q.format {
        ReportFormat::Csv => {
            let body = render_table(&meta.columns, cells.into_iter())?;
            meta.sha256 = Sha256Digest::of(&body).to_hex();
            body
        }
        ReportFormat::Xlsx => {
            let csv = render_table(&meta.columns, cells.iter().cloned())?;
            let (sheet, title) = if table {
                (xlsx::COMPLETENESS_SHEET, "offboard population completeness")
            } else {
                (xlsx::DATA_SHEET, "offboard terminations report")
            };
            let body = xlsx_memo::render(&xlsx::Book {
                sheet,
                header: &meta.columns,
                kinds: &xlsx_kinds(&meta.columns),
                rows: &cells,
                facts: &xlsx_facts(&meta, &Sha256Digest::of(&csv).to_hex()),
                title,
            })
            .map_err(encoding)?;
            meta.sha256 = Sha256Digest::of(&body).to_hex();
            body
        }
        ReportFormat::Json => {
            let value = serde_json::to_value(&rows).map_err(encoding)?;
            let canonical = serde_json_canonicalizer::to_vec(&value).map_err(encoding)?;
            meta.sha256 = Sha256Digest::of(&canonical).to_hex();
            serde_json::to_vec(
                &serde_json::json!({"meta": meta, "rows": value, "completeness": completeness}),
            )
            .map_err(encoding)?
        }
    };
    Ok(RenderedReport { meta, body })
}

#[cfg(test)]
mod xlsx_tests;

#[cfg(test)]
mod tests;
