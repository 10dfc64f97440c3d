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
    let v = p.for_kind(TerminationKind::Voluntary);
    assert_eq!(v.mailbox_hold, MailboxHold::Litigation);
    assert_eq!(v.mailbox_hold_days, None);
    assert_eq!(v.mobile_wipe, MobileWipe::AccountOnly);
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
    let rights = DEFAULT_POLICY.replace(
        "mailbox_rights_elsewhere = \"all\"",
        "mailbox_rights_elsewhere = \"shared_only\"",
    );
    assert_eq!(
        Policy::parse(&rights)
            .unwrap()
            .for_kind(TerminationKind::Voluntary)
            .mailbox_rights_elsewhere,
        RightsScope::SharedOnly
    );
    let meetings = DEFAULT_POLICY.replace("meetings = \"cancel\"", "meetings = \"leave\"");
    assert_eq!(
        Policy::parse(&meetings)
            .unwrap()
            .for_kind(TerminationKind::Voluntary)
            .meetings,
        MeetingsAction::Leave
    );
    let hold = DEFAULT_POLICY.replace(
        "mailbox_hold = \"litigation\"",
        "mailbox_hold = \"forever\"",
    );
    assert!(Policy::parse(&hold).is_err());
    let seal = DEFAULT_POLICY.replace("skip = []", "skip = [\"seal\"]");
    assert!(Policy::parse(&seal).is_err());
    assert!(Policy::parse("[default]\nsla = 1").is_err());
}

#[test]
fn the_brake_admits_the_lower_of_count_and_share_per_source() {
    let p = Policy::builtin();
    let generic = p.brake.for_source(Source::Generic).unwrap();
    assert_eq!(generic.window_minutes, 60);
    assert_eq!(generic.admitted(None), Some(25));
    let text = DEFAULT_POLICY
        .replace(
            "# max_percent_of_enabled = 2.0",
            "max_percent_of_enabled = 2.0",
        )
        .replace(
            "# [brake.sources.scim]\n# max_leavers = 10",
            "[brake.sources.scim]\nmax_leavers = 10",
        );
    let p = Policy::parse(&text).unwrap();
    let generic = p.brake.for_source(Source::Generic).unwrap();
    assert_eq!(generic.max_percent_hundredths, Some(200));
    assert_eq!(generic.admitted(Some(10_000)), Some(25));
    assert_eq!(generic.admitted(Some(500)), Some(10));
    assert_eq!(generic.admitted(Some(20)), Some(0));
    let scim = p.brake.for_source(Source::Scim).unwrap();
    assert_eq!(scim.admitted(Some(10_000)), Some(10));
    let off = Policy::parse(&DEFAULT_POLICY.replace("enabled = true", "enabled = false")).unwrap();
    assert_eq!(off.brake.for_source(Source::Generic), None);
    let bad = DEFAULT_POLICY.replace("# [brake.sources.scim]", "[brake.sources.workday]");
    assert!(Policy::parse(&bad).unwrap_err().0.contains("workday"));
    let pct = DEFAULT_POLICY.replace(
        "# max_percent_of_enabled = 2.0",
        "max_percent_of_enabled = 200.0",
    );
    assert!(Policy::parse(&pct).is_err());
}

#[test]
fn protected_people_are_named_groups_and_privileged_role_holders() {
    use crate::plan::facts::{DirectoryRoleFact, GroupFact};
    let text = DEFAULT_POLICY.replace(
        "protected_groups = []",
        "protected_groups = [\"Break Glass\"]",
    );
    let p = Policy::parse(&text).unwrap();
    let mut facts = Facts {
        directory_roles: vec![DirectoryRoleFact {
            assignment_id: "a".into(),
            role_definition_id: "r".into(),
            role_name: Some("Message Center Reader".into()),
            privileged: false,
        }],
        pim_eligibilities: Vec::new(),
        ..bare_facts()
    };
    assert_eq!(p.approval.protected(&facts), None);
    facts.groups.push(GroupFact {
        id: "g-1".into(),
        display_name: Some("break glass".into()),
        kind: "security".into(),
        removable: true,
        assigns_licences: false,
        direct: true,
    });
    facts.directory_roles[0].privileged = true;
    let why = p.approval.protected(&facts).unwrap();
    assert!(
        why.contains("break glass") && why.contains("Message Center Reader"),
        "{why}"
    );
    assert_eq!(p.approval.expire_after_minutes, 4320);
}

#[test]
fn a_leaver_only_eligible_for_a_privileged_role_is_protected() {
    use crate::plan::facts::DirectoryRoleFact;
    use crate::plan::pim_owners_facts::EligibilityFact;
    let p = Policy::builtin();
    let eligible = |privileged: bool, kind: EligibilityKind| EligibilityFact {
        kind,
        schedule_id: "s-1".into(),
        target_id: "role-or-group".into(),
        target_name: Some("Helpdesk Administrator".into()),
        scope: "/".into(),
        privileged,
    };
    let mut facts = Facts {
        directory_roles: Vec::<DirectoryRoleFact>::new(),
        pim_eligibilities: vec![
            eligible(false, EligibilityKind::DirectoryRole),
            eligible(true, EligibilityKind::Group),
        ],
        ..bare_facts()
    };
    assert_eq!(
        p.approval.protected(&facts),
        None,
        "an unprivileged role, or a group, protects nobody"
    );
    facts
        .pim_eligibilities
        .push(eligible(true, EligibilityKind::DirectoryRole));
    let why = p.approval.protected(&facts).expect("protected");
    assert_eq!(
        why,
        "eligible (PIM) for privileged role Helpdesk Administrator"
    );
    let mut off = p.approval.clone();
    off.protect_privileged_roles = false;
    assert_eq!(off.protected(&facts), None);
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

/// A leaver who holds nothing, for the protected-person tests to add to.
fn bare_facts() -> Facts {
    use crate::plan::facts::PersonRef;
    Facts {
        user: PersonRef {
            id: "u".into(),
            user_principal_name: None,
            display_name: None,
            mail: None,
        },
        resolved_by: "employeeId".into(),
        synced: false,
        employee_id: None,
        on_premises_sam_account_name: None,
        account_enabled: true,
        licences: vec![],
        groups: vec![],
        directory_roles: vec![],
        app_roles: vec![],
        auth_methods: vec![],
        devices: vec![],
        oauth_grants: vec![],
        pim_eligibilities: Vec::new(),
        owned_objects: Vec::new(),
        mailbox: None,
        drive: None,
        sharing: None,
        manager: None,
    }
}
