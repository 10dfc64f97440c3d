//! Builds the engine: Microsoft 365 through Graph and Exchange, the steps (with the AD steps
//! through the on-prem agent when a relay is configured), the policy and the notification
//! queue. The handler builds it as the app's managed identity; `offboard scan` builds the same
//! one as whoever runs it, so a scan from the command line lists AD through the agent and
//! re-runs the steps whose removal came back (queued for the deployment's workers) exactly as
//! the timer's scan does.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use offboard_agent_proto::CommandSigningKey;
use offboard_graph::{WritePacer, WriteQuota};
use offboard_relay::{RelayCredential, RelaySender, RelaySenderOptions, SasKey};
use offboard_service::Clock;
use offboard_service::engine::{Engine, Notifier, QueueNotifier};
use offboard_service::evidence::Evidence;
use offboard_service::m365::{GraphDirectory, Tenant, TenantOptions};
use offboard_service::onprem::{EntraRelayToken, OnPremAgent};
use offboard_service::rights_index::RightsIndexService;
use offboard_service::settings::{
    AgentSettings, OFFBOARD_AGENT_SIGNING_KEY, OFFBOARD_GRAPH_WRITE_QUOTA,
    OFFBOARD_RELAY_NAMESPACE, OFFBOARD_RELAY_SAS_KEY, OFFBOARD_RELAY_SAS_KEY_NAME,
    OFFBOARD_TENANT_ID, RelayAuth, Settings,
};
use offboard_service::steps::{self, StepRegistry};
use secrecy::ExposeSecret;

use crate::{Backends, Identity};

/// What [`build`] makes: the engine, the Microsoft 365 tenant it acts on (the notification
/// mail sink sends through the same Graph client) and the on-prem agent, when one is
/// configured (the ghost-access scan reads AD through it too).
pub struct Built {
    /// The engine.
    pub engine: Engine,
    /// The tenant, as the HTTP side calls it.
    pub tenant: Arc<Tenant>,
    /// The on-prem agent, if the relay and its secrets are configured.
    pub agent: Option<OnPremAgent>,
    /// Why the agent is configured (a relay is named) but cannot be used: the setting to fix.
    pub agent_unusable: Option<String>,
}

/// The engine for these settings and backends, with its tenant and agent, acting as
/// `credential` (the app's managed identity in the handler; [`credential`] picks it).
pub fn build(
    settings: &Settings,
    backends: &Backends,
    evidence: Evidence,
    clock: Arc<dyn Clock>,
    credential: Arc<dyn TokenCredential>,
) -> anyhow::Result<Built> {
    let t = &settings.tenant;
    let tenant_id = t.tenant_id.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "{OFFBOARD_TENANT_ID} is not set: the Exchange Online admin API addresses the tenant by its id"
        )
    })?;
    // One write pacer for every Graph client of the instance: together they stay inside the
    // app's write quota, sign-in cuts first.
    let quota = match &t.graph_write_quota {
        Some(q) => q
            .parse::<WriteQuota>()
            .map_err(|e| anyhow::anyhow!("{OFFBOARD_GRAPH_WRITE_QUOTA}: {e}"))?,
        None => WriteQuota::GRAPH,
    };
    let pacer = Arc::new(WritePacer::new(quota));
    // The steps hand every 429 back to the engine, which re-enqueues them; the mail sink
    // (one notification per invocation) waits out a short Retry-After in the call instead.
    let workers = Arc::new(Tenant::with_options(
        &t.graph_endpoint,
        &t.exchange_endpoint,
        tenant_id.clone(),
        credential.clone(),
        TenantOptions::for_queue_workers().with_pacer(pacer.clone()),
    )?);
    let tenant = Arc::new(Tenant::with_options(
        &t.graph_endpoint,
        &t.exchange_endpoint,
        tenant_id,
        credential.clone(),
        TenantOptions::default().with_pacer(pacer.clone()),
    )?);
    let notifier: Arc<dyn Notifier> = Arc::new(QueueNotifier::new(backends.queue.clone()));
    let registry = steps::registry_with_sync_window(
        workers.clone(),
        settings.policy.sync_verify_window_minutes,
    );
    let registry =
        steps::with_rights_index(registry, workers.clone(), rights_index(&tenant, backends));
    let (registry, agent) = with_agent(
        registry,
        settings.agent.as_ref(),
        credential,
        &notifier,
        &workers,
    );
    let registry = steps::with_connector_steps(registry, &settings.connectors, workers.clone())
        .map_err(|why| anyhow::anyhow!("{why}"))?;
    for c in &settings.connectors {
        tracing::info!(connector = %c.name, line = c.line, "connector configured");
    }
    let engine = Engine::new(
        backends.cases.clone(),
        backends.queue.clone(),
        evidence,
        clock,
        settings.policy.clone(),
        Arc::new(GraphDirectory::new(workers)),
        Arc::new(registry),
        notifier,
        backends.remediations.clone(),
    )
    .with_connectors(settings.connectors.clone())
    .with_write_pacer(pacer);
    Ok(Built {
        engine,
        tenant,
        agent: agent.as_ref().ok().cloned().flatten(),
        agent_unusable: agent.err(),
    })
}

