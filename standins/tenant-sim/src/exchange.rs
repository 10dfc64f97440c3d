//! Exchange Online admin API: `POST /adminapi/beta/{tenantId}/InvokeCommand` with
//! `{"CmdletInput":{"CmdletName":…,"Parameters":{…}}}`, the REST endpoint the Exchange Online
//! PowerShell V3 module uses (undocumented by Microsoft; shape as used by the EXO V3 module and
//! CIPP, see platform-facts §3). App-only callers need the `Exchange.ManageAsApp` role in a token
//! for `https://outlook.office365.com` and an Exchange-capable Entra role on their service
//! principal; with only a view-only one (Global Reader) the `Get-` cmdlets answer and every
//! other cmdlet is refused (403).
//!
//! Cmdlets: `Get-Mailbox`, `Set-Mailbox` (`-Type Shared|Regular`,
//! `-HiddenFromAddressListsEnabled`), `Add-MailboxPermission`, `Get-MailboxPermission`,
//! `Set-MailboxAutoReplyConfiguration`, `Get-MailboxAutoReplyConfiguration`; forwarding,
//! litigation hold, SendAs, SendOnBehalf, FullAccess removal and mobile devices in
//! `exchange_doors.rs`.
//!
//! Errors have the body public clients observe (Microsoft365DSC#2998; conformance fixture
//! `exchange/12`): `error.code` (`NotFound`, `BadRequest`…), a generic `error.message`
//! (`Error executing cmdlet`), and the cmdlet's message in `error.details[0].message` as
//! `{code}|{.NET exception type}|{message}` — where clients such as CIPP, and offboard's, read it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::graph::ON_PREM_MASTERED;
use crate::http::{ApiError, SimRequest, SimResponse};
use crate::model::*;

/// Entra roles that let an app-only caller run these recipient cmdlets.
pub const EXCHANGE_ROLES: &[&str] = &[
    "Exchange Administrator",
    "Exchange Recipient Administrator",
    "Global Administrator",
];

/// Entra roles that let an app-only caller run only the `Get-` cmdlets: Microsoft's app-only
/// authentication article lists Global Reader among the roles Exchange Online PowerShell
/// supports, and it carries Exchange's view-only roles, so a change is refused.
pub const EXCHANGE_READ_ROLES: &[&str] = &["Global Reader"];

