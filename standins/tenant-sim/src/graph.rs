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

/// Permission sets per operation (application permissions, least to most privileged).
pub mod perms {
    /// Read users (`GET /users`, `/users/{id}`, manager).
    pub const USER_READ: &[&str] = &[
        "User.Read.All",
        "User.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ];
    /// Write `accountEnabled`.
    pub const ENABLE_DISABLE: &[&str] = &[
        "User.EnableDisableAccount.All",
        "User.ReadWrite.All",
        "Directory.ReadWrite.All",
    ];
    /// Write `passwordProfile`.
    pub const PASSWORD: &[&str] = &[
        "User-PasswordProfile.ReadWrite.All",
        "User.ReadWrite.All",
        "Directory.ReadWrite.All",
    ];
    /// Write other user properties.
    pub const USER_WRITE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
    /// `revokeSignInSessions`.
    pub const REVOKE: &[&str] = &[
        "User.RevokeSessions.All",
        "User.ReadWrite.All",
        "Directory.ReadWrite.All",
    ];
    /// `licenseDetails`.
    pub const LICENSE_READ: &[&str] = &[
        "LicenseAssignment.Read.All",
        "LicenseAssignment.ReadWrite.All",
        "User.Read.All",
        "User.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ];
    /// `assignLicense`.
    pub const LICENSE_WRITE: &[&str] = &[
        "LicenseAssignment.ReadWrite.All",
        "User.ReadWrite.All",
        "Directory.ReadWrite.All",
    ];
    /// `memberOf` / `transitiveMemberOf`.
    pub const MEMBER_OF: &[&str] = &[
        "User.Read.All",
        "User.ReadWrite.All",
        "GroupMember.Read.All",
        "GroupMember.ReadWrite.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ];
    /// Read a group and its members.
    pub const GROUP_READ: &[&str] = &[
        "GroupMember.Read.All",
        "GroupMember.ReadWrite.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ];
    /// Remove a group member.
    pub const MEMBER_REMOVE: &[&str] = &[
        "GroupMember.ReadWrite.All",
        "Group.ReadWrite.All",
        "Directory.ReadWrite.All",
    ];
    /// List role assignments.
    pub const ROLE_READ: &[&str] = &[
        "RoleManagement.Read.Directory",
        "RoleManagement.Read.All",
        "Directory.Read.All",
        "RoleManagement.ReadWrite.Directory",
        "Directory.ReadWrite.All",
    ];
    /// Delete role assignments; also needed to change role-assignable groups.
    pub const ROLE_WRITE: &[&str] = &["RoleManagement.ReadWrite.Directory"];
    /// List a user's app role assignments.
    pub const APP_ROLE_READ: &[&str] = &[
        "Directory.Read.All",
        "AppRoleAssignment.ReadWrite.All",
        "Directory.ReadWrite.All",
    ];
    /// Delete app role assignments.
    pub const APP_ROLE_WRITE: &[&str] =
        &["AppRoleAssignment.ReadWrite.All", "Directory.ReadWrite.All"];
    /// List authentication methods.
    pub const AUTH_READ: &[&str] = &[
        "UserAuthenticationMethod.Read.All",
        "UserAuthenticationMethod.ReadWrite.All",
    ];
    /// Delete authentication methods.
    pub const AUTH_WRITE: &[&str] = &["UserAuthenticationMethod.ReadWrite.All"];
    /// Read Intune managed devices.
    pub const DEVICES_READ: &[&str] = &[
        "DeviceManagementManagedDevices.Read.All",
        "DeviceManagementManagedDevices.ReadWrite.All",
    ];
    /// `retire`.
    pub const DEVICES_RETIRE: &[&str] =
        &["DeviceManagementManagedDevices.PrivilegedOperations.All"];
    /// Read drives and permissions.
    pub const FILES_READ: &[&str] = &[
        "Files.Read.All",
        "Files.ReadWrite.All",
        "Sites.Read.All",
        "Sites.ReadWrite.All",
    ];
    /// `invite`.
    pub const FILES_WRITE: &[&str] = &["Files.ReadWrite.All", "Sites.ReadWrite.All"];
    /// Read mailboxSettings.
    pub const MAILBOX_SETTINGS_READ: &[&str] =
        &["MailboxSettings.Read", "MailboxSettings.ReadWrite"];
    /// Update mailboxSettings.
    pub const MAILBOX_SETTINGS_WRITE: &[&str] = &["MailboxSettings.ReadWrite"];
    /// `sendMail`.
    pub const MAIL_SEND: &[&str] = &["Mail.Send"];
    /// `signInActivity` on users.
    pub const SIGN_IN_ACTIVITY: &[&str] = &["AuditLog.Read.All"];
    /// Delete a group.
    pub const GROUP_DELETE: &[&str] = &["Group.ReadWrite.All", "Directory.ReadWrite.All"];
    /// Delete a user object.
    pub const USER_DELETE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
}

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

const USER_DEFAULTS: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

const USER_FILTERABLE: &[&str] = &[
    "id",
    "userPrincipalName",
    "mail",
    "employeeId",
    "displayName",
    "accountEnabled",
    "givenName",
    "surname",
    "mailNickname",
    "onPremisesSamAccountName",
    "onPremisesImmutableId",
    "onPremisesSyncEnabled",
    "userType",
    "department",
    "jobTitle",
    "city",
];

/// The properties `$filter` may name on users ([`USER_FILTERABLE`]), as [`user_full`] has
/// them but without its licence properties, which walk every group: filtering a listing on
/// these costs O(users) instead of O(users × memberships).
fn user_filterable(u: &User) -> Map<String, Value> {
    let v = json!({
        "id": u.id,
        "userPrincipalName": u.user_principal_name,
        "mail": u.mail,
        "employeeId": u.employee_id,
        "displayName": u.display_name,
        "accountEnabled": u.account_enabled,
        "givenName": u.given_name,
        "surname": u.surname,
        "mailNickname": u.mail_nickname,
        "onPremisesSamAccountName": u.on_premises_sam_account_name,
        "onPremisesImmutableId": u.on_premises_immutable_id,
        "onPremisesSyncEnabled": u.on_premises_sync_enabled,
        "userType": u.user_type,
        "department": u.department,
        "jobTitle": u.job_title,
        "city": u.city,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The full property set of a user (what `$select` picks from).
pub fn user_full(t: &Tenant, u: &User) -> Map<String, Value> {
    let states = t.license_states(&u.id);
    let mut assigned: Vec<Value> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for s in &states {
        if !seen.contains(&s.sku_id) {
            seen.push(s.sku_id.clone());
            assigned.push(json!({"disabledPlans": s.disabled_plans, "skuId": s.sku_id}));
        }
    }
    let license_states: Vec<Value> = states
        .iter()
        .map(|s| {
            json!({
                "assignedByGroup": s.assigned_by_group,
                "disabledPlans": s.disabled_plans,
                "error": "None",
                "lastUpdatedDateTime": ts(&u.created_date_time),
                "skuId": s.sku_id,
                "state": "Active",
            })
        })
        .collect();
    let mut plans: Vec<Value> = Vec::new();
    for sku_id in &seen {
        if let Some(sku) = t.sku(sku_id) {
            for p in &sku.service_plans {
                plans.push(json!({
                    "assignedDateTime": ts(&u.created_date_time),
                    "capabilityStatus": if u.account_enabled { "Enabled" } else { "Suspended" },
                    "service": p.service_plan_name,
                    "servicePlanId": p.service_plan_id,
                }));
            }
        }
    }
    let v = json!({
        "id": u.id,
        "businessPhones": u.business_phones,
        "displayName": u.display_name,
        "givenName": u.given_name,
        "jobTitle": u.job_title,
        "mail": u.mail,
        "mobilePhone": u.mobile_phone,
        "officeLocation": u.office_location,
        "preferredLanguage": u.preferred_language,
        "surname": u.surname,
        "userPrincipalName": u.user_principal_name,
        "accountEnabled": u.account_enabled,
        "employeeId": u.employee_id,
        "department": u.department,
        "companyName": u.company_name,
        "city": u.city,
        "postalCode": null,
        "usageLocation": u.usage_location,
        "userType": u.user_type,
        "mailNickname": u.mail_nickname,
        "proxyAddresses": u.mail.iter().map(|m| format!("SMTP:{m}")).collect::<Vec<_>>(),
        "identities": [{
            "signInType": "userPrincipalName",
            "issuer": t.domain,
            "issuerAssignedId": u.user_principal_name,
        }],
        "onPremisesSyncEnabled": u.on_premises_sync_enabled,
        "onPremisesImmutableId": u.on_premises_immutable_id,
        "onPremisesSamAccountName": u.on_premises_sam_account_name,
        "onPremisesDistinguishedName": u.on_premises_distinguished_name,
        "onPremisesLastSyncDateTime": u.on_premises_last_sync_date_time.as_ref().map(ts),
        "createdDateTime": ts(&u.created_date_time),
        "signInSessionsValidFromDateTime": ts(&u.sign_in_sessions_valid_from_date_time),
        "lastPasswordChangeDateTime": u.last_password_change_date_time.as_ref().map(ts),
        "assignedLicenses": assigned,
        "licenseAssignmentStates": license_states,
        "assignedPlans": plans,
        "signInActivity": {
            "lastSignInDateTime": u.last_sign_in_date_time.as_ref().map(ts),
            "lastSignInRequestId": u.last_sign_in_date_time.map(|_| "sim-signin-request"),
            "lastNonInteractiveSignInDateTime": u.last_sign_in_date_time.as_ref().map(ts),
            "lastNonInteractiveSignInRequestId": u.last_sign_in_date_time.map(|_| "sim-signin-request"),
            "lastSuccessfulSignInDateTime": u.last_sign_in_date_time.as_ref().map(ts),
            "lastSuccessfulSignInRequestId": u.last_sign_in_date_time.map(|_| "sim-signin-request"),
        },
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn select_user(
    t: &Tenant,
    ctx: &Ctx<'_>,
    u: &User,
    q: &Query,
) -> Result<Map<String, Value>, ApiError> {
    let wants_sign_in = q
        .select
        .as_ref()
        .is_some_and(|s| s.iter().any(|p| p.eq_ignore_ascii_case("signInActivity")));
    if wants_sign_in {
        ctx.require(perms::SIGN_IN_ACTIVITY)?;
    }
    let mut full = user_full(t, u);
    if !wants_sign_in {
        full.remove("signInActivity");
    }
    project(
        &full,
        q.select.as_deref(),
        USER_DEFAULTS,
        "microsoft.graph.user",
    )
    .map_err(q_err)
}

fn select_context(entity: &str, q: &Query, suffix: &str) -> String {
    match &q.select {
        Some(s) => format!("{entity}({}){suffix}", s.join(",")),
        None => format!("{entity}{suffix}"),
    }
}

/// The full property set of a group.
pub fn group_full(g: &Group) -> Map<String, Value> {
    let v = json!({
        "@odata.type": "#microsoft.graph.group",
        "id": g.id,
        "deletedDateTime": null,
        "displayName": g.display_name,
        "description": g.description,
        "groupTypes": g.group_types,
        "mailEnabled": g.mail_enabled,
        "securityEnabled": g.security_enabled,
        "mail": g.mail,
        "mailNickname": g.mail_nickname,
        "membershipRule": g.membership_rule,
        "membershipRuleProcessingState": g.membership_rule_processing_state,
        "onPremisesSyncEnabled": g.on_premises_sync_enabled,
        "isAssignableToRole": g.is_assignable_to_role,
        "assignedLicenses": g.assigned_licenses.iter().map(|l| json!({"disabledPlans": l.disabled_plans, "skuId": l.sku_id})).collect::<Vec<_>>(),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn directory_role_object(d: &RoleDefinition) -> Map<String, Value> {
    let v = json!({
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": format!("role-{}", d.id),
        "deletedDateTime": null,
        "description": format!("Members of this role are {}s.", d.display_name),
        "displayName": d.display_name,
        "roleTemplateId": d.id,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Builds a page of a collection with `@odata.nextLink` when more remain.
fn page(ctx: &Ctx<'_>, req: &SimRequest, q: &Query, context: String, items: Vec<Value>) -> Value {
    let size = q.top.unwrap_or(ctx.page_size);
    let total = items.len();
    let start = q.skip.min(total);
    let end = (start + size).min(total);
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
    body.insert(
        "value".to_owned(),
        Value::Array(items.into_iter().skip(start).take(end - start).collect()),
    );
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
        ("DELETE", ["users", id, "appRoleAssignments", aid]) => {
            delete_app_role(t, ctx, Some(id), None, aid)
        }
        ("DELETE", ["servicePrincipals", sp, "appRoleAssignedTo", aid]) => {
            delete_app_role(t, ctx, None, Some(sp), aid)
        }
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
            permissions(t, ctx, req, &q, did, item)
        }
        ("GET", ["users", id, "mailboxSettings"]) => get_mailbox_settings(t, ctx, id),
        ("PATCH", ["users", id, "mailboxSettings"]) => patch_mailbox_settings(t, ctx, id, req),
        ("POST", ["users", id, "sendMail"]) => send_mail(t, ctx, id, req),
        ("GET", ["groups", gid]) => get_group(t, ctx, gid, &q),
        ("GET", ["groups", gid, "members"]) => group_members(t, ctx, req, &q, gid),
        ("DELETE", ["groups", gid]) => delete_group(t, ctx, gid),
        ("DELETE", ["groups", gid, "members", mid, "$ref"]) => remove_member(t, ctx, gid, mid),
        ("DELETE", ["groups", gid, "members", mid]) => remove_member_without_ref(t, ctx, gid, mid),
        ("GET", ["roleManagement", "directory", "roleAssignments"]) => {
            role_assignments(t, ctx, req, &q)
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
        | (_, ["servicePrincipals", ..]) => Err(ApiError::new(
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

fn list_users(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_READ)?;
    if let Some(f) = &q.filter {
        for p in f.properties() {
            if !USER_FILTERABLE.iter().any(|k| k.eq_ignore_ascii_case(&p)) {
                return Err(ApiError::new(
                    400,
                    "Request_UnsupportedQuery",
                    format!(
                        "Unsupported or invalid query filter clause specified for property '{p}' of resource 'User'."
                    ),
                ));
            }
        }
    }
    let mut items = Vec::new();
    for u in &t.users {
        if q.filter
            .as_ref()
            .is_none_or(|f: &Filter| f.matches(&user_filterable(u)))
        {
            items.push(Value::Object(select_user(t, ctx, u, q)?));
        }
    }
    let context = select_context("users", q, "");
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

fn get_user(t: &mut Tenant, ctx: &Ctx<'_>, id: &str, q: &Query) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_READ)?;
    let u = find_user(t, id)?;
    let mut body = select_user(t, ctx, u, q)?;
    if q.expand.iter().any(|e| e == "manager") {
        let m = u.manager_id.as_deref().and_then(|m| t.user(m));
        body.insert(
            "manager".to_owned(),
            m.map(|m| {
                let mut full = user_full(t, m);
                full.remove("signInActivity");
                let mut o =
                    project(&full, None, USER_DEFAULTS, "microsoft.graph.user").unwrap_or_default();
                o.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
                Value::Object(o)
            })
            .unwrap_or(Value::Null),
        );
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&select_context("users", q, "/$entity"))),
    );
    out.extend(body);
    Ok(SimResponse::ok(Value::Object(out)))
}

fn check_password(p: &str) -> bool {
    let classes = [
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    p.chars().count() >= 8
        && p.chars().count() <= 256
        && classes.iter().filter(|c| **c).count() >= 3
}

const SIMPLE_USER_PROPS: &[&str] = &[
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "companyName",
    "city",
    "officeLocation",
    "mobilePhone",
    "usageLocation",
    "employeeId",
    "preferredLanguage",
];

fn patch_user(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    let body = body_obj(req)?.clone();
    let user = find_user(t, id)?.clone();
    let caller = ctx.caller_object_id;
    let target_privileged = t.holds_privileged_role(&user.id);
    // Permission checks first, for every property in the body, as Graph authorises the whole
    // request before changing anything.
    for key in body.keys().filter(|k| !k.starts_with('@')) {
        match key.as_str() {
            "accountEnabled" => {
                ctx.require(perms::ENABLE_DISABLE)?;
                if target_privileged && !t.has_role_named(caller, PRIVILEGED_TARGET_ROLES) {
                    return Err(ApiError::denied());
                }
            }
            "passwordProfile" => {
                ctx.require(perms::PASSWORD)?;
                let roles = if target_privileged {
                    PRIVILEGED_TARGET_ROLES
                } else {
                    PASSWORD_ROLES
                };
                if !t.has_role_named(caller, roles) {
                    return Err(ApiError::denied());
                }
            }
            other if SIMPLE_USER_PROPS.contains(&other) || other == "businessPhones" => {
                ctx.require(perms::USER_WRITE)?
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "Invalid property '{other}'."
                )));
            }
        }
    }
    if user.is_synced() {
        // Source of authority is on-premises AD: Graph refuses AD-mastered properties.
        return Err(ApiError::bad_request(ON_PREM_MASTERED));
    }
    let mut new_enabled = None;
    let mut new_password: Option<bool> = None;
    for (key, value) in body.iter().filter(|(k, _)| !k.starts_with('@')) {
        match key.as_str() {
            "accountEnabled" => {
                new_enabled = Some(value.as_bool().ok_or_else(|| {
                    ApiError::bad_request(
                        "Invalid value specified for property 'accountEnabled' of resource 'User'.",
                    )
                })?);
            }
            "passwordProfile" => {
                let pwd = value
                    .get("password")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "Invalid value specified for property 'passwordProfile' of resource 'User'.",
                        )
                    })?;
                if !check_password(pwd) {
                    return Err(ApiError::bad_request(
                        "The specified password does not comply with password complexity requirements. Please provide a different password.",
                    ));
                }
                new_password = Some(
                    value
                        .get("forceChangePasswordNextSignIn")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                );
            }
            "businessPhones" => {
                let ok = value
                    .as_array()
                    .is_some_and(|a| a.len() <= 1 && a.iter().all(Value::is_string));
                if !ok {
                    return Err(ApiError::bad_request(
                        "Invalid value specified for property 'businessPhones' of resource 'User'.",
                    ));
                }
            }
            _ => {
                if !(value.is_string() || value.is_null()) {
                    return Err(ApiError::bad_request(format!(
                        "Invalid value specified for property '{key}' of resource 'User'."
                    )));
                }
            }
        }
    }
    let now = ctx.now;
    let u = t.user_mut(id).ok_or_else(|| ApiError::not_found(id))?;
    if let Some(e) = new_enabled {
        u.account_enabled = e;
    }
    if let Some(force) = new_password {
        u.last_password_change_date_time = Some(now);
        u.force_change_password_next_sign_in = force;
    }
    for (key, value) in body.iter() {
        let v = value.as_str().map(str::to_owned);
        match key.as_str() {
            "displayName" => u.display_name = v.unwrap_or_default(),
            "givenName" => u.given_name = v,
            "surname" => u.surname = v,
            "jobTitle" => u.job_title = v,
            "department" => u.department = v,
            "companyName" => u.company_name = v,
            "city" => u.city = v,
            "officeLocation" => u.office_location = v,
            "mobilePhone" => u.mobile_phone = v,
            "usageLocation" => u.usage_location = v,
            "employeeId" => u.employee_id = v,
            "preferredLanguage" => u.preferred_language = v,
            "businessPhones" => {
                u.business_phones = value
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            }
            _ => {}
        }
    }
    Ok(SimResponse::empty(204))
}

fn delete_user(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_DELETE)?;
    let u = find_user(t, id)?.clone();
    if !t.has_role_named(ctx.caller_object_id, PASSWORD_ROLES) {
        return Err(ApiError::denied());
    }
    remove_user_object(t, &u.id);
    Ok(SimResponse::empty(204))
}

fn remove_user_object(t: &mut Tenant, id: &str) {
    if let Some(pos) = t.users.iter().position(|u| u.id == id) {
        let u = t.users.remove(pos);
        for g in &mut t.groups {
            g.members.retain(|m| m != id);
        }
        t.deleted_users.push(u);
    }
}

fn revoke(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require(perms::REVOKE)?;
    let now = ctx.now;
    let u = t.user_mut(id).ok_or_else(|| ApiError::not_found(id))?;
    u.sign_in_sessions_valid_from_date_time = now;
    Ok(SimResponse::ok(json!({
        "@odata.context": ctx.context("Edm.Boolean"),
        "value": true,
    })))
}

fn license_details(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::LICENSE_READ)?;
    let u = find_user(t, id)?;
    let mut items = Vec::new();
    for sku_id in t.effective_skus(&u.id) {
        let Some(sku) = t.sku(&sku_id) else { continue };
        let disabled: Vec<String> = t
            .license_states(&u.id)
            .into_iter()
            .filter(|s| s.sku_id == sku_id)
            .flat_map(|s| s.disabled_plans)
            .collect();
        let plans: Vec<Value> = sku
            .service_plans
            .iter()
            .map(|p| {
                json!({
                    "servicePlanId": p.service_plan_id,
                    "servicePlanName": p.service_plan_name,
                    "provisioningStatus": if disabled.contains(&p.service_plan_id) { "Disabled" } else { "Success" },
                    "appliesTo": "User",
                })
            })
            .collect();
        let full = json!({
            "id": format!("{}{}", u.id.chars().take(8).collect::<String>(), sku.sku_id.replace('-', "")),
            "skuId": sku.sku_id,
            "skuPartNumber": sku.sku_part_number,
            "servicePlans": plans,
        });
        let obj = full.as_object().cloned().unwrap_or_default();
        items.push(Value::Object(
            project(
                &obj,
                q.select.as_deref(),
                &["id", "skuId", "skuPartNumber", "servicePlans"],
                "microsoft.graph.licenseDetails",
            )
            .map_err(q_err)?,
        ));
    }
    let context = format!("users('{}')/licenseDetails", u.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

fn assign_license(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::LICENSE_WRITE)?;
    let body = body_obj(req)?.clone();
    let user = find_user(t, id)?.clone();
    let missing: Vec<&str> = ["addLicenses", "removeLicenses"]
        .into_iter()
        .filter(|k| !body.get(*k).is_some_and(Value::is_array))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad_request(format!(
            "One or more parameters of the function import 'assignLicense' are missing from the request payload. The missing parameters are: {}.",
            missing.join(", ")
        )));
    }
    let mut adds: Vec<AssignedLicense> = Vec::new();
    for a in body["addLicenses"].as_array().into_iter().flatten() {
        let sku_id = a.get("skuId").and_then(Value::as_str).unwrap_or_default();
        if t.sku(sku_id).is_none() {
            return Err(ApiError::bad_request(format!(
                "License {sku_id} does not correspond to a valid company License."
            )));
        }
        if user.usage_location.is_none() {
            return Err(ApiError::bad_request("Invalid usage location."));
        }
        adds.push(AssignedLicense {
            sku_id: sku_id.to_owned(),
            disabled_plans: a
                .get("disabledPlans")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    let states = t.license_states(&user.id);
    let mut removes: Vec<String> = Vec::new();
    for r in body["removeLicenses"].as_array().into_iter().flatten() {
        let sku_id = r.as_str().unwrap_or_default().to_owned();
        let direct = user
            .assigned_licenses
            .iter()
            .any(|l| l.sku_id.eq_ignore_ascii_case(&sku_id));
        if !direct {
            let inherited = states
                .iter()
                .any(|s| s.sku_id.eq_ignore_ascii_case(&sku_id) && s.assigned_by_group.is_some());
            if inherited {
                return Err(ApiError::bad_request(GROUP_BASED_LICENSE));
            }
            return Err(ApiError::bad_request(format!(
                "User does not have a corresponding license. License {sku_id} is not assigned to the user."
            )));
        }
        removes.push(sku_id);
    }
    {
        let u = t.user_mut(id).ok_or_else(|| ApiError::not_found(id))?;
        u.assigned_licenses
            .retain(|l| !removes.iter().any(|r| r.eq_ignore_ascii_case(&l.sku_id)));
        for a in adds {
            u.assigned_licenses
                .retain(|l| !l.sku_id.eq_ignore_ascii_case(&a.sku_id));
            u.assigned_licenses.push(a);
        }
    }
    let u = find_user(t, id)?;
    let full = user_full(t, u);
    let mut defaults: Vec<&str> = USER_DEFAULTS.to_vec();
    defaults.extend([
        "accountEnabled",
        "assignedLicenses",
        "assignedPlans",
        "city",
        "companyName",
    ]);
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context("users/$entity")),
    );
    out.extend(
        project(
            &full,
            q.select.as_deref(),
            &defaults,
            "microsoft.graph.user",
        )
        .map_err(q_err)?,
    );
    Ok(SimResponse::ok(Value::Object(out)))
}

fn member_of(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
    transitive: bool,
    groups_only: bool,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::MEMBER_OF)?;
    let u = find_user(t, id)?;
    let groups = if transitive {
        t.transitive_groups(&u.id)
    } else {
        t.direct_groups(&u.id)
    };
    let mut items = Vec::new();
    for g in groups {
        let full = group_full(g);
        if q.filter.as_ref().is_none_or(|f| f.matches(&full)) {
            items.push(Value::Object(
                project(&full, q.select.as_deref(), &[], "microsoft.graph.group")
                    .map(|p| if q.select.is_none() { full.clone() } else { p })
                    .map_err(q_err)?,
            ));
        }
    }
    if !groups_only {
        for d in t.roles_of(&u.id) {
            let full = directory_role_object(d);
            if q.filter.as_ref().is_none_or(|f| f.matches(&full)) {
                let sel = project(
                    &full,
                    q.select.as_deref(),
                    &[],
                    "microsoft.graph.directoryRole",
                )
                .unwrap_or_else(|_| full.clone());
                items.push(Value::Object(if q.select.is_none() { full } else { sel }));
            }
        }
    }
    let context = if groups_only {
        select_context("groups", q, "")
    } else {
        "directoryObjects".to_owned()
    };
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

fn manager(t: &mut Tenant, ctx: &Ctx<'_>, id: &str, q: &Query) -> Result<SimResponse, ApiError> {
    ctx.require(perms::USER_READ)?;
    let u = find_user(t, id)?;
    let m = u
        .manager_id
        .as_deref()
        .and_then(|m| t.user(m))
        .ok_or_else(|| ApiError::not_found("manager"))?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context("directoryObjects/$entity")),
    );
    out.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
    out.extend(select_user(t, ctx, m, q)?);
    Ok(SimResponse::ok(Value::Object(out)))
}

fn app_role_json(t: &Tenant, a: &AppRoleAssignment) -> Value {
    let principal = t.user(&a.principal_id);
    let resource = t.service_principals.iter().find(|s| s.id == a.resource_id);
    json!({
        "id": a.id,
        "deletedDateTime": null,
        "appRoleId": a.app_role_id,
        "createdDateTime": a.created_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        "principalDisplayName": principal.map(|p| p.display_name.clone()),
        "principalId": a.principal_id,
        "principalType": "User",
        "resourceDisplayName": resource.map(|r| r.display_name.clone()),
        "resourceId": a.resource_id,
    })
}

fn app_roles(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::APP_ROLE_READ)?;
    let u = find_user(t, id)?;
    let items: Vec<Value> = t
        .app_role_assignments
        .iter()
        .filter(|a| a.principal_id == u.id)
        .map(|a| app_role_json(t, a))
        .filter(|v| {
            q.filter
                .as_ref()
                .is_none_or(|f| v.as_object().is_some_and(|o| f.matches(o)))
        })
        .collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "appRoleAssignments".to_owned(),
        items,
    )))
}

fn delete_app_role(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    user: Option<&str>,
    sp: Option<&str>,
    aid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::APP_ROLE_WRITE)?;
    if let Some(u) = user {
        find_user(t, u)?;
    }
    let user_id = user.and_then(|u| t.user(u)).map(|u| u.id.clone());
    let pos = t
        .app_role_assignments
        .iter()
        .position(|a| {
            a.id == aid
                && user_id.as_deref().is_none_or(|u| a.principal_id == u)
                && sp.is_none_or(|s| a.resource_id.eq_ignore_ascii_case(s))
        })
        .ok_or_else(|| ApiError::not_found(aid))?;
    t.app_role_assignments.remove(pos);
    Ok(SimResponse::empty(204))
}

fn method_json(m: &AuthenticationMethod) -> Value {
    let created = m.created_date_time.as_ref().map(ts);
    let mut v = json!({
        "@odata.type": format!("#microsoft.graph.{}", m.method_type),
        "id": m.id,
    });
    let extra = match m.method_type.as_str() {
        "passwordAuthenticationMethod" => json!({"password": null, "createdDateTime": created}),
        "microsoftAuthenticatorAuthenticationMethod" => json!({
            "displayName": m.display_name, "deviceTag": "SoftwareTokenActivated",
            "phoneAppVersion": "6.2401.0119", "createdDateTime": created,
        }),
        "phoneAuthenticationMethod" => json!({
            "phoneNumber": m.phone_number, "phoneType": m.phone_type, "smsSignInState": "notSupported",
        }),
        "fido2AuthenticationMethod" => json!({
            "displayName": m.display_name, "creationDateTime": created,
            "aaGuid": "2fc0579f-8113-47ea-b116-555a8db9202a", "model": "NFC key",
            "attestationCertificates": ["5e4f1b2c3d4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c"], "attestationLevel": "attested",
        }),
        "windowsHelloForBusinessAuthenticationMethod" => json!({
            "displayName": m.display_name, "createdDateTime": created, "keyStrength": "normal",
        }),
        _ => json!({"displayName": m.display_name, "createdDateTime": created}),
    };
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

fn auth_methods(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::AUTH_READ)?;
    let u = find_user(t, id)?;
    let items: Vec<Value> = t
        .authentication_methods
        .iter()
        .filter(|m| m.user_id == u.id)
        .map(method_json)
        .collect();
    let context = format!("users('{}')/authentication/methods", u.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

fn method_type_for(segment: &str) -> Option<&'static str> {
    Some(match segment {
        "microsoftAuthenticatorMethods" => "microsoftAuthenticatorAuthenticationMethod",
        "phoneMethods" => "phoneAuthenticationMethod",
        "fido2Methods" => "fido2AuthenticationMethod",
        "softwareOathMethods" => "softwareOathAuthenticationMethod",
        "emailMethods" => "emailAuthenticationMethod",
        "temporaryAccessPassMethods" => "temporaryAccessPassAuthenticationMethod",
        "windowsHelloForBusinessMethods" => "windowsHelloForBusinessAuthenticationMethod",
        "passwordMethods" => "passwordAuthenticationMethod",
        _ => return None,
    })
}

fn delete_auth_method(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    kind: &str,
    mid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::AUTH_WRITE)?;
    let u = find_user(t, id)?.clone();
    let method_type = method_type_for(kind).ok_or_else(|| {
        ApiError::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{kind}'."),
        )
    })?;
    if method_type == "passwordAuthenticationMethod" {
        return Err(ApiError::new(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        ));
    }
    let pos = t
        .authentication_methods
        .iter()
        .position(|m| m.user_id == u.id && m.id == mid && m.method_type == method_type)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "itemNotFound",
                format!("The authentication method '{mid}' was not found."),
            )
        })?;
    t.authentication_methods.remove(pos);
    Ok(SimResponse::empty(204))
}

