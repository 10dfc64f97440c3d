//! How failures of the Azure SDKs become the core's errors, and the errors of setting an
//! adapter up.
//!
//! Every message built here is made of the HTTP status, the service's error code and the
//! service's message, passed through [`redact`]: never a token, a header or a URL query. The
//! SDKs' own `Display` of a request is not used, so a credential can never reach a log line
//! through an error.

use azure_core::error::ErrorKind;
use azure_data_cosmos::CosmosError;
use offboard_core::ports::{EvidenceStoreError, QueueError, StoreError};

/// Why an adapter could not be built. These are configuration or deployment problems: each
/// message says which setting or which piece of infrastructure to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// An endpoint setting is not a usable URL.
    #[error("{what} `{value}` is not a valid endpoint: {reason}")]
    InvalidEndpoint {
        /// Which endpoint (for example "Cosmos DB endpoint").
        what: &'static str,
        /// The value given (endpoints are not secrets).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting has a value the adapter cannot use.
    #[error("setting {name}: {detail}")]
    InvalidSetting {
        /// The setting (for example `OFFBOARD_EVIDENCE_CONTAINER`).
        name: &'static str,
        /// What is wrong and what to set.
        detail: String,
    },
    /// The managed-identity credential could not be created.
    #[error(
        "the managed identity credential could not be created: {detail}; on Azure enable the app's system-assigned identity or set OFFBOARD_MANAGED_IDENTITY_CLIENT_ID to a user-assigned identity's client id"
    )]
    Credential {
        /// What the SDK said.
        detail: String,
    },
    /// The operator's developer-tools credential could not be created.
    #[error(
        "your Azure sign-in could not be used: {detail}; run `az login` (or `azd auth login`) as a person who holds Storage Blob Data Reader on the evidence container and Cosmos DB Built-in Data Reader on the database, or run the command where the app's managed identity is available"
    )]
    OperatorCredential {
        /// What the SDK said.
        detail: String,
    },
    /// The Cosmos DB account, database or a container could not be opened.
    #[error(
        "Cosmos DB {what} could not be opened: {detail}; check OFFBOARD_COSMOS_ENDPOINT and OFFBOARD_COSMOS_DATABASE, that the infrastructure created the database and its containers, and that the identity holds the Cosmos DB Built-in Data Contributor role"
    )]
    Cosmos {
        /// What was being opened.
        what: String,
        /// What the service said.
        detail: String,
    },
}

/// Strips anything that looks like a credential from a message that came from outside: JWTs
/// (`eyJ…`), `sig=`/`signature=` and `access_token`/`secret` values, and bearer tokens.
pub(crate) fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut after_bearer = false;
    for word in message.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end();
        let tail = &word[trimmed.len()..];
        if after_bearer && !trimmed.is_empty() {
            out.push_str("<redacted>");
            after_bearer = false;
        } else {
            after_bearer = trimmed.eq_ignore_ascii_case("bearer");
            out.push_str(&redact_word(trimmed));
        }
        out.push_str(tail);
    }
    out
}

fn redact_word(word: &str) -> String {
    const KEYS: [&str; 6] = [
        "sig=",
        "signature=",
        "access_token",
        "secret",
        "x-identity-header",
        "authorization",
    ];
    let lower = word.to_ascii_lowercase();
    if word.contains("eyJ") {
        return "<redacted>".to_owned();
    }
    for key in KEYS {
        if let Some(pos) = lower.find(key) {
            // Keep the key name so the message still says what was there.
            let keep = pos + key.len();
            let mut s = word[..keep].to_owned();
            if keep < word.len() {
                s.push_str("<redacted>");
            }
            return s;
        }
    }
    word.to_owned()
}

