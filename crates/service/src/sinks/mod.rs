//! Delivering notifications to the people who must act: a Microsoft Teams channel, a signed
//! generic webhook, and email through Graph `sendMail`.
//!
//! The engine puts each [`Notification`] on the `notify` queue; the `notify` queue function
//! hands it to [`Sinks::deliver`], which sends it to every configured [`Sink`]. Each message
//! says which leaver, what failed and what to do, with the case id and the path of the case
//! (`/api/cases/{id}`).
//!
//! ## Failure and retry
//!
//! A sink answers with a [`SinkError`] that is either transient (the receiver is down, throttled
//! or timed out: retrying may work) or permanent (the receiver refused the message or the sink is
//! misconfigured: retrying will not help, a person must fix the setting). If any sink fails
//! transiently, [`Sinks::deliver`] fails transiently and the `notify` function lets the message
//! go back to the queue; the Functions host retries it (`maxDequeueCount` in host.json), then
//! moves it to `notify-poison`.
//!
//! ## Not sending twice
//!
//! Every sink that succeeded for a notification is recorded in a [`DeliveryLog`] under the
//! notification's key, and skipped when the same key comes again (a retry after another sink
//! failed, or a duplicate message from the engine). What that does and does not guarantee, per
//! sink:
//!
//! - **Signed webhook**: `webhook-id` is derived from the notification key and is the same on
//!   every attempt, so a receiver that follows the Standard Webhooks advice (use `webhook-id` as
//!   an idempotency key) processes each notification once even when it is sent again.
//! - **Teams** and **email**: neither Teams webhooks nor Graph `sendMail` accept an
//!   idempotency key, so they are at-least-once. The delivery log prevents a second post after
//!   a sink succeeded, but a post whose answer was lost (a timeout, a dropped connection, a
//!   crash between the answer and the log entry) is sent again on the retry and the channel or
//!   mailbox sees it twice. That is the deliberate choice: a duplicate alert is better than a
//!   lost one.
//! - The delivery log itself: [`MemoryDeliveryLog`] lives in the handler process, so it covers
//!   retries handled by the same instance (the usual case: one instance polls the queue and
//!   retries after `visibilityTimeout`) but not a retry picked up by another instance or after a
//!   restart. A durable log (a create-only record per key and sink in the case store's
//!   database) implements the same [`DeliveryLog`] trait.
//!
//! ## Secrets
//!
//! The Teams URL (it authorises posting) and the webhook signing secret are never logged and
//! never appear in an error: errors name the sink and the receiver's host at most.

mod email;
mod http;
mod log;
mod message;
mod sink;
mod teams;
mod webhook;

pub use email::EmailSink;
pub use log::{DeliveryLog, DeliveryLogError, MemoryDeliveryLog};
pub use message::{case_link, what_label};
pub use sink::{Sink, SinkError};
pub use teams::TeamsSink;
pub use webhook::{SignedWebhookSink, webhook_id};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use offboard_core::notify::Notification;
use offboard_graph::GraphClient;
use secrecy::ExposeSecret;

use crate::clock::{Clock, SystemClock};
use crate::settings::{
    NotifySettings, OFFBOARD_NOTIFY_MAIL_FROM, OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET,
    OFFBOARD_NOTIFY_WEBHOOK_SECRET, OFFBOARD_NOTIFY_WEBHOOK_URL, SettingsError,
};

/// What one delivery did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivery {
    /// Sinks that accepted the notification now.
    pub sent: Vec<String>,
    /// Sinks skipped because they had already accepted this notification key.
    pub already_sent: Vec<String>,
}

impl Delivery {
    /// A line for the invocation log.
    pub fn describe(&self) -> String {
        match (self.sent.is_empty(), self.already_sent.is_empty()) {
            (true, true) => {
                "no notification sink is configured; the notification was logged only".to_owned()
            }
            (false, true) => format!("delivered to {}", self.sent.join(", ")),
            (true, false) => format!("already delivered to {}", self.already_sent.join(", ")),
            (false, false) => format!(
                "delivered to {} (already delivered to {})",
                self.sent.join(", "),
                self.already_sent.join(", ")
            ),
        }
    }
}

/// A delivery in which at least one sink failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    /// The notification's key.
    pub key: String,
    /// The sinks that failed and why.
    pub failures: Vec<SinkError>,
    /// Sinks that accepted it (now or before); a retry skips them.
    pub delivered: Vec<String>,
}

impl DeliveryError {
    /// Whether retrying the whole delivery may succeed: some sink failed transiently. The
    /// `notify` function then fails the invocation so the host retries the message; otherwise
    /// it completes the message after logging this error (a retry would fail the same way).
    pub fn is_transient(&self) -> bool {
        self.failures.iter().any(SinkError::is_transient)
    }

