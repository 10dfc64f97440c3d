//! Ghost-access scan benchmark: `POST /api/scans` through the local Functions host into the
//! real `handler`, against the tenant simulator grown to `users` accounts and the BambooHR
//! stand-in holding `users` HR rows.
//!
//! ```text
//! cargo build -p offboard-handler --bin handler     # the bench runs the handler built next to it
//! cargo bench -p offboard-testkit --bench scan --profile dev -- [users=100000] [embedded|azure]
//! ```
//!
//! (`--profile dev` runs the debug `handler` that `cargo build` made; without it, build the
//! release `handler` first.)
//!
//! ```text
//! ```
//!
//! Planted, on top of the demo tenant: `users` HR rows of which 2 % are leavers. Of the
//! leavers, 5 were offboarded by offboard (sealed cases) and then had their account re-enabled
//! and a group re-added behind its back (drift: 10 `access_returned`; every other removal the
//! cases verified is re-read too and must not be reported), 20 still have an enabled
//! account and no case (ghosts: 20 `missed_termination`), 10 of whom signed in after leaving
//! (10 `signin_after_termination`); the rest have no account any more. 25 enabled accounts
//! match no one in HR (25 `orphaned_account`) and 10 service accounts (`employeeType`
//! `Service`) are not in HR either and must not be reported. `auto_open` is off so the run
//! measures the scan, not the offboardings it would start.
//!
//! Prints the wall time of the scan request, Graph requests (and per 1,000 users, and the
//! directory pages among them), Exchange Online calls (the drift re-check's mailbox reads), the handler's peak resident memory (`VmHWM`) and findings
//! found vs planted (by id: every planted one found, nothing else).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use offboard_api::ScanAnswer;
use offboard_core::ids::CaseId;
use offboard_testkit::leavers::{seed_leavers, terminate, wait_sealed, warm_up};
use offboard_testkit::{Backend, TestApp, spawn_app_with};
use serde_json::{Map, Value, json};
use standin_bamboohr::{BambooHr, Seed};
use standin_tenant::demo::ids;

const DRIFTS: usize = 5;
const GHOSTS: usize = 20;
const SIGNED_IN: usize = 10;
const ORPHANS: usize = 25;
const SERVICES: usize = 10;

/// Peak resident memory of a process, in KiB (`VmHWM`).
fn peak_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn row(id: usize, emp: &str, upn: &str, name: &str, left: Option<&str>) -> Map<String, Value> {
    let (first, last) = name.split_once(' ').unwrap_or((name, ""));
    let v = json!({
        "id": id.to_string(),
        "employeeNumber": emp,
        "firstName": first,
        "lastName": last,
        "workEmail": upn,
        "status": if left.is_some() { "Inactive" } else { "Active" },
        "terminationDate": left,
        "terminationType": if left.is_some() { "Voluntary" } else { "" },
    });
    v.as_object().cloned().unwrap_or_default()
}

async fn scan(app: &TestApp) -> anyhow::Result<ScanAnswer> {
    let a = app
        .client
        .post(format!("{}/api/scans", app.base_url()))
        .bearer_auth(&app.operator_token)
        .timeout(Duration::from_secs(900))
        .send()
        .await?;
    let status = a.status();
    let text = a.text().await?;
    anyhow::ensure!(status.is_success(), "the scan answered {status}: {text}");
    Ok(serde_json::from_str(&text)?)
}

