//! Checking a token as a resource server does: signature, audience, lifetime, and the
//! application permissions it carries.

use std::sync::atomic::Ordering;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::*;

/// A token that passed validation: who called and with which application permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedToken {
    /// Client id of the caller (`appid`).
    pub app_id: String,
    /// Object id of the caller's service principal (`oid`).
    pub object_id: String,
    /// Tenant id (`tid`).
    pub tenant_id: String,
    /// Audience as in the token.
    pub audience: String,
    /// Application permissions on this audience.
    pub roles: Vec<String>,
    /// Expiry (epoch seconds).
    pub expires_at: i64,
}

impl ValidatedToken {
    /// Whether the token carries `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Why a resource server refuses a bearer token. Each has the message Entra-protected services
/// give, so a client sees what a real 401 would tell it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    /// No `Authorization: Bearer` header.
    #[error("Access token is empty.")]
    Missing,
    /// Not a JWT of this issuer, or unreadable.
    #[error("IDX14100: JWT is not well formed.")]
    Malformed,
    /// The signature does not verify.
    #[error("Access token validation failure. Invalid signature.")]
    BadSignature,
    /// Issued by another authority.
    #[error("Access token validation failure. Invalid issuer.")]
    WrongIssuer,
    /// For another resource.
    #[error("Access token validation failure. Invalid audience.")]
    WrongAudience,
    /// `exp` has passed (or the token was expired by the test).
    #[error("Lifetime validation failed, the token is expired.")]
    Expired,
    /// `nbf` is in the future.
    #[error("Lifetime validation failed, the token is not yet valid.")]
    NotYetValid,
}

/// Verifies tokens of one [`TokenIssuer`] for one resource server.
#[derive(Clone, Debug)]
pub struct TokenValidator {
    pub(crate) issuer: TokenIssuer,
    pub(crate) leeway_secs: i64,
}

impl TokenValidator {
    /// Allows clock skew of `secs` seconds on `exp`/`nbf` (Entra services allow about 5 minutes;
    /// the default here is 0 so tests of expiry are exact).
    pub fn with_leeway(mut self, secs: u32) -> Self {
        self.leeway_secs = i64::from(secs);
        self
    }

    /// Checks an `Authorization` header value (`Bearer <jwt>`) for `resource`.
    pub fn verify_header(
        &self,
        authorization: Option<&str>,
        resource: &str,
    ) -> Result<ValidatedToken, TokenRejection> {
        let token = authorization
            .and_then(|h| {
                let (scheme, rest) = h.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(TokenRejection::Missing)?;
        self.verify(token, resource)
    }

    /// Checks a raw JWT: signature, issuer, audience (trailing slash ignored), `nbf`/`exp`.
    pub fn verify(&self, token: &str, resource: &str) -> Result<ValidatedToken, TokenRejection> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let key = DecodingKey::from_secret(&self.issuer.inner.signing_key);
        let data = jsonwebtoken::decode::<AccessTokenClaims>(token, &key, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenRejection::BadSignature,
                _ => TokenRejection::Malformed,
            },
        )?;
        let claims = data.claims;
        if claims.iss != self.issuer.issuer_url() {
            return Err(TokenRejection::WrongIssuer);
        }
        if normalize_resource(&claims.aud) != normalize_resource(resource) {
            return Err(TokenRejection::WrongAudience);
        }
        let now = Utc::now().timestamp();
        if claims.nbf > now + self.leeway_secs {
            return Err(TokenRejection::NotYetValid);
        }
        if claims.exp <= now - self.leeway_secs {
            return Err(TokenRejection::Expired);
        }
        let serial = URL_SAFE_NO_PAD
            .decode(&claims.uti)
            .ok()
            .and_then(|b| b.get(..8).and_then(|s| <[u8; 8]>::try_from(s).ok()))
            .map(u64::from_be_bytes)
            .ok_or(TokenRejection::Malformed)?;
        if serial <= self.issuer.inner.expired_through.load(Ordering::SeqCst) {
            return Err(TokenRejection::Expired);
        }
        Ok(ValidatedToken {
            app_id: claims.appid,
            object_id: claims.oid,
            tenant_id: claims.tid,
            audience: claims.aud,
            roles: claims.roles,
            expires_at: claims.exp,
        })
    }
}
