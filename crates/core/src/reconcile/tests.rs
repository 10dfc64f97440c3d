use chrono::{DateTime, TimeZone, Utc};

use super::population::ColumnMapping;
use super::read::parse_csv;
use super::*;
use crate::effective::EffectivePolicy;
use crate::ids::{CaseId, Sha256Digest};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

fn snapshot(csv: &str) -> Snapshot {
    Snapshot {
        source: "report".into(),
        sha256: Sha256Digest::of(csv.as_bytes()),
        rows: parse_csv(csv.as_bytes(), &ColumnMapping::default()).unwrap(),
    }
}

fn account(id: &str, upn: &str, emp: Option<&str>, enabled: bool) -> Account {
    Account {
        object_id: id.into(),
        upn: Some(upn.into()),
        employee_id: emp.map(str::to_owned),
        enabled,
        member: true,
        directory: "entra".into(),
        ..Account::default()
    }
}

const CSV: &str = "Employee_ID,Email,Status,Termination_Date,Termination_Type,Full_Name\n\
E1,ann@x.test,Active,,,Ann\n\
E2,bob@x.test,Terminated,2026-11-20,Voluntary,Bob\n\
E3,cat@x.test,Terminated,2026-11-21,,Cat\n\
E4,dan@x.test,Terminated,2026-12-30,,Dan\n";

fn run(population_complete: bool, accounts: &[Account], cases: &[CaseView]) -> Vec<Observation> {
    let snaps = [snapshot(CSV)];
    let policy = ReconcilePolicy::default();
    let effective = EffectivePolicy::new("UTC", "end-of-day").unwrap();
    reconcile(&ScanInput {
        snapshots: if population_complete { &snaps } else { &[] },
        population_complete,
        accounts,
        cases,
        policy: &policy,
        effective: &effective,
        now: now(),
    })
}

fn case_for(emp: &str, object_id: &str, completed: bool) -> CaseView {
    CaseView {
        case_id: CaseId::derive("test", emp),
        employee_id: Some(emp.into()),
        emails: vec![],
        object_id: Some(object_id.into()),
        terminal: completed,
        completed,
        cancelled: false,
        sla_deadline: Some(now() - chrono::Duration::days(1)),
        sign_in_cut: Some(Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap()),
        effective_at: Utc.with_ymd_and_hms(2026, 11, 20, 23, 59, 59).unwrap(),
        leaver: emp.into(),
    }
}

#[test]
fn each_kind_is_found_and_nothing_else() {
    let mut service = account("svc", "svc-backup@x.test", None, true);
    service.employee_type = Some("Service".into());
    let mut bob = account("bob", "bob@x.test", Some("E2"), false);
    bob.last_successful_sign_in = Some(Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap());
    let accounts = [
        account("ann", "ann@x.test", Some("E1"), true),
        bob,
        account("cat", "cat@x.test", Some("E3"), true),
        account("dan", "dan@x.test", Some("E4"), true),
        account("ghost", "ghost@x.test", None, true),
        service,
    ];
    let cases = [case_for("E2", "bob", true)];
    let found = run(true, &accounts, &cases);
    let ids: Vec<&str> = found.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "missed_termination:E3",
            "orphaned_account:entra:ghost",
            "signin_after_termination:bob",
        ],
        "{found:#?}"
    );
}

