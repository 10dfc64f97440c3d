//! RFC 9457 problem details: every error answer says what went wrong and what to do, as
//! `application/problem+json`, naming the offending field with a JSON pointer.

use serde_json::json;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

/// A problem answer under construction.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
    pointer: Option<String>,
    case_id: Option<String>,
}

impl Problem {
    /// A problem with a status, a stable type slug, a short title and a specific detail.
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            slug,
            title,
            detail: detail.into(),
            pointer: None,
            case_id: None,
        }
    }

    /// Names the field at fault (a JSON pointer into the request body).
    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Names the case the problem is about (`caseId` in the answer).
    pub fn about_case(mut self, case_id: impl Into<String>) -> Self {
        self.case_id = Some(case_id.into());
        self
    }

    /// 400 for a query parameter offboard cannot read (the detail names it).
    pub fn bad_query(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Bad query parameter",
            detail,
        )
    }

    /// 404 for a path offboard does not serve.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 401 for a failed signature or token check.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Request not authenticated",
            detail,
        )
    }

    /// 503 for a missing provider secret: refuse rather than accept unverified input.
    pub fn not_configured(setting: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-configured",
            "Provider not configured",
            format!(
                "this intake is disabled until the app setting {setting} is configured (in Azure, as a Key Vault reference)"
            ),
        )
    }

    /// 503 for a temporary backend failure.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Temporarily unavailable",
            detail,
        )
    }

    /// 502 when a service offboard depends on (Graph, Exchange) refused a request and
    /// retrying will not change that.
    pub fn bad_gateway(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "upstream-refused",
            "A service offboard depends on refused the request",
            detail,
        )
    }

    /// 500 for an unexpected failure.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            detail,
        )
    }

    /// The title and the detail, for a page that shows the problem to a person.
    pub fn words(&self) -> (&'static str, &str) {
        (self.title, &self.detail)
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Builds the HTTP response.
    pub fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("https://offboard.dev/problems/{}", self.slug),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(id) = &self.case_id {
            body["caseId"] = json!(id);
        }
        if let Some(p) = &self.pointer {
            body["errors"] = json!([{ "pointer": format!("#{p}"), "detail": self.detail }]);
        }
        let mut resp = Response::new(body.to_string().into());
        *resp.status_mut() = self.status;
        resp.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE && self.slug == "unavailable" {
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from_static("30"));
        }
        resp
    }
}

impl From<offboard_core::intake::PayloadError> for Problem {
    fn from(e: offboard_core::intake::PayloadError) -> Self {
        let (status, slug, title) = if e.unprocessable {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable",
                "Payload lacks what offboard needs",
            )
        } else {
            (
                StatusCode::BAD_REQUEST,
                "malformed",
                "Malformed request body",
            )
        };
        Problem::new(status, slug, title, e.detail).at(e.pointer)
    }
}

impl From<offboard_service::IntakeError> for Problem {
    fn from(e: offboard_service::IntakeError) -> Self {
        use offboard_service::IntakeError;
        match &e {
            IntakeError::Transition(t) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Not allowed now",
                t.to_string(),
            ),
            IntakeError::Restore {
                transient: false, ..
            } => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Not restored",
                e.to_string(),
            ),
            // Logged and notified by intake; the answer names the case of the first use.
            IntakeError::EventIdReused { original, .. } => Problem::new(
                StatusCode::CONFLICT,
                "event-id-conflict",
                "Event id already used for a different termination",
                e.to_string(),
            )
            .about_case(original.as_str()),
            _ if e.is_transient() => Problem::unavailable(
                "offboard could not store the request right now; nothing was kept — retry the same request",
            ),
            _ => {
                tracing::error!(error = %e, "intake failed");
                Problem::internal(
                    "offboard could not store the request; nothing was kept — retry later or contact the operator",
                )
            }
        }
    }
}

impl From<offboard_service::compliance::ComplianceError> for Problem {
    fn from(e: offboard_service::compliance::ComplianceError) -> Self {
        use offboard_service::compliance::ComplianceError;
        match &e {
            ComplianceError::BadRequest { .. } => Problem::bad_query(e.to_string()),
            ComplianceError::NoSuchCase(_) => Problem::not_found(e.to_string()),
            _ if e.is_transient() => Problem::unavailable(format!("{e}; retry later")),
            _ => {
                tracing::error!(error = %e, "compliance query failed");
                Problem::internal(e.to_string())
            }
        }
    }
}
