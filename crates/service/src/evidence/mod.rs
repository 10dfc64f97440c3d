//! Writing, sealing, reading and verifying a case's evidence, and keeping the compliance
//! index in step with it.
//!
//! Every write is create-only: a record's position, a seal and a ledger position can each be
//! taken once. Concurrent writers (steps of one case run in parallel, in several instances)
//! lose a position race with `Conflict`, re-read the chain head and try the next position, so
//! the chain stays linear without distributed locks. Within one instance, appends to one case
//! take turns from the head the last one left (`heads`), so they rarely race at all.
//!
//! This file holds the failure type, the `Evidence` service and its accessors; the use
//! cases are one file per part: `append` (records and the index), `seal` (seals and the
//! ledger), `read` (packets and verifying) and `rebuild` (the index from the store).

use chrono::{DateTime, Utc};
use std::sync::Arc;

use offboard_core::case::Case;
use offboard_core::evidence::{EvidenceError, SlaOutcome, WormStatus};
use offboard_core::ids::CaseId;
use offboard_core::ports::{CaseIndex, EvidenceStore, EvidenceStoreError, StoreError};

use crate::clock::Clock;

mod activity;
mod append;
mod heads;
mod read;
mod rebuild;
mod seal;

/// Why evidence could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceFailure {
    /// The evidence store failed.
    #[error(transparent)]
    Store(#[from] EvidenceStoreError),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] StoreError),
    /// The record could not be built (a secret was about to be recorded: a bug).
    #[error(transparent)]
    Record(#[from] EvidenceError),
    /// Stored evidence is unreadable or inconsistent: run `offboard verify`.
    #[error(
        "stored evidence of case {case_id} is unreadable: {detail}; run `offboard verify --case {case_id}`"
    )]
    Corrupt {
        /// The case.
        case_id: CaseId,
        /// What was wrong.
        detail: String,
    },
    /// Too many concurrent writers for one position.
    #[error(
        "could not append to the evidence of case {0} after repeated position conflicts; retry"
    )]
    Contended(CaseId),
}

impl EvidenceFailure {
    /// Whether retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(EvidenceStoreError::Unavailable { .. }) | Self::Contended(_) => true,
            Self::Index(e) => e.is_transient(),
            _ => false,
        }
    }
}

/// How many times a position or ETag race is retried.
const RETRIES: usize = 20;

/// The evidence use cases.
#[derive(Clone)]
pub struct Evidence {
    store: Arc<dyn EvidenceStore>,
    index: Arc<dyn CaseIndex>,
    actor: String,
    clock: Arc<dyn Clock>,
    /// The chain heads this instance knows, shared by every clone.
    heads: Arc<heads::ChainHeads>,
}

/// What [`Evidence::rebuild_index`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildReport {
    /// Cases whose entry was rebuilt from their evidence.
    pub rebuilt: usize,
    /// Cases whose evidence could not be read, with why.
    pub failed: Vec<(CaseId, String)>,
}

impl Evidence {
    /// Evidence over a store and an index; `actor` names who acts (recorded in each record).
    pub fn new(
        store: Arc<dyn EvidenceStore>,
        index: Arc<dyn CaseIndex>,
        actor: impl Into<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            index,
            actor: actor.into(),
            clock,
            heads: Arc::default(),
        }
    }

    /// The same evidence as a new instance (a restarted worker) sees it: no chain heads known.
    #[cfg(test)]
    pub(crate) fn as_new_instance(&self) -> Self {
        Self {
            heads: Arc::default(),
            ..self.clone()
        }
    }

    /// Whether the store enforces immutability.
    pub fn worm(&self) -> WormStatus {
        self.store.worm()
    }

    /// Who acts.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The evidence store.
    pub fn store(&self) -> &Arc<dyn EvidenceStore> {
        &self.store
    }

    /// The index.
    pub fn index(&self) -> &Arc<dyn CaseIndex> {
        &self.index
    }

    /// The SLA outcome of a case without a deadline (cancelled, or no policy).
    pub fn no_sla(case: &Case, access_removed_at: Option<DateTime<Utc>>) -> SlaOutcome {
        SlaOutcome {
            target_minutes: None,
            measured_from: case.event.effective_at(),
            access_removed_at,
            met: None,
        }
    }
}
