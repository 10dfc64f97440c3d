//! Findings of the reconciliation scan: who, what, since when and what to do; kept until a
//! later scan sees them resolved, and never raised twice (the id is the kind and the subject).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::evidence::millis;
use crate::ids::CaseId;
use crate::ports::StoreError;

use super::record::PopulationScan;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// HR says the person left and offboard holds no case for them.
    MissedTermination,
    /// A case past its SLA that is not terminal.
    IncompleteCase,
    /// Access a completed case removed has come back.
    AccessReturned,
    /// A successful sign-in after the sign-in cut.
    SigninAfterTermination,
    /// An enabled member account that matches nobody in HR's population.
    OrphanedAccount,
    /// A population source could not be read: the scan is incomplete.
    SourceFailed,
    /// A completed case's drift re-check read only part of a listing (the page limit was
    /// hit): what lies beyond was not judged.
    RecheckIncomplete,
}

impl FindingKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [FindingKind; 7] = [
        Self::MissedTermination,
        Self::IncompleteCase,
        Self::AccessReturned,
        Self::SigninAfterTermination,
        Self::OrphanedAccount,
        Self::SourceFailed,
        Self::RecheckIncomplete,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissedTermination => "missed_termination",
            Self::IncompleteCase => "incomplete_case",
            Self::AccessReturned => "access_returned",
            Self::SigninAfterTermination => "signin_after_termination",
            Self::OrphanedAccount => "orphaned_account",
            Self::SourceFailed => "source_failed",
            Self::RecheckIncomplete => "recheck_incomplete",
        }
    }

    /// Parses the API name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// Whether judging this kind needs every population source loaded: with a source
    /// missing, such findings are neither raised nor resolved.
    pub fn needs_population(self) -> bool {
        matches!(
            self,
            Self::MissedTermination | Self::OrphanedAccount | Self::SigninAfterTermination
        )
    }
}

/// Whether a finding still stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// Seen by the latest scan that could judge it.
    Open,
    /// A later scan no longer saw it.
    Resolved,
}

impl FindingStatus {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }
}

/// One finding as the scan judged it (before it is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// `{kind}:{subject key}`: the same situation always has the same id.
    pub id: String,
    /// What it is.
    pub kind: FindingKind,
    /// Who: the person or account, as people read it.
    pub subject: String,
    /// The Entra object id, when there is an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// The case concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<CaseId>,
    /// What was seen.
    pub what: String,
    /// Since when it has been true (HR's leave time, the sign-in, the SLA deadline...).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "millis::option"
    )]
    pub since: Option<DateTime<Utc>>,
    /// What to do about it.
    pub action: String,
}

/// A stored finding: the observation and its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// What was seen (the latest observation).
    #[serde(flatten)]
    pub observation: Observation,
    /// Open or resolved.
    pub status: FindingStatus,
    /// The scan that first raised it.
    pub first_scan: String,
    /// When it was first raised.
    #[serde(with = "millis")]
    pub first_seen: DateTime<Utc>,
    /// The latest scan that saw it.
    pub last_scan: String,
    /// When it was last seen.
    #[serde(with = "millis")]
    pub last_seen: DateTime<Utc>,
    /// When a scan found it resolved.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "millis::option"
    )]
    pub resolved_at: Option<DateTime<Utc>>,
    /// What the scan did about it (a case opened, steps re-run), if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled: Option<String>,
}

impl Finding {
    /// The id.
    pub fn id(&self) -> &str {
        &self.observation.id
    }
}

/// Which findings a listing wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingQuery {
    /// Only this kind.
    pub kind: Option<FindingKind>,
    /// Only this status.
    pub status: Option<FindingStatus>,
    /// First seen at or after.
    pub from: Option<DateTime<Utc>>,
    /// First seen strictly before.
    pub to: Option<DateTime<Utc>>,
}

impl FindingQuery {
    /// Whether `f` is wanted.
    pub fn matches(&self, f: &Finding) -> bool {
        self.kind.is_none_or(|k| k == f.observation.kind)
            && self.status.is_none_or(|s| s == f.status)
            && self.from.is_none_or(|t| f.first_seen >= t)
            && self.to.is_none_or(|t| f.first_seen < t)
    }
}

/// What the scan keeps between runs: its findings, and where the latest scan that read HR's
/// whole population is sealed (a table in SQLite; in Cosmos DB the `findings` container,
/// partitioned by `/id`, the pointer under [`POPULATION_SCAN_ID`]).
#[async_trait]
pub trait FindingStore: Send + Sync {
    /// Creates or replaces a finding.
    async fn put(&self, finding: &Finding) -> Result<(), StoreError>;
    /// Reads a finding.
    async fn get(&self, id: &str) -> Result<Option<Finding>, StoreError>;
    /// Findings matching `query`, oldest first.
    async fn list(&self, query: &FindingQuery) -> Result<Vec<Finding>, StoreError>;
    /// Records `scan` as the latest that read every population source (replacing the one
    /// before unless that one ended later).
    async fn put_population_scan(&self, scan: &PopulationScan) -> Result<(), StoreError>;
    /// The latest scan that read every population source, if any did.
    async fn population_scan(&self) -> Result<Option<PopulationScan>, StoreError>;
}

/// The document id of the population-scan pointer where it shares a container with findings
/// (no finding id starts with `scan:`: each starts with its kind).
pub const POPULATION_SCAN_ID: &str = "scan:population";
