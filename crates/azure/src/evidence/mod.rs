//! The evidence store on Azure Blob Storage ([`EvidenceStore`]) through the official
//! `azure_storage_blob` SDK, authenticated with an Entra ID token credential (the app's managed
//! identity).
//!
//! # Layout
//!
//! One container (default `evidence`), names as the port describes them:
//!
//! ```text
//! cases/{YYYY-MM}/{caseId}/records/{seq:06}.json
//! cases/{YYYY-MM}/{caseId}/seal.json        (then seal-1.json, ... when a reopened case is sealed again)
//! ledger/{seq:012}.json
//! ```
//!
//! A period's cases are one listing with the delimiter `/` under `cases/{YYYY-MM}/` (one
//! `BlobPrefix` per case, whatever the number of records), and the periods one listing under
//! `cases/`. A case's records list under their own prefix in position order, because the
//! positions are zero-padded.
//!
//! # Write once, protected by a retention the app cannot unlock
//!
//! Every record, seal and ledger entry is written with one Put Blob carrying
//! `If-None-Match: *` (a second write to the same name is refused with 409
//! `BlobAlreadyExists`: [`EvidenceStoreError::Conflict`]) and nothing else: no legal hold, no
//! per-blob policy. The protection is the evidence account's **locked** version-level default
//! retention, which every version inherits and which nobody — not the app, not an admin — can
//! shorten or remove; the app's role can only add blobs and read them (no `blobs/write`, no
//! delete, no `runAsSuperUser`; infra/README.md). A per-blob *Unlocked* policy would take
//! precedence over the locked default and could be shortened, so the app sets none and a write
//! that shows one does not count.
//!
//! The blob is then read back (Get Blob). A write counts only if the bytes are the bytes sent
//! and, with WORM on, the service shows a blob version and the account's default policy —
//! read from the account's own properties through the resource manager
//! (`OFFBOARD_EVIDENCE_ACCOUNT_ID`), not from headers the app sent — is `Locked` and at least
//! the configured retention; otherwise the write is [`EvidenceStoreError::NotConfirmed`] (an
//! alert, never a silent success). [`BlobEvidenceStore::check_container`] makes the same check
//! at start-up, and the handler refuses to start with WORM on when it fails.
//!
//! Evidence is read by the version written: the listing includes versions, and a blob with more
//! than one (something wrote over it — impossible for the app's role, but not for every role)
//! is reported as tampered instead of read.
//!
//! Only [`BlobEvidenceConfig::worm`] `false` (`OFFBOARD_EVIDENCE_WORM=off`, for emulators such
//! as Azurite, which keeps no versions and has no immutability) skips those checks, and then
//! [`EvidenceStore::worm`] reports [`WormStatus::NotEnforced`], which every packet, report and
//! verification repeats.
//!
//! The REST shape of these requests is pinned by `tests/azure/evidence_rest.rs`, and what
//! the service's immutability contract does with them by `tests/azure/evidence_worm.rs` against
//! the `standin-blob-worm` stand-in (shared/reference/platform-facts.md §5).

mod layout;
mod listing;
mod protection;
mod store;
mod worm;

use std::sync::{Arc, RwLock};
use std::time::Instant;

use azure_core::credentials::TokenCredential;
use azure_core::error::ErrorKind;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{ClientOptions, HttpClientOptions, Pipeline, RetryOptions, Transport, Url};
use azure_storage_blob::models::BlobContainerClientGetPropertiesResultHeaders as _;
use azure_storage_blob::{
    BlobClient, BlobClientOptions, BlobContainerClient, BlobContainerClientOptions,
};
use offboard_core::evidence::{WormProtection, WormStatus};
use offboard_core::ports::EvidenceStoreError;

use crate::error::{EvidenceCall as Call, SetupError, evidence_error, redact};

/// Seven years, the default retention of every evidence blob.
pub const DEFAULT_RETENTION_DAYS: u32 = 2555;

/// Why a store configured with WORM off does not enforce immutability: the text every packet,
/// report and verification carries after "WORM not enforced: ".
pub const WORM_OFF_REASON: &str =
    "OFFBOARD_EVIDENCE_WORM=off: the storage account does not enforce immutability (Azurite)";

