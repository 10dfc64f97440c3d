//! The offboarding policy: which steps each termination kind runs, its SLA, and the
//! messages it leaves. A documented TOML file (`config/policy.toml`); the built-in default
//! is that file.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

use crate::event::TerminationKind;
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
    /// Whether intake cuts sign-in itself, before answering (the kill switch), instead of
    /// leaving it to the queued steps.
    pub inline_sign_in_cut: bool,
}

impl KindPolicy {
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
    inline_sign_in_cut: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncSection {
    verify_window_minutes: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    default: Section,
    #[serde(default)]
    kinds: BTreeMap<String, Section>,
    sync: SyncSection,
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
}

fn steps(names: &[String]) -> Result<BTreeSet<StepKind>, PolicyError> {
    names
        .iter()
        .map(|n| {
            StepKind::parse(n).ok_or_else(|| {
                PolicyError(format!(
                    "`{n}` in skip is not a step (steps: {})",
                    StepKind::ALL.map(|k| k.as_str()).join(", ")
                ))
            })
        })
        .collect()
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
            inline_sign_in_cut: d.inline_sign_in_cut.unwrap_or(true),
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
            if let Some(v) = s.inline_sign_in_cut {
                p.inline_sign_in_cut = v;
            }
            kinds.insert(kind, p);
        }
        Ok(Self {
            kinds,
            sync_verify_window_minutes: file.sync.verify_window_minutes,
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
mod tests {
    use super::*;

    #[test]
    fn the_builtin_policy_parses_and_overrides_per_kind() {
        let p = Policy::builtin();
        assert_eq!(p.for_kind(TerminationKind::ForCause).sla_minutes, 15);
        assert!(
            p.for_kind(TerminationKind::ForCause)
                .skip
                .contains(&StepKind::AutoReply)
        );
        assert_eq!(p.for_kind(TerminationKind::Voluntary).sla_minutes, 240);
        assert!(p.for_kind(TerminationKind::Voluntary).skip.is_empty());
        assert_eq!(p.sync_verify_window_minutes, 60);
        let text = p
            .for_kind(TerminationKind::Voluntary)
            .auto_reply_text("Ada", Some(("Grace", "grace@contoso.com")));
        assert!(
            text.contains("Ada") && text.contains("grace@contoso.com"),
            "{text}"
        );
        assert!(
            !p.for_kind(TerminationKind::Voluntary)
                .auto_reply_text("Ada", None)
                .contains("{manager")
        );
    }

    #[test]
    fn bad_files_name_the_problem() {
        let base = DEFAULT_POLICY.replace("skip = []", "skip = [\"nap\"]");
        assert!(Policy::parse(&base).unwrap_err().0.contains("`nap`"));
        let bad_kind = format!("{DEFAULT_POLICY}\n[kinds.sabbatical]\nsla_minutes = 1\n");
        assert!(
            Policy::parse(&bad_kind)
                .unwrap_err()
                .0
                .contains("sabbatical")
        );
        let seal = DEFAULT_POLICY.replace("skip = []", "skip = [\"seal\"]");
        assert!(Policy::parse(&seal).is_err());
        assert!(Policy::parse("[default]\nsla = 1").is_err());
    }

    #[test]
    fn the_inline_sign_in_cut_is_on_by_default_and_off_per_kind() {
        let p = Policy::builtin();
        assert!(
            TerminationKind::ALL
                .iter()
                .all(|k| p.for_kind(*k).inline_sign_in_cut)
        );
        let off = format!("{DEFAULT_POLICY}\n[kinds.retirement]\ninline_sign_in_cut = false\n");
        let p = Policy::parse(&off).unwrap();
        assert!(!p.for_kind(TerminationKind::Retirement).inline_sign_in_cut);
        assert!(p.for_kind(TerminationKind::Voluntary).inline_sign_in_cut);
    }
}
