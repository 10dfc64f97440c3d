//! SCIM errors (RFC 7644 §3.12): an HTTP status, an optional `scimType` keyword that tells
//! the client what kind of 400 it got, and a `detail` that says what to do about it.
//!
//! ```json
//! {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
//!  "status": "400", "scimType": "invalidFilter",
//!  "detail": "offboard filters users only with userName eq \"...\" or externalId eq \"...\""}
//! ```
//! `status` is a string in the message, as the RFC's examples and schema have it. Details
//! never carry secrets or internals: they name attributes and the form expected.

use serde_json::{Value, json};
use std::fmt;

use super::urn::ERROR_SCHEMA;

/// The `scimType` keywords of RFC 7644 §3.12, Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimType {
    /// The filter syntax is invalid, or the attribute and comparison are not supported.
    InvalidFilter,
    /// The filter yields more results than the server will process.
    TooMany,
    /// A `uniqueness` attribute (here `userName`) already has this value.
    Uniqueness,
    /// The change is not compatible with the attribute's mutability (e.g. `id`).
    Mutability,
    /// The body is not a well-formed message of the expected kind.
    InvalidSyntax,
    /// A PATCH `path` is malformed.
    InvalidPath,
    /// A PATCH `path` selects nothing to act on.
    NoTarget,
    /// A value is missing or not of the attribute's type.
    InvalidValue,
    /// The SCIM protocol version is not supported.
    InvalidVers,
    /// The request carries sensitive information in the URL.
    Sensitive,
}

impl ScimType {
    /// The keyword as it appears in the message.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVers => "invalidVers",
            Self::Sensitive => "sensitive",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM error answer: what the client did wrong (4xx) or why offboard cannot answer now
/// (5xx).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}{}: {detail}", scim_type.map(|t| format!(" ({t})")).unwrap_or_default())]
pub struct ScimError {
    /// The HTTP status code.
    pub status: u16,
    /// The `scimType` keyword, for the 400s and 409s the RFC defines them for.
    pub scim_type: Option<ScimType>,
    /// Human-readable: what is wrong and what to send instead.
    pub detail: String,
}

impl ScimError {
    /// An error with a status and an optional `scimType`.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 `invalidValue`: a value is missing or not of the attribute's type.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidValue), detail)
    }

    /// 400 `invalidSyntax`: the body is not the message the endpoint takes.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidSyntax), detail)
    }

    /// 400 `invalidFilter`: a filter offboard cannot parse or does not support.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidFilter), detail)
    }

    /// 400 `invalidPath`: a malformed PATCH path.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidPath), detail)
    }

    /// 400 `noTarget`: a PATCH path that selects nothing.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::NoTarget), detail)
    }

    /// 400 `mutability`: an attempt to change what the client may not change.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::Mutability), detail)
    }

    /// 409 `uniqueness`: the value is already taken by another resource.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// 403: a request the endpoint refuses by design (a filter on a discovery endpoint).
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, None, detail)
    }

    /// 404: no such resource or endpoint.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    /// 405: the endpoint exists but not for this method.
    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self::new(405, None, detail)
    }

    /// 412: an `If-Match` precondition failed (RFC 7644 §3.14).
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(412, None, detail)
    }

    /// 500: offboard failed in a way retrying will not fix.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(500, None, detail)
    }

    /// 501: a SCIM feature offboard does not implement.
    pub fn not_implemented(detail: impl Into<String>) -> Self {
        Self::new(501, None, detail)
    }

    /// 503: a temporary failure; the client should retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(503, None, detail)
    }

    /// The Error message (RFC 7644 §3.12), `status` as a string.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(map)) = (self.scim_type, body.as_object_mut()) {
            map.insert("scimType".into(), Value::String(t.as_str().into()));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_rfc_error_message_with_status_as_string() {
        let e = ScimError::invalid_filter("use userName eq \"...\"");
        assert_eq!(
            e.to_json(),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "400",
                "scimType": "invalidFilter",
                "detail": "use userName eq \"...\""
            })
        );
        let nf = ScimError::not_found("no user").to_json();
        assert_eq!(nf["status"], "404");
        assert!(nf.get("scimType").is_none());
        assert_eq!(
            ScimError::uniqueness("taken").to_string(),
            "HTTP 409 (uniqueness): taken"
        );
    }

    #[test]
    fn every_keyword_is_spelled_as_the_rfc_spells_it() {
        let all = [
            (ScimType::InvalidFilter, "invalidFilter"),
            (ScimType::TooMany, "tooMany"),
            (ScimType::Uniqueness, "uniqueness"),
            (ScimType::Mutability, "mutability"),
            (ScimType::InvalidSyntax, "invalidSyntax"),
            (ScimType::InvalidPath, "invalidPath"),
            (ScimType::NoTarget, "noTarget"),
            (ScimType::InvalidValue, "invalidValue"),
            (ScimType::InvalidVers, "invalidVers"),
            (ScimType::Sensitive, "sensitive"),
        ];
        for (t, s) in all {
            assert_eq!(t.as_str(), s);
        }
    }
}
