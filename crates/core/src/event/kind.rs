//! The kinds of termination HR sends. The effective-time rules read them, so they sit
//! below both the event and [`crate::effective`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of termination, which decides the effective-time rule, the policy and the SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminationKind {
    /// The employee resigned.
    Voluntary,
    /// The company ended the employment.
    Involuntary,
    /// Dismissal for cause: access is cut immediately.
    ForCause,
    /// Retirement.
    Retirement,
    /// A fixed-term contract ended.
    ContractEnd,
    /// The employee died.
    Death,
    /// The source does not say (a SCIM deactivation without offboard's extension).
    Unspecified,
}

impl TerminationKind {
    /// Every kind, in the order the API documents them.
    pub const ALL: [TerminationKind; 7] = [
        Self::Voluntary,
        Self::Involuntary,
        Self::ForCause,
        Self::Retirement,
        Self::ContractEnd,
        Self::Death,
        Self::Unspecified,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Voluntary => "voluntary",
            Self::Involuntary => "involuntary",
            Self::ForCause => "for_cause",
            Self::Retirement => "retirement",
            Self::ContractEnd => "contract_end",
            Self::Death => "death",
            Self::Unspecified => "unspecified",
        }
    }

    /// Parses the API name; also accepts HR-style labels such as "For Cause" or
    /// "Contract End" (case, spaces and dashes ignored).
    pub fn parse(value: &str) -> Option<Self> {
        let norm: String = value
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Some(match norm.as_str() {
            "voluntary" | "resignation" | "resigned" => Self::Voluntary,
            "involuntary" | "layoff" | "terminated" | "dismissal" => Self::Involuntary,
            "forcause" | "cause" => Self::ForCause,
            "retirement" | "retired" => Self::Retirement,
            "contractend" | "endofcontract" | "contractexpired" => Self::ContractEnd,
            "death" | "deceased" => Self::Death,
            "unspecified" | "" => Self::Unspecified,
            _ => return None,
        })
    }

    /// Whether access is cut at once, whatever date HR gives.
    pub fn is_immediate(self) -> bool {
        matches!(self, Self::Involuntary | Self::ForCause)
    }
}

impl fmt::Display for TerminationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
