//! JSON batching (`POST /$batch`): up to 20 requests in one round trip, ordered with
//! `dependsOn`. Each item is throttled and fails on its own; the client retries throttled and
//! transient items (and the items that failed only because they depended on them) within the
//! same bounds as single calls, and returns one result per item.
//!
//! Batching saves round trips, not quota: every item still counts against Graph's limits.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng as _;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::client::{Call, GraphClient, Reply, decode_error, error_info, parse_retry_after, seg};
use crate::error::{ErrorInfo, GraphError, classify};
use crate::groups::{GROUP_SELECT, member_ref_path};
use crate::users::{USER_SELECT, UserLookup, user_path};

/// Graph's limit of requests in one batch.
pub const MAX_BATCH_REQUESTS: usize = 20;

/// One request inside a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRequest {
    /// Correlation id, unique in the batch.
    pub id: String,
    /// HTTP method.
    pub method: String,
    /// URL relative to the endpoint, e.g. `/users/{id}/manager?$select=id`.
    pub url: String,
    /// JSON body.
    pub body: Option<Value>,
    /// Ids that must succeed first.
    pub depends_on: Vec<String>,
    /// Safe to repeat after an ambiguous failure.
    pub idempotent: bool,
}

fn q(path: String, query: &[(&str, String)]) -> String {
    if query.is_empty() {
        return path;
    }
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        s.append_pair(k, v);
    }
    format!("{path}?{}", s.finish())
}

