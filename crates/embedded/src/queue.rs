//! Queues in SQLite with Azure Storage Queue semantics: at-least-once delivery, visibility
//! timeouts, dequeue counts, pop receipts, a 7-day time to live.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use std::time::Duration;

use offboard_core::ports::{MessageQueue, QueueError, ReceivedMessage, check_queue_name};

use crate::db::{Embedded, queue_err};
use crate::quick::{Access, CachedStatements, write_transaction};

/// Azure Storage's default message time to live.
const TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// At most this many messages per receive, as in Azure Storage.
const MAX_BATCH: u32 = 32;

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn dur_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn require_queue(conn: &rusqlite::Connection, queue: &str) -> Result<(), QueueError> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM queues WHERE name = ?1",
            params![queue],
            |_| Ok(()),
        )
        .optional()
        .map_err(queue_err)?
        .is_some();
    if exists {
        Ok(())
    } else {
        Err(QueueError::NoSuchQueue {
            queue: queue.to_owned(),
        })
    }
}

#[async_trait]
impl MessageQueue for Embedded {
    async fn ensure_queue(&self, queue: &str) -> Result<(), QueueError> {
        check_queue_name(queue)?;
        let queue = queue.to_owned();
        self.with(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO queues (name) VALUES (?1)",
                params![queue],
            )
            .map_err(queue_err)?;
            Ok(())
        })
        .await
    }

    async fn send(&self, queue: &str, text: &str, delay: Duration) -> Result<String, QueueError> {
        check_queue_name(queue)?;
        if text.len() > 64 * 1024 {
            return Err(QueueError::Permanent {
                detail: "message larger than 64 KiB".into(),
            });
        }
        let (queue, text) = (queue.to_owned(), text.to_owned());
        self.quick(Access::Write, move |conn| {
            require_queue(conn, &queue)?;
            let id = uuid::Uuid::new_v4().to_string();
            let now = now_ms();
            conn.exec_cached(
                "INSERT INTO messages (id, queue, text, inserted_at, expires_at, visible_at, dequeue_count, pop_receipt, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, NULL,
                   (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages))",
                params![id, queue, text, now, now + TTL_MS, now + dur_ms(delay)],
            )
            .map_err(queue_err)?;
            Ok(id)
        })
        .await
    }

    async fn receive(
        &self,
        queue: &str,
        max: u32,
        visibility: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        check_queue_name(queue)?;
        let queue = queue.to_owned();
        let max = max.clamp(1, MAX_BATCH);
        self.quick(Access::Write, move |conn| {
            let tx = write_transaction(conn).map_err(queue_err)?;
            require_queue(&tx, &queue)?;
            let now = now_ms();
            tx.exec_cached(
                "DELETE FROM messages WHERE queue = ?1 AND expires_at <= ?2",
                params![queue, now],
            )
            .map_err(queue_err)?;
            let picked: Vec<(String, String, i64, i64, i64)> = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT id, text, inserted_at, expires_at, dequeue_count FROM messages
                         WHERE queue = ?1 AND visible_at <= ?2 ORDER BY visible_at, seq LIMIT ?3",
                    )
                    .map_err(queue_err)?;
                let rows = stmt
                    .query_map(params![queue, now, i64::from(max)], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })
                    .map_err(queue_err)?;
                rows.collect::<Result<_, _>>().map_err(queue_err)?
            };
            let visible_at = now + dur_ms(visibility);
            let mut out = Vec::with_capacity(picked.len());
            for (id, text, inserted, expires, count) in picked {
                let receipt = uuid::Uuid::new_v4().to_string();
                tx.exec_cached(
                    "UPDATE messages SET visible_at = ?2, dequeue_count = dequeue_count + 1, pop_receipt = ?3 WHERE id = ?1",
                    params![id, visible_at, receipt],
                )
                .map_err(queue_err)?;
                out.push(ReceivedMessage {
                    id,
                    pop_receipt: receipt,
                    text,
                    dequeue_count: u32::try_from(count + 1).unwrap_or(u32::MAX),
                    insertion_time: at(inserted),
                    expiration_time: at(expires),
                    next_visible_time: at(visible_at),
                });
            }
            tx.commit().map_err(queue_err)?;
            Ok(out)
        })
        .await
    }

    async fn delete(&self, queue: &str, id: &str, pop_receipt: &str) -> Result<(), QueueError> {
        let (queue, id, receipt) = (queue.to_owned(), id.to_owned(), pop_receipt.to_owned());
        self.quick(Access::Write, move |conn| {
            let n = conn
                .exec_cached(
                    "DELETE FROM messages WHERE queue = ?1 AND id = ?2 AND pop_receipt = ?3",
                    params![queue, id, receipt],
                )
                .map_err(queue_err)?;
            if n == 0 {
                return Err(QueueError::LostMessage { id });
            }
            Ok(())
        })
        .await
    }

    async fn release(
        &self,
        queue: &str,
        id: &str,
        pop_receipt: &str,
        visibility: Duration,
    ) -> Result<String, QueueError> {
        let (queue, id, receipt) = (queue.to_owned(), id.to_owned(), pop_receipt.to_owned());
        self.quick(Access::Write, move |conn| {
            let new_receipt = uuid::Uuid::new_v4().to_string();
            let n = conn
                .exec_cached(
                    "UPDATE messages SET visible_at = ?4, pop_receipt = ?5
                     WHERE queue = ?1 AND id = ?2 AND pop_receipt = ?3",
                    params![
                        queue,
                        id,
                        receipt,
                        now_ms() + dur_ms(visibility),
                        new_receipt
                    ],
                )
                .map_err(queue_err)?;
            if n == 0 {
                return Err(QueueError::LostMessage { id });
            }
            Ok(new_receipt)
        })
        .await
    }

    async fn approximate_len(&self, queue: &str) -> Result<u64, QueueError> {
        let queue = queue.to_owned();
        self.with(move |conn| {
            require_queue(conn, &queue)?;
            let n: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM messages WHERE queue = ?1 AND expires_at > ?2",
                    params![queue, now_ms()],
                    |r| r.get(0),
                )
                .map_err(queue_err)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn visibility_dequeue_count_and_receipts_behave_like_azure() {
        let q = Embedded::in_memory().unwrap();
        assert!(matches!(
            q.send("plan", "x", Duration::ZERO).await,
            Err(QueueError::NoSuchQueue { .. })
        ));
        q.ensure_queue("plan").await.unwrap();
        q.ensure_queue("plan").await.unwrap();
        q.send("plan", "a", Duration::ZERO).await.unwrap();
        q.send("plan", "later", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(q.approximate_len("plan").await.unwrap(), 2);

        let got = q
            .receive("plan", 32, Duration::from_millis(50))
            .await
            .unwrap();
        assert_eq!(got.len(), 1, "the delayed message is not visible yet");
        assert_eq!(got[0].text, "a");
        assert_eq!(got[0].dequeue_count, 1);
        assert!(
            q.receive("plan", 32, Duration::from_secs(1))
                .await
                .unwrap()
                .is_empty()
        );

        tokio::time::sleep(Duration::from_millis(80)).await;
        let again = q.receive("plan", 1, Duration::from_secs(30)).await.unwrap();
        assert_eq!(again[0].id, got[0].id);
        assert_eq!(again[0].dequeue_count, 2);
        // The first receipt is stale now.
        assert!(matches!(
            q.delete("plan", &got[0].id, &got[0].pop_receipt).await,
            Err(QueueError::LostMessage { .. })
        ));
        let receipt = q
            .release("plan", &again[0].id, &again[0].pop_receipt, Duration::ZERO)
            .await
            .unwrap();
        let third = q.receive("plan", 1, Duration::from_secs(30)).await.unwrap();
        assert_eq!(third[0].dequeue_count, 3);
        assert!(matches!(
            q.delete("plan", &third[0].id, &receipt).await,
            Err(QueueError::LostMessage { .. })
        ));
        q.delete("plan", &third[0].id, &third[0].pop_receipt)
            .await
            .unwrap();
        assert_eq!(q.approximate_len("plan").await.unwrap(), 1);
        assert!(q.ensure_queue("Bad_Name").await.is_err());
    }
}
