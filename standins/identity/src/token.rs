//! The token's wire types: the claims of an access token, the endpoint's answer, which
//! identity a request names, why a request is refused, and what a test mints directly.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use warp::http::StatusCode;

/// The claims of an access token issued by this stand-in (Entra ID v1 app-only shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Audience: the resource the token was requested for, as requested.
    pub aud: String,
    /// Issuer: `https://sts.windows.net/{tenant}/`.
    pub iss: String,
    /// Issued at (epoch seconds).
    pub iat: i64,
    /// Not before (epoch seconds).
    pub nbf: i64,
    /// Expires (epoch seconds).
    pub exp: i64,
    /// Identity provider; for app-only tokens the same as `iss`.
    pub idp: String,
    /// Client id of the calling identity (v1 claim).
    pub appid: String,
    /// Client id of the calling identity (v2 claim name, included for clients that read it).
    pub azp: String,
    /// `2` = the client authenticated with a certificate or managed identity.
    pub appidacr: String,
    /// Object id of the calling service principal.
    pub oid: String,
    /// Subject: the same as `oid` for app-only tokens.
    pub sub: String,
    /// Tenant id.
    pub tid: String,
    /// Unique token id (opaque to clients).
    pub uti: String,
    /// Token version.
    pub ver: String,
    /// Application permissions on `aud`; absent when there are none, as in real tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// What the token endpoint returns on success (field names and types as App Service documents).
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// Client id of the identity the token is for.
    pub client_id: String,
    /// Expiry as a string of epoch seconds.
    pub expires_on: String,
    /// Start of validity as a string of epoch seconds.
    pub not_before: String,
    /// The resource as requested.
    pub resource: String,
    /// Always `Bearer`.
    pub token_type: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("client_id", &self.client_id)
            .field("expires_on", &self.expires_on)
            .field("not_before", &self.not_before)
            .field("resource", &self.resource)
            .field("token_type", &self.token_type)
            .finish()
    }
}

/// Which identity a token request asks for (the mutually exclusive query selectors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentitySelector {
    /// No selector: the system-assigned identity.
    SystemAssigned,
    /// `client_id=`.
    ClientId(String),
    /// `principal_id=` or its alias `object_id=`.
    ObjectId(String),
    /// `mi_res_id=` (ARM resource id of a user-assigned identity).
    ResourceId(String),
}

/// Why the endpoint refused a token request; each maps to the status App Service answers with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The `X-IDENTITY-HEADER` header is missing or wrong (401).
    #[error("the X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER")]
    BadSecret,
    /// A required query parameter is missing or invalid (400).
    #[error("{0}")]
    BadRequest(String),
    /// The selected identity is not assigned to this app (400, App Service's wording).
    #[error("Unable to load the proper Managed Identity.")]
    UnknownIdentity,
}

impl IssueError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            IssueError::BadSecret => StatusCode::UNAUTHORIZED,
            IssueError::BadRequest(_) | IssueError::UnknownIdentity => StatusCode::BAD_REQUEST,
        }
    }
}

/// Lets a test shape a token by hand (wrong audience, already expired, missing roles…) to check
/// how a resource server refuses it.
#[derive(Clone, Debug)]
pub struct TokenSpec {
    /// Which identity the token is for.
    pub identity: IdentitySelector,
    /// The audience.
    pub resource: String,
    /// Roles to put in the token instead of the configured ones.
    pub roles: Option<Vec<String>>,
    /// Shift of `iat`/`nbf`/`exp` from now, in seconds (negative = in the past).
    pub shift_secs: i64,
    /// Lifetime instead of the configured one.
    pub lifetime: Option<Duration>,
}
