//! The reverse plan for the leavers a restore meets.

use chrono::{DateTime, Utc};

use super::*;
use crate::event::TerminationKind;
use crate::plan::tests::full_cloud_user;
use crate::plan::{DirectoryRoleFact, build};
use crate::policy::Policy;

fn kinds(p: &ReversePlan) -> Vec<StepKind> {
    p.steps.iter().map(|s| s.kind).collect()
}

fn deps(p: &ReversePlan, a: RestoreAction) -> Vec<StepKind> {
    p.steps
        .iter()
        .find(|s| s.kind == StepKind::Restore(a))
        .map(|s| s.depends_on.clone())
        .unwrap_or_else(|| panic!("{a} is planned"))
}

/// A case whose every step verified and sent its own change.
fn did_everything() -> CaseDid {
    let mut did = CaseDid::default();
    for k in StepKind::ALL {
        did.statuses.insert(k, StepStatus::Verified);
        did.changed.insert(k);
    }
    did
}

fn lost_steps(p: &ReversePlan) -> Vec<StepKind> {
    p.lost.iter().map(|l| l.step).collect()
}

#[test]
fn a_cloud_only_leaver_gets_back_what_the_case_took_in_the_termination_order() {
    let snapshot = full_cloud_user();
    let p = reverse(&snapshot, &did_everything());
    use RestoreAction::*;
    assert_eq!(
        kinds(&p),
        [
            EnableSignIn,
            Groups,
            Licences,
            AppRoles,
            UserMailbox,
            AutoReplyOff,
            Unhide,
            ManagerAccessRemoved
        ]
        .map(StepKind::Restore)
    );
    assert!(p.steps.iter().all(|s| s.status == StepStatus::Pending));
    // The account first; the user mailbox only once its groups and licences are back.
    assert!(deps(&p, EnableSignIn).is_empty());
    assert_eq!(deps(&p, Groups), vec![StepKind::Restore(EnableSignIn)]);
    assert_eq!(
        deps(&p, UserMailbox),
        [EnableSignIn, Groups, Licences].map(StepKind::Restore)
    );
    // Only the direct, Graph-removable group; only the direct licence, with a note for the
    // group-based one.
    let groups = &p.steps[1].preview;
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert!(groups[0].contains("g-lic"));
    let licences = &p.steps[2].preview;
    assert!(licences[0].contains("SPE_E3"));
    assert!(
        licences
            .iter()
            .any(|l| l.contains("come back with their groups"))
    );
    assert!(p.steps[3].preview[0].contains("role-user"));

    // What cannot come back, each with what to do.
    let lost = lost_steps(&p);
    for k in [
        StepKind::RevokeSessions,
        StepKind::ResetPassword,
        StepKind::RemoveAuthMethods,
        StepKind::RetireDevices,
    ] {
        assert!(lost.contains(&k), "{k} is listed: {lost:?}");
    }
    let mfa = p
        .lost
        .iter()
        .find(|l| l.step == StepKind::RemoveAuthMethods)
        .unwrap();
    assert_eq!(
        mfa.items,
        vec!["microsoftAuthenticator"],
        "not the password"
    );
    assert!(
        p.lost
            .iter()
            .all(|l| !l.for_person.is_empty() && !l.for_manager.is_empty())
    );
    let devices = p
        .lost
        .iter()
        .find(|l| l.step == StepKind::RetireDevices)
        .unwrap();
    assert_eq!(devices.items, vec!["ADA-LAPTOP"]);
    assert!(p.second_approval.is_empty(), "no directory role was held");
}

