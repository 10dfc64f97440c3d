//! Opening an existing evidence store and case index for `offboard verify` and `offboard
//! report`: the embedded backend from `--data DIR` (laid out as `offboard local` leaves it:
//! `DIR/offboard.db` and `DIR/evidence/`), or the backend the `OFFBOARD_*` settings name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use offboard_core::ports::{CaseIndex, CaseStore, EvidenceStore};
use offboard_embedded::{Embedded, FileEvidenceStore};
use offboard_service::SystemClock;
use offboard_service::compliance::Compliance;
use offboard_service::evidence::Evidence;
use offboard_service::settings::{self, Backend, Settings};

/// What the commands read.
pub struct Opened {
    /// The compliance use cases over the store.
    pub compliance: Compliance,
    /// A description of the store for people (`embedded store at DIR`).
    pub describe: String,
    /// Who reads (recorded in reports).
    pub actor: String,
}

/// Where the store is: `--data DIR`, else the `OFFBOARD_*` settings.
pub fn open(data: Option<&Path>) -> anyhow::Result<Opened> {
    let dir: PathBuf = match data {
        Some(d) => d.to_owned(),
        None => {
            let configured = std::env::var(settings::OFFBOARD_BACKEND).ok();
            if configured.is_none() {
                anyhow::bail!(
                    "say which store to read: --data DIR for an embedded store (the directory `offboard local --data DIR` uses), or the OFFBOARD_* settings of a deployment (OFFBOARD_BACKEND=azure with its endpoints)"
                );
            }
            match Settings::from_env()?.backend {
                Backend::Embedded { path } => path,
                Backend::Azure(_) => anyhow::bail!(
                    "the Azure backend for this command arrives with the Azure evidence store and index adapters (BlobEvidenceStore, CosmosCaseIndex in offboard-azure), which this build does not have yet; meanwhile verify a downloaded packet (`offboard verify PACKET.json`, from GET /api/cases/{{caseId}}/evidence) or an embedded store with --data DIR"
                ),
            }
        }
    };
    let db_file = dir.join("offboard.db");
    let evidence_dir = dir.join("evidence");
    anyhow::ensure!(
        db_file.is_file(),
        "no embedded store at {}: {} does not exist (point --data at the directory `offboard local --data` used)",
        dir.display(),
        db_file.display()
    );
    anyhow::ensure!(
        evidence_dir.is_dir(),
        "no evidence at {}: the directory does not exist",
        evidence_dir.display()
    );
    let db = Arc::new(Embedded::open(&dir)?);
    let store: Arc<dyn EvidenceStore> = Arc::new(FileEvidenceStore::open(&evidence_dir)?);
    let index: Arc<dyn CaseIndex> = db.clone();
    let cases: Arc<dyn CaseStore> = db;
    let actor = "offboard CLI (embedded backend)".to_owned();
    let evidence = Evidence::new(store, index, actor.clone(), Arc::new(SystemClock));
    Ok(Opened {
        compliance: Compliance::new(cases, evidence),
        describe: format!("embedded store at {}", dir.display()),
        actor,
    })
}