async fn run(backend: Backend, users: usize) -> anyhow::Result<()> {
    let bamboo = BambooHr::start(Seed {
        company_domain: "contoso".into(),
        api_key: "bench-key".into(),
        employees: Vec::new(),
    })
    .await?;
    let policy_dir = tempfile::tempdir()?;
    let builtin = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/policy.toml"),
    )?;
    anyhow::ensure!(builtin.contains("auto_open = true"));
    let policy = policy_dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        builtin.replace("auto_open = true", "auto_open = false"),
    )?;
    let (url, key) = (bamboo.api_base(), bamboo.api_key().to_owned());
    let app = spawn_app_with(backend, Default::default(), |s| {
        s.insert("OFFBOARD_POPULATION_SOURCES".into(), "bamboohr".into());
        s.insert("OFFBOARD_POPULATION_BAMBOOHR_URL".into(), url);
        s.insert("OFFBOARD_POPULATION_BAMBOOHR_KEY".into(), key);
        s.insert("OFFBOARD_POLICY_FILE".into(), policy.display().to_string());
    })
    .await;
    warm_up(&app).await?;

    // Drift: offboard 5 leavers to sealed cases, then give back the account and a group.
    let drifted = seed_leavers(&app, DRIFTS, "d")?;
    let mut cases = Vec::new();
    for l in &drifted {
        cases.push(terminate(&app, l).await?.0);
    }
    let sealed = wait_sealed(
        &app,
        &cases,
        Duration::from_secs(600),
        Duration::from_secs(1),
    )
    .await?;
    let mut planted = BTreeSet::new();
    for (l, case) in drifted.iter().zip(&cases) {
        let c = sealed.get(case).context("sealed")?;
        let group = c
            .plan
            .as_ref()
            .and_then(|p| p.facts.groups.iter().find(|g| g.removable))
            .map(|g| g.id.clone())
            .context("the case removed a group")?;
        app.sim.with_state(|t| {
            if let Some(u) = t.users.iter_mut().find(|u| u.id == l.id) {
                u.account_enabled = true;
            }
            if let Some(g) = t.groups.iter_mut().find(|g| g.id == group) {
                g.members.push(l.id.clone());
            }
        });
        planted.insert(format!("access_returned:{case}:account-enabled"));
        planted.insert(format!("access_returned:{case}:group:{group}"));
    }

    // The tenant grows to `users` accounts; HR holds `users` rows, 2 % of them leavers.
    let left = (Utc::now() - chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let leavers = users * 2 / 100;
    let mut rows: Vec<Map<String, Value>> = Vec::with_capacity(users);
    let existing: Vec<(String, Option<String>, String, String)> = app
        .sim
        .state()
        .users
        .iter()
        .filter(|u| u.user_type == "Member")
        .map(|u| {
            (
                u.id.clone(),
                u.employee_id.clone(),
                u.user_principal_name.clone(),
                u.display_name.clone(),
            )
        })
        .collect();
    let drift_ids: BTreeSet<&str> = drifted.iter().map(|l| l.id.as_str()).collect();
    for (i, (id, emp, upn, name)) in existing.iter().enumerate() {
        let emp = emp.clone().unwrap_or_else(|| format!("X{i:06}"));
        let gone = drift_ids.contains(id.as_str()).then_some(left.as_str());
        rows.push(row(rows.len() + 1, &emp, upn, name, gone));
    }
    let synthetic = users.saturating_sub(rows.len() + leavers - DRIFTS);
    let (ghost_rows, orphan_ids) = app.sim.with_state(|t| {
        let template = t.user(ids::ADELE).cloned().context("the demo has Adele")?;
        let domain = t.domain.clone();
        let make = |tag: &str, i: usize, kind: &str| {
            let mut u = template.clone();
            u.id = uuid::Uuid::new_v4().to_string();
            u.user_principal_name = format!("{tag}{i:06}@{domain}");
            u.mail = Some(u.user_principal_name.clone());
            u.display_name = format!("Person {tag}{i:06}");
            u.given_name = Some("Person".into());
            u.surname = Some(format!("{tag}{i:06}"));
            u.employee_id = Some(format!("{}{i:06}", tag.to_uppercase()));
            u.employee_type = Some(kind.to_owned());
            u.account_enabled = true;
            u.last_sign_in_date_time = None;
            u
        };
        let mut added = Vec::with_capacity(synthetic + GHOSTS + ORPHANS + SERVICES);
        let mut rows = Vec::with_capacity(synthetic + GHOSTS);
        for i in 0..synthetic {
            let u = make("p", i, "Employee");
            rows.push((
                u.employee_id.clone(),
                u.user_principal_name.clone(),
                u.display_name.clone(),
                None,
            ));
            added.push(u);
        }
        for i in 0..GHOSTS {
            let mut u = make("g", i, "Employee");
            if i < SIGNED_IN {
                u.last_sign_in_date_time = Some(Utc::now() - chrono::Duration::hours(1));
            }
            rows.push((
                u.employee_id.clone(),
                u.user_principal_name.clone(),
                u.display_name.clone(),
                Some((u.id.clone(), i < SIGNED_IN)),
            ));
            added.push(u);
        }
        let mut orphans = Vec::with_capacity(ORPHANS);
        for i in 0..ORPHANS {
            let u = make("o", i, "Employee");
            orphans.push(u.id.clone());
            added.push(u);
        }
        for i in 0..SERVICES {
            added.push(make("s", i, "Service"));
        }
        t.users.extend(added);
        anyhow::Ok((rows, orphans))
    })?;
    for (emp, upn, name, ghost) in &ghost_rows {
        let emp = emp.clone().unwrap_or_default();
        match ghost {
            None => rows.push(row(rows.len() + 1, &emp, upn, name, None)),
            Some((id, signed_in)) => {
                rows.push(row(rows.len() + 1, &emp, upn, name, Some(&left)));
                planted.insert(format!("missed_termination:{emp}"));
                if *signed_in {
                    planted.insert(format!("signin_after_termination:{id}"));
                }
            }
        }
    }
    // Leavers whose account is gone: nothing to find.
    while rows.len() < users {
        let i = rows.len();
        rows.push(row(
            i + 1,
            &format!("L{i:06}"),
            &format!("left{i:06}@contoso.com"),
            "Former Employee",
            Some(&left),
        ));
    }
    for o in &orphan_ids {
        planted.insert(format!("orphaned_account:entra:{o}"));
    }
    let accounts = app.sim.state().users.len();
    let put = app
        .client
        .put(format!("{}/_sim/employees", bamboo.base()))
        .json(&rows)
        .send()
        .await?;
    anyhow::ensure!(
        put.status().is_success(),
        "seeding BambooHR: {}",
        put.status()
    );

    let pid = app.host().handler_pid().await.context("handler pid")?;
    app.sim.clear_requests();
    let started = Instant::now();
    let answer = match scan(&app).await {
        Ok(a) => a,
        Err(e) => {
            let log = app.handler_log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            for l in tail.iter().rev() {
                eprintln!("handler: {l}");
            }
            return Err(e);
        }
    };
    let wall = started.elapsed();
    let peak = peak_kib(pid).unwrap_or(0);
    let log = app.sim.requests();
    // Graph HTTP requests the simulator answered (`$batch` items are logged after their
    // batch), and Exchange Online calls apart.
    let graph: Vec<_> = log.iter().filter(|r| r.service == "graph").collect();
    let exchange: Vec<&str> = log
        .iter()
        .filter(|r| r.service == "exchange")
        .map(|r| r.cmdlet.as_deref().unwrap_or("?"))
        .collect();
    let http: Vec<_> = graph.iter().filter(|r| r.batch_id.is_none()).collect();
    let items = graph.len() - http.len();
    let batches = http.iter().filter(|r| r.path == "/$batch").count();
    let pages = http
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/users")
        .count();
    let found: BTreeSet<String> = answer.findings.iter().map(|f| f.id().to_owned()).collect();
    let missed: Vec<&String> = planted.difference(&found).collect();
    let extra: Vec<&String> = found.difference(&planted).collect();
    println!(
        "ghost-access scan {backend:?}: {accounts} accounts, {} HR rows ({leavers} leavers)",
        rows.len()
    );
    println!(
        "  wall time {:.1} s; Graph HTTP requests {} ({:.2} per 1,000 users): {pages} directory pages of up to 999, {batches} $batch carrying {items} per-user reads (suspects and drift checks); the scan record counts {}; Exchange Online calls {} ({exchange:?})",
        wall.as_secs_f64(),
        http.len(),
        http.len() as f64 * 1000.0 / accounts as f64,
        answer.scan.graph_requests,
        exchange.len(),
    );
    println!(
        "  handler peak memory (VmHWM) {:.1} MiB",
        peak as f64 / 1024.0
    );
    println!(
        "  findings: {} found, {} planted, {} planted not found, {} found not planted",
        found.len(),
        planted.len(),
        missed.len(),
        extra.len()
    );
    println!("  by type: {:?}", answer.scan.found);
    if !missed.is_empty() || !extra.is_empty() {
        println!("  not found: {missed:?}\n  not planted: {extra:?}");
    }
    let _: Vec<CaseId> = cases;
    app.shutdown().await;
    anyhow::ensure!(
        missed.is_empty() && extra.is_empty(),
        "findings differ from the plant"
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let users = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000usize);
    let backend = match args.get(1).map(String::as_str) {
        Some("azure") => Backend::Azure,
        _ => Backend::Embedded,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(backend, users))
}
