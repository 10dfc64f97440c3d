//! One `EvidenceStore` contract, run against both stores that implement it: the blob store on
//! Azurite (WORM off, the only way Azurite can hold evidence — disclosed by `worm()`) and the
//! embedded `FileEvidenceStore`. Each check is a function over a [`Subject`]; the
//! `contract_tests!` macro turns every check into one test per store, so a difference in
//! behaviour between the two shows up as one failing test with the store in its name.

use async_trait::async_trait;
use azure_core::http::{RequestContent, Url};
use azure_storage_blob::BlobClient;
use chrono::{DateTime, Duration, Utc};
use offboard_azure::BlobEvidenceStore;
use offboard_core::evidence::{
    Chain, EvidenceRecord, LedgerEntry, Outcome, RecordBody, Seal, SlaOutcome, WormStatus,
};
use offboard_core::ids::{CaseId, Sha256Digest};
use offboard_core::ports::{EvidenceStore, EvidenceStoreError};
use offboard_embedded::FileEvidenceStore;

use crate::helpers::{blob_evidence, credential, unique};

/// A store under test, and how an attacker with write access to its storage would alter what
/// it holds (the file system's owner; a blob writer when WORM is off).
#[async_trait]
pub trait Subject: Send + Sync {
    /// The store.
    fn store(&self) -> &dyn EvidenceStore;
    /// Replaces the stored bytes at `name` (a name of the layout, e.g. `ledger/000000000000.json`).
    async fn tamper(&self, name: &str, bytes: &[u8]);
}

/// The embedded file store in a fresh directory.
pub struct FileSubject {
    _dir: tempfile::TempDir,
    store: FileEvidenceStore,
}

#[async_trait]
impl Subject for FileSubject {
    fn store(&self) -> &dyn EvidenceStore {
        &self.store
    }

    async fn tamper(&self, name: &str, bytes: &[u8]) {
        let path = self._dir.path().join(name);
        let mut perms = std::fs::metadata(&path)
            .expect("tampered file exists")
            .permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).expect("make the file writable");
        std::fs::write(&path, bytes).expect("overwrite the file");
    }
}

/// A fresh embedded file store.
pub async fn file_subject() -> FileSubject {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = FileEvidenceStore::open(dir.path()).expect("file evidence store");
    FileSubject { _dir: dir, store }
}

/// The blob store on a fresh Azurite container, WORM off.
pub struct BlobSubject {
    store: BlobEvidenceStore,
}

#[async_trait]
impl Subject for BlobSubject {
    fn store(&self) -> &dyn EvidenceStore {
        &self.store
    }

    async fn tamper(&self, name: &str, bytes: &[u8]) {
        overwrite_blob(&self.store, name, bytes).await;
    }
}

/// Overwrites a blob behind the store's back (no `If-None-Match`): what WORM exists to stop.
pub async fn overwrite_blob(store: &BlobEvidenceStore, name: &str, bytes: &[u8]) {
    let config = store.config();
    let mut url = Url::parse(&config.endpoint).expect("endpoint URL");
    url.path_segments_mut()
        .expect("base URL")
        .pop_if_empty()
        .push(&config.container)
        .extend(name.split('/'));
    let client = BlobClient::new(url, Some(credential()), None).expect("blob client");
    let content: RequestContent<azure_core::Bytes, azure_core::http::NoFormat> =
        azure_core::Bytes::copy_from_slice(bytes).into();
    client
        .upload(content, None)
        .await
        .expect("overwrite the blob (WORM is off on Azurite)");
}

/// The blob store on Azurite.
pub async fn blob_subject() -> BlobSubject {
    BlobSubject {
        store: blob_evidence(false).await,
    }
}

// --- fixtures ---------------------------------------------------------------------------------

const PERIOD: &str = "2026-11";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("fixture time")
        .with_timezone(&Utc)
}

/// A fresh case id (tests share nothing).
pub fn new_case() -> CaseId {
    CaseId::derive("generic", &format!("evt-{}", unique()))
}

/// The body of an ordinary action record.
pub fn body(step: &str, n: u64) -> RecordBody {
    let start = t("2026-11-30T17:00:00Z") + Duration::seconds(i64::try_from(n).unwrap_or(0));
    RecordBody {
        step: step.into(),
        target_system: "entra".into(),
        action: format!("action {n}"),
        target_ids: vec![format!("user-{n}")],
        request: None,
        response_status: Some(204),
        service_request_id: Some(format!("req-{n}")),
        read_back: None,
        started_at: start,
        ended_at: start + Duration::milliseconds(250),
        actor: "offboard (contract test)".into(),
        outcome: Outcome::Verified,
        reason: None,
        details: None,
    }
}

/// `n` chained records of `case_id`.
pub fn chain(case_id: &CaseId, n: u64) -> Vec<EvidenceRecord> {
    let mut chain = Chain::new(case_id.clone());
    (0..n)
        .map(|i| chain.push(body("disable-sign-in", i)).expect("record"))
        .collect()
}

