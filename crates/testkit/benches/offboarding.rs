//! Offboarding benchmarks: signed HR terminations through the local Functions host into the
//! real `handler`, against the tenant simulator, on the embedded backend (default) or on
//! Azurite + the Cosmos server.
//!
//! ```text
//! cargo build --release -p offboard-handler --bin handler
//! cargo bench -p offboard-testkit --bench offboarding -- latency [leavers=200] [per-second=1|burst] [embedded|azure] [--latency-ms N] [--inline-cut off]
//! cargo bench -p offboard-testkit --bench offboarding -- mass [leavers=1000] [seconds=60] [window-secs=5] [embedded|azure] [--latency-ms N]
//! cargo bench -p offboard-testkit --bench offboarding -- compare [leavers=50] [embedded|azure]
//! ```
//!
//! `--latency-ms N` makes the simulator answer every request after N ms (Graph's own latency
//! is about 100 ms) in every mode; `compare` runs itself at 0 and at 100 ms.
//!
//! **latency**: `leavers` synthetic cloud-only leavers (clones of the demo's Adele: direct E3
//! and Visio, a mailbox, a OneDrive, two Intune devices, four MFA methods besides the
//! password, two app roles, three Graph-removable groups, manager Megan) are terminated one
//! signed generic webhook each, paced at `per-second` or all at once (`burst`), with the
//! simulator's default write quota (Graph's 3,000 writes per 150 s). Per leaver it measures,
//! from the instant the webhook request was sent, the time to `Plan::sign_in_cut_at()` (block
//! and revoke both verified) and to the seal step's `finishedAt`, both as the handler
//! recorded them on the case, and how long the HR sender waited for its answer; it prints
//! min/p50/p99/max, the first HR event to the last cut and seal, and the clean-up writes made
//! before the last cut. `--inline-cut off` runs with the policy's inline
//! sign-in cut (the kill switch) off for every kind, which is the queued path alone — the
//! figures before the kill switch, measured in the same run conditions.
//!
//! **mass**: `leavers` synthetic leavers are terminated at once with the simulator's write
//! quota scaled so that the Graph writes they need take `seconds` at the quota
//! (`quota = ceil(writes × window / seconds)` per `window-secs`). It reports the writes
//! needed and admitted, the achieved write rate ÷ the quota (over the whole write span, and in
//! steady state after the first window, whose unused history allows one window's burst), the
//! 429s in the simulator's log, actions lost (a write the plan required that has no successful
//! request in the log or is not in the tenant's final state) and duplicated (the same
//! successful write more than once), and the handler process's peak resident memory
//! (`VmHWM`).

#[path = "offboarding/compare.rs"]
mod compare;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use offboard_core::case::CaseStatus;
use offboard_core::evidence::period_of;
use offboard_core::ids::CaseId;
use offboard_core::plan::StepKind;
use offboard_service::settings::{
    DEFAULT_SIGN_IN_CUT_BUDGET, OFFBOARD_GRAPH_WRITE_QUOTA, OFFBOARD_SIGN_IN_CUT_BUDGET_MS,
};
use offboard_testkit::leavers::{
    Leaver, conditions, keep_log, secs, seed_leavers, terminate, wait_sealed, warm_up,
    writes_per_leaver,
};
use offboard_testkit::writes::{admitted_graph_write, duplicated_writes, lost_writes, manager_upn};
use offboard_testkit::{Backend, SimConfig, TestApp, spawn_app_with};
use standin_tenant::engine::LoggedRequest;
use standin_tenant::engine::Settings;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn summary(label: &str, mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "{label:<24} min {:>6.2} s  p50 {:>6.2} s  p99 {:>6.2} s  max {:>6.2} s",
        v.first().copied().unwrap_or(f64::NAN),
        percentile(&v, 0.50),
        percentile(&v, 0.99),
        v.last().copied().unwrap_or(f64::NAN),
    )
}

