//! The stand-in as a server of its own on 127.0.0.1, and the handle that stops it.

use std::fmt;
use std::net::SocketAddr;

use tokio::sync::oneshot;
use warp::Filter as _;
use warp::http::StatusCode;

use crate::*;

/// Starts the stand-in as a server of its own.
#[derive(Debug)]
pub struct IdentityEndpoint;

impl IdentityEndpoint {
    /// Binds 127.0.0.1 on the configured port (0 = any free one), serves `GET /msi/token` in a
    /// background task and returns the handle with the values for `IDENTITY_ENDPOINT` and
    /// `IDENTITY_HEADER`. Must be called inside a Tokio runtime.
    pub async fn spawn(config: IdentityConfig) -> Result<IdentityHandle, IdentityError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], config.port));
        let issuer = TokenIssuer::new(config)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| IdentityError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| IdentityError::Bind { addr, source })?;
        let (tx, rx) = oneshot::channel::<()>();
        let routes = issuer.filter().or(warp::any().map(|| {
            warp::reply::with_status(
                warp::reply::json(&serde_json::json!({"statusCode": 404, "message": "Not found"})),
                StatusCode::NOT_FOUND,
            )
        }));
        let server = warp::serve(routes).incoming(listener).graceful(async {
            let _ = rx.await;
        });
        let task = tokio::spawn(server.run());
        tracing::info!(%addr, "managed-identity stand-in listening");
        Ok(IdentityHandle {
            addr,
            issuer,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running identity endpoint. Dropping it stops the server.
pub struct IdentityHandle {
    addr: SocketAddr,
    issuer: TokenIssuer,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for IdentityHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityHandle")
            .field("addr", &self.addr)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl IdentityHandle {
    /// The value for `IDENTITY_ENDPOINT`, e.g. `http://127.0.0.1:PORT/msi/token`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}{}", self.addr, TOKEN_PATH)
    }

    /// The value for `IDENTITY_HEADER`.
    pub fn header_secret(&self) -> &str {
        self.issuer.header_secret()
    }

    /// The socket address the endpoint listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The issuer behind the endpoint: counters, lifetime, roles, [`TokenIssuer::validator`].
    pub fn issuer(&self) -> &TokenIssuer {
        &self.issuer
    }

    /// A validator for tokens of this endpoint.
    pub fn validator(&self) -> TokenValidator {
        self.issuer.validator()
    }

    /// Total tokens issued so far.
    pub fn tokens_issued(&self) -> u64 {
        self.issuer.tokens_issued()
    }

    /// Stops the server and waits until it has finished serving open requests.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for IdentityHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
