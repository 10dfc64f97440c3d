//! The termination report's population-completeness section, over the real scan: the tenant
//! simulator's directory as the `entra` population source (`employeeLeaveDateTime`), the
//! embedded backend, a scan sealed into the ledger, and the report read through `Compliance`
//! as the API and `offboard report` read it.

use std::sync::Arc;

use chrono::{Duration, Utc};

use offboard_api::{ReportFormat, ReportSection, TerminationsReport};
use offboard_core::case::Case;
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::policy::Policy;
use offboard_core::ports::CaseStore;
use offboard_core::reconcile::{CompletenessStatus, FindingStore};
use offboard_core::signature::Verified;
use offboard_embedded::{Embedded, FileEvidenceStore};
use offboard_service::compliance::Compliance;
use offboard_service::engine::QueueNotifier;
use offboard_service::evidence::Evidence;
use offboard_service::reconcile::{Reconciler, Trigger};
use offboard_service::report::ReportQuery;
use offboard_service::settings::{PopulationSettings, PopulationSource};
use offboard_service::{Intake, SystemClock};

use crate::helpers::{env, ids};

/// A case for `upn`, effective `at`, stored with its trigger record (and so its index row).
async fn case_for(db: &Arc<Embedded>, evidence: &Evidence, upn: &str, at: chrono::DateTime<Utc>) {
    let event = TerminationEvent::new(
        TerminationFacts {
            source: Source::Generic,
            source_event_id: format!("evt-{upn}"),
            source_subject_id: None,
            employee: EmployeeIdentifiers::new(None, Some(upn.to_owned()), None, None).unwrap(),
            kind: TerminationKind::Voluntary,
            hr_effective: HrEffectiveTime::instant(&at.to_rfc3339()).unwrap(),
            reason: None,
        },
        &Verified::by_function_key(b"{}", Utc::now()),
        &EffectivePolicy::default(),
    )
    .unwrap();
    let case = Case::open(event, Utc::now());
    db.create(&case).await.unwrap();
    evidence.record_trigger(&case).await.unwrap();
}

/// The scan over the embedded backend and the simulator, reading `source`, opening no case.
fn scan_over(
    db: &Arc<Embedded>,
    evidence: &Evidence,
    env: &crate::helpers::Env,
    source: PopulationSource,
) -> Reconciler {
    let mut policy = Policy::builtin();
    policy.reconcile.auto_open = false;
    let clock = Arc::new(SystemClock);
    Reconciler::new(
        db.clone(),
        db.clone(),
        evidence.clone(),
        Intake::new(db.clone(), db.clone(), evidence.clone(), clock.clone()),
        env.tenant.graph.clone(),
        Arc::new(QueueNotifier::new(db.clone())),
        PopulationSettings {
            sources: vec![source],
        },
        Arc::new(policy),
        EffectivePolicy::default(),
        clock,
    )
}