/// Maps a Cosmos DB failure to a [`StoreError`] about `what` (for example "case c-…").
///
/// 409 → `Conflict`; 412 → `PreconditionFailed`; 404 → `NotFound` (except the session-lag and
/// missing-container sub-statuses); 408, 429, 449, 503 and the SDK's transport failures →
/// `Unavailable`; everything else → `Permanent`.
pub(crate) fn store_error(what: &str, err: &CosmosError) -> StoreError {
    let status = err.status();
    let code = u16::from(status.status_code());
    let sub = status.sub_status().map(|s| s.value());
    let detail = || redact(&format!("{what}: {err}"));
    match code {
        409 => StoreError::Conflict {
            what: what.to_owned(),
        },
        412 => StoreError::PreconditionFailed {
            what: what.to_owned(),
        },
        // 404/1002: the replica has not caught up with the session yet (retry); 404/1003: the
        // container or database itself is gone (configuration).
        404 if matches!(sub, Some(1002)) => StoreError::Unavailable { detail: detail() },
        404 if matches!(sub, Some(1003)) => StoreError::Permanent {
            detail: format!(
                "{}; the Cosmos DB container is missing: check that the infrastructure created it",
                detail()
            ),
        },
        404 => StoreError::NotFound {
            what: what.to_owned(),
        },
        408 | 429 | 449 | 503 => StoreError::Unavailable { detail: detail() },
        401 | 403 => StoreError::Permanent {
            detail: format!(
                "{}; the identity is not allowed to use this Cosmos DB account: grant it the Cosmos DB Built-in Data Contributor role",
                detail()
            ),
        },
        _ => StoreError::Permanent { detail: detail() },
    }
}

/// A stored document that could not be read back as what offboard wrote.
pub(crate) fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Permanent {
        detail: redact(&format!(
            "stored {what} is unreadable ({err}); it was not written by this version of offboard or was edited by hand"
        )),
    }
}

/// Where a queue call failed, to tell a stale pop receipt from a missing queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueCall {
    /// Creating, sending, receiving, reading properties.
    Queue,
    /// Deleting or updating one dequeued message.
    Message,
}

/// What failed, for an error message: the status and Storage error code (or the failure's
/// kind) on `on`, then the service's text, with anything secret-looking redacted.
fn describe(err: &azure_core::Error, on: &str) -> String {
    let base = match err.kind() {
        ErrorKind::HttpResponse {
            status, error_code, ..
        } => format!(
            "{} {} on {on}",
            u16::from(*status),
            error_code.as_deref().unwrap_or("(no error code)")
        ),
        kind => format!("{kind} on {on}"),
    };
    redact(&format!("{base}: {err}"))
}

/// Maps an Azure Storage queue failure to a [`QueueError`].
///
/// A message call answered 404 `MessageNotFound` or 400 `PopReceiptMismatch` means the pop
/// receipt is stale: `LostMessage`. A 404 `QueueNotFound` is `NoSuchQueue`. 408, 429, 500, 502,
/// 503, 504, I/O failures and token failures are `Unavailable`; the rest `Permanent`.
pub(crate) fn queue_error(
    queue: &str,
    message_id: Option<&str>,
    call: QueueCall,
    err: &azure_core::Error,
) -> QueueError {
    let detail = || describe(err, &format!("queue {queue}"));
    match err.kind() {
        ErrorKind::HttpResponse {
            status, error_code, ..
        } => {
            let code = u16::from(*status);
            let error_code = error_code.as_deref().unwrap_or("");
            match (code, error_code, call) {
                (404, "QueueNotFound", _) => QueueError::NoSuchQueue {
                    queue: queue.to_owned(),
                },
                (404, _, QueueCall::Message) | (400, "PopReceiptMismatch", QueueCall::Message) => {
                    QueueError::LostMessage {
                        id: message_id.unwrap_or("(unknown)").to_owned(),
                    }
                }
                (404, _, QueueCall::Queue) => QueueError::NoSuchQueue {
                    queue: queue.to_owned(),
                },
                (408 | 429 | 500 | 502 | 503 | 504, _, _) => {
                    QueueError::Unavailable { detail: detail() }
                }
                (401 | 403, _, _) => QueueError::Permanent {
                    detail: format!(
                        "{}; the identity is not allowed to use this queue: grant it the Storage Queue Data Message Processor and Sender roles (Contributor to create queues)",
                        detail()
                    ),
                },
                _ => QueueError::Permanent { detail: detail() },
            }
        }
        ErrorKind::Io | ErrorKind::Connection => QueueError::Unavailable { detail: detail() },
        // The managed-identity endpoint failed or is unreachable. A misconfigured identity
        // keeps failing and shows up in the log with this message; a hiccup of the endpoint
        // passes on retry. Retrying is the safe side for an offboarding step.
        ErrorKind::Credential => QueueError::Unavailable {
            detail: format!(
                "{}; no token from the managed identity: check the app's identity (OFFBOARD_MANAGED_IDENTITY_CLIENT_ID)",
                detail()
            ),
        },
        _ => QueueError::Permanent { detail: detail() },
    }
}

