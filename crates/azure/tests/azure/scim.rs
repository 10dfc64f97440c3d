//! `CosmosScimUserStore` against the npm Cosmos server: userName uniqueness across partitions
//! through the guard container, lookups, paging, ETags.

use azure_data_cosmos::{AccountReference, CosmosClient, RoutingStrategy};
use chrono::{Duration, Utc};
use offboard_azure::CosmosDb;
use offboard_core::ports::{ETag, ScimKey, ScimUserStore, StoreError};
use offboard_core::scim::ScimUser;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::helpers::{cosmos, credential, stack};

fn user(id: &str, user_name: &str, external_id: Option<&str>) -> ScimUser {
    let now = Utc::now();
    ScimUser {
        id: id.into(),
        user_name: user_name.into(),
        external_id: external_id.map(Into::into),
        active: true,
        deactivations: 0,
        resource: json!({ "userName": user_name, "active": true }),
        created: now,
        last_modified: now,
        version: 1,
    }
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn assert_conflict(err: StoreError) {
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
}

#[tokio::test]
async fn user_names_are_unique_case_insensitively_across_partitions() {
    let store = cosmos().await.scim_user_store().await.unwrap();
    let jane = user(&id(), "Jane.Doe@Example.com", Some("okta-1"));
    let stored = store.create(&jane).await.unwrap();
    assert_eq!(stored.value, jane);

    // Another id (another partition) with the same name in another case.
    assert_conflict(
        store
            .create(&user(&id(), "jane.doe@example.COM", None))
            .await
            .unwrap_err(),
    );
    // The losing create left nothing behind.
    let (all, total) = store.list(0, 10).await.unwrap();
    assert_eq!((all.len(), total), (1, 1));

    // Lookups: userName case-insensitively, externalId exactly.
    for name in [
        "jane.doe@example.com",
        "JANE.DOE@EXAMPLE.COM",
        "Jane.Doe@Example.com",
    ] {
        assert_eq!(
            store.find(ScimKey::UserName, name).await.unwrap(),
            vec![jane.clone()]
        );
    }
    assert!(
        store
            .find(ScimKey::UserName, "john@example.com")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.find(ScimKey::ExternalId, "okta-1").await.unwrap(),
        vec![jane.clone()]
    );
    assert!(
        store
            .find(ScimKey::ExternalId, "OKTA-1")
            .await
            .unwrap()
            .is_empty()
    );

    // get by id; ids that cannot exist in Cosmos DB are simply not found.
    assert_eq!(
        store.get(&jane.id).await.unwrap().unwrap().etag,
        stored.etag
    );
    assert!(store.get(&id()).await.unwrap().is_none());
    assert!(store.get("a/b?c#d").await.unwrap().is_none());
}

#[tokio::test]
async fn concurrent_creates_of_one_user_name_store_exactly_one_user() {
    let store = cosmos().await.scim_user_store().await.unwrap();
    let attempts: Vec<ScimUser> = (0..8)
        .map(|i| {
            // The same name, spelled differently by each client.
            let name = if i % 2 == 0 {
                "Race@Example.com"
            } else {
                "race@example.com"
            };
            user(&id(), name, None)
        })
        .collect();
    let results = futures::future::join_all(attempts.iter().map(|u| store.create(u))).await;
    let won: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    }
    let (users, total) = store.list(0, 100).await.unwrap();
    assert_eq!((users.len(), total), (1, 1));
}

