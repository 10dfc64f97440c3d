//! Success answers the routes share: JSON bodies and the `Location` of a case.

use serde::Serialize;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use crate::problem::Problem;

/// A JSON answer.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut resp = Response::new(bytes.into());
            *resp.status_mut() = status;
            resp.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            resp
        }
        Err(e) => Problem::internal(format!("could not encode the answer: {e}")).into_response(),
    }
}

/// Adds `Location: /api/cases/{id}`.
pub fn with_location(mut resp: Response, case_id: &offboard_core::CaseId) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("/api/cases/{case_id}")) {
        resp.headers_mut().insert("location", v);
    }
    resp
}

/// The intake answer for what intake did with one termination.
pub fn receipt(r: &offboard_service::Receipt) -> offboard_api::CaseReceipt {
    offboard_api::CaseReceipt {
        case_id: r.case_id.clone(),
        status: r.status,
        duplicate: !r.created,
        attached_to: r.attached.then(|| r.case_id.clone()),
        sign_in_cut: r.sign_in_cut.as_ref().map(sign_in_cut),
    }
}

/// The sign-in cut as the intake answer reports it.
fn sign_in_cut(o: &offboard_service::engine::SignInCutOutcome) -> offboard_api::SignInCut {
    use offboard_api::SignInCutStatus as S;
    use offboard_service::engine::SignInCutOutcome as O;
    let (status, at, reason) = match o {
        O::Verified { at } => (S::Verified, Some(*at), None),
        O::Queued { reason } => (S::Queued, None, Some(reason.clone())),
        O::Scheduled { due_at } => (
            S::Scheduled,
            None,
            Some(format!(
                "the termination takes effect at {}; sign-in is cut then",
                offboard_api::ms::text(due_at)
            )),
        ),
        O::Off { reason } => (S::Off, None, Some(reason.clone())),
    };
    offboard_api::SignInCut { status, at, reason }
}
