//! Group memberships: list them with the properties that tell their kind, remove the user from
//! groups Graph can change, and add them back (a restore).
//!
//! Removal always uses `DELETE /groups/{g}/members/{u}/$ref`: without `/$ref` Graph deletes the
//! member object itself when the app may manage it.

use reqwest::Method;

use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::GraphError;
use crate::model::{Group, Membership};
use crate::users::user_path;

/// Group properties read with memberships (kind, sync, licensing).
pub const GROUP_SELECT: &[&str] = &[
    "id",
    "displayName",
    "groupTypes",
    "mailEnabled",
    "securityEnabled",
    "mail",
    "membershipRule",
    "onPremisesSyncEnabled",
    "isAssignableToRole",
    "assignedLicenses",
];

pub(crate) fn member_ref_path(group: &str, member: &str) -> String {
    format!("/groups/{}/members/{}/$ref", seg(group), seg(member))
}

impl GraphClient {
    /// Direct memberships (`GET /users/{id}/memberOf`): groups and directory roles.
    pub async fn member_of(&self, user: &str) -> Result<Reply<Vec<Membership>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/memberOf", user_path(user)),
            "listMemberOf",
        );
        self.list(call).await
    }

    /// Direct group memberships only (`/memberOf/microsoft.graph.group`) with [`GROUP_SELECT`].
    pub async fn member_of_groups(&self, user: &str) -> Result<Reply<Vec<Group>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/memberOf/microsoft.graph.group", user_path(user)),
            "listMemberOfGroups",
        )
        .query("$select", GROUP_SELECT.join(","));
        self.list(call).await
    }

    /// Groups reached directly or through nesting (`/transitiveMemberOf/microsoft.graph.group`).
    pub async fn transitive_member_of_groups(
        &self,
        user: &str,
    ) -> Result<Reply<Vec<Group>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!(
                "{}/transitiveMemberOf/microsoft.graph.group",
                user_path(user)
            ),
            "listTransitiveMemberOfGroups",
        )
        .query("$select", GROUP_SELECT.join(","));
        self.list(call).await
    }

    /// `GET /groups/{id}` with [`GROUP_SELECT`].
    pub async fn get_group(&self, group: &str) -> Result<Reply<Group>, GraphError> {
        let call = Call::new(Method::GET, format!("/groups/{}", seg(group)), "getGroup")
            .query("$select", GROUP_SELECT.join(","));
        self.execute_json(&call).await
    }

    /// Removes a member: `DELETE /groups/{g}/members/{u}/$ref` → 204. Dynamic, mail-enabled,
    /// distribution and synced groups give [`GraphError::NotApplicable`]; a user who is not a
    /// member gives a 404 ([`GraphError::is_not_found`]).
    pub async fn remove_group_member(
        &self,
        group: &str,
        member: &str,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::DELETE,
            member_ref_path(group, member),
            "removeGroupMember",
        );
        self.execute_empty(&call).await
    }

    /// Adds a member: `POST /groups/{g}/members/$ref` `{"@odata.id": …/directoryObjects/{u}}`
    /// → 204 (a restore). A member already there gives Graph's 400 ("One or more added object
    /// references already exist"); the caller reads the membership first.
    pub async fn add_group_member(
        &self,
        group: &str,
        member: &str,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::POST,
            format!("/groups/{}/members/$ref", seg(group)),
            "addGroupMember",
        )
        .json(serde_json::json!({
            "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")
        }));
        self.execute_empty(&call).await
    }
}
