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
//! # Write once, under legal hold and retention, confirmed by reading back
//!
//! Every record, seal and ledger entry is written with one Put Blob carrying
//! `If-None-Match: *` (a second write to the same name is refused with 409
//! `BlobAlreadyExists`: [`EvidenceStoreError::Conflict`]) and, with WORM on, the headers that
//! make the new blob version immutable in the same request: `x-ms-legal-hold: true`,
//! `x-ms-immutability-policy-mode: Unlocked` and `x-ms-immutability-policy-until-date`
//! (now + the retention days, RFC 1123). The blob is then read back (Get Blob: content and the
//! immutability headers). A write counts only if the bytes are the bytes sent and, with WORM on,
//! the service reports the legal hold and a policy that lasts at least until the date asked
//! for. If the hold or the policy is missing after the upload, the dedicated calls (Set Blob
//! Legal Hold, Set Blob Immutability Policy) are made and the blob is read back again; if it is
//! still missing, the write is [`EvidenceStoreError::NotConfirmed`].
//!
//! A service that does not implement legal holds (Azurite answers 501) fails the write with
//! [`EvidenceStoreError::Permanent`] saying so: a WORM store never continues silently without
//! WORM. Only [`BlobEvidenceConfig::worm`] `false` (`OFFBOARD_EVIDENCE_WORM=off`, for emulators)
//! skips the hold and the policy, and then [`EvidenceStore::worm`] reports
//! [`WormStatus::NotEnforced`], which every packet, report and verification repeats.
//!
//! The REST shape of these requests is pinned by `tests/azure/evidence_rest.rs` against the
//! documentation (shared/reference/platform-facts.md §5).

use std::sync::Arc;

use async_trait::async_trait;
use azure_core::credentials::TokenCredential;
use azure_core::error::ErrorKind;
use azure_core::http::headers::HeaderName;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{
    ClientOptions, Context, HttpClientOptions, Method, Pipeline, Request, RequestContent,
    RetryOptions, Transport, Url,
};
use azure_core::time::OffsetDateTime;
use azure_storage_blob::models::{
    BlobClientDownloadResult, BlobClientUploadOptions,
    BlobContainerClientGetPropertiesResultHeaders as _, BlobContainerClientListBlobsOptions,
    ImmutabilityPolicyMode,
};
use azure_storage_blob::{
    BlobClient, BlobClientOptions, BlobContainerClient, BlobContainerClientOptions,
};
use chrono::Utc;
use futures::{StreamExt as _, TryStreamExt as _};
use offboard_core::evidence::{EvidenceRecord, LedgerEntry, Seal, WormStatus};
use offboard_core::ids::CaseId;
use offboard_core::ports::{EvidenceStore, EvidenceStoreError, StoredRecord};
use serde::Deserialize;

use crate::error::{SetupError, redact};

/// Seven years, the default retention of every evidence blob.
pub const DEFAULT_RETENTION_DAYS: u32 = 2555;

/// Why a store configured with WORM off does not enforce immutability: the text every packet,
/// report and verification carries after "WORM not enforced: ".
pub const WORM_OFF_REASON: &str =
    "OFFBOARD_EVIDENCE_WORM=off: the storage account does not enforce immutability (Azurite)";

/// The request header whose value the SDK writes in lower case and the REST documentation in
/// upper case (see [`DocumentedPolicyModeCasing`]).
const POLICY_MODE: HeaderName = HeaderName::from_static("x-ms-immutability-policy-mode");
/// How many blobs are read at once when a case's records are read.
const READ_CONCURRENCY: usize = 8;
/// The most names one listing page asks for (the service's maximum).
const LIST_PAGE: i32 = 5000;

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
    /// Whether every blob gets a legal hold and a time-based retention policy, confirmed by
    /// reading back (`OFFBOARD_EVIDENCE_WORM`, default on). Off is for emulators only.
    pub worm: bool,
    /// How long each blob's retention policy lasts from its write, in days
    /// (`OFFBOARD_EVIDENCE_RETENTION_DAYS`, default 2555).
    pub retention_days: u32,
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
        }
    }
}

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
/// and so does offboard: this per-call policy rewrites the request header, nothing else.
#[derive(Debug)]
struct DocumentedPolicyModeCasing;

