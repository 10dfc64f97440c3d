//! Queue triggers with the Storage queue extension's semantics.
//!
//! The host takes a batch with a long processing visibility (10 minutes), invokes the
//! function for each message (fetching the next batch once no more than `newBatchThreshold`
//! invocations are still running), deletes it on success, and on failure either makes it visible
//! again after `visibilityTimeout` or — once it has been dequeued `maxDequeueCount` times —
//! copies it to `<queue>-poison` and deletes it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use offboard_core::ports::{MessageQueue, ReceivedMessage};

use crate::config::{FunctionDef, QueueSettings, Trigger};
use crate::host::QueueResolver;
use crate::invoke;
use crate::worker::Worker;

/// How long a message stays invisible while its invocation runs.
const PROCESSING_VISIBILITY: Duration = Duration::from_secs(600);
/// First back-off step when a queue is empty.
const MIN_POLL: Duration = Duration::from_millis(100);

/// Polls one queue function until `stop`.
pub(crate) async fn run(
    f: FunctionDef,
    queue: Arc<dyn MessageQueue>,
    resolver: QueueResolver,
    settings: QueueSettings,
    worker: Arc<Worker>,
    client: reqwest::Client,
    stop: Arc<Notify>,
) {
    let queue_name = match &f.trigger {
        Trigger::Queue { queue_name, .. } => queue_name.clone(),
        _ => return,
    };
    let queue_name = queue_name.as_str();
    let mut backoff = MIN_POLL;
    // Invocations in flight. As the host does, a new batch is fetched as soon as no more
    // than `newBatchThreshold` are still running, so one long invocation does not hold back
    // the messages behind it.
    let mut in_flight = JoinSet::new();
    let f = Arc::new(f);
    let settings = Arc::new(settings);
    loop {
        if in_flight.len() > settings.new_batch_threshold as usize {
            tokio::select! {
                _ = stop.notified() => return,
                _ = in_flight.join_next() => {}
            }
            continue;
        }
        let batch = tokio::select! {
            _ = stop.notified() => return,
            r = queue.receive(queue_name, settings.batch_size, PROCESSING_VISIBILITY) => r,
        };
        let messages = match batch {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(queue = %queue_name, error = %e, "queue poll failed");
                Vec::new()
            }
        };
        if messages.is_empty() {
            tokio::select! {
                _ = stop.notified() => return,
                _ = tokio::time::sleep(backoff) => {}
                Some(_) = in_flight.join_next() => {}
            }
            // Random exponential back-off up to maxPollingInterval, as the host does.
            let jitter = rand::random_range(0.8..1.2);
            backoff = backoff
                .mul_f64(2.0 * jitter)
                .min(settings.max_polling_interval)
                .max(MIN_POLL);
            continue;
        }
        backoff = MIN_POLL;
        for m in messages {
            let (f, queue_name, queue, resolver, settings, worker, client) = (
                f.clone(),
                queue_name.to_owned(),
                queue.clone(),
                resolver.clone(),
                settings.clone(),
                worker.clone(),
                client.clone(),
            );
            in_flight.spawn(async move {
                process(
                    &f,
                    &queue_name,
                    &queue,
                    &resolver,
                    &settings,
                    &worker,
                    &client,
                    m,
                )
                .await
            });
        }
        // Finished invocations are reaped as they end; their results are logged inside.
        while in_flight.try_join_next().is_some() {}
    }
}

#[allow(clippy::too_many_arguments)]
async fn process(
    f: &FunctionDef,
    queue_name: &str,
    queue: &Arc<dyn MessageQueue>,
    resolver: &QueueResolver,
    settings: &QueueSettings,
    worker: &Worker,
    client: &reqwest::Client,
    m: ReceivedMessage,
) {
    let Trigger::Queue { name, .. } = &f.trigger else {
        return;
    };
    let result = async {
        let text = if settings.base64 {
            let raw = BASE64
                .decode(m.text.trim())
                .map_err(|e| format!("message is not base64 (messageEncoding is base64): {e}"))?;
            String::from_utf8(raw).map_err(|e| format!("message is not UTF-8: {e}"))?
        } else {
            m.text.clone()
        };
        let data = json!({ name.as_str(): text });
        let metadata = json!({
            "DequeueCount": m.dequeue_count,
            "ExpirationTime": m.expiration_time.to_rfc3339(),
            "Id": m.id,
            "InsertionTime": m.insertion_time.to_rfc3339(),
            "NextVisibleTime": m.next_visible_time.to_rfc3339(),
            "PopReceipt": m.pop_receipt,
            "QueueTrigger": text,
            "sys": {
                "MethodName": f.name,
                "UtcNow": chrono::Utc::now().to_rfc3339(),
                "RandGuid": uuid::Uuid::new_v4().to_string(),
            }
        });
        let outcome = invoke::call(worker, client, &f.name, data, metadata).await?;
        invoke::write_outputs(f, &outcome, resolver, settings.base64).await?;
        Ok::<(), String>(())
    }
    .await;
    match result {
        Ok(()) => {
            if let Err(e) = queue.delete(queue_name, &m.id, &m.pop_receipt).await {
                tracing::warn!(queue = queue_name, id = %m.id, error = %e, "could not delete a processed message");
            }
        }
        Err(why) if m.dequeue_count >= settings.max_dequeue_count => {
            let poison = format!("{queue_name}-poison");
            tracing::error!(queue = queue_name, id = %m.id, dequeue_count = m.dequeue_count, reason = %why, "moving message to {poison}");
            let moved = match queue.ensure_queue(&poison).await {
                Ok(()) => queue
                    .send(&poison, &m.text, Duration::ZERO)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            };
            match moved {
                Ok(()) => {
                    let _ = queue.delete(queue_name, &m.id, &m.pop_receipt).await;
                }
                Err(e) => tracing::error!(error = %e, "could not move message to {poison}"),
            }
        }
        Err(why) => {
            tracing::warn!(queue = queue_name, id = %m.id, dequeue_count = m.dequeue_count, reason = %why, "invocation failed; message will be retried");
            if let Err(e) = queue
                .release(
                    queue_name,
                    &m.id,
                    &m.pop_receipt,
                    settings.visibility_timeout,
                )
                .await
            {
                tracing::warn!(error = %e, "could not release a failed message");
            }
        }
    }
}
