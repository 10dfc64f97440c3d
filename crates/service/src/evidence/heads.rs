//! The chain head this instance last wrote or read for each case it is working on, behind one
//! async lock per case.
//!
//! Steps of one case run side by side (the plan fans out to a queue message per step), and
//! each appends a record. Without this, every append listed the case's records, read the
//! last one and raced its siblings for the next position: a loser re-listed and re-read, so
//! most of a case's evidence traffic was lost races (on the admin-leaver test, 1,628 `409`s
//! for 1,141 records written). With it, appends of one case in one instance take turns, and
//! each starts from the head the previous one left, so an append is one create-only write.
//!
//! The ledger is one chain for every case: its appends in this instance take turns the same
//! way, from the entry the last one wrote, instead of finding the ledger's length by probing.
//!
//! Other instances still race: a position taken by another instance answers `Conflict`, the
//! known head is dropped and read again from the store, exactly as before. The chain's
//! correctness rests on the create-only write, not on this cache.
//!
//! Beside the head the slot keeps the case's compliance-index entry as this instance last
//! wrote it, with its ETag: the next record is folded into that copy and written on that ETag,
//! instead of reading the entry again (a Cosmos DB point read per record, and a parse of a
//! document that grows with every action). Any other writer changes the ETag, so a stale
//! copy costs one refused write and a fresh read, never a lost update.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use offboard_core::evidence::{EvidenceRecord, IndexEntry, LedgerEntry};
use offboard_core::ids::CaseId;
use offboard_core::ports::Versioned;

/// What this instance knows of one case's evidence; `None` in either: read it from the store.
#[derive(Debug, Default)]
pub(super) struct Known {
    /// The head of the case's chain.
    pub(super) head: Option<EvidenceRecord>,
    /// The case's index entry as this instance last wrote it, with the ETag it got.
    pub(super) entry: Option<Versioned<IndexEntry>>,
}

/// One case's [`Known`], locked for as long as an append to the case takes.
pub(super) type Slot = Arc<tokio::sync::Mutex<Known>>;

/// How many cases' heads are kept before the idle ones are dropped.
const KEEP: usize = 1024;

/// Each case's slot, created on first use.
#[derive(Default)]
pub(super) struct ChainHeads {
    cases: Mutex<HashMap<CaseId, Slot>>,
    /// The ledger's last entry as this instance knows it (`None`: read it from the store).
    pub(super) ledger: tokio::sync::Mutex<Option<LedgerEntry>>,
}

impl ChainHeads {
    /// The slot of `case`: lock it for as long as an append to the case takes.
    pub(super) fn slot(&self, case: &CaseId) -> Slot {
        // The map is only touched here, never across an await, so a poisoned lock still
        // holds a consistent map.
        let mut cases = self.cases.lock().unwrap_or_else(PoisonError::into_inner);
        if cases.len() >= KEEP && !cases.contains_key(case) {
            // Idle slots (no append holds them) are dropped; a dropped head is read again.
            cases.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        Arc::clone(cases.entry(case.clone()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(n: usize) -> CaseId {
        CaseId::parse(&format!("c-00000000-0000-5000-8000-{n:012}")).expect("a valid case id")
    }

    #[test]
    fn one_case_has_one_slot_and_idle_slots_go_when_the_map_is_full() {
        let heads = ChainHeads::default();
        let first = heads.slot(&case(0));
        assert!(Arc::ptr_eq(&first, &heads.slot(&case(0))));
        for n in 1..KEEP {
            drop(heads.slot(&case(n)));
        }
        assert_eq!(heads.cases.lock().map(|c| c.len()).unwrap_or(0), KEEP);
        // Full: the next new case drops every idle slot but the one still held.
        drop(heads.slot(&case(KEEP)));
        let cases = heads.cases.lock().expect("not poisoned");
        assert_eq!(cases.len(), 2);
        assert!(cases.contains_key(&case(0)) && cases.contains_key(&case(KEEP)));
        drop(cases);
        drop(first);
    }
}