/// What a failed call was, to word its error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EvidenceCall {
    /// Put Blob.
    Upload,
    /// Get Blob, Get Blob Properties, List Blobs.
    Read,
    /// Reading the evidence account's immutability policy (resource manager).
    Protection,
}

const WORM_UNSUPPORTED: &str = "the storage service does not implement blob legal holds / immutability policies (501): it is an emulator such as Azurite, not Azure Storage, so this evidence cannot be made immutable. Set OFFBOARD_EVIDENCE_WORM=off only for an emulator (every packet, report and verification then says \"WORM not enforced\"); in production point OFFBOARD_STORAGE_BLOB_ENDPOINT at the evidence account, whose container has version-level immutability";

/// Maps an Azure Storage failure about `what` to an [`EvidenceStoreError`].
///
/// 409 `BlobAlreadyExists` (and 412 on a create-only upload) → `Conflict`; 501 on anything →
/// `Permanent` saying the service has no WORM; 408, 429, 500, 502, 503, 504, I/O and token
/// failures → `Unavailable`; 401/403 → `Permanent` naming the role; the rest `Permanent`.
pub(crate) fn evidence_error(
    what: &str,
    call: EvidenceCall,
    err: &azure_core::Error,
) -> EvidenceStoreError {
    let detail = || describe(err, what);
    match err.kind() {
        ErrorKind::HttpResponse {
            status, error_code, ..
        } => {
            let code = u16::from(*status);
            match (code, error_code.as_deref().unwrap_or(""), call) {
                (409, "BlobAlreadyExists", _) | (412, _, EvidenceCall::Upload) => {
                    EvidenceStoreError::Conflict {
                        what: what.to_owned(),
                    }
                }
                (501, _, _) => EvidenceStoreError::Permanent {
                    detail: format!("{}; {WORM_UNSUPPORTED}", detail()),
                },
                (404, "ContainerNotFound", _) => EvidenceStoreError::Permanent {
                    detail: format!(
                        "{}; the evidence container does not exist: the infrastructure creates it (check OFFBOARD_EVIDENCE_CONTAINER)",
                        detail()
                    ),
                },
                (400 | 409, _, EvidenceCall::Upload | EvidenceCall::Protection)
                    if error_code_mentions_immutability(error_code.as_deref()) =>
                {
                    EvidenceStoreError::Permanent {
                        detail: format!(
                            "{}; the container does not accept legal holds or immutability policies: it needs version-level immutability (the infrastructure enables it on the evidence account)",
                            detail()
                        ),
                    }
                }
                (408 | 429 | 500 | 502 | 503 | 504, _, _) => {
                    EvidenceStoreError::Unavailable { detail: detail() }
                }
                (401 | 403, _, _) => EvidenceStoreError::Permanent {
                    detail: format!(
                        "{}; the identity may not do this on the evidence container: grant it the offboard evidence writer role (blob read and add) and, for the account's immutability policy, the offboard evidence protection reader role (storageAccounts/read)",
                        detail()
                    ),
                },
                _ => EvidenceStoreError::Permanent { detail: detail() },
            }
        }
        ErrorKind::Io | ErrorKind::Connection => {
            EvidenceStoreError::Unavailable { detail: detail() }
        }
        ErrorKind::Credential => EvidenceStoreError::Unavailable {
            detail: format!(
                "{}; no token from the managed identity: check the app's identity (OFFBOARD_MANAGED_IDENTITY_CLIENT_ID)",
                detail()
            ),
        },
        _ => EvidenceStoreError::Permanent { detail: detail() },
    }
}

