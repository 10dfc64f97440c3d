//! Opt-in: the blob evidence store with WORM on against a real Azure storage account — the only
//! place legal holds and immutability policies can be seen to work. See `crates/azure/README.md`
//! ("Live test against a real storage account").
//!
//! Runs only when `OFFBOARD_LIVE_STORAGE_BLOB_ENDPOINT` and `OFFBOARD_LIVE_CREDENTIAL` are set;
//! otherwise it writes a `SKIPPED` line, with the reason, straight to the terminal (past the
//! test harness's output capture) and returns. Settings:
//!
//! - `OFFBOARD_LIVE_STORAGE_BLOB_ENDPOINT` — `https://<account>.blob.core.windows.net/` of an
//!   account with version-level immutability (the evidence account `infra/` deploys, or a test
//!   account made the same way);
//! - `OFFBOARD_LIVE_EVIDENCE_CONTAINER` — the container (default `evidence`);
//! - `OFFBOARD_LIVE_EVIDENCE_ACCOUNT_ID` — the account's resource id (its default retention must be Locked);
//! - `OFFBOARD_LIVE_RETENTION_DAYS` — retention of the test blobs (default 1: they stay
//!   undeletable for one day);
//! - `OFFBOARD_LIVE_CREDENTIAL` — `azure-cli` (your `az login`), `managed-identity`
//!   (`OFFBOARD_MANAGED_IDENTITY_CLIENT_ID` for a user-assigned one) or `client-secret`
//!   (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`). The identity needs the
//!   offboard evidence writer role on the container.
//!
//! The test writes one record under a fresh case id, checks the hold and the policy as the
//! service reports them, checks that the store refuses a second write, tries to overwrite the
//! blob behind the store's back and reports what the service did, and finally clears the legal
//! hold it set (the one-day policy keeps the blob until it expires).

use std::io::Write as _;
use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{RequestContent, RetryOptions, Url};
use azure_storage_blob::BlobClient;
use azure_storage_blob::models::{
    BlobClientGetPropertiesResultHeaders as _, ImmutabilityPolicyMode,
};
use chrono::Utc;
use offboard_azure::{BlobEvidenceConfig, BlobEvidenceOptions, BlobEvidenceStore};
use offboard_core::evidence::{WormStatus, period_of};
use offboard_core::ports::{EvidenceStore, EvidenceStoreError};

use crate::evidence_contract::{chain, new_case};
use crate::helpers::stack_started;

/// Writes to the real terminal, past the test harness's output capture: a skip or an
/// observation of the live service must be seen even when the test passes.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Says that the live test did not run and why.
fn skip(reason: &str) {
    say(&format!(
        "SKIPPED evidence_live: {reason}. See crates/azure/README.md (\"Live test against a real storage account\")."
    ));
}

fn live_credential(kind: &str) -> Result<Arc<dyn TokenCredential>, String> {
    match kind {
        "azure-cli" => azure_identity::AzureCliCredential::new(None)
            .map(|c| c as Arc<dyn TokenCredential>)
            .map_err(|e| format!("Azure CLI credential: {e}")),
        "managed-identity" => {
            if stack_started() {
                return Err("the local stack's identity stand-in is active in this test process: run the live test alone (`cargo test -p offboard-azure --test azure evidence_live`)".into());
            }
            let id = std::env::var("OFFBOARD_MANAGED_IDENTITY_CLIENT_ID").ok();
            offboard_azure::managed_identity_credential(id.as_deref()).map_err(|e| e.to_string())
        }
        "client-secret" => {
            let var = |k: &str| std::env::var(k).map_err(|_| format!("{k} is not set"));
            azure_identity::ClientSecretCredential::new(
                &var("AZURE_TENANT_ID")?,
                var("AZURE_CLIENT_ID")?,
                Secret::new(var("AZURE_CLIENT_SECRET")?),
                None,
            )
            .map(|c| c as Arc<dyn TokenCredential>)
            .map_err(|e| format!("client secret credential: {e}"))
        }
        other => Err(format!(
            "OFFBOARD_LIVE_CREDENTIAL `{other}` is not one of azure-cli, managed-identity, client-secret"
        )),
    }
}

