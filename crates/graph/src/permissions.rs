//! Least privilege, declared once: every Microsoft Graph application permission, Exchange app
//! role and Entra directory role offboard's managed identity needs, and why. Infrastructure
//! code grants exactly this set (`cargo run -q -p offboard-graph --example permissions`): the
//! unconditional part always, and a permission only an optional feature needs (`only_when`)
//! only when the deployment turns that feature's switch on. The README table is generated from
//! it, and the tenant simulator's default seed grants the whole set (conditional permissions
//! included, so tests can run every step), so a call that needs more fails in tests.
//!
//! Sources: the "Permissions" tables of the Graph v1.0 API reference for each call (least
//! privileged application permission), summarised in platform-facts §3.

use serde::Serialize;

/// One permission and what it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Permission {
    /// The permission's value (what appears in the token's `roles` claim, or the role's name).
    pub name: &'static str,
    /// Why offboard needs it, in one sentence.
    pub why: &'static str,
    /// The calls that need it.
    pub calls: &'static [&'static str],
    /// `None`: always granted. `Some(switch)`: granted only when the deployment turns `switch`
    /// on, because only an optional feature needs it.
    pub only_when: Option<Switch>,
}

/// A deployment switch that grants conditional permissions (an infrastructure parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Switch {
    /// The Terraform variable (the Bicep parameter is its camelCase form).
    pub infra: &'static str,
    /// The Bicep parameter.
    pub bicep: &'static str,
    /// What must be set in the policy for the code to use the permission.
    pub policy: &'static str,
}

/// Account deletion (issue 16, `delete-account`): off by default, so `User.ReadWrite.All` is
/// granted only when the deployer turns it on, together with the policy.
pub const ACCOUNT_DELETION: Switch = Switch {
    infra: "enable_account_deletion",
    bicep: "enableAccountDeletion",
    policy: "[delete_account] enabled = true",
};

