//! Notifications: what a person must know, in words that say which leaver, what failed and
//! what to do.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::CaseId;

/// Why a notification goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A step failed permanently; a remediation item is open.
    StepFailed,
    /// A case finished with exceptions.
    CaseCompletedWithExceptions,
    /// A case passed its SLA without sign-in cut.
    SlaBreached,
    /// The leaver could not be resolved (not found, or ambiguous).
    LeaverNotResolved,
    /// The on-prem agent could not be reached for a while.
    AgentUnreachable,
    /// An event id was reused with different content: the second request was refused.
    EventIdConflict,
    /// The ghost-access scan raised a finding (a missed termination, an orphan, a sign-in
    /// after the cut, access that came back, a case past its SLA).
    GhostAccessFound,
    /// A population source could not be read: the scan is incomplete until it is fixed.
    PopulationSourceFailed,
    /// The leaver's mail was forwarded outside the organisation (found by stop-forwarding).
    PossibleExfiltration,
    /// A source passed the blast-radius brake: its next terminations are held for approval.
    BrakeTripped,
    /// A protected person's termination is held for approval.
    HeldForApproval,
    /// A held case expired without a decision and was rejected: nothing was changed.
    HoldExpired,
    /// HR rescinded a termination that had taken effect, but the case was not restored (the
    /// rescind came after the policy's `[restore] rescind_within_days`, or the case could not
    /// be restored then): an operator decides.
    RescindNotRestored,
    /// A restore put access back: the person and their manager are told what could not come
    /// back and what to do.
    RestoreLost,
}

impl NotificationKind {
    /// A short title.
    pub fn title(self) -> &'static str {
        match self {
            Self::StepFailed => "Offboarding step failed",
            Self::CaseCompletedWithExceptions => "Offboarding finished with exceptions",
            Self::SlaBreached => "Offboarding SLA breached",
            Self::LeaverNotResolved => "Leaver not found",
            Self::AgentUnreachable => "On-prem agent unreachable",
            Self::EventIdConflict => "Event id reused for a different termination",
            Self::GhostAccessFound => "Ghost access found",
            Self::PopulationSourceFailed => "HR population source failed",
            Self::PossibleExfiltration => "Possible exfiltration: leaver's mail forwarded outside",
            Self::BrakeTripped => "Terminations held: blast-radius brake",
            Self::HeldForApproval => "Termination of a protected person held for approval",
            Self::HoldExpired => "Held termination expired and was rejected",
            Self::RescindNotRestored => "Termination rescinded by HR but not restored",
            Self::RestoreLost => "Your access is back: what could not come back",
        }
    }
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Why.
    pub kind: NotificationKind,
    /// The case.
    pub case_id: CaseId,
    /// The leaver, as HR named them.
    pub leaver: String,
    /// What failed (or happened).
    pub what: String,
    /// What to do about it.
    pub action: String,
    /// When.
    pub at: DateTime<Utc>,
    /// A de-duplication key: the same key is delivered once.
    pub key: String,
    /// People the notice is also for, by mail address (the person and their manager after a
    /// restore): the mail sink sends to them besides its configured recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
}
