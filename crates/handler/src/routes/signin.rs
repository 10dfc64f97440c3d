//! Browser sign-in with Entra ID, without a client secret: `GET /api/signin` sends the browser
//! to the authority (`response_type=id_token`, `response_mode=form_post`, a nonce and a state
//! kept in a signed cookie), `POST /api/signin/callback` checks the ID token it posts back and
//! opens a session, `POST /api/signout` ends it.

use chrono::Duration;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use offboard_signin::{PENDING_COOKIE, PendingSignIn, Role, SESSION_COOKIE, Session, TokenUse};

use crate::problem::Problem;
use crate::request::Request;
use crate::signin::{self, SignIn};
use crate::startup::AppState;

/// How long a browser session lasts (App Service Authentication's default is eight hours too).
const SESSION_HOURS: i64 = 8;
/// Where a sign-in returns to when it was not asked to go elsewhere.
const DEFAULT_RETURN: &str = "/api/me";

/// Starts a sign-in.
pub async fn start(state: &AppState, req: &Request) -> Response {
    begin(state, req).unwrap_or_else(Problem::into_response)
}

/// Receives the authority's `form_post`.
pub async fn callback(state: &AppState, req: &Request) -> Response {
    finish(state, req)
        .await
        .unwrap_or_else(Problem::into_response)
}

/// Ends the session (the cookie is cleared; nothing is kept server-side).
pub async fn signout(_state: &AppState, _req: &Request) -> Response {
    let mut resp = Response::new(Vec::new().into());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    set_cookie(&mut resp, &clear(SESSION_COOKIE, "Lax"));
    resp
}

fn configured(state: &AppState) -> Result<&SignIn, Problem> {
    state.signin.as_deref().ok_or_else(signin::not_configured)
}

/// A relative path on this site, so a sign-in link cannot send people elsewhere.
fn return_path(asked: Option<String>) -> Result<String, Problem> {
    let Some(path) = asked else {
        return Ok(DEFAULT_RETURN.to_owned());
    };
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control());
    if local {
        Ok(path)
    } else {
        Err(Problem::bad_query(
            "`returnTo` must be a path on this site, such as /api/cases",
        ))
    }
}

/// Where the browser reaches offboard: the app's host name, which the platform gives as
/// `WEBSITE_HOSTNAME` (the local host gives its loopback address), over `https`; plain `http`
/// only for a loopback address.
fn origin() -> Result<String, Problem> {
    let host = std::env::var("WEBSITE_HOSTNAME").unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host.as_str(), |(n, _)| n);
    match name {
        "" => Err(Problem::internal(
            "cannot tell this app's address: WEBSITE_HOSTNAME is not set (the Functions platform sets it)",
        )),
        "127.0.0.1" | "localhost" | "[::1]" => Ok(format!("http://{host}")),
        _ => Ok(format!("https://{host}")),
    }
}

fn begin(state: &AppState, req: &Request) -> Result<Response, Problem> {
    let sign_in = configured(state)?;
    let key = sign_in.session_key()?;
    let pending = PendingSignIn::new(return_path(req.query_param("returnTo"))?, state.clock.now());
    let s = sign_in.validator().settings();
    let mut authorize = url::Url::parse(&format!(
        "{}/{}/oauth2/v2.0/authorize",
        s.authority_host, s.tenant_id
    ))
    .map_err(|e| Problem::internal(format!("the sign-in authority is not a URL: {e}")))?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &s.client_id)
        .append_pair("response_type", "id_token")
        .append_pair("response_mode", "form_post")
        .append_pair(
            "redirect_uri",
            &format!("{}/api/signin/callback", origin()?),
        )
        .append_pair("scope", "openid profile")
        .append_pair("nonce", &pending.nonce)
        .append_pair("state", &pending.state);
    let mut resp = Response::new(Vec::new().into());
    *resp.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(authorize.as_str()) {
        resp.headers_mut().insert("location", v);
    }
    // SameSite=None: the callback is a cross-site POST from the authority.
    set_cookie(
        &mut resp,
        &format!(
            "{PENDING_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=600",
            key.seal_pending(&pending)
        ),
    );
    Ok(resp)
}

async fn finish(state: &AppState, req: &Request) -> Result<Response, Problem> {
    let sign_in = configured(state)?;
    let key = sign_in.session_key()?;
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(error) = field("error") {
        // The authority's own refusal (e.g. the person has no role assignment: AADSTS50105).
        return Err(Problem::unauthorized(format!(
            "Entra ID refused the sign-in: {error}: {}",
            field("error_description").unwrap_or("no description")
        )));
    }
    let now = state.clock.now();
    let pending = signin::cookie(req, PENDING_COOKIE)
        .ok_or_else(|| {
            Problem::unauthorized(
                "no sign-in is in progress in this browser (cookies blocked, or it took longer than ten minutes): start again at /api/signin",
            )
        })
        .and_then(|c| key.open_pending(c, now).map_err(signin::refused))?;
    if !field("state").is_some_and(|s| pending.state_matches(s)) {
        return Err(Problem::unauthorized(
            "the sign-in answer does not belong to the sign-in this browser started: start again at /api/signin",
        ));
    }
    let id_token = field("id_token")
        .ok_or_else(|| Problem::unauthorized("the sign-in answer carries no id_token"))?;
    let principal = sign_in
        .validator()
        .validate(
            id_token,
            TokenUse::Id {
                nonce: &pending.nonce,
            },
        )
        .await
        .map_err(signin::refused)?;
    if !principal.may(Role::Auditor) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "no-role",
            "No offboard role",
            format!(
                "{} holds neither Offboard.Auditor nor Offboard.Operator: ask an administrator to assign one (infra/README.md, \"Who may sign in\")",
                principal.describe()
            ),
        ));
    }
    tracing::info!(who = %principal.describe(), "signed in");
    let session = Session::new(principal, now + Duration::hours(SESSION_HOURS));
    let mut resp = Response::new(Vec::new().into());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(&pending.return_to) {
        resp.headers_mut().insert("location", v);
    }
    set_cookie(
        &mut resp,
        &format!(
            "{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
            key.seal(&session),
            SESSION_HOURS * 3600
        ),
    );
    set_cookie(&mut resp, &clear(PENDING_COOKIE, "None"));
    Ok(resp)
}

fn clear(name: &str, same_site: &str) -> String {
    format!("{name}=; Path=/; Secure; HttpOnly; SameSite={same_site}; Max-Age=0")
}

fn set_cookie(resp: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().append("set-cookie", v);
    }
}