/// Microsoft Graph application permissions (app roles on the Microsoft Graph service principal,
/// appId `00000003-0000-0000-c000-000000000000`).
pub const GRAPH: &[Permission] = &[
    Permission {
        name: "User.Read.All",
        why: "Find the leaver by employeeId, UPN or mail, read their state and manager, and list their group memberships.",
        calls: &[
            "GET /users",
            "GET /users/{id}",
            "GET /users/{id}/manager",
            "GET /users/{id}/memberOf",
            "GET /users/{id}/ownedObjects",
            "GET /directory/deletedItems/{id}",
        ],
        only_when: None,
    },
    Permission {
        name: "User.EnableDisableAccount.All",
        why: "Block sign-in of a cloud-only leaver (accountEnabled=false).",
        calls: &["PATCH /users/{id} {accountEnabled}"],
        only_when: None,
    },
    Permission {
        name: "User.RevokeSessions.All",
        why: "Revoke refresh tokens and session cookies right after blocking sign-in.",
        calls: &["POST /users/{id}/revokeSignInSessions"],
        only_when: None,
    },
    Permission {
        name: "User-PasswordProfile.ReadWrite.All",
        why: "Reset the password of a cloud-only leaver so no known password survives (also needs the User Administrator role).",
        calls: &["PATCH /users/{id} {passwordProfile}"],
        only_when: None,
    },
    Permission {
        name: "LicenseAssignment.ReadWrite.All",
        why: "Read which licences are direct or group-based and remove the direct ones.",
        calls: &[
            "GET /users/{id}/licenseDetails",
            "POST /users/{id}/assignLicense",
        ],
        only_when: None,
    },
    Permission {
        name: "GroupMember.ReadWrite.All",
        why: "Read group kinds and remove the leaver from Microsoft 365 and security groups.",
        calls: &["GET /groups/{id}", "DELETE /groups/{id}/members/{id}/$ref"],
        only_when: None,
    },
    Permission {
        name: "RoleManagement.ReadWrite.Directory",
        why: "List and remove the leaver's directory role assignments, and remove members of role-assignable groups; read the roles a role-assignable group holds (its members, and those PIM-eligible for it, are protected when they are privileged); also list the roles the leaver is PIM-eligible for and remove each with an adminRemove schedule request (alone that would need RoleEligibilitySchedule.ReadWrite.Directory, which this permission includes, so it is not asked for separately).",
        calls: &[
            "GET /roleManagement/directory/roleAssignments",
            "DELETE /roleManagement/directory/roleAssignments/{id}",
            "GET /roleManagement/directory/roleEligibilitySchedules?$filter=principalId eq '{id}'",
            "POST /roleManagement/directory/roleEligibilityScheduleRequests {action: adminRemove}",
        ],
        only_when: None,
    },
    Permission {
        name: "AppRoleAssignment.ReadWrite.All",
        why: "List and remove the leaver's access to enterprise applications.",
        calls: &[
            "GET /users/{id}/appRoleAssignments",
            "DELETE /users/{id}/appRoleAssignments/{id}",
        ],
        only_when: None,
    },
    Permission {
        name: "DelegatedPermissionGrant.ReadWrite.All",
        why: "List and delete the delegated permission grants the leaver consented to, so no third-party app keeps acting as the leaver (the least privileged permission that may delete a grant; it also lists them).",
        calls: &[
            "GET /oauth2PermissionGrants?$filter=principalId eq '{id}'",
            "DELETE /oauth2PermissionGrants/{id}",
        ],
        only_when: None,
    },
    // Issue 16: PIM eligibility and ownerships (remove-pim-eligibility, transfer-ownerships).
    Permission {
        name: "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
        why: "List the groups the leaver is eligible to join or own under PIM for Groups and remove each with an adminRemove schedule request.",
        calls: &[
            "GET /identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=principalId eq '{id}'",
            "POST /identityGovernance/privilegedAccess/group/eligibilityScheduleRequests {action: adminRemove}",
        ],
        only_when: None,
    },
    Permission {
        name: "Group.ReadWrite.All",
        why: "Hand a group the leaver owns to a successor before removing the leaver as owner (adding and removing group owners has no narrower application permission; GroupMember.ReadWrite.All does not cover owners). It also allows changing and deleting any group the identity can see.",
        calls: &[
            "GET /groups/{id}/owners",
            "POST /groups/{id}/owners/$ref",
            "DELETE /groups/{id}/owners/{id}/$ref",
        ],
        only_when: None,
    },
    Permission {
        name: "Application.ReadWrite.All",
        why: "Hand an app registration or service principal the leaver owns to a successor, then remove the leaver as owner (Application.ReadWrite.OwnedBy cannot add another owner, and offboard owns none of them). Powerful: it can change any app's credentials; leave it out and transfer-ownerships fails for apps with a remediation item naming each one.",
        calls: &[
            "GET /applications/{id}/owners",
            "POST /applications/{id}/owners/$ref",
            "DELETE /applications/{id}/owners/{id}/$ref",
            "GET /servicePrincipals/{id}/owners",
            "POST /servicePrincipals/{id}/owners/$ref",
            "DELETE /servicePrincipals/{id}/owners/{id}/$ref",
        ],
        only_when: None,
    },
    Permission {
        name: "Directory.Read.All",
        why: "Microsoft documents adding an owner to an app registration or service principal as Application.ReadWrite.All *and* Directory.Read.All (the new owner is a directory object reference).",
        calls: &[
            "POST /applications/{id}/owners/$ref",
            "POST /servicePrincipals/{id}/owners/$ref",
        ],
        only_when: None,
    },
    Permission {
        name: "UserAuthenticationMethod.ReadWrite.All",
        why: "List and delete the leaver's MFA methods so a recovered account cannot reuse them.",
        calls: &[
            "GET /users/{id}/authentication/methods",
            "DELETE /users/{id}/authentication/{kind}Methods/{id}",
        ],
        only_when: None,
    },
    Permission {
        name: "DeviceManagementManagedDevices.Read.All",
        why: "List the leaver's Intune managed devices and read back a retire.",
        calls: &[
            "GET /users/{id}/managedDevices",
            "GET /deviceManagement/managedDevices/{id}",
        ],
        only_when: None,
    },
    Permission {
        name: "DeviceManagementManagedDevices.PrivilegedOperations.All",
        why: "Retire the leaver's managed devices (remove company data).",
        calls: &["POST /deviceManagement/managedDevices/{id}/retire"],
        only_when: None,
    },
    Permission {
        name: "Files.ReadWrite.All",
        why: "Find the leaver's OneDrive and grant the manager access to it; walk it for shared items and delete their anonymous and organisation-wide sharing links; with [sharing] sharepoint_region, search SharePoint and OneDrive for items shared with the leaver and delete the leaver's own permissions on them (revoke-sharing: the least privileged application permission that may delete a driveItem permission; an app-only search of driveItems needs Files.Read.All or wider).",
        calls: &[
            "GET /users/{id}/drive",
            "POST /drives/{id}/root/invite",
            "GET /drives/{id}/root/permissions",
            "GET /drives/{id}/items/{id}/children",
            "GET /drives/{id}/items/{id}/permissions",
            "DELETE /drives/{id}/items/{id}/permissions/{id}",
            "POST /search/query",
        ],
        only_when: None,
    },
    Permission {
        name: "MailboxSettings.ReadWrite",
        why: "Set and read back the leaver's automatic replies; list and disable inbox rules that forward the leaver's mail (stop-forwarding).",
        calls: &[
            "GET /users/{id}/mailboxSettings",
            "PATCH /users/{id}/mailboxSettings",
            "GET /users/{id}/mailFolders/inbox/messageRules",
            "PATCH /users/{id}/mailFolders/inbox/messageRules/{id}",
        ],
        only_when: None,
    },
    Permission {
        name: "Mail.Send",
        why: "Send completion, failure and SLA notifications from the service mailbox; scope it to that mailbox with an Exchange application access policy.",
        calls: &["POST /users/{id}/sendMail"],
        only_when: None,
    },
    Permission {
        name: "AuditLog.Read.All",
        why: "Read signInActivity of leavers during the ghost-access scan: a successful sign-in after the sign-in cut, or after a completed case revoked the leaver's sessions, is the strongest sign of ghost access; and read Entra's provisioning logs, so a system Entra ID provisions (an entra-provisioning connector) is recorded as removed at the time the provisioning service disabled or deleted the leaver there.",
        calls: &[
            "GET /users/{id}?$select=signInActivity",
            "GET /auditLogs/provisioning?$filter=servicePrincipal/id eq '{id}' and sourceIdentity/id eq '{id}'",
        ],
        only_when: None,
    },
    Permission {
        name: "User-LifeCycleInfo.Read.All",
        why: "Read employeeLeaveDateTime (what HR inbound provisioning writes) when Entra ID is a population source of the ghost-access scan.",
        calls: &["GET /users?$select=employeeLeaveDateTime"],
        only_when: None,
    },
    Permission {
        name: "Organization.Read.All",
        why: "Read the organisation's verified domains, so stop-forwarding can tell a forwarding address outside the organisation (possible exfiltration) from one inside it.",
        calls: &["GET /organization?$select=verifiedDomains"],
        only_when: None,
    },
    // Issue 16: delete-account. "Delete a user" (https://learn.microsoft.com/graph/api/user-delete)
    // names User.ReadWrite.All as the least privileged application permission and lists no
    // narrower one (User.DeleteRestore.All is not accepted there in v1.0); reading the deleted
    // user back ("Get deleted item", https://learn.microsoft.com/graph/api/directory-deleteditems-get)
    // needs only User.Read.All, declared above.
    Permission {
        name: "User.ReadWrite.All",
        why: "Delete the leaver's cloud account days after the effective time (delete-account; Microsoft documents no narrower application permission for DELETE /users). Powerful: it can change any user's properties, so it is granted only when the deployment enables account deletion (Bicep enableAccountDeletion, Terraform enable_account_deletion; default off), which must go with [delete_account] enabled = true in the policy (without the grant the step fails with a remediation item). Deleting a user who holds a privileged role also needs a higher directory role on the identity; offboard removes the leaver's roles first. Reading the deleted user back from deleted items needs only User.Read.All.",
        calls: &["DELETE /users/{id}"],
        only_when: Some(ACCOUNT_DELETION),
    },
    Permission {
        name: "Calendars.ReadWrite",
        why: "List the future meetings the leaver organises and cancel them (series end at the effective time), then read them back (cancel-meetings). Not needed when the policy sets meetings = \"leave\".",
        calls: &[
            "GET /users/{id}/events",
            "POST /users/{id}/events/{id}/cancel",
            "PATCH /users/{id}/events/{id}",
        ],
        only_when: None,
    },
];

