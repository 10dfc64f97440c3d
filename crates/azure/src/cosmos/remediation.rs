//! Remediation items ([`RemediationStore`]) on Cosmos DB: one small document per failed step
//! in the `remediations` container, partitioned by `/id`. Open items are few (failed steps
//! waiting for a person), so listing reads the container and filters and orders in Rust
//! rather than relying on a cross-partition `ORDER BY`.

use async_trait::async_trait;
use azure_data_cosmos::clients::ContainerClient;
use offboard_core::ports::{Remediation, RemediationStatus, RemediationStore, StoreError};

use super::{query, query_all};
use crate::error::{corrupt, store_error};

fn what(id: &str) -> String {
    format!("remediation item {id}")
}

/// [`RemediationStore`] on a Cosmos DB container partitioned by `/id`. Built by
/// [`super::CosmosDb::remediation_store`].
#[derive(Clone)]
pub struct CosmosRemediationStore {
    container: ContainerClient,
}

impl std::fmt::Debug for CosmosRemediationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosRemediationStore")
            .finish_non_exhaustive()
    }
}

impl CosmosRemediationStore {
    pub(super) fn new(container: ContainerClient) -> Self {
        Self { container }
    }
}

#[async_trait]
impl RemediationStore for CosmosRemediationStore {
    async fn put(&self, item: &Remediation) -> Result<(), StoreError> {
        self.container
            .upsert_item(item.id.clone(), &item.id, item.clone(), None)
            .await
            .map_err(|e| store_error(&what(&item.id), &e))?;
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Remediation>, StoreError> {
        match self.container.read_item(id.to_owned(), id, None).await {
            Ok(r) => r.into_model().map(Some).map_err(|e| corrupt(&what(id), e)),
            Err(e) => match store_error(&what(id), &e) {
                StoreError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn list(
        &self,
        status: Option<RemediationStatus>,
    ) -> Result<Vec<Remediation>, StoreError> {
        let q = query("SELECT * FROM c".to_owned(), vec![])?;
        let rows: Vec<serde_json::Value> =
            query_all(&self.container, q, "remediation items").await?;
        let mut out = Vec::new();
        for row in rows {
            let id = row
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("(no id)")
                .to_owned();
            let item: Remediation =
                serde_json::from_value(row).map_err(|e| corrupt(&what(&id), e))?;
            if status.is_none_or(|s| s == item.status) {
                out.push(item);
            }
        }
        out.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
}
