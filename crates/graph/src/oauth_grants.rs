//! Delegated permission grants (`oauth2PermissionGrants`): what a user consented a client app
//! may do on their behalf. Deleting one stops the app getting new tokens for the user; tokens
//! already issued live out their lifetime (revoke-sessions ends the refresh tokens).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::GraphError;

/// One delegated permission grant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OAuth2PermissionGrant {
    /// Grant id.
    pub id: String,
    /// Object id of the client app's service principal (the app that acts for the user).
    pub client_id: String,
    /// `Principal` (this user consented) or `AllPrincipals` (admin consent for everyone).
    pub consent_type: Option<String>,
    /// The user, for `Principal` grants.
    pub principal_id: Option<String>,
    /// Object id of the API's service principal (e.g. Microsoft Graph).
    pub resource_id: String,
    /// Space-separated delegated scopes.
    pub scope: Option<String>,
}

impl GraphClient {
    /// The grants a user consented to
    /// (`GET /oauth2PermissionGrants?$filter=principalId eq '…'`). Admin consent for all users
    /// (`AllPrincipals`) has no principal and is not the leaver's to lose.
    pub async fn oauth_grants_of(
        &self,
        principal_id: &str,
    ) -> Result<Reply<Vec<OAuth2PermissionGrant>>, GraphError> {
        let call = Call::new(
            Method::GET,
            "/oauth2PermissionGrants".to_owned(),
            "listOAuth2PermissionGrants",
        )
        .query(
            "$filter",
            format!("principalId eq '{}'", principal_id.replace('\'', "''")),
        );
        self.list(call).await
    }

    /// `DELETE /oauth2PermissionGrants/{id}` → 204.
    pub async fn remove_oauth_grant(&self, grant_id: &str) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::DELETE,
            format!("/oauth2PermissionGrants/{}", seg(grant_id)),
            "removeOAuth2PermissionGrant",
        );
        self.execute_empty(&call).await
    }
}
