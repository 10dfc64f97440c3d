//! The rights index in SQLite: one row per entry, the entry as JSON.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use offboard_core::ports::{RightsEntry, RightsIndex, StoreError};

use crate::db::{Embedded, store_err};
use crate::quick::{Access, CachedStatements};

#[async_trait]
impl RightsIndex for Embedded {
    async fn get(&self, id: &str) -> Result<Option<RightsEntry>, StoreError> {
        let id = id.to_owned();
        self.quick(Access::Read, move |conn| {
            let doc: Option<String> = conn
                .row_cached(
                    "SELECT doc FROM rights_index WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(store_err)?;
            doc.map(|d| {
                serde_json::from_str(&d).map_err(|e| StoreError::Permanent {
                    detail: format!("rights index entry {id} is unreadable: {e}"),
                })
            })
            .transpose()
        })
        .await
    }

    async fn put(&self, entry: &RightsEntry) -> Result<(), StoreError> {
        let id = entry.id.clone();
        let doc = serde_json::to_string(entry).map_err(|e| StoreError::Permanent {
            detail: e.to_string(),
        })?;
        self.quick(Access::Write, move |conn| {
            conn.exec_cached(
                "INSERT INTO rights_index (id, doc) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![id, doc],
            )
            .map_err(store_err)?;
            Ok(())
        })
        .await
    }
}
