//! Builds the storage and queue adapters the settings ask for.

use std::sync::Arc;

use offboard_core::messages::PLAN_QUEUE;
use offboard_core::ports::{CaseStore, MessageQueue, ScimUserStore};
use offboard_embedded::Embedded;
use offboard_service::settings::Backend;

/// The adapters behind the ports.
#[derive(Clone)]
pub struct Backends {
    /// Cases.
    pub cases: Arc<dyn CaseStore>,
    /// SCIM users.
    pub scim_users: Arc<dyn ScimUserStore>,
    /// Queues.
    pub queue: Arc<dyn MessageQueue>,
}

/// The queues offboard sends to. In Azure the infrastructure creates them; the embedded
/// backend creates them at start-up.
pub const QUEUES: &[&str] = &[PLAN_QUEUE];

impl Backends {
    /// Connects to the configured backend.
    pub async fn connect(backend: &Backend) -> anyhow::Result<Self> {
        match backend {
            Backend::Embedded { path } => {
                let db = Embedded::open(path)?;
                for q in QUEUES {
                    db.ensure_queue(q).await?;
                }
                Ok(Self::embedded(db))
            }
            Backend::Azure(_) => anyhow::bail!(
                "the Azure backend is not wired into this build yet; set OFFBOARD_BACKEND=embedded"
            ),
        }
    }

    /// All ports on one embedded database.
    pub fn embedded(db: Embedded) -> Self {
        let db = Arc::new(db);
        Self {
            cases: db.clone(),
            scim_users: db.clone(),
            queue: db,
        }
    }
}
