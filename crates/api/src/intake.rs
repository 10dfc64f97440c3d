//! The intake answer: what `POST /api/hris/{provider}` and `POST /api/offboardings` say about
//! the case a termination opened (or found, on a redelivery).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use offboard_core::case::CaseStatus;
use offboard_core::ids::CaseId;

/// The answer for one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseReceipt {
    /// The case id.
    pub case_id: CaseId,
    /// Its status.
    pub status: CaseStatus,
    /// True when the event had been delivered before and nothing new was created.
    pub duplicate: bool,
    /// Set when the termination joined the open offboarding of the same person instead of
    /// opening its own (one person, one active offboarding): the case it joined, also in
    /// `caseId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_to: Option<CaseId>,
    /// What the intake request did about the leaver's sign-in before answering (the kill
    /// switch): cut and verified, left to the queued steps and why, scheduled, or off. Absent
    /// when the termination joined another case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_cut: Option<SignInCut>,
}

/// The sign-in cut as the intake answer reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInCut {
    /// Where the cut stands.
    pub status: SignInCutStatus,
    /// When sign-in was cut and read back (with `verified`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::ms::option"
    )]
    pub at: Option<DateTime<Utc>>,
    /// Why it is not verified yet (every status but `verified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where the sign-in cut stands when intake answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SignInCutStatus {
    /// Sign-in is blocked (or the AD account disabled) and sessions are revoked, both read
    /// back, and their evidence is recorded.
    Verified,
    /// Not verified yet: the queued steps cut sign-in (throttled, failed, over the time
    /// budget, or another invocation is cutting it).
    Queued,
    /// The termination takes effect later: sign-in is cut when it falls due.
    Scheduled,
    /// The policy leaves the cut to the queued steps for this kind of termination.
    Off,
}
