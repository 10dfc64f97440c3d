//! Cosmos DB (NoSQL API) adapters through the official `azure_data_cosmos` SDK, authenticated
//! with an Entra ID token credential (the app's managed identity).
//!
//! Seven containers in one database:
//!
//! | container        | partition key | document                                  | why that key                                |
//! |------------------|---------------|-------------------------------------------|---------------------------------------------|
//! | `cases`          | `/id`         | [`CosmosCaseStore`]'s case documents      | case ids are deterministic: create-if-absent → 409 is the duplicate check, and it only holds inside one logical partition |
//! | `scimUsers`      | `/id`         | [`CosmosScimUserStore`]'s user documents  | point reads by the server-assigned id       |
//! | `scimUserNames`  | `/id`         | one guard per lower-cased `userName`      | makes `userName` unique across partitions   |
//! | `caseIndex`      | `/period`     | [`CosmosCaseIndex`]'s compliance entries  | the auditor asks for a period: one period is one single-partition query |
//! | `remediations`   | `/id`         | [`CosmosRemediationStore`]'s items        | point reads by `{caseId}:{step}`            |
//! | `claims`         | `/id`         | a person's active case, an attached event | create-if-absent on `person-{objectId}` decides, across instances, which of two terminations of one person opens the case |
//! | `findings`       | `/id`         | [`CosmosFindingStore`]'s scan findings    | point reads by `{kind}:{subject}`: a scan never raises the same finding twice |
//! | `rightsIndex`    | `/id`         | [`CosmosRightsIndex`]'s entries            | point reads by `trustee-{upn}`: a leaver's rights on other mailboxes in one read |
//!
//! Queries that span partitions (listing by period, due cases, a subject's open cases, SCIM
//! lookups by `externalId`) filter on top-level fields written for that purpose and never use
//! aggregates or `GROUP BY`: the SDK refuses cross-partition aggregates against real Cosmos DB,
//! so counts are computed in Rust.
//!
//! The database and containers are created by the infrastructure (Bicep/Terraform) in
//! production; [`CosmosDb::ensure_dev_schema`] (feature `dev-schema`) creates them for local
//! and development use.

mod cases;
mod claims;
mod findings;
mod index;
mod remediation;
mod rights;
#[cfg(feature = "dev-schema")]
mod schema;
mod scim;

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_data_cosmos::clients::ContainerClient;
use azure_data_cosmos::feed::FeedScope;
use azure_data_cosmos::{
    AccountEndpoint, AccountReference, CosmosClient, CosmosError, Query, RoutingStrategy,
};
use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use offboard_core::ports::{ETag, StoreError, Versioned};
use serde::de::DeserializeOwned;

use crate::error::{SetupError, corrupt, redact, store_error};

pub use cases::CosmosCaseStore;
pub use findings::CosmosFindingStore;
pub use index::CosmosCaseIndex;
pub use remediation::CosmosRemediationStore;
pub use rights::CosmosRightsIndex;
pub use scim::CosmosScimUserStore;

/// Names of the containers offboard uses, with the defaults the infrastructure creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerNames {
    /// Cases, partitioned by `/id` (default `cases`).
    pub cases: String,
    /// SCIM users, partitioned by `/id` (default `scimUsers`).
    pub scim_users: String,
    /// `userName` uniqueness guards, partitioned by `/id` (default `scimUserNames`).
    pub scim_user_names: String,
    /// The compliance index, partitioned by `/period` (default `caseIndex`).
    pub case_index: String,
    /// Remediation items, partitioned by `/id` (default `remediations`).
    pub remediations: String,
    /// A person's active case and its attached events, partitioned by `/id` (default `claims`).
    pub claims: String,
    /// Reconciliation findings, partitioned by `/id` (default `findings`).
    pub findings: String,
    /// The rights index, partitioned by `/id` (default `rightsIndex`).
    pub rights_index: String,
}

impl Default for ContainerNames {
    fn default() -> Self {
        Self {
            cases: "cases".into(),
            scim_users: "scimUsers".into(),
            scim_user_names: "scimUserNames".into(),
            case_index: "caseIndex".into(),
            remediations: "remediations".into(),
            claims: "claims".into(),
            findings: "findings".into(),
            rights_index: "rightsIndex".into(),
        }
    }
}

/// Where offboard's Cosmos DB data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosmosConfig {
    /// Account endpoint, `https://<account>.documents.azure.com/` (`OFFBOARD_COSMOS_ENDPOINT`).
    pub endpoint: String,
    /// Database name (`OFFBOARD_COSMOS_DATABASE`, default `offboard`).
    pub database: String,
    /// Container names.
    pub containers: ContainerNames,
    /// Regions to prefer, nearest first (for example `["West Europe", "North Europe"]`); empty
    /// means the account's own order.
    pub preferred_regions: Vec<String>,
}

impl CosmosConfig {
    /// The configuration for `endpoint` and `database` with the default container names.
    pub fn new(endpoint: impl Into<String>, database: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            database: database.into(),
            containers: ContainerNames::default(),
            preferred_regions: Vec::new(),
        }
    }
}

/// A connected Cosmos DB account and offboard's database in it: the factory of the stores.
#[derive(Clone)]
pub struct CosmosDb {
    client: CosmosClient,
    config: CosmosConfig,
}

