//! Stand-in Microsoft 365 tenant: Graph v1.0 and Exchange admin InvokeCommand. Tests and demo
//! only — never linked into the handler or the agent.
//!
//! One process on 127.0.0.1 serves:
//! - `GET /msi/token` — the App Service managed-identity endpoint (`standin-identity`), issuing
//!   JWTs whose `roles` are the application permissions the tenant grants the identity;
//! - `/v1.0/...` — the Graph calls offboarding makes, with Graph's shapes, permission checks,
//!   refusals, write quota (429 + `Retry-After`), fault injection and JSON `$batch`;
//! - `POST /adminapi/beta/{tenantId}/InvokeCommand` — the Exchange Online cmdlets offboarding uses;
//! - `/_sim/...` — for tests: the request log, the tenant's state and knobs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), standin_tenant::SimError> {
//! let sim = standin_tenant::TenantSim::spawn(standin_tenant::SimConfig::default()).await?;
//! println!("IDENTITY_ENDPOINT={} GRAPH={}", sim.identity_endpoint(), sim.graph_base());
//! # Ok(()) }
//! ```
//!
//! The seed format (`--seed FILE`) is [`Tenant`] as JSON; see `README.md` next to this crate.

#![warn(missing_docs)]
#![recursion_limit = "256"]

pub mod csdl;
pub mod demo;
pub mod demo_doors;
pub mod demo_doors_pim_owners;
pub mod engine;
pub mod exchange;
mod exchange_doors;
pub mod graph;
pub mod http;
pub mod mailbox_doors;
pub mod model;
pub mod odata;
pub mod provisioning;
mod server;
pub mod sync;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use standin_identity::{IdentityConfig, ManagedIdentity, ResourceGrant, TokenIssuer};
use tokio::sync::oneshot;

pub use engine::{LoggedRequest, Settings};
pub use model::Tenant;

use engine::{Engine, Shared};
use sync::{DelayedDirectorySync, DirectorySync, NoDirectorySync};

/// Errors starting or driving the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The port could not be bound.
    #[error("could not bind the tenant simulator on {addr}: {source}; choose another --port")]
    Bind {
        /// Address asked for.
        addr: SocketAddr,
        /// Reason.
        source: std::io::Error,
    },
    /// The seed is unusable.
    #[error("invalid seed: {0}")]
    Seed(String),
    /// The identity stand-in refused the seed's identities.
    #[error(transparent)]
    Identity(#[from] standin_identity::IdentityError),
    /// A remote simulator did not answer as expected.
    #[error("tenant simulator at {url} answered: {message}")]
    Remote {
        /// URL called.
        url: String,
        /// What went wrong.
        message: String,
    },
}

/// How to start a simulator.
#[derive(Clone)]
pub struct SimConfig {
    /// Port on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// The tenant; the built-in demo tenant when `None`.
    pub seed: Option<Tenant>,
    /// Initial behaviour knobs (write quota, faults, latency, page size).
    pub settings: Settings,
    /// Lifetime of issued tokens (managed-identity tokens live about a day).
    pub token_lifetime: Duration,
    /// The `IDENTITY_HEADER` secret (random when `None`).
    pub identity_header: Option<String>,
    /// Delay after which an on-premises change of a synced user reaches the cloud object;
    /// `None` = only when a test runs [`SimHandle::run_directory_sync`].
    pub directory_sync_delay: Option<Duration>,
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("port", &self.port)
            .field("seed", &self.seed.as_ref().map(|t| &t.tenant_id))
            .field("settings", &self.settings)
            .field("token_lifetime", &self.token_lifetime)
            .field(
                "identity_header",
                &self.identity_header.as_ref().map(|_| "<redacted>"),
            )
            .field("directory_sync_delay", &self.directory_sync_delay)
            .finish()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            port: 0,
            seed: None,
            settings: Settings::default(),
            token_lifetime: Duration::from_secs(24 * 3600),
            identity_header: None,
            directory_sync_delay: None,
        }
    }
}

