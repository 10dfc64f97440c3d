//! Builds the engine: Microsoft 365 through Graph and Exchange with the managed identity, the
//! steps, the policy and the notification queue.

use std::sync::Arc;

use offboard_service::Clock;
use offboard_service::engine::{Engine, QueueNotifier};
use offboard_service::evidence::Evidence;
use offboard_service::m365::{GraphDirectory, Tenant, TenantOptions};
use offboard_service::settings::{OFFBOARD_TENANT_ID, Settings};

use crate::backends::Backends;

/// The engine for these settings and backends, and the Microsoft 365 tenant it acts on
/// (the notification mail sink sends through the same Graph client).
pub fn build(
    settings: &Settings,
    backends: &Backends,
    evidence: Evidence,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(Engine, Arc<Tenant>)> {
    let t = &settings.tenant;
    let tenant_id = t.tenant_id.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "{OFFBOARD_TENANT_ID} is not set: the Exchange Online admin API addresses the tenant by its id"
        )
    })?;
    let credential =
        offboard_azure::managed_identity_credential(t.managed_identity_client_id.as_deref())?;
    // The steps hand every 429 back to the engine, which re-enqueues them; the mail sink
    // (one notification per invocation) waits out a short Retry-After in the call instead.
    let workers = Arc::new(Tenant::with_options(
        &t.graph_endpoint,
        &t.exchange_endpoint,
        tenant_id.clone(),
        credential.clone(),
        TenantOptions::for_queue_workers(),
    )?);
    let tenant = Arc::new(Tenant::new(
        &t.graph_endpoint,
        &t.exchange_endpoint,
        tenant_id,
        credential,
    )?);
    let engine = Engine::new(
        backends.cases.clone(),
        backends.queue.clone(),
        evidence,
        clock,
        settings.policy.clone(),
        Arc::new(GraphDirectory::new(workers.clone())),
        Arc::new(offboard_service::steps::registry_with_sync_window(
            workers,
            settings.policy.sync_verify_window_minutes,
        )),
        Arc::new(QueueNotifier::new(backends.queue.clone())),
        backends.remediations.clone(),
    );
    Ok((engine, tenant))
}
