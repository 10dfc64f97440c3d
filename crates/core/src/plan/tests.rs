//! The plan's shape for the leavers offboarding meets.

use chrono::{DateTime, Utc};

use super::*;
use crate::event::TerminationKind;
use crate::policy::Policy;

fn t() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn person(id: &str) -> PersonRef {
    PersonRef {
        id: id.into(),
        user_principal_name: Some(format!("{id}@contoso.com")),
        display_name: Some(id.into()),
        mail: Some(format!("{id}@contoso.com")),
    }
}

pub(super) fn full_cloud_user() -> Facts {
    Facts {
        user: person("ada"),
        resolved_by: "employeeId".into(),
        synced: false,
        employee_id: None,
        on_premises_sam_account_name: None,
        account_enabled: true,
        licences: vec![
            LicenceFact {
                sku_id: "e3".into(),
                sku_part_number: Some("SPE_E3".into()),
                direct: true,
                via_groups: vec![],
                disabled_plans: vec![],
            },
            LicenceFact {
                sku_id: "pbi".into(),
                sku_part_number: Some("POWER_BI_PRO".into()),
                direct: false,
                via_groups: vec!["g-lic".into()],
                disabled_plans: vec![],
            },
        ],
        groups: vec![
            GroupFact {
                id: "g-lic".into(),
                display_name: Some("Licensing".into()),
                kind: "security".into(),
                removable: true,
                assigns_licences: true,
                direct: true,
                privileged_roles: vec![],
            },
            GroupFact {
                id: "g-dyn".into(),
                display_name: Some("All staff".into()),
                kind: "dynamic".into(),
                removable: false,
                assigns_licences: false,
                direct: true,
                privileged_roles: vec![],
            },
        ],
        directory_roles: vec![],
        app_roles: vec![AppRoleFact {
            assignment_id: "ar1".into(),
            resource_name: Some("Salesforce".into()),
            resource_id: Some("sp-salesforce".into()),
            app_role_id: Some("role-user".into()),
        }],
        oauth_grants: vec![OAuthGrantFact {
            grant_id: "gr1".into(),
            client_id: "sp-expense".into(),
            resource_id: "sp-graph".into(),
            scope: "Mail.Read offline_access".into(),
        }],
        pim_eligibilities: vec![],
        owned_objects: vec![],
        auth_methods: vec![
            AuthMethodFact {
                id: "pw".into(),
                method_type: "password".into(),
            },
            AuthMethodFact {
                id: "ma".into(),
                method_type: "microsoftAuthenticator".into(),
            },
        ],
        devices: vec![DeviceFact {
            id: "d1".into(),
            name: Some("ADA-LAPTOP".into()),
            os: Some("Windows".into()),
        }],
        mailbox: Some(MailboxFact {
            recipient_type: "UserMailbox".into(),
            hidden: false,
            delegates: None,
        }),
        drive: Some(DriveFact {
            id: "drv".into(),
            web_url: None,
        }),
        sharing: Some(SharingFact {
            links: vec![
                link("i1", "/Budget.xlsx", "anonymous"),
                link("i2", "/Team", "users"),
            ],
            items_checked: 3,
            complete: true,
        }),
        manager: Some(person("grace")),
    }
}

fn plan(facts: Facts, kind: TerminationKind) -> Plan {
    let p = build(facts, Policy::builtin().for_kind(kind), t());
    p.validate().unwrap();
    p
}

fn status(p: &Plan, k: StepKind) -> StepStatus {
    p.step(k).unwrap().status
}

fn deps(p: &Plan, k: StepKind) -> Vec<StepKind> {
    p.step(k).unwrap().depends_on.clone()
}

#[test]
fn cloud_user_blocks_first_and_removes_licences_after_the_mailbox() {
    let p = plan(full_cloud_user(), TerminationKind::Voluntary);
    assert_eq!(p.ready(), vec![StepKind::BlockSignIn]);
    assert_eq!(
        deps(&p, StepKind::RevokeSessions),
        vec![StepKind::BlockSignIn]
    );
    let lic = deps(&p, StepKind::RemoveLicences);
    for k in [
        StepKind::ConvertMailbox,
        StepKind::MailboxManagerAccess,
        StepKind::AutoReply,
        StepKind::RemoveGroups,
    ] {
        assert!(
            lic.contains(&k),
            "remove-licences must wait for {k}: {lic:?}"
        );
    }
    assert!(deps(&p, StepKind::RemoveGroups).contains(&StepKind::ConvertMailbox));
    assert_eq!(status(&p, StepKind::AdDisable), StepStatus::NotApplicable);
    assert_eq!(
        status(&p, StepKind::RemoveDirectoryRoles),
        StepStatus::NotApplicable
    );
    let groups = &p.step(StepKind::RemoveGroups).unwrap().preview;
    assert!(
        groups
            .iter()
            .any(|l| l.contains("not removable") && l.contains("All staff")),
        "{groups:?}"
    );
    assert_eq!(
        p.step(StepKind::Seal).unwrap().depends_on.len(),
        p.steps.len() - 1
    );
}

