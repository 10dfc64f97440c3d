//! The session of a signed-in browser: who signed in, until when, and the anti-forgery token
//! its forms must echo, in a cookie offboard signs (HMAC-SHA256) so it needs no session store.
//! The cookie is not encrypted: it holds only what the person's own ID token said.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{Principal, SigninError};

/// The cookie's name. `__Host-` makes the browser refuse it unless it is `Secure`, has
/// `Path=/` and no `Domain` (RFC 6265bis), so no other site on the domain can set it.
pub const SESSION_COOKIE: &str = "__Host-offboard-session";

/// The cookie that carries a sign-in in progress (nonce, state, where to go back) from the
/// redirect to Entra ID to the `form_post` callback. It must be `SameSite=None`: the callback
/// is a cross-site POST from the authority.
pub const PENDING_COOKIE: &str = "__Host-offboard-signin";

/// Fewest bytes of key material accepted.
const MIN_KEY_BYTES: usize = 32;

/// A signed-in browser's session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Who signed in.
    pub principal: Principal,
    /// When the session ends (the ID token's lifetime, at most).
    pub expires_at: DateTime<Utc>,
    /// The anti-forgery token every state-changing form must carry.
    pub csrf: String,
}

impl Session {
    /// A session for `principal` until `expires_at`, with a fresh anti-forgery token.
    pub fn new(principal: Principal, expires_at: DateTime<Utc>) -> Self {
        Self {
            principal,
            expires_at,
            csrf: random_token(),
        }
    }
}

/// A sign-in on its way through Entra ID: what the callback must find again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingSignIn {
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The state Entra ID must send back (binds the callback to this browser: login CSRF).
    pub state: String,
    /// The path to return to after sign-in (relative, checked when it was asked for).
    pub return_to: String,
    /// When the sign-in attempt lapses.
    pub expires_at: DateTime<Utc>,
}

impl PendingSignIn {
    /// A new attempt with a fresh nonce and state, lapsing after ten minutes.
    pub fn new(return_to: String, now: DateTime<Utc>) -> Self {
        Self {
            nonce: random_token(),
            state: random_token(),
            return_to,
            expires_at: now + chrono::Duration::minutes(10),
        }
    }
}

impl PendingSignIn {
    /// Whether `state` is this attempt's (constant time: it guards against login forgery).
    pub fn state_matches(&self, state: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        self.state.len() == state.len() && bool::from(self.state.as_bytes().ct_eq(state.as_bytes()))
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The key that signs session cookies (a Key Vault secret in Azure).
pub struct SessionKey(SecretBox<Vec<u8>>);

impl SessionKey {
    /// The key from its setting: base64 (standard or URL-safe) of at least 32 random bytes.
    pub fn from_secret(secret: &SecretString) -> Result<Self, SigninError> {
        let text = secret.expose_secret().trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| SigninError::SessionKey("is not base64".into()))?;
        if bytes.len() < MIN_KEY_BYTES {
            return Err(SigninError::SessionKey(format!(
                "holds {} bytes; give at least {MIN_KEY_BYTES} random bytes (openssl rand -base64 32)",
                bytes.len()
            )));
        }
        Ok(Self(SecretBox::new(Box::new(bytes))))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length; this cannot fail.
        <Hmac<Sha256> as hmac::Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
    }

    /// The cookie value: the session, then its signature.
    pub fn seal(&self, session: &Session) -> String {
        self.sign(SESSION_COOKIE, session)
    }

    /// The cookie value of a sign-in in progress.
    pub fn seal_pending(&self, pending: &PendingSignIn) -> String {
        self.sign(PENDING_COOKIE, pending)
    }

    /// The session a cookie value holds, if offboard signed it and it has not ended.
    pub fn open(&self, cookie: &str, now: DateTime<Utc>) -> Result<Session, SigninError> {
        let session: Session = self.verify(SESSION_COOKIE, cookie)?;
        if session.expires_at <= now {
            return Err(SigninError::Session("it has ended: sign in again".into()));
        }
        Ok(session)
    }

    /// The sign-in in progress a cookie value holds, if offboard signed it and it has not lapsed.
    pub fn open_pending(
        &self,
        cookie: &str,
        now: DateTime<Utc>,
    ) -> Result<PendingSignIn, SigninError> {
        let pending: PendingSignIn = self.verify(PENDING_COOKIE, cookie)?;
        if pending.expires_at <= now {
            return Err(SigninError::Session(
                "the sign-in took too long: start it again".into(),
            ));
        }
        Ok(pending)
    }

    fn sign<T: Serialize>(&self, purpose: &str, value: &T) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default());
        let mut mac = self.mac();
        // The cookie's name is signed with it, so one kind of cookie never opens as the other.
        mac.update(purpose.as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{tag}")
    }

    fn verify<T: serde::de::DeserializeOwned>(
        &self,
        purpose: &str,
        cookie: &str,
    ) -> Result<T, SigninError> {
        let refused = |why: &str| SigninError::Session(why.to_owned());
        let (body, tag) = cookie.split_once('.').ok_or_else(|| refused("malformed"))?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| refused("malformed"))?;
        let mut mac = self.mac();
        // The cookie's name is signed with it, so one kind of cookie never opens as the other.
        mac.update(purpose.as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        // Constant-time comparison of the signature.
        mac.verify_slice(&tag)
            .map_err(|_| refused("its signature does not match"))?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| refused("malformed"))?;
        serde_json::from_slice(&json).map_err(|_| refused("malformed"))
    }
}
