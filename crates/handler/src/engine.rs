//! Builds the engine: Microsoft 365 through Graph and Exchange with the managed identity, the
//! steps, the policy and the notification queue.

use std::sync::Arc;

use offboard_graph::{ExchangeClient, ExchangeClientOptions, GraphClient, GraphClientOptions};
use offboard_service::Clock;
use offboard_service::engine::{Engine, QueueNotifier};
use offboard_service::evidence::Evidence;
use offboard_service::m365::{GraphDirectory, Tenant};
use offboard_service::settings::{OFFBOARD_TENANT_ID, Settings};

use crate::backends::Backends;

/// The engine for these settings and backends.
pub fn build(
    settings: &Settings,
    backends: &Backends,
    evidence: Evidence,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Engine> {
    let t = &settings.tenant;
    let tenant_id = t.tenant_id.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "{OFFBOARD_TENANT_ID} is not set: the Exchange Online admin API addresses the tenant by its id"
        )
    })?;
    let credential =
        offboard_azure::managed_identity_credential(t.managed_identity_client_id.as_deref())?;
    let graph = GraphClient::new(
        &t.graph_endpoint,
        credential.clone(),
        GraphClientOptions::default(),
    )?;
    let exchange = ExchangeClient::new(
        &t.exchange_endpoint,
        tenant_id,
        credential,
        ExchangeClientOptions::default(),
    )?;
    let tenant = Arc::new(Tenant { graph, exchange });
    Ok(Engine::new(
        backends.cases.clone(),
        backends.queue.clone(),
        evidence,
        clock,
        settings.policy.clone(),
        Arc::new(GraphDirectory::new(tenant.clone())),
        Arc::new(offboard_service::steps::registry(tenant)),
        Arc::new(QueueNotifier::new(backends.queue.clone())),
        backends.remediations.clone(),
    ))
}
