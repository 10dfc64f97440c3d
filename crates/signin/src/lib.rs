//! Who is calling offboard's human-facing API, and what they may do.
//!
//! People sign in with Entra ID; applications (GRC tools pulling reports) present Entra ID
//! access tokens of their own. Either way offboard checks the token itself against the tenant's
//! published keys ([`TokenValidator`]) and reads offboard's app roles from it ([`Role`]); a
//! signed-in browser then holds a session cookie offboard signs ([`SessionKey`]). Why the
//! handler checks tokens instead of relying on App Service Authentication is written in
//! ARCHITECTURE.md ("Sign-in").

#![warn(missing_docs)]

mod keys;
mod principal;
mod session;
mod validate;

pub use principal::{Principal, PrincipalKind, Role};
pub use session::{PENDING_COOKIE, PendingSignIn, SESSION_COOKIE, Session, SessionKey};
pub use validate::{SigninSettings, TokenUse, TokenValidator};

/// Why a caller was not let in. No variant ever holds the token or the session's content.
#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    /// The token is not a JWT.
    #[error("the token is not a JWT offboard can read: {0}")]
    Malformed(String),
    /// The token is signed with an algorithm Entra ID does not use for it.
    #[error("the token is signed with {0}; offboard accepts only RS256 tokens from Entra ID")]
    Algorithm(String),
    /// The token names a key the tenant does not publish.
    #[error("the token's signing key `{0}` is not among the tenant's published keys")]
    UnknownKey(String),
    /// Signature, lifetime, issuer, audience, tenant or nonce do not hold.
    #[error("the token was refused: {0}")]
    Invalid(String),
    /// The tenant's keys could not be read: nobody can be let in until they can.
    #[error(
        "could not read the tenant's signing keys from {url}: {detail}; check the sign-in authority setting and outbound access"
    )]
    KeysUnavailable {
        /// The document that could not be read.
        url: String,
        /// Why.
        detail: String,
    },
    /// The session cookie is not one offboard signed, or has ended.
    #[error("the session was refused: {0}")]
    Session(String),
    /// The session key setting is unusable.
    #[error("the session key {0}")]
    SessionKey(String),
}

impl SigninError {
    /// Whether the fault is offboard's or its authority's (503), not the caller's (401).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::KeysUnavailable { .. } | Self::SessionKey(_))
    }
}
