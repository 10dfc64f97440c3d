//! Ghost access, end to end through the local Functions host: HR's population from the
//! BambooHR stand-in, the tenant simulator's directory, `POST /api/scans` and
//! `GET /api/findings`, on both backends. A termination whose webhook never came is found and
//! offboarded to a sealed case; an orphan is found and a service account is not; a sign-in
//! after the cut is found; access that comes back (re-enabled, group re-added, a licence
//! re-assigned) is found and, with `auto_remediate`, just those steps re-run and verify under a
//! new seal generation; a
//! second scan raises nothing twice; a failing source (unreachable, 401, malformed CSV, a
//! missing column) fails the scan with a finding and a notification naming the setting and
//! never turns anyone into an orphan; a tampered scan record fails `offboard verify --ledger`;
//! an orphan in Samba AD is found through the on-prem agent, one in an excluded OU is not; the
//! termination report's completeness section names HR's leavers and every difference.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use offboard_api::{FindingsPage, ScanAnswer, TerminationsReport};
use offboard_core::case::CaseStatus;
use offboard_core::reconcile::{CompletenessStatus, ScanRecord};
use offboard_testkit::samba::{create_ou, create_user};
use offboard_testkit::{Backend, Hybrid, Samba, TestApp, spawn_app_with};
use serde_json::{Map, Value, json};
use standin_bamboohr::{BambooHr, Seed};

use crate::hybrid::must;
use crate::pipeline::{ADELE, JOHANNA, finished, only_removable_groups};
use crate::tamper::{offboard, verify_ledger};

const SERVICE_TYPE: &str = "Service";

async fn scan(app: &TestApp) -> ScanAnswer {
    let a = app
        .client
        .post(format!("{}/api/scans", app.base_url()))
        .bearer_auth(&app.operator_token)
        .send()
        .await
        .expect("POST /api/scans");
    let status = a.status().as_u16();
    let text = a.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).expect("a scan answer")
}

/// `offboard scan --json [args]` with the deployment's settings, as an operator runs it.
async fn cli_scan(app: &TestApp, args: &[&str]) -> ScanAnswer {
    let out =
        tokio::process::Command::new(offboard_testkit::offboard_executable().expect("offboard"))
            .args(["scan", "--json"])
            .args(args)
            .envs(&app.settings)
            .output()
            .await
            .expect("run offboard scan");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "offboard scan: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("a scan answer ({e}): {stdout}"))
}

fn ids(findings: &[offboard_core::reconcile::Finding]) -> Vec<String> {
    findings.iter().map(|f| f.id().to_owned()).collect()
}

