//! Sending notifications: the engine enqueues them on the `notify` queue; the `notify`
//! function delivers them to the configured sinks, so a sink that is down is retried
//! without holding up the offboarding.

use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

use offboard_core::messages::{self, NOTIFY_QUEUE};
use offboard_core::notify::Notification;
use offboard_core::ports::{MessageQueue, QueueError};

/// Something that accepts notifications.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Accepts a notification for delivery.
    async fn notify(&self, n: &Notification) -> Result<(), QueueError>;
}

/// Puts notifications on the `notify` queue.
#[derive(Clone)]
pub struct QueueNotifier {
    queue: Arc<dyn MessageQueue>,
}

impl QueueNotifier {
    /// A notifier on `queue`.
    pub fn new(queue: Arc<dyn MessageQueue>) -> Self {
        Self { queue }
    }
}

#[async_trait]
impl Notifier for QueueNotifier {
    async fn notify(&self, n: &Notification) -> Result<(), QueueError> {
        let text = messages::encode(n).map_err(|e| QueueError::Permanent {
            detail: format!("cannot encode a notification: {e}"),
        })?;
        self.queue.send(NOTIFY_QUEUE, &text, Duration::ZERO).await?;
        Ok(())
    }
}
