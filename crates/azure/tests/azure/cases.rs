//! `CosmosCaseStore` against the npm Cosmos server.

use azure_data_cosmos::{AccountReference, CosmosClient, RoutingStrategy};
use chrono::{DateTime, Duration, Utc};
use offboard_azure::{CosmosConfig, CosmosDb, SetupError};
use offboard_core::case::{Case, CaseStatus};
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::ids::{CaseId, EmployeeIdentifiers};
use offboard_core::ports::{CaseQuery, CaseStore, Created, ETag, StoreError};
use offboard_core::signature::Verified;

use crate::helpers::{cosmos, credential, stack};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The instant the fixtures are "received" at.
fn now() -> DateTime<Utc> {
    t("2026-11-26T10:00:00Z")
}

fn case(source: Source, event_id: &str, effective: &str, subject: Option<&str>) -> Case {
    let facts = TerminationFacts {
        source,
        source_event_id: event_id.into(),
        source_subject_id: subject.map(Into::into),
        employee: EmployeeIdentifiers::new(Some("1042".into()), None, None, None).unwrap(),
        kind: TerminationKind::Voluntary,
        hr_effective: HrEffectiveTime::instant(effective).unwrap(),
        reason: None,
    };
    let event = TerminationEvent::new(
        facts,
        &Verified::by_function_key(event_id.as_bytes(), now()),
        &EffectivePolicy::default(),
    )
    .unwrap();
    Case::open(event, now())
}

#[tokio::test]
async fn create_is_create_if_absent_and_a_duplicate_answers_the_stored_case() {
    let store = cosmos().await.case_store().await.unwrap();
    let original = case(Source::Generic, "evt-1", "2026-11-30T17:00:00Z", None);
    assert_eq!(original.status, CaseStatus::Scheduled);

    let created = store.create(&original).await.unwrap();
    assert!(created.is_new());
    let first = created.into_inner();
    assert_eq!(first.value, original);
    assert!(!first.etag.0.is_empty());

    // A redelivery: same id, different body (a later receipt). The stored case wins, unchanged.
    let mut redelivered = original.clone();
    redelivered.note("should never be stored", now() + Duration::minutes(5));
    match store.create(&redelivered).await.unwrap() {
        Created::Existing(existing) => {
            assert_eq!(existing.value, original);
            assert_eq!(existing.etag, first.etag);
        }
        Created::New(_) => panic!("a duplicate create must not create"),
    }

    let read = store.get(&original.id).await.unwrap().expect("stored case");
    assert_eq!(read.value, original);
    assert_eq!(read.etag, first.etag);

    let missing = CaseId::derive("generic", "never-sent");
    assert_eq!(store.get(&missing).await.unwrap(), None);
}

