//! How offboard proves itself to a system: a static bearer token (what most SaaS SCIM
//! endpoints hand out: Salesforce, Slack, GitHub Enterprise, Zoom, Atlassian), or an OAuth 2.0
//! client-credentials grant (RFC 6749 §4.4) against the system's token endpoint, with the
//! access token kept until shortly before it expires.

use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use url::Url;

use crate::error::{ScimError, quote};

/// Renew an OAuth access token this long before the system says it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// The credential a connector presents.
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer(SecretString),
    /// OAuth 2.0 client credentials: the token endpoint, the client and its secret, and the
    /// scope to ask for (some systems need one, others refuse any).
    ClientCredentials {
        /// The token endpoint.
        token_url: Url,
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: SecretString,
        /// The scope, if the system wants one.
        scope: Option<String>,
    },
}

/// Never prints a secret.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::ClientCredentials {
                token_url,
                client_id,
                scope,
                ..
            } => f
                .debug_struct("ClientCredentials")
                .field("token_url", &token_url.as_str())
                .field("client_id", client_id)
                .field("scope", scope)
                .finish_non_exhaustive(),
        }
    }
}

/// A credential and, for client credentials, the access token last obtained.
pub(crate) struct Authenticator {
    credential: Credential,
    cached: Mutex<Option<(SecretString, Instant)>>,
}

impl Authenticator {
    pub(crate) fn new(credential: Credential) -> Self {
        Self {
            credential,
            cached: Mutex::new(None),
        }
    }

    /// The value of the `Authorization` header.
    pub(crate) async fn header(&self, http: &reqwest::Client) -> Result<SecretString, ScimError> {
        match &self.credential {
            Credential::Bearer(token) => Ok(format!("Bearer {}", token.expose_secret()).into()),
            Credential::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => {
                let mut cached = self.cached.lock().await;
                if let Some((token, until)) = cached.as_ref()
                    && Instant::now() < *until
                {
                    return Ok(format!("Bearer {}", token.expose_secret()).into());
                }
                let (token, lifetime) =
                    fetch_token(http, token_url, client_id, client_secret, scope.as_deref())
                        .await?;
                let header = format!("Bearer {}", token.expose_secret()).into();
                *cached = Some((
                    token,
                    Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN),
                ));
                Ok(header)
            }
        }
    }

    /// Forgets the cached access token (the system refused it: it may have been revoked).
    /// Returns whether asking again can help, i.e. whether a new token can be obtained.
    pub(crate) async fn forget(&self) -> bool {
        match self.credential {
            Credential::Bearer(_) => false,
            Credential::ClientCredentials { .. } => self.cached.lock().await.take().is_some(),
        }
    }
}

/// One client-credentials grant; the secret goes in the form body (RFC 6749 §2.3.1).
async fn fetch_token(
    http: &reqwest::Client,
    token_url: &Url,
    client_id: &str,
    client_secret: &SecretString,
    scope: Option<&str>,
) -> Result<(SecretString, Duration), ScimError> {
    #[derive(serde::Deserialize)]
    struct TokenAnswer {
        access_token: String,
        #[serde(default)]
        expires_in: Option<u64>,
    }
    // Built before the request so no encoder is held across an await (it is not Send).
    let form = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials")
            .append_pair("client_id", client_id)
            .append_pair("client_secret", client_secret.expose_secret());
        if let Some(scope) = scope {
            form.append_pair("scope", scope);
        }
        form.finish()
    };
    let response = http
        .post(token_url.clone())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(form)
        .send()
        .await
        .map_err(|e| ScimError::Transient {
            status: None,
            detail: format!("the token endpoint {token_url} did not answer: {e}"),
        })?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if status >= 500 || status == 429 {
        return Err(ScimError::Transient {
            status: Some(status),
            detail: format!("the token endpoint {token_url} failed"),
        });
    }
    if !(200..300).contains(&status) {
        // An OAuth error body (`error`, `error_description`) names the problem without
        // echoing the secret.
        let (_, detail) = quote(&body);
        return Err(ScimError::Unauthorized {
            status,
            detail: format!("the token endpoint {token_url} refused client {client_id}: {detail}"),
        });
    }
    let answer: TokenAnswer = serde_json::from_str(&body).map_err(|_| ScimError::Invalid {
        detail: format!("the token endpoint {token_url} answered without an access_token"),
    })?;
    Ok((
        answer.access_token.into(),
        Duration::from_secs(answer.expires_in.unwrap_or(3600)),
    ))
}
