//! Signs the stand-in's tokens and publishes the key that checks them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{ClientApp, EntraConfig, EntraError, Person};

/// The throw-away private key (public on purpose: see `KEY-README.md`).
const KEY_PEM: &str = include_str!("test_key.pem");
/// Its modulus, base64url, as the keys document publishes it.
const KEY_N: &str = include_str!("test_key.n.txt");
/// Its public exponent (65537).
const KEY_E: &str = "AQAB";
/// Lifetime of every token, as Entra's default for access and ID tokens (60–90 minutes).
const LIFETIME_SECONDS: i64 = 3600;

/// Signs tokens for one tenant and one app registration.
pub struct Signer {
    key: EncodingKey,
    kid: String,
    issuer: String,
    tenant_id: String,
    app_client_id: String,
}

impl Signer {
    pub(crate) fn new(authority_host: &str, config: &EntraConfig) -> Result<Self, EntraError> {
        let key = EncodingKey::from_rsa_pem(KEY_PEM.as_bytes())
            .map_err(|e| EntraError::Key(e.to_string()))?;
        // Entra names a key by its certificate's thumbprint; a digest of the modulus is as stable.
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(KEY_N.trim().as_bytes()))[..27].to_owned();
        Ok(Self {
            key,
            kid,
            issuer: format!("{authority_host}/{}/v2.0", config.tenant_id),
            tenant_id: config.tenant_id.clone(),
            app_client_id: config.app_client_id.clone(),
        })
    }

    /// The issuer (`iss`) of every token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The keys document (`jwks_uri`).
    pub fn keys_document(&self) -> Value {
        json!({"keys": [{
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "n": KEY_N.trim(),
            "e": KEY_E,
        }]})
    }

    /// Signs `claims` as they are (RS256, the published `kid`): for tests that need a token
    /// Entra would never issue (expired, another audience, another tenant).
    pub fn sign(&self, claims: &Value) -> Result<String, EntraError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| EntraError::Key(e.to_string()))
    }

    /// The claims every v2.0 token of this tenant carries, issued now for offboard's app.
    pub fn base_claims(&self, object_id: &str) -> Value {
        let now = Utc::now().timestamp();
        json!({
            "aud": self.app_client_id,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + LIFETIME_SECONDS,
            "oid": object_id,
            // v2.0 `sub` is pairwise: unique to the person and this app.
            "sub": URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{object_id}|{}", self.app_client_id))),
            "tid": self.tenant_id,
            "uti": uuid::Uuid::new_v4().simple().to_string(),
            "ver": "2.0",
        })
    }

    fn person_claims(&self, person: &Person, roles: &[&str]) -> Value {
        let mut claims = self.base_claims(&person.object_id);
        claims["name"] = json!(person.display_name);
        claims["preferred_username"] = json!(person.user_principal_name);
        if !roles.is_empty() {
            claims["roles"] = json!(roles);
        }
        claims
    }

    /// The ID token the sign-in page returns for `person` holding `roles`, bound to `nonce`.
    pub fn id_token(
        &self,
        person: &Person,
        roles: &[&str],
        nonce: &str,
    ) -> Result<String, EntraError> {
        let mut claims = self.person_claims(person, roles);
        claims["nonce"] = json!(nonce);
        self.sign(&claims)
    }

    /// A delegated access token for offboard's API.
    pub fn user_access_token(&self, person: &Person, roles: &[&str]) -> Result<String, EntraError> {
        let mut claims = self.person_claims(person, roles);
        claims["azp"] = json!(self.app_client_id);
        claims["scp"] = json!("access_as_user");
        self.sign(&claims)
    }

    /// An app-only access token for `client` (client credentials): no `scp`, no
    /// `preferred_username`, `idtyp` `app` (the optional claim offboard's registration asks for).
    pub fn app_access_token(&self, client: &ClientApp) -> Result<String, EntraError> {
        let mut claims = self.base_claims(&client.object_id);
        claims["azp"] = json!(client.client_id);
        claims["idtyp"] = json!("app");
        if !client.roles.is_empty() {
            claims["roles"] = json!(client.roles);
        }
        self.sign(&claims)
    }
}
