//! The handler's side: sending a signed command to the agent through the relay.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use offboard_agent_proto::{AgentResponse, COMMAND_PATH, CONTENT_TYPE, SignedCommand};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use crate::endpoint::RelayEndpoint;
use crate::sas::SasKey;

/// The relay answers 504 when a listener has not responded within 60 s; waiting longer is useless.
pub const MAX_RELAY_TIMEOUT: Duration = Duration::from_secs(60);

/// Audience (scope without `/.default`) of Entra ID tokens for Azure Relay.
pub const ENTRA_RELAY_AUDIENCE: &str = "https://relay.azure.net/";

/// Gets Entra ID access tokens for Azure Relay (scope `https://relay.azure.net/.default`), e.g.
/// from the Function app's managed identity. The handler implements this with its credential;
/// tokens are cached by the implementation.
#[async_trait::async_trait]
pub trait EntraTokenSource: Send + Sync {
    /// A current access token (the raw JWT, without `Bearer `).
    async fn relay_token(&self) -> Result<SecretString, Box<dyn std::error::Error + Send + Sync>>;
}

/// How the sender authenticates to the relay.
#[derive(Clone)]
pub enum RelayCredential {
    /// A SAS key with the Send right (from a Key Vault reference app setting). Sent as
    /// `ServiceBusAuthorization: SharedAccessSignature ...`.
    SharedAccessKey(SasKey),
    /// An Entra ID token (the identity needs the "Azure Relay Sender" role on the hybrid
    /// connection). Sent as the raw JWT in `Authorization`, without a `Bearer ` prefix: the form
    /// Microsoft's Relay role-based-access sample sends (`Authorization: <token.TokenString>`,
    /// where the Relay SDK's `JsonSecurityToken.TokenString` is the raw JWT), and the relay
    /// evaluates and strips `Authorization` when no `ServiceBusAuthorization` header or
    /// `sb-hc-token` is present. The SAS key stays the documented fallback.
    EntraId(Arc<dyn EntraTokenSource>),
}

impl fmt::Debug for RelayCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SharedAccessKey(k) => f.debug_tuple("SharedAccessKey").field(k).finish(),
            Self::EntraId(_) => f.write_str("EntraId(<token source>)"),
        }
    }
}

/// Sender options; start from `Default` and override.
#[derive(Clone, Debug)]
pub struct RelaySenderOptions {
    /// How long to wait for the agent's answer, at most [`MAX_RELAY_TIMEOUT`]. Default 50 s.
    pub timeout: Duration,
    /// Lifetime of each SAS token the sender mints. Default 5 minutes.
    pub sas_token_ttl: Duration,
    /// Connection timeout to the relay. Default 10 s.
    pub connect_timeout: Duration,
}

impl Default for RelaySenderOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(50),
            sas_token_ttl: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Why sending a command did not produce an agent answer. Check [`RelayError::is_transient`]:
/// transient errors are retried (with a new command) and alerted on when they persist; the others
/// need a configuration change.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The relay has no listener on the hybrid connection (502/503).
    #[error(
        "no agent is listening on hybrid connection {path} (relay answered {status}); check that the offboard agent service runs and can reach the relay"
    )]
    NoListener {
        /// The hybrid connection path.
        path: String,
        /// 502, or 503 as the protocol guide's table also lists.
        status: u16,
    },
    /// The agent did not answer in time (relay 504, or the sender's own timeout).
    #[error(
        "the agent did not answer in time ({source_of_timeout}); the command may or may not have run — retry with a new command, whose actions are idempotent"
    )]
    Timeout {
        /// "relay answered 504" or "no answer within N s".
        source_of_timeout: String,
    },
    /// The relay refused the credential (401).
    #[error(
        "the relay refused the sender's credential (401): {detail}; check the SAS key name and value (Key Vault reference) or the managed identity's token"
    )]
    Unauthorized {
        /// The relay's status description.
        detail: String,
    },
    /// The credential is valid but lacks the right (403).
    #[error(
        "the relay denied access (403): {detail}; the SAS rule needs the Send right on this hybrid connection, or the identity the Azure Relay Sender role"
    )]
    Forbidden {
        /// The relay's status description.
        detail: String,
    },
    /// The hybrid connection does not exist or does not accept HTTP requests (404).
    #[error(
        "hybrid connection {path} not found on the relay namespace (404); check the namespace and path, and that the hybrid connection exists"
    )]
    HybridConnectionNotFound {
        /// The hybrid connection path.
        path: String,
    },
    /// The relay service failed (5xx other than 502/503/504).
    #[error("the relay service failed with {status}; retry later")]
    Service {
        /// The HTTP status.
        status: u16,
    },
    /// The relay could not be reached at all (DNS, TCP, TLS).
    #[error(
        "cannot reach the relay at {host}: {detail}; retry later, and check outbound network access if it persists"
    )]
    Unreachable {
        /// The namespace host.
        host: String,
        /// What failed.
        detail: String,
    },
    /// No Entra ID token could be obtained.
    #[error("no Entra ID token for the relay: {detail}; check the managed identity")]
    Token {
        /// What failed.
        detail: String,
    },
    /// The listener answered, but not with an agent response this version understands.
    #[error(
        "the listener answered {status} with a body that is not an agent response ({detail}); check that the agent's version matches the handler's"
    )]
    AgentProtocol {
        /// The HTTP status from the listener.
        status: u16,
        /// What was wrong.
        detail: String,
    },
    /// The sender is configured wrongly.
    #[error("relay sender configuration: {detail}")]
    Configuration {
        /// What is wrong.
        detail: String,
    },
}

impl RelayError {
    /// Whether trying again later (with a new command) may succeed without a configuration change.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::NoListener { .. }
                | Self::Timeout { .. }
                | Self::Service { .. }
                | Self::Unreachable { .. }
                | Self::Token { .. }
        )
    }
}

