//! Evidence on the local file system, for the demo and local runs: files are created
//! exclusively (never overwritten) and made read-only, with the same layout as the blob
//! store. The file system cannot enforce immutability against its owner, so this store
//! always reports `WORM not enforced`.

use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use offboard_core::evidence::{EvidenceRecord, LedgerEntry, Seal, WormStatus};
use offboard_core::ids::CaseId;
use offboard_core::ports::{EvidenceStore, EvidenceStoreError, StoredRecord};

use crate::flush::{GroupCommit, flush_file_system};
use crate::publish::publish_once;

/// Write-once evidence files under a directory.
#[derive(Debug, Clone)]
pub struct FileEvidenceStore {
    root: PathBuf,
    /// Makes written files durable, one flush for the writers of a moment.
    flusher: Arc<GroupCommit>,
}

fn io_err(what: &str, e: std::io::Error) -> EvidenceStoreError {
    EvidenceStoreError::Permanent {
        detail: format!("{what}: {e}"),
    }
}

impl FileEvidenceStore {
    /// Opens (creating) the store at `root`.
    pub fn open(root: &Path) -> Result<Self, EvidenceStoreError> {
        // The flush holds the directory open: it must exist first.
        crate::private::create_dir(root)
            .map_err(|e| io_err("creating the evidence directory", e))?;
        let flush =
            flush_file_system(root).map_err(|e| io_err("starting the evidence flusher", e))?;
        Self::open_with_flush(root, flush)
    }

    /// [`Self::open`] with the flush that makes a batch of files durable.
    fn open_with_flush(
        root: &Path,
        flush: Box<crate::flush::FlushFn>,
    ) -> Result<Self, EvidenceStoreError> {
        crate::private::create_dir(&root.join("cases"))
            .map_err(|e| io_err("creating the evidence directory", e))?;
        crate::private::create_dir(&root.join("ledger"))
            .map_err(|e| io_err("creating the ledger directory", e))?;
        let flusher =
            GroupCommit::start(flush).map_err(|e| io_err("starting the evidence flusher", e))?;
        Ok(Self {
            root: root.to_owned(),
            flusher: Arc::new(flusher),
        })
    }

    fn case_dir(&self, period: &str, case_id: &CaseId) -> PathBuf {
        self.root.join("cases").join(period).join(case_id.as_str())
    }

    /// The path of a record file (for tests that tamper with it).
    pub fn record_path(&self, period: &str, case_id: &CaseId, seq: u64) -> PathBuf {
        self.case_dir(period, case_id)
            .join("records")
            .join(format!("{seq:06}.json"))
    }

    /// The path of a case's first seal (`seal.json`); later generations are
    /// `seal-{generation}.json`.
    pub fn seal_path(&self, period: &str, case_id: &CaseId) -> PathBuf {
        self.seal_generation_path(period, case_id, 0)
    }

    /// The path of a seal generation.
    pub fn seal_generation_path(&self, period: &str, case_id: &CaseId, generation: u32) -> PathBuf {
        let name = match generation {
            0 => "seal.json".to_owned(),
            g => format!("seal-{g}.json"),
        };
        self.case_dir(period, case_id).join(name)
    }

    /// The path of a ledger entry file.
    pub fn ledger_path(&self, seq: u64) -> PathBuf {
        self.root.join("ledger").join(format!("{seq:012}.json"))
    }

    /// Writes `bytes` to `path` once and for all: linked there, read back, then made durable
    /// with the other writes of the moment (see [`crate::flush`]).
    async fn write_once(
        &self,
        path: PathBuf,
        bytes: Vec<u8>,
        what: String,
    ) -> Result<(), EvidenceStoreError> {
        let file = path.clone();
        let linked = tokio::task::spawn_blocking(move || {
            Self::link_new(&file, &bytes, &what).map(|()| what)
        })
        .await
        .map_err(|e| EvidenceStoreError::Permanent {
            detail: e.to_string(),
        })?;
        let what = linked?;
        self.flusher
            .durable(path)
            .await
            .map_err(|detail| EvidenceStoreError::NotConfirmed { what, detail })
    }

