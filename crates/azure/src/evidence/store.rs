//! The [`EvidenceStore`] port on the blob container: names from the layout, writes through
//! the write-once protocol, reads through the listings.

use async_trait::async_trait;
use futures::{StreamExt as _, TryStreamExt as _};
use offboard_core::evidence::{EvidenceRecord, LedgerEntry, Seal, WormStatus};
use offboard_core::ids::CaseId;
use offboard_core::ports::{EvidenceStore, EvidenceStoreError, StoredRecord};

use super::BlobEvidenceStore;
use super::layout::{
    case_prefix, check_period, ledger_name, position_of, record_name, seal_generation_name,
    seal_name,
};

/// How many blobs are read at once when a case's records are read.
const READ_CONCURRENCY: usize = 8;

fn encode<T: serde::Serialize>(what: &str, v: &T) -> Result<Vec<u8>, EvidenceStoreError> {
    serde_json::to_vec_pretty(v).map_err(|e| EvidenceStoreError::Permanent {
        detail: format!("{what} cannot be serialized: {e}"),
    })
}

#[async_trait]
impl EvidenceStore for BlobEvidenceStore {
    fn worm(&self) -> WormStatus {
        self.worm_status()
    }

    #[tracing::instrument(skip_all, fields(case_id = %record.case_id, seq = record.seq))]
    async fn put_record(
        &self,
        period: &str,
        record: &EvidenceRecord,
    ) -> Result<(), EvidenceStoreError> {
        check_period(period)?;
        let what = format!("record {} of case {}", record.seq, record.case_id);
        let bytes = encode(&what, record)?;
        self.write_once(
            &record_name(period, &record.case_id, record.seq),
            bytes,
            &what,
        )
        .await
        .map(drop)
    }

    #[tracing::instrument(skip_all, fields(case_id = %seal.case_id))]
    async fn put_seal(&self, period: &str, seal: &Seal) -> Result<(), EvidenceStoreError> {
        check_period(period)?;
        let what = format!("seal {} of case {}", seal.generation, seal.case_id);
        let bytes = encode(&what, seal)?;
        self.write_once(
            &seal_generation_name(period, &seal.case_id, seal.generation),
            bytes,
            &what,
        )
        .await
        .map(drop)
    }

    #[tracing::instrument(skip_all, fields(seq = entry.seq))]
    async fn put_ledger_entry(&self, entry: &LedgerEntry) -> Result<(), EvidenceStoreError> {
        let what = format!("ledger entry {}", entry.seq);
        let bytes = encode(&what, entry)?;
        self.write_once(&ledger_name(entry.seq), bytes, &what)
            .await
            .map(drop)
    }

    async fn records(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Vec<StoredRecord>, EvidenceStoreError> {
        check_period(period)?;
        let prefix = format!("{}records/", case_prefix(period, case_id));
        let mut positions: Vec<(u64, String, Vec<String>)> = self
            .list_versions(&prefix)
            .await?
            .into_iter()
            .filter_map(|(name, versions)| position_of(&name, &prefix).map(|p| (p, name, versions)))
            .collect();
        positions.sort();
        let reads = futures::stream::iter(positions.into_iter().map(
            |(position, name, versions)| async move {
                let record = self
                    .read_versioned::<EvidenceRecord>(&name, &versions)
                    .await?;
                Ok::<_, EvidenceStoreError>(record.map(|record| StoredRecord { position, record }))
            },
        ))
        .buffered(READ_CONCURRENCY);
        let read: Vec<Option<StoredRecord>> = reads.try_collect().await?;
        // A blob listed then gone (it cannot be deleted under WORM; with WORM off it can) is
        // left out, as a file removed meanwhile is by the file store.
        Ok(read.into_iter().flatten().collect())
    }

    async fn last_record(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<StoredRecord>, EvidenceStoreError> {
        check_period(period)?;
        let prefix = format!("{}records/", case_prefix(period, case_id));
        let last = self
            .list_versions(&prefix)
            .await?
            .into_iter()
            .filter_map(|(name, versions)| position_of(&name, &prefix).map(|p| (p, name, versions)))
            .max();
        let Some((position, name, versions)) = last else {
            return Ok(None);
        };
        Ok(self
            .read_versioned::<EvidenceRecord>(&name, &versions)
            .await?
            .map(|record| StoredRecord { position, record }))
    }

    async fn seal(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<Result<Seal, String>>, EvidenceStoreError> {
        check_period(period)?;
        // The latest generation: probe upwards from the first seal.
        let mut latest = self.read_json(&seal_name(period, case_id)).await?;
        let mut generation = 1;
        while latest.is_some() {
            match self
                .read_json(&seal_generation_name(period, case_id, generation))
                .await?
            {
                Some(next) => latest = Some(next),
                None => break,
            }
            generation += 1;
        }
        Ok(latest)
    }

    async fn ledger_entry(
        &self,
        seq: u64,
    ) -> Result<Option<Result<LedgerEntry, String>>, EvidenceStoreError> {
        self.read_json(&ledger_name(seq)).await
    }

    async fn cases_in_period(&self, period: &str) -> Result<Vec<CaseId>, EvidenceStoreError> {
        check_period(period)?;
        let prefix = format!("cases/{period}/");
        let mut out = Vec::new();
        for p in self.list_prefixes(&prefix).await? {
            let id = p
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix('/'))
                .unwrap_or_default();
            match CaseId::parse(id) {
                Ok(id) => out.push(id),
                Err(_) => {
                    tracing::warn!(prefix = %p, "a name in the evidence container is not a case; ignored")
                }
            }
        }
        out.sort();
        Ok(out)
    }

    async fn periods(&self) -> Result<Vec<String>, EvidenceStoreError> {
        let mut out: Vec<String> = self
            .list_prefixes("cases/")
            .await?
            .into_iter()
            .filter_map(|p| {
                p.strip_prefix("cases/")
                    .and_then(|rest| rest.strip_suffix('/'))
                    .map(str::to_owned)
            })
            .filter(|p| check_period(p).is_ok())
            .collect();
        out.sort();
        Ok(out)
    }
}
