//! The local relay speaks the documented Hybrid Connections protocol: raw WebSocket listeners and
//! plain HTTP senders, no offboard agent involved.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use offboard_relay::{RelayEndpoint, SasKey};
use secrecy::SecretString;
use serde_json::{Value, json};
use standin_relay::{
    DEFAULT_PATH, LISTEN_RULE, LocalRelay, LocalRelayConfig, LocalRelayHandle, SEND_RULE,
};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn relay(timeout: Duration) -> LocalRelayHandle {
    LocalRelay::spawn(LocalRelayConfig {
        request_timeout: timeout,
        ..Default::default()
    })
    .await
    .unwrap()
}

fn endpoint(relay: &LocalRelayHandle) -> RelayEndpoint {
    RelayEndpoint::plain_for_local_tests(relay.namespace(), DEFAULT_PATH).unwrap()
}

fn token(relay: &LocalRelayHandle, rule: &str, secs: i64) -> String {
    SasKey::new(rule, SecretString::from(relay.key(rule).unwrap()))
        .token(
            &endpoint(relay).token_audience(),
            chrono::Utc::now() + chrono::Duration::seconds(secs),
        )
        .expose()
        .to_string()
}

async fn listen(relay: &LocalRelayHandle, token: &str) -> Result<Ws, u16> {
    let url = endpoint(relay).listen_url("test", token);
    match tokio_tungstenite::connect_async(url.into_client_request().unwrap()).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("unexpected handshake error: {e}"),
    }
}

