//! Where a case is in its life, and which moves between those states the state machine
//! allows (drawn in the module documentation of [`super`]).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a case is in its life. The API returns these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Accepted and due: waiting for planning.
    Received,
    /// Accepted, effective in the future.
    Scheduled,
    /// Being planned or executed.
    Running,
    /// Every step verified or recorded not applicable with a reason.
    Completed,
    /// Finished, but at least one step failed or could not be verified.
    CompletedWithExceptions,
    /// Rescinded before it took effect.
    Cancelled,
    /// Held before any change: past the blast-radius brake, or a protected person. Waits
    /// for an operator to approve (back to `received`, then planned) or reject it.
    AwaitingApproval,
    /// A held case an operator rejected, or that nobody approved in time: nothing was changed.
    Rejected,
}

impl CaseStatus {
    /// Every status.
    pub const ALL: [CaseStatus; 8] = [
        Self::Received,
        Self::Scheduled,
        Self::Running,
        Self::Completed,
        Self::CompletedWithExceptions,
        Self::Cancelled,
        Self::AwaitingApproval,
        Self::Rejected,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::CompletedWithExceptions => "completed_with_exceptions",
            Self::Cancelled => "cancelled",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Rejected => "rejected",
        }
    }

    /// Parses the API name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// True once nothing more will happen to the case.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::CompletedWithExceptions | Self::Cancelled | Self::Rejected
        )
    }

    /// Whether `self → to` is a legal transition.
    pub fn can_become(self, to: CaseStatus) -> bool {
        use CaseStatus::*;
        matches!(
            (self, to),
            (Scheduled, Received)
                | (Scheduled, Cancelled)
                | (Received, Cancelled)
                | (Received, Running)
                | (Running, Completed)
                | (Running, CompletedWithExceptions)
                | (CompletedWithExceptions, Running)
                // Access came back after sealing: the scan re-runs just those steps.
                | (Completed, Running)
                | (Received, AwaitingApproval)
                | (Scheduled, AwaitingApproval)
                | (AwaitingApproval, Received)
                | (AwaitingApproval, Rejected)
                | (AwaitingApproval, Cancelled)
        )
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
