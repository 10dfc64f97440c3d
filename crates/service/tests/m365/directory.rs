//! The planner's directory against the simulator: resolution that never guesses, and the
//! facts of the demo tenant's leavers, read without changing anything.

use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_service::engine::{Directory, Resolution};
use offboard_service::steps::StepFailure;

use crate::helpers::{env, ids, leaver, writes};

fn who(employee_id: Option<&str>, upn: Option<&str>, mail: Option<&str>) -> EmployeeIdentifiers {
    EmployeeIdentifiers::new(
        employee_id.map(str::to_owned),
        upn.map(str::to_owned),
        mail.map(str::to_owned),
        None,
    )
    .unwrap()
}

#[tokio::test]
async fn resolves_by_employee_id_first() {
    let e = env().await;
    let r = e
        .directory
        .resolve(&who(Some("E1001"), Some("AdeleV@contoso.com"), None))
        .await
        .unwrap();
    assert_eq!(
        r,
        Resolution::Found {
            user_id: ids::ADELE.into(),
            by: "employeeId".into()
        }
    );
    // All identifiers in one $batch round trip, and nothing changed.
    let log = e.sim.requests();
    assert_eq!(log.iter().filter(|l| l.path == "/$batch").count(), 1);
    assert_eq!(log.iter().filter(|l| l.batch_id.is_some()).count(), 2);
    assert!(writes(&e.sim).is_empty());
}

#[tokio::test]
async fn falls_back_to_upn_then_mail() {
    let e = env().await;
    let by_upn = e
        .directory
        .resolve(&who(Some("E9999"), Some("adelev@contoso.com"), None))
        .await
        .unwrap();
    assert_eq!(
        by_upn,
        Resolution::Found {
            user_id: ids::ADELE.into(),
            by: "userPrincipalName".into()
        }
    );
    let by_mail = e
        .directory
        .resolve(&who(None, None, Some("MeganB@contoso.com")))
        .await
        .unwrap();
    assert_eq!(
        by_mail,
        Resolution::Found {
            user_id: ids::MEGAN.into(),
            by: "mail".into()
        }
    );
}

#[tokio::test]
async fn nobody_found_lists_what_was_tried() {
    let e = env().await;
    let r = e
        .directory
        .resolve(&who(
            Some("E9999"),
            Some("ghost@contoso.com"),
            Some("ghost@contoso.com"),
        ))
        .await
        .unwrap();
    assert_eq!(
        r,
        Resolution::NotFound {
            tried: vec![
                "employeeId=E9999".into(),
                "userPrincipalName=ghost@contoso.com".into(),
                "mail=ghost@contoso.com".into()
            ]
        }
    );
}

#[tokio::test]
async fn two_accounts_with_one_employee_id_are_ambiguous() {
    let e = env().await;
    // HR reused an employee number: Alex now carries Adele's.
    e.sim.with_state(|t| {
        t.user_mut(ids::ALEX).unwrap().employee_id = Some("E1001".into());
    });
    let r = e
        .directory
        .resolve(&who(Some("E1001"), Some("AdeleV@contoso.com"), None))
        .await
        .unwrap();
    match r {
        Resolution::Ambiguous { by, mut candidates } => {
            assert_eq!(by, "employeeId");
            candidates.sort();
            assert_eq!(candidates, vec!["AdeleV@contoso.com", "AlexW@contoso.com"]);
        }
        other => panic!("expected ambiguous, got {other:?}"),
    }
}

#[tokio::test]
async fn identifiers_pointing_at_different_people_are_not_guessed() {
    let e = env().await;
    // The employee id is Adele's, the UPN Megan's: a human must decide.
    let r = e
        .directory
        .resolve(&who(Some("E1001"), Some("MeganB@contoso.com"), None))
        .await
        .unwrap();
    assert_eq!(
        r,
        Resolution::Ambiguous {
            by: "employeeId and userPrincipalName".into(),
            candidates: vec!["AdeleV@contoso.com".into(), "MeganB@contoso.com".into()]
        }
    );
}

#[tokio::test]
async fn a_throttled_lookup_asks_the_engine_to_wait() {
    let e = env().await;
    e.sim.throttle_next(1, 45);
    let err = e
        .directory
        .resolve(&who(Some("E1001"), None, None))
        .await
        .unwrap_err();
    match err {
        StepFailure::Throttled { retry_after, .. } => assert_eq!(retry_after.as_secs(), 45),
        other => panic!("expected throttled, got {other:?}"),
    }
}

