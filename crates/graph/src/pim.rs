//! Privileged Identity Management eligibility: the directory roles
//! (`roleManagement/directory/roleEligibilitySchedules`) and the groups
//! (`identityGovernance/privilegedAccess/group/eligibilitySchedules`) a user may activate
//! without holding them now. An eligibility is removed by a schedule *request* with
//! `action: adminRemove`, not a DELETE; Graph answers it with the request (status `Revoked`
//! once the eligibility is gone).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::batch::BatchRequest;
use crate::client::{Call, GraphClient, Reply};
use crate::error::GraphError;
use crate::model::RoleDefinition;

/// The role eligibility listing's path.
pub const ROLE_ELIGIBILITY_SCHEDULES: &str = "/roleManagement/directory/roleEligibilitySchedules";
/// The role eligibility requests' path.
pub const ROLE_ELIGIBILITY_REQUESTS: &str =
    "/roleManagement/directory/roleEligibilityScheduleRequests";
/// The PIM-for-Groups eligibility listing's path.
pub const GROUP_ELIGIBILITY_SCHEDULES: &str =
    "/identityGovernance/privilegedAccess/group/eligibilitySchedules";
/// The PIM-for-Groups eligibility requests' path.
pub const GROUP_ELIGIBILITY_REQUESTS: &str =
    "/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests";

/// One directory role a principal is eligible for (`unifiedRoleEligibilitySchedule`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleEligibilitySchedule {
    /// Schedule id.
    pub id: String,
    /// The eligible principal.
    pub principal_id: String,
    /// The role definition.
    pub role_definition_id: String,
    /// Where the role applies (`/` is the tenant).
    pub directory_scope_id: Option<String>,
    /// `Provisioned` while it holds.
    pub status: Option<String>,
    /// The role, when expanded.
    pub role_definition: Option<RoleDefinition>,
}

/// A group's display name, as expanded on a group eligibility.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupName {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
}

/// One group membership or ownership a principal is eligible for under PIM for Groups
/// (`privilegedAccessGroupEligibilitySchedule`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupEligibilitySchedule {
    /// Schedule id.
    pub id: String,
    /// The eligible principal.
    pub principal_id: String,
    /// The group.
    pub group_id: String,
    /// `member` or `owner`.
    pub access_id: String,
    /// `Provisioned` while it holds.
    pub status: Option<String>,
    /// The group, when expanded.
    pub group: Option<GroupName>,
}

/// What Graph answered a schedule request with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScheduleRequest {
    /// Request id.
    pub id: String,
    /// `Revoked`, `Provisioned`, `PendingApproval`, `Failed`...
    pub status: String,
}

fn by_principal(principal_id: &str) -> String {
    format!("principalId eq '{}'", principal_id.replace('\'', "''"))
}

fn with_query(path: &str, query: &[(&str, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        s.append_pair(k, v);
    }
    format!("{path}?{}", s.finish())
}

impl BatchRequest {
    /// [`GraphClient::role_eligibilities_of`] (first page).
    pub fn role_eligibilities_of(id: &str, principal_id: &str) -> Self {
        Self::new(
            id,
            "GET",
            with_query(
                ROLE_ELIGIBILITY_SCHEDULES,
                &[
                    ("$filter", by_principal(principal_id)),
                    ("$expand", "roleDefinition".to_owned()),
                ],
            ),
        )
    }
    /// [`GraphClient::group_eligibilities_of`] (first page).
    pub fn group_eligibilities_of(id: &str, principal_id: &str) -> Self {
        Self::new(
            id,
            "GET",
            with_query(
                GROUP_ELIGIBILITY_SCHEDULES,
                &[
                    ("$filter", by_principal(principal_id)),
                    ("$expand", "group".to_owned()),
                ],
            ),
        )
    }
}

impl GraphClient {
    /// The directory roles a principal is eligible for, with their names
    /// (`GET /roleManagement/directory/roleEligibilitySchedules?$filter=principalId eq '…'&$expand=roleDefinition`).
    pub async fn role_eligibilities_of(
        &self,
        principal_id: &str,
    ) -> Result<Reply<Vec<RoleEligibilitySchedule>>, GraphError> {
        let call = Call::new(
            Method::GET,
            ROLE_ELIGIBILITY_SCHEDULES.to_owned(),
            "listRoleEligibilitySchedules",
        )
        .query("$filter", by_principal(principal_id))
        .query("$expand", "roleDefinition");
        self.list(call).await
    }

    /// Removes one role eligibility: `POST /roleManagement/directory/roleEligibilityScheduleRequests`
    /// with `action: adminRemove` → 201 and the request.
    pub async fn remove_role_eligibility(
        &self,
        e: &RoleEligibilitySchedule,
        justification: &str,
    ) -> Result<Reply<ScheduleRequest>, GraphError> {
        let call = Call::new(
            Method::POST,
            ROLE_ELIGIBILITY_REQUESTS.to_owned(),
            "removeRoleEligibility",
        )
        .json(json!({
            "action": "adminRemove",
            "principalId": e.principal_id,
            "roleDefinitionId": e.role_definition_id,
            "directoryScopeId": e.directory_scope_id.as_deref().unwrap_or("/"),
            "justification": justification,
        }));
        self.execute_json(&call).await
    }

    /// The groups a principal is eligible for under PIM for Groups, with their names
    /// (`GET /identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=principalId eq '…'&$expand=group`).
    pub async fn group_eligibilities_of(
        &self,
        principal_id: &str,
    ) -> Result<Reply<Vec<GroupEligibilitySchedule>>, GraphError> {
        let call = Call::new(
            Method::GET,
            GROUP_ELIGIBILITY_SCHEDULES.to_owned(),
            "listGroupEligibilitySchedules",
        )
        .query("$filter", by_principal(principal_id))
        .query("$expand", "group");
        self.list(call).await
    }

    /// Removes one group eligibility: `POST /identityGovernance/privilegedAccess/group/eligibilityScheduleRequests`
    /// with `action: adminRemove` → 201 and the request.
    pub async fn remove_group_eligibility(
        &self,
        e: &GroupEligibilitySchedule,
        justification: &str,
    ) -> Result<Reply<ScheduleRequest>, GraphError> {
        let call = Call::new(
            Method::POST,
            GROUP_ELIGIBILITY_REQUESTS.to_owned(),
            "removeGroupEligibility",
        )
        .json(json!({
            "action": "adminRemove",
            "accessId": e.access_id,
            "principalId": e.principal_id,
            "groupId": e.group_id,
            "justification": justification,
        }));
        self.execute_json(&call).await
    }
}
