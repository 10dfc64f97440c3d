//! Listener-side frames of the Hybrid Connections protocol.
//!
//! Service → listener, as JSON text frames on the control channel: [`ListenerCommand::Accept`]
//! (a WebSocket sender wants a rendezvous) and [`ListenerCommand::Request`] (an HTTP request,
//! followed by binary body frames when `body` is true). Listener → service:
//! [`ListenerReply::Response`] (followed by binary body frames when `body` is true) and
//! [`ListenerReply::RenewToken`]. Requests and responses over 64 kB go over a rendezvous WebSocket
//! opened to the request's `address`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Largest body (request or response) carried on the control channel; bigger ones need rendezvous.
pub const CONTROL_CHANNEL_BODY_LIMIT: usize = 64 * 1024;

/// A message the service sends the listener.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ListenerCommand {
    /// A WebSocket sender connected.
    Accept(AcceptCommand),
    /// An HTTP request arrived.
    Request(RequestCommand),
}

/// The `accept` notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptCommand {
    /// Where to open the rendezvous WebSocket (as is) to accept, or with
    /// `sb-hc-statusCode`/`sb-hc-statusDescription` appended to reject.
    pub address: String,
    /// Connection id.
    pub id: String,
    /// The sender's handshake headers.
    #[serde(default)]
    pub connect_headers: BTreeMap<String, String>,
}

/// The `request` notification. When the service routes the request through rendezvous (large
/// requests), only `address` (and possibly `id`) is present: open the rendezvous WebSocket and the
/// full request arrives there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestCommand {
    /// Rendezvous address for this request (`sb-hc-action=request`).
    pub address: String,
    /// Request id, echoed as `requestId` in the response.
    #[serde(default)]
    pub id: Option<String>,
    /// Path and query, with `sb-hc-*` parameters stripped.
    #[serde(default)]
    pub request_target: Option<String>,
    /// HTTP method.
    #[serde(default)]
    pub method: Option<String>,
    /// Request headers, without authorization and RFC 7230 connection headers.
    #[serde(default)]
    pub request_headers: BTreeMap<String, String>,
    /// Whether binary body frames follow.
    #[serde(default)]
    pub body: bool,
}

impl RequestCommand {
    /// True when the service only gave the rendezvous address (the request must be fetched there).
    pub fn is_rendezvous_only(&self) -> bool {
        self.method.is_none()
    }
}

/// A message the listener sends the service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ListenerReply {
    /// The answer to a request.
    Response(ResponseCommand),
    /// A fresh token for the control channel, before the current one expires.
    RenewToken(RenewTokenCommand),
}

/// The `response` message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseCommand {
    /// The request's `id`.
    pub request_id: String,
    /// HTTP status (any but 502 and 504, which the service reserves).
    pub status_code: u16,
    /// Reason phrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_description: Option<String>,
    /// Response headers (no RFC 7230 connection headers).
    #[serde(default)]
    pub response_headers: BTreeMap<String, String>,
    /// Whether binary body frames follow.
    pub body: bool,
}

/// The `renewToken` message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenewTokenCommand {
    /// The new SAS token (the full `SharedAccessSignature ...` string). Secret: never log.
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_request_and_accept_frames() {
        let request = r#"{"request":{"address":"wss://dc-node.servicebus.windows.net:443/$hc/hyco?sb-hc-action=request&sb-hc-id=1",
            "id":"42c34cb5-7a04-4d40-a19f-bdc66441e736","requestTarget":"/abc/def?myarg=value&otherarg=...",
            "method":"GET","requestHeaders":{"Host":"...","Content-Type":"...","User-Agent":"..."},"body":true}}"#;
        match serde_json::from_str::<ListenerCommand>(request).unwrap() {
            ListenerCommand::Request(r) => {
                assert_eq!(r.method.as_deref(), Some("GET"));
                assert!(r.body);
                assert!(!r.is_rendezvous_only());
            }
            other => panic!("not a request: {other:?}"),
        }
        let rendezvous_only = r#"{"request":{"address":"wss://x/$hc/hyco?sb-hc-action=request"}}"#;
        match serde_json::from_str::<ListenerCommand>(rendezvous_only).unwrap() {
            ListenerCommand::Request(r) => assert!(r.is_rendezvous_only()),
            other => panic!("not a request: {other:?}"),
        }
        let accept = r#"{"accept":{"address":"wss://dc-node.servicebus.windows.net:443/$hc/p?sb-hc-action=accept",
            "id":"4cb542c3-047a-4d40-a19f-bdc66441e736","connectHeaders":{"Host":"..."}}}"#;
        assert!(matches!(
            serde_json::from_str::<ListenerCommand>(accept).unwrap(),
            ListenerCommand::Accept(_)
        ));
    }

    #[test]
    fn emits_the_documented_response_and_renew_frames() {
        let response = ListenerReply::Response(ResponseCommand {
            request_id: "42".into(),
            status_code: 200,
            status_description: Some("OK".into()),
            response_headers: BTreeMap::from([("Content-Type".into(), "application/json".into())]),
            body: true,
        });
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({"response":{"requestId":"42","statusCode":200,"statusDescription":"OK",
                "responseHeaders":{"Content-Type":"application/json"},"body":true}})
        );
        let renew = ListenerReply::RenewToken(RenewTokenCommand { token: "t".into() });
        assert_eq!(
            serde_json::to_value(&renew).unwrap(),
            serde_json::json!({"renewToken":{"token":"t"}})
        );
    }
}