#[test]
fn an_admin_leaver_loses_the_roles_before_anything_acts_on_the_account() {
    let mut facts = full_cloud_user();
    facts.directory_roles = vec![super::DirectoryRoleFact {
        assignment_id: "a1".into(),
        role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
        role_name: Some("Global Administrator".into()),
        privileged: true,
    }];
    let p = plan(facts, TerminationKind::Voluntary);
    // One step is ready, the same one every time: the roles.
    assert_eq!(p.ready(), vec![StepKind::RemoveDirectoryRoles]);
    assert!(deps(&p, StepKind::RemoveDirectoryRoles).is_empty());
    assert_eq!(
        deps(&p, StepKind::BlockSignIn),
        vec![StepKind::RemoveDirectoryRoles]
    );
    for k in [StepKind::RevokeSessions, StepKind::ResetPassword] {
        assert_eq!(deps(&p, k), vec![StepKind::BlockSignIn], "{k}");
    }
    // Shown in an order where each step follows what it waits for.
    let order: Vec<StepKind> = p.steps.iter().map(|s| s.kind).collect();
    for (i, s) in p.steps.iter().enumerate() {
        for d in &s.depends_on {
            let at = order.iter().position(|k| k == d).unwrap();
            assert!(at < i, "{} listed before {d}: {order:?}", s.kind);
        }
    }
}

#[test]
fn synced_user_disables_in_ad_and_verifies_after_sync() {
    let mut f = full_cloud_user();
    f.synced = true;
    f.on_premises_sam_account_name = Some("ada".into());
    let p = plan(f, TerminationKind::Voluntary);
    let mut ready = p.ready();
    ready.sort();
    assert_eq!(ready, vec![StepKind::AdDisable, StepKind::RevokeSessions]);
    assert_eq!(status(&p, StepKind::BlockSignIn), StepStatus::NotApplicable);
    assert!(
        p.step(StepKind::BlockSignIn)
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .contains("refuses accountEnabled")
    );
    assert_eq!(
        deps(&p, StepKind::VerifyCloudDisabled),
        vec![StepKind::AdDisable, StepKind::RevokeSessions]
    );
    assert_eq!(
        status(&p, StepKind::HideFromAddressLists),
        StepStatus::NotApplicable
    );
    assert_eq!(status(&p, StepKind::AdCleanup), StepStatus::Pending);
}

#[test]
fn missing_manager_mailbox_and_for_cause_policy() {
    let mut f = full_cloud_user();
    f.manager = None;
    f.mailbox = None;
    let p = plan(f, TerminationKind::ForCause);
    for k in [
        StepKind::ConvertMailbox,
        StepKind::MailboxManagerAccess,
        StepKind::AutoReply,
        StepKind::OnedriveManagerAccess,
    ] {
        assert_eq!(status(&p, k), StepStatus::NotApplicable, "{k}");
    }
    assert!(
        p.step(StepKind::OnedriveManagerAccess)
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .contains("no manager")
    );
    let p = plan(full_cloud_user(), TerminationKind::ForCause);
    assert_eq!(status(&p, StepKind::AutoReply), StepStatus::NotApplicable);
    assert!(
        p.step(StepKind::AutoReply)
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .contains("policy")
    );
}

#[test]
fn outcome_is_completed_only_when_everything_is_verified_or_not_applicable() {
    let mut p = plan(full_cloud_user(), TerminationKind::Voluntary);
    for s in p
        .steps
        .iter_mut()
        .filter(|s| s.status == StepStatus::Pending && s.kind != StepKind::Seal)
    {
        s.status = StepStatus::Verified;
        s.finished_at = Some(t());
    }
    assert!(p.is_finished());
    assert_eq!(p.outcome(), crate::case::CaseStatus::Completed);
    assert_eq!(p.ready(), vec![StepKind::Seal]);
    assert_eq!(p.sign_in_cut_at(), Some(t()));
    p.step_mut(StepKind::RemoveGroups).unwrap().status = StepStatus::Exception;
    assert_eq!(
        p.outcome(),
        crate::case::CaseStatus::CompletedWithExceptions
    );
}

