//! The compliance index in SQLite, keyed like the Cosmos container: (period, case id).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use offboard_core::evidence::IndexEntry;
use offboard_core::ids::CaseId;
use offboard_core::ports::{CaseIndex, ETag, StoreError, Versioned};

use crate::db::{Embedded, store_err};

fn etag(v: i64) -> ETag {
    ETag(format!("\"{v}\""))
}

#[async_trait]
impl CaseIndex for Embedded {
    async fn get(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<Versioned<IndexEntry>>, StoreError> {
        let (period, id) = (period.to_owned(), case_id.to_string());
        self.with(move |conn| {
            let row: Option<(i64, String)> = conn
                .query_row(
                    "SELECT version, doc FROM case_index WHERE period = ?1 AND id = ?2",
                    params![period, id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(store_err)?;
            row.map(|(v, doc)| {
                serde_json::from_str(&doc)
                    .map(|value| Versioned {
                        value,
                        etag: etag(v),
                    })
                    .map_err(|e| StoreError::Permanent {
                        detail: format!("stored index entry is unreadable: {e}"),
                    })
            })
            .transpose()
        })
        .await
    }

    async fn put(
        &self,
        entry: &IndexEntry,
        tag: Option<&ETag>,
    ) -> Result<Versioned<IndexEntry>, StoreError> {
        let entry = entry.clone();
        let doc = serde_json::to_string(&entry).map_err(|e| StoreError::Permanent {
            detail: e.to_string(),
        })?;
        let expected: Option<Option<i64>> = tag.map(|t| t.0.trim_matches('"').parse().ok());
        self.with(move |conn| {
            let what = format!("index entry for case {}", entry.id);
            match expected {
                None => {
                    let r = conn.execute(
                        "INSERT INTO case_index (period, id, version, effective_at, doc) VALUES (?1, ?2, 1, ?3, ?4)",
                        params![entry.period, entry.id.as_str(), entry.effective_at.timestamp_millis(), doc],
                    );
                    match r {
                        Ok(_) => Ok(Versioned { value: entry, etag: etag(1) }),
                        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
                            Err(StoreError::Conflict { what })
                        }
                        Err(e) => Err(store_err(e)),
                    }
                }
                Some(None) => Err(StoreError::PreconditionFailed { what }),
                Some(Some(v)) => {
                    let n = conn
                        .execute(
                            "UPDATE case_index SET version = version + 1, effective_at = ?3, doc = ?4
                             WHERE period = ?1 AND id = ?2 AND version = ?5",
                            params![entry.period, entry.id.as_str(), entry.effective_at.timestamp_millis(), doc, v],
                        )
                        .map_err(store_err)?;
                    if n == 1 {
                        Ok(Versioned { value: entry, etag: etag(v + 1) })
                    } else {
                        Err(StoreError::PreconditionFailed { what })
                    }
                }
            }
        })
        .await
    }

    async fn list_period(&self, period: &str) -> Result<Vec<IndexEntry>, StoreError> {
        let period = period.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT doc FROM case_index WHERE period = ?1 ORDER BY effective_at, id",
                )
                .map_err(store_err)?;
            let rows = stmt
                .query_map(params![period], |r| r.get::<_, String>(0))
                .map_err(store_err)?;
            let mut out = Vec::new();
            for row in rows {
                let doc = row.map_err(store_err)?;
                out.push(
                    serde_json::from_str(&doc).map_err(|e| StoreError::Permanent {
                        detail: format!("stored index entry is unreadable: {e}"),
                    })?,
                );
            }
            Ok(out)
        })
        .await
    }
}
