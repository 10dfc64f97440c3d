//! The tenant's signing keys: read from its OpenID configuration and keys document, kept, and
//! read again when a token names a key not seen yet (Entra rolls its keys without notice).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;

use crate::SigninError;

/// How often an unknown `kid` may make offboard read the keys again: enough to pick up a
/// rolled key at once, not enough for forged tokens to make it hammer the endpoint.
const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(300);
/// Until a first read succeeds, a failed one is tried again sooner: with no keys at all, every
/// sign-in fails.
const RETRY_FIRST_READ_AFTER: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct OpenIdConfiguration {
    issuer: String,
    jwks_uri: String,
}

/// The keys and the issuer the tenant's OpenID configuration names.
pub(crate) struct KeyCache {
    issuer: Option<String>,
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

impl KeyCache {
    pub(crate) fn empty() -> Self {
        Self {
            issuer: None,
            keys: HashMap::new(),
            fetched_at: None,
        }
    }

    /// The key named `kid`, if known.
    pub(crate) fn key(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys.get(kid)
    }

    /// The issuer the configuration document names.
    pub(crate) fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// Whether reading the keys again is allowed now.
    pub(crate) fn may_refresh(&self, now: Instant) -> bool {
        let wait = if self.keys.is_empty() {
            RETRY_FIRST_READ_AFTER
        } else {
            REFRESH_AT_MOST_EVERY
        };
        self.fetched_at
            .is_none_or(|at| now.duration_since(at) >= wait)
    }

    /// Reads the configuration document at `configuration_url`, then its keys document.
    pub(crate) async fn refresh(
        &mut self,
        http: &reqwest::Client,
        configuration_url: &str,
        now: Instant,
    ) -> Result<(), SigninError> {
        // Counted as a read even when it fails, so an outage is not retried per request.
        self.fetched_at = Some(now);
        let config: OpenIdConfiguration = get_json(http, configuration_url).await?;
        let set: JwkSet = get_json(http, &config.jwks_uri).await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Ok(key)) = (&jwk.common.key_id, DecodingKey::from_jwk(jwk)) else {
                // A key offboard cannot use (no kid, another key type) verifies nothing.
                continue;
            };
            keys.insert(kid.clone(), key);
        }
        tracing::info!(keys = keys.len(), issuer = %config.issuer, "read the tenant's signing keys");
        self.issuer = Some(config.issuer);
        self.keys = keys;
        Ok(())
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, SigninError> {
    let unavailable = |detail: String| SigninError::KeysUnavailable {
        url: url.to_owned(),
        detail,
    };
    let resp = http
        .get(url)
        .send()
        .await
        .map_err(|e| unavailable(e.without_url().to_string()))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(unavailable(format!("HTTP {status}")));
    }
    resp.json::<T>()
        .await
        .map_err(|e| unavailable(format!("not the document expected: {}", e.without_url())))
}
