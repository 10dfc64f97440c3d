//! The evidence a scan leaves: one record (its parameters, each source's snapshot digest and
//! row count, counts by finding type, start and end), hash-chained and sealed into the ledger
//! like a case, under a chain id derived from the scan id.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
