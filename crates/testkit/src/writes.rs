//! Reading the tenant simulator's request log: which write the plan of a leaver required,
//! whether it was made (in the log and in the tenant's final state), and which successful
//! write was made more than once.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::Value;
use standin_tenant::demo::ids;
use standin_tenant::engine::LoggedRequest;
use standin_tenant::model::Tenant;

use crate::leavers::Leaver;

/// What the plan of a leaver requires, one write each, with how to recognise it in the
/// simulator's log and in the tenant's final state.
#[derive(Debug, Clone)]
pub enum Action {
    /// `accountEnabled: false`.
    Block,
    /// `revokeSignInSessions`.
    Revoke,
    /// A new random password.
    ResetPassword,
    /// One authentication method removed (its id).
    RemoveMethod(String),
    /// One app role assignment removed (its id).
    RemoveAppRole(String),
    /// One managed device retired (its id).
    Retire(String),
    /// The mailbox converted to shared.
    ConvertMailbox,
    /// The manager given full access to the mailbox.
    ManagerMailbox,
    /// The automatic reply set.
    AutoReply,
    /// The mailbox hidden from address lists.
    Hide,
    /// The manager invited to the OneDrive.
    ManagerDrive,
    /// Removed from one group (its id).
    RemoveGroup(String),
    /// Direct licences removed.
    RemoveLicences,
}

/// Every write the offboarding of `l` requires.
pub fn actions(l: &Leaver) -> Vec<Action> {
    let mut a = vec![
        Action::Block,
        Action::Revoke,
        Action::ResetPassword,
        Action::ConvertMailbox,
        Action::ManagerMailbox,
        Action::AutoReply,
        Action::Hide,
        Action::ManagerDrive,
        Action::RemoveLicences,
    ];
    a.extend(l.methods.iter().cloned().map(Action::RemoveMethod));
    a.extend(l.app_roles.iter().cloned().map(Action::RemoveAppRole));
    a.extend(l.devices.iter().cloned().map(Action::Retire));
    a.extend(l.groups.iter().cloned().map(Action::RemoveGroup));
    a
}

/// Whether the service answered 2xx.
pub fn ok(r: &LoggedRequest) -> bool {
    (200..300).contains(&r.status)
}

fn body_has(r: &LoggedRequest, key: &str) -> bool {
    r.body
        .as_ref()
        .and_then(Value::as_object)
        .is_some_and(|o| o.contains_key(key))
}

/// The parameters of an Exchange cmdlet request.
pub fn exo_params(r: &LoggedRequest) -> Option<&serde_json::Map<String, Value>> {
    r.body
        .as_ref()
        .and_then(|b| b.pointer("/CmdletInput/Parameters"))
        .and_then(Value::as_object)
}

fn exo_for(r: &LoggedRequest, cmdlet: &str, l: &Leaver, param: &str) -> bool {
    r.service == "exchange"
        && r.cmdlet.as_deref() == Some(cmdlet)
        && exo_params(r).is_some_and(|p| {
            p.contains_key(param)
                && p.get("Identity")
                    .and_then(Value::as_str)
                    .is_some_and(|i| i.eq_ignore_ascii_case(&l.upn) || i == l.id)
        })
}

/// Whether the successful request `r` is the write `a` for `l`.
pub fn is_write(r: &LoggedRequest, l: &Leaver, a: &Action) -> bool {
    let user = format!("/users/{}", l.id);
    let graph = |m: &str| r.service == "graph" && r.method == m;
    match a {
        Action::Block => graph("PATCH") && r.path == user && body_has(r, "accountEnabled"),
        Action::ResetPassword => graph("PATCH") && r.path == user && body_has(r, "passwordProfile"),
        Action::Revoke => graph("POST") && r.path == format!("{user}/revokeSignInSessions"),
        Action::RemoveMethod(m) => {
            graph("DELETE")
                && r.path.starts_with(&format!("{user}/authentication/"))
                && r.path.ends_with(&format!("/{m}"))
        }
        Action::RemoveAppRole(id) => {
            graph("DELETE")
                && r.path.contains("ppRoleAssign")
                && r.path.ends_with(&format!("/{id}"))
        }
        Action::Retire(d) => {
            graph("POST") && r.path == format!("/deviceManagement/managedDevices/{d}/retire")
        }
        Action::AutoReply => graph("PATCH") && r.path == format!("{user}/mailboxSettings"),
        Action::ManagerDrive => {
            graph("POST") && r.path == format!("/drives/{}/root/invite", l.drive)
        }
        Action::RemoveGroup(g) => {
            graph("DELETE") && r.path == format!("/groups/{g}/members/{}/$ref", l.id)
        }
        Action::RemoveLicences => graph("POST") && r.path == format!("{user}/assignLicense"),
        Action::ConvertMailbox => exo_for(r, "Set-Mailbox", l, "Type"),
        Action::Hide => exo_for(r, "Set-Mailbox", l, "HiddenFromAddressListsEnabled"),
        Action::ManagerMailbox => exo_for(r, "Add-MailboxPermission", l, "User"),
    }
}