#[async_trait]
impl Policy for DocumentedPolicyModeCasing {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let documented = match request.headers().get_optional_str(&POLICY_MODE) {
            Some(v) if v.eq_ignore_ascii_case("unlocked") => Some("Unlocked"),
            Some(v) if v.eq_ignore_ascii_case("locked") => Some("Locked"),
            _ => None,
        };
        if let Some(value) = documented {
            request.insert_header(POLICY_MODE, value);
        }
        match next.split_first() {
            Some((policy, rest)) => policy.send(ctx, request, rest).await,
            None => Err(azure_core::Error::with_message(
                ErrorKind::Other,
                "the policy-mode casing policy must not be the last policy of a pipeline",
            )),
        }
    }
}

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

/// A period is `YYYY-MM`; anything else would put evidence at a name no listing finds (or
/// outside `cases/`).
fn check_period(period: &str) -> Result<(), EvidenceStoreError> {
    let b = period.as_bytes();
    let ok = b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(
            &period[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        );
    if ok {
        Ok(())
    } else {
        Err(EvidenceStoreError::Permanent {
            detail: format!("`{period}` is not an evidence period: use YYYY-MM (UTC month)"),
        })
    }
}

fn case_prefix(period: &str, case_id: &CaseId) -> String {
    format!("cases/{period}/{case_id}/")
}

fn record_name(period: &str, case_id: &CaseId, seq: u64) -> String {
    format!("{}records/{seq:06}.json", case_prefix(period, case_id))
}

fn seal_name(period: &str, case_id: &CaseId) -> String {
    seal_generation_name(period, case_id, 0)
}

/// A seal generation: `seal.json` for the first, `seal-{n}.json` after a reopening.
fn seal_generation_name(period: &str, case_id: &CaseId, generation: u32) -> String {
    match generation {
        0 => format!("{}seal.json", case_prefix(period, case_id)),
        g => format!("{}seal-{g}.json", case_prefix(period, case_id)),
    }
}

fn ledger_name(seq: u64) -> String {
    format!("ledger/{seq:012}.json")
}

/// The position a record's blob name gives it (`…/records/000042.json` → 42).
fn position_of(name: &str, records_prefix: &str) -> Option<u64> {
    let file = name.strip_prefix(records_prefix)?;
    let digits = file.strip_suffix(".json")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// What a failed call was, to word its error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// Put Blob.
    Upload,
    /// Get Blob, Get Blob Properties, List Blobs.
    Read,
    /// Set Blob Legal Hold or Set Blob Immutability Policy.
    Worm,
}

const WORM_UNSUPPORTED: &str = "the storage service does not implement blob legal holds / immutability policies (501): it is an emulator such as Azurite, not Azure Storage, so this evidence cannot be made immutable. Set OFFBOARD_EVIDENCE_WORM=off only for an emulator (every packet, report and verification then says \"WORM not enforced\"); in production point OFFBOARD_STORAGE_BLOB_ENDPOINT at the evidence account, whose container has version-level immutability";

/// Maps an Azure Storage failure about `what` to an [`EvidenceStoreError`].
///
/// 409 `BlobAlreadyExists` (and 412 on a create-only upload) → `Conflict`; 501 on anything →
/// `Permanent` saying the service has no WORM; 408, 429, 500, 502, 503, 504, I/O and token
/// failures → `Unavailable`; 401/403 → `Permanent` naming the role; the rest `Permanent`.
fn evidence_error(what: &str, call: Call, err: &azure_core::Error) -> EvidenceStoreError {
    let detail = || {
        let base = match err.kind() {
            ErrorKind::HttpResponse {
                status, error_code, ..
            } => format!(
                "{} {} on {what}",
                u16::from(*status),
                error_code.as_deref().unwrap_or("(no error code)")
            ),
            kind => format!("{kind} on {what}"),
        };
        redact(&format!("{base}: {err}"))
    };
    match err.kind() {
        ErrorKind::HttpResponse {
            status, error_code, ..
        } => {
            let code = u16::from(*status);
            match (code, error_code.as_deref().unwrap_or(""), call) {
                (409, "BlobAlreadyExists", _) | (412, _, Call::Upload) => {
                    EvidenceStoreError::Conflict {
                        what: what.to_owned(),
                    }
                }
                (501, _, _) => EvidenceStoreError::Permanent {
                    detail: format!("{}; {WORM_UNSUPPORTED}", detail()),
                },
                (404, "ContainerNotFound", _) => EvidenceStoreError::Permanent {
                    detail: format!(
                        "{}; the evidence container does not exist: the infrastructure creates it (check OFFBOARD_EVIDENCE_CONTAINER)",
                        detail()
                    ),
                },
                (400 | 409, _, Call::Upload | Call::Worm)
                    if error_code_mentions_immutability(error_code.as_deref()) =>
                {
                    EvidenceStoreError::Permanent {
                        detail: format!(
                            "{}; the container does not accept legal holds or immutability policies: it needs version-level immutability (the infrastructure enables it on the evidence account)",
                            detail()
                        ),
                    }
                }
                (408 | 429 | 500 | 502 | 503 | 504, _, _) => {
                    EvidenceStoreError::Unavailable { detail: detail() }
                }
                (401 | 403, _, _) => EvidenceStoreError::Permanent {
                    detail: format!(
                        "{}; the identity may not do this on the evidence container: grant it the offboard evidence writer role (blob read, write, add and immutableStorage/runAsSuperUser)",
                        detail()
                    ),
                },
                _ => EvidenceStoreError::Permanent { detail: detail() },
            }
        }
        ErrorKind::Io | ErrorKind::Connection => {
            EvidenceStoreError::Unavailable { detail: detail() }
        }
        ErrorKind::Credential => EvidenceStoreError::Unavailable {
            detail: format!(
                "{}; no token from the managed identity: check the app's identity (OFFBOARD_MANAGED_IDENTITY_CLIENT_ID)",
                detail()
            ),
        },
        _ => EvidenceStoreError::Permanent { detail: detail() },
    }
}

fn error_code_mentions_immutability(code: Option<&str>) -> bool {
    code.is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("immutab") || c.contains("legalhold") || c.contains("worm")
    })
}