    /// The longest wait a throttled receiver asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        self.failures
            .iter()
            .filter_map(|f| match f {
                SinkError::Transient { retry_after, .. } => *retry_after,
                SinkError::Permanent { .. } => None,
            })
            .max()
    }
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "notification {} was not delivered everywhere: ",
            self.key
        )?;
        for (i, e) in self.failures.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        if !self.delivered.is_empty() {
            write!(
                f,
                " (delivered to {}; a retry skips them)",
                self.delivered.join(", ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for DeliveryError {}

/// Every configured sink, with the log that keeps a retry from sending twice.
#[derive(Clone)]
pub struct Sinks {
    sinks: Vec<Arc<dyn Sink>>,
    log: Arc<dyn DeliveryLog>,
}

impl fmt::Debug for Sinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sinks")
            .field("sinks", &self.names())
            .finish_non_exhaustive()
    }
}

impl Sinks {
    /// Sinks as given, with an in-process [`MemoryDeliveryLog`].
    pub fn new(sinks: Vec<Arc<dyn Sink>>) -> Self {
        Self {
            sinks,
            log: Arc::new(MemoryDeliveryLog::default()),
        }
    }

    /// Uses `log` to remember which sinks accepted which notification (a durable log makes the
    /// "not twice" promise hold across instances and restarts).
    pub fn with_delivery_log(mut self, log: Arc<dyn DeliveryLog>) -> Self {
        self.log = log;
        self
    }

    /// The sinks the settings configure; `graph` sends the email (the same client the steps
    /// use, authenticated by the managed identity with `Mail.Send`).
    ///
    /// A sink whose secret is missing (or whose Key Vault reference did not resolve) while the
    /// rest of its settings are present, or whose secret is malformed, does not stop the
    /// handler: it is kept as a sink that fails every delivery permanently with the setting to
    /// fix, so the omission shows in every `notify` invocation instead of nowhere.
    ///
    /// Errors only when mail is configured but no Graph client is given (a wiring error).
    pub fn from_settings(
        settings: &NotifySettings,
        graph: Option<GraphClient>,
    ) -> Result<Self, SettingsError> {
        Self::from_settings_with_clock(settings, graph, Arc::new(SystemClock))
    }

    /// [`Sinks::from_settings`] with the clock that stamps webhook attempts.
    pub fn from_settings_with_clock(
        settings: &NotifySettings,
        graph: Option<GraphClient>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SettingsError> {
        let mut sinks: Vec<Arc<dyn Sink>> = Vec::new();
        if let Some(url) = &settings.teams_webhook_url {
            sinks.push(match TeamsSink::new(url.expose_secret()) {
                Ok(s) => Arc::new(s),
                Err(e) => Arc::new(Unusable::new(TeamsSink::NAME, e)),
            });
        }
        match (&settings.webhook_url, &settings.webhook_secret) {
            (Some(url), Some(secret)) => {
                sinks.push(
                    match SignedWebhookSink::new(url.clone(), secret.expose_secret(), clock) {
                        Ok(s) => Arc::new(s),
                        Err(e) => Arc::new(Unusable::new(SignedWebhookSink::NAME, e)),
                    },
                );
            }
            (Some(_), None) => sinks.push(Arc::new(Unusable::new(
                SignedWebhookSink::NAME,
                SettingsError {
                    name: OFFBOARD_NOTIFY_WEBHOOK_SECRET,
                    detail: format!(
                        "is not set (or its Key Vault reference did not resolve) while {OFFBOARD_NOTIFY_WEBHOOK_URL} is: put the receiver's whsec_ signing secret in Key Vault (infra/scripts/set-secrets.sh notify-webhook-secret), or unset the URL"
                    ),
                },
            ))),
            (None, Some(_)) => sinks.push(Arc::new(Unusable::new(
                SignedWebhookSink::NAME,
                SettingsError {
                    name: OFFBOARD_NOTIFY_WEBHOOK_URL,
                    detail: format!(
                        "is not set while {OFFBOARD_NOTIFY_WEBHOOK_SECRET} is: set the receiver's https URL, or remove the secret"
                    ),
                },
            ))),
            (None, None) => {}
        }
        if let Some(mail) = &settings.mail {
            let graph = graph.ok_or_else(|| SettingsError {
                name: OFFBOARD_NOTIFY_MAIL_FROM,
                detail: "email notifications are configured but the handler has no Graph client to send them; configure Graph (the tenant) or unset OFFBOARD_NOTIFY_MAIL_FROM and OFFBOARD_NOTIFY_MAIL_TO".into(),
            })?;
            sinks.push(Arc::new(EmailSink::new(
                graph,
                mail.from.clone(),
                mail.to.clone(),
            )));
        }
        let sinks = Self::new(sinks);
        tracing::info!(sinks = ?sinks.names(), "notification sinks configured");
        if sinks.is_empty() {
            tracing::warn!(
                "no notification sink is configured: notifications will only be logged; set {OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET}, {OFFBOARD_NOTIFY_WEBHOOK_URL} or {OFFBOARD_NOTIFY_MAIL_FROM}"
            );
        }
        Ok(sinks)
    }

    /// The names of the sinks, in delivery order.
    pub fn names(&self) -> Vec<&str> {
        self.sinks.iter().map(|s| s.name()).collect()
    }

    /// Whether no sink is configured.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Delivers `n` to every sink that has not yet accepted its key, all at once.
    ///
    /// With no sink configured the notification is logged (without secrets: there are none)
    /// with a warning that no sink is configured, and the delivery counts as done.
    #[tracing::instrument(skip(self, n), fields(case_id = %n.case_id, kind = ?n.kind, key = %n.key))]
    pub async fn deliver(&self, n: &Notification) -> Result<Delivery, DeliveryError> {
        if self.sinks.is_empty() {
            tracing::warn!(
                leaver = %n.leaver,
                what = %n.what,
                action = %n.action,
                link = %case_link(&n.case_id),
                "{}: no notification sink is configured, so nobody was told; set {OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET}, {OFFBOARD_NOTIFY_WEBHOOK_URL} or {OFFBOARD_NOTIFY_MAIL_FROM}",
                n.kind.title()
            );
            return Ok(Delivery::default());
        }
        let attempts = self.sinks.iter().map(|sink| self.deliver_one(sink, n));
        let outcomes = futures::future::join_all(attempts).await;
        let mut delivery = Delivery::default();
        let mut failures = Vec::new();
        for (sink, outcome) in self.sinks.iter().zip(outcomes) {
            match outcome {
                Ok(true) => delivery.sent.push(sink.name().to_owned()),
                Ok(false) => delivery.already_sent.push(sink.name().to_owned()),
                Err(e) => failures.push(e),
            }
        }
        if failures.is_empty() {
            tracing::info!("{}", delivery.describe());
            return Ok(delivery);
        }
        let mut delivered = delivery.sent;
        delivered.extend(delivery.already_sent);
        Err(DeliveryError {
            key: n.key.clone(),
            failures,
            delivered,
        })
    }

    /// Delivers to one sink unless the log says it already did; `Ok(true)` when sent now.
    async fn deliver_one(&self, sink: &Arc<dyn Sink>, n: &Notification) -> Result<bool, SinkError> {
        let name = sink.name();
        match self.log.delivered(&n.key, name).await {
            Ok(true) => {
                tracing::info!(
                    sink = name,
                    "already delivered to this sink; not sent again"
                );
                return Ok(false);
            }
            Ok(false) => {}
            // Sending again is better than not sending: an unreadable log means at-least-once.
            Err(e) => tracing::warn!(sink = name, error = %e, "delivery log unreadable; sending"),
        }
        match sink.deliver(n).await {
            Ok(()) => {
                if let Err(e) = self.log.record(&n.key, name).await {
                    tracing::warn!(sink = name, error = %e, "delivered, but the delivery log could not record it: a retry may send it again");
                }
                tracing::info!(sink = name, "notification delivered");
                Ok(true)
            }
            Err(e) => {
                if e.is_transient() {
                    tracing::warn!(sink = name, error = %e, "notification not delivered; will be retried");
                } else {
                    tracing::error!(sink = name, error = %e, leaver = %n.leaver, what = %n.what, action = %n.action, "notification not delivered");
                }
                Err(e)
            }
        }
    }
}

/// A sink whose settings are incomplete or malformed: every delivery fails permanently with
/// the setting to fix.
struct Unusable {
    name: &'static str,
    why: SettingsError,
}

impl Unusable {
    fn new(name: &'static str, why: SettingsError) -> Self {
        tracing::error!(sink = name, problem = %why, "notification sink is misconfigured; it will fail every delivery until fixed");
        Self { name, why }
    }
}

#[async_trait]
impl Sink for Unusable {
    fn name(&self) -> &str {
        self.name
    }

    async fn deliver(&self, _: &Notification) -> Result<(), SinkError> {
        Err(SinkError::Permanent {
            sink: self.name.to_owned(),
            detail: format!("misconfigured: {}", self.why),
        })
    }
}
