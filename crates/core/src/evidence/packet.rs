//! The evidence packet: everything needed to verify one case offline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::canonical::millis;
use super::ledger::LedgerEntry;
use super::record::EvidenceRecord;
use super::seal::{Seal, WormStatus};
use crate::ids::CaseId;

/// The schema id of a packet.
pub const PACKET_SCHEMA: &str = "offboard.evidence.packet/v1";

/// A case's evidence, as downloaded by an auditor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Packet {
    /// `offboard.evidence.packet/v1`.
    pub schema: String,
    /// The case.
    pub case_id: CaseId,
    /// When the packet was produced.
    #[serde(with = "millis")]
    pub generated_at: DateTime<Utc>,
    /// Whether the store enforced immutability.
    pub worm: WormStatus,
    /// Present when immutability is not enforced: `WORM not enforced: ...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The records in chain order.
    pub records: Vec<EvidenceRecord>,
    /// The seal, once the case is finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<Seal>,
    /// The case's ledger entry, once sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_entry: Option<LedgerEntry>,
    /// The entry before it, so the link can be checked offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_previous: Option<LedgerEntry>,
}

impl Packet {
    /// Assembles a packet.
    pub fn new(
        case_id: CaseId,
        worm: WormStatus,
        records: Vec<EvidenceRecord>,
        seal: Option<Seal>,
        ledger_entry: Option<LedgerEntry>,
        ledger_previous: Option<LedgerEntry>,
        generated_at: DateTime<Utc>,
    ) -> Self {
        Self {
            schema: PACKET_SCHEMA.to_owned(),
            case_id,
            generated_at: millis::trunc(generated_at),
            warning: worm.warning(),
            worm,
            records,
            seal,
            ledger_entry,
            ledger_previous,
        }
    }
}
