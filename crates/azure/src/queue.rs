//! Azure Storage queues ([`MessageQueue`]) through the official `azure_storage_queue` SDK,
//! authenticated with an Entra ID token credential (the app's managed identity).
//!
//! Semantics worth knowing:
//! - Message text is stored exactly as given. The SDK does not base64-encode; the Functions
//!   queue trigger expects base64 by default, so callers that feed a trigger encode it first.
//! - `release` is Update Message with a new visibility timeout. Each dequeue or update issues a
//!   new pop receipt, which the service returns only in the `x-ms-popreceipt` response header.
//! - A delete or update with a pop receipt that is no longer current (another consumer received
//!   the message after its visibility ran out, or it was already deleted) is answered 404
//!   `MessageNotFound` (or 400 `PopReceiptMismatch`): that is [`QueueError::LostMessage`].
//! - Messages are sent with no expiry by default (`messagettl=-1`): a step message that expired
//!   while the app was down would silently leave a leaver's access in place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::TokenCredential;
use azure_core::http::headers::HeaderName;
use azure_core::http::{ClientOptions, RequestContent, RetryOptions, Transport, Url, XmlFormat};
use azure_storage_queue::models::{
    QueueClientGetPropertiesResultHeaders as _, QueueClientReceiveMessagesOptions,
    QueueClientSendMessageOptions, QueueMessage,
};
use azure_storage_queue::{QueueClient, QueueClientOptions};
use chrono::{DateTime, Utc};
use offboard_core::ports::{MessageQueue, QueueError, ReceivedMessage, check_queue_name};

use crate::error::{QueueCall, SetupError, queue_error};

/// The header that carries the pop receipt an Update Message issued.
const POP_RECEIPT: HeaderName = HeaderName::from_static("x-ms-popreceipt");
/// The longest visibility timeout or delay the service accepts: 7 days.
const MAX_VISIBILITY_SECS: u64 = 7 * 24 * 3600;
/// The most messages one Get Messages call returns.
const MAX_BATCH: u32 = 32;

/// Options of [`AzureQueue`], in the SDK's style: `AzureQueueOptions { ..Default::default() }`.
#[derive(Clone, Debug, Default)]
pub struct AzureQueueOptions {
    /// Time to live of sent messages; `None` (the default) means they never expire.
    pub message_ttl: Option<Duration>,
    /// Retry policy of the SDK pipeline (exponential with the SDK's defaults when `None`).
    pub retry: Option<RetryOptions>,
}

/// The queues of one storage account, reached at its queue service endpoint
/// (`https://<account>.queue.core.windows.net/`, or Azurite's
/// `https://127.0.0.1:10001/devstoreaccount1`).
pub struct AzureQueue {
    endpoint: Url,
    credential: Arc<dyn TokenCredential>,
    client_options: ClientOptions,
    options: AzureQueueOptions,
    clients: Mutex<HashMap<String, Arc<QueueClient>>>,
}

impl std::fmt::Debug for AzureQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureQueue")
            .field("endpoint", &self.endpoint.as_str())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl AzureQueue {
    /// Connects to the queue service at `endpoint` with `credential` (see
    /// [`crate::managed_identity_credential`]). The endpoint must be `https`: bearer tokens are
    /// never sent in clear. No request is made until the first call.
    pub fn new(
        endpoint: &str,
        credential: Arc<dyn TokenCredential>,
        options: AzureQueueOptions,
    ) -> Result<Self, SetupError> {
        let invalid = |reason: String| SetupError::InvalidEndpoint {
            what: "Storage queue endpoint (OFFBOARD_STORAGE_QUEUE_ENDPOINT)",
            value: endpoint.to_owned(),
            reason,
        };
        let mut url = Url::parse(endpoint.trim()).map_err(|e| invalid(e.to_string()))?;
        if url.scheme() != "https" {
            return Err(invalid(
                "use https: the managed identity's token is only sent over TLS".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "give the bare service endpoint, without a query (no SAS: the managed identity authenticates)".into(),
            ));
        }
        // Queue URLs are the endpoint plus one path segment.
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        // One HTTP client (one connection pool) for every queue of the account.
        let mut client_options = ClientOptions {
            transport: Some(Transport::new(azure_core::http::new_http_client(None))),
            ..Default::default()
        };
        if let Some(retry) = options.retry.clone() {
            client_options.retry = retry;
        }
        Ok(Self {
            endpoint: url,
            credential,
            client_options,
            options,
            clients: Mutex::new(HashMap::new()),
        })
    }

    /// The queue service endpoint.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    fn client(&self, queue: &str) -> Result<Arc<QueueClient>, QueueError> {
        check_queue_name(queue)?;
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = clients.get(queue) {
            return Ok(client.clone());
        }
        let url = self
            .endpoint
            .join(queue)
            .map_err(|e| QueueError::Permanent {
                detail: format!("queue {queue}: cannot build its URL: {e}"),
            })?;
        let client = QueueClient::new(
            url,
            Some(self.credential.clone()),
            Some(QueueClientOptions {
                client_options: self.client_options.clone(),
                ..Default::default()
            }),
        )
        .map_err(|e| queue_error(queue, None, QueueCall::Queue, &e))?;
        let client = Arc::new(client);
        clients.insert(queue.to_owned(), client.clone());
        Ok(client)
    }
}

/// Whole seconds for a visibility timeout or delay, rounded up (a delay is never shortened)
/// and capped at the service's 7 days.
fn seconds(d: Duration) -> i32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    // MAX_VISIBILITY_SECS fits in an i32.
    i32::try_from(secs.min(MAX_VISIBILITY_SECS)).unwrap_or(i32::MAX)
}