/// Office 365 Exchange Online application permissions (app roles on the service principal with
/// appId `00000002-0000-0ff1-ce00-000000000000`).
pub const EXCHANGE: &[Permission] = &[Permission {
    name: "Exchange.ManageAsApp",
    why: "Call Exchange Online cmdlets app-only: convert to shared, hide from the address list, grant the manager FullAccess, set automatic replies, stop forwarding, set litigation hold, wipe mobile mail and remove mobile partnerships, read every mailbox's FullAccess for the rights index and remove the leaver's FullAccess, SendAs and SendOnBehalf on other mailboxes.",
    calls: &["POST /adminapi/beta/{tenantId}/InvokeCommand"],
    only_when: None,
}];

/// Microsoft Entra directory roles assigned to the managed identity's service principal.
pub const DIRECTORY_ROLES: &[Permission] = &[
    Permission {
        name: "User Administrator",
        why: "App-only password resets need it in addition to User-PasswordProfile.ReadWrite.All (non-admin targets only; admin targets are left to a human).",
        calls: &["PATCH /users/{id} {passwordProfile}"],
        only_when: None,
    },
    Permission {
        name: "Exchange Recipient Administrator",
        why: "Exchange Online accepts app-only recipient cmdlets only from an identity holding an Exchange role; this is the narrowest built-in one (an Exchange RBAC role group with Mail Recipients is an alternative). Its Mail Recipients role also covers `Get-/Remove-MailboxPermission` and `Get-/Remove-RecipientPermission` (rights elsewhere), so that step needs nothing more; a mailbox in an exclusive management scope the role does not cover is refused, and the step fails naming it.",
        calls: &[
            "Set-Mailbox",
            "Add-MailboxPermission",
            "Set-MailboxAutoReplyConfiguration",
            "Set-Mailbox -ForwardingSmtpAddress/-ForwardingAddress/-GrantSendOnBehalfTo",
            "Get-RecipientPermission",
            "Remove-RecipientPermission",
            "Remove-MailboxPermission",
            "Get-MailboxPermission",
            "Get-Mailbox -ResultSize Unlimited",
            "Get-MobileDevice",
            "Clear-MobileDevice",
            "Remove-MobileDevice",
        ],
        only_when: None,
    },
    Permission {
        name: "Compliance Administrator",
        why: "hold-mailbox sets LitigationHoldEnabled, which Exchange allows only with its Legal Hold role; Exchange Recipient Administrator lacks it and Compliance Administrator is the narrowest built-in Entra role Exchange Online accepts app-only that carries it (a custom Exchange role group holding only Legal Hold, with the app's service principal as member, is narrower). Not needed when the policy sets mailbox_hold = \"none\".",
        calls: &["Set-Mailbox -LitigationHoldEnabled -LitigationHoldDuration"],
        only_when: None,
    },
];

