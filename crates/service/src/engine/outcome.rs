//! What the engine's entry points come to: done, skipped or deferred ([`Handled`]), what an
//! SLA tick found ([`SlaReport`]), or why the message must be retried ([`EngineError`]).

use offboard_core::case::DecisionError;
use offboard_core::ids::CaseId;
use offboard_core::ports::{QueueError, StoreError};

use crate::evidence::EvidenceFailure;

/// Why the engine could not finish handling a message; the host retries it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The case store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Evidence could not be written.
    #[error(transparent)]
    Evidence(#[from] EvidenceFailure),
    /// An outside service is temporarily unavailable.
    #[error("{0}")]
    Unavailable(String),
    /// Too many concurrent changes to the case.
    #[error("case {0} kept changing; the message will be retried")]
    Contended(CaseId),
    /// Encoding a message failed (a bug).
    #[error("could not encode a message: {0}")]
    Encode(String),
    /// A request about a case that cannot be honoured.
    #[error("{0}")]
    Refused(String),
    /// No such case.
    #[error("no case {0}")]
    NoSuchCase(CaseId),
    /// A decision on a held case that offboard refuses (not held, self-approval, no reason).
    #[error(transparent)]
    Decision(#[from] DecisionError),
    /// A restore offboard refuses (not ended, nothing changed, the raiser, no reason).
    #[error(transparent)]
    Restore(#[from] crate::restore::RestoreError),
}

impl EngineError {
    /// Whether a retry may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(e) => e.is_transient(),
            Self::Queue(e) => matches!(e, QueueError::Unavailable { .. }),
            Self::Evidence(e) => e.is_transient(),
            Self::Contended(_) | Self::Unavailable(_) => true,
            Self::Restore(e) => e.is_transient(),
            Self::Encode(_) | Self::Refused(_) | Self::NoSuchCase(_) | Self::Decision(_) => false,
        }
    }
}

/// What handling one message did, for the invocation log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Work was done.
    Done(String),
    /// Nothing to do (already done, or someone else is doing it).
    Skipped(String),
    /// Deferred: re-enqueued after a delay.
    Deferred(String),
}

impl Handled {
    /// A line for the log.
    pub fn describe(&self) -> &str {
        match self {
            Self::Done(s) | Self::Skipped(s) | Self::Deferred(s) => s,
        }
    }
}

/// What one SLA tick found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SlaReport {
    /// Cases checked.
    pub checked: u32,
    /// Breaches flagged now.
    pub breached: u32,
}