impl BatchRequest {
    /// A request.
    pub fn new(id: impl Into<String>, method: &str, url: impl Into<String>) -> Self {
        let method = method.to_ascii_uppercase();
        Self {
            id: id.into(),
            idempotent: method != "POST",
            method,
            url: url.into(),
            body: None,
            depends_on: Vec::new(),
        }
    }
    /// With a JSON body.
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    /// Runs after these requests, and fails with 424 if one of them failed.
    pub fn depends_on(mut self, ids: &[&str]) -> Self {
        self.depends_on = ids.iter().map(|s| (*s).to_owned()).collect();
        self
    }
    /// Whether the item counts against Graph's write quota.
    fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD")
    }
    /// Whether the item is part of the sign-in cut (block sign-in, revoke sessions).
    fn is_sign_in_cut(&self) -> bool {
        self.url.ends_with("/revokeSignInSessions")
            || (self.method == "PATCH"
                && self
                    .body
                    .as_ref()
                    .is_some_and(|b| b.get("accountEnabled") == Some(&Value::Bool(false))))
    }
    fn idem(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// [`GraphClient::get_user`] as a batch item.
    pub fn get_user(id: &str, user: &str) -> Self {
        Self::new(
            id,
            "GET",
            q(user_path(user), &[("$select", USER_SELECT.join(","))]),
        )
    }
    /// A user's last revocation and last successful sign-in ([`crate::SessionState`]):
    /// `signInActivity` needs `AuditLog.Read.All`.
    pub fn session_state(id: &str, user: &str) -> Self {
        Self::new(
            id,
            "GET",
            q(
                user_path(user),
                &[(
                    "$select",
                    "id,signInSessionsValidFromDateTime,signInActivity".to_owned(),
                )],
            ),
        )
    }
    /// [`GraphClient::set_account_enabled`].
    pub fn set_account_enabled(id: &str, user: &str, enabled: bool) -> Self {
        Self::new(id, "PATCH", user_path(user)).with_body(json!({ "accountEnabled": enabled }))
    }
    /// [`GraphClient::revoke_sign_in_sessions`].
    pub fn revoke_sign_in_sessions(id: &str, user: &str) -> Self {
        Self::new(
            id,
            "POST",
            format!("{}/revokeSignInSessions", user_path(user)),
        )
        .idem(true)
    }
    /// [`GraphClient::license_details`] (first page).
    pub fn license_details(id: &str, user: &str) -> Self {
        Self::new(id, "GET", format!("{}/licenseDetails", user_path(user)))
    }
    /// [`GraphClient::remove_licenses`].
    pub fn remove_licenses(id: &str, user: &str, sku_ids: &[String]) -> Self {
        Self::new(id, "POST", format!("{}/assignLicense", user_path(user)))
            .with_body(json!({ "addLicenses": [], "removeLicenses": sku_ids }))
            .idem(true)
    }
    /// [`GraphClient::find_users`] (first page): users matching one of HR's identifiers.
    pub fn find_users(id: &str, lookup: &UserLookup) -> Self {
        Self::new(
            id,
            "GET",
            q(
                "/users".to_owned(),
                &[
                    ("$filter", lookup.filter()),
                    ("$select", USER_SELECT.join(",")),
                ],
            ),
        )
    }
    /// [`GraphClient::transitive_member_of_groups`] (first page).
    pub fn transitive_member_of_groups(id: &str, user: &str) -> Self {
        Self::new(
            id,
            "GET",
            q(
                format!(
                    "{}/transitiveMemberOf/microsoft.graph.group",
                    user_path(user)
                ),
                &[("$select", GROUP_SELECT.join(","))],
            ),
        )
    }
    /// [`GraphClient::member_of_groups`] (first page).
    pub fn member_of_groups(id: &str, user: &str) -> Self {
        Self::new(
            id,
            "GET",
            q(
                format!("{}/memberOf/microsoft.graph.group", user_path(user)),
                &[("$select", GROUP_SELECT.join(","))],
            ),
        )
    }
    /// [`GraphClient::remove_group_member`].
    pub fn remove_group_member(id: &str, group: &str, member: &str) -> Self {
        Self::new(id, "DELETE", member_ref_path(group, member))
    }
    /// [`GraphClient::manager`].
    pub fn manager(id: &str, user: &str) -> Self {
        Self::new(
            id,
            "GET",
            q(
                format!("{}/manager", user_path(user)),
                &[(
                    "$select",
                    "id,userPrincipalName,displayName,mail,accountEnabled".to_owned(),
                )],
            ),
        )
    }
    /// [`GraphClient::role_assignments_of`] (first page).
    pub fn role_assignments_of(id: &str, principal_id: &str) -> Self {
        Self::new(
            id,
            "GET",
            q(
                "/roleManagement/directory/roleAssignments".to_owned(),
                &[
                    (
                        "$filter",
                        format!("principalId eq '{}'", principal_id.replace('\'', "''")),
                    ),
                    ("$expand", "roleDefinition".to_owned()),
                ],
            ),
        )
    }
    /// [`GraphClient::remove_role_assignment`].
    pub fn remove_role_assignment(id: &str, assignment_id: &str) -> Self {
        Self::new(
            id,
            "DELETE",
            format!(
                "/roleManagement/directory/roleAssignments/{}",
                seg(assignment_id)
            ),
        )
    }
    /// [`GraphClient::app_role_assignments`] (first page).
    pub fn app_role_assignments(id: &str, user: &str) -> Self {
        Self::new(id, "GET", format!("{}/appRoleAssignments", user_path(user)))
    }
    /// [`GraphClient::remove_app_role_assignment`].
    pub fn remove_app_role_assignment(id: &str, user: &str, assignment_id: &str) -> Self {
        Self::new(
            id,
            "DELETE",
            format!(
                "{}/appRoleAssignments/{}",
                user_path(user),
                seg(assignment_id)
            ),
        )
    }
    /// [`GraphClient::oauth_grants_of`] (first page).
    pub fn oauth_grants_of(id: &str, principal_id: &str) -> Self {
        Self::new(
            id,
            "GET",
            q(
                "/oauth2PermissionGrants".to_owned(),
                &[(
                    "$filter",
                    format!("principalId eq '{}'", principal_id.replace('\'', "''")),
                )],
            ),
        )
    }
    /// [`GraphClient::authentication_methods`] (first page).
    pub fn authentication_methods(id: &str, user: &str) -> Self {
        Self::new(
            id,
            "GET",
            format!("{}/authentication/methods", user_path(user)),
        )
    }
    /// [`GraphClient::delete_authentication_method`] for a deletable kind (`None` for password).
    pub fn delete_authentication_method(
        id: &str,
        user: &str,
        method: &crate::model::AuthMethod,
    ) -> Option<Self> {
        let collection = method.kind.collection()?;
        Some(Self::new(
            id,
            "DELETE",
            format!(
                "{}/authentication/{collection}/{}",
                user_path(user),
                seg(&method.id)
            ),
        ))
    }
    /// [`GraphClient::managed_devices`] (first page).
    pub fn managed_devices(id: &str, user: &str) -> Self {
        Self::new(id, "GET", format!("{}/managedDevices", user_path(user)))
    }
    /// [`GraphClient::inbox_rules`].
    pub fn inbox_rules(id: &str, user: &str) -> Self {
        Self::new(
            id,
            "GET",
            format!("{}/mailFolders/inbox/messageRules", user_path(user)),
        )
    }
    /// [`GraphClient::retire_device`].
    pub fn retire_device(id: &str, device_id: &str) -> Self {
        Self::new(
            id,
            "POST",
            format!("/deviceManagement/managedDevices/{}/retire", seg(device_id)),
        )
        .idem(true)
    }
    /// [`GraphClient::user_drive`].
    pub fn user_drive(id: &str, user: &str) -> Self {
        Self::new(id, "GET", format!("{}/drive", user_path(user)))
    }
    /// [`GraphClient::drive_root_permissions`] (first page).
    pub fn drive_root_permissions(id: &str, drive_id: &str) -> Self {
        Self::new(
            id,
            "GET",
            format!("/drives/{}/root/permissions", seg(drive_id)),
        )
    }
    /// [`GraphClient::grant_drive_access`].
    pub fn grant_drive_access(
        id: &str,
        drive_id: &str,
        recipient: &str,
        role: crate::model::DriveRole,
        message: &str,
    ) -> Self {
        Self::new(id, "POST", format!("/drives/{}/root/invite", seg(drive_id)))
            .with_body(json!({
                "recipients": [{ "email": recipient }],
                "message": message,
                "requireSignIn": true,
                "sendInvitation": false,
                "roles": [role.as_str()],
            }))
            .idem(true)
    }
    /// [`GraphClient::mailbox_settings`].
    pub fn mailbox_settings(id: &str, user: &str) -> Self {
        Self::new(id, "GET", format!("{}/mailboxSettings", user_path(user)))
    }
    /// [`GraphClient::set_automatic_replies`].
    pub fn set_automatic_replies(
        id: &str,
        user: &str,
        replies: &crate::model::AutomaticReplies,
    ) -> Self {
        Self::new(id, "PATCH", format!("{}/mailboxSettings", user_path(user)))
            .with_body(json!({ "automaticRepliesSetting": replies }))
    }
}

