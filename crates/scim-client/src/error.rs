//! Errors a caller can act on: wait as told ([`ScimError::Throttled`]), retry later
//! ([`ScimError::Transient`]), or ask a person ([`ScimError::Refused`],
//! [`ScimError::Unauthorized`], [`ScimError::Invalid`]). A refusal quotes what the system
//! answered (its SCIM error `detail` and `scimType`), so the remediation item says what to fix
//! on the other side. No variant ever holds a token or secret.

use std::time::Duration;

/// The longest part of a system's answer quoted in an error (a whole HTML error page helps
/// nobody).
const QUOTE_LIMIT: usize = 400;

/// Why a SCIM request did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScimError {
    /// `429 Too Many Requests`: ask again after `retry_after` (the system's `Retry-After`, or
    /// a default when it sent none).
    #[error("{status} throttled by the system, retry after {} s: {detail}", retry_after.as_secs())]
    Throttled {
        /// Wait at least this long.
        retry_after: Duration,
        /// The status (429, or 503 with `Retry-After`).
        status: u16,
        /// What the system said.
        detail: String,
    },
    /// The system is unavailable or failed (`5xx`, no connection, a timeout): retrying
    /// later may work.
    #[error("{}temporary failure: {detail}", status.map(|s| format!("{s} ")).unwrap_or_default())]
    Transient {
        /// The status, when a response came.
        status: Option<u16>,
        /// What happened.
        detail: String,
    },
    /// The credential was refused or lacks a scope (`401`, `403`): a person must fix the
    /// token, the client's permissions or the connector file.
    #[error("{status} the system refused the credential: {detail}")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// What the system said.
        detail: String,
    },
    /// The system refused the request (`400`, `409`, `412`, …): retrying the same request
    /// will not help.
    #[error("{status}{} the system refused the request: {detail}", scim_type.as_deref().map(|t| format!(" {t}")).unwrap_or_default())]
    Refused {
        /// The status.
        status: u16,
        /// The SCIM error type (`uniqueness`, `mutability`, `invalidFilter`, …), when given.
        scim_type: Option<String>,
        /// What the system said.
        detail: String,
    },
    /// The answer is not SCIM (not JSON, no `id`, …), or the connector is misconfigured
    /// (an unusable URL): a person must look.
    #[error("{detail}")]
    Invalid {
        /// What is wrong.
        detail: String,
    },
}

impl ScimError {
    /// Whether trying again later may succeed (throttled or transient).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Throttled { .. } | Self::Transient { .. })
    }
}

/// What a system's error answer says, shortened for a message: the SCIM error's `detail`
/// (RFC 7644 §3.12) when the body is one, else the body's start.
pub(crate) fn quote(body: &str) -> (Option<String>, String) {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ScimErrorBody {
        detail: Option<String>,
        scim_type: Option<String>,
    }
    let parsed = serde_json::from_str::<ScimErrorBody>(body).ok();
    let scim_type = parsed.as_ref().and_then(|e| e.scim_type.clone());
    let text = parsed
        .and_then(|e| e.detail)
        .unwrap_or_else(|| body.trim().to_owned());
    let text = if text.is_empty() {
        "(no detail in the answer)".to_owned()
    } else if text.chars().count() > QUOTE_LIMIT {
        format!("{}…", text.chars().take(QUOTE_LIMIT).collect::<String>())
    } else {
        text
    };
    (scim_type, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scim_error_body_is_quoted_by_its_detail_and_type() {
        let (t, d) = quote(
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName taken"}"#,
        );
        assert_eq!(t.as_deref(), Some("uniqueness"));
        assert_eq!(d, "userName taken");
    }

    #[test]
    fn any_other_body_is_quoted_shortened() {
        let (t, d) = quote(&"x".repeat(1000));
        assert_eq!(t, None);
        assert_eq!(d.chars().count(), QUOTE_LIMIT + 1);
        assert_eq!(quote("").1, "(no detail in the answer)");
    }
}
