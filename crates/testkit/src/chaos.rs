//! The chaos run: synthetic leavers terminated through the local Functions host while the
//! tenant answers a share of requests with transient faults, the handler process is killed
//! at random moments, every HR event arrives several times (some leavers reported by two
//! providers) and, optionally, several host + handler instances share the same queues and
//! stores as a scaled-out Function App does. It reports what an auditor would ask: did every
//! case finish, was anything done twice (from the simulator's request log, not from
//! offboard's own view), is any change missing from the evidence, and does
//! `offboard verify --ledger` accept the result.
//!
//! The benchmark `crates/testkit/benches/chaos.rs` runs it at size and prints the figures;
//! the end-to-end suite runs a small one and asserts the goals.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use offboard_core::case::Case;
use offboard_core::ids::CaseId;
use offboard_core::plan::StepKind;
use rand::Rng as _;
use serde_json::{Value, json};

use crate::app::{Backend, TestApp, offboard_executable, spawn_app};
use crate::leavers::{Leaver, is_final, secs, seed_leavers, warm_up};
use crate::writes::{by_leaver, duplicated_writes, lost_writes, manager_upn, write_key};

/// What to inflict.
#[derive(Debug, Clone)]
pub struct ChaosOptions {
    /// Storage backend of every instance.
    pub backend: Backend,
    /// Synthetic leavers terminated.
    pub leavers: usize,
    /// Host + handler instances over the same queues and stores (1 = no scale-out).
    pub instances: usize,
    /// Handler processes killed (SIGKILL), each at a random moment of `kill_window` starting
    /// `kill_from` after the first delivery, on a random instance.
    pub kills: usize,
    /// When the kill window opens, after the first delivery.
    pub kill_from: Duration,
    /// The window the kills fall in.
    pub kill_window: Duration,
    /// Share (0..1) of Graph and Exchange requests answered with a transient 503 or 504.
    pub fault_rate: f64,
    /// How many times every HR event is delivered (as a provider retrying would).
    pub deliveries: usize,
    /// Every n-th leaver is also reported by BambooHR (its own event id) besides the generic
    /// webhook; 0 = never.
    pub second_provider_every: usize,
    /// How long to wait for every case to be sealed.
    pub within: Duration,
}

impl Default for ChaosOptions {
    fn default() -> Self {
        Self {
            backend: Backend::Embedded,
            leavers: 30,
            instances: 1,
            kills: 1,
            kill_from: Duration::ZERO,
            kill_window: Duration::from_secs(5),
            fault_rate: 0.10,
            deliveries: 3,
            second_provider_every: 5,
            within: Duration::from_secs(600),
        }
    }
}

impl ChaosOptions {
    /// Whether the `i`-th leaver is also reported by the second provider.
    pub fn reported_twice(&self, i: usize) -> bool {
        self.second_provider_every > 0 && i.is_multiple_of(self.second_provider_every)
    }
}

/// What the run showed.
#[derive(Debug, Clone)]
pub struct ChaosReport {
    /// The options it ran with.
    pub options: ChaosOptions,
    /// Distinct cases the intake answers named.
    pub cases: usize,
    /// Of those, sealed (completed or completed with exceptions) within the time allowed.
    pub terminal: usize,
    /// HR deliveries sent, and how many of them had to be retried (no 202 at first).
    pub deliveries: usize,
    /// Deliveries that got another answer than 202 and were sent again.
    pub delivery_retries: usize,
    /// Handler processes killed, and restarts the hosts counted.
    pub kills: usize,
    /// Restarts of handler processes counted by the hosts.
    pub restarts: u32,
    /// Graph and Exchange requests answered with an injected 503/504.
    pub faults: usize,
    /// Writes the plans required, and those lost (not made, or not in the final state).
    pub required: usize,
    /// Lost writes, described.
    pub lost: Vec<String>,
    /// Successful writes made more than once, with how many times.
    pub duplicates: Vec<(String, usize)>,
    /// Of the duplicate side effects, those on leavers one provider reported (so not the
    /// two-cases-for-one-person defect).
    pub duplicates_single_provider: usize,
    /// Changes with no evidence, verified steps without a record, packets that do not verify.
    pub evidence_gaps: Vec<String>,
    /// `offboard verify --ledger`: exit code and output.
    pub verify_ledger: (i32, String),
    /// From the first delivery to the last seal (the cases' own timestamps), if all sealed.
    pub all_sealed_after: Option<Duration>,
    /// Where the handlers' logs were kept.
    pub handler_log: String,
}