#[tokio::test]
async fn replace_renames_moves_the_name_and_needs_the_current_etag() {
    let store = cosmos().await.scim_user_store().await.unwrap();
    let a = user(&id(), "alice@example.com", None);
    let b = user(&id(), "bob@example.com", None);
    let va = store.create(&a).await.unwrap();
    store.create(&b).await.unwrap();

    // Renaming onto another user's name is refused and changes nothing.
    let mut onto_bob = a.clone();
    onto_bob.user_name = "BOB@example.com".into();
    assert_conflict(store.replace(&onto_bob, &va.etag).await.unwrap_err());
    assert_eq!(store.get(&a.id).await.unwrap().unwrap().value, a);

    // A rename that only changes case keeps the name.
    let mut cased = a.clone();
    cased.user_name = "Alice@Example.com".into();
    cased.version = 2;
    let v2 = store.replace(&cased, &va.etag).await.unwrap();
    assert_ne!(v2.etag, va.etag);

    // A real rename: the new name is taken, the old one is free again.
    let mut renamed = cased.clone();
    renamed.user_name = "alice.smith@example.com".into();
    renamed.version = 3;
    let v3 = store.replace(&renamed, &v2.etag).await.unwrap();
    assert_eq!(
        store
            .find(ScimKey::UserName, "alice.smith@example.com")
            .await
            .unwrap(),
        vec![renamed.clone()]
    );
    assert!(
        store
            .find(ScimKey::UserName, "alice@example.com")
            .await
            .unwrap()
            .is_empty()
    );
    store
        .create(&user(&id(), "alice@example.com", None))
        .await
        .expect("the old name is free again");
    assert_conflict(
        store
            .create(&user(&id(), "Alice.Smith@example.com", None))
            .await
            .unwrap_err(),
    );

    // A stale ETag loses, and a rename that loses gives its new name back.
    let mut late = renamed.clone();
    late.user_name = "late@example.com".into();
    let err = store.replace(&late, &v2.etag).await.unwrap_err();
    assert!(
        matches!(err, StoreError::PreconditionFailed { .. }),
        "{err:?}"
    );
    store
        .create(&user(&id(), "late@example.com", None))
        .await
        .expect("a lost rename does not keep the name");
    assert_eq!(store.get(&a.id).await.unwrap().unwrap().etag, v3.etag);

    // Replacing a user that does not exist.
    let ghost = user(&id(), "ghost@example.com", None);
    let err = store
        .replace(&ghost, &ETag("\"x\"".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn delete_removes_the_user_and_frees_the_name() {
    let store = cosmos().await.scim_user_store().await.unwrap();
    let u = user(&id(), "carol@example.com", Some("ext-c"));
    store.create(&u).await.unwrap();
    store.delete(&u.id).await.unwrap();
    assert!(store.get(&u.id).await.unwrap().is_none());
    assert!(
        store
            .find(ScimKey::ExternalId, "ext-c")
            .await
            .unwrap()
            .is_empty()
    );
    let err = store.delete(&u.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    store
        .create(&user(&id(), "Carol@example.com", None))
        .await
        .expect("the name is free after delete");
}

#[tokio::test]
async fn list_pages_by_id_and_counts_all_users() {
    let store = cosmos().await.scim_user_store().await.unwrap();
    let mut users: Vec<ScimUser> = (0..7)
        .map(|i| user(&id(), &format!("user{i}@example.com"), None))
        .collect();
    for u in &users {
        store.create(u).await.unwrap();
    }
    users.sort_by(|a, b| a.id.cmp(&b.id));

    let (first, total) = store.list(0, 3).await.unwrap();
    assert_eq!(total, 7);
    assert_eq!(first, users[0..3].to_vec());
    let (last, total) = store.list(6, 3).await.unwrap();
    assert_eq!((last, total), (users[6..].to_vec(), 7));
    let (none, total) = store.list(7, 3).await.unwrap();
    assert_eq!((none.len(), total), (0, 7));
    let (zero, total) = store.list(0, 0).await.unwrap();
    assert_eq!((zero.len(), total), (0, 7));
}

/// Writes a userName guard the way a crashed create would have left it.
async fn plant_guard(db: &CosmosDb, user_name: &str, owner: &str, age: Duration) {
    let account = AccountReference::with_credential(
        stack().get("OFFBOARD_COSMOS_ENDPOINT").parse().unwrap(),
        credential(),
    );
    let client = CosmosClient::builder()
        .build(account, RoutingStrategy::PreferredRegions(Vec::new()))
        .await
        .unwrap();
    let names = client
        .database_client(db.config().database.as_str())
        .container_client("scimUserNames", None)
        .await
        .unwrap();
    let lower = user_name.to_lowercase();
    let key = format!("n-{}", hex::encode(Sha256::digest(lower.as_bytes())));
    let claimed = (Utc::now() - age)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    names
        .create_item(
            key.clone(),
            &key,
            json!({ "id": key, "userName": lower, "userId": owner, "claimedAt": claimed }),
            None,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_orphaned_name_guard_is_taken_over_once_it_is_old() {
    let db = cosmos().await;
    let store = db.scim_user_store().await.unwrap();

    // A guard from a create that crashed a minute and more ago: its user never got stored.
    plant_guard(&db, "dave@example.com", &id(), Duration::minutes(5)).await;
    assert!(
        store
            .find(ScimKey::UserName, "dave@example.com")
            .await
            .unwrap()
            .is_empty()
    );
    let dave = user(&id(), "Dave@example.com", None);
    store.create(&dave).await.expect("the orphan is taken over");
    assert_eq!(
        store
            .find(ScimKey::UserName, "dave@example.com")
            .await
            .unwrap(),
        vec![dave]
    );

    // A guard claimed just now may belong to a create still in flight: hands off.
    plant_guard(&db, "erin@example.com", &id(), Duration::zero()).await;
    assert_conflict(
        store
            .create(&user(&id(), "erin@example.com", None))
            .await
            .unwrap_err(),
    );
}
