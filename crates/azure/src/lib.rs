//! # offboard-azure
//!
//! The production adapters of offboard's ports on Azure, each through the official Azure SDK
//! for Rust and authenticated with the Functions app's managed identity:
//!
//! - [`CosmosCaseStore`] ([`CaseStore`](offboard_core::ports::CaseStore)) and
//!   [`CosmosScimUserStore`] ([`ScimUserStore`](offboard_core::ports::ScimUserStore)) on
//!   Cosmos DB (`azure_data_cosmos`), built from a [`CosmosDb`];
//! - [`AzureQueue`] ([`MessageQueue`](offboard_core::ports::MessageQueue)) on Storage queues
//!   (`azure_storage_queue`);
//! - [`managed_identity_credential`], the one credential they all take.
//!
//! ```no_run
//! # async fn wire() -> Result<(), offboard_azure::SetupError> {
//! use offboard_azure::{AzureQueue, AzureQueueOptions, CosmosConfig, CosmosDb};
//!
//! let credential = offboard_azure::managed_identity_credential(None)?;
//! let cosmos = CosmosDb::connect(
//!     CosmosConfig::new("https://acme-offboard.documents.azure.com/", "offboard"),
//!     credential.clone(),
//! )
//! .await?;
//! let cases = cosmos.case_store().await?;
//! let scim_users = cosmos.scim_user_store().await?;
//! let queues = AzureQueue::new(
//!     "https://acmeoffboard.queue.core.windows.net/",
//!     credential,
//!     AzureQueueOptions::default(),
//! )?;
//! # let _ = (cases, scim_users, queues);
//! # Ok(())
//! # }
//! ```
//!
//! Errors come back as the core's [`StoreError`](offboard_core::ports::StoreError) and
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
mod queue;

pub use cosmos::{ContainerNames, CosmosCaseStore, CosmosConfig, CosmosDb, CosmosScimUserStore};
pub use credential::managed_identity_credential;
pub use error::SetupError;
pub use queue::{AzureQueue, AzureQueueOptions};