fn intune_denied(scope: &str) -> ApiError {
    ApiError::new(
        403,
        "Forbidden",
        format!(
            "Application is not authorized to perform this operation. Application must have one of the following scopes: {scope}"
        ),
    )
}

fn device_json(t: &Tenant, d: &ManagedDevice) -> Value {
    let u = t.user(&d.user_id);
    json!({
        "@odata.type": "#microsoft.graph.managedDevice",
        "id": d.id,
        "userId": d.user_id,
        "deviceName": d.device_name,
        "managedDeviceOwnerType": d.managed_device_owner_type,
        "deviceActionResults": d.device_action_results.iter().map(|r| json!({
            "@odata.type": "microsoft.graph.deviceActionResult",
            "actionName": r.action_name,
            "actionState": r.action_state,
            "startDateTime": r.start_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
            "lastUpdatedDateTime": r.last_updated_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        })).collect::<Vec<_>>(),
        "enrolledDateTime": d.enrolled_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        "lastSyncDateTime": d.last_sync_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        "operatingSystem": d.operating_system,
        "complianceState": d.compliance_state,
        "jailBroken": "False",
        "managementAgent": "mdm",
        "osVersion": d.os_version,
        "easActivated": false,
        "easDeviceId": null,
        "easActivationDateTime": "0001-01-01T00:00:00Z",
        "azureADRegistered": true,
        "deviceEnrollmentType": if d.managed_device_owner_type == "company" { "windowsAzureADJoin" } else { "userEnrollment" },
        "emailAddress": u.and_then(|u| u.mail.clone()),
        "azureADDeviceId": d.azure_ad_device_id,
        "deviceRegistrationState": "registered",
        "deviceCategoryDisplayName": "Unknown",
        "isSupervised": false,
        "exchangeLastSuccessfulSyncDateTime": "0001-01-01T00:00:00Z",
        "exchangeAccessState": "none",
        "exchangeAccessStateReason": "none",
        "isEncrypted": true,
        "userPrincipalName": u.map(|u| u.user_principal_name.clone()),
        "model": d.model,
        "manufacturer": d.manufacturer,
        "imei": null,
        "complianceGracePeriodExpirationDateTime": "9999-12-31T23:59:59Z",
        "serialNumber": d.serial_number,
        "phoneNumber": null,
        "androidSecurityPatchLevel": null,
        "userDisplayName": u.map(|u| u.display_name.clone()),
        "wiFiMacAddress": null,
        "subscriberCarrier": null,
        "meid": null,
        "totalStorageSpaceInBytes": 256_060_514_304_u64,
        "freeStorageSpaceInBytes": 128_030_257_152_u64,
        "managedDeviceName": format!("{}_{}", u.map(|u| u.mail_nickname.clone().unwrap_or_default()).unwrap_or_default(), d.operating_system),
        "partnerReportedThreatState": "unknown",
        "requireUserEnrollmentApproval": null,
        "managementCertificateExpirationDate": "2026-01-10T00:00:00Z",
        "iccid": null,
        "udid": null,
        "notes": null,
        "ethernetMacAddress": null,
        "physicalMemoryInBytes": 0,
    })
}

