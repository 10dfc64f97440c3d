//! Microsoft Teams: an Adaptive Card posted to a channel's webhook.
//!
//! ## Payload
//!
//! The body is a `message` with one Adaptive Card attachment, as Microsoft documents for
//! webhooks ("Send Adaptive Cards using an Incoming Webhook", learn.microsoft.com,
//! microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using):
//!
//! ```json
//! { "type": "message",
//!   "attachments": [ { "contentType": "application/vnd.microsoft.card.adaptive",
//!                      "contentUrl": null,
//!                      "content": { "type": "AdaptiveCard", "version": "1.2", "body": [ … ] } } ] }
//! ```
//!
//! Adaptive Cards rather than the legacy `MessageCard`: Microsoft 365 (Office 365) Connectors,
//! which served Incoming Webhooks, are being retired in favour of Workflows' "When a Teams
//! webhook request is received" trigger, and Workflows post Adaptive Cards only (same page,
//! "Known issues"). This one envelope is accepted by both, so the same setting works with a
//! legacy Incoming Webhook URL and with a Workflows URL. The card uses only Adaptive Cards 1.0
//! elements (`TextBlock`, `FactSet`) and declares version 1.2, the version of Microsoft's
//! example.
//!
//! ## Answers
//!
//! Workflows answer 202 Accepted. Legacy Incoming Webhooks answer 200 even when Teams refused
//! the message, with the text `Microsoft Teams endpoint returned HTTP error <code>` in the body
//! (including 429 when throttled: 4 requests per second per webhook); that text is read as the
//! status it names (MicrosoftDocs/msteams-docs issues 1810, 4145, 7425, and the documented
//! C# sample that reads the body for "HTTP error 429").
//!
//! ## Not twice
//!
//! Teams has no idempotency key: a post whose answer was lost is posted again on the retry
//! (at-least-once). See the module documentation of [`crate::sinks`].

use async_trait::async_trait;
use offboard_core::notify::{Notification, NotificationKind};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::http::{self, redact_error};
use super::message::facts;
use super::sink::{Sink, SinkError};
use crate::settings::{OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET, SettingsError, url_is_allowed};

/// Posts notifications to a Teams channel through its webhook URL (a secret).
pub struct TeamsSink {
    url: SecretString,
    host: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for TeamsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamsSink")
            .field("host", &self.host)
            .field("url", &"[redacted]")
            .finish()
    }
}

impl TeamsSink {
    /// The sink's name.
    pub const NAME: &'static str = "teams";

    /// A sink posting to `url`: the Workflows or Incoming Webhook URL Teams gave. `https`
    /// required (plain `http` only on loopback, for a local receiver). The error never quotes
    /// the URL.
    pub fn new(url: &str) -> Result<Self, SettingsError> {
        let refuse = |detail: &str| SettingsError {
            name: OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET,
            detail: detail.to_owned(),
        };
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
            refuse(&format!(
                "is not a URL ({e}): paste the whole URL Teams showed when the webhook (Workflows or Incoming Webhook) was created"
            ))
        })?;
        if !url_is_allowed(&parsed) {
            return Err(refuse(
                "must be an https URL (plain http only on localhost or 127.0.0.1, for a local receiver)",
            ));
        }
        let host = parsed.host_str().unwrap_or("the Teams webhook").to_owned();
        let http = http::client().map_err(|e| refuse(&e))?;
        Ok(Self {
            url: SecretString::from(parsed.to_string()),
            host,
            http,
        })
    }

    async fn post(&self, body: &Value) -> Result<(), SinkError> {
        let rsp = self
            .http
            .post(self.url.expose_secret())
            .json(body)
            .send()
            .await
            .map_err(|e| http::transport_error(Self::NAME, &self.host, e))?;
        let status = rsp.status().as_u16();
        let retry_after = http::retry_after(rsp.headers());
        let text = rsp.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            return match embedded_error(&text) {
                None => Ok(()),
                Some(code) => Err(http::status_error(
                    Self::NAME,
                    &self.host,
                    code,
                    None,
                    &format!(
                        "Teams refused the card ({}); check that the channel and its webhook still exist",
                        snippet(&text)
                    ),
                )),
            };
        }
        Err(http::status_error(
            Self::NAME,
            &self.host,
            status,
            retry_after,
            &format!(
                "the webhook refused the post ({}); if the webhook or its Workflows flow was deleted or turned off, create a new one and update {OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET}",
                snippet(&text)
            ),
        ))
    }
}

#[async_trait]
impl Sink for TeamsSink {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn deliver(&self, n: &Notification) -> Result<(), SinkError> {
        let url = self.url.expose_secret();
        // The query holds the Workflows signature; redact it on its own too.
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        self.post(&card(n))
            .await
            .map_err(|e| redact_error(redact_error(e, url), query))
    }
}

/// The status a legacy Incoming Webhook reports inside a 200 answer, if it reports one.
fn embedded_error(body: &str) -> Option<u16> {
    const MARK: &str = "returned HTTP error ";
    let at = body.find(MARK)? + MARK.len();
    let code: String = body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(code.parse().unwrap_or(500))
}

/// The start of a receiver's answer, for an error message (it never echoes our URL).
fn snippet(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() {
        return "empty answer".to_owned();
    }
    let cut: String = t.chars().take(200).collect();
    format!("answer: {cut}")
}

/// The card's heading (also what Teams shows in its activity feed): the kind and the leaver.
fn heading(n: &Notification) -> String {
    let leaver: String = n.leaver.chars().take(120).collect();
    format!("{}: {leaver}", n.kind.title())
}

/// The Teams message for `n`: a heading, then the facts (leaver, what failed, what to do, case,
/// link, time).
pub(crate) fn card(n: &Notification) -> Value {
    let color = match n.kind {
        NotificationKind::CaseCompletedWithExceptions => "Warning",
        _ => "Attention",
    };
    let facts: Vec<Value> = facts(n)
        .into_iter()
        .map(|(title, value)| json!({ "title": title, "value": value }))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.2",
                "msteams": { "width": "Full" },
                "body": [
                    {
                        "type": "TextBlock",
                        "text": heading(n),
                        "weight": "Bolder",
                        "size": "Medium",
                        "color": color,
                        "wrap": true,
                    },
                    { "type": "FactSet", "facts": facts },
                ],
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_errors_inside_a_200_are_read() {
        assert_eq!(
            embedded_error(
                "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0"
            ),
            Some(429)
        );
        assert_eq!(embedded_error("1"), None);
        assert_eq!(embedded_error(""), None);
    }

    #[test]
    fn a_bad_url_is_refused_without_quoting_it() {
        let err = TeamsSink::new("http://teams.example.com/hook?sig=s3cr3t").unwrap_err();
        assert_eq!(err.name, OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET);
        assert!(!err.to_string().contains("s3cr3t"));
        let err = TeamsSink::new("not a url s3cr3t").unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"));
        assert!(TeamsSink::new("https://contoso.webhook.office.com/webhookb2/x").is_ok());
        assert!(
            !format!(
                "{:?}",
                TeamsSink::new("https://h.example/x?sig=s3cr3t").unwrap()
            )
            .contains("s3cr3t")
        );
    }
}
