//! Reading evidence back and verifying it: a case's downloadable packet, one case as
//! stored against its seal, ledger entry and index row, and a range of periods with the
//! whole ledger.

use offboard_core::evidence::verify::{self, CaseEvidence, Finding, Report};
use offboard_core::evidence::{LedgerEntry, Packet};
use offboard_core::ids::CaseId;

use super::{Evidence, EvidenceFailure};

impl Evidence {
    /// The downloadable packet of a case.
    pub async fn packet(&self, period: &str, case_id: &CaseId) -> Result<Packet, EvidenceFailure> {
        let seq = self
            .index
            .get(period, case_id)
            .await?
            .and_then(|v| v.value.ledger_seq);
        self.packet_at(period, case_id, seq).await
    }

    /// The packet of a scan's chain, whose ledger position the caller knows (a scan has no
    /// index row to say it).
    pub async fn scan_packet(
        &self,
        period: &str,
        chain: &CaseId,
        ledger_seq: u64,
    ) -> Result<Packet, EvidenceFailure> {
        self.packet_at(period, chain, Some(ledger_seq)).await
    }

    async fn packet_at(
        &self,
        period: &str,
        case_id: &CaseId,
        ledger_seq: Option<u64>,
    ) -> Result<Packet, EvidenceFailure> {
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
        let entry = match ledger_seq {
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
        let standalone = positioned
            .iter()
            .any(|(p, r)| *p == 0 && offboard_core::evidence::verify::is_standalone(&r.body.step));
        let final_status = standalone
            || index.as_ref().is_some_and(|e| {
                matches!(
                    e.status.as_str(),
                    "completed" | "completed_with_exceptions" | "cancelled"
                )
            })
            || seal.is_some();
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
            // A scan or an activity is sealed evidence without an index row (not a termination).
            None if standalone => {}
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
}