/// Refuses a cmdlet that changes something from a caller whose roles are view-only. The
/// text is the simulator's own (no public capture shows it), after PowerShell's "is not
/// recognized as the name of a cmdlet" for a cmdlet outside the caller's roles.
pub(crate) fn view_only(req: &SimRequest) -> Result<(), ExoError> {
    let name = req
        .body
        .as_ref()
        .and_then(|b| b.pointer("/CmdletInput/CmdletName"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name.to_ascii_lowercase().starts_with("get-") {
        return Ok(());
    }
    Err(ExoError::new(
        403,
        "System.UnauthorizedAccessException",
        format!(
            "The term '{name}' is not recognized as a cmdlet the caller's roles allow: they are view-only (Global Reader); assign Exchange Recipient Administrator, or a role group holding Mail Recipients."
        ),
    ))
}

const NOT_FOUND_EXCEPTION: &str =
    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException";

/// The server a "couldn't be found" names: Exchange Online answers with one of its domain
/// controllers (`…DC….PROD.OUTLOOK.COM`); the simulator's is made up but of that form.
const DOMAIN_CONTROLLER: &str = "SIMPR01A001DC001.SIMPR01A001.PROD.OUTLOOK.COM";

/// An Exchange error: status, exception type and message.
#[derive(Clone, Debug, PartialEq)]
pub struct ExoError {
    /// HTTP status.
    pub status: u16,
    /// .NET exception type, e.g. `Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException`.
    pub exception: String,
    /// Message.
    pub message: String,
}

impl ExoError {
    pub(crate) fn new(status: u16, exception: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            exception: exception.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn not_found(identity: &str) -> Self {
        Self::new(
            404,
            NOT_FOUND_EXCEPTION,
            format!(
                "The operation couldn't be performed because object '{identity}' couldn't be found on '{DOMAIN_CONTROLLER}'."
            ),
        )
    }

    /// Renders the EXO REST error body.
    pub fn render(&self, request_id: &str) -> SimResponse {
        let full = format!("|{}|{}", self.exception, self.message);
        let code = match self.status {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            _ => "InternalServerError",
        };
        // error.message and innererror.message are generic: "Error executing cmdlet" when the
        // cmdlet ran and failed (Microsoft365DSC#2998), "Invalid Operation" when the call never
        // reached it (a parameter or cmdlet name Exchange can't bind, as in public captures).
        // Token and role refusals keep their text there: no public body shows those.
        let summary = if matches!(self.status, 401 | 403) {
            full.clone()
        } else if self.exception.starts_with("System.Management.Automation.") {
            "Invalid Operation".to_owned()
        } else {
            "Error executing cmdlet".to_owned()
        };
        // Exchange's error code before the exception type (observed for this exception in
        // Microsoft365DSC#2998/#4401 and DLConversionV2#129; empty in the captures of others).
        let prefix = if self.exception == NOT_FOUND_EXCEPTION {
            "Ex6F9304"
        } else {
            ""
        };
        SimResponse {
            status: self.status,
            headers: vec![("request-id".to_owned(), request_id.to_owned())],
            body: Some(json!({
                "error": {
                    "code": code,
                    "message": summary,
                    "details": [{"code": "Context", "target": "", "message": format!("{prefix}{full}")}],
                    "innererror": {
                        "message": summary,
                        "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                        "stacktrace": "",
                    }
                }
            })),
        }
    }
}

impl From<ApiError> for ExoError {
    fn from(e: ApiError) -> Self {
        Self::new(
            e.status,
            "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            e.message,
        )
    }
}

fn dt(t: &Option<DateTime<Utc>>) -> Value {
    t.map(|t| Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true)))
        .unwrap_or(Value::Null)
}

pub(crate) fn resolve<'t>(t: &'t Tenant, identity: &str) -> Option<&'t User> {
    t.users.iter().find(|u| {
        u.id.eq_ignore_ascii_case(identity)
            || u.user_principal_name.eq_ignore_ascii_case(identity)
            || u.mail
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(identity))
            || u.mail_nickname
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(identity))
            || u.display_name.eq_ignore_ascii_case(identity)
    })
}

pub(crate) fn mailbox_user<'t>(
    t: &'t Tenant,
    identity: &str,
) -> Result<(&'t User, &'t Mailbox), ExoError> {
    let u = resolve(t, identity).ok_or_else(|| ExoError::not_found(identity))?;
    let m = t
        .mailbox(&u.id)
        .ok_or_else(|| ExoError::not_found(identity))?;
    Ok((u, m))
}

fn mailbox_json(u: &User, m: &Mailbox) -> Value {
    json!({
        "Identity": u.mail_nickname.clone().unwrap_or_else(|| u.display_name.clone()),
        "Name": u.mail_nickname,
        "DisplayName": u.display_name,
        "Alias": u.mail_nickname,
        "UserPrincipalName": u.user_principal_name,
        "PrimarySmtpAddress": u.mail,
        "ExternalDirectoryObjectId": u.id,
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": m.recipient_type_details,
        "IsShared": m.recipient_type_details == "SharedMailbox",
        "HiddenFromAddressListsEnabled": m.hidden_from_address_lists_enabled,
        "IsDirSynced": u.is_synced(),
        "LitigationHoldEnabled": m.litigation_hold_enabled,
        "AccountDisabled": !u.account_enabled,
        "EmailAddresses": u.mail.iter().map(|a| format!("SMTP:{a}")).collect::<Vec<_>>(),
        "ForwardingSmtpAddress": m.doors.forwarding_smtp_address.as_ref().map(|a| format!("smtp:{a}")),
        "ForwardingAddress": m.doors.forwarding_address,
        "DeliverToMailboxAndForward": m.doors.deliver_to_mailbox_and_forward,
        "LitigationHoldDuration": m.doors.litigation_hold_days.map_or("Unlimited".to_owned(), |d| format!("{d}.00:00:00")),
        "GrantSendOnBehalfTo": m.doors.grant_send_on_behalf_to,
    })
}

pub(crate) fn param<'a>(p: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    p.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

pub(crate) fn param_str<'a>(p: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    param(p, name).and_then(Value::as_str)
}

