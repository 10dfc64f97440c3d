//! The protection in effect for the evidence, read from the service's own properties: the
//! evidence account's default immutability policy (resource manager: `GET` on the storage
//! account, `properties.immutableStorageWithVersioning.immutabilityPolicy`), which every blob
//! version inherits. Read at start-up (the handler refuses to start with WORM on if it is not
//! locked) and again at most every [`PROTECTION_MAX_AGE`] while writing.

use std::time::{Duration, Instant};

use azure_core::http::{Context, Method, Request, Url};
use offboard_core::evidence::WormProtection;
use offboard_core::ports::EvidenceStoreError;
use serde::Deserialize;

use super::BlobEvidenceStore;
use crate::error::{EvidenceCall as Call, evidence_error, redact};

/// How long a read of the account's policy is trusted before it is read again.
pub(super) const PROTECTION_MAX_AGE: Duration = Duration::from_secs(300);
/// The resource manager API version of the storage account read.
const ARM_API_VERSION: &str = "2024-01-01";

/// What protects evidence versions, as offboard names it in every output.
pub(super) const ACCOUNT_DEFAULT_SCOPE: &str = "version-level default policy of the account";

#[derive(Debug, Deserialize)]
struct Account {
    #[serde(default)]
    properties: AccountProperties,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountProperties {
    #[serde(default)]
    immutable_storage_with_versioning: Option<Immutable>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Immutable {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    immutability_policy: Option<Policy>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Policy {
    #[serde(default)]
    immutability_period_since_creation_in_days: u32,
    #[serde(default)]
    state: String,
}

impl BlobEvidenceStore {
    /// The effective protection, from a read at most [`PROTECTION_MAX_AGE`] old.
    pub(super) async fn protection(&self) -> Result<WormProtection, EvidenceStoreError> {
        if let Ok(cached) = self.protection.read()
            && let Some((at, p)) = cached.as_ref()
            && at.elapsed() < PROTECTION_MAX_AGE
        {
            return Ok(p.clone());
        }
        let p = self.read_protection().await?;
        if let Ok(mut cached) = self.protection.write() {
            *cached = Some((Instant::now(), p.clone()));
        }
        Ok(p)
    }

    /// The last protection read, if any (for [`EvidenceStore::worm`], which cannot wait).
    ///
    /// [`EvidenceStore::worm`]: offboard_core::ports::EvidenceStore::worm
    pub(super) fn last_protection(&self) -> Option<WormProtection> {
        self.protection
            .read()
            .ok()
            .and_then(|c| c.as_ref().map(|(_, p)| p.clone()))
    }

    /// `Ok` if `p` is a locked policy at least as long as the configured retention; else why
    /// not, in words an operator can act on.
    pub(super) fn locked_enough(&self, p: &WormProtection) -> Result<(), String> {
        if p.state != "Locked" {
            return Err(format!(
                "the evidence account's default retention policy is {} ({} days), not Locked: anyone holding runAsSuperUser could shorten or remove it. Run infra/scripts/lock-evidence-retention.sh (the deployments run it)",
                p.state, p.period_days
            ));
        }
        if p.period_days < self.config.retention_days {
            return Err(format!(
                "the evidence account's locked default retention is {} days, shorter than OFFBOARD_EVIDENCE_RETENTION_DAYS={}",
                p.period_days, self.config.retention_days
            ));
        }
        Ok(())
    }

    /// `GET {arm}{account id}?api-version=…`: the account's immutability settings.
    async fn read_protection(&self) -> Result<WormProtection, EvidenceStoreError> {
        let what = "the evidence account's immutability policy";
        let Some(id) = self.config.account_id.as_deref() else {
            return Err(EvidenceStoreError::Permanent {
                detail: format!(
                    "{what} cannot be read: OFFBOARD_EVIDENCE_ACCOUNT_ID (the evidence storage account's resource id) is not set; the infrastructure sets it"
                ),
            });
        };
        let base = self.config.arm_endpoint.trim_end_matches('/');
        let mut url =
            Url::parse(&format!("{base}{id}")).map_err(|e| EvidenceStoreError::Permanent {
                detail: format!("{what}: `{base}{id}` is not a URL: {e}"),
            })?;
        url.query_pairs_mut()
            .append_pair("api-version", ARM_API_VERSION);
        let mut request = Request::new(url, Method::Get);
        request.insert_header("accept", "application/json");
        let response = self
            .arm_pipeline
            .send(&Context::new(), &mut request, None)
            .await
            .map_err(|e| evidence_error(what, Call::Protection, &e))?;
        let status = u16::from(response.status());
        if !(200..300).contains(&status) {
            return Err(EvidenceStoreError::Permanent {
                detail: redact(&format!(
                    "{status} on reading {what}; the identity needs Microsoft.Storage/storageAccounts/read on the evidence account (the offboard evidence protection reader role)"
                )),
            });
        }
        let account: Account =
            serde_json::from_slice(response.into_body().as_ref()).map_err(|e| {
                EvidenceStoreError::Permanent {
                    detail: format!(
                        "{what}: the resource manager's answer is not a storage account: {e}"
                    ),
                }
            })?;
        let imm = account.properties.immutable_storage_with_versioning;
        let (state, period_days) = match imm {
            Some(Immutable {
                enabled: true,
                immutability_policy: Some(p),
            }) => (p.state, p.immutability_period_since_creation_in_days),
            Some(Immutable { enabled: true, .. }) => ("absent (no default policy)".to_owned(), 0),
            _ => ("absent (version-level immutability is off)".to_owned(), 0),
        };
        Ok(WormProtection {
            scope: ACCOUNT_DEFAULT_SCOPE.to_owned(),
            state,
            period_days,
        })
    }
}