impl ChaosReport {
    /// Duplicate side effects: each extra time a write was made.
    pub fn duplicate_writes(&self) -> usize {
        self.duplicates.iter().map(|(_, c)| c - 1).sum()
    }

    /// The goals: every case terminal, nothing lost or done twice, no evidence gap, the
    /// ledger verified.
    pub fn goals_met(&self) -> bool {
        self.cases > 0
            && self.terminal == self.cases
            && self.lost.is_empty()
            && self.duplicates.is_empty()
            && self.evidence_gaps.is_empty()
            && self.verify_ledger.0 == 0
    }

    /// The figures, as the benchmark prints them.
    pub fn render(&self) -> String {
        let o = &self.options;
        let mut out = format!(
            "chaos {:?}: {} leavers, {} instance(s), {} kills ({:.0}–{:.0} s after the first delivery), {:.0} % injected faults, every event delivered {}× (every {} leaver also by BambooHR)\n",
            o.backend,
            o.leavers,
            o.instances,
            o.kills,
            o.kill_from.as_secs_f64(),
            (o.kill_from + o.kill_window).as_secs_f64(),
            o.fault_rate * 100.0,
            o.deliveries,
            o.second_provider_every,
        );
        out.push_str(&format!(
            "  cases terminal / total:   {} / {}\n",
            self.terminal, self.cases
        ));
        out.push_str(&format!(
            "  duplicate side effects:   {} ({} distinct writes; {} on leavers one provider reported)\n",
            self.duplicate_writes(),
            self.duplicates.len(),
            self.duplicates_single_provider
        ));
        out.push_str(&format!(
            "  lost writes:              {} of {} required\n",
            self.lost.len(),
            self.required
        ));
        out.push_str(&format!(
            "  evidence gaps:            {}\n",
            self.evidence_gaps.len()
        ));
        let verified = self
            .verify_ledger
            .1
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_owned();
        out.push_str(&format!(
            "  verify --ledger:          exit {} ({verified})\n",
            self.verify_ledger.0
        ));
        if self.verify_ledger.0 != 0 {
            for l in self.verify_ledger.1.lines().take(20) {
                out.push_str(&format!("    verify: {l}\n"));
            }
        }
        out.push_str(&format!(
            "  time to all sealed:       {}\n",
            self.all_sealed_after
                .map(|d| format!("{:.1} s", d.as_secs_f64()))
                .unwrap_or_else(|| "not all sealed".into())
        ));
        out.push_str(&format!(
            "  deliveries {} ({} retried after a non-202); handler kills {}, restarts {}; injected faults answered {}\n",
            self.deliveries, self.delivery_retries, self.kills, self.restarts, self.faults
        ));
        for (k, c) in self.duplicates.iter().take(10) {
            out.push_str(&format!("    duplicated ×{c}: {k}\n"));
        }
        for l in self.lost.iter().take(10) {
            out.push_str(&format!("    lost: {l}\n"));
        }
        for g in self.evidence_gaps.iter().take(10) {
            out.push_str(&format!("    gap: {g}\n"));
        }
        out.push_str(&format!("  handler logs: {}\n", self.handler_log));
        out
    }
}

/// One HR event as a provider sends it, redelivered unchanged (new timestamp and signature,
/// same event).
#[derive(Clone)]
enum HrEvent {
    Generic { webhook_id: String, body: Vec<u8> },
    BambooHr { body: Vec<u8> },
}

