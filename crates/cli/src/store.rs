//! Opening an existing evidence store and case index for `offboard verify` and `offboard
//! report`: the embedded backend from `--data DIR` (laid out as `offboard local` leaves it:
//! `DIR/offboard.db` and `DIR/evidence/`), or the backend the `OFFBOARD_*` settings name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use offboard_backends::{Backends, Identity};
use offboard_core::ports::{CaseIndex, CaseStore, EvidenceStore};
use offboard_core::reconcile::FindingStore;
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

/// What the command does with the store, which decides what may be missing from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Read cases, the index and the evidence (`verify`, `report`): all must be there.
    Read,
    /// Rebuild the index from the evidence (`rebuild-index`): the evidence must be there;
    /// a lost `offboard.db` is created anew, because the index is derived from the evidence.
    RebuildIndex,
}

/// Where the store is: `--data DIR`, else the `OFFBOARD_*` settings (embedded or Azure).
///
/// Against Azure the command authenticates as the app's managed identity when it runs where
/// one is available (`IDENTITY_ENDPOINT` is set, as on the Functions app or under the local
/// stand-in), and otherwise as the person signed in with `az login`, who needs read roles only.
pub async fn open(data: Option<&Path>) -> anyhow::Result<Opened> {
    open_for(data, Purpose::Read).await
}

/// [`open`] for a purpose.
pub async fn open_for(data: Option<&Path>, purpose: Purpose) -> anyhow::Result<Opened> {
    let dir: PathBuf = match data {
        Some(d) => d.to_owned(),
        None => {
            let configured = std::env::var(settings::OFFBOARD_BACKEND).ok();
            if configured.is_none() {
                anyhow::bail!(
                    "say which store to read: --data DIR for an embedded store (the directory `offboard local --data DIR` uses), or the OFFBOARD_* settings of a deployment (OFFBOARD_BACKEND=azure with OFFBOARD_COSMOS_ENDPOINT, OFFBOARD_STORAGE_BLOB_ENDPOINT and OFFBOARD_STORAGE_QUEUE_ENDPOINT)"
                );
            }
            let settings = Settings::from_env()?;
            match &settings.backend {
                Backend::Embedded { path } => path.clone(),
                Backend::Azure(az) => return open_azure(&settings, &az.cosmos_endpoint).await,
            }
        }
    };
    open_embedded(&dir, purpose)
}

fn open_embedded(dir: &Path, purpose: Purpose) -> anyhow::Result<Opened> {
    let db_file = dir.join("offboard.db");
    let evidence_dir = dir.join("evidence");
    match (db_file.is_file(), evidence_dir.is_dir()) {
        (_, true) if purpose == Purpose::RebuildIndex => {}
        (true, true) => {}
        (false, false) => anyhow::bail!(
            "no embedded store at {}: neither {} nor {} exists (point --data at the directory `offboard local --data` used)",
            dir.display(),
            db_file.display(),
            evidence_dir.display()
        ),
        (false, true) => anyhow::bail!(
            "the case index {} is missing, but the evidence in {} is there: rebuild the index from it with `offboard rebuild-index --data {}`, then verify again",
            db_file.display(),
            evidence_dir.display(),
            dir.display()
        ),
        (true, false) => anyhow::bail!(
            "no evidence at {}: the directory does not exist, so nothing can be verified or rebuilt (the evidence is the record; restore it from its backup)",
            evidence_dir.display()
        ),
    }
    let db = Arc::new(Embedded::open(dir)?);
    let store: Arc<dyn EvidenceStore> = Arc::new(FileEvidenceStore::open(&evidence_dir)?);
    let index: Arc<dyn CaseIndex> = db.clone();
    let findings: Arc<dyn FindingStore> = db.clone();
    let cases: Arc<dyn CaseStore> = db;
    let actor = "offboard CLI (embedded backend)".to_owned();
    let evidence = Evidence::new(store, index, actor.clone(), Arc::new(SystemClock));
    Ok(Opened {
        compliance: Compliance::new(cases, findings, evidence),
        describe: format!("embedded store at {}", dir.display()),
        actor,
    })
}

async fn open_azure(settings: &Settings, cosmos_endpoint: &str) -> anyhow::Result<Opened> {
    let identity = Identity::of_this_process();
    let backends = Backends::connect_as(settings, identity)
        .await
        .context("opening the deployment's case store, index and evidence store")?;
    let evidence = Evidence::new(
        backends.evidence,
        backends.index,
        backends.actor.clone(),
        Arc::new(SystemClock),
    );
    Ok(Opened {
        compliance: Compliance::new(backends.cases, backends.findings, evidence),
        describe: format!(
            "Azure deployment (Cosmos DB {cosmos_endpoint}, evidence container {})",
            settings.evidence.container
        ),
        actor: backends.actor,
    })
}
