//! Deleting the leaver's account in the plan (issue 16, `delete-account`): the policy's
//! `[delete_account]` section, the step as the planner schedules it, and the follow-up's life on
//! the case's plan — anchored to the effective time, released by the scheduler when it falls
//! due, cancelled by a restore or a rescind.
//!
//! The step is not part of the case's first run: it is planned [`StepStatus::Scheduled`] with a
//! `not_before`, the case ends and is sealed without it, and days later the scheduler releases
//! it on the same case, whose seal then waits for it and seals a new generation.

use chrono::{DateTime, Utc};

use super::builder::Builder;
use super::dag::Plan;
use super::delete_account_policy::{DeleteAccountPolicy, SOFT_DELETE_DAYS};
use super::facts::Facts;
use super::step::{Step, StepKind, StepStatus};

/// Plans `delete-account` as a follow-up scheduled `after_days` after `now` (the engine anchors
/// it to the effective time: [`Plan::schedule_follow_ups`]).
pub(super) fn plan(b: &mut Builder<'_>, facts: &Facts, now: DateTime<Utc>) {
    let policy = b.policy.delete_account;
    if !policy.enabled {
        return b.na(
            StepKind::DeleteAccount,
            "the policy keeps accounts ([delete_account] enabled = false)",
        );
    }
    if b.policy.skip.contains(&StepKind::DeleteAccount) {
        return b.na(
            StepKind::DeleteAccount,
            "left out by the policy for this termination kind",
        );
    }
    let upn = facts
        .user
        .user_principal_name
        .as_deref()
        .unwrap_or(&facts.user.id);
    let days = policy.after_days;
    let what = if !facts.synced {
        format!(
            "{days} day(s) after the effective time, delete the cloud account {upn} (restorable from deleted items for {SOFT_DELETE_DAYS} days, then gone for good)"
        )
    } else if policy.synced_via_ad {
        let ad = facts.on_premises_sam_account_name.as_deref().unwrap_or(upn);
        format!(
            "{days} day(s) after the effective time, delete the AD account {ad} through the on-prem agent; directory sync then deletes the cloud account"
        )
    } else {
        format!(
            "{days} day(s) after the effective time, record an exception naming the AD object of {upn} to delete in AD (synced from on-premises: Graph refuses to delete it, and [delete_account] synced_via_ad = false)"
        )
    };
    let mut step = Step::pending(StepKind::DeleteAccount, Vec::new(), vec![what]);
    step.status = StepStatus::Scheduled;
    step.not_before = Some(policy.due_at(now));
    b.steps.push(step);
}

impl Plan {
    /// Anchors the scheduled follow-ups to the termination's effective time (the planner
    /// counted from when it planned).
    pub fn schedule_follow_ups(
        &mut self,
        effective_at: DateTime<Utc>,
        policy: &DeleteAccountPolicy,
    ) {
        for s in &mut self.steps {
            if s.status == StepStatus::Scheduled && s.kind == StepKind::DeleteAccount {
                s.not_before = Some(policy.due_at(effective_at));
            }
        }
    }

    /// When the earliest scheduled follow-up falls due, if any.
    pub fn follow_up_at(&self) -> Option<DateTime<Utc>> {
        self.steps
            .iter()
            .filter(|s| s.status == StepStatus::Scheduled)
            .filter_map(|s| s.not_before)
            .min()
    }

    /// Releases the follow-ups due at `now`: each is queued, and the seal waits for it again
    /// (so the case is sealed a new generation once it ends). Returns the released kinds.
    pub fn release_follow_ups(&mut self, now: DateTime<Utc>) -> Vec<StepKind> {
        let mut released = Vec::new();
        for s in &mut self.steps {
            if s.status == StepStatus::Scheduled && s.not_before.is_some_and(|t| t <= now) {
                s.status = StepStatus::Queued;
                s.started_at = Some(now);
                released.push(s.kind);
            }
        }
        if !released.is_empty()
            && let Some(seal) = self.step_mut(StepKind::Seal)
        {
            seal.status = StepStatus::Pending;
            seal.finished_at = None;
            seal.lease_until = None;
            seal.lease_holder = None;
            for k in &released {
                if !seal.depends_on.contains(k) {
                    seal.depends_on.push(*k);
                }
            }
        }
        released
    }