/// HR's termination date of the test's leavers: three days ago.
fn left_three_days_ago() -> String {
    (Utc::now() - chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string()
}

/// Every account in the tenant is a current employee in BambooHR, except `leavers` (inactive,
/// terminated three days ago) and `missing` (not in HR at all).
fn population(app: &TestApp, leavers: &[&str], missing: &[&str]) -> Vec<Map<String, Value>> {
    let left = left_three_days_ago();
    app.sim
        .state()
        .users
        .iter()
        .filter(|u| !missing.contains(&u.id.as_str()))
        .enumerate()
        .map(|(i, u)| {
            let leaver = leavers.contains(&u.id.as_str());
            let v = json!({
                "id": (i + 1).to_string(),
                "employeeNumber": u.employee_id,
                "firstName": u.given_name,
                "lastName": u.surname,
                "workEmail": u.user_principal_name,
                "status": if leaver { "Inactive" } else { "Active" },
                "terminationDate": if leaver { Value::String(left.clone()) } else { Value::Null },
                "terminationType": if leaver { "Voluntary" } else { "" },
            });
            v.as_object().cloned().unwrap_or_default()
        })
        .collect()
}

/// The built-in policy with `from` (which it must hold) replaced by `to`, written into `dir`.
fn policy_file(dir: &Path, from: &str, to: &str) -> String {
    let builtin =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/policy.toml"))
            .expect("config/policy.toml");
    assert!(builtin.contains(from), "the built-in policy holds `{from}`");
    let path = dir.join("policy.toml");
    std::fs::write(&path, builtin.replace(from, to)).expect("policy file");
    path.display().to_string()
}

/// The BambooHR stand-in (empty until [`seed_bamboohr`]) and an app reading it as its one
/// population source, under the policy file `policy`, with `more` settings.
async fn app_reading_bamboohr(
    backend: Backend,
    policy: String,
    more: impl FnOnce(&mut std::collections::BTreeMap<String, String>),
) -> (BambooHr, TestApp) {
    let bamboo = BambooHr::start(Seed {
        company_domain: "contoso".into(),
        api_key: "bamboo-api-key-for-tests".into(),
        employees: Vec::new(),
    })
    .await
    .expect("BambooHR stand-in");
    let (url, key) = (bamboo.api_base(), bamboo.api_key().to_owned());
    let app = spawn_app_with(backend, Default::default(), |s| {
        s.insert("OFFBOARD_POPULATION_SOURCES".into(), "bamboohr".into());
        s.insert("OFFBOARD_POPULATION_BAMBOOHR_URL".into(), url);
        s.insert("OFFBOARD_POPULATION_BAMBOOHR_KEY".into(), key);
        s.insert("OFFBOARD_POLICY_FILE".into(), policy);
        more(s);
    })
    .await;
    (bamboo, app)
}

/// Puts `employees` into the BambooHR stand-in.
async fn seed_bamboohr(app: &TestApp, bamboo: &BambooHr, employees: &[Map<String, Value>]) {
    let put = app
        .client
        .put(format!("{}/_sim/employees", bamboo.base()))
        .json(employees)
        .send()
        .await
        .expect("seed BambooHR");
    assert!(put.status().is_success());
}

/// How many evidence records each step of the case has.
async fn records_by_step(app: &TestApp, case: &str) -> std::collections::BTreeMap<String, usize> {
    let ev = app.get(&format!("/api/cases/{case}/evidence")).await;
    let mut out = std::collections::BTreeMap::new();
    for r in ev.json["packet"]["records"].as_array().expect("records") {
        *out.entry(r["step"].as_str().unwrap_or_default().to_owned())
            .or_insert(0) += 1;
    }
    out
}

async fn ghost_access(backend: Backend) {
    let policy_dir = tempfile::tempdir().expect("tempdir");
    let policy = policy_file(
        policy_dir.path(),
        "auto_remediate = false",
        "auto_remediate = true",
    );
    let (bamboo, app) = app_reading_bamboohr(backend, policy, |_| {}).await;
    only_removable_groups(&app, ADELE);
    only_removable_groups(&app, JOHANNA);
    // The orphan and the service account: enabled members HR does not know.
    let (orphan, service) = app.sim.with_state(|t| {
        let mut others = t.users.iter_mut().filter(|u| {
            u.account_enabled
                && u.user_type == "Member"
                && ![ADELE, JOHANNA].contains(&u.id.as_str())
        });
        let orphan = others.next().expect("an orphan candidate").id.clone();
        let svc = others.next().expect("a service account candidate");
        svc.employee_type = Some(SERVICE_TYPE.into());
        let service = svc.id.clone();
        // Johanna signed in an hour ago, three days after she left.
        if let Some(j) = t.users.iter_mut().find(|u| u.id == JOHANNA) {
            j.last_sign_in_date_time = Some(Utc::now() - chrono::Duration::hours(1));
        }
        (orphan, service)
    });
    let mut employees = population(&app, &[ADELE, JOHANNA], &[&orphan, &service]);
    // A leaver whose account is already gone: nothing to offboard, but HR reports them, so
    // the report's completeness section names them.
    let gone = json!({
        "id": "999999",
        "employeeNumber": "E-GONE-1",
        "firstName": "Gone",
        "lastName": "Leaver",
        "workEmail": "gone.leaver@contoso.com",
        "status": "Inactive",
        "terminationDate": left_three_days_ago(),
        "terminationType": "Voluntary",
    });
    employees.extend(gone.as_object().cloned());
    seed_bamboohr(&app, &bamboo, &employees).await;
    let adele_emp = app
        .sim
        .state()
        .user(ADELE)
        .and_then(|u| u.employee_id.clone())
        .expect("E#");

    // 1. The first scan: the missed terminations (opened as cases), the orphan, the sign-in.
    let first = scan(&app).await;
    let seen = ids(&first.findings);
    assert!(first.scan.complete(), "{:?}", first.scan.sources);
    assert_eq!(first.scan.sources[0].rows, employees.len() as u64);
    let missed = format!("missed_termination:{adele_emp}");
    assert!(seen.contains(&missed), "{seen:?}");
    assert!(
        seen.contains(&format!("orphaned_account:entra:{orphan}")),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|i| i.contains(&service)),
        "a service account is no orphan: {seen:?}"
    );
    assert!(
        seen.contains(&format!("signin_after_termination:{JOHANNA}")),
        "{seen:?}"
    );
    assert_eq!(
        first
            .findings
            .iter()
            .filter(|f| f.observation.kind.as_str() == "orphaned_account")
            .count(),
        1,
        "{seen:?}"
    );
    let adele_case = first
        .findings
        .iter()
        .find(|f| f.id() == missed)
        .and_then(|f| f.observation.case_id.clone())
        .expect("auto_open opened a case for the missed termination")
        .to_string();
    assert!(
        first
            .scan
            .cases_opened
            .iter()
            .any(|c| c.as_str() == adele_case)
    );
    let case = finished(&app, &adele_case).await;
    assert_eq!(
        case.case.status,
        CaseStatus::Completed,
        "{:?}",
        case.case.plan
    );
    assert_eq!(
        app.cases
            .get(&offboard_core::ids::CaseId::parse(&adele_case).unwrap())
            .await
            .unwrap()
            .unwrap()
            .value
            .event
            .body_sha256()
            .to_hex(),
        first.scan.sources[0].sha256.as_ref().unwrap().to_hex(),
        "the case's trigger is the population snapshot"
    );
    // Sealed: wait for the ledger to hold it. Johanna's case, opened the same way, finishes
    // too (an unfinished case past its SLA would rightly be a finding of its own).
    let case = app
        .wait_case(&adele_case, Duration::from_secs(60), |c| {
            c.timeline.evidence.seal_hash.is_some()
        })
        .await;
    for id in &first.scan.cases_opened {
        let c = finished(&app, id.as_str()).await;
        assert_eq!(c.case.status, CaseStatus::Completed, "{:?}", c.case.plan);
    }
    let johanna_case = first
        .scan
        .cases_opened
        .iter()
        .map(|c| c.to_string())
        .find(|c| *c != adele_case)
        .expect("a case opened for Johanna");
    let before = records_by_step(&app, &adele_case).await;

    // 2. A second scan raises nothing again; the offboarded leaver's finding is resolved.
    let second = scan(&app).await;
    assert!(
        second.scan.raised.is_empty(),
        "raised twice: {:?}",
        second.scan.raised
    );
    assert!(
        ids(&second.resolved).contains(&missed),
        "{:?}",
        ids(&second.resolved)
    );
    assert!(ids(&second.findings).contains(&format!("orphaned_account:entra:{orphan}")));
    completeness_section(&app, &second.scan, [&adele_case, &johanna_case]).await;

    // 3. Access comes back behind offboard's back: re-enabled, a group re-added, and a
    // licence the case removed assigned directly again.
    let facts = &case.case.plan.as_ref().expect("a plan").facts;
    let group = facts
        .groups
        .iter()
        .find(|g| g.removable)
        .map(|g| g.id.clone())
        .expect("the case removed a group");
    let sku = facts
        .licences
        .iter()
        .find(|l| l.direct)
        .map(|l| l.sku_id.clone())
        .expect("the case removed a direct licence");
    app.sim.with_state(|t| {
        if let Some(g) = t.groups.iter_mut().find(|g| g.id == group) {
            g.members.push(ADELE.to_owned());
        }
        if let Some(u) = t.users.iter_mut().find(|u| u.id == ADELE) {
            u.account_enabled = true;
            u.assigned_licenses
                .push(standin_tenant::model::AssignedLicense {
                    sku_id: sku.clone(),
                    disabled_plans: Vec::new(),
                });
        }
    });
    let third = scan(&app).await;
    let raised: Vec<String> = third
        .findings
        .iter()
        .filter(|f| f.first_scan == third.scan.scan_id)
        .map(|f| f.id().to_owned())
        .collect();
    let returned = [
        format!("access_returned:{adele_case}:account-enabled"),
        format!("access_returned:{adele_case}:group:{group}"),
        format!("access_returned:{adele_case}:licence:{sku}"),
    ];
    assert_eq!(raised, returned, "exactly the three regressions are raised");
    for f in third
        .findings
        .iter()
        .filter(|f| returned.contains(&f.id().to_owned()))
    {
        let handled = f.handled.as_deref().unwrap_or_default();
        assert!(
            handled.contains("block-sign-in")
                && handled.contains("remove-groups")
                && handled.contains("remove-licences"),
            "{handled}"
        );
    }
    // auto_remediate: the same case reopens, only those three steps run again and verify, and
    // the case is sealed a second time (a new generation; nothing rewritten).
    let resealed = app
        .wait_case(&adele_case, Duration::from_secs(120), |c| {
            c.case.status == CaseStatus::Completed
                && c.timeline.evidence.seal_hash.is_some()
                && c.timeline.evidence.seal_hash != case.timeline.evidence.seal_hash
        })
        .await;
    let ev = app.get(&format!("/api/cases/{adele_case}/evidence")).await;
    assert_eq!(
        ev.json["verification"]["ok"], true,
        "{}",
        ev.json["verification"]
    );
    assert_eq!(ev.json["packet"]["seal"]["generation"], 1);
    let after = records_by_step(&app, &adele_case).await;
    let steps: Vec<&str> = resealed
        .case
        .plan
        .as_ref()
        .expect("a plan")
        .steps
        .iter()
        .map(|s| s.kind.as_str())
        .filter(|k| *k != "seal")
        .collect();
    let rerun: Vec<&str> = steps
        .iter()
        .copied()
        .filter(|k| after.get(*k) != before.get(*k))
        .collect();
    assert_eq!(
        rerun,
        ["block-sign-in", "remove-groups", "remove-licences"],
        "only the three steps re-ran: {before:?} -> {after:?}"
    );
    let t = app.sim.state();
    assert!(!t.user(ADELE).expect("Adele").account_enabled);
    assert!(
        t.user(ADELE)
            .expect("Adele")
            .assigned_licenses
            .iter()
            .all(|l| l.sku_id != sku)
    );
    assert!(
        t.groups
            .iter()
            .find(|g| g.id == group)
            .is_some_and(|g| !g.members.iter().any(|m| m == ADELE))
    );
    let fixed = scan(&app).await;
    assert!(fixed.scan.raised.is_empty(), "{:?}", fixed.scan.raised);
    for id in &returned {
        assert!(
            ids(&fixed.resolved).contains(id),
            "{:?}",
            ids(&fixed.resolved)
        );
    }

    // 4. A source that fails: a finding naming the setting, and no orphan from missing rows.
    let fault = app
        .client
        .post(format!("{}/_sim/faults", bamboo.base()))
        .json(&json!({"count": 1, "status": 401}))
        .send()
        .await
        .expect("fault");
    assert!(fault.status().is_success());
    let fourth = scan(&app).await;
    assert!(!fourth.scan.complete());
    let failed = fourth
        .findings
        .iter()
        .find(|f| f.id() == "source_failed:bamboohr")
        .expect("the failing source is a finding");
    assert!(
        failed
            .observation
            .what
            .contains("OFFBOARD_POPULATION_BAMBOOHR_KEY"),
        "{}",
        failed.observation.what
    );
    assert!(
        fourth
            .resolved
            .iter()
            .all(|f| !f.id().starts_with("orphaned_account")),
        "{:?}",
        ids(&fourth.resolved)
    );
    assert!(
        fourth
            .findings
            .iter()
            .all(|f| f.observation.kind.as_str() != "orphaned_account")
    );
    let open: FindingsPage = app.get("/api/findings?type=orphaned_account").await.body();
    assert_eq!(
        ids(&open.findings),
        [format!("orphaned_account:entra:{orphan}")]
    );

    if backend == Backend::Embedded {
        tamper_with_a_scan(&app, &first.scan);
    }
    app.shutdown().await;
}

