//! Test kit: a tenant simulator per test, credentials that speak the App Service protocol to it,
//! and clients wired to both.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::time::OffsetDateTime;
use offboard_graph::{
    ExchangeClient, ExchangeClientOptions, GraphClient, GraphClientOptions, RetryOptions,
};
use standin_identity::{IdentitySelector, TokenSpec};
use standin_tenant::{SimConfig, SimHandle, TenantSim};

pub use standin_tenant::demo::ids;

/// Tokens from the simulator's `/msi/token` with the App Service protocol (what
/// `ManagedIdentityCredential` does), without caching, counted.
pub use standin_identity::EndpointCredential as SimCredential;

fn sim_credential(sim: &SimHandle) -> Arc<SimCredential> {
    Arc::new(SimCredential::new(sim.identity_endpoint(), sim.identity_header()).unwrap())
}

/// A credential that hands out tokens shaped by the test (minted by the simulator's issuer),
/// one per call from a list, repeating the last one.
#[derive(Debug)]
pub struct ScriptedCredential {
    tokens: Vec<String>,
    calls: AtomicUsize,
}

impl ScriptedCredential {
    pub fn new(tokens: Vec<String>) -> Arc<Self> {
        Arc::new(Self {
            tokens,
            calls: AtomicUsize::new(0),
        })
    }

    /// How many tokens were asked for so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl TokenCredential for ScriptedCredential {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let i = self.calls.fetch_add(1, Ordering::SeqCst);
        let t = self
            .tokens
            .get(i)
            .or(self.tokens.last())
            .cloned()
            .unwrap_or_default();
        Ok(AccessToken::new(
            Secret::new(t),
            OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

/// Mints a Graph token for the system-assigned identity.
pub fn mint(sim: &SimHandle, resource: &str, roles: Option<Vec<String>>) -> String {
    sim.issuer()
        .mint(&TokenSpec {
            identity: IdentitySelector::SystemAssigned,
            resource: resource.to_owned(),
            roles,
            shift_secs: 0,
            lifetime: Some(Duration::from_secs(3600)),
        })
        .unwrap()
}

/// Retry bounds short enough for tests.
pub fn fast_retry() -> RetryOptions {
    RetryOptions {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
        retry_after_jitter: Duration::from_millis(20),
    }
}

pub fn graph_options() -> GraphClientOptions {
    GraphClientOptions {
        retry: fast_retry(),
        ..Default::default()
    }
}

pub struct Env {
    pub sim: SimHandle,
    pub cred: Arc<SimCredential>,
    pub graph: GraphClient,
    pub exchange: ExchangeClient,
}

pub async fn env() -> Env {
    env_with(SimConfig::default()).await
}

pub async fn env_with(config: SimConfig) -> Env {
    let sim = TenantSim::spawn(config).await.unwrap();
    let cred = sim_credential(&sim);
    let graph = GraphClient::new(sim.graph_base(), cred.clone(), graph_options()).unwrap();
    let mut xo = ExchangeClientOptions::default();
    xo.base.retry = fast_retry();
    let exchange =
        ExchangeClient::new(sim.exchange_base(), sim.tenant_id(), cred.clone(), xo).unwrap();
    Env {
        sim,
        cred,
        graph,
        exchange,
    }
}

/// Statuses the simulator answered, in order, for requests whose path contains `needle`.
pub fn statuses(sim: &SimHandle, needle: &str) -> Vec<u16> {
    sim.requests()
        .iter()
        .filter(|r| r.path.contains(needle))
        .map(|r| r.status)
        .collect()
}
