//! Entra ID's provisioning service for enterprise applications (simulator only: its jobs) and
//! what it logs (`provisioningObjectSummary`, served at `/auditLogs/provisioning`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a simulated provisioning job's disable or delete ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProvisioningOutcome {
    /// The target system accepted it.
    #[default]
    Success,
    /// The target system refused it (the entry carries `errorInformation`).
    Failure,
}

/// What the job does to a user who left its scope.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeprovisionAction {
    /// Soft delete: `active=false` in the target (Entra's default).
    #[default]
    Disable,
    /// Hard delete.
    Delete,
}

impl DeprovisionAction {
    /// The `provisioningAction` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Delete => "delete",
        }
    }
}

/// An automatic provisioning job of one enterprise application (simulator only). Every user
/// it provisioned (assigned to the app when the job started or since) is deprovisioned once
/// their account is disabled, deleted or unassigned: `delay_secs` after the service first
/// noticed, it writes one `disable` (or `delete`) entry, ending as `outcome` says.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningJob {
    /// The application's service principal.
    pub service_principal_id: String,
    /// How its deprovisioning ends.
    #[serde(default)]
    pub outcome: ProvisioningOutcome,
    /// Disable or delete.
    #[serde(default)]
    pub action: DeprovisionAction,
    /// Seconds between noticing and acting (Entra's cycle is about 40 minutes).
    #[serde(default)]
    pub delay_secs: u64,
    /// Users it provisioned, by object id.
    #[serde(default)]
    pub provisioned: Vec<String>,
    /// When it noticed each user leave its scope.
    #[serde(default)]
    pub noticed: BTreeMap<String, DateTime<Utc>>,
    /// Users it has written its entry for.
    #[serde(default)]
    pub done: Vec<String>,
}

/// One entry of the provisioning logs, in the simulator's words; Graph's shape is built in
/// `graph/provisioning.rs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningLogEntry {
    /// Entry id.
    pub id: String,
    /// When the service acted.
    pub activity_date_time: DateTime<Utc>,
    /// `disable`, `delete`, `create`, …
    pub provisioning_action: String,
    /// `success` or `failure`.
    pub status: String,
    /// The app's service principal id.
    pub service_principal_id: String,
    /// The app's name.
    pub service_principal_name: String,
    /// The user in Entra ID.
    pub source_id: String,
    /// The user's display name.
    pub source_name: String,
    /// The job's id.
    pub job_id: String,
    /// Why it failed.
    #[serde(default)]
    pub error_reason: Option<String>,
}