/// Sends signed agent commands through an Azure Relay hybrid connection (HTTP request mode).
#[derive(Clone, Debug)]
pub struct RelaySender {
    http: reqwest::Client,
    endpoint: RelayEndpoint,
    credential: RelayCredential,
    options: RelaySenderOptions,
}

impl RelaySender {
    /// A sender for `endpoint`. Fails if the timeout exceeds [`MAX_RELAY_TIMEOUT`].
    pub fn new(
        endpoint: RelayEndpoint,
        credential: RelayCredential,
        options: RelaySenderOptions,
    ) -> Result<Self, RelayError> {
        if options.timeout.is_zero() || options.timeout > MAX_RELAY_TIMEOUT {
            return Err(RelayError::Configuration {
                detail: format!(
                    "timeout must be between 1 s and {} s (the relay gives up after 60 s), got {:?}",
                    MAX_RELAY_TIMEOUT.as_secs(),
                    options.timeout
                ),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .build()
            .map_err(|e| RelayError::Configuration {
                detail: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            http,
            endpoint,
            credential,
            options,
        })
    }

    /// The hybrid connection this sender talks to.
    pub fn endpoint(&self) -> &RelayEndpoint {
        &self.endpoint
    }

    /// Sends one signed command and returns the agent's answer (executed or rejected).
    #[tracing::instrument(name = "relay.send", skip_all, fields(path = %self.endpoint.path(), command_id))]
    pub async fn send(&self, command: &SignedCommand) -> Result<AgentResponse, RelayError> {
        if let Some(id) = command.claimed_id() {
            tracing::Span::current().record("command_id", tracing::field::display(id));
        }
        let url = self
            .endpoint
            .http_url(COMMAND_PATH)
            .map_err(|e| RelayError::Configuration {
                detail: format!("cannot build the relay URL: {e}"),
            })?;
        let body = serde_json::to_vec(command).map_err(|e| RelayError::Configuration {
            detail: format!("cannot encode the command: {e}"),
        })?;
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(reqwest::header::ACCEPT, CONTENT_TYPE)
            .body(body);
        request = match &self.credential {
            RelayCredential::SharedAccessKey(key) => {
                let expires = chrono::Utc::now()
                    + chrono::Duration::from_std(self.options.sas_token_ttl)
                        .unwrap_or(chrono::Duration::minutes(5));
                let token = key.token(&self.endpoint.token_audience(), expires);
                request.header("ServiceBusAuthorization", token.expose())
            }
            RelayCredential::EntraId(source) => {
                let jwt = source.relay_token().await.map_err(|e| RelayError::Token {
                    detail: e.to_string(),
                })?;
                // The raw token, as the Relay SDK and its RBAC sample send it; the protocol
                // guide names no `Bearer` scheme for relay tokens.
                request.header(reqwest::header::AUTHORIZATION, jwt.expose_secret())
            }
        };
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let from_listener = response.headers().contains_key(reqwest::header::VIA);
        let reason = status.canonical_reason().unwrap_or("").to_string();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        tracing::debug!(status = status.as_u16(), from_listener, "relay answered");
        if from_listener || status.is_success() {
            return serde_json::from_slice::<AgentResponse>(&bytes).map_err(|e| {
                RelayError::AgentProtocol {
                    status: status.as_u16(),
                    detail: e.to_string(),
                }
            });
        }
        Err(self.service_error(status, reason))
    }

    fn service_error(&self, status: StatusCode, detail: String) -> RelayError {
        let path = self.endpoint.path().to_string();
        match status.as_u16() {
            502 | 503 => RelayError::NoListener {
                path,
                status: status.as_u16(),
            },
            504 => RelayError::Timeout {
                source_of_timeout: "relay answered 504".into(),
            },
            401 => RelayError::Unauthorized { detail },
            403 => RelayError::Forbidden { detail },
            404 => RelayError::HybridConnectionNotFound { path },
            code => RelayError::Service { status: code },
        }
    }

    fn transport_error(&self, error: reqwest::Error) -> RelayError {
        if error.is_timeout() {
            return RelayError::Timeout {
                source_of_timeout: format!("no answer within {} s", self.options.timeout.as_secs()),
            };
        }
        // Drop the URL from the message: it names the endpoint only, but keep errors uniform.
        let error = error.without_url();
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        RelayError::Unreachable {
            host: self.endpoint.namespace().to_string(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_tells_transient_from_configuration() {
        let sender = RelaySender::new(
            RelayEndpoint::new("ns.servicebus.windows.net", "hc").unwrap(),
            RelayCredential::SharedAccessKey(SasKey::new("k", SecretString::from("v"))),
            RelaySenderOptions::default(),
        )
        .unwrap();
        let transient = [502u16, 503, 504, 500];
        for code in transient {
            let e = sender.service_error(StatusCode::from_u16(code).unwrap(), String::new());
            assert!(e.is_transient(), "{code} should be transient: {e}");
        }
        for code in [401u16, 403, 404] {
            let e = sender.service_error(StatusCode::from_u16(code).unwrap(), String::new());
            assert!(!e.is_transient(), "{code} should be permanent: {e}");
        }
    }

    #[test]
    fn timeouts_beyond_the_relay_limit_are_refused() {
        let options = RelaySenderOptions {
            timeout: Duration::from_secs(90),
            ..Default::default()
        };
        let err = RelaySender::new(
            RelayEndpoint::new("ns.servicebus.windows.net", "hc").unwrap(),
            RelayCredential::SharedAccessKey(SasKey::new("k", SecretString::from("v"))),
            options,
        )
        .unwrap_err();
        assert!(matches!(err, RelayError::Configuration { .. }));
    }
}