fn user_devices(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::DEVICES_READ, || {
        intune_denied(perms::DEVICES_READ[0])
    })?;
    let u = find_user(t, id)?;
    let items: Vec<Value> = t
        .managed_devices
        .iter()
        .filter(|d| d.user_id == u.id)
        .map(|d| device_json(t, d))
        .collect();
    let context = format!("users('{}')/managedDevices", u.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

fn all_devices(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::DEVICES_READ, || {
        intune_denied(perms::DEVICES_READ[0])
    })?;
    let items: Vec<Value> = t
        .managed_devices
        .iter()
        .map(|d| device_json(t, d))
        .collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "deviceManagement/managedDevices".to_owned(),
        items,
    )))
}

fn device_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFound",
        format!("Resource not found: managedDevice '{id}'."),
    )
}

fn get_device(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::DEVICES_READ, || {
        intune_denied(perms::DEVICES_READ[0])
    })?;
    let d = t
        .managed_devices
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| device_not_found(id))?;
    let mut v = device_json(t, d);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "@odata.context".to_owned(),
            json!(ctx.context("deviceManagement/managedDevices/$entity")),
        );
    }
    Ok(SimResponse::ok(v))
}

fn retire(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::DEVICES_RETIRE, || {
        intune_denied(perms::DEVICES_RETIRE[0])
    })?;
    let now = ctx.now;
    let d = t
        .managed_devices
        .iter_mut()
        .find(|d| d.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| device_not_found(id))?;
    let pending = d
        .device_action_results
        .iter()
        .any(|r| r.action_name == "retire" && r.action_state == "pending");
    if !pending {
        d.device_action_results.push(DeviceActionResult {
            action_name: "retire".to_owned(),
            action_state: "pending".to_owned(),
            start_date_time: now,
            last_updated_date_time: now,
        });
    }
    d.management_state = "retirePending".to_owned();
    Ok(SimResponse::empty(204))
}

