//! offboard as a SCIM 2.0 service provider at `/api/scim/v2`: the use case behind the HTTP
//! route.
//!
//! The route authenticates the bearer token (`offboard_core::signature::verify_bearer`) and
//! hands the request here as method, path, query and raw body. This module answers it with
//! the SCIM protocol of `offboard_core::scim` over the [`ScimUserStore`], and turns
//! deactivations into termination cases through [`Intake`]:
//!
//! - **Deactivation** — `active` going from true to false by PATCH or PUT, or DELETE of an
//!   active user — opens a case whose event id is `"{scim id}/{n}"` for the user's n-th
//!   deactivation, so a redelivered request maps to the same case. The answer carries
//!   `Offboard-Case-Id` and `Offboard-Case-Status`.
//! - **Reactivation** — `active` back to true — cancels the case of the last deactivation
//!   if it has not taken effect yet. After that the change is still accepted (the identity
//!   provider's record is what it is), the case goes on, and a note on the case records the
//!   late reactivation.
//!
//! The case is opened before the user is stored: if storing then fails, the client's retry
//! finds the user still active, deactivates it again with the same number and lands on the
//! same case. The reverse order could lose the termination.
//!
//! A user that carries nothing offboard can identify the leaver by (no `employeeNumber`, no
//! `userName` of the form name@domain, no primary or work email) is still deactivated in
//! SCIM, but no case can be opened: a warning is logged for the operator.
//!
//! Failures of the store or of intake answer 503 (temporary: retry) or 500, with a SCIM
//! error that says what to do and nothing about internals.
//!
//! This file routes a request and holds what every answer shares; `users.rs` is the SCIM
//! protocol over the user store (create, read, list, search, replace, patch, delete) and
//! `deactivation.rs` what a deactivation or reactivation does to termination cases.

mod deactivation;
mod users;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde_json::{Map, Value};

use offboard_core::effective::EffectivePolicy;
use offboard_core::ports::{ScimUserStore, StoreError};
use offboard_core::scim::query::{decode_segment, param, parse_query};
use offboard_core::scim::resource::etag;
use offboard_core::scim::{MEDIA_TYPE, ScimError, discovery};
use offboard_core::signature::Verified;

use crate::intake::Intake;

/// Response header naming the case a deactivation opened (or a reactivation cancelled).
pub const CASE_ID_HEADER: &str = "Offboard-Case-Id";
/// Response header with that case's status (`received`, `scheduled`, `cancelled`, ...).
pub const CASE_STATUS_HEADER: &str = "Offboard-Case-Status";

/// How many times a write is retried when the user changed between read and write.
const MAX_WRITE_ATTEMPTS: usize = 5;

/// Seconds a client is asked to wait before retrying after a 503.
const RETRY_AFTER_SECONDS: &str = "5";

/// A SCIM request, as the HTTP route received it.
#[derive(Debug, Clone)]
pub struct ScimRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// What follows `/api/scim/v2`, e.g. `/Users/2819c223`.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The raw request body.
    pub body: &'a [u8],
    /// The SCIM base URL for `meta.location`, e.g. `https://host/api/scim/v2`.
    pub base_url: &'a str,
    /// Proof the bearer token was checked, with the body's digest and arrival time.
    pub verified: Verified,
    /// The `If-Match` header, if any (RFC 7644 §3.14).
    pub if_match: Option<&'a str>,
    /// The `If-None-Match` header, if any.
    pub if_none_match: Option<&'a str>,
}

/// What to answer: status, JSON body (sent as `application/scim+json`) and headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body, if any.
    pub body: Option<Value>,
    /// Headers to send, `Content-Type` included when there is a body.
    pub headers: Vec<(String, String)>,
}