#[test]
fn an_ad_account_in_no_hr_row_is_an_orphan_unless_its_ou_is_excluded_or_it_is_synced() {
    let ad = |guid: &str, dn: &str| Account {
        object_id: guid.into(),
        upn: Some(format!("{guid}@corp.test")),
        enabled: true,
        member: true,
        on_premises_dn: Some(dn.into()),
        directory: "ad".into(),
        ..Account::default()
    };
    let orphan = ad("g-1", "CN=Orphan,OU=Staff,DC=corp,DC=test");
    let service = ad("g-2", "CN=Backup,OU=Service,OU=Staff,DC=corp,DC=test");
    let synced = ad("g-3", "CN=Synced,OU=Staff,DC=corp,DC=test");
    let mut twin = account("cloud-3", "synced@x.test", None, true);
    twin.on_premises_dn = Some("cn=synced,ou=staff,dc=corp,dc=test".into());
    // Ann is in HR: her AD account is no orphan either.
    let mut ann = ad("g-4", "CN=Ann,OU=Staff,DC=corp,DC=test");
    ann.upn = Some("ann@x.test".into());
    let snaps = [snapshot(CSV)];
    let policy = ReconcilePolicy {
        exclude_ous: vec!["OU=Service,OU=Staff,DC=corp,DC=test".into()],
        ..ReconcilePolicy::default()
    };
    let effective = EffectivePolicy::new("UTC", "end-of-day").unwrap();
    let found = reconcile(&ScanInput {
        snapshots: &snaps,
        population_complete: true,
        accounts: &[orphan, service, synced, twin, ann],
        cases: &[],
        policy: &policy,
        effective: &effective,
        now: now(),
    });
    let orphans: Vec<&str> = found
        .iter()
        .filter(|o| o.kind == FindingKind::OrphanedAccount)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(
        orphans,
        ["orphaned_account:ad:g-1", "orphaned_account:entra:cloud-3"],
        "the synced account once, as its cloud account"
    );
    assert!(found[0].what.contains("AD (managed OUs)"), "{found:#?}");
}

#[test]
fn without_the_whole_population_nobody_is_an_orphan_or_a_missed_leaver() {
    let accounts = [
        account("ghost", "ghost@x.test", None, true),
        account("cat", "cat@x.test", Some("E3"), true),
    ];
    let mut open = case_for("E9", "someone", false);
    open.terminal = false;
    let found = run(false, &accounts, &[open.clone()]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, FindingKind::IncompleteCase);
}

#[test]
fn an_account_enabled_again_after_a_completed_case_is_access_returned() {
    let accounts = [account("bob", "bob@x.test", Some("E2"), true)];
    let found = run(true, &accounts, &[case_for("E2", "bob", true)]);
    assert!(
        found.iter().any(|o| o.kind == FindingKind::AccessReturned),
        "{found:#?}"
    );
}

fn period() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    )
}

#[test]
fn a_scan_keeps_each_leaver_once_with_the_account_it_matched() {
    let effective = EffectivePolicy::new("UTC", "end-of-day").unwrap();
    // The same report twice (two sources): each leaver once, from the first source.
    let mut second = snapshot(CSV);
    second.source = "bamboohr".into();
    let kept = leavers(
        &[snapshot(CSV), second],
        &[account("cat", "CAT@x.test", None, true)],
        &effective,
    );
    let got: Vec<(&str, Option<&str>, &str)> = kept
        .iter()
        .map(|l| {
            (
                l.row.name.as_deref().unwrap(),
                l.object_id.as_deref(),
                l.source.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Bob", None, "report"),
            ("Cat", Some("cat"), "report"),
            ("Dan", None, "report"),
        ],
        "Ann is current; Cat's account is found by email, whatever its case"
    );
    // HR's date ends at the company's cutoff (end of day: the next midnight).
    assert_eq!(
        kept[0].left_at,
        Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap()
    );
}

#[test]
fn completeness_names_every_leaver_of_the_period_and_every_case_hr_does_not_report() {
    let effective = EffectivePolicy::new("UTC", "end-of-day").unwrap();
    let kept = leavers(
        &[snapshot(CSV)],
        &[
            account("cat", "cat@x.test", Some("E3"), true),
            account("bob", "bob@x.test", Some("E2"), false),
        ],
        &effective,
    );
    // Bob's case, found by his account although it names neither id nor email.
    let mut bob = case_for("E-other", "bob", true);
    bob.employee_id = None;
    // Eve: an operator's termination HR does not report; Ann: HR says current, her case
    // was cancelled (a rescinded leave): not a difference. Dan leaves in December.
    let mut eve = case_for("E7", "eve", true);
    eve.leaver = "Eve".into();
    eve.emails = vec!["eve@x.test".into()];
    let mut ann = case_for("E1", "ann", true);
    ann.cancelled = true;
    let mut dan = case_for("E4", "dan", false);
    dan.effective_at = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let (from, to) = period();
    let rows = completeness(&kept, &[bob, eve, ann, dan], from, to);
    let got: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|r| (r.person.as_str(), r.status.as_str(), r.case_id.is_some()))
        .collect();
    assert_eq!(
        got,
        [
            ("Eve", "not_in_hr", true),
            ("Bob", "case", true),
            ("Cat", "no_case", false),
        ],
        "{rows:#?}"
    );
    assert_eq!(rows[0].email.as_deref(), Some("eve@x.test"));
    assert!(rows[0].hr_left_at.is_none());
    assert!(
        rows.iter()
            .all(|r| r.status.is_difference() != (r.status == CompletenessStatus::Case))
    );
    // A leaver with no account and no case is named too.
    let gone = leavers(&[snapshot(CSV)], &[], &effective);
    let rows = completeness(&gone, &[], from, to);
    assert_eq!(
        rows.iter().map(|r| r.status).collect::<Vec<_>>(),
        [CompletenessStatus::NoAccount, CompletenessStatus::NoAccount]
    );
}

