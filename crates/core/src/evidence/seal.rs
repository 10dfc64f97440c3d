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
    /// Every blob version is immutable for the retention period, as the storage service
    /// reports it.
    Enforced {
        /// Retention from the write, in days.
        retention_days: u32,
        /// The protection the service reported in effect (absent in evidence written before
        /// it was read back).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protection: Option<WormProtection>,
    },
    /// The store cannot enforce immutability (Azurite, the demo's files): every packet,
    /// report and verification says so.
    NotEnforced {
        /// Why, and what configuration said so.
        reason: String,
    },
}

/// The immutability the storage service reports in effect for evidence, read from the
/// service's own properties, not from headers the app sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WormProtection {
    /// What protects each version: `version-level default policy of the account`.
    pub scope: String,
    /// `Locked` (can only be extended) or what else the service reported.
    pub state: String,
    /// The policy's period from each version's creation, in days.
    pub period_days: u32,
}

impl WormStatus {
    /// One line for packets, reports and `verify`: the WORM mode, period and lock state.
    pub fn statement(&self) -> String {
        match self {
            Self::Enforced {
                retention_days,
                protection: Some(p),
            } => format!(
                "WORM enforced: {} {}, {} days from each version's creation (offboard asks {retention_days})",
                p.state, p.scope, p.period_days
            ),
            Self::Enforced {
                retention_days,
                protection: None,
            } => format!(
                "WORM enforced: {retention_days} days per blob (lock state not recorded with this evidence)"
            ),
            Self::NotEnforced { reason } => format!("WORM not enforced: {reason}"),
        }
    }

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

#[cfg(test)]
mod worm_statement_tests {
    use super::*;

    #[test]
    fn the_statement_names_mode_period_and_lock_state() {
        let locked = WormStatus::Enforced {
            retention_days: 2555,
            protection: Some(WormProtection {
                scope: "version-level default policy of the account".into(),
                state: "Locked".into(),
                period_days: 2555,
            }),
        };
        assert_eq!(
            locked.statement(),
            "WORM enforced: Locked version-level default policy of the account, 2555 days from each version's creation (offboard asks 2555)"
        );
        // Evidence sealed before the protection was read back says so instead of guessing.
        let older: WormStatus =
            serde_json::from_str(r#"{"mode":"enforced","retention_days":2555}"#).unwrap();
        assert!(older.statement().contains("lock state not recorded"));
        // Absent protection is not serialized: old seals keep their hashes.
        assert_eq!(
            serde_json::to_string(&older).unwrap(),
            r#"{"mode":"enforced","retention_days":2555}"#
        );
        let off = WormStatus::NotEnforced {
            reason: "OFFBOARD_EVIDENCE_WORM=off".into(),
        };
        assert_eq!(
            off.statement(),
            "WORM not enforced: OFFBOARD_EVIDENCE_WORM=off"
        );
    }
}
