//! # offboard-azure
//!
//! The production adapters of offboard's ports on Azure, each through the official Azure SDK
//! for Rust and authenticated with the Functions app's managed identity:
//!
//! - [`CosmosCaseStore`] ([`CaseStore`](offboard_core::ports::CaseStore)) and
//!   [`CosmosScimUserStore`] ([`ScimUserStore`](offboard_core::ports::ScimUserStore)) on
//!   Cosmos DB (`azure_data_cosmos`), built from a [`CosmosDb`];
//! - [`CosmosCaseIndex`] ([`CaseIndex`](offboard_core::ports::CaseIndex)), the compliance
//!   index, on Cosmos DB partitioned by evidence period;
//! - [`AzureQueue`] ([`MessageQueue`](offboard_core::ports::MessageQueue)) on Storage queues
//!   (`azure_storage_queue`);
//! - [`BlobEvidenceStore`] ([`EvidenceStore`](offboard_core::ports::EvidenceStore)) on Blob
//!   Storage (`azure_storage_blob`): create-only evidence blobs under legal hold and a
//!   time-based retention policy, each read back before it counts;
//! - [`managed_identity_credential`], the one credential they all take.
//!
//! ```no_run
//! # async fn wire() -> Result<(), offboard_azure::SetupError> {
//! use offboard_azure::{
//!     AzureQueue, AzureQueueOptions, BlobEvidenceConfig, BlobEvidenceOptions, BlobEvidenceStore,
//!     CosmosConfig, CosmosDb,
//! };
//!
//! let credential = offboard_azure::managed_identity_credential(None)?;
//! let cosmos = CosmosDb::connect(
//!     CosmosConfig::new("https://acme-offboard.documents.azure.com/", "offboard"),
//!     credential.clone(),
//! )
//! .await?;
//! let cases = cosmos.case_store().await?;
//! let scim_users = cosmos.scim_user_store().await?;
//! let index = cosmos.case_index().await?;
//! let evidence = BlobEvidenceStore::new(
//!     BlobEvidenceConfig::new("https://acmeoffboardev.blob.core.windows.net/"),
//!     credential.clone(),
//!     BlobEvidenceOptions::default(),
//! )?;
//! let queues = AzureQueue::new(
//!     "https://acmeoffboard.queue.core.windows.net/",
//!     credential,
//!     AzureQueueOptions::default(),
//! )?;
//! # let _ = (cases, scim_users, index, evidence, queues);
//! # Ok(())
//! # }
//! ```
//!
//! Errors come back as the core's [`StoreError`](offboard_core::ports::StoreError),
//! [`EvidenceStoreError`](offboard_core::ports::EvidenceStoreError) and
//! [`QueueError`](offboard_core::ports::QueueError) (what a caller can act on: conflict, stale
//! ETag, not found, retry later, give up); building an adapter fails with [`SetupError`], which
//! names the setting or the infrastructure to check. No token or key ever appears in an error
//! or a log line.
//!
//! Locally, `local/stack.sh` starts Azurite and the npm Cosmos server over HTTPS and the
//! `standin-identity` crate serves the managed-identity endpoint, so this same code runs in the
//! tests. See `tests/azure/main.rs`.

#![warn(missing_docs)]

mod cosmos;
mod credential;
mod error;
mod evidence;
mod queue;

pub use cosmos::{
    ContainerNames, CosmosCaseIndex, CosmosCaseStore, CosmosConfig, CosmosDb,
    CosmosRemediationStore, CosmosScimUserStore,
};
pub use credential::{managed_identity_credential, operator_credential};
pub use error::SetupError;
pub use evidence::{
    BlobEvidenceConfig, BlobEvidenceOptions, BlobEvidenceStore, DEFAULT_RETENTION_DAYS,
    WORM_OFF_REASON,
};
pub use queue::{AzureQueue, AzureQueueOptions};