/// The termination report's completeness section for the week of the leavers: HR's three
/// leavers, read from `scan`; the two offboarded have their case, the one without an account
/// is a difference; the CSV of the section says the same.
async fn completeness_section(app: &TestApp, scan: &ScanRecord, cases: [&str; 2]) {
    let from = (Utc::now() - chrono::Duration::days(7)).date_naive();
    let to = Utc::now().date_naive();
    let q = format!("from={from}&to={to}");
    let (status, _, body) = app
        .get_bytes(&format!("/api/reports/terminations?{q}&format=json"))
        .await;
    assert_eq!(status, 200);
    let report: TerminationsReport = serde_json::from_slice(&body).expect("a report");
    let c = report.completeness;
    assert_eq!(
        c.scan.as_ref().map(|s| s.scan_id.as_str()),
        Some(scan.scan_id.as_str())
    );
    assert_eq!(
        (c.hr_leavers, c.with_case, c.differences),
        (3, 2, 1),
        "{c:#?}"
    );
    let mut with_case: Vec<String> = c
        .rows
        .iter()
        .filter(|r| r.status == CompletenessStatus::Case)
        .filter_map(|r| r.case_id.as_ref().map(|id| id.to_string()))
        .collect();
    with_case.sort();
    let mut expected = cases.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(with_case, expected);
    let gone = c
        .rows
        .iter()
        .find(|r| r.status == CompletenessStatus::NoAccount)
        .expect("the leaver without an account is named");
    assert_eq!(gone.person, "Gone Leaver");
    let (status, headers, body) = app
        .get_bytes(&format!(
            "/api/reports/terminations?{q}&format=csv&section=completeness"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["offboard-report-rows"], "3");
    assert!(
        headers["offboard-report-population"]
            .to_str()
            .unwrap()
            .contains(&scan.scan_id)
    );
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains("\r\nGone Leaver,E-GONE-1,gone.leaver@contoso.com,"),
        "{text}"
    );
    assert!(text.contains(",bamboohr,no_account,,"), "{text}");
}