#[test]
fn what_the_case_did_not_change_is_not_undone() {
    let snapshot = full_cloud_user();
    let mut did = did_everything();
    // The account was already disabled, the manager already had access, the mailbox was
    // already hidden when the case came: those steps verified by reading alone.
    for k in [
        StepKind::BlockSignIn,
        StepKind::MailboxManagerAccess,
        StepKind::RemoveLicences,
    ] {
        did.changed.remove(&k);
    }
    let mut hidden = snapshot.clone();
    if let Some(m) = hidden.mailbox.as_mut() {
        m.hidden = true;
    }
    let p = reverse(&hidden, &did);
    let k = kinds(&p);
    for absent in [
        RestoreAction::EnableSignIn,
        RestoreAction::ManagerAccessRemoved,
        RestoreAction::Licences,
        RestoreAction::Unhide,
    ] {
        assert!(!k.contains(&StepKind::Restore(absent)), "{absent}: {k:?}");
    }
    // Nothing to wait for: the groups run at once.
    assert!(deps(&p, RestoreAction::Groups).is_empty());

    // A case that changed nothing restores nothing.
    let none = reverse(&snapshot, &CaseDid::default());
    assert!(none.steps.is_empty() && none.lost.is_empty());
}

#[test]
fn a_synced_leaver_is_enabled_in_ad_first_and_roles_wait_for_a_second_approval() {
    let mut snapshot = full_cloud_user();
    snapshot.synced = true;
    snapshot.on_premises_sam_account_name = Some("ada".into());
    snapshot.directory_roles = vec![DirectoryRoleFact {
        assignment_id: "ra1".into(),
        role_definition_id: "fe930be7".into(),
        role_name: Some("Helpdesk Administrator".into()),
        privileged: false,
    }];
    let mut did = did_everything();
    did.ad_before = Some(AdBefore {
        dn: "CN=Ada,OU=Staff,DC=corp,DC=example".into(),
        disabled: false,
        member_of: vec!["CN=Finance,OU=Groups,DC=corp,DC=example".into()],
    });
    let p = reverse(&snapshot, &did);
    let k = kinds(&p);
    assert_eq!(k[0], StepKind::Restore(RestoreAction::AdEnable));
    assert!(p.steps[0].preview[0].contains("OU=Staff"));
    assert!(!k.contains(&StepKind::Restore(RestoreAction::EnableSignIn)));
    assert!(
        !k.contains(&StepKind::Restore(RestoreAction::Unhide)),
        "hidden in AD for a synced leaver"
    );
    assert_eq!(
        deps(&p, RestoreAction::Groups),
        vec![StepKind::Restore(RestoreAction::AdEnable)]
    );
    assert!(StepKind::Restore(RestoreAction::AdEnable).is_on_prem());
    assert_eq!(p.second_approval.len(), 1);
    assert_eq!(p.second_approval[0].items, vec!["Helpdesk Administrator"]);
    // The AD clean-up's OU and groups come back through the agent, after the enable; only
    // the stamp and the hiding are listed.
    assert_eq!(k[1], StepKind::Restore(RestoreAction::AdGroupsAndOu));
    assert_eq!(
        deps(&p, RestoreAction::AdGroupsAndOu),
        vec![StepKind::Restore(RestoreAction::AdEnable)]
    );
    assert!(StepKind::Restore(RestoreAction::AdGroupsAndOu).is_on_prem());
    let preview = &p.steps[1].preview;
    assert!(
        preview[0].contains("back to OU=Staff,DC=corp,DC=example"),
        "{preview:?}"
    );
    assert!(preview.iter().any(|l| l.contains("CN=Finance")));
    assert_eq!(p.ad_before, did.ad_before);
    let ad = p
        .lost
        .iter()
        .find(|l| l.step == StepKind::AdCleanup)
        .expect("the AD clean-up is listed");
    assert!(ad.items.is_empty() && ad.what.contains("stamped"), "{ad:?}");
    let mut ended = build(
        snapshot.clone(),
        Policy::builtin().for_kind(TerminationKind::Voluntary),
        t(),
    );
    ended.add_restore(&p);
    assert_eq!(
        ended.restore_ad, did.ad_before,
        "the step finds where to go back"
    );

    // Without the agent's record of the account before, the AD clean-up is only listed.
    let mut unknown = did.clone();
    unknown.ad_before = None;
    let q = reverse(&snapshot, &unknown);
    assert!(!kinds(&q).contains(&StepKind::Restore(RestoreAction::AdGroupsAndOu)));
    assert!(
        q.lost
            .iter()
            .any(|l| l.step == StepKind::AdCleanup && l.what.contains("left its groups"))
    );

    // Already disabled in AD before the case: nothing to enable.
    did.changed.remove(&StepKind::AdDisable);
    assert!(
        !kinds(&reverse(&snapshot, &did)).contains(&StepKind::Restore(RestoreAction::AdEnable))
    );
}

