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

fn full_cloud_user() -> Facts {
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
            },
            LicenceFact {
                sku_id: "pbi".into(),
                sku_part_number: Some("POWER_BI_PRO".into()),
                direct: false,
                via_groups: vec!["g-lic".into()],
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
            },
            GroupFact {
                id: "g-dyn".into(),
                display_name: Some("All staff".into()),
                kind: "dynamic".into(),
                removable: false,
                assigns_licences: false,
                direct: true,
            },
        ],
        directory_roles: vec![],
        app_roles: vec![AppRoleFact {
            assignment_id: "ar1".into(),
            resource_name: Some("Salesforce".into()),
        }],
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
        }),
        drive: Some(DriveFact {
            id: "drv".into(),
            web_url: None,
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
