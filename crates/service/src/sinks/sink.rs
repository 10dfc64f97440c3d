//! What every sink is, and how it fails: the contract the Teams, webhook and e-mail sinks
//! implement and [`super::Sinks`] fans out to.

use std::time::Duration;

use async_trait::async_trait;
use offboard_core::notify::Notification;

/// Why a sink could not deliver a notification, and whether retrying may help. The detail never
/// holds a secret, a token, a signature or a secret URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The receiver is unavailable, throttled or timed out: retry later.
    #[error("{sink}: temporarily failed, will be retried: {detail}")]
    Transient {
        /// The sink ([`Sink::name`]).
        sink: String,
        /// What happened.
        detail: String,
        /// How long the receiver asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The receiver refused the message or the sink is misconfigured: retrying will not help;
    /// the detail says what to fix.
    #[error("{sink}: failed, retrying will not help: {detail}")]
    Permanent {
        /// The sink ([`Sink::name`]).
        sink: String,
        /// What happened and what to fix.
        detail: String,
    },
}

impl SinkError {
    /// Whether a later attempt may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// The sink that failed.
    pub fn sink(&self) -> &str {
        match self {
            Self::Transient { sink, .. } | Self::Permanent { sink, .. } => sink,
        }
    }
}

/// Somewhere a notification can be delivered.
#[async_trait]
pub trait Sink: Send + Sync {
    /// A short, stable name (`teams`, `webhook`, `email`): used in logs and, with the
    /// notification key, in the [`super::DeliveryLog`]. Two sinks of one [`super::Sinks`] must differ.
    fn name(&self) -> &str;

    /// Delivers one notification; `Ok` means the receiver accepted it.
    async fn deliver(&self, n: &Notification) -> Result<(), SinkError>;
}