/// Names of every Graph permission the code may use, conditional ones included (what the tenant
/// simulator's default identity holds, so tests can exercise every step).
pub fn graph_names() -> Vec<&'static str> {
    GRAPH.iter().map(|p| p.name).collect()
}

/// Names of the Graph permissions every deployment grants.
pub fn graph_names_always() -> Vec<&'static str> {
    GRAPH
        .iter()
        .filter(|p| p.only_when.is_none())
        .map(|p| p.name)
        .collect()
}

/// Names of the Graph permissions granted only when `switch` is on.
pub fn graph_names_when(switch: &Switch) -> Vec<&'static str> {
    GRAPH
        .iter()
        .filter(|p| p.only_when.as_ref() == Some(switch))
        .map(|p| p.name)
        .collect()
}

/// The deployment switches the declared permissions depend on, each once.
pub fn switches() -> Vec<Switch> {
    let mut out: Vec<Switch> = Vec::new();
    for s in GRAPH
        .iter()
        .chain(EXCHANGE)
        .chain(DIRECTORY_ROLES)
        .filter_map(|p| p.only_when)
    {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Names of the Exchange permissions.
pub fn exchange_names() -> Vec<&'static str> {
    EXCHANGE.iter().map(|p| p.name).collect()
}

/// Names of the directory roles.
pub fn directory_role_names() -> Vec<&'static str> {
    DIRECTORY_ROLES.iter().map(|p| p.name).collect()
}