#[tokio::test]
async fn facts_of_a_cloud_only_leaver_with_everything() {
    let e = env().await;
    let f = e.directory.facts(ids::ADELE, "employeeId").await.unwrap();
    assert_eq!(f.user.id, ids::ADELE);
    assert_eq!(
        f.user.user_principal_name.as_deref(),
        Some("AdeleV@contoso.com")
    );
    assert_eq!(f.resolved_by, "employeeId");
    assert!(!f.synced);
    assert!(f.on_premises_sam_account_name.is_none());
    assert!(f.account_enabled);
    // Direct E3 and Visio, with their part numbers.
    let mut lic: Vec<(String, bool)> = f
        .licences
        .iter()
        .map(|l| (l.sku_part_number.clone().unwrap(), l.direct))
        .collect();
    lic.sort();
    assert_eq!(
        lic,
        vec![("SPE_E3".into(), true), ("VISIOCLIENT".into(), true)]
    );
    assert!(f.licences.iter().all(|l| l.via_groups.is_empty()));
    // Six direct groups of every kind.
    let kind = |id: &str| {
        let g = f.groups.iter().find(|g| g.id == id).unwrap();
        (g.kind.as_str(), g.removable, g.direct)
    };
    assert_eq!(kind(ids::GROUP_RETAIL_M365), ("microsoft365", true, true));
    assert_eq!(kind(ids::GROUP_FINANCE_APPS), ("security", true, true));
    assert_eq!(kind(ids::GROUP_DYNAMIC_RETAIL), ("dynamic", false, true));
    assert_eq!(
        kind(ids::GROUP_MAIL_SECURITY),
        ("mailEnabledSecurity", false, true)
    );
    assert_eq!(kind(ids::GROUP_DISTRIBUTION), ("distribution", false, true));
    assert_eq!(kind(ids::GROUP_ROLE_ASSIGNABLE), ("security", true, true));
    assert_eq!(f.groups.len(), 6);
    assert!(f.directory_roles.is_empty());
    let mut apps: Vec<String> = f
        .app_roles
        .iter()
        .map(|a| a.resource_name.clone().unwrap())
        .collect();
    apps.sort();
    assert_eq!(apps, vec!["Salesforce", "ServiceNow"]);
    let mut methods: Vec<&str> = f
        .auth_methods
        .iter()
        .map(|m| m.method_type.as_str())
        .collect();
    methods.sort();
    assert_eq!(
        methods,
        vec![
            "fido2",
            "microsoftAuthenticator",
            "password",
            "phone",
            "windowsHelloForBusiness"
        ]
    );
    assert_eq!(f.devices.len(), 2);
    let mb = f.mailbox.as_ref().unwrap();
    assert_eq!(mb.recipient_type, "UserMailbox");
    assert!(!mb.hidden);
    assert_eq!(f.drive.as_ref().unwrap().id, ids::DRIVE_ADELE);
    assert_eq!(f.manager.as_ref().unwrap().id, ids::MEGAN);

    // Her own consent, not the admin consent for everyone.
    let grants: Vec<&str> = f.oauth_grants.iter().map(|g| g.grant_id.as_str()).collect();
    assert_eq!(
        grants,
        vec![standin_tenant::demo_doors::ids::GRANT_ADELE_EXPENSE_BUDDY]
    );

    // Reads only: one Graph $batch of fourteen reads and one Exchange Get-Mailbox (Adele owns
    // nothing, so no owners are read).
    let log = e.sim.requests();
    assert!(writes(&e.sim).is_empty(), "{:?}", writes(&e.sim));
    assert_eq!(log.iter().filter(|l| l.path == "/$batch").count(), 1);
    assert_eq!(log.iter().filter(|l| l.batch_id.is_some()).count(), 14);
    assert_eq!(
        log.iter()
            .filter(|l| l.cmdlet.as_deref() == Some("Get-Mailbox"))
            .count(),
        1
    );
}

#[tokio::test]
async fn facts_of_a_synced_leaver_with_group_based_licences() {
    let e = env().await;
    let f = e
        .directory
        .facts(ids::DIEGO, "userPrincipalName")
        .await
        .unwrap();
    assert!(f.synced);
    assert_eq!(f.on_premises_sam_account_name.as_deref(), Some("DiegoS"));
    assert_eq!(f.licences.len(), 1);
    let e3 = &f.licences[0];
    assert_eq!(e3.sku_part_number.as_deref(), Some("SPE_E3"));
    assert!(!e3.direct);
    assert_eq!(e3.via_groups, vec![ids::GROUP_LICENSING_E3.to_owned()]);
    let licensing = f
        .groups
        .iter()
        .find(|g| g.id == ids::GROUP_LICENSING_E3)
        .unwrap();
    assert!(licensing.assigns_licences && licensing.removable && licensing.direct);
    let synced = f.groups.iter().find(|g| g.id == ids::GROUP_SYNCED).unwrap();
    assert_eq!(synced.kind, "syncedFromOnPremises");
    assert!(!synced.removable);
    assert_eq!(f.manager.as_ref().unwrap().id, ids::LEE);
}

