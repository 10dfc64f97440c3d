//! `AzureQueue` against Azurite in bearer-token mode over HTTPS: every request carries a token
//! from the managed-identity stand-in, fetched by `ManagedIdentityCredential`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{RetryOptions, Url};
use azure_storage_queue::QueueClient;
use base64::Engine as _;
use chrono::Utc;
use offboard_azure::{AzureQueue, AzureQueueOptions, SetupError};
use offboard_core::ports::{MessageQueue, QueueError};

use crate::helpers::{credential, queue_name, queues, stack};

async fn sleep_until(t: chrono::DateTime<Utc>) {
    if let Ok(wait) = (t - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

#[tokio::test]
async fn send_receive_delete_round_trip_with_tokens_from_the_managed_identity() {
    let q = queues();
    let name = queue_name();
    q.ensure_queue(&name).await.unwrap();
    q.ensure_queue(&name).await.unwrap(); // idempotent
    assert_eq!(q.approximate_len(&name).await.unwrap(), 0);

    // Text is stored as given: base64 (what the Functions trigger expects) and characters that
    // XML would otherwise mangle.
    let payload =
        base64::engine::general_purpose::STANDARD.encode(br#"{"caseId":"c-1","step":"plan"}"#);
    let odd = "<step a=\"1\">&amp; déjà vu</step>";
    let before = Utc::now() - chrono::Duration::seconds(5);
    let id1 = q.send(&name, &payload, Duration::ZERO).await.unwrap();
    let id2 = q.send(&name, odd, Duration::ZERO).await.unwrap();
    assert_ne!(id1, id2);
    assert_eq!(q.approximate_len(&name).await.unwrap(), 2);

    let got = q.receive(&name, 32, Duration::from_secs(30)).await.unwrap();
    assert_eq!(got.len(), 2);
    let m1 = got.iter().find(|m| m.id == id1).expect("first message");
    let m2 = got.iter().find(|m| m.id == id2).expect("second message");
    assert_eq!(m1.text, payload);
    assert_eq!(m2.text, odd);
    assert_eq!(m1.dequeue_count, 1);
    assert!(m1.insertion_time >= before);
    // Sent without expiry.
    assert!(m1.expiration_time > Utc::now() + chrono::Duration::days(365));
    assert!(m1.next_visible_time > Utc::now() + chrono::Duration::seconds(20));
    assert!(!m1.pop_receipt.is_empty());

    // Invisible while held.
    assert!(
        q.receive(&name, 32, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(q.approximate_len(&name).await.unwrap(), 2);

    q.delete(&name, &m1.id, &m1.pop_receipt).await.unwrap();
    q.delete(&name, &m2.id, &m2.pop_receipt).await.unwrap();
    assert_eq!(q.approximate_len(&name).await.unwrap(), 0);

    // The production credential path was used: the stand-in issued storage tokens.
    assert!(
        stack()
            .issuer
            .tokens_issued_for("https://storage.azure.com")
            >= 1,
        "no storage token was issued by the identity stand-in"
    );
}

#[tokio::test]
async fn visibility_timeout_returns_the_message_with_a_higher_dequeue_count() {
    let q = queues();
    let name = queue_name();
    q.ensure_queue(&name).await.unwrap();
    let id = q.send(&name, "retry me", Duration::ZERO).await.unwrap();

    let first = q.receive(&name, 1, Duration::from_secs(3)).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].dequeue_count, 1);
    assert!(
        q.receive(&name, 1, Duration::from_secs(3))
            .await
            .unwrap()
            .is_empty()
    );

    // Wait until the service makes it visible again (plus a margin for clock granularity).
    sleep_until(first[0].next_visible_time + chrono::Duration::milliseconds(1200)).await;
    let second = q.receive(&name, 1, Duration::from_secs(30)).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, id);
    assert_eq!(second[0].dequeue_count, 2);
    assert_ne!(second[0].pop_receipt, first[0].pop_receipt);

    // The first consumer's receipt is stale: the message is no longer its to delete.
    let err = q
        .delete(&name, &id, &first[0].pop_receipt)
        .await
        .unwrap_err();
    assert_eq!(err, QueueError::LostMessage { id: id.clone() });
    let err = q
        .release(&name, &id, &first[0].pop_receipt, Duration::ZERO)
        .await
        .unwrap_err();
    assert_eq!(err, QueueError::LostMessage { id: id.clone() });

    // The current holder still can.
    q.delete(&name, &id, &second[0].pop_receipt).await.unwrap();
    assert_eq!(q.approximate_len(&name).await.unwrap(), 0);
    // Deleting twice: the message is gone.
    let err = q
        .delete(&name, &id, &second[0].pop_receipt)
        .await
        .unwrap_err();
    assert_eq!(err, QueueError::LostMessage { id });
}

#[tokio::test]
async fn release_makes_the_message_visible_again_with_a_new_pop_receipt() {
    let q = queues();
    let name = queue_name();
    q.ensure_queue(&name).await.unwrap();
    let id = q
        .send(&name, "throttled step", Duration::ZERO)
        .await
        .unwrap();
    let held = q.receive(&name, 1, Duration::from_secs(60)).await.unwrap();
    assert_eq!(held.len(), 1);

    // Release with a delay (a 429's Retry-After): still hidden.
    let receipt = q
        .release(&name, &id, &held[0].pop_receipt, Duration::from_secs(20))
        .await
        .unwrap();
    assert_ne!(receipt, held[0].pop_receipt);
    assert!(
        q.receive(&name, 1, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty()
    );
    // The old receipt died with the update.
    let err = q
        .delete(&name, &id, &held[0].pop_receipt)
        .await
        .unwrap_err();
    assert_eq!(err, QueueError::LostMessage { id: id.clone() });

    // The new one works: release at once.
    let receipt = q
        .release(&name, &id, &receipt, Duration::ZERO)
        .await
        .unwrap();
    let again = q.receive(&name, 1, Duration::from_secs(30)).await.unwrap();
    assert_eq!(again.len(), 1, "released message is visible at once");
    assert_eq!(again[0].id, id);
    assert_eq!(again[0].text, "throttled step");
    assert_eq!(again[0].dequeue_count, 2);
    // Receiving issued yet another receipt; the one from release is stale now.
    let err = q.delete(&name, &id, &receipt).await.unwrap_err();
    assert_eq!(err, QueueError::LostMessage { id: id.clone() });
    q.delete(&name, &id, &again[0].pop_receipt).await.unwrap();
}

#[tokio::test]
async fn a_delayed_message_is_counted_but_invisible_until_due() {
    let q = queues();
    let name = queue_name();
    q.ensure_queue(&name).await.unwrap();
    let sent_at = Utc::now();
    // 2.5 s rounds up to 3 s: a delay is never shortened.
    let id = q
        .send(&name, "later", Duration::from_millis(2500))
        .await
        .unwrap();
    assert_eq!(q.approximate_len(&name).await.unwrap(), 1);
    assert!(
        q.receive(&name, 1, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty()
    );
    sleep_until(sent_at + chrono::Duration::milliseconds(4200)).await;
    let got = q.receive(&name, 1, Duration::from_secs(30)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, id);
}

#[tokio::test]
async fn a_missing_queue_and_a_bad_name_are_reported_as_such() {
    let q = queues();
    let name = queue_name();
    assert_eq!(
        q.send(&name, "x", Duration::ZERO).await.unwrap_err(),
        QueueError::NoSuchQueue {
            queue: name.clone()
        }
    );
    assert_eq!(
        q.approximate_len(&name).await.unwrap_err(),
        QueueError::NoSuchQueue {
            queue: name.clone()
        }
    );
    assert_eq!(
        q.receive(&name, 1, Duration::from_secs(1))
            .await
            .unwrap_err(),
        QueueError::NoSuchQueue { queue: name }
    );
    let err = q.ensure_queue("Not_A_Queue").await.unwrap_err();
    assert!(
        matches!(&err, QueueError::Permanent { detail } if detail.contains("not a valid queue name")),
        "{err:?}"
    );
}

/// A credential that hands out a token Azurite refuses (wrong audience), to see what a caller
/// gets when the identity is not accepted — and that the token never shows in the error.
#[derive(Debug)]
struct WrongAudience;

/// A syntactically valid JWT for the wrong audience (header.payload.signature, unsigned).
const WRONG_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2V4YW1wbGUuY29tIiwiaXNzIjoiaHR0cHM6Ly9zdHMud2luZG93cy5uZXQvMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwLyIsIm5iZiI6MCwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJl";

#[async_trait]
impl TokenCredential for WrongAudience {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            Secret::new(WRONG_TOKEN),
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

#[tokio::test]
async fn a_refused_identity_is_permanent_and_its_token_never_appears_in_the_error() {
    let endpoint = stack().get("OFFBOARD_STORAGE_QUEUE_ENDPOINT");
    let q = AzureQueue::new(
        endpoint,
        Arc::new(WrongAudience),
        AzureQueueOptions {
            retry: Some(RetryOptions::none()),
            ..Default::default()
        },
    )
    .unwrap();
    let err = q.ensure_queue(&queue_name()).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(matches!(err, QueueError::Permanent { .. }), "{text}");
    assert!(
        text.contains("role"),
        "the error should say what to grant: {text}"
    );
    assert!(
        !text.contains("eyJ"),
        "a token leaked into the error: {text}"
    );
    assert!(
        !text.contains("c2lnbmF0dXJl"),
        "a token leaked into the error: {text}"
    );

    // And Azurite really enforces tokens: no credential at all is refused.
    let url = Url::parse(&format!(
        "{}/{}",
        endpoint.trim_end_matches('/'),
        queue_name()
    ))
    .unwrap();
    let anonymous = QueueClient::new(url, None, None).unwrap();
    let status = anonymous
        .create(None)
        .await
        .unwrap_err()
        .http_status()
        .map(u16::from);
    assert!(matches!(status, Some(401 | 403)), "{status:?}");
}

#[test]
fn endpoints_must_be_https_without_a_query() {
    stack();
    for bad in [
        "http://127.0.0.1:10001/devstoreaccount1",
        "https://acct.queue.core.windows.net/?sv=2024&sig=abc",
        "not a url",
    ] {
        let err = AzureQueue::new(bad, credential(), AzureQueueOptions::default()).unwrap_err();
        assert!(
            matches!(err, SetupError::InvalidEndpoint { .. }),
            "{bad}: {err:?}"
        );
    }
}
