//! Errors a caller can act on: retry later ([`GraphError::Transient`]), wait as told
//! ([`GraphError::Throttled`]), give up or ask a human ([`GraphError::Permanent`]), or record that
//! the action does not apply to this object ([`GraphError::NotApplicable`]). Every variant
//! carries the service's `request-id` for evidence. No variant ever holds a token or password.

use std::fmt;
use std::time::Duration;

/// What the service said, for evidence and for a human.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorInfo {
    /// HTTP status, when a response was received.
    pub status: Option<u16>,
    /// The service's error code (`error.code`), e.g. `Request_ResourceNotFound`, or a client-side
    /// code such as `Transport` or `CredentialUnavailable`.
    pub code: String,
    /// The service's message (`error.message`) or a client-side explanation.
    pub message: String,
    /// The service's `request-id` response header (quote it to Microsoft support).
    pub request_id: Option<String>,
    /// The `client-request-id` this client sent.
    pub client_request_id: Option<String>,
}

impl fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(s) => write!(f, "{s} {}: {}", self.code, self.message)?,
            None => write!(f, "{}: {}", self.code, self.message)?,
        }
        if let Some(r) = &self.request_id {
            write!(f, " (request-id {r})")?;
        }
        Ok(())
    }
}

/// Why an action does not apply to an object, as Graph or Exchange refused it. These are not
/// failures of offboarding: the step records them with the reason and routes the work elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum NotApplicableReason {
    /// The object is mastered in on-premises AD (a synced user's `accountEnabled`, password or
    /// GAL visibility; a synced group's members): change it in AD and let directory sync carry it.
    SyncedFromOnPremises,
    /// The licence is inherited from a group (group-based licensing): remove the group membership.
    GroupBasedLicense,
    /// The group has dynamic membership: members follow its rule, not edits.
    DynamicGroup,
    /// A mail-enabled security group or distribution list: read-only in Graph, managed in Exchange.
    MailEnabledGroup,
    /// The user has no Exchange Online mailbox.
    NoMailbox,
    /// The user has no OneDrive.
    NoOneDrive,
    /// The password authentication method cannot be deleted (reset the password instead).
    PasswordMethod,
}

impl NotApplicableReason {
    /// A sentence for evidence and reports.
    pub fn describe(self) -> &'static str {
        match self {
            Self::SyncedFromOnPremises => {
                "the object is synced from on-premises AD; change it there"
            }
            Self::GroupBasedLicense => {
                "the licence is assigned through a group; remove the group membership"
            }
            Self::DynamicGroup => "the group has dynamic membership; it follows its rule",
            Self::MailEnabledGroup => {
                "mail-enabled security groups and distribution lists are managed in Exchange"
            }
            Self::NoMailbox => "the user has no Exchange Online mailbox",
            Self::NoOneDrive => "the user has no OneDrive",
            Self::PasswordMethod => "the password method cannot be deleted; reset the password",
        }
    }
}

/// A failed Graph or Exchange call, classified so the caller knows what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A transient failure (5xx, timeout, connection reset, concurrency conflict) that persisted
    /// through the client's bounded retries: retry the step later.
    #[error("transient failure, retry later: {0}")]
    Transient(ErrorInfo),
    /// Throttled (429) with a `Retry-After` longer than the client waits in-process, or still
    /// throttled after its retries: re-enqueue the step after `retry_after`.
    #[error("throttled, retry after {}s: {info}", retry_after.as_secs())]
    Throttled {
        /// How long the service asked to wait.
        retry_after: Duration,
        /// Details.
        info: ErrorInfo,
    },
    /// A permanent failure (bad request, not found, forbidden, refused token): retrying will not
    /// help; record it and ask a human (grant a permission, fix the data).
    #[error("permanent failure: {0}")]
    Permanent(ErrorInfo),
    /// The action does not apply to this object; record the reason, do not report it as done.
    #[error("not applicable ({}): {info}", reason.describe())]
    NotApplicable {
        /// Why.
        reason: NotApplicableReason,
        /// Details.
        info: ErrorInfo,
    },
}

impl GraphError {
    /// The details, whatever the kind.
    pub fn info(&self) -> &ErrorInfo {
        match self {
            Self::Transient(i) | Self::Permanent(i) => i,
            Self::Throttled { info, .. } | Self::NotApplicable { info, .. } => info,
        }
    }
    /// The service's request id.
    pub fn request_id(&self) -> Option<&str> {
        self.info().request_id.as_deref()
    }
    /// HTTP status, if a response was received.
    pub fn status(&self) -> Option<u16> {
        self.info().status
    }
    /// The service's error code.
    pub fn code(&self) -> &str {
        &self.info().code
    }
    /// Whether the object (or relationship) does not exist: 404 from the service.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Permanent(i) if i.status == Some(404))
    }
    /// Whether the caller should try again later (transient or throttled).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient(_) | Self::Throttled { .. })
    }
    /// The delay a throttled call asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Throttled { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
    /// The not-applicable reason, if any.
    pub fn not_applicable(&self) -> Option<NotApplicableReason> {
        match self {
            Self::NotApplicable { reason, .. } => Some(*reason),
            _ => None,
        }
    }
}

/// How a failed response is classified.
pub(crate) fn classify(info: ErrorInfo, retry_after: Option<Duration>) -> GraphError {
    let msg = info.message.to_ascii_lowercase();
    let code = info.code.as_str();
    let status = info.status.unwrap_or(0);
    let na = |reason| GraphError::NotApplicable {
        reason,
        info: info.clone(),
    };
    if status == 429 {
        return GraphError::Throttled {
            retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
            info,
        };
    }
    if matches!(status, 500 | 502 | 503 | 504)
        || code == "Directory_ConcurrencyViolation"
        || code == "Transport"
    {
        return GraphError::Transient(info);
    }
    if msg.contains("on-premises mastered") {
        return na(NotApplicableReason::SyncedFromOnPremises);
    }
    if msg.contains("inherited from a group membership") {
        return na(NotApplicableReason::GroupBasedLicense);
    }
    if msg.contains("mail-enabled security groups and or distribution list") {
        return na(NotApplicableReason::MailEnabledGroup);
    }
    if status == 400 && msg.contains("dynamic membership") {
        return na(NotApplicableReason::DynamicGroup);
    }
    if code == "MailboxNotEnabledForRESTAPI" {
        return na(NotApplicableReason::NoMailbox);
    }
    if status == 404 && msg.contains("mysite not found") {
        return na(NotApplicableReason::NoOneDrive);
    }
    GraphError::Permanent(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(status: u16, code: &str, message: &str) -> ErrorInfo {
        ErrorInfo {
            status: Some(status),
            code: code.into(),
            message: message.into(),
            request_id: Some("r".into()),
            client_request_id: None,
        }
    }

    #[test]
    fn classifies_graph_refusals() {
        let e = classify(
            info(
                400,
                "Request_BadRequest",
                "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
            ),
            None,
        );
        assert_eq!(
            e.not_applicable(),
            Some(NotApplicableReason::SyncedFromOnPremises)
        );
        let e = classify(
            info(429, "TooManyRequests", "x"),
            Some(Duration::from_secs(7)),
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(classify(info(503, "serviceNotAvailable", "x"), None).is_retryable());
        assert!(classify(info(404, "Request_ResourceNotFound", "x"), None).is_not_found());
        let e = classify(
            info(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
            None,
        );
        assert!(matches!(e, GraphError::Permanent(_)));
        assert_eq!(e.request_id(), Some("r"));
    }
}
