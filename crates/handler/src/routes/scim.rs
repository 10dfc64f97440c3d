//! `/api/scim/v2/...`: offboard as a SCIM 2.0 service provider. The bearer token is checked
//! here (constant time); everything else is the SCIM service's.

use secrecy::ExposeSecret;
use warp::http::{HeaderName, HeaderValue, StatusCode};
use warp::reply::Response;

use offboard_core::signature;
use offboard_service::scim::ScimRequest;
use offboard_service::settings::OFFBOARD_SCIM_TOKEN;

use crate::request::Request;
use crate::startup::AppState;

fn scim_error(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.as_u16().to_string(),
        "detail": detail,
    });
    let mut resp = Response::new(body.to_string().into());
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/scim+json"),
    );
    resp
}

/// The SCIM base URL clients use, for `meta.location`.
fn base_url(req: &Request) -> String {
    let host = req
        .header("x-forwarded-host")
        .or(req.header("host"))
        .unwrap_or("localhost");
    let proto = req.header("x-forwarded-proto").unwrap_or(
        if host.starts_with("127.0.0.1") || host.starts_with("localhost") {
            "http"
        } else {
            "https"
        },
    );
    format!("{proto}://{host}/api/scim/v2")
}

/// Handles one SCIM request; `rest` is the path after `/api/scim/v2`.
pub async fn handle(state: &AppState, rest: &str, req: &Request) -> Response {
    let Some(token) = state.secrets.scim.as_ref() else {
        return scim_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("SCIM is disabled until the app setting {OFFBOARD_SCIM_TOKEN} is configured"),
        );
    };
    let verified = match signature::verify_bearer(
        token.expose_secret(),
        req.header("authorization"),
        &req.body,
        state.clock.now(),
    ) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(source = "scim", reason = %e, "refused an unauthenticated intake request");
            let mut resp = scim_error(StatusCode::UNAUTHORIZED, &e.to_string());
            resp.headers_mut().insert(
                "www-authenticate",
                HeaderValue::from_static("Bearer realm=\"offboard SCIM\""),
            );
            return resp;
        }
    };
    let base = base_url(req);
    let out = state
        .scim
        .handle_request(ScimRequest {
            method: req.method.as_str(),
            path: rest,
            query: &req.query,
            body: &req.body,
            base_url: &base,
            verified,
            if_match: req.header("if-match"),
            if_none_match: req.header("if-none-match"),
        })
        .await;
    let body = out.body.map(|b| b.to_string()).unwrap_or_default();
    let mut resp = Response::new(body.into());
    *resp.status_mut() =
        StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in &out.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}
