//! Stand-in Azure Relay Hybrid Connections service. Tests and demo only.
//!
//! Speaks the documented protocol ("Azure Relay Hybrid Connections protocol" guide) on one local
//! port:
//! - listeners open the control channel `ws://{ns}/$hc/{path}?sb-hc-action=listen&sb-hc-token=...`
//!   (404 unknown path, 401 missing/invalid/expired token, 403 token without Listen), receive
//!   `request` frames (JSON text + one binary body frame) and answer with `response` frames; they
//!   renew with `renewToken`, and a channel whose token expires without renewal is closed with 1008;
//! - requests and responses larger than 64 kB go over a rendezvous WebSocket
//!   (`sb-hc-action=request&sb-hc-id=...`), as the service does;
//! - senders make plain HTTP requests to `http://{ns}/{path}/...` with the token in `sb-hc-token`,
//!   `ServiceBusAuthorization` or `Authorization`; the relay strips those and the RFC 7230
//!   connection headers, forwards the rest, answers 502 when no listener is connected and 504 when
//!   the listener does not answer within the configured timeout (60 s in Azure), and adds `Via` to
//!   responses that come from a listener.
//!
//! Simplifications (stated, not hidden): SAS only (no Entra ID tokens); no WebSocket senders
//! (`sb-hc-action=connect`), so no `accept` frames; a rendezvous socket serves one request and is
//! then closed; plain `ws://`/`http://` (no TLS).

mod sas;
mod server;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use sas::{Right, SasRule};

/// How the local relay is set up. Start from `Default` and override.
#[derive(Clone, Debug)]
pub struct LocalRelayConfig {
    /// Address to bind; port 0 picks a free one. Must be a loopback address.
    pub bind: SocketAddr,
    /// Hybrid connection paths that exist (others answer 404).
    pub hybrid_connections: Vec<String>,
    /// Shared access rules of the namespace.
    pub rules: Vec<SasRule>,
    /// How long the relay waits for a listener's response before answering 504 (60 s in Azure).
    pub request_timeout: Duration,
    /// Whether senders must present a token (the hybrid connection's `requiresClientAuthorization`).
    pub requires_client_authorization: bool,
}

/// Name of the default rule with the Listen right.
pub const LISTEN_RULE: &str = "offboard-listen";
/// Name of the default rule with the Send right.
pub const SEND_RULE: &str = "offboard-send";
/// Default hybrid connection path.
pub const DEFAULT_PATH: &str = "offboard-agent";

fn random_key() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Default for LocalRelayConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            hybrid_connections: vec![DEFAULT_PATH.to_string()],
            rules: vec![
                SasRule {
                    name: LISTEN_RULE.into(),
                    key: random_key(),
                    rights: BTreeSet::from([Right::Listen]),
                },
                SasRule {
                    name: SEND_RULE.into(),
                    key: random_key(),
                    rights: BTreeSet::from([Right::Send]),
                },
            ],
            request_timeout: Duration::from_secs(60),
            requires_client_authorization: true,
        }
    }
}

/// Why the local relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalRelayError {
    /// Refusing a non-loopback address.
    #[error("the local relay binds loopback addresses only, not {0}")]
    NotLoopback(SocketAddr),
    /// Binding failed.
    #[error("cannot bind the local relay to {addr}: {source}")]
    Bind {
        /// Requested address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
}

/// Entry point: `LocalRelay::spawn(config)`.
pub struct LocalRelay;

impl LocalRelay {
    /// Binds and starts serving on the current Tokio runtime.
    pub async fn spawn(config: LocalRelayConfig) -> Result<LocalRelayHandle, LocalRelayError> {
        if !config.bind.ip().is_loopback() {
            return Err(LocalRelayError::NotLoopback(config.bind));
        }
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| LocalRelayError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| LocalRelayError::Bind {
                addr: config.bind,
                source,
            })?;
        let state = Arc::new(server::State::new(addr.to_string(), config));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(state.clone(), listener, stop_rx));
        Ok(LocalRelayHandle {
            addr,
            state,
            stop: Some(stop_tx),
            task,
        })
    }
}

/// A running local relay. Dropping it stops the server.
pub struct LocalRelayHandle {
    addr: SocketAddr,
    state: Arc<server::State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl LocalRelayHandle {
    /// The namespace "host" senders and listeners use: `127.0.0.1:{port}`.
    pub fn namespace(&self) -> String {
        self.addr.to_string()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base of listener URLs: `ws://127.0.0.1:{port}/$hc/`.
    pub fn listener_base_url(&self) -> String {
        format!("ws://{}/$hc/", self.addr)
    }

    /// Base of sender URLs: `http://127.0.0.1:{port}/`.
    pub fn sender_base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The shared access rules (names, keys and rights).
    pub fn rules(&self) -> &[SasRule] {
        &self.state.config.rules
    }

    /// The key of the named rule.
    pub fn key(&self, rule: &str) -> Option<String> {
        self.state
            .config
            .rules
            .iter()
            .find(|r| r.name == rule)
            .map(|r| r.key.clone())
    }

    /// Number of listeners connected on `path`.
    pub fn listener_count(&self, path: &str) -> usize {
        self.state.listener_count(path)
    }

    /// Waits until at least `n` listeners are connected on `path`; false on timeout.
    pub async fn wait_for_listeners(&self, path: &str, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.listener_count(path) >= n {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Drops every listener connection abruptly (no close frame), as a network failure would.
    pub fn drop_all_listeners(&self) {
        self.state.drop_all_listeners();
    }

    /// Counters: listener connections accepted, tokens renewed, requests relayed.
    pub fn stats(&self) -> RelayStats {
        self.state.stats()
    }

    /// Stops the server.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.state.drop_all_listeners();
        let _ = (&mut self.task).await;
    }
}

impl Drop for LocalRelayHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.state.drop_all_listeners();
    }
}

/// What the local relay has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Listener control channels accepted.
    pub listener_connections: u64,
    /// `renewToken` messages accepted.
    pub token_renewals: u64,
    /// Control channels closed with 1008 (token expired or renewal refused).
    pub closed_for_token: u64,
    /// Sender requests routed to a listener.
    pub requests_relayed: u64,
    /// Requests or responses that went over a rendezvous WebSocket.
    pub rendezvous_used: u64,
}
