//! Who is calling the human-facing API: an Entra ID access token (`Authorization: Bearer`) or a
//! signed-in browser's session cookie, both checked with `offboard-signin`. A leaf module the
//! routes share.

use chrono::{DateTime, Utc};
use offboard_core::actor::{ActorKind, HumanActor, SignedInWith};
use offboard_service::settings::{
    OFFBOARD_SIGNIN_CLIENT_ID, OFFBOARD_SIGNIN_SESSION_KEY, SigninConfig,
};
use offboard_signin::{
    Principal, PrincipalKind, SESSION_COOKIE, SessionKey, SigninError, SigninSettings, TokenUse,
    TokenValidator,
};
use secrecy::SecretString;
use warp::http::StatusCode;

use crate::problem::Problem;
use crate::request::Request;

/// Sign-in as configured: the token validator, and the key of browser sessions.
pub struct SignIn {
    validator: TokenValidator,
    session_key: Option<Result<SessionKey, String>>,
}

impl SignIn {
    /// From the settings; an unusable session key is kept as its error, so bearer tokens still
    /// work and browser sign-in says what to fix.
    pub fn new(config: &SigninConfig) -> Self {
        let validator = TokenValidator::for_settings(SigninSettings {
            authority_host: config.authority_host.clone(),
            tenant_id: config.tenant_id.clone(),
            client_id: config.client_id.clone(),
        });
        let session_key = config
            .session_key
            .as_ref()
            .map(|k: &SecretString| SessionKey::from_secret(k).map_err(|e| e.to_string()));
        Self {
            validator,
            session_key,
        }
    }

    /// The token validator (its settings name the authority, tenant and app).
    pub fn validator(&self) -> &TokenValidator {
        &self.validator
    }

    /// The session key, or a 503 naming the setting.
    pub fn session_key(&self) -> Result<&SessionKey, Problem> {
        match &self.session_key {
            Some(Ok(key)) => Ok(key),
            Some(Err(why)) => Err(Problem::unavailable(format!(
                "browser sign-in is off: {OFFBOARD_SIGNIN_SESSION_KEY} {why}"
            ))),
            None => Err(Problem::unavailable(format!(
                "browser sign-in is off until {OFFBOARD_SIGNIN_SESSION_KEY} is set (base64 of 32 random bytes; in Azure, a Key Vault reference)"
            ))),
        }
    }

    /// The caller, if the request carries a bearer token or a session cookie; a 401 when what
    /// it carries does not hold, a 503 when offboard cannot check it.
    pub async fn principal(
        &self,
        req: &Request,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, Problem> {
        Ok(self.caller(req, now).await?.map(|c| c.principal))
    }

    /// The caller with how they came (bearer token, or a session and its anti-forgery
    /// token), if the request carries either.
    pub async fn caller(
        &self,
        req: &Request,
        now: DateTime<Utc>,
    ) -> Result<Option<Caller>, Problem> {
        if let Some(auth) = req.header("authorization") {
            let token = auth
                .strip_prefix("Bearer ")
                .or_else(|| auth.strip_prefix("bearer "))
                .ok_or_else(|| {
                    Problem::unauthorized("the Authorization header must be `Bearer <token>`")
                })?;
            return self
                .validator
                .validate(token.trim(), TokenUse::Access)
                .await
                .map(|principal| {
                    Some(Caller {
                        principal,
                        session_csrf: None,
                    })
                })
                .map_err(refused);
        }
        let Some(cookie) = cookie(req, SESSION_COOKIE) else {
            return Ok(None);
        };
        let key = self.session_key()?;
        key.open(cookie, now)
            .map(|s| {
                Some(Caller {
                    principal: s.principal,
                    session_csrf: Some(s.csrf),
                })
            })
            .map_err(refused)
    }
}

/// A caller offboard has checked: who, and — for a browser session — the anti-forgery token
/// its state-changing requests must echo.
pub struct Caller {
    /// Who is calling.
    pub principal: Principal,
    /// The session's anti-forgery token; `None` for a bearer token (which a browser never
    /// sends by itself, so it needs none).
    pub session_csrf: Option<String>,
}

impl Caller {
    /// The caller as the evidence names a human action's actor.
    pub fn actor(&self) -> HumanActor {
        let p = &self.principal;
        HumanActor {
            object_id: p.object_id.clone(),
            user_principal_name: p.user_principal_name.clone(),
            app_id: p.app_id.clone(),
            kind: match p.kind {
                PrincipalKind::Person => ActorKind::Person,
                PrincipalKind::Application => ActorKind::Application,
            },
            signed_in_with: if self.session_csrf.is_some() {
                SignedInWith::Session
            } else {
                SignedInWith::Bearer
            },
            roles: p.roles.iter().map(|r| r.value().to_owned()).collect(),
        }
    }
}

/// The problem for a refused token or session.
pub fn refused(e: SigninError) -> Problem {
    if e.is_unavailable() {
        Problem::unavailable(e.to_string())
    } else {
        Problem::unauthorized(e.to_string())
    }
}

/// The problem when sign-in is not configured.
pub fn not_configured() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not-configured",
        "Sign-in not configured",
        format!(
            "sign-in is off until {OFFBOARD_SIGNIN_CLIENT_ID} names offboard's app registration (the deployment sets it)"
        ),
    )
}

/// The value of cookie `name` in the request's `Cookie` header. One name looked up in one
/// header (RFC 6265 section 5.4's `name=value; name=value`): no crate needed for that.
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}