fn generic_event(l: &Leaver, at: DateTime<Utc>) -> HrEvent {
    let body = json!({
        "type": "employee.terminated",
        "timestamp": at.to_rfc3339(),
        "data": {
            "eventId": format!("chaos-{}", uuid::Uuid::new_v4().simple()),
            "employee": {"employeeId": l.employee_id, "userPrincipalName": l.upn},
            "effectiveAt": at.to_rfc3339(),
            "kind": "involuntary"
        }
    });
    HrEvent::Generic {
        webhook_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
        body: body.to_string().into_bytes(),
    }
}

/// BambooHR sends a date; yesterday's (company time zone or not) is already due.
fn bamboohr_event(l: &Leaver, at: DateTime<Utc>) -> HrEvent {
    let date = (at - chrono::TimeDelta::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let body = json!({"employees": [{
        "id": format!("b{}", l.employee_id), "action": "Updated", "timestamp": at.to_rfc3339(),
        "fields": {"Work Email": l.upn, "Employee #": l.employee_id,
                   "Employment Status": "Terminated", "Termination Date": date,
                   "Termination Type": "Involuntary"},
        "changedFields": ["Employment Status"]
    }]});
    HrEvent::BambooHr {
        body: body.to_string().into_bytes(),
    }
}

/// Delivers `event` through the host at `base` until it is accepted (202), as a provider
/// retries; returns the case the answer names and how many attempts were refused.
async fn deliver(app: &TestApp, base: &str, event: &HrEvent) -> anyhow::Result<(CaseId, usize)> {
    let mut refused = 0;
    let give_up = Instant::now() + Duration::from_secs(300);
    loop {
        let now = Utc::now().timestamp();
        let (path, headers, body) = match event {
            HrEvent::Generic { webhook_id, body } => (
                "/api/hris/generic",
                TestApp::generic_headers(&app.secrets.generic, webhook_id, now, body),
                body.clone(),
            ),
            HrEvent::BambooHr { body } => (
                "/api/hris/bamboohr",
                TestApp::bamboohr_headers(&app.secrets.bamboohr, now, body),
                body.clone(),
            ),
        };
        let mut req = app.client.post(format!("{base}{path}")).body(body);
        for (k, v) in &headers {
            req = req.header(*k, v);
        }
        let why = match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let json: Value = resp.json().await.unwrap_or(Value::Null);
                if status == 202
                    && let Some(id) = json["caseId"].as_str()
                {
                    return Ok((CaseId::parse(id)?, refused));
                }
                format!("{status} {json}")
            }
            Err(e) => e.to_string(),
        };
        refused += 1;
        anyhow::ensure!(
            Instant::now() < give_up,
            "an HR delivery was refused for 5 minutes: {why}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Kills a random instance's handler at each of `at` (offsets from `start`), each time once
/// that handler is up again; returns how many kills landed.
async fn killer(app: Arc<TestApp>, start: Instant, mut at: Vec<Duration>) -> usize {
    at.sort();
    let mut landed = 0;
    for offset in at {
        tokio::time::sleep_until((start + offset).into()).await;
        let hosts = app.hosts();
        let host = hosts[rand::rng().random_range(0..hosts.len())];
        // A handler still restarting from the previous kill is not killed twice.
        let deadline = Instant::now() + Duration::from_secs(60);
        while host.handler_pid().await.is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if host.handler_pid().await.is_some() {
            host.kill_handler().await;
            landed += 1;
        }
    }
    landed
}

/// Runs the chaos described by `options` on a fresh app and reports.
pub async fn run(options: ChaosOptions) -> anyhow::Result<ChaosReport> {
    let mut app = spawn_app(options.backend).await;
    for _ in 1..options.instances.max(1) {
        app.add_instance().await?;
    }
    warm_up(&app).await?;
    let leavers = seed_leavers(&app, options.leavers, "c")?;
    let manager = manager_upn(&app.sim.state()).context("the demo has Megan")?;
    let mut settings = app.sim.settings();
    settings.fault_rate = options.fault_rate;
    app.sim.set_settings(settings);
    app.sim.clear_requests();
    let app = Arc::new(app);

    let since = Utc::now() - chrono::TimeDelta::seconds(1);
    let started = Instant::now();
    let started_at = Utc::now();
    let kill_at: Vec<Duration> = (0..options.kills)
        .map(|_| options.kill_from + options.kill_window.mul_f64(rand::rng().random::<f64>()))
        .collect();
    let killing = tokio::spawn(killer(app.clone(), started, kill_at));

    // Every event delivered `deliveries` times: two at once, the rest a moment later, each
    // through a host chosen in turn (the HTTP functions scale out too).
    let bases: Vec<String> = app.hosts().iter().map(|h| h.base_url()).collect();
    let retries = Arc::new(AtomicUsize::new(0));
    let wire = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::new();
    let mut sent = 0usize;
    for (i, l) in leavers.iter().enumerate() {
        let mut events = vec![generic_event(l, Utc::now())];
        if options.reported_twice(i) {
            events.push(bamboohr_event(l, Utc::now()));
        }
        for event in events {
            for d in 0..options.deliveries {
                sent += 1;
                let (app, event, wire, retries) =
                    (app.clone(), event.clone(), wire.clone(), retries.clone());
                let base = bases[(i + d) % bases.len()].clone();
                tasks.push(tokio::spawn(async move {
                    if d >= 2 {
                        let ms = rand::rng().random_range(200..3000);
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                    }
                    let _permit = wire.acquire_owned().await?;
                    let (id, refused) = deliver(&app, &base, &event).await?;
                    retries.fetch_add(refused, Ordering::SeqCst);
                    anyhow::Ok(id)
                }));
            }
        }
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await??);
    }
    let ids: Vec<CaseId> = ids.into_iter().collect();
    let cases = wait_all(&app, &ids, options.within).await?;
    let kills = killing.await.unwrap_or(0);
    let terminal = cases.values().filter(|c| is_final(c)).count();
    let all_sealed_after = (terminal == ids.len())
        .then(|| {
            cases
                .values()
                .filter_map(|c| c.plan.as_ref()?.step(StepKind::Seal)?.finished_at)
                .max()
        })
        .flatten()
        .map(|last| Duration::from_secs_f64(secs(last - started_at).max(0.0)));

    let log = app.sim.requests();
    let state = app.sim.state();
    let faults = log.iter().filter(|r| matches!(r.status, 503 | 504)).count();
    let (required, lost) = lost_writes(&log, &state, &leavers, since, &manager);
    let duplicates = duplicated_writes(&log);
    let attributed = by_leaver(&log, &leavers);
    let duplicates_single_provider: usize = leavers
        .iter()
        .enumerate()
        .filter(|(i, _)| !options.reported_twice(*i))
        .filter_map(|(_, l)| attributed.get(&l.id))
        .map(|reqs| {
            let mut seen: HashMap<String, usize> = HashMap::new();
            for k in reqs.iter().filter_map(|r| write_key(r)) {
                *seen.entry(k).or_default() += 1;
            }
            seen.values().map(|c| c - 1).sum::<usize>()
        })
        .sum();
    let evidence_gaps = evidence_gaps(&app, &leavers, &cases, &log).await?;
    let verify_ledger = verify_ledger(&app).await?;
    let handler_log = keep_logs(&app, "chaos-handler.log");
    let restarts = app.hosts().iter().map(|h| h.handler_restarts()).sum();
    let report = ChaosReport {
        options,
        cases: ids.len(),
        terminal,
        deliveries: sent,
        delivery_retries: retries.load(Ordering::SeqCst),
        kills,
        restarts,
        faults,
        required,
        lost,
        duplicates,
        duplicates_single_provider,
        evidence_gaps,
        verify_ledger,
        all_sealed_after,
        handler_log,
    };
    if let Ok(app) = Arc::try_unwrap(app) {
        app.shutdown().await;
    }
    Ok(report)
}

/// Reads every case until all are sealed or `within` passes; returns the last read of each.
async fn wait_all(
    app: &TestApp,
    ids: &[CaseId],
    within: Duration,
) -> anyhow::Result<HashMap<CaseId, Case>> {
    let deadline = Instant::now() + within;
    let mut last: HashMap<CaseId, Case> = HashMap::new();
    loop {
        for id in ids {
            if last.get(id).is_some_and(is_final) {
                continue;
            }
            if let Some(v) = app.cases.get(id).await? {
                last.insert(id.clone(), v.value);
            }
        }
        if last.len() == ids.len() && last.values().all(is_final) || Instant::now() > deadline {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// What is missing from the evidence: a successful change in the tenant whose request no
/// record of the leaver's cases names — by the service's `request-id` (the step's own
/// record) or by the `client-request-id` it was announced with before it was sent — a
/// finished step without a record, a packet that does not verify.
async fn evidence_gaps(
    app: &TestApp,
    leavers: &[Leaver],
    cases: &HashMap<CaseId, Case>,
    log: &[standin_tenant::engine::LoggedRequest],
) -> anyhow::Result<Vec<String>> {
    let mut gaps = Vec::new();
    // Request ids recorded per leaver (by Entra object id, as the plan resolved them).
    let mut recorded: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (id, case) in cases {
        let Some(plan) = case.plan.as_ref() else {
            gaps.push(format!("case {} has no plan", id.as_str()));
            continue;
        };
        for s in &plan.steps {
            // A step the planner found not applicable never ran and has nothing to record;
            // one that ran must have left a record.
            if s.status.is_terminal()
                && s.attempts > 0
                && s.kind != StepKind::Seal
                && s.evidence_seq.is_none()
            {
                gaps.push(format!(
                    "case {}: {} is {} without an evidence record",
                    id.as_str(),
                    s.kind,
                    s.status.as_str()
                ));
            }
        }
        let a = app
            .get(&format!("/api/cases/{}/evidence", id.as_str()))
            .await;
        if a.status != 200 || a.json["verification"]["ok"] != true {
            gaps.push(format!(
                "case {}: evidence answered {} {}",
                id.as_str(),
                a.status,
                a.json["verification"]
            ));
            continue;
        }
        let ids = recorded.entry(plan.facts.user.id.clone()).or_default();
        for r in a.json["packet"]["records"].as_array().into_iter().flatten() {
            if let Some(rid) = r["serviceRequestId"].as_str() {
                ids.insert(rid.to_owned());
            }
            // A change announced before it was sent names its client-request-id: the one
            // id of a request known before its answer (which may never be seen).
            if let Some(cid) = r["details"]["clientRequestId"].as_str() {
                ids.insert(cid.to_owned());
            }
        }
    }
    for (leaver, reqs) in by_leaver(log, leavers) {
        let ids = recorded.get(&leaver);
        for r in reqs.into_iter().filter(|r| write_key(r).is_some()) {
            let known = ids.is_some_and(|ids| {
                ids.contains(&r.request_id)
                    || r.batch_id.as_ref().is_some_and(|b| ids.contains(b))
                    || r.client_request_id
                        .as_ref()
                        .is_some_and(|c| ids.contains(c))
            });
            if !known {
                gaps.push(format!(
                    "{} {} {} (request {}) has no evidence record",
                    r.method,
                    r.path,
                    r.cmdlet.as_deref().unwrap_or(""),
                    r.request_id
                ));
            }
        }
    }
    Ok(gaps)
}

/// `offboard verify --ledger` against the app's store, run as an operator would with the
/// deployment's settings. Asynchronous: on Azure the command asks the managed-identity
/// endpoint this process serves for its tokens.
async fn verify_ledger(app: &TestApp) -> anyhow::Result<(i32, String)> {
    let out = tokio::process::Command::new(offboard_executable()?)
        .args(["verify", "--ledger"])
        .envs(&app.settings)
        .output()
        .await
        .context("running offboard verify --ledger")?;
    Ok((
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// Keeps every instance's handler log next to the build output.
fn keep_logs(app: &TestApp, name: &str) -> String {
    // Benchmarks run in the crate's directory: the workspace's target/ unless told otherwise.
    let dir = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| crate::app::repo_root().join("target"));
    let path = dir.join(name);
    match std::fs::write(&path, app.handler_logs()) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not kept: {e})"),
    }
}
