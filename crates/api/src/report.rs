//! The terminations report: `GET /api/reports/terminations` and `offboard report`. The JSON
//! export is a [`TerminationsReport`]: the cases of the period and the population-completeness
//! section ([`Completeness`]). A CSV or XLSX export is one table, chosen by [`ReportSection`] —
//! the cases ([`ReportRow`]s as columns) or the completeness rows — with its [`ReportMeta`]
//! beside it (response headers, or `FILE.meta.json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use offboard_core::case::CaseStatus;
use offboard_core::event::{Source, TerminationKind};
use offboard_core::evidence::{ResolvedLeaver, WormStatus};
pub use offboard_core::reconcile::{CompletenessRow, CompletenessStatus, PopulationScan};

/// The export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// RFC 4180 CSV with the meta beside it.
    Csv,
    /// `{"meta", "rows"}`.
    Json,
    /// An Office Open XML workbook: the CSV's rows on one sheet, the report's facts on
    /// another; the meta beside it as for CSV.
    Xlsx,
}

impl ReportFormat {
    /// Every format, in the order pages and messages list them.
    pub const ALL: [ReportFormat; 3] = [Self::Csv, Self::Xlsx, Self::Json];

    /// Parses `csv`, `xlsx` or `json`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Xlsx => "xlsx",
        }
    }

    /// The media type of the export.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8; header=present",
            Self::Json => "application/json",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Which table a CSV or XLSX export holds (the JSON export always holds both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportSection {
    /// One row per case of the period.
    #[default]
    Terminations,
    /// The population-completeness section: HR's leavers of the period, the case offboard
    /// holds for each, and every difference.
    Completeness,
}

impl ReportSection {
    /// Parses `terminations` or `completeness`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "terminations" => Some(Self::Terminations),
            "completeness" => Some(Self::Completeness),
            _ => None,
        }
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Terminations => "terminations",
            Self::Completeness => "completeness",
        }
    }
}

/// The parameters of a report, as given and as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportParameters {
    /// `from` as given.
    pub from: String,
    /// `to` as given.
    pub to: String,
    /// `csv`, `xlsx` or `json`.
    pub format: ReportFormat,
    /// The table a CSV or XLSX export holds (`terminations` unless asked otherwise).
    #[serde(default)]
    pub section: ReportSection,
    /// The instant `from` was read as (inclusive, UTC, ms).
    pub effective_from: String,
    /// The instant `to` was read as (exclusive, UTC, ms).
    pub effective_to: String,
}