    /// Cancels the follow-ups still scheduled (a restore or a rescind: the person may be back),
    /// recording `why` on each. Returns the cancelled kinds.
    pub fn cancel_follow_ups(&mut self, why: &str, now: DateTime<Utc>) -> Vec<StepKind> {
        let mut cancelled = Vec::new();
        for s in &mut self.steps {
            if s.status == StepStatus::Scheduled {
                s.status = StepStatus::NotApplicable;
                s.reason = Some(why.to_owned());
                s.finished_at = Some(now);
                cancelled.push(s.kind);
            }
        }
        cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::delete_account_policy::gone_for_good_at;
    use crate::policy::Policy;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn facts(synced: bool) -> Facts {
        serde_json::from_value(serde_json::json!({
            "user": {"id": "u1", "userPrincipalName": "ada@contoso.example"},
            "resolvedBy": "employeeId", "synced": synced, "accountEnabled": true,
            "onPremisesSamAccountName": if synced { Some("ada") } else { None },
            "licences": [], "groups": [], "directoryRoles": [], "appRoles": [],
            "authMethods": [], "devices": [],
        }))
        .unwrap()
    }

    /// The built-in policy with its `[delete_account]` section (the file's last) replaced.
    fn policy_text(section: &str) -> String {
        let (before, _) = crate::policy::DEFAULT_POLICY
            .split_once("\n[delete_account]\n")
            .expect("the built-in policy has [delete_account]");
        format!("{before}\n[delete_account]\n{section}\n")
    }

    fn policy(section: &str) -> Policy {
        Policy::parse(&policy_text(section)).unwrap()
    }

    fn planned(policy: &Policy, synced: bool) -> Plan {
        crate::plan::build(
            facts(synced),
            policy.for_kind(crate::event::TerminationKind::Voluntary),
            t("2027-01-01T09:00:00Z"),
        )
    }

    #[test]
    fn off_by_default_it_does_not_apply() {
        let p = planned(&Policy::builtin(), false);
        let s = p.step(StepKind::DeleteAccount).unwrap();
        assert_eq!(s.status, StepStatus::NotApplicable);
        assert!(s.reason.as_deref().unwrap().contains("enabled = false"));
        assert_eq!(
            Policy::builtin()
                .for_kind(crate::event::TerminationKind::Voluntary)
                .delete_account,
            DeleteAccountPolicy::default()
        );
    }

    #[test]
    fn enabled_it_is_scheduled_after_the_case_and_the_case_ends_without_it() {
        let policy = policy("enabled = true\nafter_days = 30");
        let mut p = planned(&policy, false);
        p.schedule_follow_ups(
            t("2026-12-31T17:00:00Z"),
            &policy
                .for_kind(crate::event::TerminationKind::Voluntary)
                .delete_account,
        );
        let s = p.step(StepKind::DeleteAccount).unwrap();
        assert_eq!(s.status, StepStatus::Scheduled);
        assert_eq!(
            s.not_before,
            Some(t("2027-01-30T17:00:00Z")),
            "30 days after the effective time"
        );
        assert!(s.preview[0].contains("delete the cloud account ada@contoso.example"));
        let seal = p.step(StepKind::Seal).unwrap();
        assert!(!seal.depends_on.contains(&StepKind::DeleteAccount));
        assert!(p.validate().is_ok());
        // Every other step done: the case ends (clean) and is sealed without the follow-up.
        for s in &mut p.steps {
            if s.kind != StepKind::DeleteAccount && !s.status.is_terminal() {
                s.status = StepStatus::Verified;
            }
        }
        assert!(p.is_finished());
        assert_eq!(p.outcome(), crate::case::CaseStatus::Completed);
        assert_eq!(p.follow_up_at(), Some(t("2027-01-30T17:00:00Z")));

        // Not yet due: nothing released. Due: queued, and the seal waits for it again.
        assert!(p.release_follow_ups(t("2027-01-30T16:59:59Z")).is_empty());
        assert_eq!(
            p.release_follow_ups(t("2027-01-30T17:00:00Z")),
            vec![StepKind::DeleteAccount]
        );
        assert_eq!(
            p.step(StepKind::DeleteAccount).unwrap().status,
            StepStatus::Queued
        );
        let seal = p.step(StepKind::Seal).unwrap();
        assert_eq!(seal.status, StepStatus::Pending);
        assert!(seal.depends_on.contains(&StepKind::DeleteAccount));
        assert!(!p.is_finished());
        assert_eq!(p.follow_up_at(), None);
        // Released once: a second tick releases nothing.
        assert!(p.release_follow_ups(t("2027-02-01T00:00:00Z")).is_empty());
    }

    #[test]
    fn a_restore_or_rescind_cancels_it_and_a_kind_can_leave_it_out() {
        let policy = policy("enabled = true\nafter_days = 0");
        let mut p = planned(&policy, false);
        assert_eq!(
            p.cancel_follow_ups("restored", t("2027-01-02T00:00:00Z")),
            vec![StepKind::DeleteAccount]
        );
        let s = p.step(StepKind::DeleteAccount).unwrap();
        assert_eq!(s.status, StepStatus::NotApplicable);
        assert_eq!(s.reason.as_deref(), Some("restored"));
        assert!(p.release_follow_ups(t("2027-02-01T00:00:00Z")).is_empty());

        let skipping = Policy::parse(&policy_text("enabled = true").replace(
            "skip = [\"auto-reply\"]",
            "skip = [\"auto-reply\", \"delete-account\"]",
        ))
        .unwrap();
        let p = crate::plan::build(
            facts(false),
            skipping.for_kind(crate::event::TerminationKind::ForCause),
            t("2027-01-01T09:00:00Z"),
        );
        assert_eq!(
            p.step(StepKind::DeleteAccount).unwrap().status,
            StepStatus::NotApplicable
        );
    }

    #[test]
    fn a_synced_leaver_is_deleted_in_ad_only_when_the_policy_says_so() {
        let via_ad = planned(&policy("enabled = true\nsynced_via_ad = true"), true);
        let s = via_ad.step(StepKind::DeleteAccount).unwrap();
        assert!(
            s.preview[0].contains("delete the AD account ada through the on-prem agent"),
            "{:?}",
            s.preview
        );
        let not = planned(&policy("enabled = true"), true);
        let s = not.step(StepKind::DeleteAccount).unwrap();
        assert_eq!(
            s.status,
            StepStatus::Scheduled,
            "the exception is recorded when it falls due"
        );
        assert!(
            s.preview[0].contains("record an exception"),
            "{:?}",
            s.preview
        );
    }

    #[test]
    fn the_section_refuses_unknown_names_and_defaults_to_off() {
        assert!(toml::from_str::<DeleteAccountPolicy>("days = 3").is_err());
        let empty: DeleteAccountPolicy = toml::from_str("").unwrap();
        assert_eq!(empty, DeleteAccountPolicy::default());
        assert!(!empty.enabled && empty.after_days == 30 && !empty.synced_via_ad);
        assert_eq!(
            gone_for_good_at(t("2027-01-01T00:00:00Z")),
            t("2027-01-31T00:00:00Z")
        );
    }
}
