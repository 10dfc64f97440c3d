//! Signed sample requests, as an HR system would send them: used by the demo.

use base64::Engine;
use offboard_core::signature::WebhookSecret;

/// A fresh random Standard Webhooks secret (`whsec_...`).
pub fn generic_secret() -> String {
    let key: [u8; 24] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// A fresh random BambooHR private key.
pub fn bamboohr_secret() -> String {
    let key: [u8; 24] = rand::random();
    hex_string(&key)
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A request ready to send: path, headers and body.
pub struct SignedRequest {
    /// Path under the host, e.g. `/api/hris/generic`.
    pub path: &'static str,
    /// Headers to send.
    pub headers: Vec<(&'static str, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// A generic (Standard Webhooks) termination signed with `secret`.
pub fn generic_termination(secret: &str, body: serde_json::Value) -> anyhow::Result<SignedRequest> {
    let secret = WebhookSecret::parse(secret)?;
    let body = serde_json::to_vec(&body)?;
    let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let ts = chrono::Utc::now().timestamp().to_string();
    let sig = secret.sign(&id, &ts, &body);
    Ok(SignedRequest {
        path: "/api/hris/generic",
        headers: vec![
            ("content-type", "application/json".into()),
            ("webhook-id", id),
            ("webhook-timestamp", ts),
            ("webhook-signature", sig),
        ],
        body,
    })
}

impl SignedRequest {
    /// Sends the request to `base` (e.g. `http://127.0.0.1:7071`).
    pub async fn send(
        &self,
        client: &reqwest::Client,
        base: &str,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let mut req = client
            .post(format!("{base}{}", self.path))
            .body(self.body.clone());
        for (k, v) in &self.headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(serde_json::Value::Null);
        Ok((status, body))
    }
}
