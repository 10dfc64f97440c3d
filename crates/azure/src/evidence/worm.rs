//! Writing once and reading back what the service shows: the bytes, the version the write
//! created, and the protection in effect for it.
//!
//! The app sets no legal hold and no per-blob policy: a blob's own policy takes precedence over
//! the account's default, so an *Unlocked* per-blob policy would make locked evidence
//! shortenable by anyone holding `runAsSuperUser` (the app included, when it held it). Every
//! version inherits the account's locked default instead ([`super::protection`]).

use azure_core::http::{Context, Method, Request, RequestContent, Url};
use azure_storage_blob::models::{BlobClientUploadOptions, ImmutabilityPolicyMode};
use offboard_core::ports::EvidenceStoreError;

use super::BlobEvidenceStore;
use crate::error::{EvidenceCall as Call, evidence_error, is_blob_not_found, redact};

/// What Get Blob showed for one version.
pub(super) struct ReadBack {
    pub(super) bytes: Vec<u8>,
    /// `x-ms-version-id`: present where the account keeps versions (version-level WORM).
    pub(super) version_id: Option<String>,
    legal_hold: Option<bool>,
    /// A policy of the version's own (`x-ms-immutability-policy-mode`), if any.
    own_policy: Option<ImmutabilityPolicyMode>,
}

impl ReadBack {
    fn describe(&self) -> String {
        format!(
            "version {}, legal hold {}, own policy {}",
            self.version_id.as_deref().unwrap_or("(none)"),
            match self.legal_hold {
                Some(true) => "on",
                Some(false) => "off",
                None => "absent",
            },
            self.own_policy
                .map_or_else(|| "none".to_owned(), |m| m.to_string()),
        )
    }
}

impl BlobEvidenceStore {
    /// Get Blob of the current version, or of `version`: content and the version and
    /// protection headers; `None` if there is no such blob (or version).
    pub(super) async fn read_blob(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<Option<ReadBack>, EvidenceStoreError> {
        let mut url: Url = self.blob_url(name)?;
        if let Some(v) = version {
            url.query_pairs_mut().append_pair("versionid", v);
        }
        let mut request = Request::new(url, Method::Get);
        request.insert_header("x-ms-version", self.version.clone());
        let response = match self
            .list_pipeline
            .send(&Context::new(), &mut request, None)
            .await
        {
            Ok(r) => r,
            Err(e) if is_blob_not_found(&e) => return Ok(None),
            Err(e) => return Err(evidence_error(name, Call::Read, &e)),
        };
        let status = u16::from(response.status());
        if status == 404 {
            return Ok(None);
        }
        if !(200..300).contains(&status) {
            return Err(EvidenceStoreError::Permanent {
                detail: redact(&format!("{status} on reading blob {name}")),
            });
        }
        let headers = response.headers().clone();
        let text = |h: &'static str| {
            headers
                .get_optional_str(&azure_core::http::headers::HeaderName::from_static(h))
                .map(str::to_owned)
        };
        let own_policy = text("x-ms-immutability-policy-mode").and_then(|m| {
            match m.to_ascii_lowercase().as_str() {
                "locked" => Some(ImmutabilityPolicyMode::Locked),
                "unlocked" => Some(ImmutabilityPolicyMode::Unlocked),
                "mutable" => Some(ImmutabilityPolicyMode::Mutable),
                _ => None,
            }
        });
        Ok(Some(ReadBack {
            version_id: text("x-ms-version-id"),
            legal_hold: text("x-ms-legal-hold").map(|v| v.eq_ignore_ascii_case("true")),
            own_policy,
            bytes: response.into_body().to_vec(),
        }))
    }

    /// Writes `bytes` at `name` create-only and reads it back; with WORM on, the write counts
    /// only if the service shows a new version, no unlocked policy of the blob's own, and the
    /// account's locked default retention in effect. Returns the version id.
    pub(super) async fn write_once(
        &self,
        name: &str,
        bytes: Vec<u8>,
        what: &str,
    ) -> Result<Option<String>, EvidenceStoreError> {
        let client = self.blob(name)?;
        let options = BlobClientUploadOptions {
            blob_content_type: Some("application/json".into()),
            ..Default::default()
        }
        .if_not_exists();
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
        let back = self
            .read_blob(name, None)
            .await?
            .ok_or_else(|| not_confirmed("the blob was not found when read back".into()))?;
        if back.bytes != bytes {
            return Err(not_confirmed(format!(
                "the content read back differs from what was written ({} bytes written, {} read)",
                bytes.len(),
                back.bytes.len()
            )));
        }
        if !self.config.worm {
            return Ok(back.version_id);
        }
        if back.version_id.is_none() {
            return Err(not_confirmed(format!(
                "the service shows no blob version ({}): the account does not keep versions, so no version-level retention protects this evidence (an emulator such as Azurite keeps none: Set OFFBOARD_EVIDENCE_WORM=off only for an emulator)",
                back.describe()
            )));
        }
        if matches!(
            back.own_policy,
            Some(ImmutabilityPolicyMode::Unlocked | ImmutabilityPolicyMode::Mutable)
        ) {
            return Err(not_confirmed(format!(
                "the blob carries a policy of its own that is not locked ({}); it takes precedence over the account's locked default and can be shortened",
                back.describe()
            )));
        }
        let protection = self.protection().await?;
        if let Err(why) = self.locked_enough(&protection) {
            tracing::error!(blob = name, %why, "evidence written without effective locked retention");
            return Err(not_confirmed(format!(
                "no effective locked retention: {why}"
            )));
        }
        Ok(back.version_id)
    }

    /// Reads and parses one piece of evidence whose versions are `versions` (oldest first, from
    /// a listing; empty where the service keeps none). More than one version means something
    /// wrote over the evidence after it was written: reported as `Err` inside, never read as
    /// the record.
    pub(super) async fn read_versioned<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        versions: &[String],
    ) -> Result<Option<Result<T, String>>, EvidenceStoreError> {
        if versions.len() > 1 {
            return Ok(Some(Err(format!(
                "blob {name} has {} versions ({}): it was written over after the evidence was written; the first version is the evidence",
                versions.len(),
                versions.join(", ")
            ))));
        }
        Ok(self
            .read_blob(name, versions.first().map(String::as_str))
            .await?
            .map(|back| {
                serde_json::from_slice(&back.bytes).map_err(|e| format!("blob {name}: {e}"))
            }))
    }

    /// Reads and parses the evidence at `name` by the version written (see
    /// [`Self::read_versioned`]).
    pub(super) async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<Result<T, String>>, EvidenceStoreError> {
        let versions = self
            .list_versions(name)
            .await?
            .remove(name)
            .unwrap_or_default();
        self.read_versioned(name, &versions).await
    }
}
