//! Stand-in for the App Service managed-identity token endpoint (`IDENTITY_ENDPOINT` protocol).
//! Tests and demo only: never linked into the handler or the agent.
//!
//! On Azure Functions the platform gives the process two environment variables: `IDENTITY_ENDPOINT`
//! (a local URL) and `IDENTITY_HEADER` (a rotating secret that mitigates SSRF). A client asks for a
//! token with
//!
//! ```text
//! GET {IDENTITY_ENDPOINT}?resource=https://graph.microsoft.com&api-version=2019-08-01[&client_id=…|&principal_id=…|&object_id=…|&mi_res_id=…]
//! X-IDENTITY-HEADER: {IDENTITY_HEADER}
//! ```
//!
//! and gets `{"access_token", "client_id", "expires_on", "not_before", "resource", "token_type"}`
//! where `expires_on` and `not_before` are *strings* of epoch seconds
//! (learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference).
//! `azure_identity::ManagedIdentityCredential` speaks exactly this protocol when both variables are
//! set, so pointing them at this stand-in exercises the production code path.
//!
//! The access tokens are JWTs shaped like Entra ID v1 app-only tokens: `iss`
//! `https://sts.windows.net/{tenant}/`, `aud` the requested resource, `tid`, `oid`, `sub`, `appid`,
//! `azp`, `iat`/`nbf`/`exp`, `uti`, `ver` and `roles` — the application permissions the
//! configuration grants the identity *on that resource* (Graph roles for
//! `https://graph.microsoft.com`, `Exchange.ManageAsApp` for `https://outlook.office365.com`, none
//! for storage or Cosmos). They are signed with HS256 and a key generated per process, so a
//! [`TokenValidator`] can verify them while Azurite (which checks `iss`, `aud`, `nbf` and `exp` but
//! not the signature) accepts them as real ones.
//!
//! Three ways to use it:
//! - [`IdentityEndpoint::spawn`] starts a server of its own on 127.0.0.1 and returns an
//!   [`IdentityHandle`] with the values for `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`;
//! - [`TokenIssuer::filter`] gives the warp filter for `GET /msi/token`, so the tenant simulator can
//!   serve the same endpoint on its own port;
//! - [`TokenIssuer::validator`] gives the [`TokenValidator`] a resource server (the tenant
//!   simulator) uses to check signature, audience, lifetime and to read the roles.

#![warn(missing_docs)]

mod credential;
mod endpoint;
mod validate;
pub use credential::EndpointCredential;
pub use endpoint::{IdentityEndpoint, IdentityHandle};
pub use validate::{TokenRejection, TokenValidator, ValidatedToken};

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use warp::Filter as _;
use warp::http::StatusCode;

/// The only api-version of the App Service protocol this stand-in answers (the one
/// `azure_identity` 1.0 sends). The legacy 2017-09-01 protocol (`secret` header, `clientid`) is
/// refused with 400, as App Service does for an unknown version.
pub const API_VERSION: &str = "2019-08-01";

/// Path of the token endpoint, as on App Service (`http://localhost:42356/msi/token`).
pub const TOKEN_PATH: &str = "/msi/token";

/// Name of the request header that carries the `IDENTITY_HEADER` secret.
pub const SECRET_HEADER: &str = "x-identity-header";

/// Resource URI of Microsoft Graph.
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";
/// Resource URI of Exchange Online (the admin `InvokeCommand` API).
pub const EXCHANGE_RESOURCE: &str = "https://outlook.office365.com";
/// Resource URI of Azure Storage (blobs and queues; what Azurite's `--oauth basic` expects).
pub const STORAGE_RESOURCE: &str = "https://storage.azure.com";
/// Resource URI of Azure Cosmos DB.
pub const COSMOS_RESOURCE: &str = "https://cosmos.azure.com";

/// The tenant id the demo configuration uses (a fixed GUID so evidence in the demo is stable).
pub const DEMO_TENANT_ID: &str = "8f1e2d3c-4b5a-4697-a8b9-c0d1e2f3a4b5";
/// Client (application) id of the demo system-assigned identity.
pub const DEMO_CLIENT_ID: &str = "5d2c7a10-3e4f-4a8b-9c1d-2e3f4a5b6c7d";
/// Object (principal) id of the demo system-assigned identity's service principal.
pub const DEMO_OBJECT_ID: &str = "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d";

/// Errors of the stand-in itself (not protocol answers, which are HTTP statuses).
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The listening socket could not be bound; pick another port or free this one.
    #[error("could not bind the identity endpoint on {addr}: {source}; choose another port")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The configuration is inconsistent (for example two identities with one client id).
    #[error("invalid identity configuration: {0}")]
    Config(String),
}

/// Application roles a managed identity holds on one resource (one service principal), as app
/// role assignments on the identity's service principal would grant them in Entra ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceGrant {
    /// The resource URI the roles are on, e.g. `https://graph.microsoft.com` (a trailing slash
    /// is ignored when matching).
    pub resource: String,
    /// The app role values, e.g. `User.EnableDisableAccount.All` or `Exchange.ManageAsApp`.
    pub roles: Vec<String>,
}

