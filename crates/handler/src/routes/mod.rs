//! One filter takes every request; [`dispatch`] routes it in plain Rust. Keeping routing
//! out of warp's type-level combinators keeps 404/405/413 answers uniform and compile times
//! low.

pub(crate) mod approvals;
mod cases;
pub(crate) mod findings;
mod hris;
mod invocations;
mod ledger;
mod me;
pub(crate) mod offboardings;
pub mod openapi;
mod remediation;
mod reports;
mod restore;
mod scans;
mod scim;
mod signin;

use warp::Filter;
use warp::http::{HeaderMap, HeaderValue, Method, StatusCode};
use warp::reply::Response;

use offboard_core::actor::ActivityBy;
use offboard_service::settings::OFFBOARD_COMPLIANCE_FUNCTION_KEYS;
use offboard_signin::Role;

use crate::access;
use crate::body::{self, BodyError, MAX_BODY};
use crate::problem::Problem;
use crate::startup::AppState;

use crate::request::Request;

/// The warp filter serving everything.
pub fn filter(
    state: AppState,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::any()
        .map(move || state.clone())
        .and(warp::method())
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .then(
            |state: AppState,
             method: Method,
             path: warp::path::FullPath,
             query: String,
             headers: HeaderMap,
             stream| async move {
                let length = headers
                    .get("content-length")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                let body = match body::collect(length, Box::pin(stream), MAX_BODY).await {
                    Ok(b) => b,
                    Err(BodyError::TooLarge) => {
                        return Problem::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too-large",
                            "Request body too large",
                            format!("offboard accepts bodies up to {MAX_BODY} bytes"),
                        )
                        .into_response();
                    }
                    Err(e) => {
                        return Problem::new(
                            StatusCode::BAD_REQUEST,
                            "malformed",
                            "Malformed request",
                            e.to_string(),
                        )
                        .into_response();
                    }
                };
                let req = Request {
                    method,
                    path: path.as_str().to_owned(),
                    query,
                    headers,
                    body,
                };
                dispatch(&state, req).await
            },
        )
}

/// Every HTTP route the Functions host forwards to the handler, as `(method, OpenAPI path)`.
/// The OpenAPI document must describe each of them (a test checks it against the document and
/// against [`dispatch`]). Queue and timer invocations (`POST /{functionName}`) are the
/// custom-handler protocol between the host and the handler, not an API, and are not listed.
pub const SERVED: &[(&str, &str)] = &[
    ("post", "/api/hris/{provider}"),
    ("post", "/api/offboardings"),
    ("get", "/api/cases"),
    ("get", "/api/cases/{caseId}"),
    ("get", "/api/cases/{caseId}/evidence"),
    ("get", "/api/reports/terminations"),
    ("get", "/api/ledger"),
    ("get", "/api/remediations"),
    ("post", "/api/cases/{caseId}/steps/{step}/retry"),
    ("get", "/api/keyed/cases"),
    ("get", "/api/keyed/cases/{caseId}"),
    ("get", "/api/keyed/cases/{caseId}/evidence"),
    ("get", "/api/keyed/reports/terminations"),
    ("get", "/api/keyed/ledger"),
    ("get", "/api/keyed/remediations"),
    ("get", "/api/keyed/findings"),
    ("post", "/api/cases/{caseId}/approve"),
    ("post", "/api/cases/{caseId}/reject"),
    ("post", "/api/cases/{caseId}/restore"),
    ("post", "/api/cases/{caseId}/restore/roles/approve"),
    ("post", "/api/cases/{caseId}/restore/roles/reject"),
    ("get", "/api/openapi.json"),
    ("get", "/api/me"),
    ("get", "/api/signin"),
    ("post", "/api/signin/callback"),
    ("post", "/api/signout"),
    ("get", "/api/scim/v2/ServiceProviderConfig"),
    ("get", "/api/scim/v2/ResourceTypes"),
    ("get", "/api/scim/v2/ResourceTypes/{id}"),
    ("get", "/api/scim/v2/Schemas"),
    ("get", "/api/scim/v2/Schemas/{id}"),
    ("get", "/api/scim/v2/Users"),
    ("post", "/api/scim/v2/Users"),
    ("post", "/api/scim/v2/Users/.search"),
    ("post", "/api/scim/v2/.search"),
    ("get", "/api/scim/v2/Users/{id}"),
    ("put", "/api/scim/v2/Users/{id}"),
    ("patch", "/api/scim/v2/Users/{id}"),
    ("delete", "/api/scim/v2/Users/{id}"),
    ("post", "/api/scans"),
    ("get", "/api/findings"),
];

