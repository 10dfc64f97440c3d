//! What only the blob evidence store does, against the real Azurite: the loud failure when WORM
//! is asked of a service without it, the container check, the layout of the names, and the
//! service's whole evidence path (trigger, actions, seal, ledger, verify) over the blob store
//! and the Cosmos index.

use std::sync::Arc;

use azure_storage_blob::BlobContainerClient;
use azure_storage_blob::models::BlobContainerClientListBlobsOptions;
use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use offboard_azure::{BlobEvidenceStore, WORM_OFF_REASON};
use offboard_core::case::Case;
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::evidence::verify::Finding;
use offboard_core::evidence::{LedgerEntry, SlaOutcome, WormStatus, period_of};
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::ports::{EvidenceStore, EvidenceStoreError};
use offboard_core::signature::Verified;
use offboard_service::SystemClock;
use offboard_service::evidence::Evidence;

use crate::evidence_contract::{body, chain, new_case, overwrite_blob, seal_of};
use crate::helpers::{blob_evidence, blob_evidence_unchecked, cosmos, credential, unique};

fn container_client(store: &BlobEvidenceStore) -> BlobContainerClient {
    let config = store.config();
    let mut url = azure_core::http::Url::parse(&config.endpoint).unwrap();
    url.path_segments_mut()
        .unwrap()
        .pop_if_empty()
        .push(&config.container);
    BlobContainerClient::new(url, Some(credential()), None).unwrap()
}

async fn blob_names(store: &BlobEvidenceStore) -> Vec<String> {
    let mut items = container_client(store)
        .list_blobs(Some(BlobContainerClientListBlobsOptions::default()))
        .unwrap();
    let mut names = Vec::new();
    while let Some(item) = items.try_next().await.unwrap() {
        names.extend(item.name);
    }
    names.sort();
    names
}

#[tokio::test]
async fn worm_off_is_disclosed_with_the_setting_that_turned_it_off() {
    let store = blob_evidence(false).await;
    assert_eq!(
        store.worm(),
        WormStatus::NotEnforced {
            reason: WORM_OFF_REASON.into()
        }
    );
    assert_eq!(
        store.worm().warning().unwrap(),
        "WORM not enforced: OFFBOARD_EVIDENCE_WORM=off: the storage account does not enforce immutability (Azurite)"
    );
}

#[tokio::test]
async fn worm_on_against_azurite_fails_loudly_instead_of_storing_unprotected_evidence() {
    let store = blob_evidence(true).await;
    assert_eq!(
        store.worm(),
        WormStatus::Enforced {
            retention_days: 2555,
            protection: None
        }
    );
    let case = new_case();
    let record = &chain(&case, 1)[0];
    let err = store.put_record("2026-11", record).await.unwrap_err();
    let EvidenceStoreError::NotConfirmed { detail, .. } = &err else {
        panic!("a write without WORM must not count, got {err:?}");
    };
    // Azurite keeps no blob versions, so no version-level retention can protect the blob: the
    // read-back shows no version id and the write does not count.
    assert!(detail.contains("no blob version"), "{detail}");
    assert!(
        detail.contains("Set OFFBOARD_EVIDENCE_WORM=off only for an emulator"),
        "{detail}"
    );
    assert!(!detail.to_lowercase().contains("bearer"), "{detail}");
    assert!(!detail.contains("eyJ"), "no token in errors: {detail}");

    // The seal and the ledger entry fail the same way.
    let seal = seal_of(&case, &chain(&case, 1));
    assert!(matches!(
        store.put_seal("2026-11", &seal).await,
        Err(EvidenceStoreError::NotConfirmed { .. })
    ));
    let entry = LedgerEntry::next(None, &seal, "2026-11").unwrap();
    assert!(matches!(
        store.put_ledger_entry(&entry).await,
        Err(EvidenceStoreError::NotConfirmed { .. })
    ));
}

