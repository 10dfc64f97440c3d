//! The evidence a scan leaves: one record (its parameters, each source's snapshot digest and
//! row count, counts by finding type, start and end), hash-chained and sealed into the ledger
//! like a case, under a chain id derived from the scan id.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::population::PopulationRow;
use crate::evidence::millis;
use crate::ids::{CaseId, Sha256Digest};

/// The step name of a scan's record: how the verifier tells a scan's chain from a case's.
pub const SCAN_STEP: &str = crate::evidence::verify::SCAN_STEP;

/// What one population source gave a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSummary {
    /// The source (`bamboohr`, `report`, `entra`).
    pub source: String,
    /// The setting that configures it.
    pub setting: String,
    /// SHA-256 of the bytes it returned (absent when it failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Digest>,
    /// Rows read.
    pub rows: u64,
    /// Why it failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One scan, as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanRecord {
    /// The scan's id.
    pub scan_id: String,
    /// What started it (`timer`, `api`, `cli`).
    pub trigger: String,
    /// A dry run changes nothing and stores nothing but this record.
    pub dry_run: bool,
    /// The policy it ran under (auto_open, auto_remediate, exclusions).
    pub parameters: serde_json::Value,
    /// Each source.
    pub sources: Vec<SourceSummary>,
    /// Accounts read from each directory.
    pub accounts: BTreeMap<String, u64>,
    /// Requests made to Microsoft Graph.
    pub graph_requests: u64,
    /// Findings seen, by kind.
    pub found: BTreeMap<String, u64>,
    /// Findings raised for the first time, by kind.
    pub raised: BTreeMap<String, u64>,
    /// Findings resolved by this scan, by kind.
    pub resolved: BTreeMap<String, u64>,
    /// Cases opened for missed terminations.
    pub cases_opened: Vec<CaseId>,
    /// Started.
    #[serde(with = "millis")]
    pub started_at: DateTime<Utc>,
    /// Ended.
    #[serde(with = "millis")]
    pub ended_at: DateTime<Utc>,
}

impl ScanRecord {
    /// The evidence chain id of scan `scan_id`.
    pub fn chain_id(scan_id: &str) -> CaseId {
        CaseId::derive("scan", scan_id)
    }

    /// Whether every configured source loaded.
    pub fn complete(&self) -> bool {
        self.sources.iter().all(|s| s.error.is_none())
    }
}

/// One person HR reports as having left, as a scan read them: HR's row (identifiers, name,
/// the termination as HR gave it and its kind), when access had to go, and the account the
/// scan matched them to (if any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Leaver {
    /// The population source the row came from.
    pub source: String,
    /// HR's row.
    #[serde(flatten)]
    pub row: PopulationRow,
    /// When access had to go: HR's date under the company's effective-time rule.
    #[serde(with = "millis")]
    pub left_at: DateTime<Utc>,
    /// The Entra object id of the account the scan matched the person to; none when the
    /// directory held no account for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
}

/// What a scan's evidence record holds in its `details`: the record itself, the ids of the
/// findings it saw and, when every population source loaded, HR's leavers as it read them
/// (the termination report's completeness section is built from them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedScan {
    /// The scan.
    #[serde(flatten)]
    pub record: ScanRecord,
    /// Every finding it saw.
    pub finding_ids: Vec<String>,
    /// HR's leavers (absent when a source failed: a partial population completes nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leavers: Option<Vec<Leaver>>,
}

/// Where the latest scan that read every population source is sealed: what the termination
/// report's completeness section reads HR's leavers from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PopulationScan {
    /// The scan.
    pub scan_id: String,
    /// Its evidence period (`YYYY-MM` of its start).
    pub period: String,
    /// Its ledger position.
    pub ledger_seq: u64,
    /// When it ended.
    #[serde(with = "millis")]
    pub ended_at: DateTime<Utc>,
    /// Each source's snapshot digest and row count.
    pub sources: Vec<SourceSummary>,
    /// How many leavers HR reported (of every period).
    pub leavers: u64,
}
