//! Writing once under legal hold and retention, and reading back what the service shows.

use std::sync::Arc;

use async_trait::async_trait;
use azure_core::error::ErrorKind;
use azure_core::http::headers::HeaderName;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{Context, Request, RequestContent};
use azure_core::time::OffsetDateTime;
use azure_storage_blob::models::{
    BlobClientDownloadResult, BlobClientUploadOptions, ImmutabilityPolicyMode,
};
use chrono::Utc;
use offboard_core::ports::EvidenceStoreError;

use super::BlobEvidenceStore;
use crate::error::{EvidenceCall as Call, evidence_error, is_blob_not_found};

/// The request header whose value the SDK writes in lower case and the REST documentation in
/// upper case (see [`DocumentedPolicyModeCasing`]).
const POLICY_MODE: HeaderName = HeaderName::from_static("x-ms-immutability-policy-mode");

/// and so does offboard: this per-call policy rewrites the request header, nothing else.
#[derive(Debug)]
pub(super) struct DocumentedPolicyModeCasing;

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
    /// The until-date of a retention policy that starts now: whole seconds, as RFC 1123 carries.
    pub(super) fn retention_until(&self) -> Result<OffsetDateTime, EvidenceStoreError> {
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
    pub(super) async fn write_once(
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
    pub(super) async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<Result<T, String>>, EvidenceStoreError> {
        Ok(self.read_blob(name).await?.map(|back| {
            serde_json::from_slice(&back.bytes).map_err(|e| format!("blob {name}: {e}"))
        }))
    }
}