/// Peak and current resident memory of a process, in KiB (`VmHWM`, `VmRSS`).
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// CPU time (user + system) a process has used, in seconds.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces): utime is the 14th field.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SC_CLK_TCK is 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// What one offboard run measured.
struct Run {
    /// HR event → sign-in cut verified, per leaver (s).
    cut: Vec<f64>,
    /// HR event → sealed, per leaver (s).
    sealed: Vec<f64>,
    /// First HR event → last seal (s).
    span: f64,
    /// Graph and Exchange HTTP requests ($batch counted once).
    http_requests: usize,
    /// Graph and Exchange operations ($batch items counted each).
    operations: usize,
    /// 429s answered.
    throttled: usize,
    /// Admitted clean-up writes made before the last sign-in cut.
    clean_up_before_last_cut: usize,
    /// Cases completed with exceptions.
    exceptions: usize,
    /// First HR event → last sign-in cut (s).
    last_cut: f64,
    /// How long each HR sender waited for its answer (s).
    answered: Vec<f64>,
}

/// A write that cuts sign-in: `accountEnabled: false` or `revokeSignInSessions`.
fn is_cut_write(r: &LoggedRequest) -> bool {
    r.path.ends_with("/revokeSignInSessions")
        || (r.method == "PATCH"
            && r.body
                .as_ref()
                .is_some_and(|b| b.get("accountEnabled") == Some(&serde_json::Value::Bool(false))))
}

/// HTTP requests and operations in the simulator's log: a `$batch` is one request, its items
/// are operations.
fn request_counts(log: &[LoggedRequest]) -> (usize, usize) {
    let http = log.iter().filter(|r| r.batch_id.is_none()).count();
    let ops = log.iter().filter(|r| r.path != "/$batch").count();
    (http, ops)
}

/// How the latency run is set up beyond its size and pace.
struct LatencyRun {
    /// Milliseconds the simulator waits before answering any request.
    sim_latency_ms: u64,
    /// Whether intake cuts sign-in inline (the policy's `inline_sign_in_cut`).
    inline_cut: bool,
}

/// The built-in policy for a mass run, in `dir`: the blast-radius brake off (the run is a
/// planned bulk offboarding), and the inline sign-in cut off for every kind unless `inline_cut`.
fn policy_for_run(dir: &std::path::Path, inline_cut: bool) -> anyhow::Result<String> {
    let mut text =
        offboard_core::policy::DEFAULT_POLICY.replace("enabled = true", "enabled = false");
    anyhow::ensure!(text.contains("enabled = false"));
    if !inline_cut {
        text = text.replace("inline_sign_in_cut = true", "inline_sign_in_cut = false");
        anyhow::ensure!(text.contains("inline_sign_in_cut = false"));
    }
    let path = dir.join("policy.toml");
    std::fs::write(&path, text)?;
    Ok(path.display().to_string())
}

fn sim_config(latency_ms: u64) -> SimConfig {
    SimConfig {
        settings: Settings {
            latency_ms,
            ..Settings::default()
        },
        ..SimConfig::default()
    }
}

