//! `CosmosCaseIndex` against the npm Cosmos server: create-if-absent, ETag replace, and a
//! period listed from its one partition in effective-time order.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use offboard_core::case::CaseStatus;
use offboard_core::event::{Source, TerminationKind};
use offboard_core::evidence::IndexEntry;
use offboard_core::ids::{CaseId, EmployeeIdentifiers, Sha256Digest};
use offboard_core::ports::{CaseIndex, ETag, StoreError};

use crate::helpers::{cosmos, unique};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn entry(period: &str, effective: DateTime<Utc>) -> IndexEntry {
    IndexEntry {
        id: CaseId::derive("generic", &format!("evt-{}", unique())),
        period: period.into(),
        status: CaseStatus::Received,
        source: Source::Generic,
        source_event_id: "evt".into(),
        employee: EmployeeIdentifiers::new(Some("1042".into()), None, None, None).unwrap(),
        leaver: None,
        kind: TerminationKind::Voluntary,
        hr_effective_as_sent: Some(effective.to_rfc3339()),
        effective_at: effective,
        received_at: t("2026-11-01T08:00:00Z"),
        hr_event_sha256: Sha256Digest::of(b"hr"),
        timeline: Vec::new(),
        access_removed_at: BTreeMap::new(),
        exceptions: Vec::new(),
        record_count: 1,
        chain_head: Sha256Digest::of(b"head"),
        seal_hash: None,
        sla: None,
        ledger_seq: None,
        worm_enforced: false,
    }
}

#[tokio::test]
async fn create_is_create_if_absent_and_replace_needs_the_current_etag() {
    let index = cosmos().await.case_index().await.unwrap();
    let mut e = entry("2026-11", t("2026-11-30T17:00:00Z"));
    assert_eq!(index.get("2026-11", &e.id).await.unwrap(), None);

    let v1 = index.put(&e, None).await.unwrap();
    assert_eq!(v1.value, e);
    assert!(!v1.etag.0.is_empty());
    let read = index.get("2026-11", &e.id).await.unwrap().expect("stored");
    assert_eq!(read.value, e);
    assert_eq!(read.etag, v1.etag);
    // The entry lives in its period's partition only.
    assert_eq!(index.get("2026-10", &e.id).await.unwrap(), None);

    // A second create loses.
    let err = index.put(&e, None).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");

    e.status = CaseStatus::Completed;
    e.record_count = 5;
    e.access_removed_at
        .insert("entra".into(), t("2026-11-30T17:01:00Z"));
    let v2 = index.put(&e, Some(&v1.etag)).await.unwrap();
    assert_ne!(v2.etag, v1.etag);
    assert_eq!(index.get("2026-11", &e.id).await.unwrap().unwrap().value, e);

    // The old ETag is stale now.
    e.status = CaseStatus::Cancelled;
    let err = index.put(&e, Some(&v1.etag)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::PreconditionFailed { .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(
        index
            .get("2026-11", &e.id)
            .await
            .unwrap()
            .unwrap()
            .value
            .status,
        CaseStatus::Completed
    );

    // Replacing an entry that does not exist is stale too (as on the embedded index).
    let ghost = entry("2026-11", t("2026-11-30T17:00:00Z"));
    let err = index
        .put(
            &ghost,
            Some(&ETag("\"00000000-0000-0000-0000-000000000000\"".into())),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PreconditionFailed { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_period_lists_from_its_partition_in_effective_time_order() {
    let index = cosmos().await.case_index().await.unwrap();
    let base = t("2026-11-10T09:00:00Z");
    // Inserted out of order; two share an effective time (then the id decides).
    let late = entry("2026-11", base + Duration::days(5));
    let early = entry("2026-11", base);
    let mid_a = entry("2026-11", base + Duration::hours(3));
    let mid_b = entry("2026-11", base + Duration::hours(3));
    let other_period = entry("2026-12", t("2026-12-01T00:00:00Z"));
    for e in [&late, &mid_b, &other_period, &early, &mid_a] {
        index.put(e, None).await.unwrap();
    }
    let listed = index.list_period("2026-11").await.unwrap();
    let mut mids = [mid_a.id.clone(), mid_b.id.clone()];
    mids.sort();
    let ids: Vec<CaseId> = listed.iter().map(|e| e.id.clone()).collect();
    assert_eq!(
        ids,
        [
            early.id.clone(),
            mids[0].clone(),
            mids[1].clone(),
            late.id.clone()
        ]
    );
    assert_eq!(listed[0], early);
    assert_eq!(
        index.list_period("2026-12").await.unwrap(),
        vec![other_period]
    );
    assert!(index.list_period("2027-01").await.unwrap().is_empty());

    // The report's aggregates are computed in Rust from the one-partition listing.
    let count = listed
        .iter()
        .filter(|e| e.status == CaseStatus::Received)
        .count();
    assert_eq!(count, 4);
}
