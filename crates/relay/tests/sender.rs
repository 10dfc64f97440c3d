//! The sender's wire behaviour against a bare HTTP server standing in for the relay: which
//! header carries which credential, how listener answers are told from service answers, timeouts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use offboard_agent_proto::{
    Action, AgentCommand, AgentIdentity, AgentResponse, CaseId, CommandRejection,
    CommandSigningKey, RejectedCommand, SignedCommand, UserLocator,
};
use offboard_relay::{
    EntraTokenSource, RelayCredential, RelayEndpoint, RelayError, RelaySender, RelaySenderOptions,
    SasKey,
};
use secrecy::SecretString;
use warp::Filter;
use warp::http::HeaderMap;

type Seen = Arc<Mutex<Vec<HeaderMap>>>;

/// Serves `status` (with or without `Via`) after `delay`, recording request headers.
async fn server(status: u16, via: bool, delay: Duration) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let body = serde_json::to_vec(&AgentResponse::Rejected(RejectedCommand {
        command_id: None,
        rejection: CommandRejection::BadSignature,
        agent: AgentIdentity {
            name: "a".into(),
            version: "v".into(),
        },
        at: chrono::Utc::now(),
    }))
    .unwrap();
    let route = warp::header::headers_cloned().then(move |headers: HeaderMap| {
        let record = record.clone();
        let body = body.clone();
        async move {
            record.lock().unwrap().push(headers);
            tokio::time::sleep(delay).await;
            let mut response = warp::http::Response::new(body);
            *response.status_mut() = warp::http::StatusCode::from_u16(status).unwrap();
            if via {
                response
                    .headers_mut()
                    .insert("via", "1.1 ns".parse().unwrap());
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(route).incoming(listener).run());
    (addr.to_string(), seen)
}

fn signed() -> SignedCommand {
    CommandSigningKey::generate()
        .sign(&AgentCommand::new(
            CaseId::parse("c-1").unwrap(),
            UserLocator::SamAccountName("x".into()),
            vec![Action::ReadBack],
            chrono::Utc::now(),
            chrono::Duration::minutes(5),
        ))
        .unwrap()
}

fn sender(ns: &str, credential: RelayCredential, timeout: Duration) -> RelaySender {
    RelaySender::new(
        RelayEndpoint::plain_for_local_tests(ns, "hc").unwrap(),
        credential,
        RelaySenderOptions {
            timeout,
            ..Default::default()
        },
    )
    .unwrap()
}

struct FixedToken;

#[async_trait::async_trait]
impl EntraTokenSource for FixedToken {
    async fn relay_token(&self) -> Result<SecretString, Box<dyn std::error::Error + Send + Sync>> {
        Ok(SecretString::from("eyJ.test.jwt"))
    }
}

#[tokio::test]
async fn sas_goes_in_servicebusauthorization_and_entra_raw_in_authorization() {
    let (ns, seen) = server(403, true, Duration::ZERO).await;
    let sas = RelayCredential::SharedAccessKey(SasKey::new("send", SecretString::from("k")));
    let answer = sender(&ns, sas, Duration::from_secs(5))
        .send(&signed())
        .await
        .unwrap();
    assert!(
        matches!(answer, AgentResponse::Rejected(_)),
        "a listener's 403 (Via) is the agent's answer"
    );
    let entra = RelayCredential::EntraId(Arc::new(FixedToken));
    sender(&ns, entra, Duration::from_secs(5))
        .send(&signed())
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    let sas_value = seen[0]["servicebusauthorization"].to_str().unwrap();
    let audience = format!("sr=http%3A%2F%2F{}%2Fhc%2F&", ns.replace(':', "%3A"));
    assert!(
        sas_value.starts_with("SharedAccessSignature ") && sas_value.contains(&audience),
        "{sas_value}"
    );
    assert!(!seen[0].contains_key("authorization"));
    // The raw JWT, as Microsoft's Relay RBAC sample sends it: no `Bearer ` scheme.
    assert_eq!(seen[1]["authorization"], "eyJ.test.jwt");
    assert!(!seen[1].contains_key("servicebusauthorization"));
}

#[tokio::test]
async fn a_service_403_without_via_is_a_permanent_forbidden() {
    let (ns, _) = server(403, false, Duration::ZERO).await;
    let sas = RelayCredential::SharedAccessKey(SasKey::new("send", SecretString::from("k")));
    let err = sender(&ns, sas, Duration::from_secs(5))
        .send(&signed())
        .await
        .unwrap_err();
    assert!(matches!(err, RelayError::Forbidden { .. }), "{err:?}");
    assert!(!err.is_transient());
}

#[tokio::test]
async fn no_answer_within_the_sender_timeout_is_a_transient_timeout() {
    let (ns, _) = server(200, true, Duration::from_secs(3)).await;
    let sas = RelayCredential::SharedAccessKey(SasKey::new("send", SecretString::from("k")));
    let err = sender(&ns, sas, Duration::from_millis(300))
        .send(&signed())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RelayError::Timeout { source_of_timeout } if source_of_timeout.contains("no answer")),
        "{err:?}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn an_unreachable_relay_is_transient() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sas = RelayCredential::SharedAccessKey(SasKey::new("send", SecretString::from("k")));
    let err = sender(&format!("127.0.0.1:{port}"), sas, Duration::from_secs(2))
        .send(&signed())
        .await
        .unwrap_err();
    assert!(matches!(err, RelayError::Unreachable { .. }), "{err:?}");
    assert!(err.is_transient());
}