fn is_blob_not_found(err: &azure_core::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::HttpResponse { status, error_code, .. }
            if u16::from(*status) == 404 && error_code.as_deref() != Some("ContainerNotFound")
    )
}

fn encode<T: serde::Serialize>(what: &str, v: &T) -> Result<Vec<u8>, EvidenceStoreError> {
    serde_json::to_vec_pretty(v).map_err(|e| EvidenceStoreError::Permanent {
        detail: format!("{what} cannot be serialized: {e}"),
    })
}

/// Whole seconds since the epoch as the SDK's time type.
fn offset_time(t: chrono::DateTime<Utc>) -> Result<OffsetDateTime, EvidenceStoreError> {
    OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(|e| EvidenceStoreError::Permanent {
        detail: format!("retention date {t} is out of range: {e}"),
    })
}

/// RFC 1123, as the service and its documentation write dates.
fn rfc1123(t: &OffsetDateTime) -> String {
    azure_core::time::to_rfc7231(t)
}

/// What Get Blob showed.
struct ReadBack {
    bytes: Vec<u8>,
    legal_hold: Option<bool>,
    mode: Option<ImmutabilityPolicyMode>,
    until: Option<OffsetDateTime>,
}

impl ReadBack {
    fn hold_ok(&self) -> bool {
        self.legal_hold == Some(true)
    }

