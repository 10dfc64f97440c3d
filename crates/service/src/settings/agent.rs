//! How the handler reaches the on-prem agent through Azure Relay.

use super::error::SettingsError;
use super::names::*;
use super::notify::url_is_allowed;
use secrecy::SecretString;

/// How the handler authenticates to the relay.
#[derive(Clone)]
pub enum RelayAuth {
    /// The managed identity's Entra ID token (the identity needs the Azure Relay Sender role on
    /// the hybrid connection). Chosen when neither SAS setting is set.
    ManagedIdentity,
    /// A SAS rule with the Send right. Either half may be missing (an unresolved Key Vault
    /// reference, a forgotten name): the AD steps then fail with a message naming the setting.
    SharedAccessKey {
        /// [`OFFBOARD_RELAY_SAS_KEY_NAME`].
        name: Option<String>,
        /// [`OFFBOARD_RELAY_SAS_KEY`].
        key: Option<SecretString>,
    },
}

impl std::fmt::Debug for RelayAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ManagedIdentity => f.write_str("ManagedIdentity"),
            Self::SharedAccessKey { name, key } => f
                .debug_struct("SharedAccessKey")
                .field("name", name)
                .field("key", &if key.is_some() { "set" } else { "unset" })
                .finish(),
        }
    }
}

/// How the handler reaches the on-prem agent (the AD steps of synced leavers). Present when
/// [`OFFBOARD_RELAY_NAMESPACE`] is set.
///
/// Secrets are held as they arrived, unparsed, like the notification secrets: one that is unset
/// or malformed does not stop the handler (cloud offboarding goes on); the AD steps then fail
/// with a message naming the setting, and a remediation item is opened.
#[derive(Clone)]
pub struct AgentSettings {
    /// The hybrid connection.
    pub relay: offboard_relay::RelayEndpoint,
    /// How to authenticate to it.
    pub auth: RelayAuth,
    /// [`OFFBOARD_AGENT_SIGNING_KEY`].
    pub signing_key: Option<SecretString>,
}

impl std::fmt::Debug for AgentSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSettings")
            .field("relay", &self.relay)
            .field("auth", &self.auth)
            .field(
                "signing_key",
                &if self.signing_key.is_some() {
                    "set"
                } else {
                    "unset"
                },
            )
            .finish()
    }
}

/// The hybrid connection offboard's templates create (and the agent's example config names).
pub const DEFAULT_HYBRID_CONNECTION: &str = "offboard-agent";

/// The relay endpoint: a namespace host (`contoso.servicebus.windows.net`, reached over
/// `https`/`wss`), or `http://127.0.0.1:PORT` for a local relay (plain only on loopback).
pub(super) fn parse_relay(
    namespace: &str,
    path: &str,
) -> Result<offboard_relay::RelayEndpoint, SettingsError> {
    let refuse = |name: &'static str, detail: String| SettingsError { name, detail };
    let endpoint = if let Some(rest) = namespace.strip_prefix("http://") {
        let url = url::Url::parse(namespace).map_err(|e| {
            refuse(
                OFFBOARD_RELAY_NAMESPACE,
                format!("`{namespace}` is not a URL ({e})"),
            )
        })?;
        if !url_is_allowed(&url) {
            return Err(refuse(
                OFFBOARD_RELAY_NAMESPACE,
                format!(
                    "`{namespace}`: plain http is only for a local relay on localhost or 127.0.0.1; give the namespace host (contoso.servicebus.windows.net) to use https"
                ),
            ));
        }
        offboard_relay::RelayEndpoint::plain_for_local_tests(rest.trim_end_matches('/'), path)
    } else {
        offboard_relay::RelayEndpoint::new(namespace, path)
    };
    endpoint.map_err(|e| match e {
        offboard_relay::EndpointError::Path(_) => {
            refuse(OFFBOARD_RELAY_HYBRID_CONNECTION, e.to_string())
        }
        offboard_relay::EndpointError::Namespace(_) => {
            refuse(OFFBOARD_RELAY_NAMESPACE, e.to_string())
        }
    })
}
