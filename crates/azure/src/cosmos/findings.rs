//! Reconciliation findings ([`FindingStore`]) on Cosmos DB: one small document per finding in
//! the `findings` container, partitioned by `/id` (`{kind}:{subject}`), so a scan's "seen
//! before?" is a point read. Open findings are few; listing reads the container and filters
//! and orders in Rust rather than relying on a cross-partition `ORDER BY`. The pointer to the
//! latest scan that read HR's whole population is one more document there, under
//! [`POPULATION_SCAN_ID`], which listing skips.

use async_trait::async_trait;
use azure_data_cosmos::clients::ContainerClient;
use offboard_core::ports::StoreError;
use offboard_core::reconcile::{
    Finding, FindingQuery, FindingStore, POPULATION_SCAN_ID, PopulationScan,
};

use super::{query, query_all};
use crate::error::{corrupt, store_error};

fn what(id: &str) -> String {
    format!("finding {id}")
}

/// [`FindingStore`] on a Cosmos DB container partitioned by `/id`. Built by
/// [`super::CosmosDb::finding_store`].
#[derive(Clone)]
pub struct CosmosFindingStore {
    container: ContainerClient,
}

impl std::fmt::Debug for CosmosFindingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosFindingStore").finish_non_exhaustive()
    }
}

impl CosmosFindingStore {
    pub(super) fn new(container: ContainerClient) -> Self {
        Self { container }
    }
}

#[async_trait]
impl FindingStore for CosmosFindingStore {
    async fn put(&self, finding: &Finding) -> Result<(), StoreError> {
        let id = finding.id().to_owned();
        self.container
            .upsert_item(id.clone(), &id, finding.clone(), None)
            .await
            .map_err(|e| store_error(&what(&id), &e))?;
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Finding>, StoreError> {
        match self.container.read_item(id.to_owned(), id, None).await {
            Ok(r) => r.into_model().map(Some).map_err(|e| corrupt(&what(id), e)),
            Err(e) => match store_error(&what(id), &e) {
                StoreError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn list(&self, q: &FindingQuery) -> Result<Vec<Finding>, StoreError> {
        let cq = query("SELECT * FROM c".to_owned(), vec![])?;
        let rows: Vec<serde_json::Value> = query_all(&self.container, cq, "findings").await?;
        let mut out = Vec::new();
        for row in rows {
            let id = row
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("(no id)")
                .to_owned();
            if id == POPULATION_SCAN_ID {
                continue;
            }
            let f: Finding = serde_json::from_value(row).map_err(|e| corrupt(&what(&id), e))?;
            if q.matches(&f) {
                out.push(f);
            }
        }
        out.sort_by(|a, b| {
            a.first_seen
                .cmp(&b.first_seen)
                .then_with(|| a.id().cmp(b.id()))
        });
        Ok(out)
    }

    async fn put_population_scan(&self, scan: &PopulationScan) -> Result<(), StoreError> {
        if let Some(newer) = self.population_scan().await?
            && newer.ended_at > scan.ended_at
        {
            return Ok(());
        }
        let mut doc = serde_json::to_value(scan).map_err(|e| corrupt(POPULATION_SCAN_ID, e))?;
        doc["id"] = serde_json::Value::String(POPULATION_SCAN_ID.to_owned());
        self.container
            .upsert_item(POPULATION_SCAN_ID.to_owned(), POPULATION_SCAN_ID, doc, None)
            .await
            .map_err(|e| store_error(POPULATION_SCAN_ID, &e))?;
        Ok(())
    }

    async fn population_scan(&self) -> Result<Option<PopulationScan>, StoreError> {
        match self
            .container
            .read_item(POPULATION_SCAN_ID.to_owned(), POPULATION_SCAN_ID, None)
            .await
        {
            Ok(r) => r
                .into_model()
                .map(Some)
                .map_err(|e| corrupt(POPULATION_SCAN_ID, e)),
            Err(e) => match store_error(POPULATION_SCAN_ID, &e) {
                StoreError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }
}
