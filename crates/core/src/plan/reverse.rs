//! The reverse plan: what a restore puts back after a mistaken termination, planned from the
//! leaver's snapshot (the [`Facts`] the `plan` record carries, read before anything changed)
//! and what the case did (which of its steps sent a change, and the AD account as the agent
//! found it before the case touched it).
//!
//! Only what this case took away comes back: a step whose evidence shows no change of its own
//! (the account was already disabled, the manager already had access, the mailbox was already
//! hidden) has nothing to undo. The order mirrors the termination's:
//!
//! - the account first — in AD through the agent for a synced leaver (Graph refuses
//!   `accountEnabled` on those; directory sync carries it to Entra ID), in Entra ID for a
//!   cloud-only one;
//! - then groups, direct licences (group-based ones come back with their groups) and app
//!   roles;
//! - the mailbox becomes a user mailbox again only once its licences are back, and the
//!   automatic reply, the address-list hiding and the manager's access the case granted go;
//! - the seal comes last, as a new generation over the same chain.
//!
//! Directory roles are never put back by a restore: they are listed as needing a second
//! approval. What cannot come back (removed MFA methods, revoked sessions, a reset password,
//! retired devices …) is listed with what the person and their manager do about it.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::dag::Plan;
use super::facts::{AdBefore, Facts};
use super::restore_kind::RestoreAction;
use super::step::{Step, StepKind, StepStatus};

/// What the case did, as its evidence shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseDid {
    /// Where each of the termination's steps ended.
    pub statuses: BTreeMap<StepKind, StepStatus>,
    /// The steps that sent a change of their own (an announced write, or an agent action
    /// that changed the account): only these have something to undo.
    pub changed: BTreeSet<StepKind>,
    /// The AD account before the case, for a synced leaver whose AD steps ran.
    pub ad_before: Option<AdBefore>,
}

impl CaseDid {
    fn changed(&self, kind: StepKind) -> bool {
        self.changed.contains(&kind)
    }

    fn verified(&self, kind: StepKind) -> bool {
        self.statuses.get(&kind) == Some(&StepStatus::Verified)
    }
}

/// Something a restore cannot put back, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lost {
    /// The termination step that took it away.
    pub step: StepKind,
    /// What is gone, in words.
    pub what: String,
    /// The objects (method types, device names, group DNs), when there are any to name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// What the person does.
    pub for_person: String,
    /// What their manager (or IT on their behalf) does.
    pub for_manager: String,
}

/// Access a restore lists but does not put back: it needs a second person's approval first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecondApproval {
    /// What it is.
    pub what: String,
    /// The roles, by name (or definition id).
    pub items: Vec<String>,
    /// Why it waits and how to do it.
    pub how: String,
}

/// A restore's plan: its steps, what waits for a second approval and what cannot come back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReversePlan {
    /// The restore steps, pending, in running order (dependencies among themselves only).
    pub steps: Vec<Step>,
    /// Listed, not done: directory roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub second_approval: Vec<SecondApproval>,
    /// What cannot come back, for the person and their manager.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<Lost>,
    /// The AD account before the case (its OU and groups), when a step puts it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_before: Option<AdBefore>,
}

fn group_name(g: &super::facts::GroupFact) -> String {
    match &g.display_name {
        Some(n) => format!("{n} ({})", g.id),
        None => g.id.clone(),
    }
}

