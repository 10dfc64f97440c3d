//! Entra ID's provisioning logs (`GET /auditLogs/provisioning`): what Entra's own provisioning
//! service did to a user in an enterprise application it provisions (created, updated,
//! disabled or deleted the account there), when, and whether it worked. offboard reads them
//! for a system it does not call itself: the provisioning service disables the leaver there
//! after offboard blocks or unassigns them, and its log entry is the system's verified removal.
//!
//! Shape: `provisioningObjectSummary` (Graph v1.0). `$filter` supports `servicePrincipal/id eq`
//! and `sourceIdentity/id eq` (with `and`); filters are case-sensitive except for the status.
//! Permission: `AuditLog.Read.All` (application).

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GraphClient, Reply};
use crate::error::GraphError;

/// What the provisioning service did (`provisioningAction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProvisioningAction {
    /// Created the account in the target system.
    Create,
    /// Updated it.
    Update,
    /// Deleted it.
    Delete,
    /// Disabled it (soft delete: `active=false` over SCIM).
    Disable,
    /// Marked it for deletion.
    StagedDelete,
    /// Anything else.
    Other,
    /// A value added after this client was written.
    #[serde(other)]
    UnknownFutureValue,
}

impl ProvisioningAction {
    /// Whether this action ends the user's access in the target system.
    pub fn removes_access(self) -> bool {
        matches!(self, Self::Disable | Self::Delete)
    }
}

/// How it ended (`provisioningStatusInfo.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProvisioningResult {
    /// Done.
    Success,
    /// Failed (the service retries in later cycles).
    Failure,
    /// Not processed (out of scope, nothing to do).
    Skipped,
    /// Done with a warning.
    Warning,
    /// A value added after this client was written.
    #[serde(other)]
    UnknownFutureValue,
}

/// Why an action failed (`provisioningErrorInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProvisioningErrorInfo {
    /// The service's error code (`SystemForCrossDomainIdentityManagementServiceIncompatible`…).
    pub error_code: Option<String>,
    /// What went wrong, in words.
    pub reason: Option<String>,
    /// What Microsoft suggests doing.
    pub recommended_action: Option<String>,
    /// More detail (often the target system's answer).
    pub additional_details: Option<String>,
}

/// `provisioningStatusInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProvisioningStatusInfo {
    /// How it ended.
    pub status: Option<ProvisioningResult>,
    /// Why it failed, if it did.
    pub error_information: Option<ProvisioningErrorInfo>,
}

/// An identity in a log entry (`provisionedIdentity`, `provisioningServicePrincipal`,
/// `provisioningSystem`: all derive from `identity`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProvisioningIdentity {
    /// Its id (the Entra object id for the source user, the target system's id for the target).
    pub id: Option<String>,
    /// Its display name.
    pub display_name: Option<String>,
}

/// One action of the provisioning service on one object (`provisioningObjectSummary`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningObjectSummary {
    /// The entry's id.
    pub id: String,
    /// When the service acted (UTC).
    pub activity_date_time: DateTime<Utc>,
    /// What it did.
    #[serde(default)]
    pub provisioning_action: Option<ProvisioningAction>,
    /// How it ended.
    #[serde(default)]
    pub provisioning_status_info: Option<ProvisioningStatusInfo>,
    /// The enterprise application whose provisioning job acted.
    #[serde(default)]
    pub service_principal: Option<ProvisioningIdentity>,
    /// The object in Entra ID (the leaver).
    #[serde(default)]
    pub source_identity: Option<ProvisioningIdentity>,
    /// The object in the target system (its own id there).
    #[serde(default)]
    pub target_identity: Option<ProvisioningIdentity>,
    /// The target system.
    #[serde(default)]
    pub target_system: Option<ProvisioningIdentity>,
    /// The provisioning job.
    #[serde(default)]
    pub job_id: Option<String>,
    /// The job's cycle.
    #[serde(default)]
    pub cycle_id: Option<String>,
}

impl ProvisioningObjectSummary {
    /// How it ended, if the service said.
    pub fn status(&self) -> Option<ProvisioningResult> {
        self.provisioning_status_info.as_ref()?.status
    }

    /// Why it failed, in one line, if the service said.
    pub fn failure_reason(&self) -> Option<String> {
        let e = self
            .provisioning_status_info
            .as_ref()?
            .error_information
            .as_ref()?;
        let parts: Vec<&str> = [&e.error_code, &e.reason, &e.additional_details]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(": "))
    }
}

impl GraphClient {
    /// What the provisioning service of the enterprise application `service_principal_id` did
    /// to the user `user_id` (`GET /auditLogs/provisioning?$filter=servicePrincipal/id eq '…'
    /// and sourceIdentity/id eq '…'`), every page.
    pub async fn provisioning_events(
        &self,
        service_principal_id: &str,
        user_id: &str,
    ) -> Result<Reply<Vec<ProvisioningObjectSummary>>, GraphError> {
        let quote = |s: &str| s.replace('\'', "''");
        let call = Call::new(
            Method::GET,
            "/auditLogs/provisioning".to_owned(),
            "listProvisioningObjectSummary",
        )
        .query(
            "$filter",
            format!(
                "servicePrincipal/id eq '{}' and sourceIdentity/id eq '{}'",
                quote(service_principal_id),
                quote(user_id)
            ),
        );
        self.list(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_as_microsoft_documents_it() {
        let v = serde_json::json!({
            "id": "75b5b0ec-b9d9-4d5b-8e33-5d2c9a7b1f10",
            "activityDateTime": "2026-12-06T09:00:02Z",
            "changeId": "c1",
            "cycleId": "cy1",
            "jobId": "scim.contoso.1",
            "durationInMilliseconds": 412,
            "provisioningAction": "disable",
            "provisioningStatusInfo": {
                "status": "failure",
                "errorInformation": {"errorCode": "SystemForCrossDomainIdentityManagementServiceIncompatible",
                                     "reason": "The target answered 500", "errorCategory": "failure"}
            },
            "servicePrincipal": {"id": "sp1", "displayName": "Salesforce"},
            "sourceIdentity": {"id": "u1", "displayName": "Adele", "identityType": "User"},
            "targetIdentity": {"id": "005x", "identityType": "User"},
            "targetSystem": {"id": "t", "displayName": "Salesforce"},
            "provisioningSteps": [],
            "modifiedProperties": []
        });
        let e: ProvisioningObjectSummary = serde_json::from_value(v).unwrap();
        assert_eq!(e.provisioning_action, Some(ProvisioningAction::Disable));
        assert!(e.provisioning_action.unwrap().removes_access());
        assert_eq!(e.status(), Some(ProvisioningResult::Failure));
        assert!(
            e.failure_reason()
                .unwrap()
                .contains("The target answered 500")
        );
        let later: ProvisioningAction = serde_json::from_str("\"somethingNew\"").unwrap();
        assert_eq!(later, ProvisioningAction::UnknownFutureValue);
    }
}