/// Who Graph, Exchange and the relay see act: the app's managed identity, or the operator
/// signed in with `az login`.
pub fn credential(
    settings: &Settings,
    identity: Identity,
) -> anyhow::Result<Arc<dyn TokenCredential>> {
    identity.credential(settings.tenant.managed_identity_client_id.as_deref())
}

/// The rights index (who holds rights on which mailbox) on these backends, refreshed from
/// `tenant`.
pub fn rights_index(tenant: &Arc<Tenant>, backends: &Backends) -> RightsIndexService {
    RightsIndexService::new(
        tenant.clone(),
        backends.rights.clone(),
        backends.queue.clone(),
    )
}

/// Adds the AD steps to `registry` as the settings allow: through the agent when the relay and
/// its secrets are configured (the agent is returned too); failing at once, naming the setting,
/// when the relay is configured but a secret is missing or malformed; not at all without a
/// relay (the engine then shows the AD steps of synced leavers as waiting for the agent).
/// Returns the agent, none without a relay, or why the configured one cannot be used.
fn with_agent(
    registry: StepRegistry,
    agent: Option<&AgentSettings>,
    credential: Arc<dyn TokenCredential>,
    notifier: &Arc<dyn Notifier>,
    tenant: &Arc<Tenant>,
) -> (StepRegistry, Result<Option<OnPremAgent>, String>) {
    let Some(agent) = agent else {
        tracing::warn!(
            "{OFFBOARD_RELAY_NAMESPACE} is not set: the AD steps of synced leavers will wait for an on-prem agent"
        );
        return (registry, Ok(None));
    };
    match on_prem_agent(agent, credential) {
        Ok(a) => {
            tracing::info!(
                via = %a.describe(),
                signing_key_id = a.signing_key_id(),
                "AD steps run through the on-prem agent (its trusted_keys must hold this key's public half)"
            );
            let a = a.with_notifier(notifier.clone());
            (
                steps::with_ad_steps(registry, Arc::new(a.clone()), tenant.clone()),
                Ok(Some(a)),
            )
        }
        Err(why) => {
            tracing::error!("the AD steps cannot run: {why}");
            (
                steps::with_ad_steps_unavailable(registry, why.clone()),
                Err(why),
            )
        }
    }
}