async fn offboard_run(
    backend: Backend,
    n: usize,
    per_second: Option<f64>,
    opts: &LatencyRun,
) -> anyhow::Result<Run> {
    let policy_dir = tempfile::tempdir()?;
    let policy = policy_for_run(policy_dir.path(), opts.inline_cut)?;
    let app = Arc::new(
        spawn_app_with(backend, SimConfig::default(), |s| {
            s.insert("OFFBOARD_POLICY_FILE".into(), policy);
            // The deployed budget, not the tests' longest one: this run measures the cut.
            s.insert(
                OFFBOARD_SIGN_IN_CUT_BUDGET_MS.to_owned(),
                DEFAULT_SIGN_IN_CUT_BUDGET.as_millis().to_string(),
            );
        })
        .await,
    );
    warm_up(&app).await?;
    let mut knobs = app.sim.settings();
    knobs.latency_ms = opts.sim_latency_ms;
    app.sim.set_settings(knobs);
    let leavers = seed_leavers(&app, n, "l")?;
    app.sim.clear_requests();
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    // A burst goes out 16 requests at a time, as the mass benchmark sends it.
    let wire = Arc::new(tokio::sync::Semaphore::new(16));
    for (i, l) in leavers.into_iter().enumerate() {
        if let Some(rate) = per_second {
            let at = start + Duration::from_secs_f64(i as f64 / rate);
            tokio::time::sleep_until(at.into()).await;
        }
        let app = app.clone();
        let wire = wire.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = wire.acquire_owned().await?;
            let asked = Instant::now();
            let sent = terminate(&app, &l).await?;
            anyhow::Ok((sent, asked.elapsed().as_secs_f64()))
        }));
    }
    let mut sent: Vec<(CaseId, DateTime<Utc>)> = Vec::with_capacity(n);
    let mut answered = Vec::with_capacity(n);
    for t in tasks {
        let (s, waited) = t.await??;
        sent.push(s);
        answered.push(waited);
    }
    let ids: Vec<CaseId> = sent.iter().map(|(id, _)| id.clone()).collect();
    let cases = wait_sealed(
        &app,
        &ids,
        Duration::from_secs(3600),
        Duration::from_millis(500),
    )
    .await?;
    let mut run = Run {
        cut: Vec::new(),
        sealed: Vec::new(),
        span: 0.0,
        http_requests: 0,
        operations: 0,
        throttled: 0,
        clean_up_before_last_cut: 0,
        exceptions: 0,
        last_cut: 0.0,
        answered,
    };
    let first_sent = sent.iter().map(|(_, at)| *at).min().context("sent")?;
    let mut last_cut = first_sent;
    let mut last_seal = first_sent;
    for (id, at) in &sent {
        let c = &cases[id];
        let plan = c.plan.as_ref().context("a sealed case has a plan")?;
        if c.status != CaseStatus::Completed {
            run.exceptions += 1;
        }
        let cut_at = plan
            .sign_in_cut_at()
            .with_context(|| format!("case {} has no sign-in cut", id.as_str()))?;
        let seal_at = plan
            .step(StepKind::Seal)
            .and_then(|s| s.finished_at)
            .context("the seal step has finishedAt")?;
        last_cut = last_cut.max(cut_at);
        last_seal = last_seal.max(seal_at);
        run.cut.push(secs(cut_at - *at));
        run.sealed.push(secs(seal_at - *at));
    }
    run.span = secs(last_seal - first_sent);
    run.last_cut = secs(last_cut - first_sent);
    let log = app.sim.requests();
    (run.http_requests, run.operations) = request_counts(&log);
    run.throttled = log.iter().filter(|r| r.status == 429).count();
    run.clean_up_before_last_cut = log
        .iter()
        .filter(|r| admitted_graph_write(r) && !is_cut_write(r) && r.time < last_cut)
        .count();
    if let Ok(app) = Arc::try_unwrap(app) {
        app.shutdown().await;
    }
    Ok(run)
}

async fn latency(
    backend: Backend,
    n: usize,
    per_second: Option<f64>,
    opts: &LatencyRun,
) -> anyhow::Result<()> {
    let run = offboard_run(backend, n, per_second, opts).await?;
    let mode = match per_second {
        Some(r) => format!("paced at {r}/s"),
        None => "one burst".to_owned(),
    };
    println!(
        "offboarding latency {backend:?}: {n} leavers ({mode}), default Graph write quota, simulator latency {} ms, inline sign-in cut {}; {} completed with exceptions; {} 429s",
        opts.sim_latency_ms,
        if opts.inline_cut { "on" } else { "off" },
        run.exceptions,
        run.throttled
    );
    println!("{}", summary("HR sender's answer", run.answered));
    println!("{}", summary("HR event → sign-in cut", run.cut));
    println!("{}", summary("HR event → sealed case", run.sealed));
    println!(
        "first HR event → last sign-in cut {:.1} s, → last seal {:.1} s",
        run.last_cut, run.span
    );
    println!(
        "clean-up writes made before the last sign-in cut: {}; Graph/Exchange per leaver: {:.1} HTTP requests, {:.1} operations",
        run.clean_up_before_last_cut,
        run.http_requests as f64 / n as f64,
        run.operations as f64 / n as f64
    );
    println!("conditions: {}", conditions());
    Ok(())
}