async fn next_text(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

async fn next_binary(ws: &mut Ws) -> Vec<u8> {
    match tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
    {
        Some(Ok(Message::Binary(b))) => b.to_vec(),
        other => panic!("expected a binary frame, got {other:?}"),
    }
}

#[tokio::test]
async fn listener_handshake_checks_path_token_and_rights() {
    let relay = relay(Duration::from_secs(5)).await;
    let good = token(&relay, LISTEN_RULE, 60);
    assert!(listen(&relay, &good).await.is_ok());
    let url = format!(
        "ws://{}/$hc/{DEFAULT_PATH}?sb-hc-action=listen",
        relay.namespace()
    );
    let missing = tokio_tungstenite::connect_async(url).await.unwrap_err();
    assert!(matches!(missing, tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 401));
    assert_eq!(
        listen(&relay, &token(&relay, SEND_RULE, 60)).await.err(),
        Some(403),
        "Send-only rule cannot listen"
    );
    let forged = good.replace("sig=", "sig=AAAA");
    assert_eq!(listen(&relay, &forged).await.err(), Some(401));
    assert_eq!(
        listen(&relay, &token(&relay, LISTEN_RULE, -10)).await.err(),
        Some(401),
        "expired token"
    );
    let url = format!(
        "ws://{}/$hc/no-such-hc?sb-hc-action=listen&sb-hc-token=x",
        relay.namespace()
    );
    let err = tokio_tungstenite::connect_async(url).await.unwrap_err();
    assert!(matches!(err, tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 404));
}

#[tokio::test]
async fn requests_are_relayed_with_auth_and_connection_headers_stripped() {
    let relay = relay(Duration::from_secs(5)).await;
    let mut ws = listen(&relay, &token(&relay, LISTEN_RULE, 60))
        .await
        .unwrap();
    let send_token = token(&relay, SEND_RULE, 60);
    let url = format!(
        "http://{}/{DEFAULT_PATH}/commands?x=1&sb-hc-token={}",
        relay.namespace(),
        urlencode(&send_token)
    );
    let client = reqwest::Client::new();
    let request = tokio::spawn(
        client
            .post(url)
            .header("X-Custom", "kept")
            .header("ServiceBusAuthorization", "also stripped")
            .body("hello")
            .send(),
    );
    let frame = next_text(&mut ws).await;
    let r = &frame["request"];
    assert_eq!(r["method"], "POST");
    assert_eq!(r["requestTarget"], format!("/{DEFAULT_PATH}/commands?x=1"));
    assert_eq!(r["body"], true);
    let headers = r["requestHeaders"].as_object().unwrap();
    assert_eq!(
        headers.get("x-custom").and_then(Value::as_str),
        Some("kept")
    );
    for gone in [
        "servicebusauthorization",
        "host",
        "content-length",
        "connection",
    ] {
        assert!(
            !headers.contains_key(gone),
            "{gone} must be stripped: {headers:?}"
        );
    }
    assert!(
        r["address"]
            .as_str()
            .unwrap()
            .contains("sb-hc-action=request")
    );
    assert_eq!(next_binary(&mut ws).await, b"hello");
    let id = r["id"].as_str().unwrap();
    ws.send(Message::Text(
        json!({"response": {"requestId": id, "statusCode": 201, "statusDescription": "Created",
            "responseHeaders": {"Content-Type": "text/plain", "X-Answer": "42"}, "body": true}})
        .to_string()
        .into(),
    ))
    .await
    .unwrap();
    ws.send(Message::Binary(b"world".to_vec().into()))
        .await
        .unwrap();
    let response = request.await.unwrap().unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert!(
        response.headers().contains_key("via"),
        "responses from a listener carry Via"
    );
    assert_eq!(response.headers()["x-answer"], "42");
    assert_eq!(response.text().await.unwrap(), "world");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn no_listener_is_502_and_a_silent_listener_504() {
    let relay = relay(Duration::from_millis(500)).await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/{DEFAULT_PATH}/commands", relay.namespace());
    let auth = token(&relay, SEND_RULE, 60);
    let r = client
        .post(&url)
        .header("ServiceBusAuthorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 502);
    assert!(!r.headers().contains_key("via"));
    let r = client.post(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "no token");
    let _silent = listen(&relay, &token(&relay, LISTEN_RULE, 60))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let r = client
        .post(&url)
        .header("ServiceBusAuthorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 504);
    assert!(started.elapsed() >= Duration::from_millis(450));
}

#[tokio::test]
async fn an_unrenewed_token_closes_the_channel_with_1008_and_renewal_keeps_it() {
    let relay = relay(Duration::from_secs(5)).await;
    let mut expiring = listen(&relay, &token(&relay, LISTEN_RULE, 2))
        .await
        .unwrap();
    let mut renewing = listen(&relay, &token(&relay, LISTEN_RULE, 2))
        .await
        .unwrap();
    renewing
        .send(Message::Text(
            json!({"renewToken": {"token": token(&relay, LISTEN_RULE, 60)}})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    match tokio::time::timeout(Duration::from_secs(5), expiring.next())
        .await
        .unwrap()
    {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1008),
        other => panic!("expected close 1008, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        relay.listener_count(DEFAULT_PATH),
        1,
        "the renewed channel is still open"
    );
    assert_eq!(relay.stats().token_renewals, 1);
    // An invalid renewal closes with 1008 too.
    renewing
        .send(Message::Text(
            json!({"renewToken": {"token": "SharedAccessSignature sr=x&sig=y&se=1&skn=z"}})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    match tokio::time::timeout(Duration::from_secs(5), renewing.next())
        .await
        .unwrap()
    {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1008),
        other => panic!("expected close 1008, got {other:?}"),
    }
}

#[tokio::test]
async fn large_requests_and_responses_go_over_rendezvous() {
    let relay = relay(Duration::from_secs(5)).await;
    let mut ws = listen(&relay, &token(&relay, LISTEN_RULE, 60))
        .await
        .unwrap();
    let big = vec![b'x'; 100 * 1024];
    let url = format!("http://{}/{DEFAULT_PATH}/big", relay.namespace());
    let request = tokio::spawn(
        reqwest::Client::new()
            .post(url)
            .header("ServiceBusAuthorization", token(&relay, SEND_RULE, 60))
            .body(big.clone())
            .send(),
    );
    let frame = next_text(&mut ws).await;
    assert!(
        frame["request"].get("method").is_none(),
        "only the address on the control channel: {frame}"
    );
    let address = frame["request"]["address"].as_str().unwrap().to_string();
    let (mut rendezvous, _) = tokio_tungstenite::connect_async(address).await.unwrap();
    let full = next_text(&mut rendezvous).await;
    assert_eq!(full["request"]["method"], "POST");
    assert_eq!(next_binary(&mut rendezvous).await.len(), big.len());
    let id = full["request"]["id"].as_str().unwrap();
    rendezvous
        .send(Message::Text(
            json!({"response": {"requestId": id, "statusCode": 200, "body": true}})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    rendezvous
        .send(Message::Binary(vec![b'y'; 70 * 1024].into()))
        .await
        .unwrap();
    let response = request.await.unwrap().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.bytes().await.unwrap().len(), 70 * 1024);
    assert_eq!(relay.stats().rendezvous_used, 1);
}

#[tokio::test]
async fn dropping_listeners_disconnects_them() {
    let relay = relay(Duration::from_secs(5)).await;
    let mut ws = listen(&relay, &token(&relay, LISTEN_RULE, 60))
        .await
        .unwrap();
    assert!(
        relay
            .wait_for_listeners(DEFAULT_PATH, 1, Duration::from_secs(2))
            .await
    );
    relay.drop_all_listeners();
    let end = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    assert!(!matches!(end, Some(Ok(Message::Text(_)))), "{end:?}");
    assert_eq!(relay.listener_count(DEFAULT_PATH), 0);
}
