//! The offboarding policy: which steps each termination kind runs, its SLA, and the
//! messages it leaves. A documented TOML file (`config/policy.toml`); the built-in default
//! is that file.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

use crate::event::{Source, TerminationKind};
use crate::plan::facts::Facts;
use crate::plan::pim_owners_facts::EligibilityKind;
use crate::plan::step::StepKind;

/// The built-in policy (the repository's `config/policy.toml`).
pub const DEFAULT_POLICY: &str = include_str!("../../../config/policy.toml");

/// What to do with managed devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceAction {
    /// Retire: remove company data and management.
    Retire,
    /// Leave devices alone.
    None,
}

/// Whether the leaver's mailbox is put on hold before any licence goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxHold {
    /// Litigation hold (`LitigationHoldEnabled`), for `mailbox_hold_days` or unlimited.
    Litigation,
    /// No hold: the mailbox is kept as a shared mailbox only.
    None,
}

/// Whose mailboxes `remove-mailbox-rights-elsewhere` takes the leaver's rights off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RightsScope {
    /// Every mailbox (shared mailboxes first).
    All,
    /// Shared mailboxes only.
    SharedOnly,
    /// Leave rights on other mailboxes alone.
    None,
}

/// What happens to the future meetings the leaver organises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingsAction {
    /// Cancel them (series end at the effective time) with the policy's message.
    Cancel,
    /// Leave them for the manager.
    Leave,
}

/// What `wipe-mobile-mail` sends to the leaver's mobile mail partnerships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MobileWipe {
    /// Wipe company mail only (`Clear-MobileDevice -AccountOnly`), then remove the partnership.
    AccountOnly,
    /// Wipe the whole phone (factory reset), then remove the partnership.
    Full,
    /// Leave phones alone.
    None,
}

/// The effective policy for one termination kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindPolicy {
    /// Deadline for cutting sign-in, minutes after the effective time.
    pub sla_minutes: u32,
    /// Steps left out.
    pub skip: BTreeSet<StepKind>,
    /// Grant the manager full mailbox access.
    pub manager_mailbox_access: bool,
    /// Grant the manager OneDrive access.
    pub manager_onedrive_access: bool,
    /// Devices.
    pub device_action: DeviceAction,
    /// Automatic reply template.
    pub auto_reply: String,
    /// Sentence appended when there is a manager.
    pub auto_reply_manager: String,
    /// The company's name for messages.
    pub company_name: String,
    /// Mailbox hold before licences go.
    pub mailbox_hold: MailboxHold,
    /// Days a litigation hold keeps items; `None` is unlimited.
    pub mailbox_hold_days: Option<u32>,
    /// Rights on other mailboxes to remove.
    pub mailbox_rights_elsewhere: RightsScope,
    /// Future meetings the leaver organises.
    pub meetings: MeetingsAction,
    /// The cancellation message attendees receive.
    pub meeting_cancel_message: String,
    /// Mobile mail partnerships.
    pub mobile_wipe: MobileWipe,
    /// Whether intake cuts sign-in itself, before answering (the kill switch), instead of
    /// leaving it to the queued steps.
    pub inline_sign_in_cut: bool,
    /// Sharing links removed from the OneDrive (the file's `[sharing]`, for every kind).
    pub sharing: crate::plan::sharing_facts::SharingPolicy,
    /// Who takes over a group, app registration or service principal the leaver alone owns
    /// when the leaver has no manager (a UPN or object id); `None`: such objects are
    /// exceptions.
    pub fallback_owner: Option<String>,
    /// Whether and when the account is deleted (the file's `[delete_account]`, for every kind).
    pub delete_account: crate::plan::delete_account_policy::DeleteAccountPolicy,
}

impl KindPolicy {
    /// The message attendees of a cancelled meeting receive, for the leaver `name`.
    pub fn meeting_cancel_text(&self, name: &str) -> String {
        self.meeting_cancel_message
            .replace("{name}", name)
            .replace("{company}", &self.company_name)
    }