async fn mass(
    backend: Backend,
    n: usize,
    target_secs: f64,
    window_secs: f64,
    latency_ms: u64,
) -> anyhow::Result<()> {
    // The handler is told the quota the simulator enforces, as a deployment is told Graph's.
    let needed = n * writes_per_leaver()?;
    let quota = ((needed as f64) * window_secs / target_secs).ceil() as u32;
    let window = Duration::from_secs_f64(window_secs);
    let quota_rate = f64::from(quota) / window_secs;
    // The brake off, as an operator sets it for an expected bulk offboarding.
    let policy_dir = tempfile::tempdir()?;
    let policy = policy_for_run(policy_dir.path(), true)?;
    let app = Arc::new(
        spawn_app_with(backend, sim_config(latency_ms), |s| {
            s.insert(
                OFFBOARD_GRAPH_WRITE_QUOTA.to_owned(),
                format!("{quota}/{window_secs}"),
            );
            s.insert("OFFBOARD_POLICY_FILE".into(), policy);
            s.insert(
                OFFBOARD_SIGN_IN_CUT_BUDGET_MS.to_owned(),
                DEFAULT_SIGN_IN_CUT_BUDGET.as_millis().to_string(),
            );
        })
        .await,
    );
    app.sim.set_write_quota(quota, window);
    warm_up(&app).await?;
    let leavers = seed_leavers(&app, n, "m")?;
    anyhow::ensure!(needed == leavers.iter().map(Leaver::graph_writes).sum::<usize>());
    app.sim.clear_requests();
    app.sim.set_write_quota(quota, window);
    let manager_upn = manager_upn(&app.sim.state()).context("Megan")?;
    println!(
        "mass termination {backend:?}: {n} leavers, {needed} Graph writes needed; quota {quota} writes per {window_secs} s ({quota_rate:.1}/s, {:.0} s of writes at the quota); simulator latency {latency_ms} ms",
        needed as f64 / quota_rate
    );

    let pid = app.host().handler_pid().await.context("handler pid")?;
    let since = Utc::now() - chrono::TimeDelta::seconds(1);
    let handler_cpu0 = cpu_secs(&pid.to_string());
    let bench_cpu0 = cpu_secs("self");
    let started = Instant::now();
    // Send every termination at once (16 at a time on the wire).
    let mut sent: Vec<(CaseId, DateTime<Utc>)> = Vec::with_capacity(n);
    let queue = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::with_capacity(n);
    for l in &leavers {
        let l = l.clone();
        let app = app.clone();
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = queue.acquire_owned().await?;
            terminate(&app, &l).await
        }));
    }
    for t in tasks {
        sent.push(t.await??);
    }
    let intake_secs = started.elapsed().as_secs_f64();
    let ids: Vec<CaseId> = sent.iter().map(|(id, _)| id.clone()).collect();
    // Sample the handler's memory while the run goes on (VmHWM is the peak anyway).
    let cases = wait_sealed(
        &app,
        &ids,
        Duration::from_secs(3600),
        Duration::from_secs(2),
    )
    .await?;
    let total_secs = started.elapsed().as_secs_f64();
    let (hwm, rss) = memory_kib(pid).unwrap_or((0, 0));
    let restarts = app.host().handler_restarts();
    let handler_cpu = cpu_secs(&pid.to_string()) - handler_cpu0;
    let bench_cpu = cpu_secs("self") - bench_cpu0;

    let log = app.sim.requests();
    let state = app.sim.state();
    let admitted: Vec<&LoggedRequest> = log.iter().filter(|r| admitted_graph_write(r)).collect();
    let throttled = log.iter().filter(|r| r.status == 429).count();
    let first = admitted.iter().map(|r| r.time).min().context("no writes")?;
    let last = admitted.iter().map(|r| r.time).max().context("no writes")?;
    let span = secs(last - first).max(1e-3);
    let rate = admitted.len() as f64 / span;
    let steady_from = first + chrono::TimeDelta::milliseconds((window_secs * 1000.0) as i64);
    let steady: usize = admitted.iter().filter(|r| r.time >= steady_from).count();
    let steady_span = secs(last - steady_from);
    let steady_rate = if steady_span > 0.0 {
        steady as f64 / steady_span
    } else {
        f64::NAN
    };

    let (required, lost) = lost_writes(&log, &state, &leavers, since, &manager_upn);
    let duplicated = duplicated_writes(&log);
    let duplicate_writes: usize = duplicated.iter().map(|(_, c)| c - 1).sum();
    let completed = cases
        .values()
        .filter(|c| c.status == CaseStatus::Completed)
        .count();
    let last_seal = cases
        .values()
        .filter_map(|c| c.plan.as_ref()?.step(StepKind::Seal)?.finished_at)
        .max()
        .context("seals")?;

    // Writes per 5 s after the first write: where the rate was made or lost.
    let mut buckets: Vec<usize> = Vec::new();
    for r in &admitted {
        let b = (secs(r.time - first) / 5.0) as usize;
        if buckets.len() <= b {
            buckets.resize(b + 1, 0);
        }
        buckets[b] += 1;
    }
    let profile: Vec<String> = buckets
        .iter()
        .map(|c| format!("{:.2}", *c as f64 / 5.0 / quota_rate))
        .collect();

    println!(
        "  intake: {n} signed webhooks accepted in {intake_secs:.1} s; all {n} cases sealed after {total_secs:.1} s ({completed} completed, {} with exceptions); last seal {:.1} s after the first write",
        n - completed,
        secs(last_seal - first)
    );
    println!(
        "  Graph writes admitted {} over {span:.1} s = {rate:.1}/s → rate ÷ quota {:.2} (steady state after the first window: {steady_rate:.1}/s → {:.2})",
        admitted.len(),
        rate / quota_rate,
        steady_rate / quota_rate
    );
    println!("  rate ÷ quota per 5 s: {}", profile.join(" "));
    let write_requests = log
        .iter()
        .filter(|r| r.service == "graph" && r.method != "GET" && r.path != "/$batch")
        .count();
    println!(
        "  429s seen (simulator log): {throttled} of {write_requests} Graph write requests ({:.2} %)",
        100.0 * throttled as f64 / write_requests.max(1) as f64
    );
    println!(
        "  actions required {required}; lost {}; duplicated {duplicate_writes}",
        lost.len()
    );
    for l in lost.iter().take(10) {
        println!("    lost: {l}");
    }
    for (k, c) in duplicated.iter().take(10) {
        println!("    duplicated ×{c}: {k}");
    }
    println!(
        "  handler peak memory (VmHWM) {:.1} MiB, resident at the end {:.1} MiB, restarts {restarts}",
        hwm as f64 / 1024.0,
        rss as f64 / 1024.0
    );
    println!(
        "  CPU during the run: handler {handler_cpu:.1} s, this process (host, simulator, poller) {bench_cpu:.1} s, over {total_secs:.1} s"
    );
    let mut counts =
        offboard_testkit::cost::count(&app.handler_log(), &app.data_dir().join("evidence"), &ids);
    if app.backend() == Backend::Azure {
        // The evidence is in Azurite, not under the data directory.
        let keyed: Vec<(String, CaseId)> = cases
            .values()
            .map(|c| (period_of(c.event.effective_at()), c.id.clone()))
            .collect();
        counts.evidence_files =
            offboard_testkit::cost::evidence_in_store(app.evidence.as_ref(), &keyed).await?;
    }
    let graph_requests = log.iter().filter(|r| r.batch_id.is_none()).count();
    let per = |x: usize| x as f64 / n as f64;
    println!(
        "  per leaver: {:.1} function executions ({:.1} HTTP, {:.1} queue, of which {:.1} deferred steps); {:.1} evidence files (each a create-only put + a read-back get on Blob storage); {:.1} Graph/Exchange HTTP requests; queue transactions ≈ 3 per queue execution (put, get, delete); {}",
        per(counts.http_executions + counts.queue_executions),
        per(counts.http_executions),
        per(counts.queue_executions),
        per(counts.deferred),
        per(counts.evidence_files),
        per(graph_requests),
        cosmos_per_leaver(&app, n).await?,
    );
    println!(
        "  handler log: {}",
        keep_log(&app, "offboarding-mass-handler.log")
    );
    println!("  conditions: {}", conditions());
    if let Ok(app) = Arc::try_unwrap(app) {
        app.shutdown().await;
    }
    Ok(())
}