/// Where the evidence blobs go and how they are protected. The defaults are production's:
/// container `evidence`, WORM on, 2555 days (seven years).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobEvidenceConfig {
    /// The blob service endpoint of the evidence account,
    /// `https://<account>.blob.core.windows.net/` (`OFFBOARD_STORAGE_BLOB_ENDPOINT`), or
    /// Azurite's `https://127.0.0.1:10000/devstoreaccount1`.
    pub endpoint: String,
    /// The container (`OFFBOARD_EVIDENCE_CONTAINER`, default `evidence`). In production it
    /// lives in an account with version-level immutability (the infrastructure creates both).
    pub container: String,
    /// Whether every write must be confirmed as protected by the account's locked default
    /// retention (`OFFBOARD_EVIDENCE_WORM`, default on). Off is for emulators only.
    pub worm: bool,
    /// The retention the account's locked default must at least have, in days
    /// (`OFFBOARD_EVIDENCE_RETENTION_DAYS`, default 2555).
    pub retention_days: u32,
    /// The evidence storage account's resource id (`OFFBOARD_EVIDENCE_ACCOUNT_ID`), where its
    /// immutability policy is read; required with WORM on.
    pub account_id: Option<String>,
    /// The resource manager endpoint (`OFFBOARD_ARM_ENDPOINT`, default
    /// `https://management.azure.com`).
    pub arm_endpoint: String,
}

impl BlobEvidenceConfig {
    /// The production configuration for the blob service at `endpoint`: container
    /// `evidence`, WORM on, [`DEFAULT_RETENTION_DAYS`].
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            container: "evidence".into(),
            worm: true,
            retention_days: DEFAULT_RETENTION_DAYS,
            account_id: None,
            arm_endpoint: DEFAULT_ARM_ENDPOINT.into(),
        }
    }
}

/// The public cloud's resource manager.
pub const DEFAULT_ARM_ENDPOINT: &str = "https://management.azure.com";

/// Options of [`BlobEvidenceStore`], in the SDK's style:
/// `BlobEvidenceOptions { ..Default::default() }`.
#[derive(Clone, Debug, Default)]
pub struct BlobEvidenceOptions {
    /// Retry policy of the SDK pipeline (exponential with the SDK's defaults when `None`).
    pub retry: Option<RetryOptions>,
}

/// [`EvidenceStore`] on one blob container. See the module documentation for the layout and
/// the write protocol.
pub struct BlobEvidenceStore {
    config: BlobEvidenceConfig,
    /// The container's URL, without a trailing slash.
    container_url: Url,
    credential: Arc<dyn TokenCredential>,
    /// Shared by every blob client: one connection pool, the retry policy, the casing policy.
    client_options: ClientOptions,
    /// For the one call the SDK does not offer: listing with a delimiter.
    list_pipeline: Pipeline,
    /// The `x-ms-version` the SDK sends, reused for the delimiter listing.
    version: String,
    container: BlobContainerClient,
    /// For the resource manager read of the account's immutability policy.
    arm_pipeline: Pipeline,
    /// The last protection read and when.
    protection: RwLock<Option<(Instant, WormProtection)>>,
}

impl std::fmt::Debug for BlobEvidenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobEvidenceStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The REST documentation of Set Blob Immutability Policy and of Put Blob spells the mode
/// `Unlocked` / `Locked`; `azure_storage_blob` 1.1 sends the lower-case form its response enum
/// parses (the service answers in lower case). The other Azure SDKs send the documented form,
/// Azure's container naming rule: 3–63 characters, lowercase letters, digits and single
/// dashes, starting and ending with a letter or digit.
fn valid_container_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