fn files_denied() -> ApiError {
    ApiError::new(403, "accessDenied", "Access denied")
}

fn drive_of(t: &Tenant, user: &str) -> Result<String, ApiError> {
    let u = find_user(t, user)?;
    t.drives
        .iter()
        .find(|d| d.owner_id == u.id)
        .map(|d| d.id.clone())
        .ok_or_else(|| ApiError::new(404, "ResourceNotFound", "User's mysite not found."))
}

fn drive_json(t: &Tenant, ctx: &Ctx<'_>, d: &Drive) -> Value {
    let owner = t.user(&d.owner_id);
    let total: u64 = 1_099_511_627_776;
    json!({
        "@odata.context": ctx.context("drives/$entity"),
        "id": d.id,
        "driveType": d.drive_type,
        "name": "OneDrive",
        "webUrl": d.web_url,
        "createdDateTime": owner.map(|o| ts(&o.created_date_time)),
        "owner": {"user": {
            "id": d.owner_id,
            "displayName": owner.map(|o| o.display_name.clone()),
            "email": owner.and_then(|o| o.mail.clone()),
        }},
        "quota": {
            "deleted": 0,
            "remaining": total - d.used_bytes,
            "state": "normal",
            "total": total,
            "used": d.used_bytes,
        },
    })
}