/// The agent for these settings, or why it cannot be used (names the setting; never shows a
/// secret).
fn on_prem_agent(
    agent: &AgentSettings,
    credential: Arc<dyn TokenCredential>,
) -> Result<OnPremAgent, String> {
    let key = agent.signing_key.as_ref().ok_or_else(|| {
        format!(
            "{OFFBOARD_AGENT_SIGNING_KEY} is not set (or its Key Vault reference did not resolve): put the command signing key into Key Vault (infra/scripts/set-secrets.sh agent-signing-key), restart the app, then retry the step"
        )
    })?;
    let key = CommandSigningKey::from_base64(key.expose_secret())
        .map_err(|e| format!("{OFFBOARD_AGENT_SIGNING_KEY}: {e}"))?;
    let credential = match &agent.auth {
        RelayAuth::ManagedIdentity => {
            RelayCredential::EntraId(Arc::new(EntraRelayToken::new(credential)))
        }
        RelayAuth::SharedAccessKey {
            name: Some(name),
            key: Some(key),
        } => RelayCredential::SharedAccessKey(SasKey::new(name.clone(), key.clone())),
        RelayAuth::SharedAccessKey { name: None, .. } => {
            return Err(format!(
                "{OFFBOARD_RELAY_SAS_KEY} is set but {OFFBOARD_RELAY_SAS_KEY_NAME} is not: set the name of the SAS rule (with the Send right) the key belongs to, or remove the key to use the managed identity"
            ));
        }
        RelayAuth::SharedAccessKey { key: None, .. } => {
            return Err(format!(
                "{OFFBOARD_RELAY_SAS_KEY_NAME} is set but {OFFBOARD_RELAY_SAS_KEY} is not (or its Key Vault reference did not resolve): put the rule's key into Key Vault, or unset the name to use the managed identity"
            ));
        }
    };
    let sender = RelaySender::new(
        agent.relay.clone(),
        credential,
        RelaySenderOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok(OnPremAgent::new(Arc::new(sender), Arc::new(key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use offboard_service::settings::{
        OFFBOARD_BACKEND, OFFBOARD_EMBEDDED_PATH, OFFBOARD_RELAY_NAMESPACE,
    };

    fn agent(pairs: &[(&str, &str)]) -> AgentSettings {
        let mut all = vec![
            (OFFBOARD_BACKEND, "embedded"),
            (OFFBOARD_EMBEDDED_PATH, "/tmp/x"),
            (OFFBOARD_RELAY_NAMESPACE, "ns.servicebus.windows.net"),
        ];
        all.extend_from_slice(pairs);
        let map: std::collections::HashMap<String, String> = all
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
            .unwrap()
            .agent
            .unwrap()
    }

    fn credential() -> Arc<dyn TokenCredential> {
        offboard_azure::managed_identity_credential(None).unwrap()
    }

    #[test]
    fn each_missing_or_malformed_secret_is_named_and_never_shown() {
        let seed = CommandSigningKey::generate().to_base64_secret();
        let ok = on_prem_agent(&agent(&[(OFFBOARD_AGENT_SIGNING_KEY, &seed)]), credential())
            .expect("managed identity + key");
        assert!(ok.describe().contains("offboard-agent"));
        assert!(!format!("{ok:?}").contains(&seed));

        for (pairs, names) in [
            (vec![], OFFBOARD_AGENT_SIGNING_KEY),
            (
                vec![(OFFBOARD_AGENT_SIGNING_KEY, "bm90LWEta2V5")],
                OFFBOARD_AGENT_SIGNING_KEY,
            ),
            (
                vec![
                    (OFFBOARD_AGENT_SIGNING_KEY, seed.as_str()),
                    (OFFBOARD_RELAY_SAS_KEY, "s4sKeyValue"),
                ],
                OFFBOARD_RELAY_SAS_KEY_NAME,
            ),
            (
                vec![
                    (OFFBOARD_AGENT_SIGNING_KEY, seed.as_str()),
                    (OFFBOARD_RELAY_SAS_KEY_NAME, "offboard-send"),
                ],
                OFFBOARD_RELAY_SAS_KEY,
            ),
        ] {
            let why = on_prem_agent(&agent(&pairs), credential()).unwrap_err();
            assert!(why.contains(names), "{pairs:?}: {why}");
            assert!(
                !why.contains("s4sKeyValue") && !why.contains(&seed),
                "{why}"
            );
        }
        let sas = on_prem_agent(
            &agent(&[
                (OFFBOARD_AGENT_SIGNING_KEY, &seed),
                (OFFBOARD_RELAY_SAS_KEY_NAME, "offboard-send"),
                (OFFBOARD_RELAY_SAS_KEY, "s4sKeyValue"),
            ]),
            credential(),
        )
        .expect("SAS + key");
        assert!(!format!("{sas:?}").contains("s4sKeyValue"));
    }
}
