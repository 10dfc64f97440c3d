//! The Exchange cmdlets that close a mailbox's doors (issue 17), from Microsoft's Exchange
//! Online cmdlet reference (MicrosoftDocs/office-docs-powershell,
//! `exchange/exchange-ps/ExchangePowerShell/*.md` @93336da2bca9):
//!
//! - `Set-Mailbox` `-ForwardingSmtpAddress`, `-ForwardingAddress`, `-DeliverToMailboxAndForward`
//!   ("If you configure values for both … the value of ForwardingSmtpAddress is ignored"),
//!   `-LitigationHoldEnabled`, `-LitigationHoldDuration` ("an integer that represents the number
//!   of days, or the value unlimited"), `-GrantSendOnBehalfTo @{Add=…; Remove=…}`;
//! - `Get-RecipientPermission [-Identity] [-Trustee] [-AccessRights SendAs]`,
//!   `Remove-RecipientPermission -Identity -AccessRights SendAs -Trustee`;
//! - `Remove-MailboxPermission -Identity -User -AccessRights`;
//! - `Get-MobileDevice -Mailbox`, `Get-MobileDeviceStatistics -Mailbox`,
//!   `Clear-MobileDevice -Identity [-AccountOnly]`, `Remove-MobileDevice -Identity`.
//!
//! Litigation hold needs a licence (Microsoft: a mailbox must have an Exchange Online Plan 2
//! licence, or Plan 1 with the Exchange Online Archiving add-on) and Exchange's Legal Hold
//! role; the refusal texts for both are the simulator's own (no public capture shows them).

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::exchange::{
    ExoError, mailbox_user, param, param_bool, param_str, require_identity, resolve,
};
use crate::http::SimRequest;
use crate::model::Tenant;

/// Entra roles whose Exchange role groups carry Legal Hold.
pub const LEGAL_HOLD_ROLES: &[&str] = &[
    "Compliance Administrator",
    "Exchange Administrator",
    "Global Administrator",
];

/// Service plans that allow litigation hold: Exchange Online (Plan 2), or Exchange Online
/// Archiving beside Plan 1.
const HOLD_PLANS: &[&str] = &["EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_ARCHIVE_ADDON"];

const BINDING: &str = "System.Management.Automation.ParameterBindingException";
const TASK: &str = "Microsoft.Exchange.Management.Tasks.TaskException";

const CMDLETS: &[&str] = &[
    "add-recipientpermission",
    "get-recipientpermission",
    "remove-recipientpermission",
    "remove-mailboxpermission",
    "get-mobiledevice",
    "get-mobiledevicestatistics",
    "clear-mobiledevice",
    "remove-mobiledevice",
];

/// Whether this module runs the cmdlet (lower case).
pub(crate) fn knows(cmdlet: &str) -> bool {
    CMDLETS.contains(&cmdlet)
}

