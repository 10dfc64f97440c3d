//! Evidence the app itself cannot unlock, against the immutability contract of Blob storage.
//!
//! Azurite has no immutability, so these tests run the production store (production
//! credential, tokens from the identity stand-in) against `standin-blob-worm`, which answers as
//! the REST reference documents: the account's default retention, locked or not; 403 for a call
//! the caller's role does not cover; 409 for deleting, overwriting a held version, or
//! shortening or removing a locked policy. The app's role is the one infra/ deploys (blobs
//! read + add, container read, account read). They prove: the app cannot delete, overwrite,
//! shorten or unlock anything; an identity without `runAsSuperUser` cannot either (and what it
//! *can* do — write a second version — is detected, not read); a missing locked default stops
//! the store before it takes evidence.

use std::collections::BTreeMap;

use azure_core::http::RetryOptions;
use offboard_azure::{BlobEvidenceConfig, BlobEvidenceOptions, BlobEvidenceStore};
use offboard_core::ports::{EvidenceStore, EvidenceStoreError};
use standin_blob_worm::{
    BlobWorm, DefaultPolicy, Grants, PolicyState, WormConfig, actions, app_grants,
};
use standin_identity::DEMO_OBJECT_ID;

use crate::evidence_contract::{chain, new_case};
use crate::helpers::{certs_dir, credential, stack};

/// Starts the stand-in with the account's default policy and the grants of the app's identity
/// (the identity stand-in's system-assigned identity, which `credential()` uses).
fn standin(default: Option<DefaultPolicy>, app: Grants) -> BlobWorm {
    let s = stack();
    let dir = certs_dir();
    BlobWorm::start(WormConfig {
        account: "stevoffboard".into(),
        container: "evidence".into(),
        versioning_worm: true,
        default_policy: default,
        grants: BTreeMap::from([(DEMO_OBJECT_ID.to_owned(), app)]),
        validator: s.issuer.validator(),
        cert_pem: dir.join("server.pem"),
        key_pem: dir.join("server.key"),
    })
    .expect("blob WORM stand-in")
}

fn locked(days: u32) -> Option<DefaultPolicy> {
    Some(DefaultPolicy {
        days,
        state: PolicyState::Locked,
    })
}

fn store(w: &BlobWorm) -> BlobEvidenceStore {
    BlobEvidenceStore::new(
        BlobEvidenceConfig {
            account_id: Some(w.account_id.clone()),
            arm_endpoint: w.arm_endpoint.clone(),
            ..BlobEvidenceConfig::new(&w.blob_endpoint)
        },
        credential(),
        BlobEvidenceOptions {
            retry: Some(RetryOptions::none()),
        },
    )
    .expect("store")
}

/// A raw Blob REST call with the app's own token: what a stolen token, or a bug, could send.
async fn raw(
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let token = credential()
        .get_token(&["https://storage.azure.com/.default"], None)
        .await
        .expect("a storage token");
    let mut req = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token.token.secret())
        .header("x-ms-version", "2025-11-05")
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = req.send().await.expect("the stand-in answers");
    let status = response.status().as_u16();
    let code = response
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, code)
}

