//! A token credential that asks a managed-identity endpoint over HTTP, with the App Service
//! protocol (`GET {IDENTITY_ENDPOINT}?resource=…&api-version=2019-08-01` with
//! `X-IDENTITY-HEADER`), as `azure_identity::ManagedIdentityCredential` does — but from an
//! endpoint and header given in code rather than read from the process environment, and
//! without caching, so tests can count token requests. For tests and local tools only.

use std::sync::atomic::{AtomicUsize, Ordering};

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::time::OffsetDateTime;

/// Fetches a token from the endpoint on every call.
#[derive(Debug)]
pub struct EndpointCredential {
    endpoint: String,
    header: String,
    http: reqwest::Client,
    calls: AtomicUsize,
}

impl EndpointCredential {
    /// A credential for the endpoint (`IDENTITY_ENDPOINT`) and its header secret
    /// (`IDENTITY_HEADER`). Fails only if no HTTP client can be built (no TLS backend).
    pub fn new(
        endpoint: impl Into<String>,
        header: impl Into<String>,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            endpoint: endpoint.into(),
            header: header.into(),
            http: reqwest::Client::builder().no_proxy().build()?,
            calls: AtomicUsize::new(0),
        })
    }

    /// How many tokens were asked for so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

fn credential_error(detail: impl std::fmt::Display) -> azure_core::Error {
    azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, detail.to_string())
}

#[async_trait::async_trait]
impl TokenCredential for EndpointCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let scope = scopes
            .first()
            .ok_or_else(|| credential_error("no scope requested"))?;
        let resource = scope.trim_end_matches("/.default");
        let rsp = self
            .http
            .get(&self.endpoint)
            .query(&[("resource", resource), ("api-version", "2019-08-01")])
            .header("X-IDENTITY-HEADER", &self.header)
            .send()
            .await
            .map_err(credential_error)?;
        let status = rsp.status();
        let body: serde_json::Value = rsp.json().await.map_err(credential_error)?;
        if !status.is_success() {
            return Err(credential_error(format!(
                "the identity endpoint answered {status}: {}",
                body["message"].as_str().unwrap_or("no message")
            )));
        }
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| credential_error("the answer has no access_token"))?;
        let expires_on = body["expires_on"]
            .as_str()
            .and_then(|s| s.parse::<i64>().ok())
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .ok_or_else(|| credential_error("the answer has no valid expires_on"))?;
        Ok(AccessToken::new(Secret::new(token.to_owned()), expires_on))
    }
}
