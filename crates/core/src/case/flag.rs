//! Flags a step raises on its case for a person to look at: something found in the leaver's
//! tenant that is worse than a step's outcome says (mail forwarded outside the organisation).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::plan::StepKind;

/// What a flag warns about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseFlagKind {
    /// The leaver's mail was forwarded or redirected outside the organisation.
    PossibleExfiltration,
}

/// One flag on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseFlag {
    /// What it warns about.
    pub kind: CaseFlagKind,
    /// The step that found it.
    pub step: StepKind,
    /// What was found, in words (addresses and rule names; never message content).
    pub detail: String,
    /// When it was raised.
    pub at: DateTime<Utc>,
}