/// Plans the restore of `snapshot` after a case that did `did`. Pure: reads nothing,
/// changes nothing.
pub fn reverse(snapshot: &Facts, did: &CaseDid) -> ReversePlan {
    let mut steps: Vec<Step> = Vec::new();
    let mut add = |action: RestoreAction, depends_on: Vec<RestoreAction>, preview: Vec<String>| {
        steps.push(Step::pending(
            StepKind::Restore(action),
            depends_on.into_iter().map(StepKind::Restore).collect(),
            preview,
        ));
    };

    // The account.
    let account = if snapshot.synced {
        did.changed(StepKind::AdDisable).then(|| {
            let dn = did.ad_before.as_ref().map(|a| a.dn.as_str());
            add(
                RestoreAction::AdEnable,
                vec![],
                vec![format!(
                    "clear ACCOUNTDISABLE in userAccountControl of the AD account {} (through the agent); the cloud account follows at the next directory sync",
                    dn.or(snapshot.on_premises_sam_account_name.as_deref())
                        .unwrap_or(&snapshot.user.id)
                )],
            );
            RestoreAction::AdEnable
        })
    } else {
        did.changed(StepKind::BlockSignIn).then(|| {
            add(
                RestoreAction::EnableSignIn,
                vec![],
                vec![format!("set accountEnabled=true on {}", snapshot.user.id)],
            );
            RestoreAction::EnableSignIn
        })
    };
    let after_account: Vec<RestoreAction> = account.into_iter().collect();

    // The AD account's OU and groups, which the AD clean-up took (AD first, after the enable).
    let ad_back = if snapshot.synced && did.changed(StepKind::AdCleanup) {
        did.ad_before.clone()
    } else {
        None
    };
    if let Some(ad) = &ad_back {
        let mut preview = vec![format!(
            "move the AD account back to {} (where it lived), through the agent",
            parent_dn(&ad.dn)
        )];
        preview.extend(
            ad.member_of
                .iter()
                .map(|g| format!("add the AD account to group {g}")),
        );
        add(RestoreAction::AdGroupsAndOu, after_account.clone(), preview);
    }

    // Groups, licences, app roles.
    let groups: Vec<String> = snapshot
        .groups
        .iter()
        .filter(|g| g.direct && g.removable)
        .map(group_name)
        .collect();
    let mut access_back = after_account.clone();
    if did.changed(StepKind::RemoveGroups) && !groups.is_empty() {
        add(
            RestoreAction::Groups,
            after_account.clone(),
            groups.iter().map(|g| format!("add to group {g}")).collect(),
        );
        access_back.push(RestoreAction::Groups);
    }
    let direct: Vec<&super::facts::LicenceFact> =
        snapshot.licences.iter().filter(|l| l.direct).collect();
    if did.changed(StepKind::RemoveLicences) && !direct.is_empty() {
        let mut preview: Vec<String> = direct
            .iter()
            .map(|l| {
                let name = l.sku_part_number.as_deref().unwrap_or(&l.sku_id);
                if l.disabled_plans.is_empty() {
                    format!("assign {name} ({})", l.sku_id)
                } else {
                    format!(
                        "assign {name} ({}) with {} plan(s) off as before",
                        l.sku_id,
                        l.disabled_plans.len()
                    )
                }
            })
            .collect();
        if snapshot.licences.iter().any(|l| !l.via_groups.is_empty()) {
            preview.push("group-based licences come back with their groups".into());
        }
        add(RestoreAction::Licences, after_account.clone(), preview);
        access_back.push(RestoreAction::Licences);
    }
    if did.changed(StepKind::RemoveAppRoles) && !snapshot.app_roles.is_empty() {
        add(
            RestoreAction::AppRoles,
            after_account.clone(),
            snapshot
                .app_roles
                .iter()
                .map(|a| {
                    format!(
                        "assign app role {} on {}",
                        a.app_role_id.as_deref().unwrap_or("?"),
                        a.resource_name
                            .as_deref()
                            .or(a.resource_id.as_deref())
                            .unwrap_or("?")
                    )
                })
                .collect(),
        );
    }

    // The mailbox.
    if let Some(mailbox) = &snapshot.mailbox {
        if did.changed(StepKind::ConvertMailbox) && mailbox.recipient_type == "UserMailbox" {
            add(
                RestoreAction::UserMailbox,
                access_back.clone(),
                vec![
                    "Set-Mailbox -Type Regular (a user mailbox again, once its licence is back)"
                        .into(),
                ],
            );
        }
        if did.changed(StepKind::AutoReply) {
            add(
                RestoreAction::AutoReplyOff,
                after_account.clone(),
                vec!["turn off the automatic reply the case set".into()],
            );
        }
        if did.changed(StepKind::HideFromAddressLists) && !mailbox.hidden && !snapshot.synced {
            add(
                RestoreAction::Unhide,
                after_account.clone(),
                vec!["Set-Mailbox -HiddenFromAddressListsEnabled $false".into()],
            );
        }
        if did.changed(StepKind::MailboxManagerAccess)
            && let Some(m) = &snapshot.manager
        {
            add(
                RestoreAction::ManagerAccessRemoved,
                after_account.clone(),
                vec![format!(
                    "Remove-MailboxPermission -User {} -AccessRights FullAccess (granted by the case)",
                    m.user_principal_name.as_deref().unwrap_or(&m.id)
                )],
            );
        }
    }

    ReversePlan {
        steps,
        second_approval: second_approval(snapshot, did),
        lost: lost(snapshot, did),
        ad_before: ad_back,
    }
}

/// The restore step a second approval releases: the directory roles the snapshot shows,
/// assigned again directory-wide.
pub fn roles_plan(snapshot: &Facts) -> ReversePlan {
    let preview = snapshot
        .directory_roles
        .iter()
        .map(|r| {
            format!(
                "assign the directory role {} ({}) directory-wide",
                r.role_name.as_deref().unwrap_or("?"),
                r.role_definition_id
            )
        })
        .collect();
    ReversePlan {
        steps: vec![Step::pending(
            StepKind::Restore(RestoreAction::DirectoryRoles),
            vec![],
            preview,
        )],
        second_approval: Vec::new(),
        lost: Vec::new(),
        ad_before: None,
    }
}