#[test]
fn connectors_run_after_the_sign_in_cut_beside_microsoft_365_and_before_the_seal() {
    let policy = Policy::builtin();
    let sf = ConnectorName::parse("salesforce").unwrap();
    let gh = ConnectorName::parse("github").unwrap();
    let mut plan = build(
        full_cloud_user(),
        policy.for_kind(TerminationKind::Voluntary),
        t(),
    );
    let scim = |name, preview: &str| PlannedConnector {
        name,
        preview: vec![preview.into()],
        after: ConnectorAfter::SignInCut,
    };
    plan.add_connectors(vec![
        scim(sf, "deactivate in salesforce"),
        scim(gh, "deactivate in github"),
    ]);
    plan.validate().unwrap();
    for name in [sf, gh] {
        let s = plan.step(StepKind::Connector(name)).expect("planned");
        assert_eq!(s.depends_on, [StepKind::BlockSignIn]);
        assert_eq!(s.status, StepStatus::Pending);
        assert!(
            plan.step(StepKind::Seal)
                .unwrap()
                .depends_on
                .contains(&s.kind)
        );
    }
    // Shown just before the seal, by name.
    let tail: Vec<String> = plan
        .steps
        .iter()
        .rev()
        .take(3)
        .map(|s| s.kind.to_string())
        .collect();
    assert_eq!(tail, ["seal", "connector:salesforce", "connector:github"]);
    // Adding them again (a replayed plan) changes nothing.
    let before = plan.clone();
    plan.add_connectors(vec![scim(sf, "again")]);
    assert_eq!(plan, before);
    // A synced leaver's cut is the session revocation (AD is disabled beside it).
    let mut synced = full_cloud_user();
    synced.synced = true;
    let mut plan = build(synced, policy.for_kind(TerminationKind::Voluntary), t());
    let slack = ConnectorName::parse("slack").unwrap();
    plan.add_connectors(vec![
        scim(sf, "deactivate"),
        PlannedConnector {
            name: slack,
            preview: vec![],
            after: ConnectorAfter::CloudDisabled,
        },
    ]);
    assert_eq!(
        plan.step(StepKind::Connector(sf)).unwrap().depends_on,
        [StepKind::RevokeSessions]
    );
    // A system Entra's provisioning service feeds waits for the cloud account's disable,
    // which for a synced leaver is directory sync's.
    assert_eq!(
        plan.step(StepKind::Connector(slack)).unwrap().depends_on,
        [StepKind::VerifyCloudDisabled]
    );
    plan.validate().unwrap();
    // Ready once the cut is terminal, in parallel with the Microsoft 365 steps.
    plan.step_mut(StepKind::RevokeSessions).unwrap().status = StepStatus::Verified;
    plan.step_mut(StepKind::AdDisable).unwrap().status = StepStatus::Verified;
    assert!(plan.ready().contains(&StepKind::Connector(sf)));
}

#[test]
fn consented_apps_lose_their_grants_after_sign_in_is_cut() {
    let p = plan(full_cloud_user(), TerminationKind::Voluntary);
    assert_eq!(
        deps(&p, StepKind::RemoveOauthGrants),
        vec![StepKind::BlockSignIn]
    );
    let preview = &p.step(StepKind::RemoveOauthGrants).unwrap().preview;
    assert_eq!(preview.len(), 1);
    assert!(
        preview[0].contains("gr1")
            && preview[0].contains("sp-expense")
            && preview[0].contains("Mail.Read"),
        "{preview:?}"
    );

    let mut none = full_cloud_user();
    none.oauth_grants.clear();
    let p = plan(none, TerminationKind::Voluntary);
    assert_eq!(
        status(&p, StepKind::RemoveOauthGrants),
        StepStatus::NotApplicable
    );

    // A plan stored before the step existed still reads: no grants, nothing to do.
    let mut old = serde_json::to_value(full_cloud_user()).unwrap();
    old.as_object_mut().unwrap().remove("oauthGrants");
    let old: Facts = serde_json::from_value(old).unwrap();
    assert!(old.oauth_grants.is_empty());
}

