//! Who may use the human-facing API: every compliance and operator route asks [`require`]
//! for the app role it needs before it does anything. A leaf module the routes share.
//!
//! - A caller with no credential gets 401, one without the role 403 (an auditor retrying a
//!   step), and sign-in not configured 503 — never an answer without a checked caller.
//! - A signed-in browser's state-changing request (anything but GET and HEAD) must echo the
//!   session's anti-forgery token, in the `X-CSRF-Token` header or a form's `csrf` field,
//!   compared in constant time: the session cookie is sent by the browser on its own, so a
//!   cookie alone proves nothing about who composed the request. A bearer token needs no such
//!   token: a browser never attaches one by itself.

use offboard_signin::Role;
use subtle::ConstantTimeEq as _;
use warp::http::{Method, StatusCode};

use crate::problem::Problem;
use crate::request::Request;
use crate::signin::{self, Caller};
use crate::startup::AppState;

/// The header a script sends the anti-forgery token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field a server-rendered form sends the anti-forgery token in.
pub const CSRF_FIELD: &str = "csrf";

/// The checked caller of `req`, if they hold `needed`.
pub async fn require(state: &AppState, req: &Request, needed: Role) -> Result<Caller, Problem> {
    let sign_in = state.signin.as_ref().ok_or_else(signin::not_configured)?;
    let caller = sign_in
        .caller(req, state.clock.now())
        .await?
        .ok_or_else(|| {
            Problem::unauthorized(
                "not signed in: sign in at /api/signin, or send an Entra ID access token for offboard's app as `Authorization: Bearer <token>`",
            )
        })?;
    if !caller.principal.may(needed) {
        return Err(forbidden(format!(
            "{} holds {}; this needs the app role {}",
            caller.principal.describe(),
            if caller.principal.roles.is_empty() {
                "none of offboard's app roles".to_owned()
            } else {
                caller
                    .principal
                    .roles
                    .iter()
                    .map(|r| r.value())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            needed.value()
        )));
    }
    if let Some(expected) = &caller.session_csrf
        && !matches!(req.method, Method::GET | Method::HEAD)
    {
        let sent = req
            .header(CSRF_HEADER)
            .map(str::to_owned)
            .or_else(|| form_field(req, CSRF_FIELD));
        let ok = sent.is_some_and(|s| {
            s.len() == expected.len() && bool::from(s.as_bytes().ct_eq(expected.as_bytes()))
        });
        if !ok {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "Anti-forgery token missing or wrong",
                "a signed-in browser's change must carry the session's anti-forgery token (the page's form does; a script sends it as X-CSRF-Token)",
            ));
        }
    }
    Ok(caller)
}

/// 403: the caller is known but lacks the role.
pub fn forbidden(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
}

/// A field of an `application/x-www-form-urlencoded` body.
pub fn form_field(req: &Request, name: &str) -> Option<String> {
    let form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return None;
    }
    url::form_urlencoded::parse(&req.body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
