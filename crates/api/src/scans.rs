//! The ghost-access scan's answers: `POST /api/scans` and `GET /api/findings`.

use serde::{Deserialize, Serialize};

pub use offboard_core::reconcile::{Finding, ScanRecord};

/// What a scan did: its evidence record, the findings it saw and those it resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanAnswer {
    /// The scan, as sealed into the ledger.
    pub scan: ScanRecord,
    /// Every finding the scan saw (open), as stored.
    pub findings: Vec<Finding>,
    /// Findings this scan resolved.
    pub resolved: Vec<Finding>,
    /// The ledger position of the scan's seal (absent for a dry run, which writes nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_seq: Option<u64>,
}

/// `GET /api/findings`: the findings matching the filters, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingsPage {
    /// The findings.
    pub findings: Vec<Finding>,
}
