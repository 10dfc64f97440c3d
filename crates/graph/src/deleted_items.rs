//! Deleting a user and reading the deleted user back from deleted items
//! (`/directory/deletedItems`), where Entra ID keeps it restorable for 30 days before it is
//! gone for good ("Delete a user", "Get deleted item", Graph v1.0).

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::GraphError;
use crate::model::User;
use crate::users::{USER_SELECT, user_path};

/// A user in deleted items: who it was and when it was deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeletedUser {
    /// Object id (the same as before the delete).
    pub id: String,
    /// UPN (Entra ID prefixes it with the object id once deleted).
    pub user_principal_name: Option<String>,
    /// When it was deleted; it is gone for good 30 days later.
    pub deleted_date_time: Option<DateTime<Utc>>,
}

fn absent<T>(e: &GraphError) -> Reply<Option<T>> {
    Reply {
        value: None,
        status: 404,
        request_id: e.request_id().map(str::to_owned),
    }
}

impl GraphClient {
    /// `GET /users/{id}` with [`USER_SELECT`], `None` when there is no such user (404: deleted,
    /// or never there).
    pub async fn user_if_present(&self, id: &str) -> Result<Reply<Option<User>>, GraphError> {
        let call = Call::new(Method::GET, user_path(id), "getUser")
            .query("$select", USER_SELECT.join(","));
        match self.execute_json::<User>(&call).await {
            Ok(r) => Ok(r.map(Some)),
            Err(e) if e.is_not_found() => Ok(absent(&e)),
            Err(e) => Err(e),
        }
    }

    /// Deletes the user: `DELETE /users/{id}` → 204 (soft delete: restorable from deleted items
    /// for 30 days). Needs `User.ReadWrite.All`; Graph refuses users synced from on-premises AD.
    pub async fn delete_user(&self, id: &str) -> Result<Reply<()>, GraphError> {
        let call = Call::new(Method::DELETE, user_path(id), "deleteUser");
        self.execute_empty(&call).await
    }

    /// The user in deleted items: `GET /directory/deletedItems/{id}`, `None` when it is not
    /// there (404: not deleted, or deleted for good).
    pub async fn deleted_user(&self, id: &str) -> Result<Reply<Option<DeletedUser>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("/directory/deletedItems/{}", seg(id)),
            "getDeletedItem",
        );
        match self.execute_json::<DeletedUser>(&call).await {
            Ok(r) => Ok(r.map(Some)),
            Err(e) if e.is_not_found() => Ok(absent(&e)),
            Err(e) => Err(e),
        }
    }
}
