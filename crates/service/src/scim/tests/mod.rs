//! The SCIM service against the embedded backend (one SQLite database for users, cases,
//! queues and the index, and a write-once evidence directory), as `engine/tests.rs` runs
//! the engine: uniqueness, ETags and queue semantics are the real ones. Only outages and
//! lost races are staged, by a thin wrapper around the real store.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use offboard_core::case::{Case, CaseStatus};
use offboard_core::event::{Source, TerminationKind};
use offboard_core::ids::CaseId;
use offboard_core::ports::{
    CaseQuery, CaseStore, ETag, MessageQueue, QueueError, ReceivedMessage, ScimKey, Versioned,
};
use offboard_core::scim::ScimUser;
use offboard_core::scim::termination;
use offboard_core::scim::{ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA, USER_SCHEMA};
use offboard_core::signature::verify_bearer;
use offboard_embedded::{Embedded, FileEvidenceStore};

use super::*;
use crate::clock::{Clock, ManualClock};

mod deactivation;
mod users;

const BASE: &str = "https://offboard.example/api/scim/v2";

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The embedded user store, with an outage or lost races on demand.
struct StagedUsers {
    db: Arc<Embedded>,
    /// Every call fails as a Cosmos outage would (with internals in the detail, which
    /// must not reach the client).
    down: AtomicBool,
    /// This many replaces lose a race: another writer stores the user first, so the
    /// replace meets a real ETag mismatch.
    conflicts_to_inject: Mutex<u32>,
}

impl StagedUsers {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable {
                detail: "cosmos: 503 at https://internal.example/secret-account".into(),
            })
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl ScimUserStore for StagedUsers {
    async fn create(&self, user: &ScimUser) -> Result<Versioned<ScimUser>, StoreError> {
        self.check()?;
        ScimUserStore::create(self.db.as_ref(), user).await
    }
    async fn get(&self, id: &str) -> Result<Option<Versioned<ScimUser>>, StoreError> {
        self.check()?;
        ScimUserStore::get(self.db.as_ref(), id).await
    }
    async fn replace(
        &self,
        user: &ScimUser,
        etag: &ETag,
    ) -> Result<Versioned<ScimUser>, StoreError> {
        self.check()?;
        let race = {
            let mut inject = lock(&self.conflicts_to_inject);
            let race = *inject > 0;
            *inject = inject.saturating_sub(1);
            race
        };
        if race && let Some(other) = ScimUserStore::get(self.db.as_ref(), &user.id).await? {
            // Another writer stores the user (unchanged) first: its ETag moves on.
            ScimUserStore::replace(self.db.as_ref(), &other.value, &other.etag).await?;
        }
        ScimUserStore::replace(self.db.as_ref(), user, etag).await
    }
    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        self.check()?;
        ScimUserStore::delete(self.db.as_ref(), id).await
    }
    async fn find(&self, attribute: ScimKey, value: &str) -> Result<Vec<ScimUser>, StoreError> {
        self.check()?;
        self.db.find(attribute, value).await
    }
    async fn list(&self, start: u32, count: u32) -> Result<(Vec<ScimUser>, u32), StoreError> {
        self.check()?;
        ScimUserStore::list(self.db.as_ref(), start, count).await
    }
}

/// The embedded queues, with an outage on demand.
struct StagedQueue {
    db: Arc<Embedded>,
    down: AtomicBool,
}

