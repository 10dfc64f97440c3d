//! OneDrive: find the leaver's drive and give the manager access to it.

use reqwest::Method;
use serde_json::json;

use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::GraphError;
use crate::model::{Drive, DriveRole, Permission};
use crate::users::user_path;

impl GraphClient {
    /// `GET /users/{id}/drive`; a user without OneDrive gives
    /// [`GraphError::NotApplicable`] (`NoOneDrive`).
    pub async fn user_drive(&self, user: &str) -> Result<Reply<Drive>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/drive", user_path(user)),
            "getUserDrive",
        );
        self.execute_json(&call).await
    }

    /// Grants `recipient` (a tenant user's UPN or mail; app-only calls cannot invite guests)
    /// access to the whole drive: `POST /drives/{id}/root/invite` with `requireSignIn`. Returns
    /// the permissions created.
    pub async fn grant_drive_access(
        &self,
        drive_id: &str,
        recipient: &str,
        role: DriveRole,
        send_invitation: bool,
        message: &str,
    ) -> Result<Reply<Vec<Permission>>, GraphError> {
        let call = Call::new(
            Method::POST,
            format!("/drives/{}/root/invite", seg(drive_id)),
            "inviteToDrive",
        )
        .json(json!({
            "recipients": [{ "email": recipient }],
            "message": message,
            "requireSignIn": true,
            "sendInvitation": send_invitation,
            "roles": [role.as_str()],
        }))
        .idempotent(true);
        #[derive(serde::Deserialize)]
        struct B {
            #[serde(default)]
            value: Vec<Permission>,
        }
        Ok(self.execute_json::<B>(&call).await?.map(|b| b.value))
    }

    /// Permissions on the drive's root (`GET /drives/{id}/root/permissions`), for read-back.
    pub async fn drive_root_permissions(
        &self,
        drive_id: &str,
    ) -> Result<Reply<Vec<Permission>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("/drives/{}/root/permissions", seg(drive_id)),
            "listDrivePermissions",
        );
        self.list(call).await
    }
}
