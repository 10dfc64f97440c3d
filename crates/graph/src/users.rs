//! Users: find the leaver, block sign-in, reset the password, revoke sessions, read the manager.

use reqwest::Method;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;

use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::GraphError;
use crate::model::User;

/// The properties offboarding reads from a user (passed as `$select`).
pub const USER_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "mail",
    "employeeId",
    "accountEnabled",
    "onPremisesSyncEnabled",
    "onPremisesSamAccountName",
    "onPremisesImmutableId",
    "onPremisesDistinguishedName",
    "signInSessionsValidFromDateTime",
    "lastPasswordChangeDateTime",
    "assignedLicenses",
    "licenseAssignmentStates",
    "userType",
    "usageLocation",
    "jobTitle",
    "department",
];

/// How HR identifies a leaver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserLookup {
    /// `employeeId` (the HR system's id).
    EmployeeId(String),
    /// User principal name.
    Upn(String),
    /// Primary SMTP address.
    Mail(String),
}

fn odata_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl UserLookup {
    /// The `$filter` expression.
    pub fn filter(&self) -> String {
        match self {
            Self::EmployeeId(v) => format!("employeeId eq {}", odata_string(v)),
            Self::Upn(v) => format!("userPrincipalName eq {}", odata_string(v)),
            Self::Mail(v) => format!("mail eq {}", odata_string(v)),
        }
    }
}

pub(crate) fn user_path(id: &str) -> String {
    format!("/users/{}", seg(id))
}

impl GraphClient {
    /// `GET /users/{id|upn}?$select=…` with [`USER_SELECT`].
    pub async fn get_user(&self, id_or_upn: &str) -> Result<Reply<User>, GraphError> {
        let call = Call::new(Method::GET, user_path(id_or_upn), "getUser")
            .query("$select", USER_SELECT.join(","));
        self.execute_json(&call).await
    }

    /// `GET /users?$filter=…`: every user matching (HR data can be ambiguous; the caller
    /// decides what two matches mean).
    pub async fn find_users(&self, lookup: &UserLookup) -> Result<Reply<Vec<User>>, GraphError> {
        let call = Call::new(Method::GET, "/users".to_owned(), "findUsers")
            .query("$filter", lookup.filter())
            .query("$select", USER_SELECT.join(","));
        self.list(call).await
    }

    /// How many accounts can sign in: `GET /users?$filter=accountEnabled eq true&$count=true`
    /// with `ConsistencyLevel: eventual` (Graph counts directory objects only with that
    /// header), one item per page since only `@odata.count` is wanted.
    pub async fn count_enabled_users(&self) -> Result<Reply<u64>, GraphError> {
        let mut call = Call::new(Method::GET, "/users".to_owned(), "countEnabledUsers")
            .query("$filter", "accountEnabled eq true")
            .query("$count", "true")
            .query("$top", "1")
            .query("$select", "id");
        call.headers
            .push(("ConsistencyLevel", "eventual".to_owned()));
        #[derive(serde::Deserialize)]
        struct Counted {
            #[serde(rename = "@odata.count")]
            count: u64,
        }
        let reply: Reply<Counted> = self.execute_json(&call).await?;
        Ok(reply.map(|c| c.count))
    }

    /// Blocks or allows sign-in: `PATCH /users/{id}` `{"accountEnabled": …}` → 204.
    /// A synced user gives [`GraphError::NotApplicable`] (`SyncedFromOnPremises`): disable in AD.
    pub async fn set_account_enabled(
        &self,
        user: &str,
        enabled: bool,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(Method::PATCH, user_path(user), "setAccountEnabled")
            .json(json!({ "accountEnabled": enabled }));
        // Blocking sign-in is the cut the pacer serves first; re-enabling is not.
        let call = if enabled { call } else { call.sign_in_cut() };
        self.execute_empty(&call).await
    }

    /// Resets the password: `PATCH /users/{id}` `{"passwordProfile": …}` → 204. Needs
    /// `User-PasswordProfile.ReadWrite.All` and the User Administrator role on the identity (a
    /// stronger role for admin targets). The password is sent once and never logged.
    pub async fn reset_password(
        &self,
        user: &str,
        password: &SecretString,
        force_change_next_sign_in: bool,
    ) -> Result<Reply<()>, GraphError> {
        let call = Call::new(Method::PATCH, user_path(user), "resetPassword").json(json!({
            "passwordProfile": {
                "forceChangePasswordNextSignIn": force_change_next_sign_in,
                "password": password.expose_secret(),
            }
        }));
        self.execute_empty(&call).await
    }

    /// Invalidates refresh tokens and session cookies: `POST /users/{id}/revokeSignInSessions`.
    /// Returns Graph's boolean (`true`). Access tokens already issued stay valid until expiry.
    pub async fn revoke_sign_in_sessions(&self, user: &str) -> Result<Reply<bool>, GraphError> {
        #[derive(serde::Deserialize)]
        struct B {
            #[serde(default)]
            value: Option<bool>,
        }
        let call = Call::new(
            Method::POST,
            format!("{}/revokeSignInSessions", user_path(user)),
            "revokeSignInSessions",
        )
        .idempotent(true)
        .sign_in_cut();
        let raw = self.execute(&call).await?;
        // Known issue: the API can answer 204 instead of 200 with a body; both mean done.
        let value = match raw.body {
            Some(b) => serde_json::from_value::<B>(b)
                .map(|b| b.value.unwrap_or(true))
                .unwrap_or(true),
            None => true,
        };
        Ok(Reply {
            value,
            status: raw.status,
            request_id: raw.request_id,
        })
    }

    /// The manager (`GET /users/{id}/manager`), `None` when the user has none (404).
    pub async fn manager(&self, user: &str) -> Result<Reply<Option<User>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/manager", user_path(user)),
            "getManager",
        )
        .query(
            "$select",
            "id,userPrincipalName,displayName,mail,accountEnabled",
        );
        match self.execute_json::<User>(&call).await {
            Ok(r) => Ok(r.map(Some)),
            Err(e) if e.is_not_found() => Ok(Reply {
                value: None,
                status: 404,
                request_id: e.request_id().map(str::to_owned),
            }),
            Err(e) => Err(e),
        }
    }
}
