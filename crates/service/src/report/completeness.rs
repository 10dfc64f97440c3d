//! The population-completeness section of the terminations report: "HR says these people left
//! in the period; show me all of them". HR's leavers come from the latest scan that read every
//! population source — sealed in that scan's evidence record, which is verified before it is
//! used — and are matched with offboard's cases by `offboard_core::reconcile::completeness`.
//!
//! A leaver's case normally lies in the period of HR's date (a case's effective time is HR's
//! date), so the period's index rows are matched first; only when a leaver is left without a
//! case are the other periods read, so a case keyed on another date (HR changed it, an
//! operator chose another time) is never reported missing.

use chrono::{DateTime, Utc};

use offboard_api::Completeness;
use offboard_api::ms;
use offboard_core::case::CaseStatus;
use offboard_core::evidence::IndexEntry;
use offboard_core::ids::Sha256Digest;
use offboard_core::reconcile::{CaseView, ScanRecord, SealedScan, completeness};
use offboard_core::reconcile::{CompletenessRow, CompletenessStatus, PopulationScan};

use crate::compliance::{Compliance, ComplianceError, verify_packet_strict};

/// The schema id of the completeness table (the CSV export of the `completeness` section).
pub const COMPLETENESS_SCHEMA: &str = "offboard.report.completeness/v1";

/// What the completeness section selects, in words (its meta and the JSON section say it).
pub const COMPLETENESS_QUERY: &str = "HR's leavers whose leave time (HR's date at the company's cutoff, UTC) is at or after `from` and before `to`, as sealed by the latest ghost-access scan that read every population source, each matched to offboard's case for the person (by employee id, then email, then the account the scan found; the case may be of any period); then every case effective in the period and not cancelled whose person HR does not report as a leaver at all. Status: case; no_case (HR's leaver has an account and no case: a missed termination); no_account (no case, and the scan found no account); not_in_hr. Ordered by HR's leave time (or the case's effective time), then person.";

/// Why a section has no rows when no scan has read HR's whole population.
pub const NO_SCAN: &str = "no ghost-access scan has read every population source yet, so HR's leavers are not known: configure OFFBOARD_POPULATION_SOURCES and run a scan (POST /api/scans or `offboard scan`)";

/// The CSV columns of the completeness table.
pub const COLUMNS: [&str; 8] = [
    "person",
    "employee_id",
    "email",
    "hr_left_at",
    "hr_source",
    "status",
    "case_id",
    "case_effective_at",
];

/// A case as the completeness judgement needs it, from its index row: who it is about (as HR
/// named them and as the plan resolved them) and when it took effect.
fn view(e: &IndexEntry) -> CaseView {
    let leaver = e.leaver.as_ref();
    let mut emails: Vec<String> = [&e.employee.user_principal_name, &e.employee.mail]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    emails.extend(leaver.and_then(|l| l.user_principal_name.clone()));
    CaseView {
        case_id: e.id.clone(),
        employee_id: e
            .employee
            .employee_id
            .clone()
            .or_else(|| leaver.and_then(|l| l.employee_id.clone())),
        emails,
        object_id: leaver.map(|l| l.object_id.clone()),
        terminal: e.status.is_final(),
        completed: e.status == CaseStatus::Completed,
        cancelled: e.status == CaseStatus::Cancelled,
        sla_deadline: None,
        sign_in_cut: None,
        effective_at: e.effective_at,
        leaver: leaver
            .and_then(|l| l.display_name.clone())
            .unwrap_or_else(|| e.employee.display_name().to_owned()),
    }
}

/// The section over `rows`, counted and hashed (SHA-256 of the canonical JSON of `rows`).
pub fn section(
    scan: Option<PopulationScan>,
    note: Option<String>,
    rows: Vec<CompletenessRow>,
) -> Result<Completeness, ComplianceError> {
    let encoding = |e: serde_json::Error| ComplianceError::Encoding(e.to_string());
    let value = serde_json::to_value(&rows).map_err(encoding)?;
    let canonical = serde_json_canonicalizer::to_vec(&value).map_err(encoding)?;
    Ok(Completeness {
        query: COMPLETENESS_QUERY.to_owned(),
        scan,
        note,
        hr_leavers: rows.iter().filter(|r| r.hr_left_at.is_some()).count(),
        with_case: rows
            .iter()
            .filter(|r| r.status == CompletenessStatus::Case)
            .count(),
        differences: rows.iter().filter(|r| r.status.is_difference()).count(),
        sha256: Sha256Digest::of(&canonical).to_hex(),
        rows,
    })
}

/// One completeness row as CSV cells (in [`COLUMNS`] order, before neutralisation).
pub fn csv_cells(r: &CompletenessRow) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let at = |t: &Option<DateTime<Utc>>| t.as_ref().map(ms::text).unwrap_or_default();
    vec![
        r.person.clone(),
        opt(&r.employee_id),
        opt(&r.email),
        at(&r.hr_left_at),
        opt(&r.hr_source),
        r.status.as_str().to_owned(),
        r.case_id
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        at(&r.case_effective_at),
    ]
}

impl Compliance {
    /// The completeness section of `[from, to)`; `entries` are the index rows of the period.
    pub(super) async fn completeness(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        entries: &[IndexEntry],
    ) -> Result<Completeness, ComplianceError> {
        let Some(scan) = self.findings().population_scan().await? else {
            return section(None, Some(NO_SCAN.to_owned()), Vec::new());
        };
        let chain = ScanRecord::chain_id(&scan.scan_id);
        let packet = self
            .evidence_service()
            .scan_packet(&scan.period, &chain, scan.ledger_seq)
            .await?;
        let check = verify_packet_strict(&packet);
        if let Some(f) = check.findings.first() {
            let note = format!(
                "the sealed record of scan {} does not verify ({}), so its HR leavers are not used: run `offboard verify --ledger`",
                scan.scan_id,
                f.describe()
            );
            return section(Some(scan), Some(note), Vec::new());
        }
        let leavers = packet
            .records
            .first()
            .and_then(|r| r.body.details.clone())
            .and_then(|d| serde_json::from_value::<SealedScan>(d).ok())
            .and_then(|s| s.leavers);
        let Some(leavers) = leavers else {
            let note = format!(
                "scan {} sealed no HR leavers (it ran before offboard kept them): run a scan",
                scan.scan_id
            );
            return section(Some(scan), Some(note), Vec::new());
        };
        let views: Vec<CaseView> = entries.iter().map(view).collect();
        let mut rows = completeness(&leavers, &views, from, to);
        let unmatched = |rows: &[CompletenessRow]| {
            rows.iter().any(|r| {
                matches!(
                    r.status,
                    CompletenessStatus::NoCase | CompletenessStatus::NoAccount
                )
            })
        };
        if unmatched(&rows) {
            let (_, every) = self.entries_between(None, None).await?;
            let views: Vec<CaseView> = every.iter().map(view).collect();
            rows = completeness(&leavers, &views, from, to);
        }
        section(Some(scan), None, rows)
    }
}