fn user_drive(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_READ, files_denied)?;
    let did = drive_of(t, id)?;
    drive_by_id(t, ctx, &did)
}

fn find_drive<'t>(t: &'t Tenant, did: &str) -> Result<&'t Drive, ApiError> {
    t.drives
        .iter()
        .find(|d| d.id == did)
        .ok_or_else(|| ApiError::new(404, "itemNotFound", "The resource could not be found."))
}

fn drive_by_id(t: &mut Tenant, ctx: &Ctx<'_>, did: &str) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_READ, files_denied)?;
    let d = find_drive(t, did)?;
    Ok(SimResponse::ok(drive_json(t, ctx, d)))
}

fn permission_json(t: &Tenant, p: &DrivePermission) -> Value {
    let u = t.user(&p.user_id);
    let who = json!({
        "id": p.user_id,
        "displayName": u.map(|u| u.display_name.clone()),
        "email": u.and_then(|u| u.mail.clone().or_else(|| Some(u.user_principal_name.clone()))),
    });
    let mut v = json!({
        "@deprecated.GrantedTo": "GrantedTo has been deprecated. Refer to GrantedToV2",
        "id": p.id,
        "roles": p.roles,
        "grantedTo": {"user": who.clone()},
        "grantedToV2": {"user": who, "siteUser": {
            "id": "1",
            "displayName": u.map(|u| u.display_name.clone()),
            "loginName": u.map(|u| format!("i:0#.f|membership|{}", u.user_principal_name)),
        }},
        "hasPassword": false,
    });
    if let Some(o) = v.as_object_mut() {
        if p.invited {
            o.insert(
                "invitation".to_owned(),
                json!({"email": u.and_then(|u| u.mail.clone()), "signInRequired": true}),
            );
        }
        if let Some(exp) = &p.expiration_date_time {
            o.insert(
                "expirationDateTime".to_owned(),
                json!(exp.to_rfc3339_opts(SecondsFormat::Millis, true)),
            );
        }
    }
    v
}