#[tokio::test]
async fn the_report_names_hr_leavers_of_the_period_and_every_difference() {
    let env = env().await;
    let left = Utc::now() - Duration::days(2);
    let (adele, lynne) = env.sim.with_state(|t| {
        let mut upn = |id: &str| {
            let u = t.user_mut(id).unwrap();
            u.employee_leave_date_time = Some(left);
            u.user_principal_name.clone()
        };
        (upn(ids::ADELE), upn(ids::LYNNE))
    });
    let megan = env
        .sim
        .state()
        .user(ids::MEGAN)
        .unwrap()
        .user_principal_name
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Embedded::open(dir.path()).unwrap());
    let store = Arc::new(FileEvidenceStore::open(&dir.path().join("evidence")).unwrap());
    let evidence = Evidence::new(store, db.clone(), "test".to_owned(), Arc::new(SystemClock));
    let compliance = Compliance::new(db.clone(), db.clone(), evidence.clone());
    let q = |format, section| ReportQuery {
        from: left - Duration::days(1),
        to: Utc::now() + Duration::days(1),
        from_as_given: "from".into(),
        to_as_given: "to".into(),
        format,
        section,
    };
    let json = |body: &[u8]| serde_json::from_slice::<TerminationsReport>(body).unwrap();

    // Before any scan the section says why it has no rows.
    let before = compliance
        .termination_report(
            &q(ReportFormat::Json, ReportSection::Terminations),
            Utc::now(),
            "test",
        )
        .await
        .unwrap();
    let before = json(&before.body).completeness;
    assert!(before.scan.is_none() && before.rows.is_empty());
    assert!(before.note.unwrap().contains("OFFBOARD_POPULATION_SOURCES"));

    // Adele's termination arrived; Lynne's never did; Megan, whom HR still employs, was
    // offboarded by an operator.
    case_for(&db, &evidence, &adele, left).await;
    case_for(&db, &evidence, &megan, left + Duration::hours(1)).await;
    let reconciler = scan_over(&db, &evidence, &env, PopulationSource::Entra);
    // A dry run keeps nothing, so the report still has no scan to read.
    reconciler
        .scan(Trigger::OnDemand("test"), true)
        .await
        .unwrap();
    assert!(db.population_scan().await.unwrap().is_none());
    let scan = reconciler
        .scan(Trigger::OnDemand("test"), false)
        .await
        .unwrap();
    let kept = db
        .population_scan()
        .await
        .unwrap()
        .expect("the scan is kept");
    assert_eq!(kept.scan_id, scan.record.scan_id);
    assert_eq!(Some(kept.ledger_seq), scan.ledger_seq);
    assert_eq!(kept.leavers, 2);

    let report = compliance
        .termination_report(
            &q(ReportFormat::Json, ReportSection::Terminations),
            Utc::now(),
            "test",
        )
        .await
        .unwrap();
    let section = json(&report.body).completeness;
    assert_eq!(
        section.scan.as_ref().map(|s| &s.scan_id),
        Some(&kept.scan_id)
    );
    let rows: Vec<(String, CompletenessStatus)> = section
        .rows
        .iter()
        .map(|r| (r.email.clone().unwrap_or_default(), r.status))
        .collect();
    let mut expected = vec![
        (adele.clone(), CompletenessStatus::Case),
        (lynne.clone(), CompletenessStatus::NoCase),
        (megan.clone(), CompletenessStatus::NotInHr),
    ];
    let mut got = rows.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "{:#?}", section.rows);
    assert_eq!(
        (section.hr_leavers, section.with_case, section.differences),
        (2, 1, 2)
    );
    let canonical =
        serde_json_canonicalizer::to_vec(&serde_json::to_value(&section.rows).unwrap()).unwrap();
    assert_eq!(
        section.sha256,
        offboard_core::ids::Sha256Digest::of(&canonical).to_hex()
    );

    // The CSV of the section: one row per person, the scan in the meta.
    let csv = compliance
        .termination_report(
            &q(ReportFormat::Csv, ReportSection::Completeness),
            Utc::now(),
            "test",
        )
        .await
        .unwrap();
    assert_eq!(csv.meta.schema, "offboard.report.completeness/v1");
    assert_eq!(csv.meta.row_count, 3);
    assert_eq!(csv.meta.population.as_ref(), Some(&kept));
    let text = String::from_utf8(csv.body).unwrap();
    assert!(
        text.starts_with(
            "person,employee_id,email,hr_left_at,hr_source,status,case_id,case_effective_at\r\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(",{lynne},")) && text.contains(",entra,no_case,,"),
        "{text}"
    );

    // A scan that cannot read every source does not replace the one the report reads.
    let failing = scan_over(
        &db,
        &evidence,
        &env,
        PopulationSource::Bamboohr {
            url: None,
            key: None,
        },
    );
    let failed = failing
        .scan(Trigger::OnDemand("test"), false)
        .await
        .unwrap();
    assert!(!failed.record.complete());
    assert_eq!(db.population_scan().await.unwrap(), Some(kept));
}
