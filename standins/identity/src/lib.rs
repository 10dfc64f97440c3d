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
//!
//! This file holds the configuration and the issuer's state; the token's wire types are in
//! `token`, what the issuer does (issue, mint, serve `GET /msi/token`) in `issuer`.

#![warn(missing_docs)]

mod credential;
mod endpoint;
mod issuer;
mod token;
mod validate;
pub use credential::EndpointCredential;
pub use endpoint::{IdentityEndpoint, IdentityHandle};
pub use token::{AccessTokenClaims, IdentitySelector, IssueError, TokenResponse, TokenSpec};
pub use validate::{TokenRejection, TokenValidator, ValidatedToken};

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

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