/// Whether the tenant's final state shows `a` done for `l` (changed after `since`).
pub fn in_state(
    t: &Tenant,
    l: &Leaver,
    a: &Action,
    since: DateTime<Utc>,
    manager_upn: &str,
) -> bool {
    let Some(u) = t.user(&l.id) else {
        return false;
    };
    match a {
        Action::Block => !u.account_enabled,
        Action::Revoke => u.sign_in_sessions_valid_from_date_time >= since,
        Action::ResetPassword => u.last_password_change_date_time.is_some_and(|p| p >= since),
        Action::RemoveMethod(m) => !t
            .authentication_methods
            .iter()
            .any(|x| x.user_id == l.id && &x.id == m),
        Action::RemoveAppRole(id) => !t.app_role_assignments.iter().any(|x| &x.id == id),
        Action::Retire(d) => t.managed_devices.iter().any(|x| {
            &x.id == d
                && x.device_action_results
                    .iter()
                    .any(|r| r.action_name == "retire")
        }),
        Action::ConvertMailbox => t
            .mailbox(&l.id)
            .is_some_and(|m| m.recipient_type_details == "SharedMailbox"),
        Action::Hide => t
            .mailbox(&l.id)
            .is_some_and(|m| m.hidden_from_address_lists_enabled),
        Action::AutoReply => t
            .mailbox(&l.id)
            .is_some_and(|m| m.auto_reply.status != "disabled"),
        Action::ManagerMailbox => t.mailbox(&l.id).is_some_and(|m| {
            m.permissions.iter().any(|p| {
                p.user.eq_ignore_ascii_case(manager_upn)
                    && p.access_rights.iter().any(|r| r == "FullAccess")
            })
        }),
        Action::ManagerDrive => t
            .drives
            .iter()
            .any(|d| d.id == l.drive && d.root_permissions.iter().any(|p| p.user_id == ids::MEGAN)),
        Action::RemoveGroup(g) => t
            .group(g)
            .is_some_and(|g| !g.members.iter().any(|m| m == &l.id)),
        Action::RemoveLicences => u.assigned_licenses.is_empty(),
    }
}

/// A successful write's identity, to find the same write done twice.
pub fn write_key(r: &LoggedRequest) -> Option<String> {
    if !ok(r) {
        return None;
    }
    match r.service.as_str() {
        "graph" if r.method != "GET" && r.path != "/$batch" => {
            let mut keys: Vec<&String> = r
                .body
                .as_ref()
                .and_then(Value::as_object)
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            keys.sort();
            Some(format!("{} {} {keys:?}", r.method, r.path))
        }
        "exchange" => {
            let c = r.cmdlet.as_deref()?;
            (!c.starts_with("Get-")).then(|| {
                format!(
                    "{c} {}",
                    exo_params(r)
                        .map(|p| Value::Object(p.clone()))
                        .unwrap_or_default()
                )
            })
        }
        _ => None,
    }
}

/// A Graph write that reached the quota check and was admitted (anything but 429: a 4xx
/// after admission still spent its slot).
pub fn admitted_graph_write(r: &LoggedRequest) -> bool {
    r.service == "graph"
        && r.method != "GET"
        && r.path != "/$batch"
        && r.status != 429
        && r.status != 401
}

/// The successful requests that concern each leaver, by Entra object id: a Graph path names
/// the leaver, the drive or a device in one segment; an Exchange cmdlet names the mailbox
/// by its `Identity`.
pub fn by_leaver<'a>(
    log: &'a [LoggedRequest],
    leavers: &[Leaver],
) -> HashMap<String, Vec<&'a LoggedRequest>> {
    let index: HashMap<String, &str> = leavers
        .iter()
        .flat_map(|l| {
            let mut keys = vec![l.id.clone(), l.upn.to_lowercase(), l.drive.clone()];
            keys.extend(l.devices.iter().cloned());
            keys.into_iter().map(move |k| (k, l.id.as_str()))
        })
        .collect();
    let mut out: HashMap<String, Vec<&LoggedRequest>> = HashMap::new();
    for r in log.iter().filter(|r| ok(r)) {
        let owner = match r.service.as_str() {
            "exchange" => exo_params(r)
                .and_then(|p| p.get("Identity"))
                .and_then(Value::as_str)
                .and_then(|i| index.get(&i.to_lowercase())),
            _ => r.path.split('/').find_map(|s| index.get(s)),
        };
        if let Some(owner) = owner {
            out.entry((*owner).to_owned()).or_default().push(r);
        }
    }
    out
}

/// Required writes that were not made: `(required, lost)`, where a write is lost when no
/// successful request in the log made it or the tenant's final state does not show it.
pub fn lost_writes(
    log: &[LoggedRequest],
    state: &Tenant,
    leavers: &[Leaver],
    since: DateTime<Utc>,
    manager_upn: &str,
) -> (usize, Vec<String>) {
    let by_leaver = by_leaver(log, leavers);
    let mut required = 0usize;
    let mut lost = Vec::new();
    for l in leavers {
        let reqs = by_leaver.get(&l.id).map(Vec::as_slice).unwrap_or_default();
        for a in actions(l) {
            required += 1;
            let logged = reqs.iter().any(|r| is_write(r, l, &a));
            let stated = in_state(state, l, &a, since, manager_upn);
            if !(logged && stated) {
                lost.push(format!(
                    "{} {a:?} (logged {logged}, in final state {stated})",
                    l.upn
                ));
            }
        }
    }
    (required, lost)
}

/// Successful writes made more than once, with how many times: the duplicate side effects
/// the simulator saw.
pub fn duplicated_writes(log: &[LoggedRequest]) -> Vec<(String, usize)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for k in log.iter().filter_map(write_key) {
        *seen.entry(k).or_default() += 1;
    }
    seen.into_iter().filter(|(_, c)| *c > 1).collect()
}

/// The manager every synthetic leaver reports to (the demo's Megan), by UPN.
pub fn manager_upn(state: &Tenant) -> Option<String> {
    state
        .user(ids::MEGAN)
        .map(|u| u.user_principal_name.clone())
}