/// What infrastructure grants: `{"graph":[...],"exchange":[...],"directoryRoles":[...],
/// "onlyWhen":{"<switch>":{"graph":[...]}}}`, names only. `graph` holds what every deployment
/// grants; `onlyWhen` what a deployment adds with the switch (the Terraform variable's name) on.
pub fn names_json() -> serde_json::Value {
    let only_when: serde_json::Map<String, serde_json::Value> = switches()
        .iter()
        .map(|s| {
            (
                s.infra.to_owned(),
                serde_json::json!({"graph": graph_names_when(s)}),
            )
        })
        .collect();
    serde_json::json!({
        "graph": graph_names_always(),
        "exchange": exchange_names(),
        "directoryRoles": directory_role_names(),
        "onlyWhen": only_when,
    })
}

/// [`names_json`] as text with the keys in the order `graph`, `exchange`, `directoryRoles`,
/// `onlyWhen`.
pub fn names_json_string() -> String {
    let list = |v: Vec<&'static str>| serde_json::to_string(&v).unwrap_or_else(|_| "[]".to_owned());
    let only_when: Vec<String> = switches()
        .iter()
        .map(|s| {
            format!(
                "{}:{{\"graph\":{}}}",
                serde_json::to_string(s.infra).unwrap_or_default(),
                list(graph_names_when(s))
            )
        })
        .collect();
    format!(
        "{{\"graph\":{},\"exchange\":{},\"directoryRoles\":{},\"onlyWhen\":{{{}}}}}",
        list(graph_names_always()),
        list(exchange_names()),
        list(directory_role_names()),
        only_when.join(",")
    )
}

/// The same with `why`, `calls` and `only_when` for each entry.
pub fn detailed_json() -> serde_json::Value {
    serde_json::json!({
        "graph": GRAPH,
        "exchange": EXCHANGE,
        "directoryRoles": DIRECTORY_ROLES,
    })
}

/// The README table (Markdown). A conditional permission says which switch grants it.
pub fn markdown_table() -> String {
    let mut s = String::from("| Kind | Permission | Why offboard needs it |\n|---|---|---|\n");
    for (kind, list) in [
        ("Graph application permission", GRAPH),
        ("Exchange application permission", EXCHANGE),
        ("Entra directory role", DIRECTORY_ROLES),
    ] {
        for p in list {
            let name = match p.only_when {
                None => format!("`{}`", p.name),
                Some(sw) => format!("`{}` (only with `{}`)", p.name, sw.infra),
            };
            s.push_str(&format!("| {kind} | {name} | {} |\n", p.why));
        }
    }
    s
}
