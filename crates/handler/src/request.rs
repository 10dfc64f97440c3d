//! A request as the routes see it: read whole, body bounded, with the query-parameter
//! readers every route shares (so a route never reaches into a sibling route for them).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use warp::http::{HeaderMap, Method};

use crate::problem::Problem;

/// A request as offboard's routes see it: everything read, body bounded.
pub struct Request {
    /// HTTP method.
    pub method: Method,
    /// Path, percent-decoded segments are not applied (ids are ASCII).
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Headers.
    pub headers: HeaderMap,
    /// The raw body bytes, exactly as received.
    pub body: Bytes,
}

impl Request {
    /// A header as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Reads query parameter `name` as an instant: a date (`YYYY-MM-DD`, UTC midnight; as an
    /// end (`end = true`) the whole day is included) or an RFC 3339 date-time. Answers the
    /// instant with the text as given, or a 400 naming the parameter.
    pub fn instant(
        &self,
        name: &'static str,
        end: bool,
    ) -> Result<Option<(DateTime<Utc>, String)>, Problem> {
        let Some(v) = self.query_param(name) else {
            return Ok(None);
        };
        if let Some(t) = offboard_service::report::parse_bound(&v, end) {
            return Ok(Some((t, v)));
        }
        Err(Problem::bad_query(format!(
            "`{name}` must be a date (YYYY-MM-DD) or an RFC 3339 date-time such as 2026-11-30T17:00:00Z, in the years 0000 to 9999 (got `{v}`)"
        )))
    }
}
