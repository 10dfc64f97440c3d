//! Reading the whole directory for the ghost-access scan: every user in pages of 999 with a
//! narrow `$select` (a 100,000-user tenant is ~101 requests), never one request per person;
//! per-person reads (`signInActivity`) only for suspects, 20 to a `$batch`.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::batch::{BatchRequest, MAX_BATCH_REQUESTS};
use crate::client::{Call, GraphClient, seg};
use crate::error::{ErrorInfo, GraphError};
use crate::model::SignInActivity;
use crate::users::user_path;

/// Graph's largest page of users.
pub const USERS_PAGE: u32 = 999;

/// What the scan reads of every user.
pub const SCAN_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "mail",
    "displayName",
    "employeeId",
    "employeeType",
    "accountEnabled",
    "userType",
    "onPremisesSyncEnabled",
    "onPremisesDistinguishedName",
];

/// One user as the scan reads it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DirectoryUser {
    /// Object id.
    pub id: String,
    /// UPN.
    pub user_principal_name: Option<String>,
    /// Mail.
    pub mail: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// HR's employee id.
    pub employee_id: Option<String>,
    /// `employeeType`.
    pub employee_type: Option<String>,
    /// Sign-in allowed.
    pub account_enabled: Option<bool>,
    /// `Member` or `Guest`.
    pub user_type: Option<String>,
    /// Synced from AD.
    pub on_premises_sync_enabled: Option<bool>,
    /// AD distinguished name.
    pub on_premises_distinguished_name: Option<String>,
    /// `employeeLeaveDateTime` (read only when asked for: it needs User-LifeCycleInfo.Read.All).
    pub employee_leave_date_time: Option<DateTime<Utc>>,
}

/// A listing and the requests it took.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listing<T> {
    /// The items.
    pub items: Vec<T>,
    /// Requests sent (pages, or batches).
    pub requests: u64,
}

fn bad_page(op: &str, detail: String) -> GraphError {
    GraphError::Permanent(ErrorInfo {
        status: None,
        code: "MalformedPage".to_owned(),
        message: format!("{op}: {detail}"),
        request_id: None,
        client_request_id: None,
    })
}

impl GraphClient {
    /// Follows `@odata.nextLink` to the end of a collection (no page limit: the directory is
    /// as large as it is), counting requests.
    async fn read_all<T: serde::de::DeserializeOwned>(
        &self,
        first: Call,
    ) -> Result<Listing<T>, GraphError> {
        let mut out = Listing {
            items: Vec::new(),
            requests: 0,
        };
        let mut call = first;
        loop {
            let raw = self.execute(&call).await?;
            out.requests += 1;
            let body = raw.body.unwrap_or(Value::Null);
            let values = body
                .get("value")
                .and_then(Value::as_array)
                .ok_or_else(|| bad_page(call.op, "a page without `value`".into()))?;
            for v in values {
                out.items.push(
                    serde_json::from_value(v.clone())
                        .map_err(|e| bad_page(call.op, e.to_string()))?,
                );
            }
            match body.get("@odata.nextLink").and_then(Value::as_str) {
                Some(next) => {
                    call = Call {
                        path: next.to_owned(),
                        query: Vec::new(),
                        ..call
                    }
                }
                None => return Ok(out),
            }
        }
    }

    /// `GET /users?$top=999&$select=…` to the last page; with `leave_dates`, also
    /// `employeeLeaveDateTime` (User-LifeCycleInfo.Read.All).
    pub async fn scan_users(
        &self,
        leave_dates: bool,
    ) -> Result<Listing<DirectoryUser>, GraphError> {
        let mut select = SCAN_SELECT.join(",");
        if leave_dates {
            select.push_str(",employeeLeaveDateTime");
        }
        let call = Call::new(Method::GET, "/users".to_owned(), "scanUsers")
            .query("$top", USERS_PAGE.to_string())
            .query("$select", select);
        self.read_all(call).await
    }

    /// The object ids of a group's members (`GET /groups/{id}/members?$select=id`, paged).
    pub async fn group_member_ids(&self, group: &str) -> Result<Listing<String>, GraphError> {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let call = Call::new(
            Method::GET,
            format!("/groups/{}/members", seg(group)),
            "groupMembers",
        )
        .query("$top", USERS_PAGE.to_string())
        .query("$select", "id");
        let l: Listing<Id> = self.read_all(call).await?;
        Ok(Listing {
            items: l.items.into_iter().map(|i| i.id).collect(),
            requests: l.requests,
        })
    }

    /// Each user's last successful sign-in (`signInActivity`, AuditLog.Read.All), 20 users to
    /// a `$batch`. A user that no longer exists reads as never signed in.
    pub async fn last_successful_sign_ins(
        &self,
        users: &[String],
    ) -> Result<Listing<(String, Option<DateTime<Utc>>)>, GraphError> {
        let mut out = Listing {
            items: Vec::with_capacity(users.len()),
            requests: 0,
        };
        for chunk in users.chunks(MAX_BATCH_REQUESTS) {
            let requests = chunk
                .iter()
                .enumerate()
                .map(|(i, u)| {
                    BatchRequest::new(
                        i.to_string(),
                        "GET",
                        format!("{}?$select=id,signInActivity", user_path(u)),
                    )
                })
                .collect();
            let replies = self.batch(requests).await?;
            out.requests += 1;
            for r in replies.value {
                let Ok(i) = r.id.parse::<usize>() else {
                    continue;
                };
                let Some(user) = chunk.get(i) else {
                    continue;
                };
                if r.status == 404 {
                    out.items.push((user.clone(), None));
                    continue;
                }
                if let Some(e) = r.error() {
                    return Err(e);
                }
                let at = r
                    .body
                    .as_ref()
                    .and_then(|b| b.get("signInActivity"))
                    .cloned()
                    .and_then(|v| serde_json::from_value::<SignInActivity>(v).ok())
                    .and_then(|s| s.last_successful_sign_in_date_time);
                out.items.push((user.clone(), at));
            }
        }
        Ok(out)
    }
}