/// The Cosmos DB operations per leaver, as the local Cosmos server counted them (its request
/// units it does not report), or why there are none.
async fn cosmos_per_leaver(app: &TestApp, n: usize) -> anyhow::Result<String> {
    let Some(ops) = app.cosmos_operations().await? else {
        return Ok("no Cosmos DB operations (the embedded backend)".into());
    };
    let n_f = n as f64;
    let per = |kind: &str| ops.get(kind).map_or(0.0, |c| c.all() as f64 / n_f);
    let all: u64 = ops.values().map(|c| c.all()).sum();
    let refused: u64 = ops.values().map(|c| c.refused).sum();
    let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
    for count in ops.values() {
        for (status, n) in &count.refused_by {
            *by_status.entry(status).or_default() += n;
        }
    }
    let refused_by: Vec<String> = by_status
        .iter()
        .map(|(status, n)| format!("{:.1} × {status}", *n as f64 / n_f))
        .collect();
    Ok(format!(
        "{:.1} Cosmos DB operations ({:.1} point reads, {:.1} creates, {:.1} replaces, {:.1} upserts, {:.1} queries, {:.1} deletes, {:.1} metadata; {:.1} refused: {}; request units not reported by the local server)",
        all as f64 / n_f,
        per("read"),
        per("create"),
        per("replace"),
        per("upsert"),
        per("query"),
        per("delete"),
        per("other"),
        refused as f64 / n_f,
        refused_by.join(", "),
    ))
}