    /// The automatic reply for `name`, with the manager's sentence when there is one.
    pub fn auto_reply_text(&self, name: &str, manager: Option<(&str, &str)>) -> String {
        let fill = |t: &str| {
            let mut s = t
                .replace("{name}", name)
                .replace("{company}", &self.company_name);
            if let Some((m, mail)) = manager {
                s = s
                    .replace("{manager_name}", m)
                    .replace("{manager_mail}", mail);
            }
            s
        };
        match manager {
            Some(_) => format!(
                "{} {}",
                fill(&self.auto_reply),
                fill(&self.auto_reply_manager)
            ),
            None => fill(&self.auto_reply),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    sla_minutes: Option<u32>,
    skip: Option<Vec<String>>,
    manager_mailbox_access: Option<bool>,
    manager_onedrive_access: Option<bool>,
    device_action: Option<DeviceAction>,
    auto_reply: Option<String>,
    auto_reply_manager: Option<String>,
    company_name: Option<String>,
    mailbox_hold: Option<MailboxHold>,
    mailbox_hold_days: Option<u32>,
    mailbox_rights_elsewhere: Option<RightsScope>,
    meetings: Option<MeetingsAction>,
    meeting_cancel_message: Option<String>,
    mobile_wipe: Option<MobileWipe>,
    inline_sign_in_cut: Option<bool>,
    fallback_owner: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncSection {
    verify_window_minutes: u32,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BrakeLimitsSection {
    window_minutes: Option<u32>,
    max_leavers: Option<u32>,
    max_percent_of_enabled: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BrakeSection {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(flatten)]
    limits: BrakeLimitsSection,
    #[serde(default)]
    sources: BTreeMap<String, BrakeLimitsSection>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalSection {
    #[serde(default)]
    protected_groups: Vec<String>,
    #[serde(default = "yes")]
    protect_privileged_roles: bool,
    expire_after_minutes: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    default: Section,
    #[serde(default)]
    kinds: BTreeMap<String, Section>,
    sync: SyncSection,
    #[serde(default)]
    reconcile: crate::reconcile::policy::ReconcilePolicy,
    brake: Option<BrakeSection>,
    approval: ApprovalSection,
    #[serde(default)]
    restore: crate::plan::reverse::RestorePolicy,
    #[serde(default)]
    sharing: crate::plan::sharing_facts::SharingPolicy,
    #[serde(default)]
    delete_account: crate::plan::delete_account_policy::DeleteAccountPolicy,
}

/// The blast-radius brake for one source: how many terminations it may start in a sliding
/// window before the next ones are held for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrakeLimits {
    /// The window, in minutes.
    pub window_minutes: u32,
    /// At most this many terminations per window.
    pub max_leavers: Option<u32>,
    /// At most this share of the tenant's enabled accounts per window, in hundredths of a
    /// percent (`2.0` % is 200).
    pub max_percent_hundredths: Option<u32>,
}

impl BrakeLimits {
    /// How many terminations the window admits, given the tenant's enabled accounts (read
    /// only when a percentage is set): the lower of the two limits; `None` when neither is
    /// set (no brake).
    pub fn admitted(&self, enabled_accounts: Option<u64>) -> Option<u32> {
        let by_share = self
            .max_percent_hundredths
            .zip(enabled_accounts)
            .map(|(p, n)| {
                u32::try_from(n.saturating_mul(u64::from(p)) / 10_000).unwrap_or(u32::MAX)
            });
        match (self.max_leavers, by_share) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The blast-radius brake: limits per source (or none, when the policy has no `[brake]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrakePolicy {
    sources: BTreeMap<Source, BrakeLimits>,
}

impl BrakePolicy {
    /// The limits for terminations from `source`; `None` when the brake is off.
    pub fn for_source(&self, source: Source) -> Option<BrakeLimits> {
        self.sources.get(&source).copied()
    }
}

/// Who is always held for a second person's approval, and how long a hold lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalPolicy {
    /// Groups (object ids or display names) whose members are protected: break-glass
    /// accounts, executives, Tier-0 administrators.
    pub protected_groups: Vec<String>,
    /// Holders of a directory role Entra ID marks privileged are protected, whether they hold
    /// it now (an active assignment, their own or a role-assignable group's they are in) or
    /// may activate it (a PIM eligibility for the role, or for such a group).
    pub protect_privileged_roles: bool,
    /// A held case nobody decided on is rejected after this many minutes.
    pub expire_after_minutes: u32,
}

impl ApprovalPolicy {
    /// Whether anyone can be protected (a group named, or privileged roles protected).
    pub fn protects_anyone(&self) -> bool {
        self.protect_privileged_roles || !self.protected_groups.is_empty()
    }

    /// Why the leaver described by `facts` is protected, if they are.
    pub fn protected(&self, facts: &Facts) -> Option<String> {
        let mut why = Vec::new();
        for g in &facts.groups {
            if self.is_protected_group(&g.id, g.display_name.as_deref()) {
                why.push(format!(
                    "member of protected group {}",
                    g.display_name.as_deref().unwrap_or(&g.id)
                ));
            }
        }
        // A group the leaver may join at any time under PIM for Groups is as good as one
        // they are in.
        for e in facts
            .pim_eligibilities
            .iter()
            .filter(|e| e.kind == EligibilityKind::Group)
            .filter(|e| self.is_protected_group(&e.target_id, e.target_name.as_deref()))
        {
            why.push(format!(
                "eligible (PIM) for {} of protected group {}",
                e.scope,
                e.name()
            ));
        }
        if self.protect_privileged_roles {
            for r in facts.directory_roles.iter().filter(|r| r.privileged) {
                why.push(format!(
                    "holds privileged role {}",
                    r.role_name.as_deref().unwrap_or(&r.role_definition_id)
                ));
            }
            // A role-assignable group's members hold its roles.
            for g in facts
                .groups
                .iter()
                .filter(|g| !g.privileged_roles.is_empty())
            {
                why.push(format!(
                    "member of group {}, which holds privileged role {}",
                    g.display_name.as_deref().unwrap_or(&g.id),
                    g.privileged_roles.join(", ")
                ));
            }
            // An eligibility is a role the leaver can activate in minutes, unattended: as
            // much a privileged person as an active holder.
            for e in facts.pim_eligibilities.iter().filter(|e| e.privileged) {
                why.push(match e.kind {
                    EligibilityKind::DirectoryRole => {
                        format!("eligible (PIM) for privileged role {}", e.name())
                    }
                    EligibilityKind::Group => format!(
                        "eligible (PIM) for {} of group {}, which holds privileged role {}",
                        e.scope,
                        e.name(),
                        e.privileged_roles.join(", ")
                    ),
                });
            }
        }
        (!why.is_empty()).then(|| why.join("; "))
    }

    /// Whether the group `id` (named `name`) is one the policy protects, by id or name.
    fn is_protected_group(&self, id: &str, name: Option<&str>) -> bool {
        self.protected_groups
            .iter()
            .any(|p| p.eq_ignore_ascii_case(id) || name.is_some_and(|n| n.eq_ignore_ascii_case(p)))
    }
}

fn limits(
    base: &BrakeLimitsSection,
    over: Option<&BrakeLimitsSection>,
) -> Result<BrakeLimits, PolicyError> {
    let pick = |f: fn(&BrakeLimitsSection) -> Option<f64>| over.and_then(f).or(f(base));
    let window_minutes = over
        .and_then(|o| o.window_minutes)
        .or(base.window_minutes)
        .ok_or_else(|| PolicyError("[brake] needs `window_minutes`".into()))?;
    if window_minutes == 0 {
        return Err(PolicyError(
            "[brake] `window_minutes` must be at least 1".into(),
        ));
    }
    let percent = pick(|s| s.max_percent_of_enabled);
    let max_percent_hundredths = match percent {
        None => None,
        Some(p) if p > 0.0 && p <= 100.0 => Some((p * 100.0).round() as u32),
        Some(p) => {
            return Err(PolicyError(format!(
                "[brake] `max_percent_of_enabled` must be above 0 and at most 100 (got {p})"
            )));
        }
    };
    Ok(BrakeLimits {
        window_minutes,
        max_leavers: over.and_then(|o| o.max_leavers).or(base.max_leavers),
        max_percent_hundredths,
    })
}

fn brake(section: Option<&BrakeSection>) -> Result<BrakePolicy, PolicyError> {
    let mut sources = BTreeMap::new();
    let Some(b) = section.filter(|b| b.enabled) else {
        return Ok(BrakePolicy { sources });
    };
    for name in b.sources.keys() {
        if Source::ALL.iter().all(|s| s.as_str() != name) {
            return Err(PolicyError(format!(
                "[brake.sources.{name}] is not a source (sources: {})",
                Source::ALL.map(|s| s.as_str()).join(", ")
            )));
        }
    }
    for source in Source::ALL {
        sources.insert(source, limits(&b.limits, b.sources.get(source.as_str()))?);
    }
    Ok(BrakePolicy { sources })
}

/// A policy file offboard cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy: {0}")]
pub struct PolicyError(pub String);

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    kinds: BTreeMap<TerminationKind, KindPolicy>,
    /// Minutes directory sync may take to disable a synced cloud account.
    pub sync_verify_window_minutes: u32,
    /// What the reconciliation scan may do and which accounts it leaves alone.
    pub reconcile: crate::reconcile::policy::ReconcilePolicy,
    /// The blast-radius brake.
    pub brake: BrakePolicy,
    /// Protected people and how long a hold lasts.
    pub approval: ApprovalPolicy,
    /// When a rescind after the effective time restores the case.
    pub restore: crate::plan::reverse::RestorePolicy,
}

fn steps(names: &[String]) -> Result<BTreeSet<StepKind>, PolicyError> {
    names
        .iter()
        .map(|n| {
            StepKind::parse(n).ok_or_else(|| {
                PolicyError(format!(
                    "`{n}` in skip is not a step (steps: {})",
                    StepKind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        })
        .collect()
}

/// A `fallback_owner` as written: empty means none.
fn owner(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl Policy {
    /// Parses a policy file.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let file: File = toml::from_str(text).map_err(|e| PolicyError(e.to_string()))?;
        let d = &file.default;
        let required = |v: Option<String>, name: &str| {
            v.ok_or_else(|| PolicyError(format!("[default] needs `{name}`")))
        };
        let base = KindPolicy {
            sla_minutes: d
                .sla_minutes
                .ok_or_else(|| PolicyError("[default] needs `sla_minutes`".into()))?,
            skip: steps(d.skip.as_deref().unwrap_or_default())?,
            manager_mailbox_access: d.manager_mailbox_access.unwrap_or(true),
            manager_onedrive_access: d.manager_onedrive_access.unwrap_or(true),
            device_action: d.device_action.unwrap_or(DeviceAction::Retire),
            auto_reply: required(d.auto_reply.clone(), "auto_reply")?,
            auto_reply_manager: d.auto_reply_manager.clone().unwrap_or_default(),
            company_name: d
                .company_name
                .clone()
                .unwrap_or_else(|| "the company".into()),
            mailbox_hold: d.mailbox_hold.unwrap_or(MailboxHold::None),
            mailbox_hold_days: d.mailbox_hold_days.filter(|d| *d > 0),
            mailbox_rights_elsewhere: d.mailbox_rights_elsewhere.unwrap_or(RightsScope::None),
            meetings: d.meetings.unwrap_or(MeetingsAction::Leave),
            meeting_cancel_message: d.meeting_cancel_message.clone().unwrap_or_default(),
            mobile_wipe: d.mobile_wipe.unwrap_or(MobileWipe::None),
            inline_sign_in_cut: d.inline_sign_in_cut.unwrap_or(true),
            sharing: file.sharing.clone(),
            fallback_owner: owner(d.fallback_owner.as_deref()),
            delete_account: file.delete_account,
        };
        if base.skip.contains(&StepKind::Seal) {
            return Err(PolicyError("the seal step cannot be skipped".into()));
        }
        let mut kinds = BTreeMap::new();
        for kind in TerminationKind::ALL {
            kinds.insert(kind, base.clone());
        }
        for (name, s) in &file.kinds {
            let kind = TerminationKind::parse(name)
                .filter(|k| k.as_str() == name)
                .ok_or_else(|| PolicyError(format!("[kinds.{name}] is not a termination kind")))?;
            let mut p = base.clone();
            if let Some(v) = s.sla_minutes {
                p.sla_minutes = v;
            }
            if let Some(v) = &s.skip {
                p.skip = steps(v)?;
                if p.skip.contains(&StepKind::Seal) {
                    return Err(PolicyError("the seal step cannot be skipped".into()));
                }
            }
            if let Some(v) = s.manager_mailbox_access {
                p.manager_mailbox_access = v;
            }
            if let Some(v) = s.manager_onedrive_access {
                p.manager_onedrive_access = v;
            }
            if let Some(v) = s.device_action {
                p.device_action = v;
            }
            if let Some(v) = &s.auto_reply {
                p.auto_reply = v.clone();
            }
            if let Some(v) = &s.auto_reply_manager {
                p.auto_reply_manager = v.clone();
            }
            if let Some(v) = &s.company_name {
                p.company_name = v.clone();
            }
            if let Some(v) = s.mailbox_hold {
                p.mailbox_hold = v;
            }
            if let Some(v) = s.mailbox_hold_days {
                p.mailbox_hold_days = (v > 0).then_some(v);
            }
            if let Some(v) = s.mailbox_rights_elsewhere {
                p.mailbox_rights_elsewhere = v;
            }
            if let Some(v) = s.meetings {
                p.meetings = v;
            }
            if let Some(v) = &s.meeting_cancel_message {
                p.meeting_cancel_message = v.clone();
            }
            if let Some(v) = s.mobile_wipe {
                p.mobile_wipe = v;
            }
            if let Some(v) = s.inline_sign_in_cut {
                p.inline_sign_in_cut = v;
            }
            if s.fallback_owner.is_some() {
                p.fallback_owner = owner(s.fallback_owner.as_deref());
            }
            kinds.insert(kind, p);
        }
        if file.approval.expire_after_minutes == 0 {
            return Err(PolicyError(
                "[approval] `expire_after_minutes` must be at least 1".into(),
            ));
        }
        Ok(Self {
            kinds,
            sync_verify_window_minutes: file.sync.verify_window_minutes,
            reconcile: file.reconcile,
            brake: brake(file.brake.as_ref())?,
            approval: ApprovalPolicy {
                protected_groups: file.approval.protected_groups.clone(),
                protect_privileged_roles: file.approval.protect_privileged_roles,
                expire_after_minutes: file.approval.expire_after_minutes,
            },
            restore: file.restore,
        })
    }

    /// The built-in policy.
    pub fn builtin() -> Self {
        // The built-in file is tested below; failing here is a build defect.
        Self::parse(DEFAULT_POLICY).unwrap_or_else(|e| panic!("built-in policy is invalid: {e}"))
    }

    /// The policy for `kind`.
    pub fn for_kind(&self, kind: TerminationKind) -> &KindPolicy {
        // Every kind is inserted by `parse`.
        &self.kinds[&kind]
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