/// The seal of `records`.
pub fn seal_of(case_id: &CaseId, records: &[EvidenceRecord]) -> Seal {
    Seal::new(
        case_id.clone(),
        records,
        Sha256Digest::of(b"hr body"),
        "completed",
        SlaOutcome {
            target_minutes: Some(60),
            measured_from: t("2026-11-30T17:00:00Z"),
            access_removed_at: Some(t("2026-11-30T17:01:00Z")),
            met: Some(true),
        },
        WormStatus::NotEnforced {
            reason: "contract test".into(),
        },
        t("2026-11-30T18:00:00Z"),
    )
    .expect("seal")
}

async fn put_all(s: &dyn Subject, period: &str, records: &[EvidenceRecord]) {
    for r in records {
        s.store().put_record(period, r).await.expect("put record");
    }
}

// --- the contract -----------------------------------------------------------------------------

/// Records come back as written, ordered by the position their name gives them.
pub async fn records_round_trip_in_position_order(s: &dyn Subject) {
    let case = new_case();
    assert!(s.store().records(PERIOD, &case).await.unwrap().is_empty());
    let records = chain(&case, 3);
    // Written out of order: the listing orders them, not the write order.
    for i in [2usize, 0, 1] {
        s.store().put_record(PERIOD, &records[i]).await.unwrap();
    }
    let stored = s.store().records(PERIOD, &case).await.unwrap();
    let positions: Vec<u64> = stored.iter().map(|r| r.position).collect();
    assert_eq!(positions, [0, 1, 2]);
    for (stored, written) in stored.iter().zip(&records) {
        assert_eq!(stored.record.as_ref().expect("parses"), written);
    }
    // Another period of the same case id is another place.
    assert!(
        s.store()
            .records("2026-12", &case)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A position is taken once: the second write is `Conflict` and the first stays.
pub async fn a_position_is_written_once(s: &dyn Subject) {
    let case = new_case();
    let records = chain(&case, 1);
    s.store().put_record(PERIOD, &records[0]).await.unwrap();
    // A competing record for the same position (another writer's chain).
    let mut rival = Chain::new(case.clone());
    let rival = rival.push(body("rival", 99)).unwrap();
    assert_eq!(rival.seq, 0);
    let err = s.store().put_record(PERIOD, &rival).await.unwrap_err();
    assert!(
        matches!(err, EvidenceStoreError::Conflict { .. }),
        "expected Conflict, got {err:?}"
    );
    let again = s.store().put_record(PERIOD, &records[0]).await.unwrap_err();
    assert!(
        matches!(again, EvidenceStoreError::Conflict { .. }),
        "{again:?}"
    );
    let stored = s.store().records(PERIOD, &case).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].record.as_ref().unwrap(), &records[0]);
}

/// The last record is the highest position, also past the width of a single digit.
pub async fn last_record_is_the_highest_position(s: &dyn Subject) {
    let case = new_case();
    assert_eq!(s.store().last_record(PERIOD, &case).await.unwrap(), None);
    let records = chain(&case, 12);
    put_all(s, PERIOD, &records).await;
    let last = s
        .store()
        .last_record(PERIOD, &case)
        .await
        .unwrap()
        .expect("a last record");
    assert_eq!(last.position, 11);
    assert_eq!(last.record.unwrap(), records[11]);
}

/// A seal is written once and read back.
pub async fn a_seal_is_written_once(s: &dyn Subject) {
    let case = new_case();
    assert_eq!(s.store().seal(PERIOD, &case).await.unwrap(), None);
    let records = chain(&case, 2);
    put_all(s, PERIOD, &records).await;
    let seal = seal_of(&case, &records);
    s.store().put_seal(PERIOD, &seal).await.unwrap();
    assert_eq!(
        s.store().seal(PERIOD, &case).await.unwrap(),
        Some(Ok(seal.clone()))
    );
    let err = s.store().put_seal(PERIOD, &seal).await.unwrap_err();
    assert!(
        matches!(err, EvidenceStoreError::Conflict { .. }),
        "{err:?}"
    );
}

/// Ledger positions are taken once, in order, and read back by position.
pub async fn ledger_positions_are_taken_once(s: &dyn Subject) {
    let store = s.store();
    assert_eq!(store.ledger_entry(0).await.unwrap(), None);
    let (a, b) = (new_case(), new_case());
    let seal_a = seal_of(&a, &chain(&a, 1));
    let seal_b = seal_of(&b, &chain(&b, 1));
    let e0 = LedgerEntry::next(None, &seal_a, PERIOD).unwrap();
    let e1 = LedgerEntry::next(Some(&e0), &seal_b, PERIOD).unwrap();
    store.put_ledger_entry(&e0).await.unwrap();
    store.put_ledger_entry(&e1).await.unwrap();
    // Another seal racing for position 1 loses.
    let rival = LedgerEntry::next(Some(&e0), &seal_a, PERIOD).unwrap();
    assert_eq!(rival.seq, 1);
    let err = store.put_ledger_entry(&rival).await.unwrap_err();
    assert!(
        matches!(err, EvidenceStoreError::Conflict { .. }),
        "{err:?}"
    );
    assert_eq!(store.ledger_entry(0).await.unwrap(), Some(Ok(e0)));
    assert_eq!(store.ledger_entry(1).await.unwrap(), Some(Ok(e1)));
    assert_eq!(store.ledger_entry(2).await.unwrap(), None);
}

