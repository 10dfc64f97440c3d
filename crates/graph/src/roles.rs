//! Directory roles and app role assignments held by the leaver.

use reqwest::Method;

use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::GraphError;
use crate::model::{AppRoleAssignment, RoleAssignment};
use crate::users::user_path;

impl GraphClient {
    /// Directory role assignments of a principal
    /// (`GET /roleManagement/directory/roleAssignments?$filter=principalId eq '…'&$expand=roleDefinition`).
    pub async fn role_assignments_of(
        &self,
        principal_id: &str,
    ) -> Result<Reply<Vec<RoleAssignment>>, GraphError> {
        let call = Call::new(
            Method::GET,
            "/roleManagement/directory/roleAssignments".to_owned(),
            "listRoleAssignments",
        )
        .query(
            "$filter",
            format!("principalId eq '{}'", principal_id.replace('\'', "''")),
        )
        .query("$expand", "roleDefinition");
        self.list(call).await
    }

    /// `DELETE /roleManagement/directory/roleAssignments/{id}` → 204.
    pub async fn remove_role_assignment(
        &self,
        assignment_id: &str,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::DELETE,
            format!(
                "/roleManagement/directory/roleAssignments/{}",
                seg(assignment_id)
            ),
            "removeRoleAssignment",
        );
        self.execute_empty(&call).await
    }

    /// Assigns a directory role to the principal again, directory-wide (a restore after a
    /// second approval): `POST /roleManagement/directory/roleAssignments`
    /// `{"principalId", "roleDefinitionId", "directoryScopeId": "/"}` → 201 with the new
    /// assignment.
    pub async fn add_role_assignment(
        &self,
        principal_id: &str,
        role_definition_id: &str,
    ) -> Result<Reply<RoleAssignment>, GraphError> {
        let call = Call::new(
            Method::POST,
            "/roleManagement/directory/roleAssignments".to_owned(),
            "addRoleAssignment",
        )
        .json(serde_json::json!({
            "principalId": principal_id,
            "roleDefinitionId": role_definition_id,
            "directoryScopeId": "/",
        }));
        self.execute_json(&call).await
    }

    /// App roles granted to the user (`GET /users/{id}/appRoleAssignments`).
    pub async fn app_role_assignments(
        &self,
        user: &str,
    ) -> Result<Reply<Vec<AppRoleAssignment>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/appRoleAssignments", user_path(user)),
            "listAppRoleAssignments",
        );
        self.list(call).await
    }

    /// `DELETE /users/{id}/appRoleAssignments/{assignmentId}` → 204.
    pub async fn remove_app_role_assignment(
        &self,
        user: &str,
        assignment_id: &str,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::DELETE,
            format!(
                "{}/appRoleAssignments/{}",
                user_path(user),
                seg(assignment_id)
            ),
            "removeAppRoleAssignment",
        );
        self.execute_empty(&call).await
    }

    /// Assigns an app role to the user again (a restore): `POST /users/{id}/appRoleAssignments`
    /// `{"principalId", "resourceId", "appRoleId"}` → 201 with the new assignment.
    pub async fn add_app_role_assignment(
        &self,
        user: &str,
        resource_id: &str,
        app_role_id: &str,
    ) -> Result<Reply<AppRoleAssignment>, GraphError> {
        let call = Call::new(
            Method::POST,
            format!("{}/appRoleAssignments", user_path(user)),
            "addAppRoleAssignment",
        )
        .json(serde_json::json!({
            "principalId": user,
            "resourceId": resource_id,
            "appRoleId": app_role_id,
        }));
        self.execute_json(&call).await
    }
}