fn check_item(d: &Drive, item: &str) -> Result<(), ApiError> {
    if item == "root" || item == d.root_id {
        Ok(())
    } else {
        Err(ApiError::new(
            404,
            "itemNotFound",
            "The resource could not be found.",
        ))
    }
}

fn invite(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    did: &str,
    item: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_WRITE, files_denied)?;
    let body = body_obj(req)?.clone();
    let drive = find_drive(t, did)?.clone();
    check_item(&drive, item)?;
    let roles: Vec<String> = body
        .get("roles")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if roles.is_empty() || roles.iter().any(|r| r != "read" && r != "write") {
        return Err(ApiError::new(
            400,
            "invalidRequest",
            "Invalid request: roles must be 'read' or 'write'.",
        ));
    }
    let recipients = body
        .get("recipients")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                400,
                "invalidRequest",
                "Invalid request: recipients are required.",
            )
        })?;
    let expiration = match body.get("expirationDateTime").and_then(Value::as_str) {
        Some(e) => Some(
            DateTime::parse_from_rfc3339(e)
                .map_err(|_| {
                    ApiError::new(
                        400,
                        "invalidRequest",
                        "Invalid request: expirationDateTime is not a date.",
                    )
                })?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let mut targets = Vec::new();
    for r in recipients {
        let key = r
            .get("email")
            .or_else(|| r.get("objectId"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let u = t
            .users
            .iter()
            .find(|u| {
                u.id.eq_ignore_ascii_case(key)
                    || u.user_principal_name.eq_ignore_ascii_case(key)
                    || u.mail
                        .as_deref()
                        .is_some_and(|m| m.eq_ignore_ascii_case(key))
            })
            // App-only tokens cannot invite new guests: every recipient must be a tenant user.
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "invalidRequest",
                    "One or more users could not be resolved.",
                )
            })?;
        targets.push(u.id.clone());
    }
    let d =
        t.drives.iter_mut().find(|d| d.id == did).ok_or_else(|| {
            ApiError::new(404, "itemNotFound", "The resource could not be found.")
        })?;
    let mut granted = Vec::new();
    for uid in targets {
        if let Some(existing) = d
            .root_permissions
            .iter_mut()
            .find(|p| p.user_id == uid && p.invited)
        {
            existing.roles = roles.clone();
            existing.expiration_date_time = expiration;
            granted.push(existing.clone());
        } else {
            let p = DrivePermission {
                id: uuid::Uuid::new_v4().to_string().to_uppercase(),
                roles: roles.clone(),
                user_id: uid,
                invited: true,
                expiration_date_time: expiration,
            };
            d.root_permissions.push(p.clone());
            granted.push(p);
        }
    }
    let items: Vec<Value> = granted.iter().map(|p| permission_json(t, p)).collect();
    Ok(SimResponse::ok(json!({
        "@odata.context": ctx.context("Collection(microsoft.graph.permission)"),
        "value": items,
    })))
}

