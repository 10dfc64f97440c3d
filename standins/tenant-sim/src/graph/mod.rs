//! Microsoft Graph v1.0: the resources and actions offboarding uses, with Graph's shapes,
//! permission checks (application roles in the token, directory roles of the caller) and
//! refusals. Each handler says which documented behaviour it follows.
//!
//! Permission sets list what the v1.0 API reference accepts for application permissions (least
//! to most privileged); a token holding none of them gets 403.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::http::{ApiError, SimRequest, SimResponse};
use crate::model::*;
use crate::odata::{Filter, Query, QueryError, project};

mod app_roles;
mod auth_methods;
mod deleted_items;
mod devices;
mod drive_items;
mod drives;
mod events;
mod groups;
mod licences;
mod mail;
mod oauth_grants;
mod owners;
pub mod perms;
mod pim;
mod provisioning;
mod roles;
mod rules;
mod search;
mod users;

use app_roles::*;
use auth_methods::*;
use deleted_items::*;
use devices::*;
use drive_items::*;
use drives::*;
use events::*;
pub use groups::group_full;
use groups::*;
use licences::*;
use mail::*;
use oauth_grants::*;
use owners::*;
use pim::*;
use provisioning::*;
use roles::*;
use rules::*;
use search::*;
pub use users::user_full;
use users::*;

/// Directory roles that may reset passwords of non-administrators (app-only also needs one).
const PASSWORD_ROLES: &[&str] = &[
    "User Administrator",
    "Helpdesk Administrator",
    "Password Administrator",
    "Authentication Administrator",
    "Privileged Authentication Administrator",
    "Global Administrator",
];

/// Directory roles that may perform sensitive actions (disable, reset password) on users who
/// hold privileged roles themselves.
const PRIVILEGED_TARGET_ROLES: &[&str] = &[
    "Privileged Authentication Administrator",
    "Global Administrator",
];

/// Graph's message for writes to AD-mastered objects.
pub const ON_PREM_MASTERED: &str = "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.";

/// Graph's message when `assignLicense` tries to remove a group-based licence.
pub const GROUP_BASED_LICENSE: &str = "User license is inherited from a group membership and it cannot be removed directly from the user.";

/// Graph's message for member changes of mail-enabled security groups and distribution lists.
pub const EXCHANGE_MASTERED_GROUP: &str =
    "Cannot Update a mail-enabled security groups and or distribution list.";

/// The simulator's message for member changes of dynamic groups (Graph documents the refusal,
/// "You can't remove a member from groups with dynamic memberships", not the message).
pub const DYNAMIC_GROUP: &str = "Cannot update the membership of a group with dynamic membership; members are computed from the membership rule.";

/// What a handler knows about the call.
pub struct Ctx<'a> {
    /// The caller's application roles on Graph.
    pub roles: &'a [String],
    /// The caller's service principal object id.
    pub caller_object_id: &'a str,
    /// Graph base URL of this simulator (`http://127.0.0.1:P/v1.0`).
    pub base: &'a str,
    /// Page size when `$top` is absent.
    pub page_size: usize,
    /// Now.
    pub now: DateTime<Utc>,
}

impl Ctx<'_> {
    fn require(&self, accepted: &[&str]) -> Result<(), ApiError> {
        self.require_with(accepted, ApiError::denied)
    }
    fn require_with(
        &self,
        accepted: &[&str],
        err: impl FnOnce() -> ApiError,
    ) -> Result<(), ApiError> {
        if self.roles.iter().any(|r| accepted.iter().any(|a| a == r)) {
            Ok(())
        } else {
            Err(err())
        }
    }
    fn has(&self, accepted: &[&str]) -> bool {
        self.roles.iter().any(|r| accepted.iter().any(|a| a == r))
    }
    fn context(&self, fragment: &str) -> String {
        format!("{}/$metadata#{}", self.base, fragment)
    }
}

/// Formats a timestamp as Graph does for directory objects.
pub fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn q_err(e: QueryError) -> ApiError {
    if e.0 == "Unsupported Query." {
        ApiError::new(400, "Request_UnsupportedQuery", e.0)
    } else {
        ApiError::new(400, "BadRequest", e.0)
    }
}