#[tokio::test]
async fn the_container_check_tells_an_emulator_from_a_worm_account() {
    // WORM off: the container exists, that is all that is asked.
    blob_evidence(false).await.check_container().await.unwrap();

    // WORM on: Azurite does not report version-level immutability on the container.
    let worm = blob_evidence(true).await;
    match worm.check_container().await {
        Err(EvidenceStoreError::Permanent { detail }) => {
            assert!(detail.contains("version-level immutability"), "{detail}");
            assert!(detail.contains("OFFBOARD_EVIDENCE_WORM=off"), "{detail}");
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }

    // No container at all.
    let missing = blob_evidence_unchecked(false, &format!("missing-{}", unique()));
    match missing.check_container().await {
        Err(EvidenceStoreError::Permanent { detail }) => {
            assert!(detail.contains("does not exist"), "{detail}");
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
}

#[tokio::test]
async fn blobs_are_named_by_the_layout_with_real_slashes() {
    let store = blob_evidence(false).await;
    let case = new_case();
    let records = chain(&case, 2);
    for r in &records {
        store.put_record("2026-11", r).await.unwrap();
    }
    let seal = seal_of(&case, &records);
    store.put_seal("2026-11", &seal).await.unwrap();
    store
        .put_ledger_entry(&LedgerEntry::next(None, &seal, "2026-11").unwrap())
        .await
        .unwrap();
    let mut expected = vec![
        format!("cases/2026-11/{case}/records/000000.json"),
        format!("cases/2026-11/{case}/records/000001.json"),
        format!("cases/2026-11/{case}/seal.json"),
        "ledger/000000000000.json".to_owned(),
    ];
    expected.sort();
    assert_eq!(blob_names(&store).await, expected);
}

#[tokio::test]
async fn a_period_that_is_not_a_month_is_refused_before_anything_is_written() {
    let store = blob_evidence(false).await;
    let case = new_case();
    let record = &chain(&case, 1)[0];
    for period in ["2026-13", "../x", "2026/11", ""] {
        let err = store.put_record(period, record).await.unwrap_err();
        assert!(
            matches!(&err, EvidenceStoreError::Permanent { detail } if detail.contains("YYYY-MM")),
            "{period}: {err:?}"
        );
        assert!(store.records(period, &case).await.is_err());
        assert!(store.cases_in_period(period).await.is_err());
    }
    assert!(blob_names(&store).await.is_empty());
}

#[tokio::test]
async fn a_period_with_many_cases_lists_them_all() {
    let store = blob_evidence(false).await;
    let mut cases: Vec<_> = (0..30).map(|_| new_case()).collect();
    for case in &cases {
        for r in chain(case, 2) {
            store.put_record("2026-11", &r).await.unwrap();
        }
    }
    cases.sort();
    assert_eq!(store.cases_in_period("2026-11").await.unwrap(), cases);
    assert_eq!(store.periods().await.unwrap(), ["2026-11"]);
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn case() -> Case {
    let event_id = format!("evt-{}", unique());
    let facts = TerminationFacts {
        source: Source::Generic,
        source_event_id: event_id.clone(),
        source_subject_id: Some("1042".into()),
        employee: EmployeeIdentifiers::new(Some("1042".into()), None, None, None).unwrap(),
        kind: TerminationKind::Voluntary,
        hr_effective: HrEffectiveTime::instant("2026-11-30T17:00:00Z").unwrap(),
        reason: None,
    };
    let received = t("2026-11-26T10:00:00Z");
    let event = TerminationEvent::new(
        facts,
        &Verified::by_function_key(event_id.as_bytes(), received),
        &EffectivePolicy::default(),
    )
    .unwrap();
    Case::open(event, received)
}

#[tokio::test]
async fn the_service_evidence_path_runs_on_blobs_and_the_cosmos_index_and_verify_names_tampering() {
    let store = Arc::new(blob_evidence(false).await);
    let index = Arc::new(cosmos().await.case_index().await.unwrap());
    let evidence = Evidence::new(
        store.clone(),
        index.clone(),
        "offboard (azure test)",
        Arc::new(SystemClock),
    );
    let case = case();
    let period = period_of(case.event.effective_at());
    evidence.record_trigger(&case).await.unwrap();
    evidence.record_trigger(&case).await.unwrap(); // idempotent
    for i in 1..=3 {
        evidence
            .append(&case, body("disable-sign-in", i))
            .await
            .unwrap();
    }
    let sla = SlaOutcome {
        target_minutes: Some(60),
        measured_from: case.event.effective_at(),
        access_removed_at: Some(case.event.effective_at()),
        met: Some(true),
    };
    let (seal, entry) = evidence.seal(&case, sla).await.unwrap();
    assert_eq!(seal.records.len(), 4);
    assert_eq!(entry.seq, 0);

    let report = evidence
        .verify_stored_case(&period, &case.id)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.findings);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("WORM not enforced: OFFBOARD_EVIDENCE_WORM=off")),
        "{:?}",
        report.warnings
    );
    let indexed = index_entry(&evidence, &period, &case).await;
    assert_eq!(indexed.record_count, 4);
    assert_eq!(indexed.seal_hash.as_ref(), Some(&seal.hash));
    assert!(!indexed.worm_enforced);

    // Someone with write access edits record 2 (possible only because WORM is off here).
    let mut edited = store.records(&period, &case.id).await.unwrap()[2]
        .record
        .clone()
        .unwrap();
    edited.body.outcome = offboard_core::evidence::Outcome::Failed;
    overwrite_blob(
        &store,
        &format!("cases/{period}/{}/records/000002.json", case.id),
        &serde_json::to_vec_pretty(&edited).unwrap(),
    )
    .await;
    let report = evidence
        .verify_stored_case(&period, &case.id)
        .await
        .unwrap();
    assert!(!report.ok());
    assert!(
        report
            .findings
            .iter()
            .any(|f| matches!(f, Finding::RecordModified { seq: 2, .. })),
        "{:?}",
        report.findings
    );
}

async fn index_entry(
    evidence: &Evidence,
    period: &str,
    case: &Case,
) -> offboard_core::evidence::IndexEntry {
    evidence
        .index()
        .get(period, &case.id)
        .await
        .unwrap()
        .expect("indexed")
        .value
}
