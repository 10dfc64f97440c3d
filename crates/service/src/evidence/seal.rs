//! Sealing a finished case (or a ghost-access scan) and the append-only ledger of seals:
//! its length, reading an entry, finding a case's entry and appending the next one.

use offboard_core::case::Case;
use offboard_core::evidence::{
    Chain, IndexEntry, LedgerEntry, RecordBody, Seal, SlaOutcome, period_of,
};
use offboard_core::ids::CaseId;
use offboard_core::ports::EvidenceStoreError;

use crate::etag::{self, Change};

use super::{Evidence, EvidenceFailure, RETRIES};

impl Evidence {
    /// Seals an ended case again after a record was added to it without reopening it (a
    /// rescind that came too late to restore, recorded on the case): the next generation
    /// keeps the SLA outcome the latest seal measured, so noting something later never
    /// changes how fast access was removed. A case never sealed is sealed with no SLA.
    pub async fn reseal(&self, case: &Case) -> Result<(Seal, LedgerEntry), EvidenceFailure> {
        let period = period_of(case.event.effective_at());
        let sla = match self.store.seal(&period, &case.id).await? {
            Some(Ok(s)) => s.sla,
            Some(Err(detail)) => {
                return Err(EvidenceFailure::Corrupt {
                    case_id: case.id.clone(),
                    detail,
                });
            }
            None => Self::no_sla(case, None),
        };
        self.seal(case, sla).await
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

    /// Writes the one record of a standalone chain (a ghost-access scan's, a person's
    /// activity) under `chain_id` in `period`, seals it and appends the seal to the ledger, so
    /// `offboard verify --ledger` covers it as it covers cases. Such a chain has no index row:
    /// it is not a termination. The seal's digest is of the record's `details` as stored (after
    /// any redaction), in RFC 8785 canonical form, which is what the verifier recomputes.
    pub async fn seal_standalone(
        &self,
        period: &str,
        chain_id: &CaseId,
        body: RecordBody,
    ) -> Result<(Seal, LedgerEntry), EvidenceFailure> {
        let record = Chain::new(chain_id.clone()).next(body)?;
        let canonical = record
            .body
            .details
            .as_ref()
            .map(serde_json_canonicalizer::to_string)
            .transpose()
            .map_err(|e| EvidenceFailure::Corrupt {
                case_id: chain_id.clone(),
                detail: format!("the record's details cannot be canonicalised: {e}"),
            })?
            .unwrap_or_default();
        let digest = offboard_core::ids::Sha256Digest::of(canonical.as_bytes());
        self.store.put_record(period, &record).await?;
        let now = self.clock.now();
        let seal = Seal::new(
            chain_id.clone(),
            std::slice::from_ref(&record),
            digest,
            "completed",
            SlaOutcome {
                target_minutes: None,
                measured_from: record.body.started_at,
                access_removed_at: None,
                met: None,
            },
            self.store.worm(),
            now,
        )?;
        self.store.put_seal(period, &seal).await?;
        let entry = self.append_ledger(&seal, period).await?;
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

    pub(super) async fn ledger_at(&self, seq: u64) -> Result<Option<LedgerEntry>, EvidenceFailure> {
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
    pub(super) async fn find_ledger_entry(
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
        // Seals in this instance take turns at the ledger, each after the entry the last one
        // wrote; a position another instance took is a `Conflict`, and the head is read again.
        let mut known = self.heads.ledger.lock().await;
        for _ in 0..RETRIES {
            let prev = match known.take() {
                Some(head) => Some(head),
                None => match self.ledger_len().await? {
                    0 => None,
                    n => self.ledger_at(n - 1).await?,
                },
            };
            let entry = LedgerEntry::next(prev.as_ref(), seal, period)?;
            match self.store.put_ledger_entry(&entry).await {
                Ok(()) => {
                    *known = Some(entry.clone());
                    return Ok(entry);
                }
                Err(EvidenceStoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EvidenceFailure::Contended(seal.case_id.clone()))
    }
}
