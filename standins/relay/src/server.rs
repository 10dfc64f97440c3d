//! The local relay's HTTP and WebSocket endpoints.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::{HeaderMap, Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, oneshot};
use warp::Filter;
use warp::ws::{Message, WebSocket, Ws};

use crate::sas::{self, Right, TokenProblem};
use crate::{LocalRelayConfig, RelayStats};

/// Bodies above this go over rendezvous (both directions), as in Azure.
const CONTROL_CHANNEL_LIMIT: usize = 64 * 1024;

/// Headers defined by RFC 7230 that the relay never forwards (except Via), plus hop-by-hop ones.
const CONNECTION_HEADERS: &[&str] = &[
    "connection",
    "content-length",
    "host",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "close",
    "keep-alive",
    "proxy-connection",
];

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Time left until the Unix second `at`.
fn until_unix(at: i64) -> Duration {
    let target = UNIX_EPOCH + Duration::from_secs(at.max(0) as u64);
    target
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
}

struct ListenerEntry {
    id: u64,
    tx: mpsc::UnboundedSender<Message>,
    kill: Arc<Notify>,
}

struct RelayedResponse {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Bytes,
}

/// A rendezvous address handed out with a request: valid until used or expired.
struct RendezvousSlot {
    /// For requests routed via rendezvous: the full request to deliver on the socket.
    request: Option<(Value, Bytes)>,
    expires: tokio::time::Instant,
}

pub(crate) struct State {
    pub(crate) namespace: String,
    pub(crate) config: LocalRelayConfig,
    listeners: Mutex<HashMap<String, Vec<ListenerEntry>>>,
    pending: Mutex<HashMap<String, oneshot::Sender<RelayedResponse>>>,
    rendezvous: Mutex<HashMap<String, RendezvousSlot>>,
    next_id: AtomicU64,
    round_robin: AtomicUsize,
    listener_connections: AtomicU64,
    token_renewals: AtomicU64,
    closed_for_token: AtomicU64,
    requests_relayed: AtomicU64,
    rendezvous_used: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    pub(crate) fn new(namespace: String, config: LocalRelayConfig) -> Self {
        Self {
            namespace,
            config,
            listeners: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            rendezvous: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            round_robin: AtomicUsize::new(0),
            listener_connections: AtomicU64::new(0),
            token_renewals: AtomicU64::new(0),
            closed_for_token: AtomicU64::new(0),
            requests_relayed: AtomicU64::new(0),
            rendezvous_used: AtomicU64::new(0),
        }
    }

    pub(crate) fn listener_count(&self, path: &str) -> usize {
        lock(&self.listeners).get(path).map_or(0, Vec::len)
    }

    pub(crate) fn drop_all_listeners(&self) {
        let all: Vec<Arc<Notify>> = lock(&self.listeners)
            .values()
            .flat_map(|v| v.iter().map(|e| e.kill.clone()))
            .collect();
        for kill in all {
            kill.notify_one();
        }
    }

    pub(crate) fn stats(&self) -> RelayStats {
        RelayStats {
            listener_connections: self.listener_connections.load(Ordering::Relaxed),
            token_renewals: self.token_renewals.load(Ordering::Relaxed),
            closed_for_token: self.closed_for_token.load(Ordering::Relaxed),
            requests_relayed: self.requests_relayed.load(Ordering::Relaxed),
            rendezvous_used: self.rendezvous_used.load(Ordering::Relaxed),
        }
    }