/// The parent of a distinguished name: everything after its first unescaped comma.
pub fn parent_dn(dn: &str) -> &str {
    let bytes = dn.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b',' => return dn[i + 1..].trim_start(),
            _ => i += 1,
        }
    }
    ""
}

fn second_approval(snapshot: &Facts, did: &CaseDid) -> Vec<SecondApproval> {
    if !did.changed(StepKind::RemoveDirectoryRoles) || snapshot.directory_roles.is_empty() {
        return Vec::new();
    }
    vec![SecondApproval {
        what: "directory roles".into(),
        items: snapshot
            .directory_roles
            .iter()
            .map(|r| {
                r.role_name
                    .clone()
                    .unwrap_or_else(|| r.role_definition_id.clone())
            })
            .collect(),
        how: "a restore never gives administrative roles back by itself: they wait for a second approval — POST /api/cases/{id}/restore/roles/approve (or /reject) with a reason, by an operator other than the one who asked for the restore and than anyone who approved the case — and are then assigned again directory-wide".into(),
    }]
}

fn lost(snapshot: &Facts, did: &CaseDid) -> Vec<Lost> {
    let mut out = Vec::new();
    let mut push = |step: StepKind, what: &str, items: Vec<String>, person: &str, manager: &str| {
        out.push(Lost {
            step,
            what: what.to_owned(),
            items,
            for_person: person.to_owned(),
            for_manager: manager.to_owned(),
        });
    };
    let ran = |k: StepKind| did.changed(k) || did.verified(k);
    if ran(StepKind::RevokeSessions) {
        push(
            StepKind::RevokeSessions,
            "sign-in sessions and refresh tokens were revoked",
            vec![],
            "sign in again in every app and on every device",
            "nothing to do",
        );
    }
    let reset = if snapshot.synced {
        StepKind::AdResetPassword
    } else {
        StepKind::ResetPassword
    };
    if ran(reset) {
        push(
            reset,
            "the password was replaced by a random one nobody knows",
            vec![],
            "get a temporary password or a Temporary Access Pass from the helpdesk (in person or by a verified call), then set a new password at first sign-in",
            "confirm the person's identity to the helpdesk",
        );
    }
    let methods: Vec<String> = snapshot
        .auth_methods
        .iter()
        .filter(|m| m.method_type != "password")
        .map(|m| m.method_type.clone())
        .collect();
    if did.changed(StepKind::RemoveAuthMethods) && !methods.is_empty() {
        push(
            StepKind::RemoveAuthMethods,
            "MFA methods were deleted",
            methods,
            "register the methods again at https://aka.ms/mysecurityinfo, signing in with a Temporary Access Pass",
            "ask IT for a Temporary Access Pass for the person",
        );
    }
    if ran(StepKind::RetireDevices) && !snapshot.devices.is_empty() {
        push(
            StepKind::RetireDevices,
            "managed devices were retired: company data and settings on them are gone",
            snapshot
                .devices
                .iter()
                .map(|d| d.name.clone().unwrap_or_else(|| d.id.clone()))
                .collect(),
            "enrol each device again (Company Portal); files kept only on the device do not come back",
            "arrange a replacement device where one was wiped",
        );
    }
    if did.changed(StepKind::WipeMobileMail) {
        push(
            StepKind::WipeMobileMail,
            "company mail was wiped from phones and their partnerships removed",
            vec![],
            "add the work account to the phone's mail app again",
            "nothing to do",
        );
    }
    if did.changed(StepKind::RemoveOauthGrants) && !snapshot.oauth_grants.is_empty() {
        push(
            StepKind::RemoveOauthGrants,
            "consents given to third-party apps were deleted",
            snapshot
                .oauth_grants
                .iter()
                .map(|g| g.client_id.clone())
                .collect(),
            "consent again when each app asks at the next sign-in",
            "nothing to do",
        );
    }
    if did.changed(StepKind::RevokeSharing) {
        push(
            StepKind::RevokeSharing,
            "sharing links on the OneDrive were removed (a removed link's URL never works again)",
            snapshot
                .sharing
                .iter()
                .flat_map(|s| &s.links)
                .map(|l| format!("{} ({})", l.path, l.scope))
                .collect(),
            "share each file again from OneDrive: a new link has a new URL",
            "send the new links to whoever needs them",
        );
    }
    if did.changed(StepKind::StopForwarding) {
        push(
            StepKind::StopForwarding,
            "mail forwarding and forwarding inbox rules were switched off",
            vec![],
            "switch forwarding or the rules on again if still wanted",
            "nothing to do",
        );
    }
    if did.changed(StepKind::CancelMeetings) {
        push(
            StepKind::CancelMeetings,
            "future meetings the person organised were cancelled",
            vec![],
            "send the meetings again",
            "tell the attendees the meetings are back",
        );
    }
    if did.changed(StepKind::RemoveMailboxRightsElsewhere) {
        push(
            StepKind::RemoveMailboxRightsElsewhere,
            "rights on other mailboxes (FullAccess, SendAs, SendOnBehalf) were removed",
            vec![],
            "ask each mailbox's owner for access again",
            "grant again the rights the person needs on shared mailboxes",
        );
    }
    if did.changed(StepKind::HoldMailbox) {
        push(
            StepKind::HoldMailbox,
            "the mailbox stays on litigation hold (a restore never lifts a hold)",
            vec![],
            "nothing to do",
            "ask a compliance administrator to lift the hold if it is not needed",
        );
    }
    if did.changed(StepKind::OnedriveManagerAccess) {
        push(
            StepKind::OnedriveManagerAccess,
            "the manager keeps the access to the OneDrive the case gave",
            vec![],
            "nothing to do",
            "remove your own access to the person's OneDrive when no longer needed",
        );
    }
    if snapshot.synced && ran(StepKind::AdCleanup) {
        if did.changed(StepKind::AdCleanup) && did.ad_before.is_some() {
            // Its OU and groups come back (`restore:ad-groups-and-ou`).
            push(
                StepKind::AdCleanup,
                "in AD the account's description was stamped with the case and it was hidden from address lists",
                vec![],
                "nothing to do",
                "ask the AD administrators to clear the description stamp and unhide the account",
            );
        } else {
            // No agent record of where the account lived: listed for the AD administrators.
            let ad = did.ad_before.as_ref();
            let mut items: Vec<String> = ad
                .map(|a| a.member_of.iter().map(|g| format!("group {g}")).collect())
                .unwrap_or_default();
            if let Some(a) = ad {
                items.push(format!("the account lived at {}", a.dn));
            }
            push(
                StepKind::AdCleanup,
                "in AD the account left its groups, moved to the disabled-users OU, was stamped and hidden from address lists",
                items,
                "nothing to do",
                "ask the AD administrators to add the account back to its groups, move it back, clear the description stamp and unhide it",
            );
        }
    }
    for (kind, status) in &did.statuses {
        if let Some(connector) = kind.connector()
            && *status == StepStatus::Verified
        {
            push(
                *kind,
                &format!("the account in {connector} was deactivated"),
                vec![],
                "nothing to do",
                &format!("ask the {connector} administrators to reactivate the account"),
            );
        }
    }
    out
}

