//! Rebuilding the compliance index from the evidence store: every case of a range of
//! periods, or one case's entry, and the index write they share.

use offboard_core::evidence::{IndexEntry, WormStatus};
use offboard_core::ids::CaseId;
use offboard_core::ports::{ETag, StoreError};

use crate::etag::{self, Change};

use super::{Evidence, EvidenceFailure, RETRIES, RebuildReport};

impl Evidence {
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
            if self.is_standalone(&period, &id).await? {
                progress(i + 1, total);
                continue;
            }
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
    pub(super) async fn put_index(
        &self,
        entry: IndexEntry,
        etag: Option<ETag>,
    ) -> Result<(), StoreError> {
        self.index.put(&entry, etag.as_ref()).await.map(|_| ())
    }

    /// Whether the chain `case_id` stands alone (a ghost-access scan's or a person's activity:
    /// its first record is the scan's or the activity's), which has no index row by design.
    async fn is_standalone(&self, period: &str, case_id: &CaseId) -> Result<bool, EvidenceFailure> {
        Ok(self
            .store
            .records(period, case_id)
            .await?
            .first()
            .is_some_and(|r| {
                r.record
                    .as_ref()
                    .is_ok_and(|r| offboard_core::evidence::verify::is_standalone(&r.body.step))
            }))
    }
}
