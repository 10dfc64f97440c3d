//! Email through Microsoft Graph: `POST /users/{from}/sendMail` with a plain-text message to the
//! configured recipients (Graph v1.0 "user: sendMail"; application permission `Mail.Send`,
//! which offboard's least-privilege set already holds).
//!
//! ## Not twice
//!
//! `sendMail` accepts no idempotency key and answers 202 before the mail is delivered. The
//! Graph client does not repeat a `sendMail` after an ambiguous failure (timeout, 500, 504)
//! because it could send twice; that failure is transient here, so the host retries the
//! notification and the mail may arrive twice (at-least-once). A 503 or 429 means Graph did
//! not take the request, so its retry sends once.

use async_trait::async_trait;
use offboard_core::notify::Notification;
use offboard_graph::{GraphClient, GraphError, MailMessage};

use super::message::{plain_text, subject};
use super::sink::{Sink, SinkError};

/// Sends notifications as mail from one mailbox to fixed recipients.
#[derive(Debug, Clone)]
pub struct EmailSink {
    graph: GraphClient,
    from: String,
    to: Vec<String>,
}

impl EmailSink {
    /// The sink's name.
    pub const NAME: &'static str = "email";

    /// A sink sending from mailbox `from` (UPN, address or object id) to `to`.
    pub fn new(graph: GraphClient, from: String, to: Vec<String>) -> Self {
        Self { graph, from, to }
    }
}

#[async_trait]
impl Sink for EmailSink {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn deliver(&self, n: &Notification) -> Result<(), SinkError> {
        let message = MailMessage {
            subject: subject(n),
            body: plain_text(n),
            to: recipients(&self.to, &n.recipients),
        };
        match self.graph.send_mail(&self.from, &message).await {
            Ok(reply) => {
                tracing::debug!(request_id = ?reply.request_id, status = reply.status, "sendMail accepted");
                Ok(())
            }
            Err(e) => Err(classify(&self.from, e)),
        }
    }
}

/// The configured recipients and the notice's own (the person and their manager after a
/// restore), each once.
fn recipients(configured: &[String], own: &[String]) -> Vec<String> {
    let mut to: Vec<String> = Vec::new();
    for a in configured.iter().chain(own) {
        if !to.iter().any(|t| t.eq_ignore_ascii_case(a)) {
            to.push(a.clone());
        }
    }
    to
}

/// A Graph failure as a sink failure, with what to do. [`GraphError`] never holds a token.
fn classify(from: &str, e: GraphError) -> SinkError {
    let sink = EmailSink::NAME.to_owned();
    match e {
        GraphError::Transient(_) | GraphError::Throttled { .. } => SinkError::Transient {
            retry_after: e.retry_after(),
            detail: format!("Graph sendMail: {e}"),
            sink,
        },
        GraphError::NotApplicable { .. } => SinkError::Permanent {
            detail: format!(
                "Graph sendMail: {e}; OFFBOARD_NOTIFY_MAIL_FROM ({from}) must be a user or shared mailbox in Exchange Online"
            ),
            sink,
        },
        GraphError::Permanent(ref info) => {
            let hint = match info.status {
                Some(403) => {
                    "grant the app Mail.Send and, if an Exchange application access policy restricts it, include this mailbox"
                }
                Some(404) => "OFFBOARD_NOTIFY_MAIL_FROM names no mailbox in this tenant",
                Some(400) => "check the addresses in OFFBOARD_NOTIFY_MAIL_TO",
                _ => "see Graph's message",
            };
            SinkError::Permanent {
                detail: format!("Graph sendMail from {from}: {e}; {hint}"),
                sink,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::recipients;

    #[test]
    fn a_notice_for_people_adds_them_once_to_the_configured_recipients() {
        let configured = vec!["it@contoso.com".to_owned()];
        let own = vec![
            "adele@contoso.com".to_owned(),
            "IT@contoso.com".to_owned(),
            "megan@contoso.com".to_owned(),
        ];
        assert_eq!(
            recipients(&configured, &own),
            ["it@contoso.com", "adele@contoso.com", "megan@contoso.com"]
        );
        assert_eq!(recipients(&configured, &[]), ["it@contoso.com"]);
    }
}
