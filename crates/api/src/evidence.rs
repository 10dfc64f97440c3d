//! The evidence answers: `GET /api/cases/{id}/evidence` (a [`VerifiedPacket`]), `GET
//! /api/ledger` (a [`LedgerStatus`]), and the [`Verification`] `offboard verify --json` prints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use offboard_core::evidence::verify::Finding;
use offboard_core::evidence::{Packet, WormStatus};
use offboard_core::ids::CaseId;

use crate::ms;

/// A packet with its verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedPacket {
    /// The packet, or `None` when stored evidence is unreadable (the verification says why).
    pub packet: Option<Packet>,
    /// The result of verifying it.
    pub verification: Verification,
}

/// A verification result as the API and `offboard verify --json` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// True when nothing failed.
    pub ok: bool,
    /// Cases whose evidence was checked.
    pub cases_checked: u64,
    /// Records whose hashes were recomputed.
    pub records_checked: u64,
    /// Seals checked.
    pub seals_checked: u64,
    /// Ledger entries checked.
    pub ledger_entries_checked: u64,
    /// What failed, each with a sentence for people.
    pub findings: Vec<DescribedFinding>,
    /// What must be said though it is not a failure (`WORM not enforced: ...`).
    pub warnings: Vec<String>,
}

/// A finding with its description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribedFinding {
    /// The finding (its `kind` and fields).
    #[serde(flatten)]
    pub finding: Finding,
    /// What it means, in one line.
    pub description: String,
}

/// The ledger's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerStatus {
    /// Number of entries (sealed cases).
    pub length: u64,
    /// The last entry, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<LedgerHead>,
    /// Whether the store enforces immutability.
    pub worm: WormStatus,
    /// `WORM not enforced: ...` when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The last ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerHead {
    /// Its position.
    pub seq: u64,
    /// Its hash: the head of the ledger.
    pub hash: String,
    /// The case it seals.
    pub case_id: CaseId,
    /// The case's evidence period.
    pub period: String,
    /// When the case was sealed (UTC, ms).
    #[serde(with = "ms")]
    pub sealed_at: DateTime<Utc>,
}

/// What `offboard verify --json` prints: what was checked, where, and the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyOutcome {
    /// True when the store held nothing to verify (`offboard verify` then exits 3).
    #[serde(rename = "nothingToVerify")]
    pub nothing_to_verify: bool,
    /// The store read, for people (`embedded store at DIR`, or the Azure deployment).
    pub source: String,
    /// What was checked (`the ledger and every case`, a case, a packet file).
    pub target: String,
    /// The result.
    pub verification: Verification,
}