    /// The registered hybrid connection a request path falls under, and the rest of the path.
    fn match_path<'a>(&self, path: &'a str) -> Option<(String, &'a str)> {
        let trimmed = path.trim_start_matches('/');
        self.config
            .hybrid_connections
            .iter()
            .filter(|hc| {
                trimmed == hc.as_str()
                    || trimmed
                        .strip_prefix(hc.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|hc| hc.len())
            .map(|hc| (hc.clone(), &trimmed[hc.len()..]))
    }

    fn pick_listener(&self, path: &str) -> Option<mpsc::UnboundedSender<Message>> {
        let listeners = lock(&self.listeners);
        let entries = listeners.get(path)?;
        if entries.is_empty() {
            return None;
        }
        let i = self.round_robin.fetch_add(1, Ordering::Relaxed) % entries.len();
        Some(entries[i].tx.clone())
    }

    fn complete(&self, request_id: &str, response: RelayedResponse) {
        if let Some(tx) = lock(&self.pending).remove(request_id) {
            let _ = tx.send(response);
        }
    }
}

fn query_pairs(raw: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn status_reply(status: StatusCode, description: &str) -> warp::reply::Response {
    use warp::Reply;
    let mut response = http::Response::new(Bytes::from(description.to_string()));
    *response.status_mut() = status;
    response.into_response()
}

fn token_problem_reply(problem: TokenProblem) -> warp::reply::Response {
    match problem {
        TokenProblem::Invalid(why) => status_reply(StatusCode::UNAUTHORIZED, why),
        TokenProblem::Forbidden(why) => status_reply(StatusCode::FORBIDDEN, why),
    }
}

pub(crate) async fn serve(
    state: Arc<State>,
    listener: tokio::net::TcpListener,
    stop: oneshot::Receiver<()>,
) {
    let with_state = {
        let state = state.clone();
        warp::any().map(move || state.clone())
    };
    let raw_query = warp::query::raw().or(warp::any().map(String::new)).unify();
    let websocket = warp::path::full()
        .and(raw_query)
        .and(warp::ws())
        .and(with_state.clone())
        .map(
            |path: warp::path::FullPath, query: String, ws: Ws, state: Arc<State>| {
                websocket_handshake(state, path.as_str().to_string(), query, ws)
            },
        );
    let http = warp::method()
        .and(warp::path::full())
        .and(raw_query)
        .and(warp::header::headers_cloned())
        .and(warp::body::bytes())
        .and(with_state)
        .then(
            |method: Method,
             path: warp::path::FullPath,
             query: String,
             headers: HeaderMap,
             body: Bytes,
             state: Arc<State>| async move {
                sender_request(
                    state,
                    method,
                    path.as_str().to_string(),
                    query,
                    headers,
                    body,
                )
                .await
            },
        );
    let routes = websocket.or(http).unify();
    warp::serve(routes)
        .incoming(listener)
        .graceful(async {
            let _ = stop.await;
        })
        .run()
        .await;
}

/// Every WebSocket handshake: the listener control channel and rendezvous sockets.
fn websocket_handshake(
    state: Arc<State>,
    path: String,
    query: String,
    ws: Ws,
) -> warp::reply::Response {
    use warp::Reply;
    let Some(hc_path) = path
        .strip_prefix("/$hc/")
        .or_else(|| path.strip_prefix("/%24hc/"))
    else {
        return status_reply(StatusCode::NOT_FOUND, "WebSocket paths start with /$hc/");
    };
    let hc_path = percent_decode_str(hc_path).decode_utf8_lossy().into_owned();
    let Some((hc, _rest)) = state.match_path(&hc_path) else {
        return status_reply(StatusCode::NOT_FOUND, "no such hybrid connection");
    };
    let pairs = query_pairs(&query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match get("sb-hc-action").as_deref() {
        Some("listen") => {
            let Some(token) = get("sb-hc-token") else {
                return status_reply(StatusCode::UNAUTHORIZED, "sb-hc-token is missing");
            };
            let valid = match sas::validate(
                &token,
                &state.config.rules,
                &state.namespace,
                &hc,
                Right::Listen,
                now_unix(),
            ) {
                Ok(v) => v,
                Err(problem) => return token_problem_reply(problem),
            };
            ws.max_message_size(16 * 1024 * 1024)
                .on_upgrade(move |socket| control_channel(state, hc, socket, valid.expires_at))
                .into_response()
        }
        Some("request") => {
            let Some(id) = get("sb-hc-id") else {
                return status_reply(
                    StatusCode::BAD_REQUEST,
                    "rendezvous address without sb-hc-id",
                );
            };
            let slot = lock(&state.rendezvous).remove(&id);
            match slot {
                Some(slot) if slot.expires > tokio::time::Instant::now() => ws
                    .max_message_size(16 * 1024 * 1024)
                    .on_upgrade(move |socket| rendezvous(state, id, slot, socket))
                    .into_response(),
                _ => status_reply(StatusCode::FORBIDDEN, "the rendezvous URL has expired"),
            }
        }
        Some("connect") | Some("accept") => status_reply(
            StatusCode::BAD_REQUEST,
            "the local relay stand-in does not relay WebSocket senders",
        ),
        _ => status_reply(StatusCode::BAD_REQUEST, "unrecognized sb-hc-action"),
    }
}

struct ResponseHead {
    request_id: String,
    status: u16,
    headers: BTreeMap<String, String>,
}

/// Parses a `response` frame leniently (statusCode may be a number or a string, as the protocol
/// guide's own example shows).
fn parse_response_head(value: &Value) -> Option<(ResponseHead, bool)> {
    let response = value.get("response")?;
    let request_id = response.get("requestId")?.as_str()?.to_string();
    let status = match response.get("statusCode")? {
        Value::Number(n) => u16::try_from(n.as_u64()?).ok()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    let headers = response
        .get("responseHeaders")
        .and_then(Value::as_object)
        .map(|h| {
            h.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let body = response
        .get("body")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Some((
        ResponseHead {
            request_id,
            status,
            headers,
        },
        body,
    ))
}

fn finish(state: &State, head: ResponseHead, body: Bytes) {
    // 502 and 504 are reserved for the service; a listener using them is a protocol violation.
    let status = if head.status == 502 || head.status == 504 {
        500
    } else {
        head.status
    };
    state.complete(
        &head.request_id,
        RelayedResponse {
            status,
            headers: head.headers,
            body,
        },
    );
}

/// One listener's control channel.
async fn control_channel(state: Arc<State>, path: String, socket: WebSocket, expires_at: i64) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let kill = Arc::new(Notify::new());
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    lock(&state.listeners)
        .entry(path.clone())
        .or_default()
        .push(ListenerEntry {
            id,
            tx: tx.clone(),
            kill: kill.clone(),
        });
    state.listener_connections.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(listener = id, %path, "listener connected");

    let writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            let closing = message.is_close();
            if sink.send(message).await.is_err() || closing {
                break;
            }
        }
        let _ = sink.close().await;
    });

    let mut expires_at = expires_at;
    let mut awaiting_body: Option<ResponseHead> = None;
    let mut abrupt = false;
    loop {
        let expiry = tokio::time::sleep(until_unix(expires_at));
        tokio::select! {
            _ = kill.notified() => { abrupt = true; break; }
            _ = expiry => {
                state.closed_for_token.fetch_add(1, Ordering::Relaxed);
                let _ = tx.send(Message::close_with(1008u16, "security token expired"));
                break;
            }
            frame = stream.next() => {
                let Some(Ok(message)) = frame else { break };
                if message.is_close() {
                    break;
                }
                if message.is_binary() {
                    if let Some(head) = awaiting_body.take() {
                        finish(&state, head, Bytes::copy_from_slice(message.as_bytes()));
                    }
                    continue;
                }
                let Ok(text) = message.to_str() else { continue };
                let Ok(value) = serde_json::from_str::<Value>(text) else {
                    tracing::warn!(listener = id, "listener sent a text frame that is not JSON");
                    continue;
                };
                if let Some((head, has_body)) = parse_response_head(&value) {
                    if has_body {
                        awaiting_body = Some(head);
                    } else {
                        finish(&state, head, Bytes::new());
                    }
                } else if let Some(token) = value.pointer("/renewToken/token").and_then(Value::as_str) {
                    match sas::validate(token, &state.config.rules, &state.namespace, &path, Right::Listen, now_unix()) {
                        Ok(valid) => {
                            expires_at = valid.expires_at;
                            state.token_renewals.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            state.closed_for_token.fetch_add(1, Ordering::Relaxed);
                            let _ = tx.send(Message::close_with(1008u16, "renewToken refused: invalid token"));
                            break;
                        }
                    }
                } else {
                    tracing::warn!(listener = id, "listener sent an unknown control message");
                }
            }
        }
    }
    lock(&state.listeners)
        .entry(path.clone())
        .or_default()
        .retain(|e| e.id != id);
    drop(tx);
    if abrupt {
        writer.abort();
    } else {
        let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    }
    tracing::debug!(listener = id, %path, "listener gone");
}

/// A rendezvous socket: delivers a large request (if any) and takes one response.
async fn rendezvous(state: Arc<State>, id: String, slot: RendezvousSlot, socket: WebSocket) {
    state.rendezvous_used.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    if let Some((request, body)) = slot.request {
        if sink.send(Message::text(request.to_string())).await.is_err() {
            return;
        }
        if !body.is_empty() && sink.send(Message::binary(body)).await.is_err() {
            return;
        }
    }
    let mut awaiting_body: Option<ResponseHead> = None;
    while let Some(Ok(message)) = stream.next().await {
        if message.is_close() {
            break;
        }
        if message.is_binary() {
            if let Some(head) = awaiting_body.take() {
                finish(&state, head, Bytes::copy_from_slice(message.as_bytes()));
                break;
            }
            continue;
        }
        let Ok(text) = message.to_str() else { continue };
        let Some((head, has_body)) = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| parse_response_head(&v))
        else {
            continue;
        };
        if head.request_id != id {
            tracing::warn!("rendezvous response for another request id");
        }
        if has_body {
            awaiting_body = Some(head);
        } else {
            finish(&state, head, Bytes::new());
            break;
        }
    }
    let _ = sink.send(Message::close()).await;
}

/// The sender side: an HTTP request for `https://{ns}/{path}/...`.
async fn sender_request(
    state: Arc<State>,
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Bytes,
) -> warp::reply::Response {
    use warp::Reply;
    let decoded = percent_decode_str(&path).decode_utf8_lossy().into_owned();
    let Some((hc, _rest)) = state.match_path(&decoded) else {
        return status_reply(StatusCode::NOT_FOUND, "no such hybrid connection");
    };
    let pairs = query_pairs(&query);
    let query_token = pairs
        .iter()
        .find(|(k, _)| k == "sb-hc-token")
        .map(|(_, v)| v.clone());
    let header_token = headers
        .get("ServiceBusAuthorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Authorization is evaluated (and stripped) only when neither other form is present.
    let use_authorization = state.config.requires_client_authorization
        && query_token.is_none()
        && header_token.is_none()
        && headers.contains_key(http::header::AUTHORIZATION);
    if state.config.requires_client_authorization {
        let token = query_token.clone().or(header_token.clone()).or_else(|| {
            headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
        let Some(token) = token else {
            return status_reply(
                StatusCode::UNAUTHORIZED,
                "no relay token (sb-hc-token, ServiceBusAuthorization or Authorization)",
            );
        };
        if let Err(problem) = sas::validate(
            &token,
            &state.config.rules,
            &state.namespace,
            &hc,
            Right::Send,
            now_unix(),
        ) {
            return token_problem_reply(problem);
        }
    }

    let Some(listener) = state.pick_listener(&hc) else {
        return status_reply(
            StatusCode::BAD_GATEWAY,
            "no listener is connected to the hybrid connection",
        );
    };

    let forwarded_query: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("sb-hc-"))
        .map(str::to_string)
        .collect();
    let request_target = if forwarded_query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{}", forwarded_query.join("&"))
    };
    let mut request_headers = serde_json::Map::new();
    for (name, value) in &headers {
        let lower = name.as_str();
        if CONNECTION_HEADERS.contains(&lower)
            || lower == "servicebusauthorization"
            || (use_authorization && lower == "authorization")
        {
            continue;
        }
        if let Ok(v) = value.to_str() {
            request_headers.insert(name.as_str().to_string(), Value::String(v.to_string()));
        }
    }

    let request_id = uuid::Uuid::new_v4().to_string();
    let address = format!(
        "ws://{}/$hc/{hc}?sb-hc-action=request&sb-hc-id={request_id}",
        state.namespace
    );
    let full_request = json!({"request": {
        "address": address,
        "id": request_id,
        "requestTarget": request_target,
        "method": method.as_str(),
        "requestHeaders": Value::Object(request_headers),
        "body": !body.is_empty(),
    }});
    let (tx, rx) = oneshot::channel();
    lock(&state.pending).insert(request_id.clone(), tx);
    let over_limit = body.len() > CONTROL_CHANNEL_LIMIT;
    let slot = RendezvousSlot {
        request: over_limit.then(|| (full_request.clone(), body.clone())),
        expires: tokio::time::Instant::now() + state.config.request_timeout,
    };
    lock(&state.rendezvous).insert(request_id.clone(), slot);
    let sent = if over_limit {
        listener.send(Message::text(
            json!({"request": {"address": address}}).to_string(),
        ))
    } else {
        listener
            .send(Message::text(full_request.to_string()))
            .and_then(|()| {
                if body.is_empty() {
                    Ok(())
                } else {
                    listener.send(Message::binary(body.clone()))
                }
            })
    };
    state.requests_relayed.fetch_add(1, Ordering::Relaxed);
    let outcome = if sent.is_err() {
        None
    } else {
        tokio::time::timeout(state.config.request_timeout, rx)
            .await
            .ok()
            .and_then(Result::ok)
    };
    lock(&state.pending).remove(&request_id);
    lock(&state.rendezvous).remove(&request_id);
    let Some(response) = outcome else {
        return status_reply(
            StatusCode::GATEWAY_TIMEOUT,
            "the listener did not answer in time",
        );
    };
    let mut reply = http::Response::new(response.body);
    *reply.status_mut() =
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in &response.headers {
        if CONNECTION_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            http::header::HeaderName::from_bytes(name.as_bytes()),
            http::header::HeaderValue::from_str(value),
        ) {
            reply.headers_mut().append(n, v);
        }
    }
    if let Ok(via) = http::header::HeaderValue::from_str(&format!("1.1 {}", state.namespace)) {
        reply.headers_mut().append(http::header::VIA, via);
    }
    reply.into_response()
}
