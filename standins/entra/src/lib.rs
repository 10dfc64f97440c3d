//! Stand-in for Microsoft Entra ID's v2.0 sign-in endpoints. Tests and demo only: never linked
//! into the handler, the agent or `offboard` built without its `demo` feature.
//!
//! It serves what a web app and an API that sign people in with Entra ID use, shaped as the
//! Microsoft identity platform documents them (learn.microsoft.com/entra/identity-platform/):
//!
//! | route | document |
//! |---|---|
//! | `GET /{tenant}/v2.0/.well-known/openid-configuration` | v2-protocols-oidc, "Find your app's OpenID configuration document URI" |
//! | `GET /{tenant}/discovery/v2.0/keys` | access-tokens, "Validate tokens" (the `jwks_uri`) |
//! | `GET /{tenant}/oauth2/v2.0/authorize` | v2-protocols-oidc, "Send the sign-in request" (`response_type=id_token`, `response_mode=form_post`, `nonce` required) |
//! | `POST /{tenant}/oauth2/v2.0/authorize` | the sign-in page's answer: an auto-posting form to `redirect_uri` with `id_token` and `state`, as Entra answers with `form_post` |
//! | `POST /{tenant}/oauth2/v2.0/token` | v2-oauth2-client-creds-grant-flow (`grant_type=client_credentials`, `scope={app}/.default`) |
//!
//! The sign-in page lets the tester pick a person and the app roles to hold, instead of a
//! password: the stand-in stands for the directory, its users and their role assignments.
//!
//! Tokens are v2.0 JWTs signed RS256 with a throw-away key (`src/test_key.pem`, public on
//! purpose; see `src/KEY-README.md`), whose public half the keys document publishes with its
//! `kid`. The issuer is `http://127.0.0.1:P/{tenant}/v2.0` where Entra's is
//! `https://login.microsoftonline.com/{tenant}/v2.0`; everything else follows the claims
//! references (id-token-claims-reference, access-token-claims-reference).

#![warn(missing_docs)]

mod routes;
mod signer;

pub use signer::Signer;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;

/// A person in the stand-in's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Entra object id (`oid`).
    pub object_id: String,
    /// User principal name (`preferred_username` in v2.0 tokens).
    pub user_principal_name: String,
    /// Display name (`name`).
    pub display_name: String,
}

/// An application that signs in with its own identity (client credentials): a GRC tool that
/// pulls reports, for example.
#[derive(Debug, Clone)]
pub struct ClientApp {
    /// Its application (client) id.
    pub client_id: String,
    /// Its client secret.
    pub secret: String,
    /// Its service principal's object id (`oid` of its tokens).
    pub object_id: String,
    /// App roles of offboard's app registration assigned to it.
    pub roles: Vec<String>,
}

