//! Checks an Entra ID v2.0 token the way Microsoft's token validation guidance asks: signed
//! RS256 by a key the tenant publishes, issued by the tenant, for offboard's app, within its
//! lifetime (five minutes of clock skew), and — for an ID token — bound to the sign-in's nonce.

use std::collections::BTreeSet;
use std::time::Instant;

use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::keys::KeyCache;
use crate::{Principal, PrincipalKind, Role, SigninError};

/// Clock skew tolerated on `exp` and `nbf`, as Microsoft's libraries default to.
const LEEWAY_SECONDS: u64 = 300;

/// Where offboard's people sign in, and which app they sign in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninSettings {
    /// `https://login.microsoftonline.com` (or a national cloud's, or the local stand-in's).
    pub authority_host: String,
    /// The directory people belong to: tokens of any other tenant are refused.
    pub tenant_id: String,
    /// offboard's app registration (the audience of the tokens it accepts).
    pub client_id: String,
}

impl SigninSettings {
    /// The issuer every accepted token names.
    pub fn issuer(&self) -> String {
        format!(
            "{}/{}/v2.0",
            self.authority_host.trim_end_matches('/'),
            self.tenant_id
        )
    }

    /// The tenant's OpenID configuration document.
    pub fn configuration_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }
}

/// Which token is being checked.
#[derive(Debug, Clone, Copy)]
pub enum TokenUse<'a> {
    /// An access token for offboard's API (`Authorization: Bearer`).
    Access,
    /// The ID token of a browser sign-in, which must carry this nonce.
    Id {
        /// The nonce offboard sent with the sign-in request.
        nonce: &'a str,
    },
}

#[derive(Deserialize)]
struct Claims {
    oid: Option<String>,
    tid: Option<String>,
    ver: Option<String>,
    name: Option<String>,
    preferred_username: Option<String>,
    azp: Option<String>,
    scp: Option<String>,
    idtyp: Option<String>,
    nonce: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

/// Why `jsonwebtoken` refused a token, in words an operator can act on.
fn refusal(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "it has expired: get a new one".into(),
        ErrorKind::ImmatureSignature => "it is not valid yet (nbf): check the clocks".into(),
        ErrorKind::InvalidAudience => {
            "it is for another application (aud), not offboard's app registration".into()
        }
        ErrorKind::InvalidIssuer => "it was issued by another authority or tenant (iss)".into(),
        ErrorKind::InvalidSignature => "its signature does not match the tenant's key".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("it lacks the `{claim}` claim"),
        _ => format!("it cannot be read ({e})"),
    }
}

/// Checks tokens against the tenant's published keys, which it reads once and keeps.
pub struct TokenValidator {
    settings: SigninSettings,
    http: reqwest::Client,
    keys: RwLock<KeyCache>,
}

impl TokenValidator {
    /// A validator for `settings`; the keys are read on first use.
    pub fn new(settings: SigninSettings, http: reqwest::Client) -> Self {
        Self {
            settings,
            http,
            keys: RwLock::new(KeyCache::empty()),
        }
    }

    /// A validator with its own HTTP client (10 s to read the keys, no proxy from the
    /// environment's defaults beyond reqwest's).
    pub fn for_settings(settings: SigninSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self::new(settings, http)
    }

    /// The settings it checks against.
    pub fn settings(&self) -> &SigninSettings {
        &self.settings
    }

    /// Checks `token` and says who it names. The error never quotes the token.
    pub async fn validate(
        &self,
        token: &str,
        usage: TokenUse<'_>,
    ) -> Result<Principal, SigninError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| SigninError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(SigninError::Algorithm(format!("{:?}", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| SigninError::Malformed("the token names no signing key (kid)".into()))?;
        self.ensure_key(&kid).await?;
        let keys = self.keys.read().await;
        let key = keys
            .key(&kid)
            .ok_or_else(|| SigninError::UnknownKey(kid.clone()))?;
        let expected_issuer = self.settings.issuer();
        if keys.issuer() != Some(expected_issuer.as_str()) {
            return Err(SigninError::KeysUnavailable {
                url: self.settings.configuration_url(),
                detail: format!(
                    "the configuration names issuer {:?}, not {expected_issuer}",
                    keys.issuer()
                ),
            });
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
        validation.set_issuer(&[&expected_issuer]);
        validation.set_audience(&[
            self.settings.client_id.clone(),
            format!("api://{}", self.settings.client_id),
        ]);
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|e| SigninError::Invalid(refusal(&e)))?
            .claims;
        drop(keys);
        self.principal(claims, usage)
    }

    fn principal(&self, c: Claims, usage: TokenUse<'_>) -> Result<Principal, SigninError> {
        if c.ver.as_deref() != Some("2.0") {
            return Err(SigninError::Invalid(
                "not a v2.0 token: offboard's app registration must set accessTokenAcceptedVersion to 2".into(),
            ));
        }
        if c.tid.as_deref() != Some(self.settings.tenant_id.as_str()) {
            return Err(SigninError::Invalid(
                "the token is from another tenant".into(),
            ));
        }
        let object_id = c
            .oid
            .ok_or_else(|| SigninError::Invalid("the token names no object id (oid)".into()))?;
        if let TokenUse::Id { nonce } = usage
            && c.nonce.as_deref() != Some(nonce)
        {
            return Err(SigninError::Invalid(
                "the ID token's nonce is not this sign-in's: start the sign-in again".into(),
            ));
        }
        // App-only tokens carry no `scp`; offboard's registration also asks for `idtyp`.
        let kind = if c.scp.is_some() || matches!(usage, TokenUse::Id { .. }) {
            PrincipalKind::Person
        } else if c.idtyp.as_deref() == Some("app") || c.preferred_username.is_none() {
            PrincipalKind::Application
        } else {
            PrincipalKind::Person
        };
        let roles: BTreeSet<Role> = c.roles.iter().filter_map(|r| Role::from_value(r)).collect();
        Ok(Principal {
            object_id,
            tenant_id: self.settings.tenant_id.clone(),
            kind,
            user_principal_name: c
                .preferred_username
                .filter(|_| kind == PrincipalKind::Person),
            display_name: c.name,
            app_id: c.azp,
            roles,
        })
    }

    /// Makes sure the key `kid` is known, reading the keys again if it is not and the last
    /// read is old enough.
    async fn ensure_key(&self, kid: &str) -> Result<(), SigninError> {
        if self.keys.read().await.key(kid).is_some() {
            return Ok(());
        }
        let mut keys = self.keys.write().await;
        let now = Instant::now();
        if keys.key(kid).is_none() && keys.may_refresh(now) {
            keys.refresh(&self.http, &self.settings.configuration_url(), now)
                .await?;
        }
        Ok(())
    }
}