impl BlobEvidenceStore {
    /// The evidence store on the container in `config`, authenticated with `credential` (see
    /// [`crate::managed_identity_credential`]). The endpoint must be `https` (bearer tokens are
    /// never sent in clear) and bare (no SAS: the managed identity authenticates). No request
    /// is made until the first call; [`Self::check_container`] checks the container at
    /// start-up.
    pub fn new(
        config: BlobEvidenceConfig,
        credential: Arc<dyn TokenCredential>,
        options: BlobEvidenceOptions,
    ) -> Result<Self, SetupError> {
        let invalid = |reason: String| SetupError::InvalidEndpoint {
            what: "Storage blob endpoint (OFFBOARD_STORAGE_BLOB_ENDPOINT)",
            value: config.endpoint.clone(),
            reason,
        };
        let mut url = Url::parse(config.endpoint.trim()).map_err(|e| invalid(e.to_string()))?;
        if url.scheme() != "https" {
            return Err(invalid(
                "use https: the managed identity's token is only sent over TLS".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "give the bare service endpoint, without a query (no SAS: the managed identity authenticates)".into(),
            ));
        }
        if !valid_container_name(&config.container) {
            return Err(SetupError::InvalidSetting {
                name: "OFFBOARD_EVIDENCE_CONTAINER",
                detail: format!(
                    "`{}` is not a valid container name: use 3-63 lowercase letters, digits and single dashes",
                    config.container
                ),
            });
        }
        if config.worm && config.retention_days == 0 {
            return Err(SetupError::InvalidSetting {
                name: "OFFBOARD_EVIDENCE_RETENTION_DAYS",
                detail: "must be at least 1 day while WORM is on".into(),
            });
        }
        url.path_segments_mut()
            .map_err(|()| invalid("not a base URL".into()))?
            .pop_if_empty()
            .push(&config.container);

        // One HTTP client (one connection pool) for every blob; without automatic
        // decompression, as the blob SDK sets up its own default transport.
        let mut client_options = ClientOptions {
            transport: Some(Transport::new(azure_core::http::new_http_client(Some(
                HttpClientOptions {
                    automatic_decompression: false,
                },
            )))),
            ..Default::default()
        };
        if let Some(retry) = options.retry {
            client_options.retry = retry;
        }
        let version = BlobClientOptions::default().version;
        let list_pipeline = Pipeline::new(
            option_env!("CARGO_PKG_NAME"),
            option_env!("CARGO_PKG_VERSION"),
            client_options.clone(),
            Vec::new(),
            vec![Arc::new(BearerTokenAuthorizationPolicy::new(
                credential.clone(),
                vec!["https://storage.azure.com/.default"],
            ))],
            None,
        );
        let container = BlobContainerClient::new(
            url.clone(),
            Some(credential.clone()),
            Some(BlobContainerClientOptions {
                client_options: client_options.clone(),
                ..Default::default()
            }),
        )
        .map_err(|e| invalid(redact(&e.to_string())))?;
        let arm_pipeline = Pipeline::new(
            option_env!("CARGO_PKG_NAME"),
            option_env!("CARGO_PKG_VERSION"),
            client_options.clone(),
            Vec::new(),
            vec![Arc::new(BearerTokenAuthorizationPolicy::new(
                credential.clone(),
                vec!["https://management.azure.com/.default"],
            ))],
            None,
        );
        Ok(Self {
            config,
            container_url: url,
            credential,
            client_options,
            list_pipeline,
            version,
            container,
            arm_pipeline,
            protection: RwLock::new(None),
        })
    }

    /// The configuration the store was built with.
    pub fn config(&self) -> &BlobEvidenceConfig {
        &self.config
    }

    /// Checks at start-up that the container exists and, with WORM on, that the service reports
    /// version-level immutability on it (`x-ms-immutable-storage-with-versioning-enabled`) and
    /// that the account's default retention — read from the account's properties — is Locked
    /// and at least the configured retention. The handler refuses to start when this fails, so
    /// a deployment whose evidence the app (or anyone) could unlock never takes a leaver.
    pub async fn check_container(&self) -> Result<(), EvidenceStoreError> {
        let what = format!("evidence container {}", self.config.container);
        let response = self.container.get_properties(None).await.map_err(|e| {
            match e.kind() {
                ErrorKind::HttpResponse { status, .. } if u16::from(*status) == 404 => {
                    EvidenceStoreError::Permanent {
                        detail: format!(
                            "{what} does not exist: the infrastructure creates it (check OFFBOARD_STORAGE_BLOB_ENDPOINT and OFFBOARD_EVIDENCE_CONTAINER)"
                        ),
                    }
                }
                _ => evidence_error(&what, Call::Read, &e),
            }
        })?;
        if !self.config.worm {
            return Ok(());
        }
        let versioned_worm = response
            .is_immutable_storage_with_versioning_enabled()
            .map_err(|e| evidence_error(&what, Call::Read, &e))?;
        if versioned_worm != Some(true) {
            return Err(EvidenceStoreError::Permanent {
                detail: format!(
                    "{what} does not report version-level immutability (x-ms-immutable-storage-with-versioning-enabled: {}); evidence written there could not be held. Deploy the evidence account from infra/ (immutableStorageWithVersioning), or set OFFBOARD_EVIDENCE_WORM=off only for an emulator",
                    versioned_worm.map_or("absent".to_owned(), |v| v.to_string())
                ),
            });
        }
        let protection = self.protection().await?;
        self.locked_enough(&protection)
            .map_err(|why| EvidenceStoreError::Permanent {
                detail: format!("OFFBOARD_EVIDENCE_WORM is on but {why}"),
            })
    }