/// The scans verify in the ledger; a scan record changed afterwards does not.
fn tamper_with_a_scan(app: &TestApp, scan: &ScanRecord) {
    let (code, out) = verify_ledger(app);
    assert_eq!(code, 0, "untouched scans and cases verify:\n{out}");
    let period = scan.started_at.format("%Y-%m").to_string();
    let chain = ScanRecord::chain_id(&scan.scan_id);
    let path = app
        .data_dir()
        .join("evidence/cases")
        .join(&period)
        .join(chain.as_str())
        .join("records/000000.json");
    edit(&path, |v| {
        v["details"]["found"]["orphaned_account"] = json!(0)
    });
    let (code, out) = verify_ledger(app);
    assert_eq!(code, 1, "a tampered scan must fail verification:\n{out}");
    assert!(out.contains(chain.as_str()), "{out}");
    let _ = offboard;
}

fn edit(path: &Path, f: impl FnOnce(&mut Value)) {
    let mut perms = std::fs::metadata(path).expect("scan record").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).expect("chmod");
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json");
    f(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).expect("json")).expect("write");
}

#[tokio::test]
async fn ghost_access_embedded() {
    ghost_access(Backend::Embedded).await;
}

#[tokio::test]
async fn ghost_access_azure() {
    ghost_access(Backend::Azure).await;
}