#[tokio::test]
async fn evidence_live_worm_on_a_real_storage_account() {
    let Ok(endpoint) = std::env::var("OFFBOARD_LIVE_STORAGE_BLOB_ENDPOINT") else {
        skip(
            "OFFBOARD_LIVE_STORAGE_BLOB_ENDPOINT is not set (no real storage account to test WORM against; Azurite cannot: it answers 501)",
        );
        return;
    };
    let Ok(kind) = std::env::var("OFFBOARD_LIVE_CREDENTIAL") else {
        skip("OFFBOARD_LIVE_CREDENTIAL is not set (azure-cli, managed-identity or client-secret)");
        return;
    };
    let credential = live_credential(&kind).unwrap_or_else(|e| panic!("live credential: {e}"));
    let container =
        std::env::var("OFFBOARD_LIVE_EVIDENCE_CONTAINER").unwrap_or_else(|_| "evidence".into());
    let retention_days: u32 = std::env::var("OFFBOARD_LIVE_RETENTION_DAYS")
        .ok()
        .map(|d| {
            d.parse()
                .expect("OFFBOARD_LIVE_RETENTION_DAYS is a number of days")
        })
        .unwrap_or(1);

    let store = BlobEvidenceStore::new(
        BlobEvidenceConfig {
            container: container.clone(),
            worm: true,
            retention_days,
            // The account's locked default retention is read there (resource id).
            account_id: std::env::var("OFFBOARD_LIVE_EVIDENCE_ACCOUNT_ID").ok(),
            ..BlobEvidenceConfig::new(&endpoint)
        },
        credential.clone(),
        BlobEvidenceOptions {
            retry: Some(RetryOptions::none()),
        },
    )
    .expect("store");
    assert_eq!(
        store.worm(),
        WormStatus::Enforced {
            retention_days,
            protection: None
        }
    );
    store
        .check_container()
        .await
        .expect("the container reports version-level immutability");

    let case = new_case();
    let period = period_of(Utc::now());
    let record = &chain(&case, 1)[0];
    store
        .put_record(&period, record)
        .await
        .expect("a WORM write is confirmed by its read-back");

    // What the service itself says about the blob.
    let name = format!("cases/{period}/{case}/records/000000.json");
    let mut url = Url::parse(&endpoint).unwrap();
    url.path_segments_mut()
        .unwrap()
        .pop_if_empty()
        .push(&container)
        .extend(name.split('/'));
    let blob = BlobClient::new(url.clone(), Some(credential.clone()), None).unwrap();
    let props = blob.get_properties(None).await.expect("blob properties");
    assert_eq!(props.legal_hold().unwrap(), Some(true));
    assert!(matches!(
        props.immutability_policy_mode().unwrap(),
        Some(ImmutabilityPolicyMode::Unlocked | ImmutabilityPolicyMode::Locked)
    ));
    let until = props
        .immutability_policy_expires_on()
        .unwrap()
        .expect("a policy until-date");
    let version_id = props.version_id().unwrap();
    say(&format!(
        "live: blob {name} version {version_id:?}: legal hold on, policy until {until}"
    ));
    // The protected version itself (the name may later point at another one).
    let original = match version_id.as_deref() {
        Some(v) => blob.with_version(v).unwrap(),
        None => BlobClient::new(url, Some(credential), None).unwrap(),
    };

    // The store writes once.
    assert!(matches!(
        store.put_record(&period, record).await,
        Err(EvidenceStoreError::Conflict { .. })
    ));

    // Behind the store's back: an overwrite without If-None-Match.
    let content: RequestContent<azure_core::Bytes, azure_core::http::NoFormat> =
        azure_core::Bytes::from_static(b"tampered").into();
    match blob.upload(content, None).await {
        Err(e) => say(&format!("live: overwrite refused by the service: {e}")),
        Ok(_) => {
            // Version-level WORM keeps the protected version; the name now points at a new one.
            assert!(
                version_id.is_some(),
                "an overwrite succeeded on an account without blob versioning: evidence is NOT immutable"
            );
            let old_props = original.get_properties(None).await.unwrap();
            assert_eq!(old_props.legal_hold().unwrap(), Some(true));
            say(&format!(
                "live: the overwrite created a new current version; the protected version {version_id:?} is still held (offboard's readers see the new current version: verify reports it as modified)"
            ));
        }
    }

    // Clean up what can be cleaned: the hold (the policy keeps the blob for its days).
    original
        .set_legal_hold(false, None)
        .await
        .expect("clear the test blob's legal hold");
}