pub(crate) fn param_bool(p: &Map<String, Value>, name: &str) -> Result<Option<bool>, ExoError> {
    match param(p, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") || s == "$true" => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") || s == "$false" => {
            Ok(Some(false))
        }
        Some(other) => Err(ExoError::new(
            400,
            "System.Management.Automation.ParameterBindingException",
            format!(
                "Cannot process argument transformation on parameter '{name}'. Cannot convert value \"{other}\" to type \"System.Boolean\"."
            ),
        )),
    }
}

pub(crate) fn require_identity(p: &Map<String, Value>) -> Result<&str, ExoError> {
    param_str(p, "Identity").ok_or_else(|| {
        ExoError::new(
            400,
            "System.Management.Automation.ParameterBindingException",
            "Cannot process command because of one or more missing mandatory parameters: Identity.",
        )
    })
}

/// A DateTime parameter: ISO 8601 (RFC 3339), or the short date format the cmdlet reference
/// uses in its examples (`7/10/2018 08:00:00`, `09/01/2018 5:00 PM`, `09/01/2018` — the en-US
/// "Regional Options" format), taken as UTC.
fn parse_time(p: &Map<String, Value>, name: &str) -> Result<Option<DateTime<Utc>>, ExoError> {
    fn short_date(s: &str) -> Option<DateTime<Utc>> {
        let s = s.trim();
        [
            "%m/%d/%Y %H:%M:%S",
            "%m/%d/%Y %H:%M",
            "%m/%d/%Y %I:%M %p",
            "%m/%d/%Y %I:%M:%S %p",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%m/%d/%Y")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|d| d.and_utc())
    }
    match param_str(p, name) {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .ok()
            .or_else(|| short_date(s))
            .map(Some)
            .ok_or_else(|| {
                ExoError::new(
                    400,
                    "System.Management.Automation.ParameterBindingException",
                    format!("Cannot process argument transformation on parameter '{name}'. Cannot convert value \"{s}\" to type \"System.DateTime\"."),
                )
            }),
    }
}

/// Runs one cmdlet against the tenant. The caller has been authenticated and authorised.
pub fn invoke(t: &mut Tenant, req: &SimRequest) -> Result<SimResponse, ExoError> {
    let input = req
        .body
        .as_ref()
        .and_then(|b| b.get("CmdletInput"))
        .ok_or_else(|| {
            ExoError::new(
                400,
                "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                "The request body must contain CmdletInput.",
            )
        })?;
    let name = input
        .get("CmdletName")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ExoError::new(
                400,
                "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                "CmdletInput.CmdletName is required.",
            )
        })?;
    let empty = Map::new();
    let p = input
        .get("Parameters")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let ctx = format!(
        "https://outlook.office365.com/adminapi/beta/{}/$metadata#Collection(Exchange.GenericHashTable)",
        t.tenant_id
    );
    let values: Vec<Value> = match name.to_ascii_lowercase().as_str() {
        "get-mailbox" => match param_str(p, "Identity") {
            Some(id) => {
                let (u, m) = mailbox_user(t, id)?;
                vec![mailbox_json(u, m)]
            }
            None => {
                // -RecipientTypeDetails filters by mailbox subtype; several values may be given
                // (a list, or separated by commas).
                let kinds: Option<Vec<String>> = param(p, "RecipientTypeDetails").map(|v| {
                    match v {
                        Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                        Value::String(s) => s.split(',').collect(),
                        _ => Vec::new(),
                    }
                    .into_iter()
                    .map(|k| k.trim().to_owned())
                    .collect()
                });
                t.mailboxes
                    .iter()
                    .filter(|m| {
                        kinds.as_ref().is_none_or(|k| {
                            k.iter()
                                .any(|k| k.eq_ignore_ascii_case(&m.recipient_type_details))
                        })
                    })
                    .filter_map(|m| t.user(&m.user_id).map(|u| mailbox_json(u, m)))
                    .collect()
            }
        },
        "set-mailbox" => {
            let id = require_identity(p)?;
            let (u, _) = mailbox_user(t, id)?;
            let synced = u.is_synced();
            let uid = u.id.clone();
            let kind = param_str(p, "Type").map(str::to_owned);
            let hidden = param_bool(p, "HiddenFromAddressListsEnabled")?;
            if hidden.is_some() && synced {
                // Exchange writes this attribute back to Entra ID ("dual write"); for a user
                // mastered on-premises Entra refuses, so it must be set in AD
                // (msExchHideFromAddressLists) instead.
                return Err(ExoError::new(
                    400,
                    "Microsoft.Exchange.Management.Tasks.TaskException",
                    format!(
                        "An Azure Active Directory call was made to keep object in sync between Azure Active Directory and Exchange Online. However, it failed. Detailed error message: {ON_PREM_MASTERED} DualWrite (Graph) RequestId: {}. The issue may be transient and please retry a couple of minutes later. If issue persists, please see exception members for more information.",
                        uuid::Uuid::new_v4()
                    ),
                ));
            }
            // -Type's documented values (the cloud-only Workspace is not modelled).
            let recipient = match kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
                None => None,
                Some("shared") => Some("SharedMailbox"),
                Some("regular") => Some("UserMailbox"),
                Some("room") => Some("RoomMailbox"),
                Some("equipment") => Some("EquipmentMailbox"),
                Some("workspace") => {
                    return Err(ExoError::new(
                        400,
                        "System.NotSupportedException",
                        "Set-Mailbox -Type Workspace is not modelled by the tenant simulator.",
                    ));
                }
                Some(other) => {
                    return Err(ExoError::new(
                        400,
                        "System.Management.Automation.ParameterBindingException",
                        format!(
                            "Cannot process argument transformation on parameter 'Type'. Cannot convert value \"{other}\" to type \"Microsoft.Exchange.Data.Directory.Management.ConvertibleMailboxSubType\"."
                        ),
                    ));
                }
            };
            crate::exchange_doors::set_mailbox(t, &uid, p)?;
            if let Some(m) = t.mailbox_mut(&uid) {
                if let Some(r) = recipient {
                    m.recipient_type_details = r.to_owned();
                }
                if let Some(h) = hidden {
                    m.hidden_from_address_lists_enabled = h;
                }
            }
            Vec::new()
        }
        "add-mailboxpermission" => {
            let id = require_identity(p)?;
            let (u, _) = mailbox_user(t, id)?;
            let uid = u.id.clone();
            let trustee = param_str(p, "User").ok_or_else(|| {
                ExoError::new(400, "System.Management.Automation.ParameterBindingException", "Cannot process command because of one or more missing mandatory parameters: User.")
            })?;
            let trustee_user = resolve(t, trustee).ok_or_else(|| {
                ExoError::new(
                    404,
                    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
                    format!("The user \"{trustee}\" couldn't be found."),
                )
            })?;
            let upn = trustee_user.user_principal_name.clone();
            let rights: Vec<String> = match param(p, "AccessRights") {
                Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_owned()).collect(),
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            if rights.is_empty()
                || rights.iter().any(|r| {
                    ![
                        "FullAccess",
                        "ReadPermission",
                        "SendAs",
                        "ExternalAccount",
                        "DeleteItem",
                        "ChangePermission",
                        "ChangeOwner",
                    ]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(r))
                })
            {
                return Err(ExoError::new(
                    400,
                    "System.Management.Automation.ParameterBindingException",
                    "Cannot process argument transformation on parameter 'AccessRights'.",
                ));
            }
            let auto_mapping = param_bool(p, "AutoMapping")?.unwrap_or(true);
            let mailbox_identity = u.mail_nickname.clone().unwrap_or_default();
            if let Some(m) = t.mailbox_mut(&uid) {
                match m
                    .permissions
                    .iter_mut()
                    .find(|x| x.user.eq_ignore_ascii_case(&upn))
                {
                    Some(existing) => {
                        for r in &rights {
                            if !existing
                                .access_rights
                                .iter()
                                .any(|e| e.eq_ignore_ascii_case(r))
                            {
                                existing.access_rights.push(r.clone());
                            }
                        }
                    }
                    None => m.permissions.push(MailboxPermission {
                        user: upn.clone(),
                        access_rights: rights.clone(),
                        auto_mapping,
                    }),
                }
            }
            vec![json!({
                "Identity": mailbox_identity,
                "User": upn,
                "AccessRights": rights,
                "IsInherited": false,
                "Deny": false,
                "InheritanceType": "All",
            })]
        }
        "get-mailboxpermission" => {
            let id = require_identity(p)?;
            let (u, m) = mailbox_user(t, id)?;
            // -User filters the entries by trustee; one Exchange can't resolve matches none.
            let filter_user = param_str(p, "User").map(|x| {
                resolve(t, x).map_or_else(|| x.to_owned(), |u| u.user_principal_name.clone())
            });
            let mailbox_identity = u.mail_nickname.clone().unwrap_or_default();
            let mut out = vec![json!({
                "Identity": mailbox_identity, "User": "NT AUTHORITY\\SELF",
                "AccessRights": ["FullAccess", "ReadPermission"], "IsInherited": false, "Deny": false,
            })];
            out.extend(m.permissions.iter().map(|p| {
                json!({"Identity": mailbox_identity, "User": p.user, "AccessRights": p.access_rights, "IsInherited": false, "Deny": false})
            }));
            if let Some(f) = filter_user {
                out.retain(|v| {
                    v["User"]
                        .as_str()
                        .is_some_and(|x| x.eq_ignore_ascii_case(&f))
                });
            }
            out
        }
        "set-mailboxautoreplyconfiguration" => {
            let id = require_identity(p)?;
            let uid = mailbox_user(t, id)?.0.id.clone();
            let state = param_str(p, "AutoReplyState").map(str::to_ascii_lowercase);
            let status = match state.as_deref() {
                None => None,
                Some("enabled") => Some("alwaysEnabled"),
                Some("disabled") => Some("disabled"),
                Some("scheduled") => Some("scheduled"),
                Some(other) => {
                    return Err(ExoError::new(
                        400,
                        "System.Management.Automation.ParameterBindingException",
                        format!(
                            "Cannot process argument transformation on parameter 'AutoReplyState'. Cannot convert value \"{other}\"."
                        ),
                    ));
                }
            };
            let audience = match param_str(p, "ExternalAudience")
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None => None,
                Some("all") => Some("all"),
                Some("known") => Some("contactsOnly"),
                Some("none") => Some("none"),
                Some(other) => {
                    return Err(ExoError::new(
                        400,
                        "System.Management.Automation.ParameterBindingException",
                        format!(
                            "Cannot process argument transformation on parameter 'ExternalAudience'. Cannot convert value \"{other}\"."
                        ),
                    ));
                }
            };
            let start = parse_time(p, "StartTime")?;
            let end = parse_time(p, "EndTime")?;
            let internal = param_str(p, "InternalMessage").map(str::to_owned);
            let external = param_str(p, "ExternalMessage").map(str::to_owned);
            if let Some(m) = t.mailbox_mut(&uid) {
                let a = &mut m.auto_reply;
                if let Some(s) = status {
                    a.status = s.to_owned();
                }
                if let Some(s) = audience {
                    a.external_audience = s.to_owned();
                }
                if start.is_some() {
                    a.scheduled_start_date_time = start;
                }
                if end.is_some() {
                    a.scheduled_end_date_time = end;
                }
                if let Some(s) = internal {
                    a.internal_reply_message = s;
                }
                if let Some(s) = external {
                    a.external_reply_message = s;
                }
            }
            Vec::new()
        }
        "get-mailboxautoreplyconfiguration" => {
            let id = require_identity(p)?;
            let (u, m) = mailbox_user(t, id)?;
            let a = &m.auto_reply;
            vec![json!({
                "Identity": u.mail_nickname,
                "AutoReplyState": match a.status.as_str() { "alwaysEnabled" => "Enabled", "scheduled" => "Scheduled", _ => "Disabled" },
                "ExternalAudience": match a.external_audience.as_str() { "contactsOnly" => "Known", "none" => "None", _ => "All" },
                "InternalMessage": a.internal_reply_message,
                "ExternalMessage": a.external_reply_message,
                "StartTime": dt(&a.scheduled_start_date_time),
                "EndTime": dt(&a.scheduled_end_date_time),
            })]
        }
        other if crate::exchange_doors::knows(other) => crate::exchange_doors::invoke(t, other, p)?,
        _ => {
            return Err(ExoError::new(
                400,
                "System.Management.Automation.CommandNotFoundException",
                format!(
                    "The term '{name}' is not recognized as a name of a cmdlet, function, script file, or executable program."
                ),
            ));
        }
    };
    Ok(SimResponse::ok(json!({
        "@odata.context": ctx,
        "adminapi.warnings@odata.type": "#Collection(String)",
        "@adminapi.warnings": [],
        "value": values,
    })))
}