fn t() -> DateTime<Utc> {
    "2026-11-26T10:00:00Z".parse().unwrap()
}

#[test]
fn a_restore_joins_the_ended_plan_before_its_seal_and_a_second_one_runs_the_same_steps() {
    let snapshot = full_cloud_user();
    let mut plan = build(
        snapshot.clone(),
        Policy::builtin().for_kind(TerminationKind::Voluntary),
        t(),
    );
    for s in &mut plan.steps {
        s.status = StepStatus::Verified;
    }
    let reverse = reverse(&snapshot, &did_everything());
    plan.add_restore(&reverse);
    plan.validate().unwrap();
    assert_eq!(plan.steps.last().unwrap().kind, StepKind::Seal);
    let seal = plan.step(StepKind::Seal).unwrap();
    assert_eq!(seal.status, StepStatus::Pending);
    for s in &reverse.steps {
        assert!(seal.depends_on.contains(&s.kind));
    }
    assert_eq!(
        plan.ready(),
        vec![StepKind::Restore(RestoreAction::EnableSignIn)]
    );
    assert!(!plan.is_finished());

    // The restore ran; a second one sets the same steps pending again, adding none.
    for s in &mut plan.steps {
        s.status = StepStatus::Verified;
    }
    let len = plan.steps.len();
    plan.add_restore(&reverse);
    assert_eq!(plan.steps.len(), len);
    assert_eq!(
        plan.ready(),
        vec![StepKind::Restore(RestoreAction::EnableSignIn)]
    );
    // Restore steps show after the seal, in running order.
    let mut shown: Vec<StepKind> = plan.steps.iter().map(|s| s.kind).collect();
    shown.sort_by_key(|k| k.display_order());
    assert_eq!(shown[shown.len() - reverse.steps.len() - 1], StepKind::Seal);
    let json = serde_json::to_value(&plan).unwrap();
    let back: Plan = serde_json::from_value(json).unwrap();
    assert_eq!(back, plan, "restore steps read back by their names");
}

#[test]
fn a_rescind_restores_only_within_the_policy_days() {
    let off = RestorePolicy::default();
    assert!(!off.restores_rescind(t(), t()));
    let week = RestorePolicy {
        rescind_within_days: 7,
    };
    assert!(week.restores_rescind(t(), t() + chrono::Duration::days(7)));
    assert!(!week.restores_rescind(t(), t() + chrono::Duration::days(8)));
    let p = Policy::parse(
        &crate::policy::DEFAULT_POLICY
            .replace("rescind_within_days = 0", "rescind_within_days = 7"),
    )
    .unwrap();
    assert_eq!(p.restore, week);
    assert_eq!(Policy::builtin().restore, off);
}

#[test]
fn the_parent_of_a_dn_skips_escaped_commas() {
    use super::parent_dn;
    assert_eq!(parent_dn("CN=Ada,OU=Staff,DC=corp"), "OU=Staff,DC=corp");
    assert_eq!(
        parent_dn("CN=Lovelace\\, Ada,OU=Staff,DC=corp"),
        "OU=Staff,DC=corp"
    );
    assert_eq!(parent_dn("DC=corp"), "");
}