/// The answer to one batch item.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchResponse {
    /// The request's id.
    pub id: String,
    /// Its status.
    pub status: u16,
    /// Its body.
    pub body: Option<Value>,
    /// Graph's request id for the item, when present.
    pub request_id: Option<String>,
    /// `Retry-After` of a throttled item.
    pub retry_after: Option<Duration>,
}

impl BatchResponse {
    /// Whether the item succeeded (2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The classified error of a failed item (`None` on success).
    pub fn error(&self) -> Option<GraphError> {
        if self.is_success() {
            return None;
        }
        let bytes = self
            .body
            .as_ref()
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default();
        let info = error_info(self.status, &bytes, self.request_id.clone(), "");
        Some(classify(
            ErrorInfo {
                client_request_id: None,
                ..info
            },
            self.retry_after,
        ))
    }

    /// The item as a typed result, like the equivalent single call.
    pub fn into_result<T: DeserializeOwned>(self) -> Result<Reply<T>, GraphError> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let value = serde_json::from_value(self.body.unwrap_or(Value::Null))
            .map_err(|e| decode_error("batchItem", e, &self.request_id))?;
        Ok(Reply {
            value,
            status: self.status,
            request_id: self.request_id,
        })
    }

    /// The `value` array of a collection item.
    pub fn into_list<T: DeserializeOwned>(self) -> Result<Reply<Vec<T>>, GraphError> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let values = self
            .body
            .as_ref()
            .and_then(|b| b.get("value"))
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        let value = serde_json::from_value(values)
            .map_err(|e| decode_error("batchItem", e, &self.request_id))?;
        Ok(Reply {
            value,
            status: self.status,
            request_id: self.request_id,
        })
    }

    /// The `@odata.nextLink` of a collection item that has more pages (absolute, as Graph
    /// writes it); continue with [`GraphClient::next_page`].
    pub fn next_link(&self) -> Option<&str> {
        self.body
            .as_ref()?
            .get("@odata.nextLink")
            .and_then(Value::as_str)
    }

    /// The item's outcome without a body.
    pub fn into_empty(self) -> Result<Reply<()>, GraphError> {
        match self.error() {
            Some(e) => Err(e),
            None => Ok(Reply {
                value: (),
                status: self.status,
                request_id: self.request_id,
            }),
        }
    }
}

