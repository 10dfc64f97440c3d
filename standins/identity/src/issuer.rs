//! What the issuer does: builds itself from the configuration, issues and mints tokens for
//! the configured identities, changes roles and lifetimes for tests, and serves the token
//! endpoint (`GET /msi/token`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore as _;
use warp::Filter as _;

use crate::*;

impl TokenIssuer {
    /// Builds an issuer with a fresh random signing key and (unless configured) header secret.
    pub fn new(config: IdentityConfig) -> Result<Self, IdentityError> {
        let mut identities = Vec::new();
        if let Some(system) = config.system_assigned {
            identities.push((true, system));
        }
        identities.extend(config.user_assigned.into_iter().map(|u| (false, u)));
        for (i, (_, a)) in identities.iter().enumerate() {
            if a.client_id.is_empty() || a.object_id.is_empty() {
                return Err(IdentityError::Config(format!(
                    "identity '{}' needs both a client id and an object id",
                    a.display_name
                )));
            }
            if identities[..i]
                .iter()
                .any(|(_, b)| b.client_id.eq_ignore_ascii_case(&a.client_id))
            {
                return Err(IdentityError::Config(format!(
                    "client id {} is used by two identities",
                    a.client_id
                )));
            }
        }
        let mut signing_key = [0u8; 32];
        rand::rng().fill_bytes(&mut signing_key);
        Ok(Self {
            inner: Arc::new(IssuerInner {
                tenant_id: config.tenant_id,
                header_secret: config
                    .header_secret
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                signing_key,
                state: RwLock::new(IssuerState {
                    identities,
                    token_lifetime: config.token_lifetime,
                }),
                serial: AtomicU64::new(0),
                expired_through: AtomicU64::new(0),
                issued_per_resource: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The tenant id in every token.
    pub fn tenant_id(&self) -> &str {
        &self.inner.tenant_id
    }

    /// The issuer URL in every token: `https://sts.windows.net/{tenant}/`.
    pub fn issuer_url(&self) -> String {
        format!("https://sts.windows.net/{}/", self.inner.tenant_id)
    }

    /// The value a client must send in `X-IDENTITY-HEADER` (what `IDENTITY_HEADER` holds).
    pub fn header_secret(&self) -> &str {
        &self.inner.header_secret
    }

    /// Total number of tokens issued through the endpoint (not counting [`Self::mint`]).
    pub fn tokens_issued(&self) -> u64 {
        lock(&self.inner.issued_per_resource).values().sum()
    }

    /// Number of tokens issued through the endpoint for one resource (trailing slash ignored).
    pub fn tokens_issued_for(&self, resource: &str) -> u64 {
        lock(&self.inner.issued_per_resource)
            .get(&normalize_resource(resource))
            .copied()
            .unwrap_or(0)
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        write(&self.inner.state).token_lifetime = lifetime;
    }

    /// Replaces the roles an identity (by client id) holds on `resource`, as granting or revoking
    /// app role assignments would. Takes effect for tokens issued afterwards, like in Entra ID
    /// (where the managed-identity cache can delay it by hours). Returns false for an unknown id.
    pub fn set_roles(&self, client_id: &str, resource: &str, roles: Vec<String>) -> bool {
        let mut state = write(&self.inner.state);
        let Some((_, identity)) = state
            .identities
            .iter_mut()
            .find(|(_, i)| i.client_id.eq_ignore_ascii_case(client_id))
        else {
            return false;
        };
        let wanted = normalize_resource(resource);
        identity
            .grants
            .retain(|g| normalize_resource(&g.resource) != wanted);
        identity.grants.push(ResourceGrant {
            resource: resource.to_owned(),
            roles,
        });
        true
    }

    /// The identities this issuer knows, system-assigned first.
    pub fn identities(&self) -> Vec<ManagedIdentity> {
        read(&self.inner.state)
            .identities
            .iter()
            .map(|(_, i)| i.clone())
            .collect()
    }

    /// Makes every token issued so far count as expired for [`TokenValidator`]s of this issuer,
    /// as if their lifetime had run out; tokens issued afterwards are valid. Tests use it to
    /// drive a client through "401 token expired → fetch a fresh token → retry".
    pub fn expire_issued_tokens(&self) {
        let current = self.inner.serial.load(Ordering::SeqCst);
        self.inner
            .expired_through
            .fetch_max(current, Ordering::SeqCst);
    }

    /// A validator that verifies tokens of this issuer.
    pub fn validator(&self) -> TokenValidator {
        TokenValidator {
            issuer: self.clone(),
            leeway_secs: 0,
        }
    }

    /// Answers one token request as the endpoint does, after the secret header has been checked.
    pub fn issue(
        &self,
        resource: &str,
        selector: &IdentitySelector,
    ) -> Result<TokenResponse, IssueError> {
        if resource.trim().is_empty() {
            return Err(IssueError::BadRequest(
                "The 'resource' query parameter is required.".to_owned(),
            ));
        }
        let identity = self.find(selector)?;
        let lifetime = read(&self.inner.state).token_lifetime;
        let (token, claims) = self.sign(&identity, resource, None, 0, lifetime);
        *lock(&self.inner.issued_per_resource)
            .entry(normalize_resource(resource))
            .or_insert(0) += 1;
        tracing::debug!(
            resource,
            client_id = %identity.client_id,
            roles = claims.roles.len(),
            expires_on = claims.exp,
            "issued managed-identity token"
        );
        Ok(TokenResponse {
            access_token: token,
            client_id: identity.client_id,
            expires_on: claims.exp.to_string(),
            not_before: claims.nbf.to_string(),
            resource: resource.to_owned(),
            token_type: "Bearer".to_owned(),
        })
    }

    /// Signs a token shaped by a test (not counted in [`Self::tokens_issued`]).
    pub fn mint(&self, spec: &TokenSpec) -> Result<String, IssueError> {
        let identity = self.find(&spec.identity)?;
        let lifetime = spec
            .lifetime
            .unwrap_or_else(|| read(&self.inner.state).token_lifetime);
        Ok(self
            .sign(
                &identity,
                &spec.resource,
                spec.roles.clone(),
                spec.shift_secs,
                lifetime,
            )
            .0)
    }

    fn find(&self, selector: &IdentitySelector) -> Result<ManagedIdentity, IssueError> {
        let state = read(&self.inner.state);
        let found = state.identities.iter().find(|(system, i)| match selector {
            IdentitySelector::SystemAssigned => *system,
            IdentitySelector::ClientId(id) => i.client_id.eq_ignore_ascii_case(id),
            IdentitySelector::ObjectId(id) => i.object_id.eq_ignore_ascii_case(id),
            IdentitySelector::ResourceId(id) => i
                .resource_id
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(id)),
        });
        found
            .map(|(_, i)| i.clone())
            .ok_or(IssueError::UnknownIdentity)
    }

    fn sign(
        &self,
        identity: &ManagedIdentity,
        resource: &str,
        roles: Option<Vec<String>>,
        shift_secs: i64,
        lifetime: Duration,
    ) -> (String, AccessTokenClaims) {
        let serial = self.inner.serial.fetch_add(1, Ordering::SeqCst) + 1;
        let mut uti = serial.to_be_bytes().to_vec();
        let mut noise = [0u8; 8];
        rand::rng().fill_bytes(&mut noise);
        uti.extend_from_slice(&noise);
        let now = Utc::now().timestamp() + shift_secs;
        let lifetime = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = AccessTokenClaims {
            aud: resource.to_owned(),
            iss: self.issuer_url(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(lifetime),
            idp: self.issuer_url(),
            appid: identity.client_id.clone(),
            azp: identity.client_id.clone(),
            appidacr: "2".to_owned(),
            oid: identity.object_id.clone(),
            sub: identity.object_id.clone(),
            tid: self.inner.tenant_id.clone(),
            uti: URL_SAFE_NO_PAD.encode(uti),
            ver: "1.0".to_owned(),
            roles: roles.unwrap_or_else(|| identity.roles_for(resource)),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("JWT".to_owned());
        header.kid = Some("standin-identity".to_owned());
        let key = EncodingKey::from_secret(&self.inner.signing_key);
        // Encoding HS256 over a serialisable struct with an in-memory key cannot fail; should
        // the library ever report an error, an empty token is issued and every validator
        // refuses it as malformed rather than the process panicking.
        let token = jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        (token, claims)
    }

    /// The warp filter for `GET /msi/token`, to mount on any server (the tenant simulator serves
    /// it next to Graph). It answers every request on that path itself, errors included.
    pub fn filter(
        &self,
    ) -> impl warp::Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone + use<>
    {
        let issuer = self.clone();
        warp::get()
            .and(warp::path!("msi" / "token"))
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(warp::header::optional::<String>(SECRET_HEADER))
            .map(move |query: String, secret: Option<String>| {
                issuer.answer(&query, secret.as_deref())
            })
    }

    fn answer(&self, query: &str, secret: Option<&str>) -> warp::reply::Response {
        use warp::Reply as _;
        let result = self.handle(query, secret);
        match result {
            Ok(body) => warp::reply::json(&body).into_response(),
            Err(err) => {
                tracing::info!(error = %err, "refused managed-identity token request");
                let status = err.status();
                let body = serde_json::json!({
                    "statusCode": status.as_u16(),
                    "message": err.to_string(),
                    "correlationId": uuid::Uuid::new_v4().to_string(),
                });
                warp::reply::with_status(warp::reply::json(&body), status).into_response()
            }
        }
    }

    fn handle(&self, query: &str, secret: Option<&str>) -> Result<TokenResponse, IssueError> {
        let matches = secret.is_some_and(|s| {
            s.len() == self.inner.header_secret.len()
                && s.bytes()
                    .zip(self.inner.header_secret.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if !matches {
            return Err(IssueError::BadSecret);
        }
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        match params.get("api-version").map(String::as_str) {
            Some(API_VERSION) => {}
            Some(other) => {
                return Err(IssueError::BadRequest(format!(
                    "api-version '{other}' is not supported; use {API_VERSION}"
                )));
            }
            None => {
                return Err(IssueError::BadRequest(
                    "The 'api-version' query parameter is required.".to_owned(),
                ));
            }
        }
        let resource = params.get("resource").cloned().unwrap_or_default();
        let mut selectors = Vec::new();
        if let Some(v) = params.get("client_id") {
            selectors.push(IdentitySelector::ClientId(v.clone()));
        }
        for key in ["principal_id", "object_id"] {
            if let Some(v) = params.get(key) {
                selectors.push(IdentitySelector::ObjectId(v.clone()));
            }
        }
        if let Some(v) = params.get("mi_res_id") {
            selectors.push(IdentitySelector::ResourceId(v.clone()));
        }
        let selector = match selectors.len() {
            0 => IdentitySelector::SystemAssigned,
            1 => selectors.remove(0),
            _ => {
                return Err(IssueError::BadRequest(
                    "Only one of client_id, principal_id, object_id and mi_res_id may be given."
                        .to_owned(),
                ));
            }
        };
        self.issue(&resource, &selector)
    }
}
