//! Stand-in for the immutability contract of Azure Blob Storage. Tests only: never linked into
//! the handler, the agent or the installed `offboard` (`crates/cli/tests/production_deps.rs`).
//!
//! Azurite has no immutability (it answers 501 to legal holds and immutability policies), so
//! nothing local could show that evidence is protected *from the app itself*. This stand-in
//! serves, over HTTPS on 127.0.0.1, the calls the evidence store makes and the calls an
//! attacker holding a token would make, with the answers the REST reference documents
//! ([`model`] has the rules and their sources):
//!
//! - the blob endpoint `https://127.0.0.1:P/{account}/{container}/…`: Get Container
//!   Properties (`x-ms-immutable-storage-with-versioning-enabled`), List Blobs (prefix,
//!   delimiter, `include=versions`), Put Blob (`If-None-Match: *`), Get Blob / Get Blob
//!   Properties (with `versionid`), Delete Blob, Set Blob Legal Hold, Set / Delete Blob
//!   Immutability Policy;
//! - the resource manager endpoint `https://127.0.0.1:P/arm` + the account's resource id:
//!   the account's properties with `immutableStorageWithVersioning.immutabilityPolicy`
//!   (`state`, `immutabilityPeriodSinceCreationInDays`), as `GET` on the storage account returns.
//!
//! Callers authenticate with bearer tokens of the identity stand-in (`standin-identity`),
//! checked for signature, audience (`https://storage.azure.com` / `https://management.azure.com`)
//! and lifetime; each caller's object id maps to the actions its role assignments grant
//! ([`WormConfig::grants`]), and every call checks the action the RBAC reference names for it.

#![warn(missing_docs)]

pub mod model;
mod server;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use standin_identity::TokenValidator;

pub use model::{
    Account, BlobPolicy, DefaultPolicy, Grants, PolicyState, Refusal, Version, actions,
};

/// The actions the offboard app's role grants (infra/bicep and infra/terraform: the evidence
/// writer and the evidence protection reader roles).
pub fn app_grants() -> Grants {
    Grants(
        [
            actions::READ,
            actions::ADD,
            actions::CONTAINER_READ,
            actions::ACCOUNT_READ,
        ]
        .map(str::to_owned)
        .to_vec(),
    )
}

/// How the stand-in is set up.
#[derive(Clone)]
pub struct WormConfig {
    /// The storage account name (first path segment of the blob endpoint).
    pub account: String,
    /// The one container.
    pub container: String,
    /// Whether the container reports version-level immutability.
    pub versioning_worm: bool,
    /// The account's default policy (`None`: no default policy).
    pub default_policy: Option<DefaultPolicy>,
    /// What each caller (by service-principal object id) may do.
    pub grants: BTreeMap<String, Grants>,
    /// Verifies the callers' tokens.
    pub validator: TokenValidator,
    /// PEM server certificate chain and key (the local stack's, so clients trust it).
    pub cert_pem: PathBuf,
    /// PEM private key.
    pub key_pem: PathBuf,
}

/// A running stand-in. It serves until the process exits (it runs on a thread of its own).
#[derive(Clone)]
pub struct BlobWorm {
    /// `https://127.0.0.1:P/{account}` — the value of `OFFBOARD_STORAGE_BLOB_ENDPOINT`.
    pub blob_endpoint: String,
    /// `https://127.0.0.1:P/arm` — the value of `OFFBOARD_ARM_ENDPOINT`.
    pub arm_endpoint: String,
    /// The account's resource id — the value of `OFFBOARD_EVIDENCE_ACCOUNT_ID`.
    pub account_id: String,
    state: Arc<Mutex<Account>>,
}

/// Why the stand-in could not start.
#[derive(Debug, thiserror::Error)]
#[error("blob WORM stand-in: {0}")]
pub struct StartError(String);

impl BlobWorm {
    /// Starts the stand-in on a free port of 127.0.0.1.
    pub fn start(config: WormConfig) -> Result<Self, StartError> {
        let account_id = format!(
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-offboard/providers/Microsoft.Storage/storageAccounts/{}",
            config.account
        );
        let state = Arc::new(Mutex::new(Account::new(config.default_policy)));
        let port = server::spawn(config.clone(), account_id.clone(), state.clone())?;
        Ok(Self {
            blob_endpoint: format!("https://127.0.0.1:{port}/{}", config.account),
            arm_endpoint: format!("https://127.0.0.1:{port}/arm"),
            account_id,
            state,
        })
    }

    /// The account as it is now (blobs and every version, the default policy).
    pub fn account(&self) -> MutexGuard<'_, Account> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The deployment's lock step: locks the default policy.
    pub fn lock_default(&self) -> bool {
        self.account().lock_default()
    }
}