fn header(h: &Value, name: &str) -> Option<String> {
    h.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str().map(str::to_owned))
}

impl GraphClient {
    /// The batch item that reads the page an item's `@odata.nextLink` names. A batch item's
    /// URL is relative to the endpoint, so the link must be on this client's endpoint (never
    /// follow a link elsewhere); it is sent without that prefix.
    pub fn next_page(&self, id: &str, next_link: &str) -> Result<BatchRequest, GraphError> {
        let relative = next_link
            .strip_prefix(&self.inner.endpoint)
            .filter(|rest| rest.starts_with('/'))
            .ok_or_else(|| {
                GraphError::Permanent(ErrorInfo {
                    status: None,
                    code: "UntrustedNextLink".to_owned(),
                    message: "the service returned a nextLink outside the configured Graph endpoint; refusing to follow it".to_owned(),
                    request_id: None,
                    client_request_id: None,
                })
            })?;
        Ok(BatchRequest::new(id, "GET", relative))
    }

    /// Sends up to 20 requests in one `POST /$batch`, retrying throttled and transient items
    /// (with their failed dependants) within the client's retry bounds. Returns one response
    /// per request, in request order; inspect each with [`BatchResponse::into_result`].
    pub async fn batch(
        &self,
        requests: Vec<BatchRequest>,
    ) -> Result<Reply<Vec<BatchResponse>>, GraphError> {
        let bad = |m: String| {
            GraphError::Permanent(ErrorInfo {
                status: None,
                code: "InvalidBatch".to_owned(),
                message: m,
                request_id: None,
                client_request_id: None,
            })
        };
        if requests.is_empty() {
            return Ok(Reply {
                value: Vec::new(),
                status: 200,
                request_id: None,
            });
        }
        if requests.len() > MAX_BATCH_REQUESTS {
            return Err(bad(format!(
                "{} requests in one batch; Graph accepts at most {MAX_BATCH_REQUESTS}: split them",
                requests.len()
            )));
        }
        let retry = &self.inner.options.retry;
        let order: Vec<String> = requests.iter().map(|r| r.id.clone()).collect();
        let by_id: HashMap<String, BatchRequest> =
            requests.into_iter().map(|r| (r.id.clone(), r)).collect();
        if by_id.len() != order.len() {
            return Err(bad("batch request ids must be unique".to_owned()));
        }
        let mut results: HashMap<String, BatchResponse> = HashMap::new();
        let mut pending: Vec<String> = order.clone();
        let mut first: Option<(u16, Option<String>)> = None;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let items: Vec<Value> = pending
                .iter()
                .filter_map(|id| by_id.get(id))
                .map(|r| {
                    let mut o = json!({ "id": r.id, "method": r.method, "url": r.url });
                    let deps: Vec<&String> = r
                        .depends_on
                        .iter()
                        .filter(|d| pending.contains(d))
                        .collect();
                    if !deps.is_empty() {
                        o["dependsOn"] = json!(deps);
                    }
                    if let Some(b) = &r.body {
                        o["body"] = b.clone();
                        o["headers"] = json!({ "Content-Type": "application/json" });
                    }
                    o
                })
                .collect();
            let all_idempotent = pending
                .iter()
                .filter_map(|id| by_id.get(id))
                .all(|r| r.idempotent);
            let sending: Vec<&BatchRequest> =
                pending.iter().filter_map(|id| by_id.get(id)).collect();
            let mut call = Call::new(Method::POST, "/$batch".to_owned(), "batch")
                .json(json!({ "requests": items }))
                .idempotent(all_idempotent);
            // The batch itself is not a write; its write items each count against the quota.
            call.writes = sending.iter().filter(|r| r.is_write()).count() as u32;
            if sending.iter().any(|r| r.is_sign_in_cut()) {
                call = call.sign_in_cut();
            }
            let raw = self.execute(&call).await?;
            if first.is_none() {
                first = Some((raw.status, raw.request_id.clone()));
            }
            let responses = raw
                .body
                .as_ref()
                .and_then(|b| b.get("responses"))
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| {
                    decode_error(
                        "batch",
                        serde::de::Error::custom("no 'responses' array"),
                        &raw.request_id,
                    )
                })?;
            for r in responses {
                let id = r
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let headers = r.get("headers").cloned().unwrap_or(Value::Null);
                let resp = BatchResponse {
                    status: r.get("status").and_then(Value::as_u64).unwrap_or(0) as u16,
                    body: r.get("body").cloned(),
                    request_id: header(&headers, "request-id").or_else(|| {
                        r.pointer("/body/error/innerError/request-id")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    }),
                    retry_after: header(&headers, "retry-after")
                        .as_deref()
                        .and_then(parse_retry_after),
                    id: id.clone(),
                };
                results.insert(id, resp);
            }
            // Graph refused items for the quota: every write of the instance waits it out.
            if let Some(ra) = pending
                .iter()
                .filter_map(|id| results.get(id))
                .filter(|r| r.status == 429)
                .map(|r| r.retry_after.unwrap_or(Duration::from_secs(1)))
                .max()
            {
                self.inner.pacer.throttled(ra);
            }
            // What to send again: throttled or transient items, and their dependants that got 424.
            let mut again: Vec<String> = Vec::new();
            let mut wait = Duration::ZERO;
            for id in &pending {
                let Some(r) = results.get(id) else { continue };
                let req = &by_id[id];
                let retryable = match r.status {
                    429 | 503 => true,
                    500 | 502 | 504 => req.idempotent,
                    _ => false,
                };
                if retryable {
                    again.push(id.clone());
                    wait = wait.max(r.retry_after.unwrap_or(retry.base_delay));
                }
            }
            for id in &pending {
                if results.get(id).is_some_and(|r| r.status == 424)
                    && by_id[id].depends_on.iter().any(|d| again.contains(d))
                {
                    again.push(id.clone());
                }
            }
            if again.is_empty() || attempt >= retry.max_attempts || wait > retry.max_retry_after {
                break;
            }
            let jitter_ms = retry
                .retry_after_jitter
                .as_millis()
                .min(u128::from(u64::MAX)) as u64;
            let extra = if jitter_ms == 0 {
                0
            } else {
                rand::rng().random_range(0..=jitter_ms)
            };
            tracing::warn!(
                items = again.len(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                "retrying throttled or transient batch items"
            );
            tokio::time::sleep(wait + Duration::from_millis(extra)).await;
            pending = again;
        }
        let (status, request_id) = first.unwrap_or((200, None));
        let value = order
            .iter()
            .map(|id| {
                results.remove(id).unwrap_or(BatchResponse {
                    id: id.clone(),
                    status: 0,
                    body: Some(json!({"error": {"code": "MissingResponse", "message": "the batch answer had no response for this request"}})),
                    request_id: None,
                    retry_after: None,
                })
            })
            .collect();
        Ok(Reply {
            value,
            status,
            request_id,
        })
    }
}
