//! Writing, sealing, reading and verifying a case's evidence, and keeping the compliance
//! index in step with it.
//!
//! Every write is create-only: a record's position, a seal and a ledger position can each be
//! taken once. Concurrent writers (steps of one case run in parallel) lose a position race
//! with `Conflict`, re-read the chain head and try the next position, so the chain stays
//! linear without locks.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use offboard_core::case::Case;
use offboard_core::evidence::verify::{self, CaseEvidence, Finding, Report};
use offboard_core::evidence::{
    Chain, EvidenceError, EvidenceRecord, IndexEntry, LedgerEntry, Outcome, Packet, RecordBody,
    Seal, SlaOutcome, WormStatus, hr_trigger_body, period_of,
};
use offboard_core::ids::CaseId;
use offboard_core::ports::{
    CaseIndex, ETag, EvidenceStore, EvidenceStoreError, StoreError, StoredRecord,
};

use crate::clock::Clock;
use crate::etag::{self, Change};

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

    async fn head(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<EvidenceRecord>, EvidenceFailure> {
        match self.store.last_record(period, case_id).await? {
            None => Ok(None),
            Some(StoredRecord { record: Ok(r), .. }) => Ok(Some(r)),
            Some(StoredRecord {
                record: Err(e),
                position,
            }) => Err(EvidenceFailure::Corrupt {
                case_id: case_id.clone(),
                detail: format!("record {position}: {e}"),
            }),
        }
    }

    /// Records HR's trigger as the case's first record. Idempotent: if the case already has
    /// evidence, nothing is written.
    pub async fn record_trigger(&self, case: &Case) -> Result<(), EvidenceFailure> {
        let period = period_of(case.event.effective_at());
        if self.head(&period, &case.id).await?.is_some() {
            return Ok(());
        }
        let record = Chain::new(case.id.clone()).next(hr_trigger_body(
            &case.event,
            &self.actor,
            case.status.as_str(),
        ))?;
        match self.store.put_record(&period, &record).await {
            Ok(()) => {}
            // A concurrent delivery recorded it first.
            Err(EvidenceStoreError::Conflict { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        self.index_record(&period, &record).await
    }

    /// Appends a record to the case's chain and folds it into the index.
    pub async fn append(
        &self,
        case: &Case,
        body: RecordBody,
    ) -> Result<EvidenceRecord, EvidenceFailure> {
        let period = period_of(case.event.effective_at());
        for _ in 0..RETRIES {
            let chain = match self.head(&period, &case.id).await? {
                None => {
                    return Err(EvidenceFailure::Corrupt {
                        case_id: case.id.clone(),
                        detail: "the case has no HR trigger record".into(),
                    });
                }
                Some(last) => Chain::after(&last),
            };
            let record = chain.next(body.clone())?;
            match self.store.put_record(&period, &record).await {
                Ok(()) => {
                    self.index_record(&period, &record).await?;
                    return Ok(record);
                }
                Err(EvidenceStoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EvidenceFailure::Contended(case.id.clone()))
    }

    /// The body of a record of something offboard itself did or found (not a call to an
    /// outside service, so no request, response or read-back), acted by this service's
    /// actor at `at`. Callers add what they know with struct update syntax.
    pub fn body(
        &self,
        step: &str,
        target_system: &str,
        action: impl Into<String>,
        outcome: Outcome,
        at: DateTime<Utc>,
    ) -> RecordBody {
        RecordBody {
            step: step.to_owned(),
            target_system: target_system.to_owned(),
            action: action.into(),
            target_ids: Vec::new(),
            request: None,
            response_status: None,
            service_request_id: None,
            read_back: None,
            started_at: at,
            ended_at: at,
            actor: self.actor.clone(),
            outcome,
            reason: None,
            details: None,
        }
    }

    /// A record of what happened to the case itself (cancelled, completed), which also
    /// sets the status the index shows.
    pub fn case_status_body(
        &self,
        case: &Case,
        action: &str,
        reason: Option<String>,
    ) -> RecordBody {
        RecordBody {
            target_ids: vec![case.id.to_string()],
            reason,
            details: Some(serde_json::json!({"caseStatus": case.status})),
            ..self.body("case", "offboard", action, Outcome::Noted, self.clock.now())
        }
    }

    /// Records that the case moved to its current status (`note` says why), so the index
    /// and the evidence show every transition.
    pub async fn record_status(
        &self,
        case: &Case,
        note: &str,
    ) -> Result<EvidenceRecord, EvidenceFailure> {
        let body = self.case_status_body(
            case,
            &format!("case {}", case.status),
            Some(note.to_owned()),
        );
        self.append(case, body).await
    }

    async fn index_record(
        &self,
        period: &str,
        record: &EvidenceRecord,
    ) -> Result<(), EvidenceFailure> {
        let worm = matches!(self.store.worm(), WormStatus::Enforced { .. });
        etag::update(
            RETRIES,
            || async move {
                match self.index.get(period, &record.case_id).await? {
                    None if record.seq != 0 => {
                        // The trigger's index write was lost: rebuild the entry from the
                        // store (the rebuilt entry already holds this record).
                        self.rebuild_entry(period, &record.case_id).await?;
                        Ok(self.index.get(period, &record.case_id).await?)
                    }
                    found => Ok::<_, EvidenceFailure>(found),
                }
            },
            |slot: &mut Option<IndexEntry>| match slot {
                Some(entry) => {
                    entry.apply(record);
                    Ok(Change::Write(()))
                }
                None if record.seq == 0 => {
                    let entry = IndexEntry::from_trigger(period, record, worm).map_err(|e| {
                        EvidenceFailure::Corrupt {
                            case_id: record.case_id.clone(),
                            detail: e.to_string(),
                        }
                    })?;
                    *slot = Some(entry);
                    Ok(Change::Write(()))
                }
                None => Ok(Change::ReadAgain),
            },
            |entry, etag| self.put_index(entry, etag),
        )
        .await?
        .map(|_| ())
        .ok_or_else(|| EvidenceFailure::Contended(record.case_id.clone()))
    }

    /// Rebuilds the index entry of every case the evidence store holds in the periods
    /// `[from, to]` (`YYYY-MM`, inclusive): after an index was lost or damaged, or to
    /// replace it by what the evidence says. A case whose evidence cannot be read is listed
    /// in the report (run `offboard verify` on it) and the others are still rebuilt.
    /// `progress` is called after each case with (done, total).
    pub async fn rebuild_index(
        &self,
        from: &str,
        to: &str,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<RebuildReport, EvidenceFailure> {
        let mut cases = Vec::new();
        for period in self.store.periods().await? {
            if period.as_str() >= from && period.as_str() <= to {
                for id in self.store.cases_in_period(&period).await? {
                    cases.push((period.clone(), id));
                }
            }
        }
        let mut report = RebuildReport::default();
        let total = cases.len();
        for (i, (period, id)) in cases.into_iter().enumerate() {
            match self.rebuild_entry(&period, &id).await {
                Ok(_) => report.rebuilt += 1,
                Err(EvidenceFailure::Corrupt { case_id, detail }) => {
                    report.failed.push((case_id, detail));
                }
                Err(e) => return Err(e),
            }
            progress(i + 1, total);
        }
        Ok(report)
    }

    /// Rebuilds one case's index entry from the evidence store (and returns it).
    pub async fn rebuild_entry(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<IndexEntry, EvidenceFailure> {
        let records = self.store.records(period, case_id).await?;
        let worm = matches!(self.store.worm(), WormStatus::Enforced { .. });
        let mut parsed = Vec::new();
        for r in records {
            parsed.push(r.record.map_err(|e| EvidenceFailure::Corrupt {
                case_id: case_id.clone(),
                detail: e,
            })?);
        }
        let first = parsed.first().ok_or_else(|| EvidenceFailure::Corrupt {
            case_id: case_id.clone(),
            detail: "no records".into(),
        })?;
        let mut entry = IndexEntry::from_trigger(period, first, worm).map_err(|e| {
            EvidenceFailure::Corrupt {
                case_id: case_id.clone(),
                detail: e.to_string(),
            }
        })?;
        for r in &parsed[1..] {
            entry.apply(r);
        }
        if let Some(Ok(seal)) = self.store.seal(period, case_id).await? {
            entry.apply_seal(&seal);
            if let Some(found) = self.find_ledger_entry(case_id, None).await? {
                entry.ledger_seq = Some(found.seq);
            }
        }
        etag::update(
            RETRIES,
            || async move { Ok::<_, EvidenceFailure>(self.index.get(period, case_id).await?) },
            |slot: &mut Option<IndexEntry>| {
                *slot = Some(entry.clone());
                Ok(Change::Write(()))
            },
            |row, etag| self.put_index(row, etag),
        )
        .await?
        .ok_or_else(|| EvidenceFailure::Contended(case_id.clone()))?;
        Ok(entry)
    }

    /// Writes an index row under `etag` (create-if-absent without one): the write half of
    /// [`etag::update`] for the index.
    async fn put_index(&self, entry: IndexEntry, etag: Option<ETag>) -> Result<(), StoreError> {
        self.index.put(&entry, etag.as_ref()).await.map(|_| ())
    }

    /// Seals a finished case and appends the seal to the ledger. Idempotent: when the
    /// latest seal already covers every record it is returned with its ledger entry; a case
    /// that gained records after its seal (reopened by a remediation retry) is sealed again
    /// with the next generation.
    pub async fn seal(
        &self,
        case: &Case,
        sla: SlaOutcome,
    ) -> Result<(Seal, LedgerEntry), EvidenceFailure> {
        let period = period_of(case.event.effective_at());
        let mut records = Vec::new();
        for r in self.store.records(&period, &case.id).await? {
            records.push(r.record.map_err(|e| EvidenceFailure::Corrupt {
                case_id: case.id.clone(),
                detail: e,
            })?);
        }
        let latest = match self.store.seal(&period, &case.id).await? {
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                return Err(EvidenceFailure::Corrupt {
                    case_id: case.id.clone(),
                    detail: e,
                });
            }
            None => None,
        };
        let seal = match latest {
            Some(s) if s.records.len() == records.len() => s,
            previous => {
                let seal = match &previous {
                    None => Seal::new(
                        case.id.clone(),
                        &records,
                        case.event.body_sha256().clone(),
                        case.status.as_str(),
                        sla,
                        self.store.worm(),
                        self.clock.now(),
                    )?,
                    Some(p) => p.next_generation(
                        &records,
                        case.event.body_sha256().clone(),
                        case.status.as_str(),
                        sla,
                        self.store.worm(),
                        self.clock.now(),
                    )?,
                };
                match self.store.put_seal(&period, &seal).await {
                    Ok(()) => seal,
                    Err(EvidenceStoreError::Conflict { .. }) => {
                        match self.store.seal(&period, &case.id).await? {
                            Some(Ok(s)) => s,
                            _ => {
                                return Err(EvidenceFailure::Corrupt {
                                    case_id: case.id.clone(),
                                    detail: "seal unreadable".into(),
                                });
                            }
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let entry = match self.find_ledger_entry(&case.id, Some(&seal.hash)).await? {
            Some(e) => e,
            None => self.append_ledger(&seal, &period).await?,
        };
        let period = &period;
        etag::update(
            RETRIES,
            || async move {
                match self.index.get(period, &case.id).await? {
                    None => {
                        self.rebuild_entry(period, &case.id).await?;
                        Ok(self.index.get(period, &case.id).await?)
                    }
                    found => Ok::<_, EvidenceFailure>(found),
                }
            },
            |slot: &mut Option<IndexEntry>| match slot {
                Some(row) => {
                    row.apply_seal(&seal);
                    row.ledger_seq = Some(entry.seq);
                    Ok(Change::Write(()))
                }
                None => Ok(Change::ReadAgain),
            },
            |row, etag| self.put_index(row, etag),
        )
        .await?
        .ok_or_else(|| EvidenceFailure::Contended(case.id.clone()))?;
        Ok((seal, entry))
    }

    /// Whether the case's latest seal covers every record it has.
    pub async fn is_sealed(&self, case: &Case) -> Result<bool, EvidenceFailure> {
        let period = period_of(case.event.effective_at());
        let Some(Ok(seal)) = self.store.seal(&period, &case.id).await? else {
            return Ok(false);
        };
        let last = self.head(&period, &case.id).await?;
        Ok(last.is_some_and(|r| seal.records.last().is_some_and(|e| e.seq == r.seq)))
    }

    /// The number of ledger entries (the next free position). Positions are taken in order
    /// and never freed, so the first free one is found by galloping then bisecting.
    pub async fn ledger_len(&self) -> Result<u64, EvidenceFailure> {
        let exists =
            |seq: u64| async move { self.store.ledger_entry(seq).await.map(|e| e.is_some()) };
        if !exists(0).await? {
            return Ok(0);
        }
        let mut lo = 0u64; // known to exist
        let mut step = 1u64;
        let mut hi = loop {
            let probe = lo + step;
            if exists(probe).await? {
                lo = probe;
                step *= 2;
            } else {
                break probe; // known free
            }
        };
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if exists(mid).await? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(hi)
    }

    async fn ledger_at(&self, seq: u64) -> Result<Option<LedgerEntry>, EvidenceFailure> {
        match self.store.ledger_entry(seq).await? {
            None => Ok(None),
            Some(Ok(e)) => Ok(Some(e)),
            Some(Err(e)) => Err(EvidenceFailure::Corrupt {
                case_id: CaseId::derive("ledger", &seq.to_string()),
                detail: format!("ledger entry {seq}: {e}"),
            }),
        }
    }

    /// Finds the latest ledger entry of `case_id` (of the seal with `seal_hash`, when given)
    /// among the most recent entries.
    async fn find_ledger_entry(
        &self,
        case_id: &CaseId,
        seal_hash: Option<&offboard_core::ids::Sha256Digest>,
    ) -> Result<Option<LedgerEntry>, EvidenceFailure> {
        let len = self.ledger_len().await?;
        // A seal is appended right after it is written; a crash in between leaves the
        // entry (if any) near the head.
        for seq in (len.saturating_sub(512)..len).rev() {
            if let Some(e) = self.ledger_at(seq).await?
                && &e.case_id == case_id
                && seal_hash.is_none_or(|h| &e.seal_hash == h)
            {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    async fn append_ledger(
        &self,
        seal: &Seal,
        period: &str,
    ) -> Result<LedgerEntry, EvidenceFailure> {
        for _ in 0..RETRIES {
            let len = self.ledger_len().await?;
            let prev = match len {
                0 => None,
                n => self.ledger_at(n - 1).await?,
            };
            let entry = LedgerEntry::next(prev.as_ref(), seal, period)?;
            match self.store.put_ledger_entry(&entry).await {
                Ok(()) => return Ok(entry),
                Err(EvidenceStoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EvidenceFailure::Contended(seal.case_id.clone()))
    }

    /// The downloadable packet of a case.
    pub async fn packet(&self, period: &str, case_id: &CaseId) -> Result<Packet, EvidenceFailure> {
        let mut records = Vec::new();
        for r in self.store.records(period, case_id).await? {
            records.push(r.record.map_err(|e| EvidenceFailure::Corrupt {
                case_id: case_id.clone(),
                detail: e,
            })?);
        }
        let seal = match self.store.seal(period, case_id).await? {
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                return Err(EvidenceFailure::Corrupt {
                    case_id: case_id.clone(),
                    detail: e,
                });
            }
            None => None,
        };
        let entry = match self
            .index
            .get(period, case_id)
            .await?
            .and_then(|v| v.value.ledger_seq)
        {
            Some(seq) => self.ledger_at(seq).await?,
            None if seal.is_some() => self.find_ledger_entry(case_id, None).await?,
            None => None,
        };
        let previous = match &entry {
            Some(e) if e.seq > 0 => self.ledger_at(e.seq - 1).await?,
            _ => None,
        };
        Ok(Packet::new(
            case_id.clone(),
            self.store.worm(),
            records,
            seal,
            entry,
            previous,
            self.clock.now(),
        ))
    }

    /// Verifies one case as stored, and compares the index with it.
    pub async fn verify_stored_case(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Report, EvidenceFailure> {
        let stored = self.store.records(period, case_id).await?;
        let mut findings = Vec::new();
        let mut positioned = Vec::new();
        for r in stored {
            match r.record {
                Ok(rec) => positioned.push((r.position, rec)),
                Err(e) => findings.push(Finding::RecordModified {
                    case_id: case_id.clone(),
                    seq: r.position,
                    detail: format!("not a readable record ({e})"),
                }),
            }
        }
        let seal = match self.store.seal(period, case_id).await? {
            Some(Ok(s)) => Some(s),
            Some(Err(_)) => {
                findings.push(Finding::SealAltered {
                    case_id: case_id.clone(),
                });
                None
            }
            None => None,
        };
        let index = self.index.get(period, case_id).await?.map(|v| v.value);
        let final_status = index.as_ref().is_some_and(|e| {
            matches!(
                e.status.as_str(),
                "completed" | "completed_with_exceptions" | "cancelled"
            )
        }) || seal.is_some();
        let entry = match index.as_ref().and_then(|e| e.ledger_seq) {
            Some(seq) => self.ledger_at(seq).await?,
            None if seal.is_some() => self.find_ledger_entry(case_id, None).await?,
            None => None,
        };
        let mut report = verify::verify_case(&CaseEvidence {
            case_id,
            records: &positioned,
            seal: seal.as_ref(),
            must_be_sealed: final_status,
            ledger_entry: entry.as_ref(),
        });
        report.findings.splice(0..0, findings);
        match index {
            None => report.findings.push(Finding::IndexMismatch {
                case_id: case_id.clone(),
                detail: "evidence exists but the index has no entry".into(),
            }),
            Some(ix) => {
                let stored_count = positioned.len() as u64;
                if ix.record_count != stored_count {
                    report.findings.push(Finding::IndexMismatch {
                        case_id: case_id.clone(),
                        detail: format!(
                            "index counts {} records, the store holds {stored_count}",
                            ix.record_count
                        ),
                    });
                }
                let head = positioned
                    .iter()
                    .max_by_key(|(_, r)| r.seq)
                    .map(|(_, r)| r.hash.clone());
                if head.is_some() && head.as_ref() != Some(&ix.chain_head) {
                    report.findings.push(Finding::IndexMismatch {
                        case_id: case_id.clone(),
                        detail: "index chain head differs from the last stored record".into(),
                    });
                }
                if ix.seal_hash.as_ref() != seal.as_ref().map(|s| &s.hash) {
                    report.findings.push(Finding::IndexMismatch {
                        case_id: case_id.clone(),
                        detail: "index seal hash differs from the stored seal".into(),
                    });
                }
            }
        }
        if let Some(w) = self.store.worm().warning()
            && !report.warnings.contains(&w)
        {
            report.warnings.push(w);
        }
        Ok(report)
    }

    /// Verifies the whole ledger, every case sealed in `[from, to]` periods (inclusive,
    /// `YYYY-MM`), and that the index and the store list the same cases in those periods.
    pub async fn verify_period(&self, from: &str, to: &str) -> Result<Report, EvidenceFailure> {
        let len = self.ledger_len().await?;
        let mut entries = Vec::new();
        let mut report = Report::default();
        let mut expected = 0u64;
        let mut seq = 0u64;
        // Read past holes: a deleted entry must show as a gap, not end the ledger.
        let mut misses = 0;
        while seq < len || misses < 64 {
            match self.store.ledger_entry(seq).await? {
                Some(Ok(e)) => {
                    entries.push(e);
                    misses = 0;
                }
                Some(Err(_)) => {
                    report.findings.push(Finding::LedgerEntryAltered { seq });
                    misses = 0;
                }
                None => {
                    if seq >= len {
                        misses += 1;
                    }
                }
            }
            seq += 1;
            expected = expected.max(seq);
            if seq >= len && misses >= 64 {
                break;
            }
        }
        let _ = expected;
        report.merge(verify::verify_ledger(&entries, 0));
        // Every entry was checked once above; a case's own check of its entry (merged below)
        // is the same entry again, so the count stays what was read.
        let ledger_entries_checked = report.ledger_entries_checked;
        let in_range = |p: &str| p >= from && p <= to;
        // A case has one ledger entry per seal generation, in order: the last must record
        // the latest seal, the one before it the seal that one replaced.
        let mut by_case: std::collections::BTreeMap<&CaseId, Vec<&LedgerEntry>> =
            std::collections::BTreeMap::new();
        for e in entries.iter().filter(|e| in_range(&e.period)) {
            by_case.entry(&e.case_id).or_default().push(e);
        }
        for (case_id, case_entries) in by_case {
            let Some(last) = case_entries.last() else {
                continue;
            };
            let stored = self.store.records(&last.period, case_id).await?;
            if stored.is_empty() {
                report.findings.push(Finding::CaseRemoved {
                    case_id: case_id.clone(),
                });
                continue;
            }
            let case_report = self.verify_stored_case(&last.period, case_id).await?;
            report.merge(case_report);
            if let Some(Ok(seal)) = self.store.seal(&last.period, case_id).await? {
                if seal.hash != last.seal_hash {
                    report.findings.push(Finding::LedgerMismatch {
                        case_id: case_id.clone(),
                        detail: format!("ledger entry {} records a different seal hash", last.seq),
                    });
                }
                if case_entries.len() as u64 != u64::from(seal.generation) + 1 {
                    report.findings.push(Finding::LedgerMismatch {
                        case_id: case_id.clone(),
                        detail: format!(
                            "{} ledger entries for a case sealed {} time(s)",
                            case_entries.len(),
                            seal.generation + 1
                        ),
                    });
                }
                if case_entries.len() >= 2 {
                    let before = case_entries[case_entries.len() - 2];
                    if seal.previous.as_ref() != Some(&before.seal_hash) {
                        report.findings.push(Finding::LedgerMismatch {
                            case_id: case_id.clone(),
                            detail: format!(
                                "ledger entry {} is not the seal this one replaced",
                                before.seq
                            ),
                        });
                    }
                }
            }
        }
        let ledgered: std::collections::BTreeSet<&CaseId> =
            entries.iter().map(|e| &e.case_id).collect();
        for period in self
            .store
            .periods()
            .await?
            .into_iter()
            .filter(|p| in_range(p))
        {
            let in_store = self.store.cases_in_period(&period).await?;
            let in_index = self.index.list_period(&period).await?;
            for ix in &in_index {
                if !in_store.contains(&ix.id) {
                    report.findings.push(Finding::CaseRemoved {
                        case_id: ix.id.clone(),
                    });
                } else if ix.seal_hash.is_some() && !ledgered.contains(&ix.id) {
                    report.findings.push(Finding::LedgerEntryMissing {
                        case_id: ix.id.clone(),
                    });
                }
            }
            for id in &in_store {
                if !ledgered.contains(id) {
                    // Open cases are not in the ledger yet: verify them as open cases.
                    let r = self.verify_stored_case(&period, id).await?;
                    report.merge(r);
                }
            }
        }
        if let Some(w) = self.store.worm().warning()
            && !report.warnings.contains(&w)
        {
            report.warnings.push(w);
        }
        report.ledger_entries_checked = ledger_entries_checked;
        Ok(report)
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
