//! # offboard-backends
//!
//! Builds the storage and queue adapters the settings ask for: one SQLite file and a file
//! evidence store (embedded), or Cosmos DB, Storage queues and the blob evidence store
//! (Azure). The handler connects as the app's managed identity; `offboard verify`, `report`,
//! `rebuild-index` and `scan` may connect as the signed-in operator. [`engine`] builds the
//! engine on them (Graph, Exchange, the steps, the on-prem agent). Its own crate so that
//! `offboard` can open a deployment's stores and run a scan without linking the HTTP handler.

use std::sync::Arc;

pub mod engine;

use offboard_core::messages::PLAN_QUEUE;
use offboard_core::ports::{
    CaseIndex, CaseStore, EvidenceStore, MessageQueue, RemediationStore, ScimUserStore,
};
use offboard_core::reconcile::FindingStore;
use offboard_embedded::{Embedded, FileEvidenceStore};
use offboard_service::settings::{Backend, Settings};

/// Who the Azure adapters authenticate as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// The Functions app's managed identity (`OFFBOARD_MANAGED_IDENTITY_CLIENT_ID`, or
    /// system-assigned): the handler, always.
    App,
    /// The person at the keyboard, through `az login`: `offboard verify` and `offboard report`
    /// run from an auditor's or operator's machine with read roles only.
    Operator,
}

impl Identity {
    /// Who a command of the CLI acts as: the managed identity where one is available
    /// (`IDENTITY_ENDPOINT` is set, as on the Functions app), else the signed-in operator.
    pub fn of_this_process() -> Self {
        if std::env::var_os("IDENTITY_ENDPOINT").is_some() {
            Self::App
        } else {
            Self::Operator
        }
    }

    /// Its credential; `client_id` names a user-assigned managed identity.
    pub fn credential(
        self,
        client_id: Option<&str>,
    ) -> anyhow::Result<Arc<dyn azure_core::credentials::TokenCredential>> {
        Ok(match self {
            Self::App => offboard_azure::managed_identity_credential(client_id)?,
            Self::Operator => offboard_azure::operator_credential()?,
        })
    }
}

/// The adapters behind the ports.
#[derive(Clone)]
pub struct Backends {
    /// Cases.
    pub cases: Arc<dyn CaseStore>,
    /// SCIM users.
    pub scim_users: Arc<dyn ScimUserStore>,
    /// Queues.
    pub queue: Arc<dyn MessageQueue>,
    /// Write-once evidence.
    pub evidence: Arc<dyn EvidenceStore>,
    /// The compliance index.
    pub index: Arc<dyn CaseIndex>,
    /// Remediation items.
    pub remediations: Arc<dyn RemediationStore>,
    /// Ghost-access scan findings.
    pub findings: Arc<dyn FindingStore>,
    /// Who holds rights on which mailbox (remove-mailbox-rights-elsewhere).
    pub rights: Arc<dyn offboard_core::ports::RightsIndex>,
    /// Who acts, as recorded in evidence.
    pub actor: String,
}

/// The queues offboard sends to: planning, notifications, and one per step kind. In Azure
/// the infrastructure creates them; the embedded backend creates them at start-up.
pub fn queues() -> Vec<String> {
    let mut q = vec![
        PLAN_QUEUE.to_owned(),
        offboard_core::messages::NOTIFY_QUEUE.to_owned(),
        offboard_core::messages::RIGHTS_INDEX_QUEUE.to_owned(),
    ];
    q.extend(offboard_core::plan::StepKind::ALL.iter().map(|k| k.queue()));
    // Every connector of the connector file runs through this one queue.
    q.push(offboard_core::plan::CONNECTOR_QUEUE.to_owned());
    // Every restore action runs through this one queue.
    q.push(offboard_core::plan::RESTORE_QUEUE.to_owned());
    q
}

impl Backends {
    /// Connects to the configured backend; in Azure as the app's managed identity.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        Self::connect_as(settings, Identity::App).await
    }

    /// Connects to the configured backend as `identity`: the handler always runs as the app;
    /// the CLI's read-only commands may run as the signed-in operator.
    pub async fn connect_as(settings: &Settings, identity: Identity) -> anyhow::Result<Self> {
        match &settings.backend {
            Backend::Embedded { path } => {
                let db = Embedded::open(path)?;
                for q in queues() {
                    db.ensure_queue(&q).await?;
                }
                let evidence = FileEvidenceStore::open(&path.join("evidence"))?;
                Ok(Self::embedded(db, evidence))
            }
            Backend::Azure(az) => {
                let credential = identity.credential(az.managed_identity_client_id.as_deref())?;
                let cosmos = offboard_azure::CosmosDb::connect(
                    offboard_azure::CosmosConfig::new(&az.cosmos_endpoint, &az.cosmos_database),
                    credential.clone(),
                )
                .await?;
                let blob_endpoint = az.blob_endpoint.clone().ok_or_else(|| {
                    anyhow::anyhow!(
                        "{} is required with OFFBOARD_BACKEND=azure: evidence is kept in blob storage",
                        offboard_service::settings::OFFBOARD_STORAGE_BLOB_ENDPOINT
                    )
                })?;
                let evidence = offboard_azure::BlobEvidenceStore::new(
                    offboard_azure::BlobEvidenceConfig {
                        endpoint: blob_endpoint,
                        container: settings.evidence.container.clone(),
                        worm: settings.evidence.worm,
                        retention_days: settings.evidence.retention_days,
                        account_id: settings.evidence.account_id.clone(),
                        arm_endpoint: settings.evidence.arm_endpoint.clone(),
                    },
                    credential.clone(),
                    offboard_azure::BlobEvidenceOptions::default(),
                )?;
                // The app refuses to run against evidence it (or anyone) could unlock: with WORM
                // on, the container must report version-level immutability and the account's
                // default retention must be Locked. Read-only commands of an operator skip it.
                if identity == Identity::App {
                    evidence
                        .check_container()
                        .await
                        .map_err(|e| anyhow::anyhow!("the evidence store refuses to start: {e}"))?;
                }
                let queue = offboard_azure::AzureQueue::new(
                    &az.queue_endpoint,
                    credential,
                    offboard_azure::AzureQueueOptions::default(),
                )?;
                let actor = match identity {
                    Identity::App => format!(
                        "offboard (managed identity {})",
                        az.managed_identity_client_id
                            .as_deref()
                            .unwrap_or("system-assigned")
                    ),
                    Identity::Operator => "offboard CLI (signed-in operator)".to_owned(),
                };
                Ok(Self {
                    cases: Arc::new(cosmos.case_store().await?),
                    scim_users: Arc::new(cosmos.scim_user_store().await?),
                    queue: Arc::new(queue),
                    evidence: Arc::new(evidence),
                    index: Arc::new(cosmos.case_index().await?),
                    remediations: Arc::new(cosmos.remediation_store().await?),
                    findings: Arc::new(cosmos.finding_store().await?),
                    rights: Arc::new(cosmos.rights_index().await?),
                    actor,
                })
            }
        }
    }

    /// All ports on one embedded database and a file evidence store.
    pub fn embedded(db: Embedded, evidence: FileEvidenceStore) -> Self {
        let db = Arc::new(db);
        Self {
            cases: db.clone(),
            scim_users: db.clone(),
            queue: db.clone(),
            evidence: Arc::new(evidence),
            index: db.clone(),
            remediations: db.clone(),
            findings: db.clone(),
            rights: db,
            actor: "offboard (embedded backend)".into(),
        }
    }
}
