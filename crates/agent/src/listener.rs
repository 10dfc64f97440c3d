//! The agent's side of the hybrid connection: keep a control channel open, answer `request`s,
//! renew the token before it expires, ping to keep NATs and the service convinced the channel
//! lives, and reconnect with exponential backoff and jitter when it drops.

use std::sync::Arc;
use std::time::Duration;

use backon::BackoffBuilder;
use futures::{SinkExt, StreamExt};
use offboard_agent_proto::{COMMAND_PATH, CONTENT_TYPE};
use offboard_relay::protocol::{
    AcceptCommand, CONTROL_CHANNEL_BODY_LIMIT, ListenerCommand, ListenerReply, RenewTokenCommand,
    RequestCommand, ResponseCommand,
};
use offboard_relay::{RelayEndpoint, SasKey};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::service::CommandService;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How the listener connects and keeps the channel alive.
#[derive(Clone)]
pub struct ListenerSettings {
    /// The hybrid connection.
    pub endpoint: RelayEndpoint,
    /// SAS rule with the Listen right.
    pub key: SasKey,
    /// Lifetime of each token; renewed at 80 % of it.
    pub token_ttl: Duration,
    /// Interval of WebSocket pings; no pong within two intervals means the channel is dead.
    pub ping_interval: Duration,
    /// Longest pause between reconnects.
    pub reconnect_max: Duration,
    /// TLS for `wss://` (None for the plain local stand-in).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for ListenerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerSettings")
            .field("endpoint", &self.endpoint)
            .field("key", &self.key)
            .field("token_ttl", &self.token_ttl)
            .field("ping_interval", &self.ping_interval)
            .finish_non_exhaustive()
    }
}

/// Why a control channel ended.
enum ChannelEnd {
    Shutdown,
    Lost { was_connected: bool, reason: String },
}

/// Messages the control channel writer sends. Each batch goes out back to back, so a
/// `response` and its body frame are never separated by another response.
type Outbox = mpsc::Sender<Vec<Message>>;

fn new_backoff(max: Duration) -> backon::ExponentialBackoff {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(250))
        .with_max_delay(max)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
}