fn permissions(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    did: &str,
    item: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_READ, files_denied)?;
    let d = find_drive(t, did)?;
    check_item(d, item)?;
    let items: Vec<Value> = d
        .root_permissions
        .iter()
        .map(|p| permission_json(t, p))
        .collect();
    let context = format!("drives('{}')/root/permissions", d.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

fn outlook_denied() -> ApiError {
    ApiError::new(
        403,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    )
}

fn no_mailbox() -> ApiError {
    ApiError::new(
        404,
        "MailboxNotEnabledForRESTAPI",
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    )
}

fn graph_dt(t: &Option<DateTime<Utc>>) -> Value {
    match t {
        // Graph writes seven fractional digits (100 ns ticks).
        Some(t) => json!({
            "dateTime": format!("{}.{:07}", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100),
            "timeZone": "UTC",
        }),
        None => json!({"dateTime": "0001-01-01T00:00:00.0000000", "timeZone": "UTC"}),
    }
}

fn auto_reply_json(a: &AutoReply) -> Value {
    json!({
        "status": a.status,
        "externalAudience": a.external_audience,
        "scheduledStartDateTime": graph_dt(&a.scheduled_start_date_time),
        "scheduledEndDateTime": graph_dt(&a.scheduled_end_date_time),
        "internalReplyMessage": a.internal_reply_message,
        "externalReplyMessage": a.external_reply_message,
    })
}

fn mailbox_settings_json(m: &Mailbox) -> Map<String, Value> {
    let v = json!({
        "archiveFolder": "AAMkAGI2TGuLAAA=",
        "timeZone": m.time_zone,
        "automaticRepliesSetting": auto_reply_json(&m.auto_reply),
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "userPurpose": match m.recipient_type_details.as_str() {
            "SharedMailbox" => "shared",
            "RoomMailbox" => "room",
            "EquipmentMailbox" => "equipment",
            _ => "user",
        },
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": m.time_zone},
        },
    });
    match v {
        Value::Object(o) => o,
        _ => Map::new(),
    }
}

fn get_mailbox_settings(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::MAILBOX_SETTINGS_READ, outlook_denied)?;
    let u = find_user(t, id)?;
    let m = t.mailbox(&u.id).ok_or_else(no_mailbox)?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&format!("users('{}')/mailboxSettings", u.id))),
    );
    out.extend(mailbox_settings_json(m));
    Ok(SimResponse::ok(Value::Object(out)))
}

fn camel_enum(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn parse_graph_dt(v: &Value, field: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(dt) = v.get("dateTime").and_then(Value::as_str) else {
        return Ok(None);
    };
    let tz = v.get("timeZone").and_then(Value::as_str).unwrap_or("UTC");
    if !tz.eq_ignore_ascii_case("UTC") {
        return Err(ApiError::new(
            400,
            "InvalidTimeZone",
            format!("The simulator accepts only UTC in {field}."),
        ));
    }
    let naive = chrono::NaiveDateTime::parse_from_str(
        dt.trim_end_matches('Z'),
        "%Y-%m-%dT%H:%M:%S%.f",
    )
    .map_err(|_| {
        ApiError::new(
            400,
            "RequestBodyRead",
            format!("Cannot convert the literal '{dt}' to the expected type 'Edm.DateTimeOffset'."),
        )
    })?;
    Ok(Some(naive.and_utc()))
}

fn patch_mailbox_settings(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::MAILBOX_SETTINGS_WRITE, outlook_denied)?;
    let body = body_obj(req)?.clone();
    let uid = find_user(t, id)?.id.clone();
    let m = t.mailbox(&uid).ok_or_else(no_mailbox)?;
    let mut updated = m.clone();
    let mut changed: Vec<&str> = Vec::new();
    for (k, v) in body.iter().filter(|(k, _)| !k.starts_with('@')) {
        match k.as_str() {
            "automaticRepliesSetting" => {
                changed.push("automaticRepliesSetting");
                let a = &mut updated.auto_reply;
                if let Some(s) = v.get("status").and_then(Value::as_str) {
                    let s = camel_enum(s);
                    if !["disabled", "alwaysEnabled", "scheduled"].contains(&s.as_str()) {
                        return Err(ApiError::new(
                            400,
                            "InvalidArguments",
                            format!("Requested value '{s}' was not found."),
                        ));
                    }
                    a.status = s;
                }
                if let Some(s) = v.get("externalAudience").and_then(Value::as_str) {
                    let s = camel_enum(s);
                    if !["none", "contactsOnly", "all"].contains(&s.as_str()) {
                        return Err(ApiError::new(
                            400,
                            "InvalidArguments",
                            format!("Requested value '{s}' was not found."),
                        ));
                    }
                    a.external_audience = s;
                }
                if let Some(s) = v.get("internalReplyMessage").and_then(Value::as_str) {
                    a.internal_reply_message = s.to_owned();
                }
                if let Some(s) = v.get("externalReplyMessage").and_then(Value::as_str) {
                    a.external_reply_message = s.to_owned();
                }
                if let Some(s) = v.get("scheduledStartDateTime") {
                    a.scheduled_start_date_time = parse_graph_dt(s, "scheduledStartDateTime")?;
                }
                if let Some(s) = v.get("scheduledEndDateTime") {
                    a.scheduled_end_date_time = parse_graph_dt(s, "scheduledEndDateTime")?;
                }
                if a.status == "scheduled"
                    && let (Some(s), Some(e)) =
                        (a.scheduled_start_date_time, a.scheduled_end_date_time)
                    && e <= s
                {
                    return Err(ApiError::new(
                        400,
                        "ErrorInvalidTimeSettings",
                        "Start Time should occur before End Time.",
                    ));
                }
            }
            "timeZone" => {
                changed.push("timeZone");
                updated.time_zone = v.as_str().unwrap_or("UTC").to_owned();
            }
            "language"
            | "dateFormat"
            | "timeFormat"
            | "workingHours"
            | "delegateMeetingMessageDeliveryOptions" => {}
            other => {
                return Err(ApiError::new(
                    400,
                    "RequestBodyRead",
                    format!(
                        "The property '{other}' does not exist on type 'microsoft.graph.mailboxSettings'."
                    ),
                ));
            }
        }
    }
    if let Some(m) = t.mailbox_mut(&uid) {
        *m = updated.clone();
    }
    let full = mailbox_settings_json(&updated);
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&format!("users('{uid}')/mailboxSettings"))),
    );
    for k in changed {
        if let Some(v) = full.get(k) {
            out.insert(k.to_owned(), v.clone());
        }
    }
    Ok(SimResponse::ok(Value::Object(out)))
}

fn send_mail(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::MAIL_SEND, outlook_denied)?;
    let body = body_obj(req)?.clone();
    let u = find_user(t, id)?.clone();
    t.mailbox(&u.id).ok_or_else(no_mailbox)?;
    let msg = body.get("message").ok_or_else(|| {
        ApiError::new(
            400,
            "ErrorInvalidParameter",
            "The value of the parameter 'Message' is empty.",
        )
    })?;
    let to: Vec<String> = msg
        .get("toRecipients")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|x| x.pointer("/emailAddress/address").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if to.is_empty() || to.iter().any(|a| !a.contains('@')) {
        return Err(ApiError::new(
            400,
            "ErrorInvalidRecipients",
            "At least one recipient is not valid., Recipient is not resolved. All recipients must be resolved before a message can be submitted.",
        ));
    }
    t.sent_mail.push(SentMail {
        from: u.mail.clone().unwrap_or(u.user_principal_name.clone()),
        to,
        subject: msg
            .get("subject")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        body: msg
            .pointer("/body/content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        sent_date_time: ctx.now,
    });
    Ok(SimResponse::empty(202))
}