/// One managed identity (system- or user-assigned): the ids Entra ID knows it by and the
/// application permissions it has been granted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedIdentity {
    /// Client (application) id: the `client_id` query selector and the `appid`/`azp` claims.
    pub client_id: String,
    /// Object id of its service principal: the `principal_id`/`object_id` selector and `oid`.
    pub object_id: String,
    /// ARM resource id of a user-assigned identity (the `mi_res_id` selector), if known.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// Display name, for logs and the simulator's state.
    #[serde(default)]
    pub display_name: String,
    /// Application permissions per resource.
    #[serde(default)]
    pub grants: Vec<ResourceGrant>,
}

impl ManagedIdentity {
    /// The roles this identity holds on `resource` (trailing slash ignored); empty if none.
    pub fn roles_for(&self, resource: &str) -> Vec<String> {
        let wanted = normalize_resource(resource);
        let mut roles: Vec<String> = self
            .grants
            .iter()
            .filter(|g| normalize_resource(&g.resource) == wanted)
            .flat_map(|g| g.roles.iter().cloned())
            .collect();
        roles.sort();
        roles.dedup();
        roles
    }
}

/// How the stand-in behaves: which tenant and identities exist, how long tokens live.
#[derive(Clone)]
pub struct IdentityConfig {
    /// The Entra tenant the identities live in (`tid`, and the issuer URL).
    pub tenant_id: String,
    /// The app's system-assigned identity, used when the request names none. `None` means the
    /// app has no system-assigned identity: such a request gets 400, as on App Service.
    pub system_assigned: Option<ManagedIdentity>,
    /// User-assigned identities, selected by `client_id`, `principal_id`/`object_id` or `mi_res_id`.
    pub user_assigned: Vec<ManagedIdentity>,
    /// Lifetime of issued tokens. Real managed-identity tokens live about 24 hours; tests shorten
    /// it to force refreshes (`azure_identity` refreshes a token 5 minutes before it expires).
    pub token_lifetime: Duration,
    /// Port to bind on 127.0.0.1 for [`IdentityEndpoint::spawn`]; 0 picks a free one.
    pub port: u16,
    /// The `IDENTITY_HEADER` secret; a random GUID when `None` (the platform rotates it).
    pub header_secret: Option<String>,
}

impl fmt::Debug for IdentityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityConfig")
            .field("tenant_id", &self.tenant_id)
            .field("system_assigned", &self.system_assigned)
            .field("user_assigned", &self.user_assigned)
            .field("token_lifetime", &self.token_lifetime)
            .field("port", &self.port)
            .field(
                "header_secret",
                &self.header_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for IdentityConfig {
    /// The demo tenant with a system-assigned identity that holds no roles on any resource; the
    /// tenant simulator replaces the grants with the product's least-privilege set.
    fn default() -> Self {
        Self {
            tenant_id: DEMO_TENANT_ID.to_owned(),
            system_assigned: Some(ManagedIdentity {
                client_id: DEMO_CLIENT_ID.to_owned(),
                object_id: DEMO_OBJECT_ID.to_owned(),
                resource_id: None,
                display_name: "func-offboard (system-assigned)".to_owned(),
                grants: Vec::new(),
            }),
            user_assigned: Vec::new(),
            token_lifetime: Duration::from_secs(24 * 3600),
            port: 0,
            header_secret: None,
        }
    }
}

/// Strips a trailing slash and lower-cases scheme and host, so `https://storage.azure.com/` and
/// `https://storage.azure.com` name the same resource, as Entra ID treats them.
pub fn normalize_resource(resource: &str) -> String {
    let trimmed = resource.trim().trim_end_matches('/');
    match trimmed.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            format!(
                "{}://{}{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase(),
                path
            )
        }
        None => trimmed.to_owned(),
    }
}

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
    fn status(&self) -> StatusCode {
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

struct IssuerState {
    identities: Vec<(bool, ManagedIdentity)>,
    token_lifetime: Duration,
}

struct IssuerInner {
    tenant_id: String,
    header_secret: String,
    signing_key: [u8; 32],
    state: RwLock<IssuerState>,
    serial: AtomicU64,
    /// Tokens with a serial at or below this are refused as expired (see
    /// [`TokenIssuer::expire_issued_tokens`]).
    expired_through: AtomicU64,
    issued_per_resource: Mutex<BTreeMap<String, u64>>,
}

/// Issues tokens for the configured identities and serves the token endpoint. Cheap to clone;
/// clones share the signing key, counters and configuration.
#[derive(Clone)]
pub struct TokenIssuer {
    inner: Arc<IssuerInner>,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("tenant_id", &self.inner.tenant_id)
            .field("tokens_issued", &self.tokens_issued())
            .finish_non_exhaustive()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}
fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

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
