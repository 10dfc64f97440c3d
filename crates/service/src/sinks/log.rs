//! Which sink has accepted which notification, so a retry does not send it again.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;

/// The delivery log could not be read or written. The fan-out then prefers sending twice to
/// not sending at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("delivery log: {0}")]
pub struct DeliveryLogError(pub String);

/// Remembers that a sink accepted a notification key.
///
/// An implementation should keep entries at least as long as the `notify` queue retries a
/// message (`maxDequeueCount` × `visibilityTimeout` in host.json, plus the engine's duplicate
/// window); it may forget them after that.
#[async_trait]
pub trait DeliveryLog: Send + Sync {
    /// Whether `sink` has accepted the notification with `key`.
    async fn delivered(&self, key: &str, sink: &str) -> Result<bool, DeliveryLogError>;
    /// Records that `sink` accepted the notification with `key`.
    async fn record(&self, key: &str, sink: &str) -> Result<(), DeliveryLogError>;
}

/// A [`DeliveryLog`] in the handler's memory, keeping the most recent entries (10,000 by
/// default; the oldest are forgotten first). It covers retries handled by the same process,
/// not a retry on another instance or after a restart.
#[derive(Debug)]
pub struct MemoryDeliveryLog {
    capacity: usize,
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    set: HashSet<(String, String)>,
    order: VecDeque<(String, String)>,
}

impl MemoryDeliveryLog {
    /// A log keeping at most `capacity` entries (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Entries::default()),
        }
    }

    /// The number of entries held.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether the log holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A poisoned lock still holds a consistent set: entries are inserted whole.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for MemoryDeliveryLog {
    fn default() -> Self {
        Self::with_capacity(10_000)
    }
}

#[async_trait]
impl DeliveryLog for MemoryDeliveryLog {
    async fn delivered(&self, key: &str, sink: &str) -> Result<bool, DeliveryLogError> {
        Ok(self.lock().set.contains(&(key.to_owned(), sink.to_owned())))
    }

    async fn record(&self, key: &str, sink: &str) -> Result<(), DeliveryLogError> {
        let entry = (key.to_owned(), sink.to_owned());
        let mut e = self.lock();
        if e.set.insert(entry.clone()) {
            e.order.push_back(entry);
            while e.order.len() > self.capacity {
                if let Some(old) = e.order.pop_front() {
                    e.set.remove(&old);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn remembers_per_key_and_sink_and_forgets_the_oldest() {
        let log = MemoryDeliveryLog::with_capacity(2);
        log.record("k1", "teams").await.unwrap();
        assert!(log.delivered("k1", "teams").await.unwrap());
        assert!(!log.delivered("k1", "email").await.unwrap());
        assert!(!log.delivered("k2", "teams").await.unwrap());
        log.record("k1", "teams").await.unwrap();
        assert_eq!(log.len(), 1, "recording twice keeps one entry");
        log.record("k2", "teams").await.unwrap();
        log.record("k3", "teams").await.unwrap();
        assert_eq!(log.len(), 2);
        assert!(
            !log.delivered("k1", "teams").await.unwrap(),
            "oldest forgotten"
        );
        assert!(log.delivered("k3", "teams").await.unwrap());
    }
}