fn error_code_mentions_immutability(code: Option<&str>) -> bool {
    code.is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("immutab") || c.contains("legalhold") || c.contains("worm")
    })
}

pub(crate) fn is_blob_not_found(err: &azure_core::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::HttpResponse { status, error_code, .. }
            if u16::from(*status) == 404 && error_code.as_deref() != Some("ContainerNotFound")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_tokens_and_signatures() {
        let msg = "failed: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc and https://a/b?sv=1&sig=abcdef then access_token=xyz";
        let out = redact(msg);
        assert!(!out.contains("eyJ"), "{out}");
        assert!(!out.contains("abcdef"), "{out}");
        assert!(!out.contains("xyz"), "{out}");
        assert!(out.starts_with("failed: "), "{out}");
        assert_eq!(redact("404 MessageNotFound"), "404 MessageNotFound");
    }

    #[test]
    fn queue_errors_map_to_what_a_caller_can_do() {
        let http = |status: u16, code: &str| {
            azure_core::Error::new(
                ErrorKind::HttpResponse {
                    status: status.into(),
                    error_code: Some(code.to_owned()),
                    raw_response: None,
                },
                "boom",
            )
        };
        assert_eq!(
            queue_error(
                "q",
                Some("m1"),
                QueueCall::Message,
                &http(404, "MessageNotFound")
            ),
            QueueError::LostMessage { id: "m1".into() }
        );
        assert_eq!(
            queue_error(
                "q",
                Some("m1"),
                QueueCall::Message,
                &http(400, "PopReceiptMismatch")
            ),
            QueueError::LostMessage { id: "m1".into() }
        );
        assert_eq!(
            queue_error("q", None, QueueCall::Queue, &http(404, "QueueNotFound")),
            QueueError::NoSuchQueue { queue: "q".into() }
        );
        assert!(matches!(
            queue_error("q", None, QueueCall::Queue, &http(503, "ServerBusy")),
            QueueError::Unavailable { .. }
        ));
        assert!(matches!(
            queue_error(
                "q",
                None,
                QueueCall::Queue,
                &http(403, "AuthorizationPermissionMismatch")
            ),
            QueueError::Permanent { .. }
        ));
    }

    #[test]
    fn evidence_errors_map_to_what_a_caller_can_do() {
        let http = |status: u16, code: &str| {
            azure_core::Error::new(
                ErrorKind::HttpResponse {
                    status: status.into(),
                    error_code: Some(code.to_owned()),
                    raw_response: None,
                },
                "boom",
            )
        };
        assert_eq!(
            evidence_error(
                "record 1",
                EvidenceCall::Upload,
                &http(409, "BlobAlreadyExists")
            ),
            EvidenceStoreError::Conflict {
                what: "record 1".into()
            }
        );
        match evidence_error(
            "record 1",
            EvidenceCall::Upload,
            &http(501, "APINotImplemented"),
        ) {
            EvidenceStoreError::Permanent { detail } => {
                assert!(detail.contains("OFFBOARD_EVIDENCE_WORM=off"), "{detail}");
                assert!(detail.contains("only for an emulator"), "{detail}");
            }
            other => panic!("501 must be permanent, got {other:?}"),
        }
        assert!(matches!(
            evidence_error("x", EvidenceCall::Read, &http(503, "ServerBusy")),
            EvidenceStoreError::Unavailable { .. }
        ));
        assert!(matches!(
            evidence_error(
                "x",
                EvidenceCall::Upload,
                &http(403, "AuthorizationPermissionMismatch")
            ),
            EvidenceStoreError::Permanent { .. }
        ));
        assert!(matches!(
            evidence_error(
                "x",
                EvidenceCall::Upload,
                &http(409, "BlobImmutableDueToPolicy")
            ),
            EvidenceStoreError::Permanent { .. }
        ));
    }
}