/// AD's own accounts through the on-prem agent: an enabled account in the managed OU that HR
/// does not know (synced or not, Entra ID may not show it) is an orphan; one in an OU the
/// policy excludes is not; with the agent gone, the scan says so and clears no AD orphan.
async fn ad_orphans_through_the_agent(backend: Backend) {
    let samba = must(Samba::from_env());
    let mut admin = must(samba.admin().await);
    let service_ou = must(create_ou(&mut admin, &samba.users_ou).await);
    let orphan = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let service = must(create_user(&mut admin, &service_ou, 512).await);
    let _ = admin.unbind().await;
    let hybrid = must(Hybrid::start(samba.clone()).await);
    let policy_dir = tempfile::tempdir().expect("tempdir");
    let policy = policy_file(
        policy_dir.path(),
        "exclude_ous = []",
        &format!("exclude_ous = [\"{service_ou}\"]"),
    );
    let (bamboo, app) = app_reading_bamboohr(backend, policy, |s| hybrid.configure(s)).await;
    // Everyone in the tenant is a current employee: only AD can hold an orphan.
    seed_bamboohr(&app, &bamboo, &population(&app, &[], &[])).await;
    let agent = must(hybrid.spawn_agent().await);

    // From the command line, as a dry run: AD is listed through the agent with the command
    // signing key the settings name, and nothing is stored.
    let dry = cli_scan(&app, &["--dry-run"]).await;
    assert!(dry.scan.dry_run);
    assert_eq!(
        dry.scan.parameters["adAccounts"],
        "listed through the agent"
    );
    assert!(
        dry.findings
            .iter()
            .any(|f| f.id().starts_with("orphaned_account:ad:")
                && f.observation.subject == orphan.upn),
        "{:?}",
        ids(&dry.findings)
    );
    let stored: FindingsPage = app.get("/api/findings").await.body();
    assert_eq!(
        ids(&stored.findings),
        Vec::<String>::new(),
        "a dry run stores nothing"
    );

    let first = scan(&app).await;
    assert!(first.scan.complete(), "{:?}", first.scan.sources);
    assert!(
        first.scan.accounts.get("ad").is_some_and(|n| *n >= 1),
        "{:?}",
        first.scan.accounts
    );
    let ad_orphans: Vec<&offboard_core::reconcile::Finding> = first
        .findings
        .iter()
        .filter(|f| f.id().starts_with("orphaned_account:ad:"))
        .collect();
    let found = ad_orphans
        .iter()
        .find(|f| f.observation.subject == orphan.upn)
        .unwrap_or_else(|| {
            panic!(
                "the AD orphan {} is found: {:?}",
                orphan.upn,
                ids(&first.findings)
            )
        });
    assert!(
        found.observation.what.contains("AD (managed OUs)"),
        "{found:?}"
    );
    assert!(
        !first
            .findings
            .iter()
            .any(|f| f.observation.subject == service.upn),
        "an account in an excluded OU is no orphan"
    );
    assert!(
        !first
            .findings
            .iter()
            .any(|f| f.id().starts_with("orphaned_account:entra:")),
        "{:?}",
        ids(&first.findings)
    );

    // The agent gone: a finding says AD could not be read, and the AD orphan stays open.
    agent.stop().await;
    let second = scan(&app).await;
    assert!(
        ids(&second.findings).contains(&"source_failed:ad".to_owned()),
        "{:?}",
        ids(&second.findings)
    );
    assert!(
        !ids(&second.resolved).contains(&found.id().to_owned()),
        "{:?}",
        ids(&second.resolved)
    );
    let open: FindingsPage = app.get("/api/findings?type=orphaned_account").await.body();
    assert!(ids(&open.findings).contains(&found.id().to_owned()));
    app.shutdown().await;
}

