//! Ownership of directory objects: what a user owns (`GET /users/{id}/ownedObjects`: groups,
//! app registrations, service principals...) and the owners of one object
//! (`/groups|applications|servicePrincipals/{id}/owners`), added with `POST …/owners/$ref` and
//! removed with `DELETE …/owners/{ownerId}/$ref`. Graph refuses to remove the last owner of a
//! group, so a successor is added first.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::batch::BatchRequest;
use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::GraphError;
use crate::users::user_path;

/// A directory object as an owners or ownedObjects listing returns it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnedObject {
    /// `#microsoft.graph.group`, `#microsoft.graph.application`,
    /// `#microsoft.graph.servicePrincipal`, `#microsoft.graph.user`...
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
    /// Object id.
    pub id: String,
    /// Display name (absent when the app may not read that kind of object).
    pub display_name: Option<String>,
    /// A user owner's UPN.
    pub user_principal_name: Option<String>,
}

impl BatchRequest {
    /// [`GraphClient::owned_objects`] (first page).
    pub fn owned_objects(id: &str, user: &str) -> Self {
        Self::new(id, "GET", format!("{}/ownedObjects", user_path(user)))
    }
}

impl GraphClient {
    /// The directory objects a user owns (`GET /users/{id}/ownedObjects`).
    pub async fn owned_objects(&self, user: &str) -> Result<Reply<Vec<OwnedObject>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/ownedObjects", user_path(user)),
            "listOwnedObjects",
        );
        self.list(call).await
    }

    /// The owners of an object in `collection` (`groups`, `applications`,
    /// `servicePrincipals`): `GET /{collection}/{id}/owners`.
    pub async fn owners_of(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Reply<Vec<OwnedObject>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("/{collection}/{}/owners", seg(id)),
            "listOwners",
        );
        self.list(call).await
    }

    /// Adds an owner: `POST /{collection}/{id}/owners/$ref`
    /// `{"@odata.id": …/directoryObjects/{owner}}` → 204. An owner already there gives
    /// Graph's 400; the caller reads the owners first.
    pub async fn add_owner(
        &self,
        collection: &str,
        id: &str,
        owner: &str,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::POST,
            format!("/{collection}/{}/owners/$ref", seg(id)),
            "addOwner",
        )
        .json(serde_json::json!({
            "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{owner}")
        }));
        self.execute_empty(&call).await
    }

    /// Removes an owner: `DELETE /{collection}/{id}/owners/{owner}/$ref` → 204.
    pub async fn remove_owner(
        &self,
        collection: &str,
        id: &str,
        owner: &str,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::DELETE,
            format!("/{collection}/{}/owners/{}/$ref", seg(id), seg(owner)),
            "removeOwner",
        );
        self.execute_empty(&call).await
    }
}