    fn policy_ok(&self, until: &OffsetDateTime) -> bool {
        matches!(
            self.mode,
            Some(ImmutabilityPolicyMode::Unlocked | ImmutabilityPolicyMode::Locked)
        ) && self.until.is_some_and(|u| u >= *until)
    }

    fn describe(&self) -> String {
        format!(
            "legal hold {}, immutability policy {} until {}",
            match self.legal_hold {
                Some(true) => "on",
                Some(false) => "off",
                None => "absent",
            },
            self.mode
                .map_or_else(|| "absent".to_owned(), |m| m.to_string()),
            self.until
                .as_ref()
                .map_or_else(|| "(none)".to_owned(), rfc1123)
        )
    }
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
        client_options
            .per_call_policies
            .push(Arc::new(DocumentedPolicyModeCasing));
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
        Ok(Self {
            config,
            container_url: url,
            credential,
            client_options,
            list_pipeline,
            version,
            container,
        })
    }

    /// The configuration the store was built with.
    pub fn config(&self) -> &BlobEvidenceConfig {
        &self.config
    }

    /// Checks at start-up that the container exists and, with WORM on, that the service reports
    /// version-level immutability on it (`x-ms-immutable-storage-with-versioning-enabled`), so
    /// a misconfigured deployment fails before the first leaver rather than at the first write.
    /// The per-blob read-back remains the guarantee; this is the early warning.
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
        if versioned_worm == Some(true) {
            Ok(())
        } else {
            Err(EvidenceStoreError::Permanent {
                detail: format!(
                    "{what} does not report version-level immutability (x-ms-immutable-storage-with-versioning-enabled: {}); evidence written there could not be held. Deploy the evidence account from infra/ (immutableStorageWithVersioning), or set OFFBOARD_EVIDENCE_WORM=off only for an emulator",
                    versioned_worm.map_or("absent".to_owned(), |v| v.to_string())
                ),
            })
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
    fn blob_url(&self, name: &str) -> Result<Url, EvidenceStoreError> {
        let mut url = self.container_url.clone();
        url.path_segments_mut()
            .map_err(|()| EvidenceStoreError::Permanent {
                detail: format!("cannot build the URL of blob {name}"),
            })?
            .extend(name.split('/'));
        Ok(url)
    }

    fn blob(&self, name: &str) -> Result<BlobClient, EvidenceStoreError> {
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

    /// The until-date of a retention policy that starts now: whole seconds, as RFC 1123 carries.
    fn retention_until(&self) -> Result<OffsetDateTime, EvidenceStoreError> {
        let until = Utc::now() + chrono::Duration::days(i64::from(self.config.retention_days));
        offset_time(until)
    }

    /// Get Blob: the content and the immutability headers; `None` if there is no such blob.
    async fn read_blob(&self, name: &str) -> Result<Option<ReadBack>, EvidenceStoreError> {
        let client = self.blob(name)?;
        let result: BlobClientDownloadResult = match client.download(None).await {
            Ok(r) => r,
            Err(e) if is_blob_not_found(&e) => return Ok(None),
            Err(e) => return Err(evidence_error(name, Call::Read, &e)),
        };
        let props = result.properties;
        let bytes = result
            .body
            .collect()
            .await
            .map_err(|e| evidence_error(name, Call::Read, &e))?;
        Ok(Some(ReadBack {
            bytes: bytes.to_vec(),
            legal_hold: props.legal_hold,
            mode: props.immutability_policy_mode,
            until: props.immutability_policy_expires_on,
        }))
    }

    /// Writes `bytes` at `name` create-only (under hold and retention with WORM on) and reads
    /// it back; see the module documentation.
    async fn write_once(
        &self,
        name: &str,
        bytes: Vec<u8>,
        what: &str,
    ) -> Result<(), EvidenceStoreError> {
        let client = self.blob(name)?;
        let until = if self.config.worm {
            Some(self.retention_until()?)
        } else {
            None
        };
        let mut options = BlobClientUploadOptions {
            blob_content_type: Some("application/json".into()),
            ..Default::default()
        }
        .if_not_exists();
        if let Some(until) = until {
            options.legal_hold = Some(true);
            options.immutability_policy_mode = Some(ImmutabilityPolicyMode::Unlocked);
            options.immutability_policy_expiry = Some(until);
        }
        let content: RequestContent<azure_core::Bytes, azure_core::http::NoFormat> =
            azure_core::Bytes::from(bytes.clone()).into();
        client
            .upload(content, Some(options))
            .await
            .map_err(|e| evidence_error(what, Call::Upload, &e))?;

        let not_confirmed = |detail: String| EvidenceStoreError::NotConfirmed {
            what: what.to_owned(),
            detail,
        };
        let mut back = self
            .read_blob(name)
            .await?
            .ok_or_else(|| not_confirmed("the blob was not found when read back".into()))?;
        if back.bytes != bytes {
            return Err(not_confirmed(format!(
                "the content read back differs from what was written ({} bytes written, {} read)",
                bytes.len(),
                back.bytes.len()
            )));
        }
        let Some(until) = until else {
            return Ok(());
        };
        if back.hold_ok() && back.policy_ok(&until) {
            return Ok(());
        }
        // The upload's headers did not take (or not all): ask with the dedicated calls, then
        // look again. A service without WORM answers 501 here and the write fails loudly.
        tracing::warn!(
            blob = name,
            observed = %back.describe(),
            "evidence blob lacks its hold or retention after upload; setting them with the dedicated calls"
        );
        if !back.hold_ok() {
            client
                .set_legal_hold(true, None)
                .await
                .map_err(|e| evidence_error(what, Call::Worm, &e))?;
        }
        if !back.policy_ok(&until) {
            let options = azure_storage_blob::models::BlobClientSetImmutabilityPolicyOptions {
                immutability_policy_mode: Some(ImmutabilityPolicyMode::Unlocked),
                ..Default::default()
            };
            client
                .set_immutability_policy(&until, Some(options))
                .await
                .map_err(|e| evidence_error(what, Call::Worm, &e))?;
        }
        back = self
            .read_blob(name)
            .await?
            .ok_or_else(|| not_confirmed("the blob was not found when read back".into()))?;
        if back.bytes == bytes && back.hold_ok() && back.policy_ok(&until) {
            Ok(())
        } else {
            Err(not_confirmed(format!(
                "expected legal hold on and an unlocked or locked policy until at least {}, the service shows {}",
                rfc1123(&until),
                back.describe()
            )))
        }
    }

    /// Reads and parses one JSON blob; `Err` inside if it does not parse (tampering).
    async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<Result<T, String>>, EvidenceStoreError> {
        Ok(self.read_blob(name).await?.map(|back| {
            serde_json::from_slice(&back.bytes).map_err(|e| format!("blob {name}: {e}"))
        }))
    }

    /// The names of the blobs under `prefix` (flat listing, every page).
    async fn list_names(&self, prefix: &str) -> Result<Vec<String>, EvidenceStoreError> {
        let what = format!("listing {prefix}");
        let options = BlobContainerClientListBlobsOptions {
            prefix: Some(prefix.to_owned()),
            maxresults: Some(LIST_PAGE),
            ..Default::default()
        };
        let mut items = self
            .container
            .list_blobs(Some(options))
            .map_err(|e| evidence_error(&what, Call::Read, &e))?;
        let mut names = Vec::new();
        while let Some(item) = items
            .try_next()
            .await
            .map_err(|e| evidence_error(&what, Call::Read, &e))?
        {
            names.extend(item.name);
        }
        Ok(names)
    }

    /// The "directories" directly under `prefix`: List Blobs with `delimiter=/`, which
    /// `azure_storage_blob` 1.1 does not offer, sent through the same kind of pipeline (bearer
    /// token from the same credential, same transport, same `x-ms-version`).
    async fn list_prefixes(&self, prefix: &str) -> Result<Vec<String>, EvidenceStoreError> {
        let what = format!("listing {prefix}");
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut url = self.container_url.clone();
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("restype", "container")
                    .append_pair("comp", "list")
                    .append_pair("prefix", prefix)
                    .append_pair("delimiter", "/")
                    .append_pair("maxresults", &LIST_PAGE.to_string());
                if let Some(m) = &marker {
                    q.append_pair("marker", m);
                }
            }
            let mut request = Request::new(url, Method::Get);
            request.insert_header("accept", "application/xml");
            request.insert_header("x-ms-version", self.version.clone());
            let response = self
                .list_pipeline
                .send(&Context::new(), &mut request, None)
                .await
                .map_err(|e| evidence_error(&what, Call::Read, &e))?;
            let body = response.into_body();
            let page: ListPage = azure_core::xml::from_xml(body.as_ref()).map_err(|e| {
                EvidenceStoreError::Permanent {
                    detail: redact(&format!(
                        "{what}: the service's answer is not a blob listing: {}",
                        e.kind()
                    )),
                }
            })?;
            for item in page.blobs.map(|b| b.items).unwrap_or_default() {
                if let ListItem::BlobPrefix(p) = item {
                    out.push(p.name);
                }
            }
            match page.next_marker.filter(|m| !m.is_empty()) {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        Ok(out)
    }
}

/// One page of List Blobs with a delimiter: `Blob` and `BlobPrefix` elements interleave in name
/// order inside `Blobs`, so they are read as one sequence of either.
#[derive(Debug, Deserialize)]
struct ListPage {
    #[serde(rename = "Blobs", default)]
    blobs: Option<ListBlobs>,
    #[serde(rename = "NextMarker", default)]
    next_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ListBlobs {
    #[serde(rename = "$value", default)]
    items: Vec<ListItem>,
}

#[derive(Debug, Deserialize)]
enum ListItem {
    Blob(serde::de::IgnoredAny),
    BlobPrefix(ListPrefix),
}

#[derive(Debug, Deserialize)]
struct ListPrefix {
    #[serde(rename = "Name")]
    name: String,
}

#[async_trait]
impl EvidenceStore for BlobEvidenceStore {
    fn worm(&self) -> WormStatus {
        if self.config.worm {
            WormStatus::Enforced {
                retention_days: self.config.retention_days,
            }
        } else {
            WormStatus::NotEnforced {
                reason: WORM_OFF_REASON.into(),
            }
        }
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
    }

    #[tracing::instrument(skip_all, fields(seq = entry.seq))]
    async fn put_ledger_entry(&self, entry: &LedgerEntry) -> Result<(), EvidenceStoreError> {
        let what = format!("ledger entry {}", entry.seq);
        let bytes = encode(&what, entry)?;
        self.write_once(&ledger_name(entry.seq), bytes, &what).await
    }

    async fn records(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Vec<StoredRecord>, EvidenceStoreError> {
        check_period(period)?;
        let prefix = format!("{}records/", case_prefix(period, case_id));
        let mut positions: Vec<(u64, String)> = self
            .list_names(&prefix)
            .await?
            .into_iter()
            .filter_map(|name| position_of(&name, &prefix).map(|p| (p, name)))
            .collect();
        positions.sort();
        let reads =
            futures::stream::iter(positions.into_iter().map(|(position, name)| async move {
                let record = self.read_json::<EvidenceRecord>(&name).await?;
                Ok::<_, EvidenceStoreError>(record.map(|record| StoredRecord { position, record }))
            }))
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
            .list_names(&prefix)
            .await?
            .into_iter()
            .filter_map(|name| position_of(&name, &prefix).map(|p| (p, name)))
            .max();
        let Some((position, name)) = last else {
            return Ok(None);
        };
        Ok(self
            .read_json::<EvidenceRecord>(&name)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_layout_and_positions_parse_back() {
        let id = CaseId::derive("generic", "evt-1");
        let name = record_name("2026-11", &id, 42);
        assert_eq!(name, format!("cases/2026-11/{id}/records/000042.json"));
        let prefix = format!("cases/2026-11/{id}/records/");
        assert_eq!(position_of(&name, &prefix), Some(42));
        assert_eq!(position_of(&format!("{prefix}x.json"), &prefix), None);
        assert_eq!(position_of(&format!("{prefix}.json"), &prefix), None);
        assert_eq!(
            seal_name("2026-11", &id),
            format!("cases/2026-11/{id}/seal.json")
        );
        assert_eq!(ledger_name(7), "ledger/000000000007.json");
    }

    #[test]
    fn periods_must_be_months() {
        assert!(check_period("2026-11").is_ok());
        for bad in [
            "2026-13", "2026-00", "2026-1", "../x", "2026/11", "abcd-ef", "",
        ] {
            assert!(check_period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn delimiter_listing_reads_prefixes_between_blobs() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="https://a.blob.core.windows.net/" ContainerName="evidence">
  <Prefix>cases/</Prefix><Delimiter>/</Delimiter>
  <Blobs>
    <BlobPrefix><Name>cases/2026-10/</Name></BlobPrefix>
    <Blob><Name>cases/odd.json</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>
    <BlobPrefix><Name>cases/2026-11/</Name></BlobPrefix>
  </Blobs>
  <NextMarker>abc</NextMarker>
</EnumerationResults>"#;
        let page: ListPage = azure_core::xml::from_xml(xml.as_bytes()).unwrap();
        let names: Vec<String> = page
            .blobs
            .unwrap()
            .items
            .into_iter()
            .filter_map(|i| match i {
                ListItem::BlobPrefix(p) => Some(p.name),
                ListItem::Blob(_) => None,
            })
            .collect();
        assert_eq!(names, ["cases/2026-10/", "cases/2026-11/"]);
        assert_eq!(page.next_marker.as_deref(), Some("abc"));

        let empty = r#"<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs /><NextMarker /></EnumerationResults>"#;
        let page: ListPage = azure_core::xml::from_xml(empty.as_bytes()).unwrap();
        assert!(page.blobs.map(|b| b.items).unwrap_or_default().is_empty());
        assert_eq!(page.next_marker.as_deref().filter(|m| !m.is_empty()), None);
    }

    #[test]
    fn evidence_errors_map_to_what_a_caller_can_do() {
        let http = |status: u16, code: &str| {
            azure_core::Error::new(
                ErrorKind::HttpResponse {
                    status: status.into(),
                    error_code: Some(code.to_owned()),
                    raw_response: None,
                },
                "boom",
            )
        };
        assert_eq!(
            evidence_error("record 1", Call::Upload, &http(409, "BlobAlreadyExists")),
            EvidenceStoreError::Conflict {
                what: "record 1".into()
            }
        );
        match evidence_error("record 1", Call::Worm, &http(501, "APINotImplemented")) {
            EvidenceStoreError::Permanent { detail } => {
                assert!(detail.contains("OFFBOARD_EVIDENCE_WORM=off"), "{detail}");
                assert!(detail.contains("only for an emulator"), "{detail}");
            }
            other => panic!("501 must be permanent, got {other:?}"),
        }
        assert!(matches!(
            evidence_error("x", Call::Read, &http(503, "ServerBusy")),
            EvidenceStoreError::Unavailable { .. }
        ));
        assert!(matches!(
            evidence_error(
                "x",
                Call::Upload,
                &http(403, "AuthorizationPermissionMismatch")
            ),
            EvidenceStoreError::Permanent { .. }
        ));
        assert!(matches!(
            evidence_error("x", Call::Worm, &http(409, "BlobImmutableDueToPolicy")),
            EvidenceStoreError::Permanent { .. }
        ));
    }

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
                retention_days: 2555
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