#[test]
fn forwarding_stops_right_after_the_cut_and_the_hold_comes_before_any_licence() {
    let p = plan(full_cloud_user(), TerminationKind::Voluntary);
    assert_eq!(
        deps(&p, StepKind::StopForwarding),
        vec![StepKind::BlockSignIn]
    );
    assert_eq!(
        deps(&p, StepKind::ConvertMailbox),
        vec![StepKind::StopForwarding]
    );
    assert_eq!(
        deps(&p, StepKind::HoldMailbox),
        vec![StepKind::StopForwarding]
    );
    assert_eq!(
        deps(&p, StepKind::WipeMobileMail),
        vec![StepKind::StopForwarding]
    );
    for k in [StepKind::RemoveGroups, StepKind::RemoveLicences] {
        assert!(deps(&p, k).contains(&StepKind::HoldMailbox), "{k}");
    }
    // Rights elsewhere are taken after the cut; meetings are cancelled before licences go.
    assert_eq!(
        status(&p, StepKind::RemoveMailboxRightsElsewhere),
        StepStatus::Pending
    );
    assert_eq!(
        deps(&p, StepKind::RemoveMailboxRightsElsewhere),
        deps(&p, StepKind::StopForwarding)
    );
    assert_eq!(status(&p, StepKind::CancelMeetings), StepStatus::Pending);
    assert_eq!(
        deps(&p, StepKind::CancelMeetings),
        vec![StepKind::StopForwarding]
    );
    assert!(deps(&p, StepKind::RemoveLicences).contains(&StepKind::CancelMeetings));
    // Without a mailbox none of the mailbox's doors apply.
    let mut f = full_cloud_user();
    f.mailbox = None;
    let p = plan(f, TerminationKind::Voluntary);
    for k in [
        StepKind::StopForwarding,
        StepKind::HoldMailbox,
        StepKind::WipeMobileMail,
        StepKind::CancelMeetings,
    ] {
        assert_eq!(status(&p, k), StepStatus::NotApplicable, "{k}");
    }
    // Rights on other mailboxes need no mailbox of the leaver's own.
    assert_eq!(
        status(&p, StepKind::RemoveMailboxRightsElsewhere),
        StepStatus::Pending
    );
}

fn link(item: &str, path: &str, scope: &str) -> SharingLinkFact {
    SharingLinkFact {
        item_id: item.into(),
        path: path.into(),
        permission_id: format!("p-{item}"),
        scope: scope.into(),
        link_type: "view".into(),
    }
}

#[test]
fn revoke_sharing_removes_the_policy_s_scopes_after_the_cut_and_keeps_the_rest() {
    let p = plan(full_cloud_user(), TerminationKind::Voluntary);
    let s = p.step(StepKind::RevokeSharing).unwrap();
    assert_eq!(s.status, StepStatus::Pending);
    assert_eq!(s.depends_on, vec![StepKind::BlockSignIn]);
    assert!(s.preview[0].contains("anonymous view link on /Budget.xlsx (permission p-i1)"));
    assert!(
        s.preview.iter().all(|l| !l.contains("/Team")),
        "{:?}",
        s.preview
    );
    assert!(
        s.preview.iter().any(|l| l.contains("keep 1 link")),
        "{:?}",
        s.preview
    );
}

#[test]
fn revoke_sharing_does_not_apply_without_links_or_drive_or_scopes() {
    let mut f = full_cloud_user();
    if let Some(s) = f.sharing.as_mut() {
        s.links.retain(|l| l.scope == "users");
    }
    let p = plan(f.clone(), TerminationKind::Voluntary);
    let s = p.step(StepKind::RevokeSharing).unwrap();
    assert_eq!(s.status, StepStatus::NotApplicable);
    assert!(
        s.reason
            .as_deref()
            .unwrap()
            .contains("no sharing links of scope anonymous, organization")
    );

    // A walk that stopped at its bound plans the step: it walks again at run time.
    if let Some(s) = f.sharing.as_mut() {
        s.complete = false;
    }
    let p = plan(f.clone(), TerminationKind::Voluntary);
    assert_eq!(
        p.step(StepKind::RevokeSharing).unwrap().status,
        StepStatus::Pending
    );

    f.drive = None;
    f.sharing = None;
    let p = plan(f, TerminationKind::Voluntary);
    assert_eq!(
        p.step(StepKind::RevokeSharing).unwrap().reason.as_deref(),
        Some("no OneDrive")
    );

    let policy = Policy::parse(&crate::policy::DEFAULT_POLICY.replace(
        "remove_link_scopes = [\"anonymous\", \"organization\"]",
        "remove_link_scopes = []",
    ))
    .unwrap();
    let p = build(
        full_cloud_user(),
        policy.for_kind(TerminationKind::Voluntary),
        t(),
    );
    let s = p.step(StepKind::RevokeSharing).unwrap();
    assert_eq!(s.status, StepStatus::NotApplicable);
    assert!(
        s.reason
            .as_deref()
            .unwrap()
            .contains("remove_link_scopes = []")
    );
}