fn params(req: &SimRequest) -> (String, Map<String, Value>) {
    let input = req.body.as_ref().and_then(|b| b.get("CmdletInput"));
    let name = input
        .and_then(|i| i.get("CmdletName"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let p = input
        .and_then(|i| i.get("Parameters"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    (name, p)
}

/// Refuses a litigation-hold change from a caller without the Legal Hold role.
pub(crate) fn authorise(t: &Tenant, req: &SimRequest, principal: &str) -> Result<(), ExoError> {
    let (name, p) = params(req);
    let hold = ["LitigationHoldEnabled", "LitigationHoldDuration"]
        .iter()
        .any(|k| param(&p, k).is_some());
    if name == "set-mailbox" && hold && !t.has_role_named(principal, LEGAL_HOLD_ROLES) {
        return Err(ExoError::new(
            403,
            "System.UnauthorizedAccessException",
            "A parameter cannot be found that matches parameter name 'LitigationHoldEnabled': the caller's roles don't include Legal Hold (assign Compliance Administrator, or a role group holding Legal Hold).",
        ));
    }
    Ok(())
}

fn has_hold_licence(t: &Tenant, user_id: &str) -> bool {
    t.license_states(user_id).iter().any(|l| {
        t.skus.iter().any(|s| {
            s.sku_id == l.sku_id
                && s.service_plans.iter().any(|p| {
                    HOLD_PLANS.contains(&p.service_plan_name.as_str())
                        && !l.disabled_plans.contains(&p.service_plan_id)
                })
        })
    })
}

fn upn_of(t: &Tenant, who: &str) -> Result<String, ExoError> {
    resolve(t, who)
        .map(|u| u.user_principal_name.clone())
        .ok_or_else(|| ExoError::not_found(who))
}

/// The forwarding, hold and SendOnBehalf parameters of `Set-Mailbox` on `uid`'s mailbox.
pub(crate) fn set_mailbox(
    t: &mut Tenant,
    uid: &str,
    p: &Map<String, Value>,
) -> Result<(), ExoError> {
    let smtp = match param(p, "ForwardingSmtpAddress") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) if s.is_empty() => Some(None),
        Some(Value::String(s)) => {
            let bare = s
                .strip_prefix("smtp:")
                .or(s.strip_prefix("SMTP:"))
                .unwrap_or(s);
            if !bare.contains('@') {
                return Err(ExoError::new(
                    400,
                    BINDING,
                    format!(
                        "Cannot process argument transformation on parameter 'ForwardingSmtpAddress'. \"{s}\" isn't a valid SMTP address."
                    ),
                ));
            }
            Some(Some(bare.to_owned()))
        }
        Some(other) => {
            return Err(ExoError::new(
                400,
                BINDING,
                format!(
                    "Cannot process argument transformation on parameter 'ForwardingSmtpAddress'. Cannot convert value \"{other}\"."
                ),
            ));
        }
    };
    let forward = match param(p, "ForwardingAddress") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) if s.is_empty() => Some(None),
        Some(Value::String(s)) => Some(Some(upn_of(t, s)?)),
        Some(_) => {
            return Err(ExoError::new(
                400,
                BINDING,
                "Cannot process argument transformation on parameter 'ForwardingAddress'.",
            ));
        }
    };
    let deliver = param_bool(p, "DeliverToMailboxAndForward")?;
    let hold = param_bool(p, "LitigationHoldEnabled")?;
    let duration = match param(p, "LitigationHoldDuration") {
        None => None,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("unlimited") => Some(None),
        Some(v) => {
            let days = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|d| u32::try_from(d).ok())
                .filter(|d| *d > 0)
                .ok_or_else(|| ExoError::new(400, BINDING, format!("Cannot process argument transformation on parameter 'LitigationHoldDuration'. Cannot convert value \"{v}\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.TimeSpan]\".")))?;
            Some(Some(days))
        }
    };
    if hold == Some(true) && !has_hold_licence(t, uid) {
        return Err(ExoError::new(
            400,
            TASK,
            "The mailbox can't be placed on litigation hold because it doesn't have the required license. Assign an Exchange Online (Plan 2) license, or an Exchange Online Archiving add-on license, and try again.",
        ));
    }
    let (add, remove) = match param(p, "GrantSendOnBehalfTo") {
        None => (Vec::new(), Vec::new()),
        Some(Value::Object(o)) => {
            let list = |k: &str| -> Vec<String> {
                match o
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v)
                {
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                    Some(Value::String(s)) => vec![s.clone()],
                    _ => Vec::new(),
                }
            };
            (list("Add"), list("Remove"))
        }
        Some(_) => {
            return Err(ExoError::new(
                400,
                BINDING,
                "The simulator models GrantSendOnBehalfTo only as @{Add=…; Remove=…}.",
            ));
        }
    };
    if !add.is_empty() || !remove.is_empty() {
        in_write_scope(t, uid, "Set-Mailbox", uid)?;
    }
    let add: Vec<String> = add.iter().map(|a| upn_of(t, a)).collect::<Result<_, _>>()?;
    let remove: Vec<String> = remove
        .iter()
        .map(|a| upn_of(t, a).unwrap_or_else(|_| a.clone()))
        .collect();
    if let Some(m) = t.mailbox_mut(uid) {
        let d = &mut m.doors;
        if let Some(v) = smtp {
            d.forwarding_smtp_address = v;
        }
        if let Some(v) = forward {
            d.forwarding_address = v;
        }
        if let Some(v) = deliver {
            d.deliver_to_mailbox_and_forward = v;
        }
        if let Some(v) = hold {
            m.litigation_hold_enabled = v;
        }
        if let Some(v) = duration {
            m.doors.litigation_hold_days = v;
        }
        let d = &mut m.doors;
        for a in add {
            if !d
                .grant_send_on_behalf_to
                .iter()
                .any(|x| x.eq_ignore_ascii_case(&a))
            {
                d.grant_send_on_behalf_to.push(a);
            }
        }
        d.grant_send_on_behalf_to
            .retain(|x| !remove.iter().any(|r| r.eq_ignore_ascii_case(x)));
    }
    Ok(())
}