fn get_group(t: &mut Tenant, ctx: &Ctx<'_>, gid: &str, q: &Query) -> Result<SimResponse, ApiError> {
    ctx.require(perms::GROUP_READ)?;
    let g = t.group(gid).ok_or_else(|| ApiError::not_found(gid))?;
    let mut full = group_full(g);
    full.remove("@odata.type");
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&select_context("groups", q, "/$entity"))),
    );
    let body = match &q.select {
        Some(_) => {
            project(&full, q.select.as_deref(), &[], "microsoft.graph.group").map_err(q_err)?
        }
        None => full,
    };
    out.extend(body);
    Ok(SimResponse::ok(Value::Object(out)))
}

fn group_members(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    gid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::GROUP_READ)?;
    let g = t.group(gid).ok_or_else(|| ApiError::not_found(gid))?;
    let mut items = Vec::new();
    for m in &g.members {
        if let Some(u) = t.user(m) {
            let mut full = user_full(t, u);
            full.remove("signInActivity");
            let mut o = project(
                &full,
                q.select.as_deref(),
                USER_DEFAULTS,
                "microsoft.graph.user",
            )
            .map_err(q_err)?;
            o.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
            items.push(Value::Object(o));
        } else if let Some(sub) = t.group(m) {
            items.push(Value::Object(group_full(sub)));
        }
    }
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "directoryObjects".to_owned(),
        items,
    )))
}

fn delete_group(t: &mut Tenant, ctx: &Ctx<'_>, gid: &str) -> Result<SimResponse, ApiError> {
    ctx.require(perms::GROUP_DELETE)?;
    let pos = t
        .groups
        .iter()
        .position(|g| g.id.eq_ignore_ascii_case(gid))
        .ok_or_else(|| ApiError::not_found(gid))?;
    let g = t.groups.remove(pos);
    for other in &mut t.groups {
        other.members.retain(|m| m != &g.id);
    }
    Ok(SimResponse::empty(204))
}

fn remove_member(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    gid: &str,
    mid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::MEMBER_REMOVE)?;
    let g = t
        .group(gid)
        .ok_or_else(|| ApiError::not_found(gid))?
        .clone();
    if g.is_assignable_to_role == Some(true) {
        ctx.require(perms::ROLE_WRITE)?;
    }
    if g.is_dynamic() {
        return Err(ApiError::bad_request(DYNAMIC_GROUP));
    }
    if g.is_exchange_mastered() {
        return Err(ApiError::bad_request(EXCHANGE_MASTERED_GROUP));
    }
    if g.is_synced() {
        return Err(ApiError::bad_request(ON_PREM_MASTERED));
    }
    let member_id = t
        .user(mid)
        .map(|u| u.id.clone())
        .unwrap_or_else(|| mid.to_owned());
    let pos = g
        .members
        .iter()
        .position(|m| m.eq_ignore_ascii_case(&member_id))
        .ok_or_else(|| {
            ApiError::new(
                404,
                "Request_ResourceNotFound",
                "One or more removed object references do not exist for the following modified properties: 'members'.",
            )
        })?;
    if let Some(gm) = t.groups.iter_mut().find(|x| x.id == g.id) {
        gm.members.remove(pos);
    }
    Ok(SimResponse::empty(204))
}

fn remove_member_without_ref(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    gid: &str,
    mid: &str,
) -> Result<SimResponse, ApiError> {
    // As documented: without `/$ref` the member object itself is deleted when the app may
    // manage that object type; otherwise 403.
    ctx.require(perms::MEMBER_REMOVE)?;
    t.group(gid).ok_or_else(|| ApiError::not_found(gid))?;
    if !ctx.has(perms::USER_DELETE) {
        return Err(ApiError::denied());
    }
    let u = find_user(t, mid)?.id.clone();
    remove_user_object(t, &u);
    Ok(SimResponse::empty(204))
}

fn role_assignment_json(t: &Tenant, a: &RoleAssignment, q: &Query) -> Value {
    let mut v = json!({
        "id": a.id,
        "principalId": a.principal_id,
        "resourceScope": a.directory_scope_id,
        "directoryScopeId": a.directory_scope_id,
        "roleDefinitionId": a.role_definition_id,
    });
    if let Some(o) = v.as_object_mut() {
        if q.expand.iter().any(|e| e == "roleDefinition") {
            let d = t
                .role_definitions
                .iter()
                .find(|d| d.id == a.role_definition_id);
            o.insert(
                "roleDefinition".to_owned(),
                json!({
                    "id": a.role_definition_id,
                    "displayName": d.map(|d| d.display_name.clone()),
                    "templateId": a.role_definition_id,
                    "isBuiltIn": true,
                    "isEnabled": true,
                    "isPrivileged": d.map(|d| d.is_privileged),
                }),
            );
        }
        if q.expand.iter().any(|e| e == "principal") {
            let p = t.user(&a.principal_id).map(|u| {
                json!({"@odata.type": "#microsoft.graph.user", "id": u.id, "accountEnabled": u.account_enabled,
                       "displayName": u.display_name, "imAddresses": u.mail.iter().collect::<Vec<_>>(),
                       "mail": u.mail, "mailNickname": u.mail_nickname, "userType": u.user_type})
            });
            o.insert(
                "principal".to_owned(),
                p.unwrap_or_else(|| json!({"@odata.type": "#microsoft.graph.servicePrincipal", "id": a.principal_id})),
            );
        }
    }
    v
}

fn role_assignments(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ROLE_READ)?;
    if let Some(f) = &q.filter {
        for p in f.properties() {
            if !["principalId", "roleDefinitionId", "directoryScopeId", "id"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&p))
            {
                return Err(ApiError::new(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported Query.",
                ));
            }
        }
    }
    let items: Vec<Value> = t
        .role_assignments
        .iter()
        .map(|a| role_assignment_json(t, a, q))
        .filter(|v| {
            q.filter
                .as_ref()
                .is_none_or(|f| v.as_object().is_some_and(|o| f.matches(o)))
        })
        .collect();
    let context = if q.expand.is_empty() {
        "roleManagement/directory/roleAssignments".to_owned()
    } else {
        format!(
            "roleManagement/directory/roleAssignments({})",
            q.expand
                .iter()
                .map(|e| format!("{e}()"))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

fn get_role_assignment(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ROLE_READ)?;
    let a = t
        .role_assignments
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::not_found(id))?;
    let mut v = role_assignment_json(t, a, q);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "@odata.context".to_owned(),
            json!(ctx.context("roleManagement/directory/roleAssignments/$entity")),
        );
    }
    Ok(SimResponse::ok(v))
}

fn delete_role_assignment(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ROLE_WRITE)?;
    let pos = t
        .role_assignments
        .iter()
        .position(|a| a.id == id)
        .ok_or_else(|| ApiError::not_found(id))?;
    t.role_assignments.remove(pos);
    Ok(SimResponse::empty(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Filtering on the cheap property set must see exactly what the full set shows.
    #[test]
    fn filterable_properties_are_the_full_ones() {
        let t = crate::demo::demo_tenant();
        for u in &t.users {
            let cheap = user_filterable(u);
            let full = user_full(&t, u);
            for k in USER_FILTERABLE {
                assert_eq!(cheap.get(*k), full.get(*k), "{k} of {}", u.id);
            }
            assert_eq!(cheap.len(), USER_FILTERABLE.len());
        }
    }
}
