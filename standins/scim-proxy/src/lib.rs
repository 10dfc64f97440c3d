//! A forwarding proxy in front of a real SCIM service provider, for the answers a test cannot
//! make a real server give on cue: `429 Too Many Requests` with `Retry-After` for the next N
//! requests (as Salesforce, Slack and GitHub throttle), a `5xx`, a `409`, then forwarding
//! again. Every
//! request is logged (method, path, the status the client got), so a test can count what
//! reached the system — e.g. that a replayed step sent no second `PATCH`.
//!
//! Only the status line, the body and `Content-Type` are forwarded back; that is all a SCIM
//! client reads.

use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use warp::Filter;
use warp::http::{HeaderMap, Method, Response, StatusCode};

/// One request the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The path (without the query).
    pub path: String,
    /// The status the client got (from the proxy or the system behind it).
    pub status: u16,
}

/// An answer the proxy gives instead of forwarding.
#[derive(Debug, Clone)]
struct Canned {
    status: u16,
    retry_after_secs: Option<u64>,
    detail: String,
}

#[derive(Default)]
struct State {
    canned: std::collections::VecDeque<Canned>,
    seen: Vec<Seen>,
}

/// A running proxy. Dropping it stops it.
pub struct ScimProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl ScimProxy {
    /// Starts a proxy on 127.0.0.1 (a free port) that forwards to `upstream` (scheme, host
    /// and port: the path is kept as the client sent it).
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        let upstream: Arc<str> = Arc::from(upstream.trim_end_matches('/'));
        let state = Arc::new(Mutex::new(State::default()));
        let http = reqwest::Client::new();
        let shared = state.clone();
        let route = warp::method()
            .and(warp::path::full())
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .then(
                move |method: Method,
                      path: warp::path::FullPath,
                      query: String,
                      headers: HeaderMap,
                      body: Bytes| {
                    let state = shared.clone();
                    let http = http.clone();
                    let upstream = upstream.clone();
                    async move {
                        let path = path.as_str().to_owned();
                        let (status, content_type, body, retry_after) = match canned(&state) {
                            Some(c) => (
                                StatusCode::from_u16(c.status)
                                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                                Some("application/scim+json".to_owned()),
                                Bytes::from(
                                    serde_json::json!({
                                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                                        "status": c.status.to_string(),
                                        "detail": c.detail,
                                    })
                                    .to_string(),
                                ),
                                c.retry_after_secs,
                            ),
                            None => {
                                forward(&http, &upstream, &method, &path, &query, &headers, body)
                                    .await
                            }
                        };
                        if let Ok(mut s) = state.lock() {
                            s.seen.push(Seen {
                                method: method.as_str().to_owned(),
                                path,
                                status: status.as_u16(),
                            });
                        }
                        let mut response = Response::builder().status(status);
                        if let Some(ct) = content_type {
                            response = response.header("Content-Type", ct);
                        }
                        if let Some(secs) = retry_after {
                            response = response.header("Retry-After", secs.to_string());
                        }
                        response
                            .body(body)
                            .unwrap_or_else(|_| Response::new(Bytes::new()))
                    }
                },
            );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let server = warp::serve(route).incoming(listener).graceful(async {
            let _ = rx.await;
        });
        tokio::spawn(server.run());
        Ok(Self {
            addr,
            state,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:PORT`: put the upstream's path after it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `n` requests are answered `429` with `Retry-After: retry_after_secs`.
    pub fn throttle_next(&self, n: u32, retry_after_secs: u64) {
        for _ in 0..n {
            self.answer_next(
                429,
                Some(retry_after_secs),
                &format!("rate limit exceeded, retry in {retry_after_secs} s"),
            );
        }
    }

    /// The next request not already given a canned answer is answered with `status`, a SCIM
    /// error body with `detail`, and `Retry-After` when given.
    pub fn answer_next(&self, status: u16, retry_after_secs: Option<u64>, detail: &str) {
        if let Ok(mut s) = self.state.lock() {
            s.canned.push_back(Canned {
                status,
                retry_after_secs,
                detail: detail.to_owned(),
            });
        }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state
            .lock()
            .map(|s| s.seen.clone())
            .unwrap_or_default()
    }
}

impl Drop for ScimProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Takes the next canned answer, if any is left.
fn canned(state: &Mutex<State>) -> Option<Canned> {
    state.lock().ok()?.canned.pop_front()
}

async fn forward(
    http: &reqwest::Client,
    upstream: &str,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> (StatusCode, Option<String>, Bytes, Option<u64>) {
    let url = if query.is_empty() {
        format!("{upstream}{path}")
    } else {
        format!("{upstream}{path}?{query}")
    };
    let mut request = http.request(method.clone(), url).body(body);
    for name in ["authorization", "content-type", "accept"] {
        if let Some(v) = headers.get(name) {
            request = request.header(name, v.clone());
        }
    }
    match request.send().await {
        Ok(r) => {
            let status = r.status();
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = r.bytes().await.unwrap_or_default();
            (status, ct, body, None)
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Some("text/plain".to_owned()),
            Bytes::from(format!(
                "the SCIM server behind the proxy did not answer: {e}"
            )),
            None,
        ),
    }
}

mod servers;
pub use servers::{Implementation, ScimServer, user};