/// A completed case for a cloud leaver with every kind of access, each removal verified.
fn sealed_case() -> crate::case::Case {
    use crate::effective::HrEffectiveTime;
    use crate::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
    use crate::ids::EmployeeIdentifiers;
    use crate::plan::{
        AppRoleFact, AuthMethodFact, DeviceFact, Facts, GroupFact, LicenceFact, MailboxFact,
        PersonRef, StepStatus,
    };
    use crate::signature::Verified;
    let event = TerminationEvent::new(
        TerminationFacts {
            source: Source::Generic,
            source_event_id: "evt-drift".into(),
            source_subject_id: None,
            employee: EmployeeIdentifiers::new(Some("E2".into()), None, None, None).unwrap(),
            kind: TerminationKind::Voluntary,
            hr_effective: HrEffectiveTime::instant("2026-11-20T17:00:00Z").unwrap(),
            reason: None,
        },
        &Verified::by_function_key(b"{}", now()),
        &EffectivePolicy::default(),
    )
    .unwrap();
    let facts = Facts {
        user: PersonRef {
            id: "bob".into(),
            user_principal_name: Some("bob@x.test".into()),
            display_name: None,
            mail: None,
        },
        resolved_by: "employeeId".into(),
        synced: false,
        employee_id: Some("E2".into()),
        on_premises_sam_account_name: None,
        account_enabled: true,
        licences: vec![LicenceFact {
            sku_id: "sku-e3".into(),
            sku_part_number: Some("SPE_E3".into()),
            direct: true,
            via_groups: vec![],
            disabled_plans: vec![],
        }],
        groups: vec![GroupFact {
            id: "g-sales".into(),
            display_name: Some("Sales".into()),
            kind: "security".into(),
            removable: true,
            assigns_licences: false,
            direct: true,
            privileged_roles: vec![],
        }],
        directory_roles: vec![],
        app_roles: vec![AppRoleFact {
            assignment_id: "ar-1".into(),
            resource_name: Some("Salesforce".into()),
            resource_id: None,
            app_role_id: None,
        }],
        oauth_grants: vec![],
        pim_eligibilities: Vec::new(),
        owned_objects: Vec::new(),
        auth_methods: vec![AuthMethodFact {
            id: "m-1".into(),
            method_type: "phone".into(),
        }],
        devices: vec![DeviceFact {
            id: "d-1".into(),
            name: Some("Bob's phone".into()),
            os: None,
        }],
        mailbox: Some(MailboxFact {
            recipient_type: "UserMailbox".into(),
            hidden: false,
            delegates: Some(vec![delegate("assistant@contoso.com", "FullAccess")]),
        }),
        drive: None,
        sharing: None,
        manager: None,
    };
    let plan = crate::plan::build(
        facts,
        crate::policy::Policy::builtin().for_kind(TerminationKind::Voluntary),
        now(),
    );
    let mut case = crate::case::Case::open(event, now());
    let mut plan = plan;
    for s in plan
        .steps
        .iter_mut()
        .filter(|s| s.status != StepStatus::NotApplicable)
    {
        s.status = StepStatus::Verified;
    }
    case.plan = Some(plan);
    case
}

fn delegate(user: &str, right: &str) -> crate::plan::MailboxDelegate {
    crate::plan::MailboxDelegate {
        user: user.into(),
        right: right.into(),
    }
}

