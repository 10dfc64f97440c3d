//! `GET /api/me`: who offboard takes the caller to be (a bearer token or a signed-in browser),
//! and the app roles they hold.

use warp::http::StatusCode;
use warp::reply::Response;

use offboard_signin::{Principal, PrincipalKind};

use crate::problem::Problem;
use crate::reply::json;
use crate::request::Request;
use crate::signin;
use crate::startup::AppState;

/// Answers the caller's identity, or 401 when the request carries none.
pub async fn get(state: &AppState, req: &Request) -> Response {
    run(state, req).await.unwrap_or_else(Problem::into_response)
}

async fn run(state: &AppState, req: &Request) -> Result<Response, Problem> {
    let sign_in = state.signin.as_ref().ok_or_else(signin::not_configured)?;
    let principal = sign_in
        .principal(req, state.clock.now())
        .await?
        .ok_or_else(|| {
            Problem::unauthorized(
                "not signed in: sign in at /api/signin, or send an Entra ID access token for offboard's app as `Authorization: Bearer <token>`",
            )
        })?;
    let with = if req.header("authorization").is_some() {
        "bearer"
    } else {
        "session"
    };
    Ok(json(StatusCode::OK, &me(principal, with)))
}

fn me(p: Principal, with: &str) -> offboard_api::Me {
    offboard_api::Me {
        object_id: p.object_id,
        tenant_id: p.tenant_id,
        kind: match p.kind {
            PrincipalKind::Person => "person",
            PrincipalKind::Application => "application",
        }
        .to_owned(),
        user_principal_name: p.user_principal_name,
        display_name: p.display_name,
        app_id: p.app_id,
        roles: p.roles.iter().map(|r| r.value().to_owned()).collect(),
        signed_in_with: with.to_owned(),
    }
}
