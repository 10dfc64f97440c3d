//! Remediation items in SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use offboard_core::ports::{Remediation, RemediationStatus, RemediationStore, StoreError};

use crate::db::{Embedded, store_err};

fn status_name(s: RemediationStatus) -> &'static str {
    match s {
        RemediationStatus::Open => "open",
        RemediationStatus::Retrying => "retrying",
        RemediationStatus::Resolved => "resolved",
    }
}

fn parse(doc: &str) -> Result<Remediation, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Permanent {
        detail: format!("stored remediation item is unreadable: {e}"),
    })
}

#[async_trait]
impl RemediationStore for Embedded {
    async fn put(&self, item: &Remediation) -> Result<(), StoreError> {
        let item = item.clone();
        let doc = serde_json::to_string(&item).map_err(|e| StoreError::Permanent {
            detail: e.to_string(),
        })?;
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO remediations (id, status, opened_at, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET status = excluded.status, doc = excluded.doc",
                params![
                    item.id,
                    status_name(item.status),
                    item.opened_at.timestamp_millis(),
                    doc
                ],
            )
            .map_err(store_err)?;
            Ok(())
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<Remediation>, StoreError> {
        let id = id.to_owned();
        self.with(move |conn| {
            let doc: Option<String> = conn
                .query_row(
                    "SELECT doc FROM remediations WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(store_err)?;
            doc.map(|d| parse(&d)).transpose()
        })
        .await
    }

    async fn list(
        &self,
        status: Option<RemediationStatus>,
    ) -> Result<Vec<Remediation>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT doc FROM remediations WHERE (?1 IS NULL OR status = ?1) ORDER BY opened_at, id",
                )
                .map_err(store_err)?;
            let rows = stmt
                .query_map(params![status.map(status_name)], |r| r.get::<_, String>(0))
                .map_err(store_err)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(parse(&row.map_err(store_err)?)?);
            }
            Ok(out)
        })
        .await
    }
}
