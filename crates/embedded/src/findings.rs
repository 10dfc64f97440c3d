//! Reconciliation findings in SQLite: one row per finding id, the document as JSON; and the
//! pointer to the latest scan that read HR's whole population, one row of `scans`.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use offboard_core::ports::StoreError;
use offboard_core::reconcile::{
    Finding, FindingQuery, FindingStore, POPULATION_SCAN_ID, PopulationScan,
};

use crate::db::{Embedded, store_err};

fn parse(doc: &str) -> Result<Finding, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Permanent {
        detail: format!("stored finding is unreadable: {e}"),
    })
}

#[async_trait]
impl FindingStore for Embedded {
    async fn put(&self, finding: &Finding) -> Result<(), StoreError> {
        let id = finding.id().to_owned();
        let first_seen = finding.first_seen.timestamp_millis();
        let doc = serde_json::to_string(finding).map_err(|e| StoreError::Permanent {
            detail: e.to_string(),
        })?;
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO findings (id, first_seen, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![id, first_seen, doc],
            )
            .map_err(store_err)?;
            Ok(())
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<Finding>, StoreError> {
        let id = id.to_owned();
        self.with(move |conn| {
            let doc: Option<String> = conn
                .query_row("SELECT doc FROM findings WHERE id = ?1", params![id], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(store_err)?;
            doc.map(|d| parse(&d)).transpose()
        })
        .await
    }

    async fn list(&self, query: &FindingQuery) -> Result<Vec<Finding>, StoreError> {
        let query = query.clone();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT doc FROM findings ORDER BY first_seen, id")
                .map_err(store_err)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(store_err)?;
            let mut out = Vec::new();
            for row in rows {
                let f = parse(&row.map_err(store_err)?)?;
                if query.matches(&f) {
                    out.push(f);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn put_population_scan(&self, scan: &PopulationScan) -> Result<(), StoreError> {
        let ended_at = scan.ended_at.timestamp_millis();
        let doc = serde_json::to_string(scan).map_err(|e| StoreError::Permanent {
            detail: e.to_string(),
        })?;
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO scans (id, ended_at, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET ended_at = excluded.ended_at, doc = excluded.doc
                 WHERE excluded.ended_at >= scans.ended_at",
                params![POPULATION_SCAN_ID, ended_at, doc],
            )
            .map_err(store_err)?;
            Ok(())
        })
        .await
    }

    async fn population_scan(&self) -> Result<Option<PopulationScan>, StoreError> {
        self.with(move |conn| {
            let doc: Option<String> = conn
                .query_row(
                    "SELECT doc FROM scans WHERE id = ?1",
                    params![POPULATION_SCAN_ID],
                    |r| r.get(0),
                )
                .optional()
                .map_err(store_err)?;
            doc.map(|d| {
                serde_json::from_str(&d).map_err(|e| StoreError::Permanent {
                    detail: format!("stored population scan is unreadable: {e}"),
                })
            })
            .transpose()
        })
        .await
    }
}
