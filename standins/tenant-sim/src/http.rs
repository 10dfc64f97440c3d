//! Requests and responses as the simulator's engine sees them, independent of warp, so the same
//! code answers a plain HTTP request and an item of a JSON `$batch`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// One request to Graph or Exchange (a top-level request or a `$batch` item).
#[derive(Clone, Debug, Default)]
pub struct SimRequest {
    /// Upper-case method.
    pub method: String,
    /// Path below the service root, starting with `/` (e.g. `/users/x/manager`).
    pub path: String,
    /// Raw query string without `?`.
    pub query: String,
    /// Headers with lower-case names.
    pub headers: BTreeMap<String, String>,
    /// The body, parsed as JSON when present.
    pub body: Option<Value>,
}

impl SimRequest {
    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Whether the method changes state (counts against the write quota).
    pub fn is_write(&self) -> bool {
        // A search is a POST that reads, and the search service's own limits are not the
        // identity write quota.
        matches!(self.method.as_str(), "POST" | "PATCH" | "PUT" | "DELETE")
            && self.path.trim_end_matches('/') != "/search/query"
    }
}

/// A response before it is turned into HTTP.
#[derive(Clone, Debug, PartialEq)]
pub struct SimResponse {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// JSON body (absent for 202/204).
    pub body: Option<Value>,
}

impl SimResponse {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    /// A status without a body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An error answer: status, Graph error code and message, optional extra headers. Rendered
/// with Graph's error shape (`error.code`, `error.message`, `error.innerError` with `date`,
/// `request-id`, `client-request-id`).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `error.code`.
    pub code: String,
    /// `error.message`.
    pub message: String,
    /// Extra headers (`Retry-After`…).
    pub headers: Vec<(String, String)>,
}

impl ApiError {
    /// A new error.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// 400 `Request_BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "Request_BadRequest", message)
    }

    /// 404 `Request_ResourceNotFound` for a directory object.
    pub fn not_found(id: &str) -> Self {
        Self::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// 403 `Authorization_RequestDenied` (directory).
    pub fn denied() -> Self {
        Self::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    /// Renders with Graph's error shape.
    pub fn render(&self, request_id: &str, client_request_id: &str, date: &str) -> SimResponse {
        let body = json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": date,
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                }
            }
        });
        SimResponse {
            status: self.status,
            headers: self.headers.clone(),
            body: Some(body),
        }
    }
}