fn select_context(entity: &str, q: &Query, suffix: &str) -> String {
    match &q.select {
        Some(s) => format!("{entity}({}){suffix}", s.join(",")),
        None => format!("{entity}{suffix}"),
    }
}

/// Builds a page of a collection with `@odata.nextLink` when more remain.
fn page(ctx: &Ctx<'_>, req: &SimRequest, q: &Query, context: String, items: Vec<Value>) -> Value {
    let total = items.len();
    let (start, end) = page_window(ctx, q, total);
    let window = items.into_iter().skip(start).take(end - start).collect();
    page_of(ctx, req, q, context, total, end, window)
}

/// The `[start, end)` slice of `total` items the request's `$top` and `$skiptoken` ask for.
fn page_window(ctx: &Ctx<'_>, q: &Query, total: usize) -> (usize, usize) {
    let size = q.top.unwrap_or(ctx.page_size);
    let start = q.skip.min(total);
    (start, (start + size).min(total))
}

/// A collection page holding `window` (the items up to `end` of `total`), with the
/// `@odata.nextLink` to the rest.
fn page_of(
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    context: String,
    total: usize,
    end: usize,
    window: Vec<Value>,
) -> Value {
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        Value::String(ctx.context(&context)),
    );
    if q.count {
        body.insert("@odata.count".to_owned(), json!(total));
    }
    if end < total {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &q.raw {
            if !k.eq_ignore_ascii_case("$skiptoken") {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("$skiptoken", &format!("sim-{end}"));
        body.insert(
            "@odata.nextLink".to_owned(),
            Value::String(format!("{}{}?{}", ctx.base, req.path, ser.finish())),
        );
    }
    body.insert("value".to_owned(), Value::Array(window));
    Value::Object(body)
}

fn body_obj(req: &SimRequest) -> Result<&Map<String, Value>, ApiError> {
    match &req.body {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(ApiError::new(
            400,
            "BadRequest",
            "Empty Payload. JSON content expected.",
        )),
    }
}

fn find_user<'t>(t: &'t Tenant, key: &str) -> Result<&'t User, ApiError> {
    t.user(key).ok_or_else(|| ApiError::not_found(key))
}

/// Splits a Graph path into decoded segments, turning `users('x')` into `users`, `x`.
pub fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let seg = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        if let Some(open) = seg.find("('")
            && seg.ends_with("')")
            && open + 2 <= seg.len() - 2
        {
            out.push(seg[..open].to_owned());
            out.push(seg[open + 2..seg.len() - 2].to_owned());
            continue;
        }
        out.push(seg);
    }
    out
}

