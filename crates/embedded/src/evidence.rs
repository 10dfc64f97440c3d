//! Evidence on the local file system, for the demo and local runs: files are created
//! exclusively (never overwritten) and made read-only, with the same layout as the blob
//! store. The file system cannot enforce immutability against its owner, so this store
//! always reports `WORM not enforced`.

use async_trait::async_trait;
use std::io::Write;
use std::path::{Path, PathBuf};

use offboard_core::evidence::{EvidenceRecord, LedgerEntry, Seal, WormStatus};
use offboard_core::ids::CaseId;
use offboard_core::ports::{EvidenceStore, EvidenceStoreError, StoredRecord};

/// Write-once evidence files under a directory.
#[derive(Debug, Clone)]
pub struct FileEvidenceStore {
    root: PathBuf,
}

fn io_err(what: &str, e: std::io::Error) -> EvidenceStoreError {
    EvidenceStoreError::Permanent {
        detail: format!("{what}: {e}"),
    }
}

impl FileEvidenceStore {
    /// Opens (creating) the store at `root`.
    pub fn open(root: &Path) -> Result<Self, EvidenceStoreError> {
        std::fs::create_dir_all(root.join("cases"))
            .map_err(|e| io_err("creating the evidence directory", e))?;
        std::fs::create_dir_all(root.join("ledger"))
            .map_err(|e| io_err("creating the ledger directory", e))?;
        Ok(Self {
            root: root.to_owned(),
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

    /// Publishes `bytes` at `path` once, atomically: the content is written and synced under
    /// a temporary name in the same directory, then hard-linked to `path`, which fails with
    /// `AlreadyExists` if another writer took the name (as `create_new` would). A concurrent
    /// reader therefore sees either no file or the whole file, never an empty or partial one.
    fn write_once(path: &Path, bytes: &[u8], what: &str) -> Result<(), EvidenceStoreError> {
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io_err(what, e))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let published = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(|e| io_err(what, e))?;
            f.write_all(bytes).map_err(|e| io_err(what, e))?;
            f.sync_all().map_err(|e| io_err(what, e))?;
            let mut perms = f.metadata().map_err(|e| io_err(what, e))?.permissions();
            perms.set_readonly(true);
            std::fs::set_permissions(&tmp, perms).map_err(|e| io_err(what, e))?;
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Err(EvidenceStoreError::Conflict {
                        what: what.to_owned(),
                    })
                }
                Err(e) => Err(io_err(what, e)),
            }
        })();
        let _ = std::fs::remove_file(&tmp);
        published?;
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
        tokio::task::spawn_blocking(move || Self::write_once(&path, &bytes, &what))
            .await
            .map_err(|e| EvidenceStoreError::Permanent {
                detail: e.to_string(),
            })?
    }

    async fn put_seal(&self, period: &str, seal: &Seal) -> Result<(), EvidenceStoreError> {
        let path = self.seal_generation_path(period, &seal.case_id, seal.generation);
        let bytes = encode(seal)?;
        let what = format!("seal {} of case {}", seal.generation, seal.case_id);
        tokio::task::spawn_blocking(move || Self::write_once(&path, &bytes, &what))
            .await
            .map_err(|e| EvidenceStoreError::Permanent {
                detail: e.to_string(),
            })?
    }

    async fn put_ledger_entry(&self, entry: &LedgerEntry) -> Result<(), EvidenceStoreError> {
        let path = self.ledger_path(entry.seq);
        let bytes = encode(entry)?;
        let what = format!("ledger entry {}", entry.seq);
        tokio::task::spawn_blocking(move || Self::write_once(&path, &bytes, &what))
            .await
            .map_err(|e| EvidenceStoreError::Permanent {
                detail: e.to_string(),
            })?
    }

    async fn records(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Vec<StoredRecord>, EvidenceStoreError> {
        let dir = self.case_dir(period, case_id).join("records");
        tokio::task::spawn_blocking(move || {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(io_err("listing records", e)),
            };
            let mut out = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| io_err("listing records", e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(position) = name
                    .strip_suffix(".json")
                    .and_then(|n| n.parse::<u64>().ok())
                else {
                    continue;
                };
                let record = match Self::read_json::<EvidenceRecord>(&entry.path())? {
                    Some(r) => r,
                    None => continue,
                };
                out.push(StoredRecord { position, record });
            }
            out.sort_by_key(|r| r.position);
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
        Ok(self.records(period, case_id).await?.pop())
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