#[tokio::test]
async fn facts_show_what_a_leaver_does_not_have() {
    let e = env().await;
    // Lynne: no licence, mailbox or OneDrive.
    let lynne = e.directory.facts(ids::LYNNE, "employeeId").await.unwrap();
    assert!(lynne.licences.is_empty());
    assert!(lynne.mailbox.is_none());
    assert!(lynne.drive.is_none());
    assert_eq!(lynne.manager.as_ref().unwrap().id, ids::MEGAN);
    // Grady: no manager. Isaiah: a directory role.
    let grady = e.directory.facts(ids::GRADY, "employeeId").await.unwrap();
    assert!(grady.manager.is_none());
    let isaiah = e.directory.facts(ids::ISAIAH, "employeeId").await.unwrap();
    assert_eq!(isaiah.directory_roles.len(), 1);
    assert_eq!(
        isaiah.directory_roles[0].role_name.as_deref(),
        Some("Exchange Administrator")
    );
    assert_eq!(
        isaiah.directory_roles[0].assignment_id,
        ids::ROLE_ASSIGNMENT_ISAIAH
    );
    // Pradeep: already disabled.
    let pradeep = e.directory.facts(ids::PRADEEP, "employeeId").await.unwrap();
    assert!(!pradeep.account_enabled);
    assert!(writes(&e.sim).is_empty());
}

#[tokio::test]
async fn the_plan_follows_the_facts() {
    let e = env().await;
    let lynne = leaver(&e, ids::LYNNE).await;
    for k in [
        StepKind::ConvertMailbox,
        StepKind::MailboxManagerAccess,
        StepKind::AutoReply,
        StepKind::HideFromAddressLists,
        StepKind::OnedriveManagerAccess,
        StepKind::RemoveLicences,
    ] {
        assert_eq!(
            lynne.plan.step(k).unwrap().status,
            StepStatus::NotApplicable,
            "{k}"
        );
    }
    let diego = leaver(&e, ids::DIEGO).await;
    assert_eq!(
        diego.plan.step(StepKind::BlockSignIn).unwrap().status,
        StepStatus::NotApplicable
    );
    assert_eq!(
        diego
            .plan
            .step(StepKind::VerifyCloudDisabled)
            .unwrap()
            .status,
        StepStatus::Pending
    );
    let adele = leaver(&e, ids::ADELE).await;
    for k in [
        StepKind::BlockSignIn,
        StepKind::RevokeSessions,
        StepKind::ResetPassword,
        StepKind::RemoveAuthMethods,
        StepKind::RemoveAppRoles,
        StepKind::RemoveOauthGrants,
        StepKind::RevokeSharing,
        StepKind::RetireDevices,
        StepKind::ConvertMailbox,
        StepKind::MailboxManagerAccess,
        StepKind::AutoReply,
        StepKind::HideFromAddressLists,
        StepKind::OnedriveManagerAccess,
        StepKind::RemoveGroups,
        StepKind::RemoveLicences,
    ] {
        assert_eq!(
            adele.plan.step(k).unwrap().status,
            StepStatus::Pending,
            "{k}"
        );
    }
    assert_eq!(
        adele
            .plan
            .step(StepKind::RemoveDirectoryRoles)
            .unwrap()
            .status,
        StepStatus::NotApplicable
    );
}

#[tokio::test]
async fn roles_a_group_holds_are_facts_of_its_members_and_of_those_eligible_for_it() {
    use standin_tenant::demo::role_ids;
    use standin_tenant::model::RoleAssignment;
    let e = env().await;
    let facts_of = |who: &'static str| {
        let d = &e.directory;
        async move { d.facts(who, "employeeId").await.unwrap() }
    };
    // Without a role on "Helpdesk Tier 1", neither its member (Adele) nor Alex, eligible for
    // it under PIM for Groups, holds anything through it.
    let adele = facts_of(ids::ADELE).await;
    let tier1 = |f: &offboard_core::plan::Facts| {
        f.groups
            .iter()
            .find(|g| g.id == ids::GROUP_ROLE_ASSIGNABLE)
            .map(|g| g.privileged_roles.clone())
    };
    assert_eq!(tier1(&adele), Some(vec![]));
    let alex = facts_of(ids::ALEX).await;
    let group_eligibility = |f: &offboard_core::plan::Facts| {
        f.pim_eligibilities
            .iter()
            .find(|x| x.target_id == ids::GROUP_ROLE_ASSIGNABLE)
            .map(|x| (x.privileged, x.privileged_roles.clone()))
    };
    assert_eq!(group_eligibility(&alex), Some((false, vec![])));

    // The group is given Helpdesk Administrator (privileged) and Exchange Administrator (not).
    e.sim.with_state(|t| {
        for (id, role) in [
            ("tier1-helpdesk", role_ids::HELPDESK_ADMINISTRATOR),
            ("tier1-exchange", role_ids::EXCHANGE_ADMINISTRATOR),
        ] {
            t.role_assignments.push(RoleAssignment {
                id: id.to_owned(),
                principal_id: ids::GROUP_ROLE_ASSIGNABLE.to_owned(),
                role_definition_id: role.to_owned(),
                directory_scope_id: "/".to_owned(),
            });
        }
    });
    let adele = facts_of(ids::ADELE).await;
    assert_eq!(
        tier1(&adele),
        Some(vec!["Helpdesk Administrator".to_owned()])
    );
    assert!(adele.directory_roles.is_empty(), "none of her own");
    let alex = facts_of(ids::ALEX).await;
    assert_eq!(
        group_eligibility(&alex),
        Some((true, vec!["Helpdesk Administrator".to_owned()]))
    );
    // Read only: nothing was written.
    assert!(writes(&e.sim).is_empty(), "{:?}", writes(&e.sim));
}
