use chrono::{DateTime, TimeZone, Utc};

use super::population::{ColumnMapping, parse_csv};
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

#[test]
fn completeness_names_every_leaver_of_the_period() {
    let snaps = [snapshot(CSV)];
    let effective = EffectivePolicy::new("UTC", "end-of-day").unwrap();
    let accounts = [account("cat", "cat@x.test", Some("E3"), true)];
    let rows = completeness(
        &snaps,
        &accounts,
        &[case_for("E2", "bob", true)],
        &effective,
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    );
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.person.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(got, [("Bob", "case"), ("Cat", "no_case")]);
}
