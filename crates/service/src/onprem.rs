//! The on-premises agent as the AD steps see it: a channel to it (the Azure Relay hybrid
//! connection in production), the key that signs every command, and who to tell when it cannot
//! be reached.
//!
//! - [`OnPremAgent`] holds the three; the AD steps (`crate::steps::AdDisable`, ...) share one.
//! - [`AgentChannel`] is what sends a signed command and returns the agent's answer; the
//!   production implementation is [`offboard_relay::RelaySender`] (so the relay's own error
//!   classification — no listener and timeout are transient — is what the steps act on).
//! - [`EntraRelayToken`] gives the relay sender an Entra ID token: the function app's managed
//!   identity's, or the operator's when `offboard scan` runs from a workstation.
//!
//! Nothing here ever sees a password: the agent generates the new AD password itself and never
//! returns it.

use async_trait::async_trait;
use azure_core::credentials::TokenCredential;
use secrecy::SecretString;
use std::sync::Arc;

use offboard_agent_proto::{AgentResponse, CommandSigningKey, SignedCommand};
use offboard_relay::{EntraTokenSource, RelayError, RelaySender};

use crate::notifier::Notifier;

/// How long a command stays valid after it is issued. Well under the agent's default limit
/// (`max_validity_secs` = 15 minutes) and well over the relay's 60 s request limit, so a
/// command is never refused for its age unless the clocks disagree by minutes.
pub const COMMAND_TTL: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// After this many failed attempts to reach the agent in a row, a step tells a person
/// ([`offboard_core::notify::NotificationKind::AgentUnreachable`]). The engine keeps retrying
/// until `MAX_TRANSIENT_ATTEMPTS` and then fails the step with a remediation item.
pub const UNREACHABLE_AFTER_ATTEMPTS: u32 = 3;

/// Sends a signed command to the agent and returns its answer.
#[async_trait]
pub trait AgentChannel: Send + Sync {
    /// Sends `command`; transport problems come back as a classified [`RelayError`].
    async fn send(&self, command: &SignedCommand) -> Result<AgentResponse, RelayError>;
    /// Where commands go, for evidence and logs (`hybrid connection offboard-agent on ns`).
    /// Never carries a credential.
    fn describe(&self) -> String;
}

#[async_trait]
impl AgentChannel for RelaySender {
    async fn send(&self, command: &SignedCommand) -> Result<AgentResponse, RelayError> {
        RelaySender::send(self, command).await
    }

    fn describe(&self) -> String {
        format!(
            "hybrid connection {} on {}",
            self.endpoint().path(),
            self.endpoint().namespace()
        )
    }
}

/// The on-prem agent: where to send commands, the key to sign them with, and the notifier for
/// "agent unreachable". `Debug` shows the key's id, never the key.
#[derive(Clone)]
pub struct OnPremAgent {
    pub(crate) channel: Arc<dyn AgentChannel>,
    pub(crate) signing_key: Arc<CommandSigningKey>,
    pub(crate) notifier: Option<Arc<dyn Notifier>>,
    pub(crate) command_ttl: chrono::TimeDelta,
}

impl std::fmt::Debug for OnPremAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnPremAgent")
            .field("channel", &self.channel.describe())
            .field("signing_key", &self.signing_key)
            .finish_non_exhaustive()
    }
}

impl OnPremAgent {
    /// An agent reached through `channel`, with commands signed by `signing_key`.
    pub fn new(channel: Arc<dyn AgentChannel>, signing_key: Arc<CommandSigningKey>) -> Self {
        Self {
            channel,
            signing_key,
            notifier: None,
            command_ttl: COMMAND_TTL,
        }
    }

    /// Tells `notifier` when the agent stays unreachable
    /// ([`UNREACHABLE_AFTER_ATTEMPTS`] attempts of one step).
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Where commands go (no credential).
    pub fn describe(&self) -> String {
        self.channel.describe()
    }

    /// The id of the signing key: the agent's `trusted_keys` must hold its public half.
    pub fn signing_key_id(&self) -> &str {
        self.signing_key.key_id().as_str()
    }
}

/// Entra ID tokens for Azure Relay from a credential (scope
/// `https://relay.azure.net/.default`); the credential caches and refreshes them.
#[derive(Clone)]
pub struct EntraRelayToken {
    credential: Arc<dyn TokenCredential>,
}

impl EntraRelayToken {
    /// Tokens from `credential` (the function app's managed identity, or the operator's
    /// sign-in; either needs the Azure Relay Sender role on the hybrid connection).
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        Self { credential }
    }
}

#[async_trait]
impl EntraTokenSource for EntraRelayToken {
    async fn relay_token(&self) -> Result<SecretString, Box<dyn std::error::Error + Send + Sync>> {
        let scope = format!("{}.default", offboard_relay::ENTRA_RELAY_AUDIENCE);
        let token = self
            .credential
            .get_token(&[scope.as_str()], None)
            .await
            .map_err(|e| {
                format!(
                    "the managed identity gave no token for {scope}: {e}; check that the function app's identity exists and has the Azure Relay Sender role on the hybrid connection"
                )
            })?;
        Ok(SecretString::from(token.token.secret().to_owned()))
    }
}