/// The facts an auditor needs to rely on the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportMeta {
    /// `offboard.report.terminations/v1`.
    pub schema: String,
    /// The query in words.
    pub query: String,
    /// Its parameters.
    pub parameters: ReportParameters,
    /// The evidence periods read.
    pub periods: Vec<String>,
    /// The number of rows.
    pub row_count: usize,
    /// The columns, in order (CSV header names).
    pub columns: Vec<String>,
    /// When the report was generated (UTC, ms).
    pub generated_at: String,
    /// What generated it.
    pub generated_by: String,
    /// SHA-256 of the export (hex).
    pub sha256: String,
    /// What `sha256` is computed over.
    pub sha256_of: String,
    /// How CSV cells were neutralised (CSV only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_neutralisation: Option<String>,
    /// Whether the evidence store enforces immutability.
    pub worm: WormStatus,
    /// `WORM not enforced: ...` when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The scan whose HR population the completeness table was read from (CSV export of the
    /// `completeness` section only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<PopulationScan>,
    /// Why the completeness table has no rows to show, when it cannot (CSV export of the
    /// `completeness` section only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One leaver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRow {
    /// The case.
    pub case_id: String,
    /// Where the termination came from.
    pub source: Source,
    /// The source's event id.
    pub source_event_id: String,
    /// HR's employee number, as HR sent it.
    pub employee_id: Option<String>,
    /// The UPN, as HR sent it.
    pub user_principal_name: Option<String>,
    /// The mail address, as HR sent it.
    pub mail: Option<String>,
    /// The on-premises account name, as HR sent it.
    pub on_premises_sam_account_name: Option<String>,
    /// The account the case resolved in Entra ID (object id, UPN, display name, employee
    /// id, on-premises account when synced); none when it could not be resolved.
    pub leaver: Option<ResolvedLeaver>,
    /// Termination kind.
    pub kind: TerminationKind,
    /// HR's effective time as sent.
    pub hr_effective_as_sent: Option<String>,
    /// The computed effective instant (UTC, ms).
    pub effective_at: String,
    /// When offboard received it (UTC, ms).
    pub received_at: String,
    /// The case status the evidence shows.
    pub case_status: CaseStatus,
    /// When cloud sign-in was cut and verified (UTC, ms): what the SLA is measured on.
    pub sign_in_cut_at: Option<String>,
    /// From the effective time to the sign-in cut, seconds (ms precision).
    pub time_to_sign_in_cut_seconds: Option<f64>,
    /// How long after the effective time HR's event reached offboard, seconds (0 when it
    /// arrived before): the part of the time to the cut that was HR's.
    pub hr_delay_seconds: f64,
    /// offboard's own time to the cut: from when the termination was both received and
    /// effective, seconds.
    pub offboard_time_to_sign_in_cut_seconds: Option<f64>,
    /// Per system, when access there was verified removed (UTC, ms).
    pub removed_at: BTreeMap<String, String>,
    /// When the last access was verified removed (UTC, ms) — only for a `completed` case;
    /// empty while it runs and when exceptions remain (access not shown removed).
    pub all_access_removed_at: Option<String>,
    /// From the effective time to `all_access_removed_at`, seconds (ms precision).
    pub time_to_removal_seconds: Option<f64>,
    /// The SLA target, minutes.
    pub sla_target_minutes: Option<u32>,
    /// `met`, `breached` (sealed late, or flagged by the SLA timer while running),
    /// `no_target`, or `pending` (not sealed yet, no breach).
    pub sla: String,
    /// Failed or excepted actions.
    pub exception_count: usize,
    /// Their descriptions.
    pub exceptions: Vec<String>,
    /// Evidence records.
    pub record_count: u64,
    /// Hash of the last record.
    pub chain_head: String,
    /// The seal's hash.
    pub seal_hash: Option<String>,
    /// The ledger position.
    pub ledger_seq: Option<u64>,
    /// Whether the store enforced immutability for this case.
    pub worm_enforced: bool,
}

/// The population-completeness section: the leavers HR reports for the period (from the
/// latest scan that read every population source), the case offboard holds for each, and
/// every difference by name, both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completeness {
    /// What the section selects, in words.
    pub query: String,
    /// The scan HR's leavers were read from: its id, ledger position, end, and each source's
    /// snapshot digest and row count. Absent when no scan has read every source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<PopulationScan>,
    /// Why there are no rows to show, when there cannot be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Leavers HR reports for the period.
    pub hr_leavers: usize,
    /// Of them, those offboard holds a case for.
    pub with_case: usize,
    /// Rows that are a difference (`no_case`, `no_account`, `not_in_hr`).
    pub differences: usize,
    /// SHA-256 (hex) of the RFC 8785 canonical JSON of `rows`.
    pub sha256: String,
    /// One row per person, by time then name.
    pub rows: Vec<CompletenessRow>,
}

/// The JSON export: the meta, the rows whose canonical JSON `meta.sha256` hashes, and the
/// population-completeness section (hashed on its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminationsReport {
    /// The facts about the export.
    pub meta: ReportMeta,
    /// One row per leaver, by effective time then case id.
    pub rows: Vec<ReportRow>,
    /// HR's leavers of the period against offboard's cases.
    pub completeness: Completeness,
}