    /// What this store enforces: with WORM on, the retention asked for and the protection the
    /// service last reported (none before the first read).
    pub fn worm_status(&self) -> WormStatus {
        if self.config.worm {
            WormStatus::Enforced {
                retention_days: self.config.retention_days,
                protection: self.last_protection(),
            }
        } else {
            WormStatus::NotEnforced {
                reason: WORM_OFF_REASON.into(),
            }
        }
    }

    /// Creates the container if it does not exist. **Local and development use only**
    /// (feature `dev-schema`, for Azurite): in production the infrastructure creates the
    /// container in the account with version-level immutability, and the app's identity may not
    /// create containers.
    #[cfg(feature = "dev-schema")]
    pub async fn ensure_dev_container(&self) -> Result<(), EvidenceStoreError> {
        let what = format!("evidence container {} (creating it)", self.config.container);
        match self.container.create(None).await {
            Ok(_) => Ok(()),
            Err(e) if e.http_status().map(u16::from) == Some(409) => Ok(()),
            Err(e) => Err(evidence_error(&what, Call::Read, &e)),
        }
    }

    /// The URL of a blob, with `/` kept as the path separator it is (the SDK's
    /// `blob_client(name)` would send it as `%2F`).
    pub(super) fn blob_url(&self, name: &str) -> Result<Url, EvidenceStoreError> {
        let mut url = self.container_url.clone();
        url.path_segments_mut()
            .map_err(|()| EvidenceStoreError::Permanent {
                detail: format!("cannot build the URL of blob {name}"),
            })?
            .extend(name.split('/'));
        Ok(url)
    }

    pub(super) fn blob(&self, name: &str) -> Result<BlobClient, EvidenceStoreError> {
        let url = self.blob_url(name)?;
        BlobClient::new(
            url,
            Some(self.credential.clone()),
            Some(BlobClientOptions {
                client_options: self.client_options.clone(),
                ..Default::default()
            }),
        )
        .map_err(|e| evidence_error(name, Call::Read, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use offboard_core::ports::EvidenceStore as _;

    #[test]
    fn worm_off_says_so() {
        let store = BlobEvidenceStore::new(
            BlobEvidenceConfig {
                worm: false,
                ..BlobEvidenceConfig::new("https://127.0.0.1:1/devstoreaccount1")
            },
            Arc::new(NoCredential),
            BlobEvidenceOptions::default(),
        )
        .unwrap();
        let warning = store.worm().warning().unwrap();
        assert_eq!(
            warning,
            "WORM not enforced: OFFBOARD_EVIDENCE_WORM=off: the storage account does not enforce immutability (Azurite)"
        );
        assert_eq!(
            store.container_url.as_str(),
            "https://127.0.0.1:1/devstoreaccount1/evidence"
        );
        assert_eq!(
            store
                .blob_url("cases/2026-11/c-1/seal.json")
                .unwrap()
                .as_str(),
            "https://127.0.0.1:1/devstoreaccount1/evidence/cases/2026-11/c-1/seal.json"
        );
    }

    #[test]
    fn setup_refuses_what_cannot_work() {
        let new = |config: BlobEvidenceConfig| {
            BlobEvidenceStore::new(
                config,
                Arc::new(NoCredential),
                BlobEvidenceOptions::default(),
            )
        };
        assert!(new(BlobEvidenceConfig::new("http://a.blob.core.windows.net/")).is_err());
        assert!(
            new(BlobEvidenceConfig::new(
                "https://a.blob.core.windows.net/?sig=x"
            ))
            .is_err()
        );
        assert!(
            new(BlobEvidenceConfig {
                container: "Evidence".into(),
                ..BlobEvidenceConfig::new("https://a.blob.core.windows.net/")
            })
            .is_err()
        );
        assert!(
            new(BlobEvidenceConfig {
                retention_days: 0,
                ..BlobEvidenceConfig::new("https://a.blob.core.windows.net/")
            })
            .is_err()
        );
        let ok = new(BlobEvidenceConfig::new("https://a.blob.core.windows.net/")).unwrap();
        assert_eq!(
            ok.worm(),
            WormStatus::Enforced {
                retention_days: 2555,
                protection: None
            }
        );
        assert_eq!(
            ok.container_url.as_str(),
            "https://a.blob.core.windows.net/evidence"
        );
    }

    /// A credential that is never asked (the tests above make no request).
    #[derive(Debug)]
    struct NoCredential;

    #[async_trait]
    impl TokenCredential for NoCredential {
        async fn get_token(
            &self,
            _scopes: &[&str],
            _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                "not used in these tests",
            ))
        }
    }
}