/// Refuses a change to the permissions of a mailbox in an exclusive management scope. The
/// text is the simulator's own, after Exchange's "out of the current user's write scope".
fn in_write_scope(t: &Tenant, uid: &str, cmdlet: &str, id: &str) -> Result<(), ExoError> {
    if t.mailbox(uid).is_some_and(|m| m.doors.exclusive_scope) {
        return Err(ExoError::new(
            400,
            TASK,
            format!(
                "The operation couldn't be performed because object '{id}' is out of the current user's write scope. The action '{cmdlet}' can't be performed on an object in an exclusive management scope."
            ),
        ));
    }
    Ok(())
}

fn required<'a>(p: &'a Map<String, Value>, name: &str) -> Result<&'a str, ExoError> {
    param_str(p, name).ok_or_else(|| {
        ExoError::new(
            400,
            BINDING,
            format!("Cannot process command because of one or more missing mandatory parameters: {name}."),
        )
    })
}

fn rights(p: &Map<String, Value>) -> Vec<String> {
    match param(p, "AccessRights") {
        Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_owned()).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn alias(t: &Tenant, uid: &str) -> String {
    t.user(uid)
        .and_then(|u| u.mail_nickname.clone())
        .unwrap_or_default()
}

fn device_identity(alias: &str, d: &crate::mailbox_doors::MobileDevice) -> String {
    format!(
        "{alias}\\ExchangeActiveSyncDevices\\{}§{}§{}",
        d.client_type, d.device_model, d.device_id
    )
}

/// Finds a device by its identity: `(mailbox user id, index)`.
fn find_device(t: &Tenant, identity: &str) -> Result<(String, usize), ExoError> {
    for m in &t.mailboxes {
        let a = alias(t, &m.user_id);
        if let Some(i) = m
            .doors
            .mobile_devices
            .iter()
            .position(|d| device_identity(&a, d).eq_ignore_ascii_case(identity))
        {
            return Ok((m.user_id.clone(), i));
        }
    }
    Err(ExoError::not_found(identity))
}

/// Runs one of [`CMDLETS`].
pub(crate) fn invoke(
    t: &mut Tenant,
    name: &str,
    p: &Map<String, Value>,
) -> Result<Vec<Value>, ExoError> {
    let ts = |t: &chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    match name {
        "get-recipientpermission" => {
            let on = match param_str(p, "Identity") {
                Some(id) => Some(mailbox_user(t, id)?.0.id.clone()),
                None => None,
            };
            let trustee =
                param_str(p, "Trustee").map(|x| upn_of(t, x).unwrap_or_else(|_| x.to_owned()));
            let mut out = Vec::new();
            for m in &t.mailboxes {
                if on.as_ref().is_some_and(|o| *o != m.user_id) {
                    continue;
                }
                let identity = alias(t, &m.user_id);
                if on.is_some() && trustee.is_none() {
                    out.push(json!({"Identity": identity, "Trustee": "NT AUTHORITY\\SELF", "AccessControlType": "Allow", "AccessRights": ["SendAs"], "IsInherited": false, "InheritanceType": "None"}));
                }
                for x in &m.doors.send_as {
                    if trustee.as_ref().is_none_or(|tr| tr.eq_ignore_ascii_case(x)) {
                        out.push(json!({"Identity": identity, "Trustee": x, "AccessControlType": "Allow", "AccessRights": ["SendAs"], "IsInherited": false, "InheritanceType": "None"}));
                    }
                }
            }
            Ok(out)
        }
        "add-recipientpermission" => {
            let id = require_identity(p)?;
            let trustee = required(p, "Trustee")?;
            if !rights(p).iter().any(|x| x.eq_ignore_ascii_case("SendAs")) {
                return Err(ExoError::new(
                    400,
                    BINDING,
                    "Cannot process command because of one or more missing mandatory parameters: AccessRights.",
                ));
            }
            let uid = mailbox_user(t, id)?.0.id.clone();
            let who = upn_of(t, trustee)?;
            let identity = alias(t, &uid);
            if let Some(m) = t.mailbox_mut(&uid)
                && !m.doors.send_as.iter().any(|x| x.eq_ignore_ascii_case(&who))
            {
                m.doors.send_as.push(who.clone());
            }
            Ok(vec![
                json!({"Identity": identity, "Trustee": who, "AccessControlType": "Allow", "AccessRights": ["SendAs"], "IsInherited": false, "InheritanceType": "None"}),
            ])
        }
        "remove-recipientpermission" => {
            let id = require_identity(p)?;
            let trustee = required(p, "Trustee")?;
            let r = rights(p);
            if !r.iter().any(|x| x.eq_ignore_ascii_case("SendAs")) {
                return Err(ExoError::new(
                    400,
                    BINDING,
                    "Cannot process command because of one or more missing mandatory parameters: AccessRights.",
                ));
            }
            let uid = mailbox_user(t, id)?.0.id.clone();
            in_write_scope(t, &uid, "Remove-RecipientPermission", id)?;
            let who = upn_of(t, trustee).unwrap_or_else(|_| trustee.to_owned());
            let m = t.mailbox_mut(&uid).ok_or_else(|| ExoError::not_found(id))?;
            // Exchange warns and changes nothing when the entry is not there.
            m.doors.send_as.retain(|x| !x.eq_ignore_ascii_case(&who));
            Ok(Vec::new())
        }
        "remove-mailboxpermission" => {
            let id = require_identity(p)?;
            let user = required(p, "User")?;
            let r = rights(p);
            if r.is_empty() {
                return Err(ExoError::new(
                    400,
                    BINDING,
                    "Cannot process command because of one or more missing mandatory parameters: AccessRights.",
                ));
            }
            let uid = mailbox_user(t, id)?.0.id.clone();
            in_write_scope(t, &uid, "Remove-MailboxPermission", id)?;
            let who = upn_of(t, user).unwrap_or_else(|_| user.to_owned());
            if let Some(m) = t.mailbox_mut(&uid) {
                for e in m
                    .permissions
                    .iter_mut()
                    .filter(|e| e.user.eq_ignore_ascii_case(&who))
                {
                    e.access_rights
                        .retain(|a| !r.iter().any(|x| x.eq_ignore_ascii_case(a)));
                }
                m.permissions.retain(|e| !e.access_rights.is_empty());
            }
            Ok(Vec::new())
        }
        "get-mobiledevice" | "get-mobiledevicestatistics" => {
            let mb = required(p, "Mailbox")?;
            let (u, m) = mailbox_user(t, mb)?;
            let a = u.mail_nickname.clone().unwrap_or_default();
            Ok(m.doors
                .mobile_devices
                .iter()
                .map(|d| {
                    let mut v = json!({
                        "Identity": device_identity(&a, d),
                        "DeviceId": d.device_id,
                        "DeviceModel": d.device_model,
                        "DeviceOS": d.device_os,
                        "ClientType": d.client_type,
                        "FirstSyncTime": ts(&d.first_sync_time),
                    });
                    if name == "get-mobiledevicestatistics" {
                        v["Status"] = json!(match (d.wipe_requested_at, d.wipe_acknowledged_at) {
                            (None, _) => "DeviceOk",
                            (Some(_), None) => "DeviceWipePending",
                            (Some(_), Some(_)) => "DeviceWipeSucceeded",
                        });
                        v["DeviceWipeRequestTime"] = json!(d.wipe_requested_at.as_ref().map(ts));
                        v["DeviceWipeAckTime"] = json!(d.wipe_acknowledged_at.as_ref().map(ts));
                        v["DeviceWipeAccountOnly"] =
                            json!(d.wipe_requested_at.is_some() && d.wipe_account_only);
                    }
                    v
                })
                .collect())
        }
        "clear-mobiledevice" => {
            let id = require_identity(p)?;
            let (uid, i) = find_device(t, id)?;
            let account_only = param_bool(p, "AccountOnly")?.unwrap_or(false);
            if let Some(d) = t
                .mailbox_mut(&uid)
                .and_then(|m| m.doors.mobile_devices.get_mut(i))
            {
                // Outlook mobile ("REST") only ever gets an account-only wipe.
                d.wipe_account_only = account_only || d.client_type.eq_ignore_ascii_case("REST");
                let now = Utc::now();
                d.wipe_requested_at = Some(now);
                // A device that syncs picks the wipe up and acknowledges it (DeviceWipeAckTime).
                d.wipe_acknowledged_at = d.online.then_some(now);
            }
            Ok(Vec::new())
        }
        "remove-mobiledevice" => {
            let id = require_identity(p)?;
            let (uid, i) = find_device(t, id)?;
            if let Some(m) = t.mailbox_mut(&uid) {
                m.doors.mobile_devices.remove(i);
            }
            Ok(Vec::new())
        }
        other => Err(ExoError::new(
            400,
            "System.Management.Automation.CommandNotFoundException",
            format!("The term '{other}' is not recognized as a name of a cmdlet."),
        )),
    }
}