impl ScimResponse {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            headers: vec![("Content-Type".into(), MEDIA_TYPE.into())],
        }
    }

    fn empty(status: u16) -> Self {
        Self {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    fn error(e: &ScimError) -> Self {
        let r = Self::json(e.status, e.to_json());
        if e.status == 503 {
            r.with_header("Retry-After", RETRY_AFTER_SECONDS)
        } else {
            r
        }
    }

    fn method_not_allowed(allowed: &str) -> Self {
        Self::error(&ScimError::method_not_allowed(format!(
            "this endpoint accepts {allowed} only"
        )))
        .with_header("Allow", allowed)
    }

    fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn with_headers(mut self, headers: Vec<(String, String)>) -> Self {
        self.headers.extend(headers);
        self
    }

    /// The value of the header `name` (any case), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The SCIM use case.
#[derive(Clone)]
pub struct ScimService {
    users: Arc<dyn ScimUserStore>,
    intake: Intake,
    policy: EffectivePolicy,
}

fn store_failure(e: StoreError) -> ScimError {
    match e {
        StoreError::Conflict { .. } => ScimError::uniqueness(
            "this userName is already used by another user; userName must be unique \
             (compared without regard to case)",
        ),
        StoreError::NotFound { .. } => ScimError::not_found("the user does not exist"),
        e if e.is_transient() => {
            tracing::warn!(error = %e, "SCIM user store temporarily unavailable");
            ScimError::unavailable(
                "offboard's user store is temporarily unavailable; retry the request",
            )
        }
        e => {
            tracing::error!(error = %e, "SCIM user store failed");
            ScimError::internal(
                "offboard could not read or store the user; retry later, and tell the offboard \
                 operator if it persists",
            )
        }
    }
}

fn user_not_found(id: &str) -> ScimError {
    let mut shown: String = id.chars().take(100).collect();
    if shown.len() < id.len() {
        shown.push('…');
    }
    ScimError::not_found(format!("no user with id {shown}"))
}

fn parse_json(body: &[u8]) -> Result<Value, ScimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax(
            "the request needs a JSON body (application/scim+json)",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
}

/// The opaque part of an entity tag, so that `W/"3"` and `"3"` compare equal: RFC 7644
/// §3.14 uses weak tags in `If-Match`.
fn opaque_tag(tag: &str) -> &str {
    let t = tag.trim();
    t.strip_prefix("W/").unwrap_or(t)
}

fn tag_matches(header: &str, version: u64) -> bool {
    let current = etag(version);
    header.trim() == "*"
        || header
            .split(',')
            .any(|t| opaque_tag(t) == opaque_tag(&current))
}

fn check_if_match(if_match: Option<&str>, version: u64) -> Result<(), ScimError> {
    match if_match {
        Some(h) if !tag_matches(h, version) => Err(ScimError::precondition_failed(
            "the user changed since you read it (If-Match does not match its ETag); read it \
             again and retry",
        )),
        _ => Ok(()),
    }
}

fn as_map(resource: &Value) -> Map<String, Value> {
    match resource {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    }
}

impl ScimService {
    /// The service over a user store and intake; `policy` turns a `terminationDateTime`
    /// into the case's effective instant.
    pub fn new(users: Arc<dyn ScimUserStore>, intake: Intake, policy: EffectivePolicy) -> Self {
        Self {
            users,
            intake,
            policy,
        }
    }

    /// Answers one SCIM request. `path` is what follows `/api/scim/v2` (e.g. `/Users/abc`),
    /// `query` the raw query string, `base_url` e.g. `https://host/api/scim/v2` for
    /// `meta.location`, `verified` the proof the bearer token was checked, carrying the
    /// body digest. Conditional headers are not seen here: use [`Self::handle_request`] to
    /// pass `If-Match` / `If-None-Match`.
    pub async fn handle(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        base_url: &str,
        verified: Verified,
    ) -> ScimResponse {
        self.handle_request(ScimRequest {
            method,
            path,
            query,
            body,
            base_url,
            verified,
            if_match: None,
            if_none_match: None,
        })
        .await
    }

    /// Answers one SCIM request, conditional headers included.
    pub async fn handle_request(&self, req: ScimRequest<'_>) -> ScimResponse {
        match self.route(&req).await {
            Ok(r) => r,
            Err(e) => ScimResponse::error(&e),
        }
    }

    async fn route(&self, req: &ScimRequest<'_>) -> Result<ScimResponse, ScimError> {
        let raw_path = req.path.split('?').next().unwrap_or_default();
        let segments = raw_path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode_segment)
            .collect::<Result<Vec<_>, _>>()?;
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let params = parse_query(req.query)?;
        let method = req.method.to_ascii_uppercase();
        let is = |s: &str, name: &str| s.eq_ignore_ascii_case(name);
        let base = req.base_url;

        match segments.as_slice() {
            [s] if is(s, "ServiceProviderConfig") => discovery_get(&method, &params, || {
                Some(discovery::service_provider_config(base))
            }),
            [s] if is(s, "ResourceTypes") => {
                discovery_get(&method, &params, || Some(discovery::resource_types(base)))
            }
            [s, id] if is(s, "ResourceTypes") => {
                discovery_get(&method, &params, || discovery::resource_type(base, id))
            }
            [s] if is(s, "Schemas") => {
                discovery_get(&method, &params, || Some(discovery::schemas(base)))
            }
            [s, id] if is(s, "Schemas") => {
                discovery_get(&method, &params, || discovery::schema(base, id))
            }
            // Root-level search (RFC 7644 §3.4.3): Users are the only resource type, so a
            // search across all types is a search of Users.
            [s] if *s == ".search" => match method.as_str() {
                "POST" => self.search(req).await,
                _ => Ok(ScimResponse::method_not_allowed("POST")),
            },
            [s] if is(s, "Users") => match method.as_str() {
                "GET" => self.list(req, &params).await,
                "POST" => self.create(req, &params).await,
                _ => Ok(ScimResponse::method_not_allowed("GET, POST")),
            },
            [s, search] if is(s, "Users") && *search == ".search" => match method.as_str() {
                "POST" => self.search(req).await,
                _ => Ok(ScimResponse::method_not_allowed("POST")),
            },
            [s, id] if is(s, "Users") => match method.as_str() {
                "GET" => self.get(req, id, &params).await,
                "PUT" => self.replace(req, id, &params).await,
                "PATCH" => self.patch(req, id, &params).await,
                "DELETE" => self.delete(req, id).await,
                _ => Ok(ScimResponse::method_not_allowed("GET, PUT, PATCH, DELETE")),
            },
            [s, ..] if is(s, "Me") => Err(ScimError::not_implemented(
                "offboard does not support /Me: it has no authenticated subject, only a \
                 provisioning client",
            )),
            [s] if is(s, "Bulk") => Err(ScimError::not_implemented(
                "offboard does not support bulk operations (ServiceProviderConfig bulk.supported \
                 is false): send each operation on its own",
            )),
            _ => Err(ScimError::not_found(
                "no such SCIM endpoint: offboard serves /Users, /Users/.search, /.search, \
                 /ServiceProviderConfig, /ResourceTypes and /Schemas",
            )),
        }
    }
}

/// A discovery endpoint: GET only (405 otherwise), no filter (403, RFC 7644 §4).
fn discovery_get(
    method: &str,
    params: &[(String, String)],
    doc: impl FnOnce() -> Option<Value>,
) -> Result<ScimResponse, ScimError> {
    if method != "GET" {
        return Ok(ScimResponse::method_not_allowed("GET"));
    }
    if param(params, "filter").is_some() {
        return Err(ScimError::forbidden(
            "discovery endpoints do not support filter (RFC 7644 §4): GET them without one",
        ));
    }
    doc().map(|d| ScimResponse::json(200, d)).ok_or_else(|| {
        ScimError::not_found(
            "offboard publishes the resource type User and the schemas listed at /Schemas",
        )
    })
}
