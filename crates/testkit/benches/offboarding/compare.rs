//! `compare`: offboard beside the runbook it replaces (`offboard_testkit::runbook`), the same
//! leavers and removals against the same simulator, at 0 ms and at 100 ms simulator latency.
//! Both get every leaver at once (a layoff): HR event → sign-in cut p50/p99, leavers per hour
//! (leavers ÷ first HR event to last leaver done), Graph and Exchange requests per leaver, and
//! offboard ÷ runbook. offboard runs with the built-in policy (inline sign-in cut on).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use offboard_testkit::leavers::{secs, seed_sim};
use offboard_testkit::writes::manager_upn;
use offboard_testkit::{Backend, SimConfig, SimCredential, runbook};
use standin_tenant::TenantSim;

use super::{LatencyRun, Run, offboard_run, percentile, request_counts, sim_config};

/// The runbook's figures, shaped like offboard's.
async fn runbook_run(n: usize, latency_ms: u64) -> anyhow::Result<Run> {
    let config: SimConfig = sim_config(latency_ms);
    let sim = TenantSim::spawn(config).await?;
    let credential = Arc::new(SimCredential(sim.issuer().clone()));
    let (graph, exchange) = runbook::clients(
        &sim.graph_base(),
        &sim.exchange_base(),
        &sim.tenant_id(),
        credential,
    )?;
    let manager = manager_upn(&sim.state()).context("Megan")?;
    // Warm up: a token, a connection.
    let warm = seed_sim(&sim, 1, "w")?;
    runbook::offboard(&graph, &exchange, &warm[0], &manager).await?;
    let leavers = seed_sim(&sim, n, "r")?;
    sim.clear_requests();
    let start = Utc::now();
    let mut cut = Vec::with_capacity(n);
    let mut done = Vec::with_capacity(n);
    let mut errors = 0;
    for l in &leavers {
        let r = runbook::offboard(&graph, &exchange, l, &manager).await?;
        cut.push(secs(r.cut_at - start));
        done.push(secs(r.done_at - start));
        errors += r.errors;
    }
    let log = sim.requests();
    let (http_requests, operations) = request_counts(&log);
    let span = done.iter().copied().fold(0.0, f64::max);
    Ok(Run {
        last_cut: cut.iter().copied().fold(0.0, f64::max),
        cut,
        sealed: done,
        span,
        http_requests,
        operations,
        throttled: log.iter().filter(|r| r.status == 429).count(),
        clean_up_before_last_cut: 0,
        exceptions: errors,
        // A runbook has no HR sender waiting on it.
        answered: Vec::new(),
    })
}

fn p(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, q)
}

/// Runs both at 0 and 100 ms and prints one table.
pub async fn run(backend: Backend, n: usize) -> anyhow::Result<()> {
    println!(
        "offboard ({backend:?} backend) beside the sequential runbook: {n} leavers at once, Graph's default write quota"
    );
    println!(
        "| simulator latency | who | HR event → cut p50 | p99 | leavers / hour | Graph + Exchange requests / leaver (operations) | 429s |"
    );
    println!("|---|---|---|---|---|---|---|");
    for latency_ms in [0, 100] {
        let opts = LatencyRun {
            sim_latency_ms: latency_ms,
            inline_cut: true,
        };
        let ours = offboard_run(backend, n, None, &opts).await?;
        let theirs = runbook_run(n, latency_ms).await?;
        let per_hour = |r: &Run| n as f64 / r.span.max(1e-3) * 3600.0;
        for (who, r) in [("offboard", &ours), ("runbook", &theirs)] {
            println!(
                "| {latency_ms} ms | {who} | {:.2} s | {:.2} s | {:.0} | {:.1} ({:.1}) | {} |",
                p(&r.cut, 0.50),
                p(&r.cut, 0.99),
                per_hour(r),
                r.http_requests as f64 / n as f64,
                r.operations as f64 / n as f64,
                r.throttled
            );
        }
        println!(
            "| {latency_ms} ms | offboard ÷ runbook | {:.3} | {:.3} | {:.2} | {:.2} ({:.2}) | |",
            p(&ours.cut, 0.50) / p(&theirs.cut, 0.50),
            p(&ours.cut, 0.99) / p(&theirs.cut, 0.99),
            per_hour(&ours) / per_hour(&theirs),
            ours.http_requests as f64 / theirs.http_requests.max(1) as f64,
            ours.operations as f64 / theirs.operations.max(1) as f64,
        );
        println!(
            "  (runbook calls that failed and were passed over: {}; offboard cases with exceptions: {})",
            theirs.exceptions, ours.exceptions
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("conditions: {}", offboard_testkit::leavers::conditions());
    Ok(())
}
