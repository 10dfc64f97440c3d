//! `GET /api/ledger`: the ledger's length and head, and whether the store enforces WORM.

use warp::http::StatusCode;
use warp::reply::Response;

use crate::problem::Problem;
use crate::reply::json;
use crate::startup::AppState;

/// The ledger's state.
pub async fn get(state: &AppState) -> Response {
    match state.compliance.ledger().await {
        Ok(status) => json(StatusCode::OK, &status),
        Err(e) => Problem::from(e).into_response(),
    }
}