#[test]
fn drift_names_each_removal_that_came_back_and_the_step_that_redoes_it() {
    let case = sealed_case();
    let held = |id: &str, name: &str| vec![Held::new(id, Some(name.into()))];
    let now = Reread {
        groups: Some(held("g-sales", "Sales")),
        direct_licences: Some(vec![Held::new("sku-e3", None)]),
        app_roles: Some(held("ar-9", "Salesforce")),
        directory_roles: Some(vec![]),
        oauth_grants: None,
        auth_methods: Some(held("m-7", "microsoftAuthenticator")),
        devices: Some(vec![]),
        mailbox_rights: Some(held(
            "shared@contoso.com",
            "FullAccess, SendAs on shared@contoso.com",
        )),
        mailbox_type: Some("UserMailbox".into()),
        ad_enabled: Some(true),
        sessions: Some(super::Sessions {
            valid_from: Some(now()),
            last_successful_sign_in: Some(now() + chrono::Duration::hours(1)),
        }),
        forwarding: Some(held(
            "mailbox",
            "mailbox forwarding to smtp:bob@home.example",
        )),
        mailbox_delegates: Some(vec![
            delegate("assistant@contoso.com", "FullAccess"),
            delegate("eve@contoso.com", "SendAs"),
        ]),
    };
    let found = drift(&case, &now);
    let got: Vec<(String, Option<crate::plan::StepKind>)> = found
        .iter()
        .map(|o| {
            (
                o.id.trim_start_matches(&format!("access_returned:{}:", case.id))
                    .to_owned(),
                remedy(&o.id),
            )
        })
        .collect();
    use crate::plan::StepKind::*;
    assert_eq!(
        got,
        [
            ("group:g-sales".to_owned(), Some(RemoveGroups)),
            ("licence:sku-e3".to_owned(), Some(RemoveLicences)),
            ("app-role:ar-9".to_owned(), Some(RemoveAppRoles)),
            ("auth-method:m-7".to_owned(), Some(RemoveAuthMethods)),
            ("forwarding:mailbox".to_owned(), Some(StopForwarding)),
            (
                "mailbox-right:shared@contoso.com".to_owned(),
                Some(RemoveMailboxRightsElsewhere)
            ),
            ("session".to_owned(), Some(RevokeSessions)),
            ("mailbox-type".to_owned(), Some(ConvertMailbox)),
            ("mailbox-delegate:SendAs:eve@contoso.com".to_owned(), None),
        ],
        "the AD account is not judged: the cloud leaver's plan has no ad-disable; {found:#?}"
    );
    assert!(found[1].what.contains("SPE_E3"), "{}", found[1].what);
    assert!(found.iter().all(|o| o.kind == FindingKind::AccessReturned
        && o.object_id.as_deref() == Some("bob")));
    // Nothing re-read, or a step never verified: nothing judged.
    assert!(drift(&case, &Reread::default()).is_empty());
    let mut unverified = case.clone();
    for s in &mut unverified.plan.as_mut().unwrap().steps {
        s.status = crate::plan::StepStatus::Failed;
    }
    assert!(drift(&unverified, &now).is_empty());
    assert_eq!(
        remedy(&format!("access_returned:{}:account-enabled", case.id)),
        Some(BlockSignIn)
    );
    assert_eq!(remedy("orphaned_account:entra:x"), None);
    assert!(
        found[5]
            .what
            .contains("FullAccess, SendAs on shared@contoso.com"),
        "{}",
        found[5].what
    );
    assert!(
        found[4].what.contains("bob@home.example"),
        "{}",
        found[4].what
    );
    // A sign-in before the last revocation opened no session that still works.
    let before = Reread {
        sessions: Some(super::Sessions {
            valid_from: Some(self::now()),
            last_successful_sign_in: Some(self::now() - chrono::Duration::minutes(1)),
        }),
        ..Reread::default()
    };
    assert!(drift(&case, &before).is_empty());
}

#[test]
fn a_listing_read_only_in_part_is_its_own_finding_and_redoes_nothing() {
    let case = sealed_case();
    let o = super::drift::incomplete(&case, "group", 50);
    assert_eq!(o.id, format!("recheck_incomplete:{}:group", case.id));
    assert_eq!(o.id, super::drift::incomplete_id(&case.id, "group"));
    assert_eq!(o.kind, FindingKind::RecheckIncomplete);
    assert_eq!(o.case_id.as_ref(), Some(&case.id));
    assert!(o.what.contains("50 pages"), "{}", o.what);
    assert_eq!(remedy(&o.id), None, "no step re-runs for a partial read");
    assert_eq!(FindingKind::parse("recheck_incomplete"), Some(o.kind));
}