    /// Writes `bytes` to `path` only if nothing is there, atomically (a reader sees the whole
    /// file or none; of two writers one wins, see [`crate::publish`]), and reads it back. Not
    /// yet durable: the caller waits for the flusher.
    fn link_new(path: &Path, bytes: &[u8], what: &str) -> Result<(), EvidenceStoreError> {
        match publish_once(path, bytes) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(EvidenceStoreError::Conflict {
                    what: what.to_owned(),
                });
            }
            Err(e) => return Err(io_err(what, e)),
        }
        // Read back: the record counts as stored only if the bytes are there.
        let back = std::fs::read(path).map_err(|e| io_err(what, e))?;
        if back != bytes {
            return Err(EvidenceStoreError::NotConfirmed {
                what: what.to_owned(),
                detail: "content read back differs".into(),
            });
        }
        Ok(())
    }

    fn read_json<T: serde::de::DeserializeOwned>(
        path: &Path,
    ) -> Result<Option<Result<T, String>>, EvidenceStoreError> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(
                serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display())),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("reading evidence", e)),
        }
    }
}

fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, EvidenceStoreError> {
    serde_json::to_vec_pretty(v).map_err(|e| EvidenceStoreError::Permanent {
        detail: e.to_string(),
    })
}

/// The record files of a case's `records` directory (`{position:06}.json`) with their
/// positions, ascending; none if the directory does not exist.
fn record_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, EvidenceStoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("listing records", e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_err("listing records", e))?;
        let name = entry.file_name();
        if let Some(position) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            out.push((position, entry.path()));
        }
    }
    out.sort_unstable_by_key(|(position, _)| *position);
    Ok(out)
}

#[async_trait]
impl EvidenceStore for FileEvidenceStore {
    fn worm(&self) -> WormStatus {
        WormStatus::NotEnforced {
            reason: "embedded file store: files are created once and read-only, but the file system cannot stop their owner from changing them".into(),
        }
    }

    async fn put_record(
        &self,
        period: &str,
        record: &EvidenceRecord,
    ) -> Result<(), EvidenceStoreError> {
        let path = self.record_path(period, &record.case_id, record.seq);
        let bytes = encode(record)?;
        let what = format!("record {} of case {}", record.seq, record.case_id);
        self.write_once(path, bytes, what).await
    }

    async fn put_seal(&self, period: &str, seal: &Seal) -> Result<(), EvidenceStoreError> {
        let path = self.seal_generation_path(period, &seal.case_id, seal.generation);
        let bytes = encode(seal)?;
        let what = format!("seal {} of case {}", seal.generation, seal.case_id);
        self.write_once(path, bytes, what).await
    }

    async fn put_ledger_entry(&self, entry: &LedgerEntry) -> Result<(), EvidenceStoreError> {
        let path = self.ledger_path(entry.seq);
        let bytes = encode(entry)?;
        let what = format!("ledger entry {}", entry.seq);
        self.write_once(path, bytes, what).await
    }

