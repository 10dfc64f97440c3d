//! The intake answer: what `POST /api/hris/{provider}` and `POST /api/offboardings` say about
//! the case a termination opened (or found, on a redelivery).

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
}