fn rfc1123_in(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// Writes one record through the store; returns its blob URL.
async fn one_record(w: &BlobWorm, store: &BlobEvidenceStore) -> (String, Vec<u8>) {
    let case = new_case();
    let record = &chain(&case, 1)[0];
    store
        .put_record("2026-11", record)
        .await
        .expect("written and confirmed");
    let url = format!(
        "{}/evidence/cases/2026-11/{case}/records/000000.json",
        w.blob_endpoint
    );
    (url, serde_json::to_vec_pretty(record).unwrap())
}

/// Every attempt to destroy or weaken the evidence at `url`, with the answer expected for each.
async fn attempts(url: &str) -> Vec<(&'static str, (u16, String))> {
    use reqwest::Method;
    vec![
        ("delete", raw(Method::DELETE, url, &[], b"").await),
        (
            "overwrite",
            raw(Method::PUT, url, &[("x-ms-blob-type", "BlockBlob")], b"{}").await,
        ),
        (
            "shorten",
            raw(
                Method::PUT,
                &format!("{url}?comp=immutabilityPolicies"),
                &[
                    ("x-ms-immutability-policy-until-date", &rfc1123_in(1)),
                    ("x-ms-immutability-policy-mode", "Unlocked"),
                ],
                b"",
            )
            .await,
        ),
        (
            "remove the policy",
            raw(
                Method::DELETE,
                &format!("{url}?comp=immutabilityPolicies"),
                &[],
                b"",
            )
            .await,
        ),
        (
            "clear a legal hold",
            raw(
                Method::PUT,
                &format!("{url}?comp=legalhold"),
                &[("x-ms-legal-hold", "false")],
                b"",
            )
            .await,
        ),
    ]
}

#[tokio::test]
async fn the_app_writes_and_reads_by_version_and_states_the_locked_protection() {
    let w = standin(locked(2555), app_grants());
    let store = store(&w);
    store
        .check_container()
        .await
        .expect("a locked default lets the store start");
    let case = new_case();
    let records = chain(&case, 3);
    for r in &records {
        store.put_record("2026-11", r).await.expect("confirmed");
    }
    let back = store.records("2026-11", &case).await.unwrap();
    assert_eq!(back.len(), 3);
    assert!(back.iter().all(|r| r.record.is_ok()), "{back:?}");
    let statement = store.worm().statement();
    assert_eq!(
        statement,
        "WORM enforced: Locked version-level default policy of the account, 2555 days from each version's creation (offboard asks 2555)"
    );
    // No hold and no policy of its own on any version: the locked default governs.
    let account = w.account();
    assert!(
        account
            .blobs
            .values()
            .flatten()
            .all(|v| v.policy.is_none() && !v.legal_hold)
    );
}

#[tokio::test]
async fn a_default_that_is_not_locked_or_missing_stops_the_store() {
    for default in [
        Some(DefaultPolicy {
            days: 2555,
            state: PolicyState::Unlocked,
        }),
        None,
        locked(30),
    ] {
        let w = standin(default, app_grants());
        let store = store(&w);
        match store.check_container().await {
            Err(EvidenceStoreError::Permanent { detail }) => {
                assert!(
                    detail.contains("OFFBOARD_EVIDENCE_WORM is on but"),
                    "{default:?}: {detail}"
                )
            }
            other => panic!("{default:?}: the store must refuse to start, got {other:?}"),
        }
        match store.put_record("2026-11", &chain(&new_case(), 1)[0]).await {
            Err(EvidenceStoreError::NotConfirmed { detail, .. }) => {
                assert!(detail.contains("no effective locked retention"), "{detail}")
            }
            other => panic!("{default:?}: an unprotected write must not count, got {other:?}"),
        }
    }
    // Locking it (the deployment's step) is what lets the store start.
    let w = standin(
        Some(DefaultPolicy {
            days: 2555,
            state: PolicyState::Unlocked,
        }),
        app_grants(),
    );
    assert!(w.lock_default());
    store(&w).check_container().await.expect("locked now");
}

#[tokio::test]
async fn the_app_cannot_delete_overwrite_shorten_or_unlock_anything() {
    let w = standin(locked(2555), app_grants());
    let store = store(&w);
    let (url, bytes) = one_record(&w, &store).await;
    for (what, (status, code)) in attempts(&url).await {
        assert_eq!(
            (status, code.as_str()),
            (403, "AuthorizationPermissionMismatch"),
            "the app's role must not allow: {what}"
        );
    }
    let account = w.account();
    let versions: Vec<_> = account.blobs.values().flatten().collect();
    assert_eq!(versions.len(), 1, "still one version");
    assert_eq!(versions[0].bytes, bytes, "unchanged");
}

#[tokio::test]
async fn an_identity_without_run_as_super_user_cannot_either_and_its_overwrite_is_detected() {
    // The broadest data role short of runAsSuperUser: read, create, overwrite, delete blobs and
    // versions (Storage Blob Data Contributor's data actions).
    let contributor = Grants(
        [
            actions::READ,
            actions::ADD,
            actions::WRITE,
            actions::DELETE,
            actions::DELETE_VERSION,
            actions::CONTAINER_READ,
            actions::ACCOUNT_READ,
        ]
        .map(str::to_owned)
        .to_vec(),
    );
    let w = standin(locked(2555), contributor);
    let store = store(&w);
    let case = new_case();
    store
        .put_record("2026-11", &chain(&case, 1)[0])
        .await
        .unwrap();
    let url = format!(
        "{}/evidence/cases/2026-11/{case}/records/000000.json",
        w.blob_endpoint
    );
    let original = w.account().blobs.values().next().unwrap()[0].id.clone();
    let answers: BTreeMap<_, _> = attempts(&url).await.into_iter().collect();
    assert_eq!(answers["delete"], (409, "BlobImmutableDueToPolicy".into()));
    assert_eq!(answers["shorten"].0, 403);
    assert_eq!(answers["remove the policy"].0, 403);
    assert_eq!(answers["clear a legal hold"].0, 403);
    // Put Blob over a retained blob is allowed: it makes a new current version and the
    // original stays. offboard reads by version and reports the overwrite instead of reading it.
    assert_eq!(answers["overwrite"].0, 201);
    let version_url = format!("{url}?versionid={original}");
    assert_eq!(
        raw(reqwest::Method::DELETE, &version_url, &[], b"").await,
        (409, "BlobImmutableDueToPolicy".into())
    );
    let back = store.records("2026-11", &case).await.unwrap();
    assert_eq!(back.len(), 1);
    let err = back[0].record.as_ref().unwrap_err();
    assert!(err.contains("has 2 versions"), "{err}");
}

#[tokio::test]
async fn even_run_as_super_user_cannot_shorten_or_remove_a_locked_default() {
    let admin = Grants(
        [
            actions::READ,
            actions::ADD,
            actions::WRITE,
            actions::DELETE,
            actions::DELETE_VERSION,
            actions::RUN_AS_SUPER_USER,
            actions::CONTAINER_READ,
            actions::ACCOUNT_READ,
        ]
        .map(str::to_owned)
        .to_vec(),
    );
    let w = standin(locked(2555), admin);
    let store = store(&w);
    let (url, _) = one_record(&w, &store).await;
    let answers: BTreeMap<_, _> = attempts(&url).await.into_iter().collect();
    for what in ["delete", "shorten", "remove the policy"] {
        assert_eq!(
            answers[what],
            (409, "BlobImmutableDueToPolicy".into()),
            "{what}"
        );
    }
}
