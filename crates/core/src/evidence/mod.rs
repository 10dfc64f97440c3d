//! Evidence an auditor can verify offline, years later.
//!
//! - One [`EvidenceRecord`] per action attempt and outcome, chained per case by
//!   `prev_hash`, each hashed with SHA-256 over its RFC 8785 canonical JSON (without the
//!   `hash` member). The first record of every case is the HR trigger as received, so the
//!   auditor's clock starts inside the evidence.
//! - A [`Seal`] closes a case: the manifest of every record hash, the chain head, the digest
//!   of HR's raw request and the SLA outcome, itself hashed.
//! - The [`LedgerEntry`] chain links sealed cases in order, so removing a whole case breaks
//!   the ledger.
//! - A [`Packet`] carries a case's records, seal and ledger entry; [`verify`] checks it with
//!   nothing but this crate.
//!
//! Nothing secret can be recorded: every free-form value passes through [`redact`], which
//! blanks sensitive keys and refuses values that look like credentials.

mod canonical;
mod canonical_ser;
mod index;
mod ledger;
mod packet;
mod period;
mod record;
pub mod redact;
mod seal;
mod summary;
pub mod verify;

#[cfg(test)]
mod tamper_tests;

pub use canonical::{GENESIS, hash_of, millis};
pub use index::{IndexEntry, IndexError, ResolvedLeaver, SLA_STEP, TimelineItem};
pub use ledger::LedgerEntry;
pub use packet::Packet;
pub use period::{Period, PeriodError, PeriodRange};
pub use record::{
    Chain, EvidenceError, EvidenceRecord, Outcome, ReadBack, RecordBody, RequestOutline,
    hr_trigger_body,
};
pub use seal::{Seal, SealEntry, SlaOutcome, WormProtection, WormStatus};
pub use summary::IndexSummary;

/// The month (`YYYY-MM`, UTC) of a case's effective time: evidence and index entries are
/// grouped by it, so a period's cases are listed without scanning everything.
pub fn period_of(effective_at: chrono::DateTime<chrono::Utc>) -> String {
    Period::of(effective_at).to_string()
}
