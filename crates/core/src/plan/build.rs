//! Building a plan from the facts and the policy. Pure: the same facts and policy always
//! give the same plan, which is what the dry run shows.

use chrono::{DateTime, Utc};

use super::builder::Builder;
use super::dag::Plan;
use super::facts::Facts;
use super::step::{Step, StepKind, StepStatus};
use crate::policy::{DeviceAction, KindPolicy};

/// Builds the plan for `facts` under `policy`.
pub fn build(facts: Facts, policy: &KindPolicy, now: DateTime<Utc>) -> Plan {
    use StepKind::*;
    let upn = facts
        .user
        .user_principal_name
        .clone()
        .unwrap_or_else(|| facts.user.id.clone());
    let mut b = Builder {
        steps: Vec::new(),
        policy,
    };

    // 0. Directory roles, active and PIM-eligible, before anything that acts on the account
    //    (cloud-only leavers).
    let mut roles_first = Vec::new();
    if !facts.synced && !facts.directory_roles.is_empty() {
        roles_first.push(RemoveDirectoryRoles);
    }
    if !facts.synced && !facts.pim_eligibilities.is_empty() {
        roles_first.push(RemovePimEligibility);
    }

    // 1. Cut sign-in. For a synced user AD is the master: disable there (agent), revoke
    //    cloud sessions at once, and verify the cloud account after directory sync.
    let cut = if facts.synced {
        let sam = facts
            .on_premises_sam_account_name
            .clone()
            .unwrap_or_else(|| upn.clone());
        b.add(AdDisable, vec![], vec![format!("disable AD account {sam} (set the ACCOUNTDISABLE bit of userAccountControl) through the on-prem agent")]);
        b.add(
            RevokeSessions,
            vec![],
            vec![format!(
                "revoke refresh tokens and session cookies of {upn}"
            )],
        );
        b.add(
            VerifyCloudDisabled,
            vec![AdDisable, RevokeSessions],
            vec![format!(
                "read {upn} in Entra ID until directory sync shows accountEnabled=false"
            )],
        );
        b.na(
            BlockSignIn,
            "synced from on-premises AD: Graph refuses accountEnabled on synced users; disabled in AD (ad-disable) and verified after sync (verify-cloud-disabled)",
        );
        b.add(
            AdResetPassword,
            vec![AdDisable],
            vec![format!("reset the AD password of {sam} to a random value")],
        );
        b.na(
            ResetPassword,
            "the password is mastered on-premises: reset by ad-reset-password",
        );
        RevokeSessions
    } else {
        let note = if facts.account_enabled {
            format!("set accountEnabled=false on {upn}")
        } else {
            format!("{upn} is already disabled: read back and record it")
        };
        // An admin leaver loses the roles first: Graph lets the app disable or reset a user
        // who holds a directory role only with a higher role than its own, so with the roles
        // still there these steps would fail or not depending on which landed first.
        b.add(BlockSignIn, roles_first.clone(), vec![note]);
        b.add(
            RevokeSessions,
            vec![BlockSignIn],
            vec![format!(
                "revoke refresh tokens and session cookies of {upn}"
            )],
        );
        b.add(
            ResetPassword,
            vec![BlockSignIn],
            vec![format!(
                "set a random password on {upn} (never stored or logged)"
            )],
        );
        for k in [AdDisable, AdResetPassword, AdCleanup, VerifyCloudDisabled] {
            b.na(k, "cloud-only account: nothing on-premises");
        }
        BlockSignIn
    };

    // 2. Credentials, roles, devices.
    let methods: Vec<_> = facts
        .auth_methods
        .iter()
        .filter(|m| m.method_type != "password")
        .collect();
    if methods.is_empty() {
        b.na(
            RemoveAuthMethods,
            "no authentication methods besides the password",
        );
    } else {
        b.add(
            RemoveAuthMethods,
            vec![cut],
            methods
                .iter()
                .map(|m| format!("delete {} method {}", m.method_type, m.id))
                .collect(),
        );
    }
    if facts.directory_roles.is_empty() {
        b.na(RemoveDirectoryRoles, "no directory role assignments");
    } else {
        b.add(
            RemoveDirectoryRoles,
            if roles_first.contains(&RemoveDirectoryRoles) {
                Vec::new()
            } else {
                vec![cut]
            },
            facts
                .directory_roles
                .iter()
                .map(|r| {
                    format!(
                        "remove role {} (assignment {})",
                        r.role_name.as_deref().unwrap_or(&r.role_definition_id),
                        r.assignment_id
                    )
                })
                .collect(),
        );
    }
    if facts.app_roles.is_empty() {
        b.na(RemoveAppRoles, "no app role assignments");
    } else {
        b.add(
            RemoveAppRoles,
            vec![cut],
            facts
                .app_roles
                .iter()
                .map(|r| {
                    format!(
                        "remove app role assignment {} ({})",
                        r.assignment_id,
                        r.resource_name.as_deref().unwrap_or("?")
                    )
                })
                .collect(),
        );
    }
    // A third-party app the leaver consented to keeps getting tokens for them until its grant
    // goes; admin consent for all users is not the leaver's and stays.
    if facts.oauth_grants.is_empty() {
        b.na(
            RemoveOauthGrants,
            "no delegated permission grants the leaver consented to",
        );
    } else {
        b.add(
            RemoveOauthGrants,
            vec![cut],
            facts
                .oauth_grants
                .iter()
                .map(|g| {
                    format!(
                        "delete grant {}: app {} may act as the leaver on {} ({})",
                        g.grant_id, g.client_id, g.resource_id, g.scope
                    )
                })
                .collect(),
        );
    }
    // PIM eligibility and what the leaver owns (issue 16): plan::pim_owners.
    super::pim_owners::plan(
        &mut b,
        &facts,
        cut,
        roles_first.contains(&RemovePimEligibility),
    );
    match (facts.devices.is_empty(), policy.device_action) {
        (true, _) => b.na(RetireDevices, "no Intune-managed devices"),
        (false, DeviceAction::None) => b.na(
            RetireDevices,
            "the policy leaves devices alone (device_action = none)",
        ),
        (false, DeviceAction::Retire) => b.add(
            RetireDevices,
            vec![cut],
            facts
                .devices
                .iter()
                .map(|d| {
                    format!(
                        "retire {} ({})",
                        d.name.as_deref().unwrap_or(&d.id),
                        d.os.as_deref().unwrap_or("?")
                    )
                })
                .collect(),
        ),
    }

    // 3. Mailbox and OneDrive, before any licence goes. Forwarding stops first, before
    //    anything else touches the mailbox (the doors it leaves open: mailbox_doors).
    let mut before_licences = Vec::new();
    let mailbox_first = super::mailbox_doors::plan(&mut b, &facts, cut, &mut before_licences);
    match &facts.mailbox {
        None => {
            for (k, why) in [
                (ConvertMailbox, "no mailbox"),
                (MailboxManagerAccess, "no mailbox"),
                (AutoReply, "no mailbox"),
                (HideFromAddressLists, "no mailbox"),
            ] {
                b.na(k, why);
            }
        }
        Some(mb) => {
            let note = if mb.recipient_type == "SharedMailbox" {
                "already a shared mailbox: read back and record it".to_owned()
            } else {
                format!(
                    "convert the {} of {upn} to a shared mailbox",
                    mb.recipient_type
                )
            };
            b.add(ConvertMailbox, vec![mailbox_first], vec![note]);
            before_licences.push(ConvertMailbox);
            match (&facts.manager, policy.manager_mailbox_access) {
                (_, false) => b.na(
                    MailboxManagerAccess,
                    "the policy does not grant the manager mailbox access",
                ),
                (None, true) => b.na(
                    MailboxManagerAccess,
                    "the leaver has no manager in Entra ID: nobody to give access to",
                ),
                (Some(m), true) => {
                    b.add(
                        MailboxManagerAccess,
                        vec![ConvertMailbox],
                        vec![format!(
                            "give {} full access to the mailbox",
                            m.user_principal_name.as_deref().unwrap_or(&m.id)
                        )],
                    );
                    before_licences.push(MailboxManagerAccess);
                }
            }
            b.add(
                AutoReply,
                vec![ConvertMailbox],
                vec!["set the automatic reply (internal and external)".to_owned()],
            );
            before_licences.push(AutoReply);
            if facts.synced {
                b.na(
                    HideFromAddressLists,
                    "synced user: the address-list flag is mastered in AD (msExchHideFromAddressLists), set by ad-cleanup",
                );
            } else {
                b.add(
                    HideFromAddressLists,
                    vec![ConvertMailbox],
                    vec!["hide the mailbox from address lists".to_owned()],
                );
                before_licences.push(HideFromAddressLists);
            }
        }
    }
    match (&facts.drive, &facts.manager, policy.manager_onedrive_access) {
        (None, _, _) => b.na(OnedriveManagerAccess, "no OneDrive"),
        (_, _, false) => b.na(
            OnedriveManagerAccess,
            "the policy does not grant the manager OneDrive access",
        ),
        (Some(_), None, true) => b.na(
            OnedriveManagerAccess,
            "the leaver has no manager in Entra ID: nobody to give access to",
        ),
        (Some(d), Some(m), true) => {
            b.add(
                OnedriveManagerAccess,
                vec![cut],
                vec![format!(
                    "give {} write access to the OneDrive {}",
                    m.user_principal_name.as_deref().unwrap_or(&m.id),
                    d.web_url.as_deref().unwrap_or(&d.id)
                )],
            );
            before_licences.push(OnedriveManagerAccess);
        }
    }

    super::sharing::plan(&mut b, &facts, cut);

    // 4. Groups (which take group-based licences with them) and direct licences, last.
    let mut after_mail = before_licences.clone();
    if after_mail.is_empty() {
        after_mail.push(cut);
    }
    let direct_groups: Vec<_> = facts.groups.iter().filter(|g| g.direct).collect();
    if direct_groups.is_empty() {
        b.na(RemoveGroups, "no direct group memberships");
    } else {
        let preview = direct_groups
            .iter()
            .map(|g| {
                let name = g.display_name.as_deref().unwrap_or(&g.id);
                if g.removable {
                    format!(
                        "remove from {} group {name}{}",
                        g.kind,
                        if g.assigns_licences {
                            " (takes its licences with it)"
                        } else {
                            ""
                        }
                    )
                } else {
                    format!(
                        "record {} group {name} as not removable through Graph (exception)",
                        g.kind
                    )
                }
            })
            .collect();
        b.add(RemoveGroups, after_mail.clone(), preview);
    }
    if facts.synced {
        let sam = facts
            .on_premises_sam_account_name
            .clone()
            .unwrap_or_else(|| upn.clone());
        b.add(
            AdCleanup,
            vec![AdDisable],
            vec![format!("remove {sam} from AD groups (primary group stays), move to the disabled-users OU, stamp the case id, hide from address lists")],
        );
    }
    let direct: Vec<_> = facts.licences.iter().filter(|l| l.direct).collect();
    if direct.is_empty() {
        let why = if facts.licences.is_empty() {
            "no licences".to_owned()
        } else {
            "only group-based licences: they go with the group membership (remove-groups)"
                .to_owned()
        };
        b.na(RemoveLicences, why);
    } else {
        let mut deps = after_mail;
        if !b
            .steps
            .iter()
            .any(|s| s.kind == RemoveGroups && s.status == StepStatus::NotApplicable)
        {
            deps.push(RemoveGroups);
        }
        b.add(
            RemoveLicences,
            deps,
            direct
                .iter()
                .map(|l| {
                    format!(
                        "remove directly assigned licence {}",
                        l.sku_part_number.as_deref().unwrap_or(&l.sku_id)
                    )
                })
                .collect(),
        );
    }

    // 5. Days later, on the same case: deleting the account (plan::delete_account).
    super::delete_account::plan(&mut b, &facts, now);

    // 6. Seal after everything of this run (a follow-up scheduled for later is not waited for).
    let all: Vec<StepKind> = b
        .steps
        .iter()
        .filter(|s| s.status != StepStatus::Scheduled)
        .map(|s| s.kind)
        .collect();
    let mut steps = b.steps;
    steps.push(Step::pending(
        Seal,
        all,
        vec!["seal the case's evidence and append it to the ledger".to_owned()],
    ));

    Plan {
        planned_at: now,
        facts,
        steps: in_order(steps),
        restore_ad: None,
    }
}

/// The steps in an order that puts every step after what it depends on, and otherwise in the
/// order of `StepKind::ALL` (an admin leaver's `remove-directory-roles` comes before
/// `block-sign-in`, which `ALL` lists first).
fn in_order(mut steps: Vec<Step>) -> Vec<Step> {
    steps.sort_by_key(|s| s.kind.display_order());
    let mut placed: Vec<Step> = Vec::with_capacity(steps.len());
    while !steps.is_empty() {
        let next = steps
            .iter()
            .position(|s| {
                s.depends_on.iter().all(|d| {
                    placed.iter().any(|p| p.kind == *d) || !steps.iter().any(|o| o.kind == *d)
                })
            })
            // A cycle cannot be ordered; keep the rest as they are (`Plan::validate` names it).
            .unwrap_or(0);
        placed.push(steps.remove(next));
    }
    placed
}