/// Routes one request.
pub async fn dispatch(state: &AppState, req: Request) -> Response {
    let path = req.path.trim_end_matches('/').to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["api", "hris", provider] => {
            only(&req, &[Method::POST], || {
                hris::handle(state, provider, &req)
            })
            .await
        }
        ["api", "scim", "v2", ..] => {
            let rest = path.strip_prefix("/api/scim/v2").unwrap_or("");
            scim::handle(state, rest, &req).await
        }
        ["api", "offboardings"] => {
            only(&req, &[Method::POST], || async {
                match access::require(state, &req, Role::Operator).await {
                    Ok(caller) => offboardings::create(state, &req, &caller.actor()).await,
                    Err(p) => p.into_response(),
                }
            })
            .await
        }
        ["api", "cases", id, "steps", step, "retry"] => {
            only(&req, &[Method::POST], || async {
                match access::require(state, &req, Role::Operator).await {
                    Ok(caller) => remediation::retry(state, id, step, &caller.actor()).await,
                    Err(p) => p.into_response(),
                }
            })
            .await
        }
        ["api", "cases", id, decision @ ("approve" | "reject")] => {
            let approved = *decision == "approve";
            only(&req, &[Method::POST], || async {
                match access::require(state, &req, Role::Operator).await {
                    Ok(caller) => {
                        let by = offboard_core::case::Actor::signed_in(&caller.actor());
                        approvals::decide(state, id, &req, approved, by).await
                    }
                    Err(p) => p.into_response(),
                }
            })
            .await
        }
        ["api", "cases", id, "restore"] => {
            only(&req, &[Method::POST], || async {
                match access::require(state, &req, Role::Operator).await {
                    Ok(caller) => {
                        let by = offboard_core::case::Actor::signed_in(&caller.actor());
                        restore::restore(state, id, &req, by).await
                    }
                    Err(p) => p.into_response(),
                }
            })
            .await
        }
        [
            "api",
            "cases",
            id,
            "restore",
            "roles",
            decision @ ("approve" | "reject"),
        ] => {
            let approve = *decision == "approve";
            only(&req, &[Method::POST], || async {
                match access::require(state, &req, Role::Operator).await {
                    Ok(caller) => {
                        let by = offboard_core::case::Actor::signed_in(&caller.actor());
                        restore::decide_roles(state, id, &req, approve, by).await
                    }
                    Err(p) => p.into_response(),
                }
            })
            .await
        }
        ["api", "keyed", rest @ ..] => keyed(state, &req, rest).await,
        ["api", "dashboard", rest @ ..] => {
            only(&req, &[Method::GET, Method::POST], || {
                crate::dashboard::serve(state, &req, rest)
            })
            .await
        }
        ["api", rest @ ..] if is_read(rest) => {
            only(&req, &[Method::GET], || async {
                match access::require(state, &req, Role::Auditor).await {
                    Ok(caller) => {
                        read(state, &req, rest, ActivityBy::SignedIn(&caller.actor())).await
                    }
                    Err(p) => p.into_response(),
                }
            })
            .await
        }
        ["api", "scans"] => {
            only(&req, &[Method::POST], || async {
                match access::require(state, &req, Role::Operator).await {
                    Ok(caller) => scans::run(state, &req, &caller.actor()).await,
                    Err(p) => p.into_response(),
                }
            })
            .await
        }
        ["api", "me"] => only(&req, &[Method::GET], || me::get(state, &req)).await,
        ["api", "signin"] => only(&req, &[Method::GET], || signin::start(state, &req)).await,
        ["api", "signin", "callback"] => {
            only(&req, &[Method::POST], || signin::callback(state, &req)).await
        }
        ["api", "signout"] => only(&req, &[Method::POST], || signin::signout(state, &req)).await,
        ["api", "openapi.json"] => only(&req, &[Method::GET], || async { openapi::get() }).await,
        [function] if invocations::is_function(function) => {
            only(&req, &[Method::POST], || {
                invocations::invoke(state, function, &req)
            })
            .await
        }
        _ => Problem::not_found(format!("offboard serves no resource at {}", req.path))
            .into_response(),
    }
}

/// Whether `/api/{rest}` is one of the compliance API's reads (cases, evidence, reports,
/// ledger, remediations, ghost-access findings): what an auditor may do, and what function keys may do when the
/// setting lets them.
fn is_read(rest: &[&str]) -> bool {
    matches!(
        rest,
        ["cases"]
            | ["cases", _]
            | ["cases", _, "evidence"]
            | ["remediations"]
            | ["reports", "terminations"]
            | ["ledger"]
            | ["findings"]
    )
}

/// Serves a compliance read to a caller already let in, `by` naming them (an export is
/// recorded in the evidence with who pulled it).
async fn read(state: &AppState, req: &Request, rest: &[&str], by: ActivityBy<'_>) -> Response {
    match rest {
        ["cases"] => cases::list(state, req).await,
        ["cases", id] => cases::get(state, id).await,
        ["cases", id, "evidence"] => cases::evidence(state, id).await,
        ["remediations"] => remediation::list(state, req).await,
        ["reports", "terminations"] => reports::terminations(state, req, by).await,
        ["ledger"] => ledger::get(state).await,
        ["findings"] => findings::list(state, req).await,
        _ => Problem::not_found(format!("offboard serves no resource at {}", req.path))
            .into_response(),
    }
}

/// `GET /api/keyed/{read}`: the compliance reads for machines holding a function key (the
/// `compliance-keys` function, `authLevel: function`, so the host has checked the key before
/// the request arrives), only while `OFFBOARD_COMPLIANCE_FUNCTION_KEYS` is on. Nothing that
/// changes a case is served here: a change needs a named operator.
async fn keyed(state: &AppState, req: &Request, rest: &[&str]) -> Response {
    if !state.compliance_function_keys {
        return access::forbidden(format!(
            "function keys are switched off for the compliance API ({OFFBOARD_COMPLIANCE_FUNCTION_KEYS} is off): sign in with Entra ID, or send an Entra ID access token with the Offboard.Auditor role"
        ))
        .into_response();
    }
    if !is_read(rest) {
        return Problem::not_found(format!(
            "a function key reads only the compliance API (cases, evidence, reports, ledger, remediations, findings), not {}",
            req.path
        ))
        .into_response();
    }
    only(req, &[Method::GET], || {
        read(state, req, rest, ActivityBy::FunctionKey)
    })
    .await
}

async fn only<'a, F, Fut>(req: &Request, methods: &[Method], f: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Response> + 'a,
{
    if methods.contains(&req.method) {
        return f().await;
    }
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut resp = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("{} is not allowed here; use {allow}", req.method),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&allow) {
        resp.headers_mut().insert("allow", v);
    }
    resp
}