/// A period lists exactly its cases, and the periods list ascending.
pub async fn periods_and_their_cases_list(s: &dyn Subject) {
    let store = s.store();
    let (a, b, c) = (new_case(), new_case(), new_case());
    put_all(s, "2026-11", &chain(&a, 3)).await;
    put_all(s, "2026-11", &chain(&b, 1)).await;
    put_all(s, "2026-09", &chain(&c, 1)).await;
    let mut nov = vec![a, b];
    nov.sort();
    assert_eq!(store.cases_in_period("2026-11").await.unwrap(), nov);
    assert_eq!(store.cases_in_period("2026-09").await.unwrap(), vec![c]);
    assert!(store.cases_in_period("2026-10").await.unwrap().is_empty());
    assert_eq!(store.periods().await.unwrap(), ["2026-09", "2026-11"]);
}

/// What no longer parses comes back as `Err` in its place, never as a missing record and
/// never as a failed call: `offboard verify` must see it to name it.
pub async fn tampered_blobs_come_back_as_errors(s: &dyn Subject) {
    let case = new_case();
    let records = chain(&case, 3);
    put_all(s, PERIOD, &records).await;
    let seal = seal_of(&case, &records);
    s.store().put_seal(PERIOD, &seal).await.unwrap();
    let entry = LedgerEntry::next(None, &seal, PERIOD).unwrap();
    s.store().put_ledger_entry(&entry).await.unwrap();

    s.tamper(
        &format!("cases/{PERIOD}/{case}/records/000001.json"),
        b"{\"not\": \"a record\"",
    )
    .await;
    s.tamper(
        &format!("cases/{PERIOD}/{case}/records/000002.json"),
        b"\xff\xfe garbage",
    )
    .await;
    s.tamper(&format!("cases/{PERIOD}/{case}/seal.json"), b"[]")
        .await;
    s.tamper("ledger/000000000000.json", b"null").await;

    let stored = s.store().records(PERIOD, &case).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].record.as_ref().unwrap(), &records[0]);
    assert_eq!(stored[1].position, 1);
    assert!(stored[1].record.is_err(), "{:?}", stored[1]);
    assert!(stored[2].record.is_err(), "{:?}", stored[2]);
    let last = s.store().last_record(PERIOD, &case).await.unwrap().unwrap();
    assert_eq!(last.position, 2);
    assert!(last.record.is_err());
    assert!(matches!(
        s.store().seal(PERIOD, &case).await.unwrap(),
        Some(Err(_))
    ));
    assert!(matches!(
        s.store().ledger_entry(0).await.unwrap(),
        Some(Err(_))
    ));
}

/// Neither store on this machine can enforce immutability, and both say so in words that end
/// up in every packet and report.
pub async fn says_worm_is_not_enforced(s: &dyn Subject) {
    let warning = s
        .store()
        .worm()
        .warning()
        .expect("WORM is not enforced here");
    assert!(warning.starts_with("WORM not enforced: "), "{warning}");
}

macro_rules! contract_tests {
    ($subject:path) => {
        #[tokio::test]
        async fn records_round_trip_in_position_order() {
            super::records_round_trip_in_position_order(&$subject().await).await
        }
        #[tokio::test]
        async fn a_position_is_written_once() {
            super::a_position_is_written_once(&$subject().await).await
        }
        #[tokio::test]
        async fn last_record_is_the_highest_position() {
            super::last_record_is_the_highest_position(&$subject().await).await
        }
        #[tokio::test]
        async fn a_seal_is_written_once() {
            super::a_seal_is_written_once(&$subject().await).await
        }
        #[tokio::test]
        async fn ledger_positions_are_taken_once() {
            super::ledger_positions_are_taken_once(&$subject().await).await
        }
        #[tokio::test]
        async fn periods_and_their_cases_list() {
            super::periods_and_their_cases_list(&$subject().await).await
        }
        #[tokio::test]
        async fn tampered_blobs_come_back_as_errors() {
            super::tampered_blobs_come_back_as_errors(&$subject().await).await
        }
        #[tokio::test]
        async fn says_worm_is_not_enforced() {
            super::says_worm_is_not_enforced(&$subject().await).await
        }
    };
}

/// The contract on the embedded file store.
mod file_store {
    contract_tests!(super::file_subject);
}

/// The contract on the blob store against Azurite (WORM off).
mod blob_store_on_azurite {
    contract_tests!(super::blob_subject);
}