    async fn records(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Vec<StoredRecord>, EvidenceStoreError> {
        let dir = self.case_dir(period, case_id).join("records");
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for (position, path) in record_files(&dir)? {
                // A file listed then gone is left out.
                if let Some(record) = Self::read_json::<EvidenceRecord>(&path)? {
                    out.push(StoredRecord { position, record });
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| EvidenceStoreError::Permanent {
            detail: e.to_string(),
        })?
    }

    async fn last_record(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<StoredRecord>, EvidenceStoreError> {
        // The highest position by name, then that one file: a writer finding the head does
        // not parse the whole chain.
        let dir = self.case_dir(period, case_id).join("records");
        tokio::task::spawn_blocking(move || {
            let Some((position, path)) = record_files(&dir)?.pop() else {
                return Ok(None);
            };
            Ok(Self::read_json::<EvidenceRecord>(&path)?
                .map(|record| StoredRecord { position, record }))
        })
        .await
        .map_err(|e| EvidenceStoreError::Permanent {
            detail: e.to_string(),
        })?
    }

    async fn seal(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<Result<Seal, String>>, EvidenceStoreError> {
        // The latest generation: probe upwards from the first seal.
        let mut latest = Self::read_json(&self.seal_path(period, case_id))?;
        let mut generation = 1;
        while latest.is_some() {
            match Self::read_json(&self.seal_generation_path(period, case_id, generation))? {
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
        Self::read_json(&self.ledger_path(seq))
    }

    async fn cases_in_period(&self, period: &str) -> Result<Vec<CaseId>, EvidenceStoreError> {
        let dir = self.root.join("cases").join(period);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("listing cases", e)),
        };
        let mut out: Vec<CaseId> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| CaseId::parse(&e.file_name().to_string_lossy()).ok())
            .collect();
        out.sort();
        Ok(out)
    }

    async fn periods(&self) -> Result<Vec<String>, EvidenceStoreError> {
        let entries =
            std::fs::read_dir(self.root.join("cases")).map_err(|e| io_err("listing periods", e))?;
        let mut out: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|p| p.len() == 7 && p.as_bytes()[4] == b'-')
            .collect();
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offboard_core::evidence::{Chain, Outcome, RecordBody};
    use std::sync::atomic::{AtomicU32, Ordering};

    fn body(step: &str) -> RecordBody {
        RecordBody::plain(
            step,
            "entra",
            "test",
            "test",
            Outcome::Verified,
            chrono::Utc::now(),
        )
    }

    /// A record whose flush fails does not count as stored, but its file stays where it was
    /// linked: writing that position again is a `Conflict`, the chain's head is that record,
    /// and the next record, once flushed, makes it durable with it (`syncfs` flushes
    /// everything dirty) — the path the service's retry takes after `NotConfirmed`.
    #[tokio::test]
    async fn a_record_whose_flush_failed_is_unconfirmed_yet_holds_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let flushes = Arc::new(AtomicU32::new(0));
        let flush: Box<crate::flush::FlushFn> = {
            let flushes = flushes.clone();
            Box::new(
                move |_files: &[PathBuf]| match flushes.fetch_add(1, Ordering::SeqCst) {
                    0 => Err(std::io::Error::other("injected write-back error")),
                    _ => Ok(()),
                },
            )
        };
        let store = FileEvidenceStore::open_with_flush(dir.path(), flush).unwrap();
        let case = CaseId::derive("generic", "flush-fails");
        let mut chain = Chain::new(case.clone());
        let first = chain.push(body("hr-trigger")).unwrap();

        let unconfirmed = store.put_record("2026-12", &first).await.unwrap_err();
        assert!(
            matches!(&unconfirmed, EvidenceStoreError::NotConfirmed { detail, .. } if detail.contains("injected write-back error")),
            "{unconfirmed:?}"
        );
        let again = store.put_record("2026-12", &first).await.unwrap_err();
        assert!(
            matches!(again, EvidenceStoreError::Conflict { .. }),
            "{again:?}"
        );
        let head = store.last_record("2026-12", &case).await.unwrap().unwrap();
        assert_eq!(head.record, Ok(first));

        let second = chain.push(body("block-sign-in")).unwrap();
        store.put_record("2026-12", &second).await.unwrap();
        assert_eq!(
            flushes.load(Ordering::SeqCst),
            2,
            "one failed flush, one that held both"
        );
        let stored: Vec<u64> = store
            .records("2026-12", &case)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.position)
            .collect();
        assert_eq!(stored, [0, 1]);
    }

    #[cfg(unix)]
    #[test]
    fn evidence_files_are_read_only_for_their_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases/2026-11/c-1/records/000000.json");
        FileEvidenceStore::link_new(&path, b"{}", "record").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o400);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }

    /// A reader listing the directory while records are written sees each file whole or not
    /// at all (a step reading the chain while another step appends must never see half a
    /// record).
    #[test]
    fn readers_never_see_a_partly_written_file() {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("records");
        std::fs::create_dir_all(&records).unwrap();
        let big = serde_json::to_vec(&serde_json::json!({"pad": "x".repeat(256 * 1024)})).unwrap();
        let writer = {
            let records = records.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let path = records.join(format!("{i:06}.json"));
                    FileEvidenceStore::link_new(&path, &big, "record").unwrap();
                }
            })
        };
        let mut reads = 0;
        while !writer.is_finished() {
            for entry in std::fs::read_dir(&records).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .unwrap_or_else(|e| panic!("{name} read half-written: {e}"));
                reads += 1;
            }
        }
        writer.join().unwrap();
        assert!(reads > 0, "the reader never overlapped the writer");
        let left: Vec<_> = std::fs::read_dir(&records)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }

    /// Two writers of the same record: exactly one succeeds, the other gets a conflict, and
    /// the file holds the winner's bytes.
    #[test]
    fn one_of_two_racing_writers_wins() {
        for _ in 0..50 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("000001.json");
            let racers: Vec<_> = [b"{\"w\":1}".to_vec(), b"{\"w\":2}".to_vec()]
                .into_iter()
                .map(|bytes| {
                    let path = path.clone();
                    std::thread::spawn(move || {
                        (FileEvidenceStore::link_new(&path, &bytes, "record"), bytes)
                    })
                })
                .collect();
            let results: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
            let won: Vec<_> = results.iter().filter(|(r, _)| r.is_ok()).collect();
            assert_eq!(won.len(), 1, "{results:?}");
            assert!(
                results
                    .iter()
                    .any(|(r, _)| matches!(r, Err(EvidenceStoreError::Conflict { .. })))
            );
            assert_eq!(std::fs::read(&path).unwrap(), won[0].1);
        }
    }
}