/// What the stand-in knows: the tenant, offboard's app registration, the people and apps.
#[derive(Debug, Clone)]
pub struct EntraConfig {
    /// Directory (tenant) id.
    pub tenant_id: String,
    /// offboard's app registration: the audience of every token the stand-in issues.
    pub app_client_id: String,
    /// Redirect URIs registered on offboard's app registration. As Entra does for loopback
    /// addresses, the port of an `http://127.0.0.1` or `http://localhost` URI is not compared.
    pub redirect_uris: Vec<String>,
    /// The app roles the sign-in page offers.
    pub app_roles: Vec<String>,
    /// The people who can sign in.
    pub people: Vec<Person>,
    /// Applications that can get app-only tokens.
    pub clients: Vec<ClientApp>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

/// offboard's app roles, as its app registration declares them (infra).
pub const OFFBOARD_ROLES: [&str; 2] = ["Offboard.Auditor", "Offboard.Operator"];

impl EntraConfig {
    /// A tenant with two people (an auditor and an operator) and one reporting tool holding
    /// `Offboard.Auditor`, for offboard's app registration `app_client_id`.
    pub fn sample(tenant_id: &str, app_client_id: &str) -> Self {
        Self {
            tenant_id: tenant_id.to_owned(),
            app_client_id: app_client_id.to_owned(),
            redirect_uris: vec!["http://127.0.0.1/api/signin/callback".to_owned()],
            app_roles: OFFBOARD_ROLES.iter().map(|r| (*r).to_owned()).collect(),
            people: vec![
                Person {
                    object_id: "6f1c2d4e-0a11-4b7e-9c55-a1d2e3f40001".to_owned(),
                    user_principal_name: "ada.auditor@contoso.example".to_owned(),
                    display_name: "Ada Auditor".to_owned(),
                },
                Person {
                    object_id: "6f1c2d4e-0a11-4b7e-9c55-a1d2e3f40002".to_owned(),
                    user_principal_name: "otto.operator@contoso.example".to_owned(),
                    display_name: "Otto Operator".to_owned(),
                },
            ],
            clients: vec![ClientApp {
                client_id: "2b9e6a51-7c3d-4f08-8d6e-5a4b3c2d1e01".to_owned(),
                secret: "grc-tool-local-secret-not-for-production".to_owned(),
                object_id: "2b9e6a51-7c3d-4f08-8d6e-5a4b3c2d1eff".to_owned(),
                roles: vec!["Offboard.Auditor".to_owned()],
            }],
            port: 0,
        }
    }
}

/// Why the stand-in could not start.
#[derive(Debug, thiserror::Error)]
pub enum EntraError {
    /// The port is taken.
    #[error("could not bind the Entra ID stand-in on {addr}: {source}; choose another port")]
    Bind {
        /// Where.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The signing key did not load (the file in the crate is damaged).
    #[error("the stand-in's signing key does not load: {0}")]
    Key(String),
    /// A person the caller named is not in the directory.
    #[error("no person `{0}` in the stand-in's directory")]
    UnknownPerson(String),
}

/// The running stand-in. Dropping it stops the server.
pub struct EntraHandle {
    addr: SocketAddr,
    signer: Arc<Signer>,
    config: Arc<EntraConfig>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl EntraHandle {
    /// Starts the stand-in on 127.0.0.1.
    pub async fn spawn(config: EntraConfig) -> Result<Self, EntraError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], config.port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| EntraError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EntraError::Bind { addr, source })?;
        let host = format!("http://{addr}");
        let signer = Arc::new(Signer::new(&host, &config)?);
        let config = Arc::new(config);
        let (tx, rx) = oneshot::channel::<()>();
        let server = warp::serve(routes::all(config.clone(), signer.clone()))
            .incoming(listener)
            .graceful(async {
                let _ = rx.await;
            });
        tokio::spawn(server.run());
        tracing::info!(%addr, "Entra ID stand-in listening");
        Ok(Self {
            addr,
            signer,
            config,
            shutdown: Some(tx),
        })
    }

    /// The authority host to configure (`http://127.0.0.1:P`, where Entra's is
    /// `https://login.microsoftonline.com`).
    pub fn authority_host(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The issuer of every token (`{authority host}/{tenant}/v2.0`).
    pub fn issuer(&self) -> &str {
        self.signer.issuer()
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.config.tenant_id
    }

    /// The signer, for tests that craft tokens (expired, another audience, …).
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The person with this UPN.
    pub fn person(&self, upn: &str) -> Result<&Person, EntraError> {
        self.config
            .people
            .iter()
            .find(|p| p.user_principal_name.eq_ignore_ascii_case(upn))
            .ok_or_else(|| EntraError::UnknownPerson(upn.to_owned()))
    }

    /// A delegated access token for offboard's API, as a signed-in person holding `roles`
    /// would present it.
    pub fn user_access_token(&self, upn: &str, roles: &[&str]) -> Result<String, EntraError> {
        let person = self.person(upn)?;
        self.signer.user_access_token(person, roles)
    }
}

impl Drop for EntraHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