fn to_utc(t: Option<azure_core::time::OffsetDateTime>) -> Option<DateTime<Utc>> {
    let t = t?;
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond())
}

#[async_trait]
impl MessageQueue for AzureQueue {
    async fn ensure_queue(&self, queue: &str) -> Result<(), QueueError> {
        let client = self.client(queue)?;
        match client.create(None).await {
            Ok(_) => Ok(()),
            // 409 QueueAlreadyExists: it exists with other metadata — it exists.
            Err(e) if e.http_status().map(u16::from) == Some(409) => Ok(()),
            Err(e) => Err(queue_error(queue, None, QueueCall::Queue, &e)),
        }
    }

    async fn send(&self, queue: &str, text: &str, delay: Duration) -> Result<String, QueueError> {
        let client = self.client(queue)?;
        let message = QueueMessage {
            message_text: Some(text.to_owned()),
        };
        let content: RequestContent<QueueMessage, XmlFormat> = message
            .try_into()
            .map_err(|e: azure_core::Error| queue_error(queue, None, QueueCall::Queue, &e))?;
        let options = QueueClientSendMessageOptions {
            visibility_timeout: (!delay.is_zero()).then(|| seconds(delay)),
            message_time_to_live: Some(match self.options.message_ttl {
                Some(ttl) => i32::try_from(ttl.as_secs().max(1)).unwrap_or(i32::MAX),
                None => -1,
            }),
            ..Default::default()
        };
        let sent = client
            .send_message(content, Some(options))
            .await
            .map_err(|e| queue_error(queue, None, QueueCall::Queue, &e))?
            .into_model()
            .and_then(|list| list.into_message())
            .map_err(|e| queue_error(queue, None, QueueCall::Queue, &e))?;
        sent.message_id.ok_or_else(|| QueueError::Permanent {
            detail: format!("queue {queue}: the service did not return the sent message's id"),
        })
    }

    async fn receive(
        &self,
        queue: &str,
        max: u32,
        visibility: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let client = self.client(queue)?;
        let options = QueueClientReceiveMessagesOptions {
            number_of_messages: Some(i32::try_from(max.clamp(1, MAX_BATCH)).unwrap_or(1)),
            // Get Messages refuses a visibility timeout under 1 second.
            visibility_timeout: Some(seconds(visibility).max(1)),
            ..Default::default()
        };
        let received = client
            .receive_messages(Some(options))
            .await
            .map_err(|e| queue_error(queue, None, QueueCall::Queue, &e))?
            .into_model()
            .map_err(|e| queue_error(queue, None, QueueCall::Queue, &e))?;
        let incomplete = |field: &str| QueueError::Permanent {
            detail: format!("queue {queue}: a received message has no {field}"),
        };
        let mut out = Vec::new();
        for m in received.items.unwrap_or_default() {
            let id = m.message_id.ok_or_else(|| incomplete("id"))?;
            out.push(ReceivedMessage {
                pop_receipt: m.pop_receipt.ok_or_else(|| incomplete("pop receipt"))?,
                text: m.message_text.unwrap_or_default(),
                dequeue_count: m
                    .dequeue_count
                    .and_then(|c| u32::try_from(c).ok())
                    .ok_or_else(|| incomplete("dequeue count"))?,
                insertion_time: to_utc(m.insertion_time)
                    .ok_or_else(|| incomplete("insertion time"))?,
                expiration_time: to_utc(m.expiration_time)
                    .ok_or_else(|| incomplete("expiration time"))?,
                next_visible_time: to_utc(m.time_next_visible)
                    .ok_or_else(|| incomplete("next visible time"))?,
                id,
            });
        }
        Ok(out)
    }

    async fn delete(&self, queue: &str, id: &str, pop_receipt: &str) -> Result<(), QueueError> {
        let client = self.client(queue)?;
        client
            .delete_message(id, pop_receipt, None)
            .await
            .map_err(|e| queue_error(queue, Some(id), QueueCall::Message, &e))?;
        Ok(())
    }

    async fn release(
        &self,
        queue: &str,
        id: &str,
        pop_receipt: &str,
        visibility: Duration,
    ) -> Result<String, QueueError> {
        let client = self.client(queue)?;
        // Update Message accepts 0 (visible at once), unlike Get Messages.
        let response = client
            .update_message(id, pop_receipt, seconds(visibility), None)
            .await
            .map_err(|e| queue_error(queue, Some(id), QueueCall::Message, &e))?;
        response
            .headers()
            .get_optional_str(&POP_RECEIPT)
            .map(str::to_owned)
            .ok_or_else(|| QueueError::Permanent {
                detail: format!(
                    "queue {queue}: Update Message on {id} returned no x-ms-popreceipt header"
                ),
            })
    }

    async fn approximate_len(&self, queue: &str) -> Result<u64, QueueError> {
        let client = self.client(queue)?;
        let response = client
            .get_properties(None)
            .await
            .map_err(|e| queue_error(queue, None, QueueCall::Queue, &e))?;
        let count = response
            .approximate_messages_count()
            .map_err(|e| queue_error(queue, None, QueueCall::Queue, &e))?
            .unwrap_or(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_up_and_cap() {
        assert_eq!(seconds(Duration::ZERO), 0);
        assert_eq!(seconds(Duration::from_millis(1)), 1);
        assert_eq!(seconds(Duration::from_secs(30)), 30);
        assert_eq!(seconds(Duration::from_secs(30 * 24 * 3600)), 604_800);
    }
}
