//! Creating the database and containers from code — for the local npm Cosmos server and a
//! developer's own account only. In production the infrastructure templates create them and
//! the app's identity has data-plane rights only (real Cosmos DB refuses control-plane calls
//! with Entra ID data-plane tokens), so nothing on the production path calls this.

use azure_data_cosmos::models::ContainerProperties;

use super::CosmosDb;
use crate::error::{SetupError, redact};

impl CosmosDb {
    /// Creates the database and the containers (with the partition keys of
    /// [`super::ContainerNames`]) if they do not exist. Idempotent. **Local and development use only** (feature `dev-schema`): in
    /// production the infrastructure creates them.
    pub async fn ensure_dev_schema(&self) -> Result<(), SetupError> {
        let database = self.config.database.as_str();
        match self.client.create_database(database, None).await {
            Ok(_) => {}
            Err(e) if e.status().is_conflict() => {}
            Err(e) => {
                return Err(SetupError::Cosmos {
                    what: format!("database {database} (creating it)"),
                    detail: redact(&e.to_string()),
                });
            }
        }
        let db = self.client.database_client(database);
        let names = &self.config.containers;
        for (name, partition_key) in [
            (&names.cases, "/id"),
            (&names.scim_users, "/id"),
            (&names.scim_user_names, "/id"),
            (&names.case_index, "/period"),
            (&names.remediations, "/id"),
            (&names.claims, "/id"),
            (&names.findings, "/id"),
            (&names.rights_index, "/id"),
        ] {
            let properties = ContainerProperties::new(name.clone(), partition_key.into());
            match db.create_container(properties, None).await {
                Ok(_) => {}
                Err(e) if e.status().is_conflict() => {}
                Err(e) => {
                    return Err(SetupError::Cosmos {
                        what: format!("container {database}/{name} (creating it)"),
                        detail: redact(&e.to_string()),
                    });
                }
            }
        }
        Ok(())
    }
}