impl Plan {
    /// Adds a restore's steps to the plan, after the case had ended: steps already there (an
    /// earlier restore) are set pending again, so each runs again and finds its state restored;
    /// the seal waits for them and seals a new generation.
    pub fn add_restore(&mut self, reverse: &ReversePlan) {
        if reverse.ad_before.is_some() {
            self.restore_ad = reverse.ad_before.clone();
        }
        for step in &reverse.steps {
            match self.step_mut(step.kind) {
                Some(s) => {
                    s.status = StepStatus::Pending;
                    s.reason = None;
                    s.started_at = None;
                    s.finished_at = None;
                    s.lease_until = None;
                    s.lease_holder = None;
                    s.preview = step.preview.clone();
                }
                None => {
                    // Before the seal, so the plan stays in a topological order.
                    let at = self
                        .steps
                        .iter()
                        .position(|s| s.kind == StepKind::Seal)
                        .unwrap_or(self.steps.len());
                    self.steps.insert(at, step.clone());
                }
            }
        }
        if let Some(seal) = self.step_mut(StepKind::Seal) {
            seal.status = StepStatus::Pending;
            seal.finished_at = None;
            seal.lease_until = None;
            seal.lease_holder = None;
            for step in &reverse.steps {
                if !seal.depends_on.contains(&step.kind) {
                    seal.depends_on.push(step.kind);
                }
            }
        }
    }
}

/// The policy's `[restore]` section: when a rescind from HR restores on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestorePolicy {
    /// A rescind arriving after the effective time restores the case automatically when it
    /// arrives within this many days of the effective time; beyond (or with 0, the built-in
    /// value) it is refused as before, and only an operator's restore puts access back.
    #[serde(default)]
    pub rescind_within_days: u32,
}

impl RestorePolicy {
    /// Whether a rescind received at `now` for a termination effective at `effective_at`
    /// restores the case.
    pub fn restores_rescind(
        &self,
        effective_at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        self.rescind_within_days > 0
            && now - effective_at <= chrono::Duration::days(i64::from(self.rescind_within_days))
    }
}

#[cfg(test)]
#[path = "reverse_tests.rs"]
mod tests;
