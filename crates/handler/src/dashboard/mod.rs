//! The compliance dashboard: server-rendered pages under `/api/dashboard/` (the `dashboard`
//! function, anonymous at the host: offboard checks the session itself, as for the API).
//!
//! - Every page needs a signed-in person or a bearer token with one of offboard's app roles; a
//!   browser without a session is sent to `/api/signin` and brought back.
//! - Every value is escaped where it is written (maud escapes whatever it interpolates), and
//!   every answer carries a strict Content-Security-Policy: scripts and styles only from this
//!   site's own files, no inline script, no framing, forms posting only here.
//! - The changes a page can make (retrying a step, approving or rejecting a held case) are
//!   forms carrying the session's anti-forgery token, checked by `access::require` like any
//!   state-changing request, for operators only.
//!
//! Pages: `overview.rs`, `cases.rs` (the list), `case.rs` (one case), `held.rs` (cases waiting
//! for approval), `findings.rs` (the ghost-access scan's), `reports.rs`, `plan.rs` (operators'
//! dry run); `layout.rs` holds the chrome and the helpers they share.

mod case;
mod cases;
mod findings;
mod held;
mod layout;
mod overview;
mod plan;
mod reports;

use offboard_signin::Role;
use warp::http::{HeaderValue, Method, StatusCode};
use warp::reply::Response;

use crate::access;
use crate::problem::Problem;
use crate::request::Request;
use crate::signin::Caller;
use crate::startup::AppState;

pub use layout::CSP;

/// Where the dashboard lives.
pub const BASE: &str = "/api/dashboard";

/// The stylesheet and script the pages load (from this site only, as the CSP says).
const CSS: &str = include_str!("assets/dashboard.css");
const JS: &str = include_str!("assets/dashboard.js");
/// The in-browser evidence verifier (also run by the tests under Node, beside `offboard verify`).
const VERIFY_JS: &str = include_str!("assets/verify.js");

/// Serves `/api/dashboard/{rest}`.
pub async fn serve(state: &AppState, req: &Request, rest: &[&str]) -> Response {
    match rest {
        ["assets", "dashboard.css"] => return asset(CSS, "text/css; charset=utf-8"),
        ["assets", "dashboard.js"] => return asset(JS, "text/javascript; charset=utf-8"),
        ["assets", "verify.js"] => return asset(VERIFY_JS, "text/javascript; charset=utf-8"),
        _ => {}
    }
    let needed = match (&req.method, rest) {
        (&Method::POST, ["cases", _, "steps", _, "retry"])
        | (&Method::POST, ["cases", _, "decision"])
        | (_, ["plan"]) => Role::Operator,
        _ => Role::Auditor,
    };
    let caller = match access::require(state, req, needed).await {
        Ok(c) => c,
        Err(p) if p.status() == StatusCode::UNAUTHORIZED && req.method == Method::GET => {
            return to_signin(req);
        }
        Err(p) => return layout::problem_page(&p),
    };
    let page = match (&req.method, rest) {
        (&Method::GET, []) => overview::page(state, &caller).await,
        (&Method::GET, ["cases"]) => cases::page(state, req, &caller).await,
        (&Method::GET, ["cases", id]) => case::page(state, req, &caller, id).await,
        (&Method::POST, ["cases", id, "steps", step, "retry"]) => {
            return case::retry(state, &caller, id, step).await;
        }
        (&Method::GET, ["held"]) => held::page(state, req, &caller).await,
        (&Method::POST, ["cases", id, "decision"]) => {
            return held::decide(state, req, &caller, id).await;
        }
        (&Method::GET, ["findings"]) => findings::page(state, req, &caller).await,
        (&Method::GET, ["reports"]) => reports::page(state, req, &caller).await,
        (&Method::GET, ["plan"]) => plan::page(state, req, &caller).await,
        _ => Err(Problem::not_found(format!(
            "the dashboard has no page at {}",
            req.path
        ))),
    };
    match page {
        Ok(markup) => layout::html(StatusCode::OK, markup),
        Err(p) => layout::problem_page(&p),
    }
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut resp = Response::new(body.into());
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(content_type));
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// Sends a browser without a session to sign in, and back to the page it asked for.
fn to_signin(req: &Request) -> Response {
    let here = if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    let target = format!(
        "/api/signin?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("returnTo", &here)
            .finish()
    );
    let mut resp = Response::new(Vec::new().into());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(&target) {
        resp.headers_mut().insert("location", v);
    }
    layout::secure(&mut resp);
    resp
}

/// The operator's caller check on the page level, for the parts of a page only operators see.
pub fn is_operator(caller: &Caller) -> bool {
    caller.principal.may(Role::Operator)
}