/// Runs until `shutdown` turns true: connect, serve, reconnect.
pub async fn run(
    settings: ListenerSettings,
    service: Arc<CommandService>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = new_backoff(settings.reconnect_max);
    loop {
        if *shutdown.borrow() {
            return;
        }
        match control_channel(&settings, &service, &mut shutdown).await {
            ChannelEnd::Shutdown => return,
            ChannelEnd::Lost {
                was_connected,
                reason,
            } => {
                if was_connected {
                    backoff = new_backoff(settings.reconnect_max);
                }
                let delay = backoff.next().unwrap_or(settings.reconnect_max);
                tracing::warn!(%reason, retry_in_ms = delay.as_millis() as u64, "relay control channel lost; reconnecting");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}

fn mint_token(settings: &ListenerSettings) -> (offboard_relay::SasToken, Instant) {
    let ttl = chrono::Duration::from_std(settings.token_ttl).unwrap_or(chrono::Duration::hours(1));
    let now = chrono::Utc::now();
    let token = settings
        .key
        .token(&settings.endpoint.token_audience(), now + ttl);
    // Renew at 80 % of the token's real lifetime (its expiry is truncated to whole seconds).
    let lifetime = (token.expires_at() - now)
        .to_std()
        .unwrap_or(Duration::ZERO);
    let renew_at = Instant::now() + lifetime.mul_f64(0.8);
    (token, renew_at)
}

async fn open_socket(settings: &ListenerSettings, url: &str) -> Result<Socket, String> {
    let connector = settings.tls.clone().map(Connector::Rustls);
    match tokio::time::timeout(
        Duration::from_secs(30),
        tokio_tungstenite::connect_async_tls_with_config(url, None, true, connector),
    )
    .await
    {
        Err(_) => Err("no WebSocket handshake within 30 s".into()),
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            let status = response.status().as_u16();
            let advice = match status {
                401 => "the relay refused the token: check relay.sas_key_name and the key",
                403 => "the token lacks the Listen right on this hybrid connection",
                404 => "the hybrid connection does not exist: check relay.namespace and relay.path",
                410 => "the rendezvous was refused (expected only when rejecting)",
                _ => "the relay service failed",
            };
            Err(format!("relay answered HTTP {status}: {advice}"))
        }
        Ok(Err(e)) => Err(e.to_string()),
    }
}

async fn control_channel(
    settings: &ListenerSettings,
    service: &Arc<CommandService>,
    shutdown: &mut watch::Receiver<bool>,
) -> ChannelEnd {
    let (token, mut renew_at) = mint_token(settings);
    let tracking_id = uuid::Uuid::new_v4().to_string();
    let url = settings.endpoint.listen_url(&tracking_id, token.expose());
    let socket = match open_socket(settings, &url).await {
        Ok(s) => s,
        Err(reason) => {
            return ChannelEnd::Lost {
                was_connected: false,
                reason,
            };
        }
    };
    tracing::info!(url = %settings.endpoint.listen_url_for_logs(), tracking_id, "listening on the relay");
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outgoing) = mpsc::channel::<Vec<Message>>(64);
    let writer = tokio::spawn(async move {
        while let Some(batch) = outgoing.recv().await {
            for message in batch {
                if sink.send(message).await.is_err() {
                    return;
                }
            }
        }
        let _ = sink.close().await;
    });

    let mut ping = tokio::time::interval(settings.ping_interval);
    ping.tick().await;
    let mut last_pong = Instant::now();
    let mut pending_body: Option<RequestCommand> = None;
    let end = loop {
        tokio::select! {
            _ = shutdown.changed() => {
                let _ = outbox.send(vec![Message::Close(Some(CloseFrame { code: CloseCode::Normal, reason: "agent shutting down".into() }))]).await;
                break ChannelEnd::Shutdown;
            }
            _ = tokio::time::sleep_until(renew_at) => {
                let (token, next) = mint_token(settings);
                renew_at = next;
                let frame = ListenerReply::RenewToken(RenewTokenCommand { token: token.expose().to_string() });
                match serde_json::to_string(&frame) {
                    Ok(text) => {
                        if outbox.send(vec![Message::Text(text.into())]).await.is_err() {
                            break ChannelEnd::Lost { was_connected: true, reason: "writer stopped".into() };
                        }
                        tracing::debug!("relay token renewed");
                    }
                    Err(e) => tracing::error!(error = %e, "cannot encode renewToken"),
                }
            }
            _ = ping.tick() => {
                if last_pong.elapsed() > settings.ping_interval * 2 + Duration::from_secs(1) {
                    break ChannelEnd::Lost { was_connected: true, reason: "no pong from the relay".into() };
                }
                if outbox.send(vec![Message::Ping(Vec::new().into())]).await.is_err() {
                    break ChannelEnd::Lost { was_connected: true, reason: "writer stopped".into() };
                }
            }
            frame = stream.next() => {
                let message = match frame {
                    None => break ChannelEnd::Lost { was_connected: true, reason: "the relay closed the connection".into() },
                    Some(Err(e)) => break ChannelEnd::Lost { was_connected: true, reason: e.to_string() },
                    Some(Ok(m)) => m,
                };
                match message {
                    Message::Pong(_) => last_pong = Instant::now(),
                    Message::Ping(_) | Message::Frame(_) => {}
                    Message::Close(frame) => {
                        let reason = match &frame {
                            Some(f) if u16::from(f.code) == 1008 => format!("closed by the relay (1008, token expired or refused): {}", f.reason),
                            Some(f) if u16::from(f.code) == 1001 => format!("closed by the relay (1001, hybrid connection deleted or disabled): {}", f.reason),
                            Some(f) => format!("closed by the relay ({}): {}", u16::from(f.code), f.reason),
                            None => "closed by the relay".into(),
                        };
                        break ChannelEnd::Lost { was_connected: true, reason };
                    }
                    Message::Binary(body) => {
                        if let Some(request) = pending_body.take() {
                            spawn_request(service.clone(), outbox.clone(), settings.clone(), request, body.to_vec());
                        }
                    }
                    Message::Text(text) => match serde_json::from_str::<ListenerCommand>(text.as_str()) {
                        Ok(ListenerCommand::Request(request)) => {
                            if request.body && !request.is_rendezvous_only() {
                                pending_body = Some(request);
                            } else {
                                spawn_request(service.clone(), outbox.clone(), settings.clone(), request, Vec::new());
                            }
                        }
                        Ok(ListenerCommand::Accept(accept)) => {
                            let settings = settings.clone();
                            tokio::spawn(async move { reject_websocket_sender(&settings, accept).await });
                        }
                        Err(e) => tracing::warn!(error = %e, "unknown control message from the relay"),
                    },
                }
            }
        }
    };
    drop(outbox);
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    end
}

/// The agent serves HTTP commands only; WebSocket senders are turned away (handshake ends in 410).
async fn reject_websocket_sender(settings: &ListenerSettings, accept: AcceptCommand) {
    let url = format!(
        "{}&sb-hc-statusCode=405&sb-hc-statusDescription=offboard%20agent%20accepts%20HTTP%20commands%20only",
        accept.address
    );
    match open_socket(settings, &url).await {
        Err(reason) if reason.contains("410") => tracing::info!("rejected a WebSocket sender"),
        Err(reason) => tracing::warn!(%reason, "rejecting a WebSocket sender failed"),
        Ok(mut socket) => {
            let _ = socket.close(None).await;
        }
    }
}

fn spawn_request(
    service: Arc<CommandService>,
    outbox: Outbox,
    settings: ListenerSettings,
    request: RequestCommand,
    body: Vec<u8>,
) {
    tokio::spawn(async move {
        if request.is_rendezvous_only() {
            serve_over_rendezvous(&settings, &service, &request.address).await;
            return;
        }
        let Some(id) = request.id.clone() else {
            tracing::warn!("request without id; cannot answer");
            return;
        };
        let (status, response_body) = answer(&service, &request, &body).await;
        let frames = response_frames(&id, status, response_body);
        if frames_size(&frames) > CONTROL_CHANNEL_BODY_LIMIT {
            // Too big for the control channel: answer over a rendezvous socket.
            match open_socket(&settings, &request.address).await {
                Ok(mut socket) => {
                    for frame in frames {
                        if socket.send(frame).await.is_err() {
                            break;
                        }
                    }
                    let _ = socket.close(None).await;
                }
                Err(reason) => {
                    tracing::error!(%reason, "cannot open the rendezvous socket for a large response")
                }
            }
        } else if outbox.send(frames).await.is_err() {
            tracing::error!("control channel closed before the response could be sent");
        }
    });
}

fn frames_size(frames: &[Message]) -> usize {
    frames.iter().skip(1).map(Message::len).sum()
}

/// A request delivered only as a rendezvous address: fetch it there and answer there.
async fn serve_over_rendezvous(
    settings: &ListenerSettings,
    service: &CommandService,
    address: &str,
) {
    let mut socket = match open_socket(settings, address).await {
        Ok(s) => s,
        Err(reason) => {
            tracing::error!(%reason, "cannot open the rendezvous socket for a large request");
            return;
        }
    };
    let mut request: Option<RequestCommand> = None;
    while let Some(Ok(message)) = socket.next().await {
        match message {
            Message::Text(text) => match serde_json::from_str::<ListenerCommand>(text.as_str()) {
                Ok(ListenerCommand::Request(r)) if r.body => request = Some(r),
                Ok(ListenerCommand::Request(r)) => {
                    respond_on(&mut socket, service, &r, &[]).await;
                    break;
                }
                _ => {}
            },
            Message::Binary(body) => {
                if let Some(r) = request.take() {
                    respond_on(&mut socket, service, &r, &body).await;
                    break;
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    let _ = socket.close(None).await;
}

async fn respond_on(
    socket: &mut Socket,
    service: &CommandService,
    request: &RequestCommand,
    body: &[u8],
) {
    let Some(id) = request.id.clone() else { return };
    let (status, response_body) = answer(service, request, body).await;
    for frame in response_frames(&id, status, response_body) {
        if socket.send(frame).await.is_err() {
            return;
        }
    }
}

/// Routes a relayed HTTP request: `POST .../commands` carries a signed command.
async fn answer(service: &CommandService, request: &RequestCommand, body: &[u8]) -> (u16, Vec<u8>) {
    let target = request.request_target.as_deref().unwrap_or("");
    let path = target.split('?').next().unwrap_or("");
    if !path
        .trim_end_matches('/')
        .ends_with(&format!("/{COMMAND_PATH}"))
    {
        return (
            404,
            br#"{"error":"not found: POST signed commands to /commands"}"#.to_vec(),
        );
    }
    if !request
        .method
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
    {
        return (405, br#"{"error":"method not allowed: use POST"}"#.to_vec());
    }
    let answer = service.handle(body).await;
    (answer.status, answer.body)
}

fn response_frames(request_id: &str, status: u16, body: Vec<u8>) -> Vec<Message> {
    let description = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Internal Server Error",
    };
    let head = ListenerReply::Response(ResponseCommand {
        request_id: request_id.to_string(),
        status_code: status,
        status_description: Some(description.to_string()),
        response_headers: [("Content-Type".to_string(), CONTENT_TYPE.to_string())].into(),
        body: !body.is_empty(),
    });
    let mut frames = vec![Message::Text(
        serde_json::to_string(&head).unwrap_or_default().into(),
    )];
    if !body.is_empty() {
        frames.push(Message::Binary(body.into()));
    }
    frames
}