#[tokio::test]
async fn replace_needs_the_current_etag() {
    let store = cosmos().await.case_store().await.unwrap();
    let mut c = case(Source::Generic, "evt-2", "2026-11-30T17:00:00Z", None);
    let v1 = store.create(&c).await.unwrap().into_inner();

    c.cancel("rescinded by HR", now() + Duration::hours(1))
        .unwrap();
    let v2 = store.replace(&c, &v1.etag).await.unwrap();
    assert_ne!(v2.etag, v1.etag);
    assert_eq!(v2.value.status, CaseStatus::Cancelled);
    let read = store.get(&c.id).await.unwrap().unwrap();
    assert_eq!(read.value, c);
    assert_eq!(read.etag, v2.etag);

    // A writer holding the old version loses.
    let mut stale = v1.value.clone();
    stale.note("late writer", now() + Duration::hours(2));
    let err = store.replace(&stale, &v1.etag).await.unwrap_err();
    assert!(
        matches!(err, StoreError::PreconditionFailed { .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(store.get(&c.id).await.unwrap().unwrap().value, c);

    // Replacing a case that was never created is NotFound, not a silent create.
    let never = case(Source::Generic, "evt-never", "2026-11-30T17:00:00Z", None);
    let err = store
        .replace(&never, &ETag("\"whatever\"".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

/// The fixtures for the query tests: effective times around the fixed `now`, two at the same
/// instant (ordered by id), one cancelled, one from another source about the same person.
async fn seed(store: &dyn CaseStore) -> Vec<Case> {
    let mut cases = vec![
        case(Source::Bamboohr, "a", "2026-11-01T09:00:00Z", Some("1042")),
        case(Source::Bamboohr, "b", "2026-11-20T17:00:00Z", Some("7")),
        case(Source::Bamboohr, "c", "2026-11-20T17:00:00Z", Some("8")),
        case(Source::Bamboohr, "d", "2026-11-30T17:00:00.250Z", Some("9")),
        case(Source::Bamboohr, "e", "2026-12-15T00:00:00Z", None),
        case(Source::Bamboohr, "f", "2027-01-10T12:00:00Z", Some("1042")),
        case(Source::Bamboohr, "g", "2026-12-01T00:00:00Z", Some("1042")),
        case(Source::Generic, "h", "2026-12-02T00:00:00Z", Some("1042")),
    ];
    for c in &cases {
        assert!(store.create(c).await.unwrap().is_new());
    }
    // g is rescinded.
    let g = &mut cases[6];
    let v = store.get(&g.id).await.unwrap().unwrap();
    g.cancel("rescinded", now()).unwrap();
    store.replace(g, &v.etag).await.unwrap();
    cases
}

fn ordered(cases: &[Case]) -> Vec<CaseId> {
    let mut v: Vec<&Case> = cases.iter().collect();
    v.sort_by(|a, b| {
        (a.event.effective_at(), a.id.as_str()).cmp(&(b.event.effective_at(), b.id.as_str()))
    });
    v.into_iter().map(|c| c.id.clone()).collect()
}

async fn list_all(store: &dyn CaseStore, mut q: CaseQuery) -> (Vec<CaseId>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.list(&q).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= q.limit as usize);
        ids.extend(page.items.into_iter().map(|c| c.id));
        match page.continuation {
            Some(token) => q.continuation = Some(token),
            None => break,
        }
        assert!(pages < 100, "paging does not end");
    }
    (ids, pages)
}

#[tokio::test]
async fn list_pages_in_effective_order_and_filters_by_period_and_status() {
    let store = cosmos().await.case_store().await.unwrap();
    let cases = seed(&store).await;

    // Everything, two per page, in (effective time, id) order.
    let (ids, pages) = list_all(
        &store,
        CaseQuery {
            limit: 2,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids, ordered(&cases));
    assert_eq!(pages, 4);

    // A period: from inclusive, to exclusive (e at exactly `to` is out).
    let period = CaseQuery {
        effective_from: Some(t("2026-11-20T17:00:00Z")),
        effective_to: Some(t("2026-12-15T00:00:00Z")),
        limit: 3,
        ..Default::default()
    };
    let (ids, _) = list_all(&store, period.clone()).await;
    let expected: Vec<Case> = cases
        .iter()
        .filter(|c| ["b", "c", "d", "g", "h"].contains(&c.event.source_event_id()))
        .cloned()
        .collect();
    assert_eq!(ids, ordered(&expected));

    // The same period, scheduled only (g is cancelled).
    let (ids, _) = list_all(
        &store,
        CaseQuery {
            status: Some(CaseStatus::Scheduled),
            ..period
        },
    )
    .await;
    let expected: Vec<Case> = cases
        .iter()
        .filter(|c| ["d", "h"].contains(&c.event.source_event_id()))
        .cloned()
        .collect();
    assert_eq!(ids, ordered(&expected));

    // A page holds whole cases, as stored.
    let page = store
        .list(&CaseQuery {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items, vec![cases[0].clone()]);

    // A token that is not ours is refused with what to do.
    let err = store
        .list(&CaseQuery {
            limit: 2,
            continuation: Some("not-a-token".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Permanent { detail } if detail.contains("continuation token")),
        "{err:?}"
    );
}

#[tokio::test]
async fn due_scheduled_returns_due_scheduled_cases_oldest_first() {
    let store = cosmos().await.case_store().await.unwrap();
    let cases = seed(&store).await;
    let id = |event: &str| {
        cases
            .iter()
            .find(|c| c.event.source_event_id() == event)
            .unwrap()
            .id
            .clone()
    };

    // Before any scheduled case is due.
    assert!(store.due_scheduled(now(), 10).await.unwrap().is_empty());
    // d (30 Nov 17:00:00.250) is due at that instant, not a millisecond before.
    assert!(
        store
            .due_scheduled(t("2026-11-30T17:00:00.249Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .due_scheduled(t("2026-11-30T17:00:00.250Z"), 10)
            .await
            .unwrap(),
        vec![id("d")]
    );
    // Later: d, h and e are due; g is cancelled, f still in the future; received cases are not
    // scheduled.
    let due = store
        .due_scheduled(t("2026-12-20T00:00:00Z"), 10)
        .await
        .unwrap();
    assert_eq!(due, vec![id("d"), id("h"), id("e")]);
    assert_eq!(
        store
            .due_scheduled(t("2026-12-20T00:00:00Z"), 2)
            .await
            .unwrap(),
        vec![id("d"), id("h")]
    );
    assert!(
        store
            .due_scheduled(t("2026-12-20T00:00:00Z"), 0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn open_for_subject_finds_the_subjects_cases_that_are_not_final() {
    let store = cosmos().await.case_store().await.unwrap();
    let cases = seed(&store).await;
    let id = |event: &str| {
        cases
            .iter()
            .find(|c| c.event.source_event_id() == event)
            .unwrap()
            .id
            .clone()
    };
    // BambooHR employee 1042: a (received) and f (scheduled); g is cancelled; h is the same
    // number from another source.
    assert_eq!(
        store
            .open_for_subject(Source::Bamboohr, "1042")
            .await
            .unwrap(),
        vec![id("a"), id("f")]
    );
    assert_eq!(
        store
            .open_for_subject(Source::Generic, "1042")
            .await
            .unwrap(),
        vec![id("h")]
    );
    assert!(
        store
            .open_for_subject(Source::Bamboohr, "104")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn documents_carry_fixed_format_query_fields_next_to_the_case() {
    let db = cosmos().await;
    let store = db.case_store().await.unwrap();
    let c = case(
        Source::Bamboohr,
        "layout",
        "2026-11-30T17:00:00.123456Z",
        Some("1042"),
    );
    store.create(&c).await.unwrap();

    // Read the raw document with the SDK directly.
    let account = AccountReference::with_credential(
        stack().get("OFFBOARD_COSMOS_ENDPOINT").parse().unwrap(),
        credential(),
    );
    let client = CosmosClient::builder()
        .build(account, RoutingStrategy::PreferredRegions(Vec::new()))
        .await
        .unwrap();
    let container = client
        .database_client(db.config().database.as_str())
        .container_client("cases", None)
        .await
        .unwrap();
    let doc: serde_json::Value = container
        .read_item(c.id.to_string(), c.id.as_str(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(doc["id"], c.id.as_str());
    assert_eq!(doc["effectiveAt"], "2026-11-30T17:00:00.123Z");
    assert_eq!(doc["sortKey"], format!("2026-11-30T17:00:00.123Z {}", c.id));
    assert_eq!(doc["status"], "scheduled");
    assert_eq!(doc["subjectKey"], "bamboohr:1042");
    assert_eq!(doc["schemaVersion"], 1);
    let stored: Case = serde_json::from_value(doc["case"].clone()).unwrap();
    assert_eq!(stored, c);
}

#[tokio::test]
async fn a_missing_container_is_a_setup_error_that_says_what_to_check() {
    let config = CosmosConfig::new(
        stack().get("OFFBOARD_COSMOS_ENDPOINT"),
        format!("never-created-{}", crate::helpers::unique()),
    );
    let db = CosmosDb::connect(config, credential()).await.unwrap();
    let err = db.case_store().await.unwrap_err();
    assert!(matches!(err, SetupError::Cosmos { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("/cases"), "{message}");
    assert!(message.contains("OFFBOARD_COSMOS_DATABASE"), "{message}");
    assert!(!message.contains("eyJ"), "a token leaked: {message}");

    let err = CosmosDb::connect(CosmosConfig::new("not a url", "offboard"), credential())
        .await
        .unwrap_err();
    assert!(matches!(err, SetupError::InvalidEndpoint { .. }), "{err:?}");
}