impl std::fmt::Debug for CosmosDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosDb")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CosmosDb {
    /// Connects to the account in `config` with `credential` (see
    /// [`crate::managed_identity_credential`]).
    ///
    /// The SDK reads three settings from the environment that matter against the local npm
    /// Cosmos server only (`local/stack.sh env` prints them):
    /// `AZURE_COSMOS_EMULATOR_SERVER_CERT_VALIDATION_DISABLED`,
    /// `AZURE_COSMOS_CONNECTION_POOL_IS_HTTP2_ALLOWED`, `AZURE_COSMOS_BINARY_ENCODING_ENABLED`.
    pub async fn connect(
        config: CosmosConfig,
        credential: Arc<dyn TokenCredential>,
    ) -> Result<Self, SetupError> {
        let endpoint: AccountEndpoint =
            config.endpoint.trim().parse().map_err(|e: CosmosError| {
                SetupError::InvalidEndpoint {
                    what: "Cosmos DB endpoint (OFFBOARD_COSMOS_ENDPOINT)",
                    value: config.endpoint.clone(),
                    reason: redact(&e.to_string()),
                }
            })?;
        if config.database.trim().is_empty() {
            return Err(SetupError::Cosmos {
                what: "the database".into(),
                detail: "no database name given (OFFBOARD_COSMOS_DATABASE)".into(),
            });
        }
        let account = AccountReference::with_credential(endpoint, credential);
        let routing = RoutingStrategy::PreferredRegions(
            config
                .preferred_regions
                .iter()
                .map(|r| r.clone().into())
                .collect(),
        );
        let client = CosmosClient::builder()
            .build(account, routing)
            .await
            .map_err(|e| SetupError::Cosmos {
                what: format!("account {}", config.endpoint),
                detail: redact(&e.to_string()),
            })?;
        Ok(Self { client, config })
    }

    /// The configuration this database was opened with.
    pub fn config(&self) -> &CosmosConfig {
        &self.config
    }

    /// The case store on the `cases` and `claims` containers.
    pub async fn case_store(&self) -> Result<CosmosCaseStore, SetupError> {
        let container = self.container(&self.config.containers.cases).await?;
        let claims = self.container(&self.config.containers.claims).await?;
        Ok(CosmosCaseStore::new(container, claims))
    }

    /// The SCIM user store on the `scimUsers` and `scimUserNames` containers.
    pub async fn scim_user_store(&self) -> Result<CosmosScimUserStore, SetupError> {
        let users = self.container(&self.config.containers.scim_users).await?;
        let names = self
            .container(&self.config.containers.scim_user_names)
            .await?;
        Ok(CosmosScimUserStore::new(users, names))
    }

    /// Remediation items on the `remediations` container.
    pub async fn remediation_store(&self) -> Result<CosmosRemediationStore, SetupError> {
        let container = self.container(&self.config.containers.remediations).await?;
        Ok(CosmosRemediationStore::new(container))
    }

    /// Reconciliation findings on the `findings` container.
    pub async fn finding_store(&self) -> Result<CosmosFindingStore, SetupError> {
        let container = self.container(&self.config.containers.findings).await?;
        Ok(CosmosFindingStore::new(container))
    }

    /// The rights index on the `rightsIndex` container.
    pub async fn rights_index(&self) -> Result<CosmosRightsIndex, SetupError> {
        let container = self.container(&self.config.containers.rights_index).await?;
        Ok(CosmosRightsIndex::new(container))
    }

    /// The compliance index.
    pub async fn case_index(&self) -> Result<CosmosCaseIndex, SetupError> {
        let container = self.container(&self.config.containers.case_index).await?;
        Ok(CosmosCaseIndex::new(container))
    }

    async fn container(&self, name: &str) -> Result<ContainerClient, SetupError> {
        self.client
            .database_client(self.config.database.as_str())
            .container_client(name, None)
            .await
            .map_err(|e| SetupError::Cosmos {
                what: format!("container {}/{name}", self.config.database),
                detail: redact(&e.to_string()),
            })
    }
}

/// A document read back as its value with its ETag. A document written by a newer offboard
/// (`schema_version` above `supported`) is refused rather than half-read; the ETag of the
/// response is preferred to the document's `_etag`, and one of them must be there (the next
/// replace is conditional on it). `what` names the document in errors.
pub(crate) fn versioned<T>(
    what: &str,
    schema_version: u32,
    supported: u32,
    value: T,
    etag: Option<String>,
) -> Result<Versioned<T>, StoreError> {
    if schema_version > supported {
        return Err(corrupt(
            what,
            format!(
                "document schema version {schema_version} is newer than this offboard ({supported}): upgrade offboard"
            ),
        ));
    }
    let etag = etag.ok_or_else(|| StoreError::Permanent {
        detail: format!("{what}: Cosmos DB returned no ETag"),
    })?;
    Ok(Versioned {
        value,
        etag: ETag(etag),
    })
}

/// The fixed text form of an instant in stored documents and query parameters:
/// `2026-11-30T17:00:00.000Z`. Always UTC, always milliseconds, so comparing the strings
/// compares the instants (Cosmos DB range filters and `ORDER BY` work on them).
pub(crate) fn instant_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Builds a parameterized query; the parameters are strings, numbers or arrays, which always
/// serialize.
pub(crate) fn query(
    text: String,
    params: Vec<(&'static str, serde_json::Value)>,
) -> Result<Query, StoreError> {
    let mut q = Query::from(text);
    for (name, value) in params {
        q = q
            .with_parameter(name, value)
            .map_err(|e| StoreError::Permanent {
                detail: format!("query parameter {name}: {e}"),
            })?;
    }
    Ok(q)
}

/// Runs a query over every partition and collects all results (the callers bound the result
/// size with `TOP` or by what they select).
pub(crate) async fn query_all<T: DeserializeOwned + Send + 'static>(
    container: &ContainerClient,
    q: Query,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    let map = |e: CosmosError| store_error(what, &e);
    let mut items = container
        .query_items::<T>(q, FeedScope::full_container(), None)
        .await
        .map_err(map)?;
    let mut out = Vec::new();
    while let Some(item) = items.try_next().await.map_err(map)? {
        out.push(item);
    }
    Ok(out)
}