#[async_trait]
impl MessageQueue for StagedQueue {
    async fn ensure_queue(&self, queue: &str) -> Result<(), QueueError> {
        self.db.ensure_queue(queue).await
    }
    async fn send(
        &self,
        queue: &str,
        text: &str,
        delay: std::time::Duration,
    ) -> Result<String, QueueError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(QueueError::Unavailable {
                detail: "queue down".into(),
            });
        }
        self.db.send(queue, text, delay).await
    }
    async fn receive(
        &self,
        queue: &str,
        max: u32,
        visibility: std::time::Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        self.db.receive(queue, max, visibility).await
    }
    async fn delete(&self, queue: &str, id: &str, pop: &str) -> Result<(), QueueError> {
        MessageQueue::delete(self.db.as_ref(), queue, id, pop).await
    }
    async fn release(
        &self,
        queue: &str,
        id: &str,
        pop: &str,
        visibility: std::time::Duration,
    ) -> Result<String, QueueError> {
        self.db.release(queue, id, pop, visibility).await
    }
    async fn approximate_len(&self, queue: &str) -> Result<u64, QueueError> {
        self.db.approximate_len(queue).await
    }
}

struct Harness {
    _dir: tempfile::TempDir,
    service: ScimService,
    users: Arc<StagedUsers>,
    db: Arc<Embedded>,
    queue: Arc<StagedQueue>,
    clock: Arc<ManualClock>,
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn harness() -> Harness {
    let db = Arc::new(Embedded::in_memory().unwrap());
    let users = Arc::new(StagedUsers {
        db: db.clone(),
        down: AtomicBool::new(false),
        conflicts_to_inject: Mutex::new(0),
    });
    let queue = Arc::new(StagedQueue {
        db: db.clone(),
        down: AtomicBool::new(false),
    });
    queue
        .ensure_queue(offboard_core::messages::PLAN_QUEUE)
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(t("2026-11-26T10:00:00Z")));
    let dir = tempfile::tempdir().unwrap();
    let evidence = crate::evidence::Evidence::new(
        Arc::new(FileEvidenceStore::open(dir.path()).unwrap()),
        db.clone(),
        "test",
        clock.clone(),
    );
    let intake = Intake::new(db.clone(), queue.clone(), evidence, clock.clone());
    Harness {
        _dir: dir,
        service: ScimService::new(users.clone(), intake, EffectivePolicy::default()),
        users,
        db,
        queue,
        clock,
    }
}

impl Harness {
    async fn call(&self, method: &str, path: &str, query: &str, body: Value) -> ScimResponse {
        let bytes = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        };
        self.raw(method, path, query, &bytes, None, None).await
    }

    async fn raw(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        if_match: Option<&str>,
        if_none_match: Option<&str>,
    ) -> ScimResponse {
        let verified = verify_bearer("tok", Some("Bearer tok"), body, self.clock.now()).unwrap();
        self.service
            .handle_request(ScimRequest {
                method,
                path,
                query,
                body,
                base_url: BASE,
                verified,
                if_match,
                if_none_match,
            })
            .await
    }

    async fn create(&self, body: Value) -> String {
        let r = self.call("POST", "/Users", "", body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body.unwrap()["id"].as_str().unwrap().to_owned()
    }

    async fn patch(&self, id: &str, ops: Value) -> ScimResponse {
        self.call(
            "PATCH",
            &format!("/Users/{id}"),
            "",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}),
        )
        .await
    }

    async fn case(&self, id: &CaseId) -> Option<Case> {
        CaseStore::get(self.db.as_ref(), id)
            .await
            .unwrap()
            .map(|v| v.value)
    }

    async fn case_count(&self) -> usize {
        let all = CaseQuery {
            limit: 1000,
            ..CaseQuery::default()
        };
        CaseStore::list(self.db.as_ref(), &all)
            .await
            .unwrap()
            .items
            .len()
    }

    async fn plan_messages(&self) -> usize {
        let n = self
            .queue
            .approximate_len(offboard_core::messages::PLAN_QUEUE)
            .await
            .unwrap();
        usize::try_from(n).unwrap()
    }
}

fn ada() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": "ada@contoso.com",
        "externalId": "e-1042",
        "active": true,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@contoso.com", "type": "work", "primary": true}],
        ENTERPRISE_USER_SCHEMA: {"employeeNumber": "1042"},
    })
}

fn case_id_of(r: &ScimResponse) -> CaseId {
    CaseId::parse(r.header(CASE_ID_HEADER).expect("a case id header")).unwrap()
}
