//! The seal that closes a case's evidence.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::canonical::{hash_of, millis};
use super::record::{EvidenceError, EvidenceRecord};
use crate::ids::{CaseId, Sha256Digest};

/// The schema id stamped on every seal.
pub const SEAL_SCHEMA: &str = "offboard.evidence.seal/v1";

/// Whether the store keeps evidence immutable (write once, read many).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum WormStatus {
    /// Every blob carries a legal hold and a time-based retention policy, read back after
    /// writing.
    Enforced {
        /// Retention from the write, in days.
        retention_days: u32,
    },
    /// The store cannot enforce immutability (Azurite, the demo's files): every packet,
    /// report and verification says so.
    NotEnforced {
        /// Why, and what configuration said so.
        reason: String,
    },
}

impl WormStatus {
    /// The sentence every output carries when immutability is not enforced.
    pub fn warning(&self) -> Option<String> {
        match self {
            Self::Enforced { .. } => None,
            Self::NotEnforced { reason } => Some(format!("WORM not enforced: {reason}")),
        }
    }
}

/// Whether the case met its removal deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaOutcome {
    /// The deadline after the effective time, in minutes, for this termination kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_minutes: Option<u32>,
    /// HR's effective time: the clock starts here.
    #[serde(with = "millis")]
    pub measured_from: DateTime<Utc>,
    /// When sign-in was cut and verified, if it was.
    #[serde(
        default,
        with = "millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub access_removed_at: Option<DateTime<Utc>>,
    /// Met (true), breached (false), or no target (absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

/// One manifest line: a record's position and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealEntry {
    /// The record's sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: Sha256Digest,
}

/// The seal of a finished case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seal {
    /// `offboard.evidence.seal/v1`.
    pub schema: String,
    /// The case.
    pub case_id: CaseId,
    /// 0 for the first seal; a case reopened by a remediation retry is sealed again with the
    /// next generation, covering every record including the new ones.
    #[serde(default)]
    pub generation: u32,
    /// The hash of the previous generation's seal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Sha256Digest>,
    /// When the case was sealed.
    #[serde(with = "millis")]
    pub sealed_at: DateTime<Utc>,
    /// The case's final status.
    pub case_status: String,
    /// Every record, in order.
    pub records: Vec<SealEntry>,
    /// Hash of the last record.
    pub chain_head: Sha256Digest,
    /// SHA-256 of HR's raw request body.
    pub hr_event_sha256: Sha256Digest,
    /// The SLA outcome.
    pub sla: SlaOutcome,
    /// Whether the store enforced immutability.
    pub worm: WormStatus,
    /// SHA-256 of the canonical JSON of this seal without `hash`.
    pub hash: Sha256Digest,
}

impl Seal {
    /// Seals `records` (in chain order).
    pub fn new(
        case_id: CaseId,
        records: &[EvidenceRecord],
        hr_event_sha256: Sha256Digest,
        case_status: &str,
        sla: SlaOutcome,
        worm: WormStatus,
        sealed_at: DateTime<Utc>,
    ) -> Result<Self, EvidenceError> {
        let mut seal = Self {
            schema: SEAL_SCHEMA.to_owned(),
            case_id,
            generation: 0,
            previous: None,
            sealed_at: millis::trunc(sealed_at),
            case_status: case_status.to_owned(),
            records: records
                .iter()
                .map(|r| SealEntry {
                    seq: r.seq,
                    hash: r.hash.clone(),
                })
                .collect(),
            chain_head: records
                .last()
                .map(|r| r.hash.clone())
                .unwrap_or(Sha256Digest::ZERO),
            hr_event_sha256,
            sla: SlaOutcome {
                measured_from: millis::trunc(sla.measured_from),
                access_removed_at: sla.access_removed_at.map(millis::trunc),
                ..sla
            },
            worm,
            hash: Sha256Digest::ZERO,
        };
        seal.hash = seal
            .compute_hash()
            .map_err(|e| EvidenceError::Encoding(e.to_string()))?;
        Ok(seal)
    }

    /// The next generation's seal: covers `records` (all of them) and points at `self`.
    #[allow(clippy::too_many_arguments)]
    pub fn next_generation(
        &self,
        records: &[EvidenceRecord],
        hr_event_sha256: Sha256Digest,
        case_status: &str,
        sla: SlaOutcome,
        worm: WormStatus,
        sealed_at: DateTime<Utc>,
    ) -> Result<Self, EvidenceError> {
        let mut next = Self::new(
            self.case_id.clone(),
            records,
            hr_event_sha256,
            case_status,
            sla,
            worm,
            sealed_at,
        )?;
        next.generation = self.generation + 1;
        next.previous = Some(self.hash.clone());
        next.hash = next
            .compute_hash()
            .map_err(|e| EvidenceError::Encoding(e.to_string()))?;
        Ok(next)
    }

    /// Recomputes the seal's hash from its content.
    pub fn compute_hash(&self) -> Result<Sha256Digest, serde_json::Error> {
        hash_of(self)
    }
}
