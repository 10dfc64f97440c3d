//! The rights index ([`RightsIndex`]) on Cosmos DB: one small document per trustee (and the
//! refresh markers) in the `rightsIndex` container, partitioned by `/id`, so a leaver's
//! rights on other mailboxes are one point read.

use async_trait::async_trait;
use azure_data_cosmos::clients::ContainerClient;
use offboard_core::ports::{RightsEntry, RightsIndex, StoreError};

use crate::error::{corrupt, store_error};

fn what(id: &str) -> String {
    format!("rights index entry {id}")
}

/// [`RightsIndex`] on a Cosmos DB container partitioned by `/id`. Built by
/// [`super::CosmosDb::rights_index`].
#[derive(Clone)]
pub struct CosmosRightsIndex {
    container: ContainerClient,
}

impl std::fmt::Debug for CosmosRightsIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosRightsIndex").finish_non_exhaustive()
    }
}

impl CosmosRightsIndex {
    pub(super) fn new(container: ContainerClient) -> Self {
        Self { container }
    }
}

#[async_trait]
impl RightsIndex for CosmosRightsIndex {
    async fn get(&self, id: &str) -> Result<Option<RightsEntry>, StoreError> {
        match self.container.read_item(id.to_owned(), id, None).await {
            Ok(r) => r.into_model().map(Some).map_err(|e| corrupt(&what(id), e)),
            Err(e) => match store_error(&what(id), &e) {
                StoreError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn put(&self, entry: &RightsEntry) -> Result<(), StoreError> {
        self.container
            .upsert_item(entry.id.clone(), &entry.id, entry.clone(), None)
            .await
            .map_err(|e| store_error(&what(&entry.id), &e))?;
        Ok(())
    }
}