fn identity_of(a: &model::AppIdentity) -> ManagedIdentity {
    ManagedIdentity {
        client_id: a.client_id.clone(),
        object_id: a.object_id.clone(),
        resource_id: None,
        display_name: a.display_name.clone(),
        grants: vec![
            ResourceGrant {
                resource: standin_identity::GRAPH_RESOURCE.to_owned(),
                roles: a.graph_app_roles.clone(),
            },
            ResourceGrant {
                resource: standin_identity::EXCHANGE_RESOURCE.to_owned(),
                roles: a.exchange_app_roles.clone(),
            },
        ],
    }
}

/// The tenant simulator.
#[derive(Debug)]
pub struct TenantSim;

impl TenantSim {
    /// Binds 127.0.0.1 and serves the tenant in a background task. Call inside a Tokio runtime.
    pub async fn spawn(config: SimConfig) -> Result<SimHandle, SimError> {
        let tenant = config.seed.clone().unwrap_or_else(demo::demo_tenant);
        validate(&tenant)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], config.port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let issuer = TokenIssuer::new(IdentityConfig {
            tenant_id: tenant.tenant_id.clone(),
            system_assigned: tenant.identities.system_assigned.as_ref().map(identity_of),
            user_assigned: tenant
                .identities
                .user_assigned
                .iter()
                .map(identity_of)
                .collect(),
            token_lifetime: config.token_lifetime,
            port: 0,
            header_secret: config.identity_header.clone(),
        })?;
        let sync: Box<dyn DirectorySync> = match config.directory_sync_delay {
            Some(delay) => Box::new(DelayedDirectorySync { delay }),
            None => Box::new(NoDirectorySync),
        };
        let shared = Arc::new(Shared {
            engine: Mutex::new(Engine::new(tenant, config.settings.clone(), sync)),
            issuer,
            graph_base: format!("http://{addr}/v1.0"),
        });
        let (tx, rx) = oneshot::channel::<()>();
        let server = warp::serve(server::routes(shared.clone()))
            .incoming(listener)
            .graceful(async {
                let _ = rx.await;
            });
        let task = tokio::spawn(server.run());
        tracing::info!(%addr, "tenant simulator listening");
        Ok(SimHandle {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

fn validate(t: &Tenant) -> Result<(), SimError> {
    if t.tenant_id.is_empty() {
        return Err(SimError::Seed("tenantId is required".to_owned()));
    }
    if t.identities.system_assigned.is_none() && t.identities.user_assigned.is_empty() {
        return Err(SimError::Seed(
            "identities needs a systemAssigned or a userAssigned identity, or no token can be issued"
                .to_owned(),
        ));
    }
    for u in &t.users {
        if let Some(m) = &u.manager_id
            && t.user(m).is_none()
        {
            return Err(SimError::Seed(format!(
                "user {} has managerId {m}, which is not a user of the seed",
                u.id
            )));
        }
    }
    for g in &t.groups {
        for m in &g.members {
            if t.user(m).is_none() && t.group(m).is_none() {
                return Err(SimError::Seed(format!(
                    "group {} lists member {m}, which is neither a user nor a group",
                    g.id
                )));
            }
        }
    }
    Ok(())
}

/// A running simulator. Dropping it stops the server.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:P`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Graph base URL: `http://127.0.0.1:P/v1.0` (the counterpart of `https://graph.microsoft.com/v1.0`).
    pub fn graph_base(&self) -> String {
        format!("http://{}/v1.0", self.addr)
    }
    /// Exchange base URL: `http://127.0.0.1:P` (the counterpart of `https://outlook.office365.com`);
    /// clients append `/adminapi/beta/{tenantId}/InvokeCommand`.
    pub fn exchange_base(&self) -> String {
        self.base_url()
    }
    /// The value for `IDENTITY_ENDPOINT`.
    pub fn identity_endpoint(&self) -> String {
        format!("http://{}{}", self.addr, standin_identity::TOKEN_PATH)
    }
    /// The value for `IDENTITY_HEADER`.
    pub fn identity_header(&self) -> String {
        self.shared.issuer.header_secret().to_owned()
    }
    /// The tenant id.
    pub fn tenant_id(&self) -> String {
        self.shared.lock().tenant.tenant_id.clone()
    }
    /// The token issuer (counters, lifetime, [`TokenIssuer::expire_issued_tokens`], minting).
    pub fn issuer(&self) -> &TokenIssuer {
        &self.shared.issuer
    }
    /// The request log.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }
    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }
    /// What the metadata check found so far (empty unless `Settings::check_metadata`).
    pub fn metadata_findings(&self) -> Vec<csdl::MetadataFinding> {
        self.shared.lock().metadata_findings.clone()
    }
    /// A snapshot of the tenant.
    pub fn state(&self) -> Tenant {
        self.shared.lock().tenant.clone()
    }
    /// Changes the tenant directly (no Graph rules apply), e.g. to make a user synced.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> R {
        f(&mut self.shared.lock().tenant)
    }
    /// Current knobs.
    pub fn settings(&self) -> Settings {
        self.shared.lock().settings.clone()
    }
    /// Replaces the knobs and resets the write-quota history.
    pub fn set_settings(&self, settings: Settings) {
        let mut e = self.shared.lock();
        e.settings = settings;
        e.reset_quota();
    }
    /// Sets the write quota (`writes` per `window`) and resets its history.
    pub fn set_write_quota(&self, writes: u32, window: Duration) {
        let mut s = self.settings();
        s.write_quota = writes;
        s.quota_window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        self.set_settings(s);
    }
    /// Answers the next `count` Graph or Exchange requests with `status` (503/504…).
    pub fn inject_faults(&self, count: usize, status: u16) {
        self.shared
            .lock()
            .fault_next
            .extend(std::iter::repeat_n(status, count));
    }
    /// Throttles the next `count` Graph operations (requests or batch items) with 429 and
    /// `Retry-After: retry_after_secs`.
    pub fn throttle_next(&self, count: usize, retry_after_secs: u64) {
        self.shared
            .lock()
            .throttle_next
            .extend(std::iter::repeat_n(retry_after_secs, count));
    }
    /// Makes every token issued so far expired for Graph and Exchange.
    pub fn expire_tokens(&self) {
        self.shared.issuer.expire_issued_tokens();
    }
    /// Records an on-premises (AD) change of a synced user's enabled state; it reaches the
    /// cloud object at the next directory sync. False for unknown or cloud-only users.
    pub fn set_on_premises_enabled(&self, user: &str, enabled: bool) -> bool {
        sync::set_on_premises_enabled(
            &mut self.shared.lock().tenant,
            user,
            enabled,
            chrono::Utc::now(),
        )
    }
    /// Starts Entra's automatic provisioning for an enterprise application: every user
    /// assigned to it now (or later) is deprovisioned there, and logged, once disabled, deleted
    /// or unassigned (see [`provisioning`]). Replaces the app's job, if it had one.
    pub fn start_provisioning_job(&self, job: model::ProvisioningJob) {
        provisioning::start_job(&mut self.shared.lock().tenant, job);
    }
    /// Runs a delta directory sync now.
    pub fn run_directory_sync(&self) {
        sync::sync_now(&mut self.shared.lock().tenant, chrono::Utc::now());
    }
    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Client for a simulator running in another process (`tenant-sim` binary): reads the
/// request log and state, changes knobs.
#[derive(Clone, Debug)]
pub struct SimRemote {
    base: String,
    http: reqwest::Client,
}

impl SimRemote {
    /// `base` is `http://127.0.0.1:P`.
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, SimError> {
        let url = format!("{}{path}", self.base);
        let rsp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| SimError::Remote {
                url: url.clone(),
                message: e.to_string(),
            })?;
        if !rsp.status().is_success() {
            return Err(SimError::Remote {
                url,
                message: format!("status {}", rsp.status()),
            });
        }
        rsp.json().await.map_err(|e| SimError::Remote {
            url,
            message: e.to_string(),
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> Result<(), SimError> {
        let url = format!("{}{path}", self.base);
        let rsp = self
            .http
            .request(method, &url)
            .json(&body)
            .send()
            .await
            .map_err(|e| SimError::Remote {
                url: url.clone(),
                message: e.to_string(),
            })?;
        if rsp.status().is_success() {
            Ok(())
        } else {
            Err(SimError::Remote {
                url,
                message: format!("status {}", rsp.status()),
            })
        }
    }

    /// `GET /_sim/requests`.
    pub async fn requests(&self) -> Result<Vec<LoggedRequest>, SimError> {
        self.get("/_sim/requests").await
    }
    /// `GET /_sim/state`.
    pub async fn state(&self) -> Result<Tenant, SimError> {
        self.get("/_sim/state").await
    }
    /// `GET /_sim/settings`.
    pub async fn settings(&self) -> Result<Settings, SimError> {
        self.get("/_sim/settings").await
    }
    /// `PUT /_sim/settings`.
    pub async fn set_settings(&self, s: &Settings) -> Result<(), SimError> {
        let body = serde_json::to_value(s).map_err(|e| SimError::Remote {
            url: self.base.clone(),
            message: e.to_string(),
        })?;
        self.send(reqwest::Method::PUT, "/_sim/settings", body)
            .await
    }
    /// `PUT /_sim/state`.
    pub async fn set_state(&self, t: &Tenant) -> Result<(), SimError> {
        let body = serde_json::to_value(t).map_err(|e| SimError::Remote {
            url: self.base.clone(),
            message: e.to_string(),
        })?;
        self.send(reqwest::Method::PUT, "/_sim/state", body).await
    }
    /// `POST /_sim/throttle`.
    pub async fn throttle_next(&self, count: usize, retry_after_secs: u64) -> Result<(), SimError> {
        self.send(
            reqwest::Method::POST,
            "/_sim/throttle",
            serde_json::json!({"count": count, "retryAfter": retry_after_secs}),
        )
        .await
    }
    /// `POST /_sim/faults`.
    pub async fn inject_faults(&self, count: usize, status: u16) -> Result<(), SimError> {
        self.send(
            reqwest::Method::POST,
            "/_sim/faults",
            serde_json::json!({"count": count, "status": status}),
        )
        .await
    }
    /// `PATCH /_sim/users/{id}/on-premises`.
    pub async fn set_on_premises_enabled(&self, user: &str, enabled: bool) -> Result<(), SimError> {
        self.send(
            reqwest::Method::PATCH,
            &format!("/_sim/users/{user}/on-premises"),
            serde_json::json!({"accountEnabled": enabled}),
        )
        .await
    }
    /// `POST /_sim/provisioning-jobs`.
    pub async fn start_provisioning_job(
        &self,
        job: &model::ProvisioningJob,
    ) -> Result<(), SimError> {
        self.send(
            reqwest::Method::POST,
            "/_sim/provisioning-jobs",
            serde_json::to_value(job).unwrap_or_default(),
        )
        .await
    }
    /// `POST /_sim/directory-sync`.
    pub async fn run_directory_sync(&self) -> Result<(), SimError> {
        self.send(
            reqwest::Method::POST,
            "/_sim/directory-sync",
            serde_json::json!({}),
        )
        .await
    }
    /// `POST /_sim/tokens/expire`.
    pub async fn expire_tokens(&self) -> Result<(), SimError> {
        self.send(
            reqwest::Method::POST,
            "/_sim/tokens/expire",
            serde_json::json!({}),
        )
        .await
    }
}
