//! The ledger: every sealed case, chained in the order it was sealed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::canonical::{GENESIS, hash_of, millis};
use super::record::EvidenceError;
use super::seal::Seal;
use crate::ids::{CaseId, Sha256Digest};

/// The schema id stamped on every ledger entry.
pub const LEDGER_SCHEMA: &str = "offboard.evidence.ledger/v1";

/// One sealed case in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    /// `offboard.evidence.ledger/v1`.
    pub schema: String,
    /// Position in the ledger, from 0.
    pub seq: u64,
    /// The sealed case.
    pub case_id: CaseId,
    /// The case's evidence period (`YYYY-MM` of its effective time).
    pub period: String,
    /// The seal's hash.
    pub seal_hash: Sha256Digest,
    /// When the case was sealed.
    #[serde(with = "millis")]
    pub sealed_at: DateTime<Utc>,
    /// Hash of the previous entry (zeros for the first).
    pub prev_hash: Sha256Digest,
    /// SHA-256 of the canonical JSON of this entry without `hash`.
    pub hash: Sha256Digest,
}

impl LedgerEntry {
    /// The entry that appends `seal` after `prev` (or starts the ledger).
    pub fn next(
        prev: Option<&LedgerEntry>,
        seal: &Seal,
        period: &str,
    ) -> Result<Self, EvidenceError> {
        let mut e = Self {
            schema: LEDGER_SCHEMA.to_owned(),
            seq: prev.map(|p| p.seq + 1).unwrap_or(0),
            case_id: seal.case_id.clone(),
            period: period.to_owned(),
            seal_hash: seal.hash.clone(),
            sealed_at: seal.sealed_at,
            prev_hash: prev.map(|p| p.hash.clone()).unwrap_or(GENESIS),
            hash: Sha256Digest::ZERO,
        };
        e.hash = e
            .compute_hash()
            .map_err(|err| EvidenceError::Encoding(err.to_string()))?;
        Ok(e)
    }

    /// Recomputes the entry's hash.
    pub fn compute_hash(&self) -> Result<Sha256Digest, serde_json::Error> {
        hash_of(self)
    }
}