/// Answers one Graph request (not `$batch`, which the engine unrolls).
pub fn route(t: &mut Tenant, ctx: &Ctx<'_>, req: &SimRequest) -> Result<SimResponse, ApiError> {
    let q = Query::parse(&req.query).map_err(q_err)?;
    let segs = segments(&req.path);
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = req.method.as_str();
    match (m, s.as_slice()) {
        ("GET", ["users"]) => list_users(t, ctx, req, &q),
        ("GET", ["users", id]) => get_user(t, ctx, id, &q),
        ("PATCH", ["users", id]) => patch_user(t, ctx, id, req),
        ("DELETE", ["users", id]) => delete_user(t, ctx, id),
        ("POST", ["users", id, "revokeSignInSessions"]) => revoke(t, ctx, id),
        ("GET", ["directory", "deletedItems", "microsoft.graph.user"]) => {
            list_deleted_users(t, ctx, req, &q)
        }
        ("GET", ["directory", "deletedItems", id]) => get_deleted_item(t, ctx, id, &q),
        ("GET", ["users", id, "licenseDetails"]) => license_details(t, ctx, req, &q, id),
        ("POST", ["users", id, "assignLicense"]) => assign_license(t, ctx, id, req, &q),
        ("GET", ["users", id, "memberOf"]) => member_of(t, ctx, req, &q, id, false, false),
        ("GET", ["users", id, "memberOf", "microsoft.graph.group"]) => {
            member_of(t, ctx, req, &q, id, false, true)
        }
        ("GET", ["users", id, "transitiveMemberOf"]) => member_of(t, ctx, req, &q, id, true, false),
        ("GET", ["users", id, "transitiveMemberOf", "microsoft.graph.group"]) => {
            member_of(t, ctx, req, &q, id, true, true)
        }
        ("GET", ["users", id, "manager"]) => manager(t, ctx, id, &q),
        ("GET", ["users", id, "appRoleAssignments"]) => app_roles(t, ctx, req, &q, id),
        ("POST", ["users", id, "appRoleAssignments"]) => add_app_role(t, ctx, id, req),
        ("DELETE", ["users", id, "appRoleAssignments", aid]) => {
            delete_app_role(t, ctx, Some(id), None, aid)
        }
        ("DELETE", ["servicePrincipals", sp, "appRoleAssignedTo", aid]) => {
            delete_app_role(t, ctx, None, Some(sp), aid)
        }
        ("GET", ["oauth2PermissionGrants"]) => list_oauth_grants(t, ctx, req, &q),
        ("DELETE", ["oauth2PermissionGrants", gid]) => delete_oauth_grant(t, ctx, gid),
        ("GET", ["users", id, "ownedObjects"]) => owned_objects(t, ctx, req, &q, id),
        (
            "GET",
            [
                c @ ("groups" | "applications" | "servicePrincipals"),
                oid,
                "owners",
            ],
        ) => list_owners(t, ctx, req, &q, c, oid),
        (
            "POST",
            [
                c @ ("groups" | "applications" | "servicePrincipals"),
                oid,
                "owners",
                "$ref",
            ],
        ) => add_owner(t, ctx, req, c, oid),
        (
            "DELETE",
            [
                c @ ("groups" | "applications" | "servicePrincipals"),
                oid,
                "owners",
                owner,
                "$ref",
            ],
        ) => remove_owner(t, ctx, c, oid, owner),
        ("GET", ["roleManagement", "directory", "roleEligibilitySchedules"]) => {
            list_role_eligibility(t, ctx, req, &q)
        }
        (
            "POST",
            [
                "roleManagement",
                "directory",
                "roleEligibilityScheduleRequests",
            ],
        ) => request_role_eligibility(t, ctx, req),
        (
            "GET",
            [
                "identityGovernance",
                "privilegedAccess",
                "group",
                "eligibilitySchedules",
            ],
        ) => list_group_eligibility(t, ctx, req, &q),
        (
            "POST",
            [
                "identityGovernance",
                "privilegedAccess",
                "group",
                "eligibilityScheduleRequests",
            ],
        ) => request_group_eligibility(t, ctx, req),
        ("GET", ["users", id, "authentication", "methods"]) => auth_methods(t, ctx, req, &q, id),
        ("DELETE", ["users", id, "authentication", kind, mid]) => {
            delete_auth_method(t, ctx, id, kind, mid)
        }
        ("GET", ["users", id, "managedDevices"]) => user_devices(t, ctx, req, &q, id),
        ("GET", ["deviceManagement", "managedDevices"]) => all_devices(t, ctx, req, &q),
        ("GET", ["deviceManagement", "managedDevices", did]) => get_device(t, ctx, did),
        ("POST", ["deviceManagement", "managedDevices", did, "retire"]) => retire(t, ctx, did),
        ("GET", ["users", id, "drive"]) => user_drive(t, ctx, id),
        ("GET", ["drives", did]) => drive_by_id(t, ctx, did),
        ("POST", ["users", id, "drive", "root", "invite"]) => {
            let d = drive_of(t, id)?;
            invite(t, ctx, &d, "root", req)
        }
        ("POST", ["users", id, "drive", "items", item, "invite"]) => {
            let d = drive_of(t, id)?;
            invite(t, ctx, &d, item, req)
        }
        ("POST", ["drives", did, "root", "invite"]) => invite(t, ctx, did, "root", req),
        ("POST", ["drives", did, "items", item, "invite"]) => invite(t, ctx, did, item, req),
        ("GET", ["users", id, "drive", "root", "permissions"]) => {
            let d = drive_of(t, id)?;
            permissions(t, ctx, req, &q, &d, "root")
        }
        ("GET", ["drives", did, "root", "permissions"]) => {
            permissions(t, ctx, req, &q, did, "root")
        }
        ("GET", ["drives", did, "items", item, "permissions"]) => {
            item_permissions(t, ctx, req, &q, did, item)
        }
        ("GET", ["drives", did, "root", "children"]) => children(t, ctx, req, &q, did, "root"),
        ("GET", ["drives", did, "items", item, "children"]) => children(t, ctx, req, &q, did, item),
        ("DELETE", ["drives", did, "root", "permissions", pid]) => {
            delete_permission(t, ctx, did, "root", pid)
        }
        ("DELETE", ["drives", did, "items", item, "permissions", pid]) => {
            delete_permission(t, ctx, did, item, pid)
        }
        ("POST", ["search", "query"]) => search_query(t, ctx, req),
        ("GET", ["users", id, "mailboxSettings"]) => get_mailbox_settings(t, ctx, id),
        ("PATCH", ["users", id, "mailboxSettings"]) => patch_mailbox_settings(t, ctx, id, req),
        ("POST", ["users", id, "sendMail"]) => send_mail(t, ctx, id, req),
        ("GET", ["users", id, "mailFolders", "inbox", "messageRules"]) => {
            list_rules(t, ctx, req, &q, id)
        }
        ("PATCH", ["users", id, "mailFolders", "inbox", "messageRules", rule]) => {
            patch_rule(t, ctx, id, rule, req)
        }
        ("GET", ["users", id, "events"]) => list_events(t, ctx, req, &q, id),
        ("GET", ["users", id, "events", event]) => get_event(t, ctx, id, event),
        ("PATCH", ["users", id, "events", event]) => patch_event(t, ctx, id, event, req),
        ("POST", ["users", id, "events", event, "cancel"]) => cancel_event(t, ctx, id, event, req),
        ("GET", ["organization"]) => organization(t, ctx, req, &q),
        ("GET", ["auditLogs", "provisioning"]) => list_provisioning(t, ctx, req, &q),
        ("GET", ["groups", gid]) => get_group(t, ctx, gid, &q),
        ("GET", ["groups", gid, "members"]) => group_members(t, ctx, req, &q, gid),
        ("DELETE", ["groups", gid]) => delete_group(t, ctx, gid),
        ("DELETE", ["groups", gid, "members", mid, "$ref"]) => remove_member(t, ctx, gid, mid),
        ("POST", ["groups", gid, "members", "$ref"]) => add_member(t, ctx, gid, req),
        ("DELETE", ["groups", gid, "members", mid]) => remove_member_without_ref(t, ctx, gid, mid),
        ("GET", ["roleManagement", "directory", "roleAssignments"]) => {
            role_assignments(t, ctx, req, &q)
        }
        ("POST", ["roleManagement", "directory", "roleAssignments"]) => {
            create_role_assignment(t, ctx, req)
        }
        ("GET", ["roleManagement", "directory", "roleAssignments", id]) => {
            get_role_assignment(t, ctx, id, &q)
        }
        ("DELETE", ["roleManagement", "directory", "roleAssignments", id]) => {
            delete_role_assignment(t, ctx, id)
        }
        (_, ["users", ..])
        | (_, ["groups", ..])
        | (_, ["roleManagement", ..])
        | (_, ["deviceManagement", ..])
        | (_, ["drives", ..])
        | (_, ["servicePrincipals", ..])
        | (_, ["oauth2PermissionGrants", ..])
        | (_, ["applications", ..])
        | (_, ["identityGovernance", ..])
        | (_, ["auditLogs", ..])
        | (_, ["directory", ..]) => Err(ApiError::new(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )),
        _ => Err(ApiError::new(
            400,
            "BadRequest",
            format!(
                "Resource not found for the segment '{}'.",
                s.first().copied().unwrap_or_default()
            ),
        )),
    }
}