#[tokio::test]
async fn ad_orphans_through_the_agent_embedded() {
    ad_orphans_through_the_agent(Backend::Embedded).await;
}

#[tokio::test]
async fn ad_orphans_through_the_agent_azure() {
    ad_orphans_through_the_agent(Backend::Azure).await;
}

/// Who the bad-source test knows: HR's report as CSV (everyone current except `orphan`, who
/// is not in it), with the given header.
fn report_csv(app: &TestApp, orphan: &str, header: &[&str]) -> String {
    let mut out = header.join(",");
    out.push('\n');
    for u in app.sim.state().users.iter().filter(|u| u.id != orphan) {
        let cells: Vec<String> = header
            .iter()
            .map(|h| match *h {
                "Employee_ID" => u.employee_id.clone().unwrap_or_default(),
                "Email" => u.user_principal_name.clone(),
                "Status" => "Active".into(),
                "Full_Name" => u.display_name.replace(',', " "),
                _ => String::new(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

const FULL: [&str; 6] = [
    "Employee_ID",
    "Email",
    "Status",
    "Termination_Date",
    "Termination_Type",
    "Full_Name",
];

/// One scan whose `report` source fails: the scan is incomplete, the failure is a finding
/// and a notification (mail through the tenant) naming `setting`, and the orphan found by the
/// last good scan is neither resolved nor joined by anyone whose row did not load.
async fn fails_naming(app: &TestApp, orphan_finding: &str, setting: &str) {
    let mails_before = source_mails(app).len();
    let s = scan(app).await;
    assert!(!s.scan.complete(), "{:?}", s.scan.sources);
    let src = &s.scan.sources[0];
    assert!(src.sha256.is_none() && src.rows == 0, "{src:?}");
    assert!(
        src.error.as_deref().is_some_and(|e| e.contains(setting)),
        "{src:?}"
    );
    let failed = s
        .findings
        .iter()
        .find(|f| f.id() == "source_failed:report")
        .expect("the failing source is a finding");
    assert!(
        failed.observation.what.contains(setting) && failed.observation.action.contains(setting),
        "{failed:?}"
    );
    assert!(
        s.scan.raised.contains_key("source_failed"),
        "{:?}",
        s.scan.raised
    );
    assert!(
        s.findings
            .iter()
            .chain(&s.resolved)
            .all(|f| f.observation.kind.as_str() != "orphaned_account"),
        "no orphan judged or resolved from a failed source: {:?} / {:?}",
        ids(&s.findings),
        ids(&s.resolved)
    );
    let open: FindingsPage = app
        .get("/api/findings?type=orphaned_account&status=open")
        .await
        .body();
    assert_eq!(ids(&open.findings), [orphan_finding.to_owned()]);
    // The notification names the setting (the notify queue delivers it as mail).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mails = source_mails(app);
        if mails.len() > mails_before {
            let last = mails.last().expect("a mail");
            assert!(last.body.contains(setting), "{}", last.body);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no notification naming {setting}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn source_mails(app: &TestApp) -> Vec<standin_tenant::model::SentMail> {
    app.sim
        .state()
        .sent_mail
        .into_iter()
        .filter(|m| m.subject.contains("HR population source failed"))
        .collect()
}

/// A good scan in between: the report loads again and the source's finding is resolved (so
/// the next failure is raised, and notified, anew).
async fn loads_again(app: &TestApp, bamboo: &BambooHr, csv: &str, orphan_finding: &str) {
    put_export(app, bamboo, csv).await;
    let s = scan(app).await;
    assert!(s.scan.complete(), "{:?}", s.scan.sources);
    assert!(ids(&s.findings).contains(&orphan_finding.to_owned()));
}

async fn put_export(app: &TestApp, bamboo: &BambooHr, body: &str) {
    let put = app
        .client
        .put(format!("{}/_sim/export", bamboo.base()))
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .expect("set the export");
    assert!(put.status().is_success());
}

async fn a_bad_source_fails_the_scan_naming_the_setting(backend: Backend) {
    let bamboo = BambooHr::start(Seed {
        company_domain: "contoso".into(),
        api_key: "raas-password-for-tests".into(),
        employees: Vec::new(),
    })
    .await
    .expect("HR export stand-in");
    let url = format!(
        "{}/ccx/service/customreport2/contoso/offboard/Worker_Data?format=csv",
        bamboo.base()
    );
    let secret = bamboo.api_key().to_owned();
    let app = spawn_app_with(backend, Default::default(), |s| {
        s.insert("OFFBOARD_POPULATION_SOURCES".into(), "report".into());
        s.insert("OFFBOARD_POPULATION_REPORT_URL".into(), url);
        s.insert("OFFBOARD_POPULATION_REPORT_USER".into(), "raas".into());
        s.insert("OFFBOARD_POPULATION_REPORT_SECRET".into(), secret);
        s.insert(
            "OFFBOARD_NOTIFY_MAIL_FROM".into(),
            "GradyA@contoso.com".into(),
        );
        s.insert(
            "OFFBOARD_NOTIFY_MAIL_TO".into(),
            "compliance@contoso.com".into(),
        );
    })
    .await;
    let orphan = app
        .sim
        .state()
        .users
        .iter()
        .find(|u| u.account_enabled && u.user_type == "Member")
        .expect("an orphan candidate")
        .id
        .clone();
    let orphan_finding = format!("orphaned_account:entra:{orphan}");
    let good = report_csv(&app, &orphan, &FULL);
    loads_again(&app, &bamboo, &good, &orphan_finding).await;
    let open: FindingsPage = app.get("/api/findings?type=orphaned_account").await.body();
    assert_eq!(ids(&open.findings), std::slice::from_ref(&orphan_finding));

    // A malformed CSV (a ragged row): the whole source fails, never half of it.
    let mut ragged = good.clone();
    ragged.push_str("E9999,late@contoso.com\n");
    put_export(&app, &bamboo, &ragged).await;
    fails_naming(&app, &orphan_finding, "OFFBOARD_POPULATION_REPORT_URL").await;
    loads_again(&app, &bamboo, &good, &orphan_finding).await;

    // A column missing (the export lost `Status`): names the column and the mapping.
    let no_status: Vec<&str> = FULL.iter().copied().filter(|c| *c != "Status").collect();
    put_export(&app, &bamboo, &report_csv(&app, &orphan, &no_status)).await;
    fails_naming(&app, &orphan_finding, "OFFBOARD_POPULATION_REPORT_URL").await;
    let f: FindingsPage = app.get("/api/findings?type=source_failed").await.body();
    assert!(
        f.findings
            .iter()
            .any(|f| f.observation.what.contains("Status")
                && f.observation.what.contains("report_columns")),
        "{:?}",
        f.findings
    );
    loads_again(&app, &bamboo, &good, &orphan_finding).await;

    // The credential refused (401): names the secret's setting.
    let fault = app
        .client
        .post(format!("{}/_sim/faults", bamboo.base()))
        .json(&json!({"count": 1, "status": 401}))
        .send()
        .await
        .expect("fault");
    assert!(fault.status().is_success());
    fails_naming(&app, &orphan_finding, "OFFBOARD_POPULATION_REPORT_SECRET").await;
    loads_again(&app, &bamboo, &good, &orphan_finding).await;

    // Unreachable (the export server is gone): names the URL's setting.
    drop(bamboo);
    fails_naming(&app, &orphan_finding, "OFFBOARD_POPULATION_REPORT_URL").await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_bad_source_fails_the_scan_naming_the_setting_embedded() {
    a_bad_source_fails_the_scan_naming_the_setting(Backend::Embedded).await;
}

#[tokio::test]
async fn a_bad_source_fails_the_scan_naming_the_setting_azure() {
    a_bad_source_fails_the_scan_naming_the_setting(Backend::Azure).await;
}

/// A synced leaver's AD account re-enabled after the case, end to end: the case completes
/// through the agent on Samba, an AD administrator turns the account on again (LDAP, behind
/// offboard's back), `offboard scan` (the CLI, with the deployment's settings) re-reads it
/// through the agent and reports `access_returned`
/// (`ad-account-enabled`), `auto_remediate` re-runs `ad-disable` on the same case (new records,
/// a new seal generation), AD reads disabled again, and the next scan resolves the finding.
/// Directory sync is stopped before the re-enable, so the cloud account stays off: its side
/// of a re-enable (`account-enabled`) is `ghost_access`'s.
async fn ad_account_enabled_again(backend: Backend) {
    use crate::hybrid::{UAC_BEFORE, rig_with, uac};
    let r = rig_with(
        backend,
        standin_tenant::SimConfig {
            directory_sync_delay: Some(Duration::from_secs(1)),
            ..Default::default()
        },
        &[("auto_remediate = false", "auto_remediate = true".to_owned())],
    )
    .await;
    let agent = must(r.hybrid.spawn_agent().await);
    let sync = r.sync().await;
    let id = r.terminate().await;
    r.finished(&id, Duration::from_secs(240)).await;
    let sealed = r
        .app
        .wait_case(&id, Duration::from_secs(60), |c| {
            c.timeline.evidence.seal_hash.is_some()
        })
        .await;
    assert_eq!(
        sealed.case.status,
        CaseStatus::Completed,
        "{:?}",
        sealed.case.plan
    );
    sync.stop().await;
    let before = records_by_step(&r.app, &id).await;
    let clean = scan(&r.app).await;
    let finding = format!("access_returned:{id}:ad-account-enabled");
    assert!(
        !ids(&clean.findings).contains(&finding),
        "{:?}",
        ids(&clean.findings)
    );

    r.enable_in_ad().await;
    assert_eq!(uac(&r.ad().await) & 0x2, 0, "enabled in AD");
    // From the command line: the operator's scan re-reads AD through the agent and queues the
    // re-run for the deployment's workers, as the timer's scan does.
    let found = cli_scan(&r.app, &[]).await;
    let f = found
        .findings
        .iter()
        .find(|f| f.id() == finding)
        .unwrap_or_else(|| panic!("{finding} in {:?}", ids(&found.findings)));
    assert!(found.scan.raised.contains_key("access_returned"));
    assert!(f.observation.what.contains("AD account is enabled again"));
    let handled = f.handled.as_deref().unwrap_or_default();
    assert!(handled.contains("ad-disable"), "{handled}");

    // auto_remediate: ad-disable runs again on the same case and verifies, under a new seal.
    let resealed = r
        .app
        .wait_case(&id, Duration::from_secs(120), |c| {
            c.case.status == CaseStatus::Completed
                && c.timeline.evidence.seal_hash.is_some()
                && c.timeline.evidence.seal_hash != sealed.timeline.evidence.seal_hash
        })
        .await;
    assert!(resealed.case.plan.is_some());
    assert_eq!(uac(&r.ad().await), UAC_BEFORE | 0x2, "disabled again in AD");
    let after = records_by_step(&r.app, &id).await;
    // Steps only: the case's own records (reopened, resealed) are not a step's.
    let rerun: Vec<&String> = after
        .keys()
        .filter(|k| !["seal", "case"].contains(&k.as_str()) && after.get(*k) != before.get(*k))
        .collect();
    assert_eq!(rerun, ["ad-disable"], "{before:?} -> {after:?}");
    let ev = r.evidence(&id).await;
    assert_eq!(
        ev.packet
            .as_ref()
            .expect("a packet")
            .seal
            .as_ref()
            .map(|s| s.generation),
        Some(1)
    );

    let fixed = scan(&r.app).await;
    assert!(
        ids(&fixed.resolved).contains(&finding),
        "{:?}",
        ids(&fixed.resolved)
    );
    agent.stop().await;
    r.app.shutdown().await;
}

#[tokio::test]
async fn a_synced_leavers_ad_account_enabled_again_is_found_and_disabled_again_embedded() {
    ad_account_enabled_again(Backend::Embedded).await;
}

#[tokio::test]
async fn a_synced_leavers_ad_account_enabled_again_is_found_and_disabled_again_azure() {
    ad_account_enabled_again(Backend::Azure).await;
}
