//! A generic webhook: the notification as JSON, signed per Standard Webhooks 1.0
//! (<https://www.standardwebhooks.com/>, spec/standard-webhooks.md in
//! github.com/standard-webhooks/standard-webhooks), so any receiver can check that offboard
//! sent it with the receiver's own library.
//!
//! ## Request
//!
//! `POST <OFFBOARD_NOTIFY_WEBHOOK_URL>`, `Content-Type: application/json`, with the headers
//!
//! - `webhook-id`: [`webhook_id`] of the notification key: the same on every attempt, so the
//!   receiver can use it as its idempotency key, as the spec advises;
//! - `webhook-timestamp`: Unix seconds of this attempt (receivers refuse stale ones);
//! - `webhook-signature`: `v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`, keyed with
//!   the `whsec_` secret ([`offboard_core::signature::WebhookSecret::sign`], the same code
//!   offboard's own intake verifies with);
//!
//! and the spec's recommended body shape (`type`, `timestamp` of the event, `data`):
//!
//! ```json
//! { "type": "offboard.notification.step_failed",
//!   "timestamp": "2025-03-01T09:30:00Z",
//!   "data": { "kind": "step_failed", "title": "Offboarding step failed",
//!             "caseId": "c-…", "leaver": "Adele Vance", "whatLabel": "What failed",
//!             "what": "…", "action": "…", "link": "/api/cases/c-…", "key": "…" } }
//! ```
//!
//! ## Answers
//!
//! 2xx is success; 408, 425, 429 and 5xx are transient (with `Retry-After`); 410 Gone, 3xx
//! (redirects are not followed) and other 4xx are permanent, as the spec's "Delivery success
//! and failure" section suggests.

use std::sync::Arc;

use async_trait::async_trait;
use offboard_core::Sha256Digest;
use offboard_core::notify::Notification;
use offboard_core::signature::WebhookSecret;
use serde_json::json;

use super::http;
use super::message::{bounded, case_link, what_label};
use super::sink::{Sink, SinkError};
use crate::clock::Clock;
use crate::settings::{OFFBOARD_NOTIFY_WEBHOOK_SECRET, OFFBOARD_NOTIFY_WEBHOOK_URL, SettingsError};

/// The `webhook-id` of a notification: its key when the key is a plain token (letters,
/// digits, `_`, `-`, `:`; at most 200 characters), else `ntf_` and the SHA-256 of the key in
/// hex. Stable for a key; never contains `.`, which the spec forbids in ids because the signed
/// content joins id, timestamp and body with dots.
pub fn webhook_id(key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 200
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'));
    if plain {
        key.to_owned()
    } else {
        format!("ntf_{}", Sha256Digest::of(key.as_bytes()).to_hex())
    }
}

/// Posts notifications as signed JSON to one receiver.
pub struct SignedWebhookSink {
    url: url::Url,
    host: String,
    secret: WebhookSecret,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
}

impl std::fmt::Debug for SignedWebhookSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedWebhookSink")
            .field("host", &self.host)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

impl SignedWebhookSink {
    /// The sink's name.
    pub const NAME: &'static str = "webhook";

    /// A sink posting to `url`, signing with `secret` (`whsec_<base64>`); `clock` stamps each
    /// attempt. The error names the setting and never quotes the secret.
    pub fn new(url: url::Url, secret: &str, clock: Arc<dyn Clock>) -> Result<Self, SettingsError> {
        let secret = WebhookSecret::parse(secret).map_err(|e| SettingsError {
            name: OFFBOARD_NOTIFY_WEBHOOK_SECRET,
            detail: format!("{e}: set the receiver's signing secret, whsec_ followed by base64 of at least 24 random bytes"),
        })?;
        let http = http::client().map_err(|detail| SettingsError {
            name: OFFBOARD_NOTIFY_WEBHOOK_URL,
            detail,
        })?;
        let host = url.host_str().unwrap_or("the webhook receiver").to_owned();
        Ok(Self {
            url,
            host,
            secret,
            clock,
            http,
        })
    }
}

/// The body sent for `n`, as bytes (signed and sent exactly as they are).
pub(crate) fn body(n: &Notification) -> Vec<u8> {
    let kind = serde_json::to_value(n.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "notification".to_owned());
    let payload = json!({
        "type": format!("offboard.notification.{kind}"),
        "timestamp": n.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": {
            "kind": kind,
            "title": n.kind.title(),
            "caseId": n.case_id.as_str(),
            "leaver": bounded(&n.leaver),
            "whatLabel": what_label(n.kind),
            "what": bounded(&n.what),
            "action": bounded(&n.action),
            "link": case_link(&n.case_id),
            "key": n.key,
        },
    });
    // Serialising a `Value` built from strings cannot fail.
    serde_json::to_vec(&payload).unwrap_or_default()
}

#[async_trait]
impl Sink for SignedWebhookSink {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn deliver(&self, n: &Notification) -> Result<(), SinkError> {
        let body = body(n);
        let id = webhook_id(&n.key);
        let timestamp = self.clock.now().timestamp().to_string();
        let signature = self.secret.sign(&id, &timestamp, &body);
        let rsp = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", &timestamp)
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| http::transport_error(Self::NAME, &self.host, e))?;
        let status = rsp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        Err(http::status_error(
            Self::NAME,
            &self.host,
            status,
            http::retry_after(rsp.headers()),
            match status {
                401 | 403 => {
                    "the receiver refused the signature: give it the same whsec_ secret as OFFBOARD_NOTIFY_WEBHOOK_SECRET, and check both clocks (stale timestamps are refused)"
                }
                404 => "no such endpoint: check OFFBOARD_NOTIFY_WEBHOOK_URL",
                _ => "the receiver refused the notification: check its logs for why",
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_key_when_plain_and_a_digest_otherwise() {
        let key = "c-5a0f1d3e-6b7c-4c1e-9f8a-0ffb0a4d0001:StepFailed:block-sign-in:1";
        assert_eq!(webhook_id(key), key);
        let dotted = webhook_id("c-1:StepFailed:a.b");
        assert!(dotted.starts_with("ntf_") && !dotted.contains('.'));
        assert_eq!(dotted, webhook_id("c-1:StepFailed:a.b"), "stable");
        assert!(webhook_id(&"x".repeat(300)).starts_with("ntf_"));
        assert!(webhook_id("").starts_with("ntf_"));
    }

    #[test]
    fn a_malformed_secret_is_refused_without_quoting_it() {
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
        let url = url::Url::parse("https://hooks.example.com/offboard").unwrap();
        let err = SignedWebhookSink::new(url.clone(), "whsec_not*base64*s3cr3t", clock.clone())
            .unwrap_err();
        assert_eq!(err.name, OFFBOARD_NOTIFY_WEBHOOK_SECRET);
        assert!(!err.to_string().contains("s3cr3t"));
        let ok =
            SignedWebhookSink::new(url, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", clock).unwrap();
        assert!(!format!("{ok:?}").contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    }
}