/// Takes `--name value` out of `args`.
fn take_flag(args: &mut Vec<String>, name: &str) -> Option<String> {
    let i = args.iter().position(|a| a == name)?;
    let value = args.get(i + 1).cloned();
    args.drain(i..(i + 2).min(args.len()));
    value
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut raw: Vec<String> = std::env::args().skip(1).collect();
    let sim_latency_ms = take_flag(&mut raw, "--latency-ms")
        .map(|v| v.parse::<u64>())
        .transpose()
        .context("--latency-ms takes a number of milliseconds")?
        .unwrap_or(0);
    let inline_cut = take_flag(&mut raw, "--inline-cut").as_deref() != Some("off");
    let args: Vec<String> = raw.into_iter().filter(|a| !a.starts_with('-')).collect();
    let backend = if args.iter().any(|a| a == "azure") {
        Backend::Azure
    } else {
        Backend::Embedded
    };
    let nums: Vec<&str> = args
        .iter()
        .skip(1)
        .map(String::as_str)
        .filter(|a| *a != "azure" && *a != "embedded" && !a.contains('='))
        .collect();
    let num = |i: usize, default: f64| -> f64 {
        nums.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    match args.first().map(String::as_str) {
        Some("mass") => {
            mass(
                backend,
                num(0, 1000.0) as usize,
                num(1, 60.0),
                num(2, 5.0),
                sim_latency_ms,
            )
            .await
        }
        Some("compare") => compare::run(backend, num(0, 50.0) as usize).await,
        Some("latency") | None => {
            let rate = match nums.get(1) {
                Some(&"burst") => None,
                _ => Some(num(1, 1.0)),
            };
            let opts = LatencyRun {
                sim_latency_ms,
                inline_cut,
            };
            latency(backend, num(0, 200.0) as usize, rate, &opts).await
        }
        Some(other) => anyhow::bail!("unknown benchmark {other}: latency, mass or compare"),
    }
}
