//! Handler start-up: how long from `exec` until the handler answers a request that reads the
//! store, and how much memory it holds once idle. The Functions host restarts handlers and
//! Flex Consumption starts new instances cold, so both are cost and latency.
//!
//! ```text
//! cargo build --release -p offboard-handler --bin handler
//! cargo bench -p offboard-testkit --bench startup -- [starts=20] [embedded|azure]
//! ```
//!
//! The settings are those `spawn_app` gives the handler behind the local host (the same
//! secrets, simulator and store); each start runs the handler executable directly on a free
//! port, polls `GET /api/cases/{unknown id}` as the signed-in test operator (a bearer token the
//! Entra ID stand-in issued, validated against its keys; then a 404 from the case store) every
//! millisecond, then leaves it idle for two seconds and reads `VmRSS` and `VmHWM` from `/proc`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use offboard_testkit::leavers::conditions;
use offboard_testkit::{Backend, handler_executable, spawn_app};

fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(l.local_addr()?.port())
}

/// One cold start: (time to the first answer, idle RSS KiB, peak RSS KiB).
async fn one_start(
    settings: &std::collections::BTreeMap<String, String>,
    client: &reqwest::Client,
    token: &str,
) -> anyhow::Result<(Duration, u64, u64)> {
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}/api/cases/c-00000000-0000-5000-8000-000000000000");
    let started = Instant::now();
    let mut child = tokio::process::Command::new(handler_executable()?)
        .envs(settings)
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let ready = loop {
        if let Ok(r) = client.get(&url).bearer_auth(token).send().await {
            anyhow::ensure!(
                r.status().as_u16() == 404,
                "the handler answered {} for an unknown case",
                r.status()
            );
            break started.elapsed();
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the handler exited during start-up ({status})");
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "the handler did not answer within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = child.id().context("the handler's pid")?;
    let (rss, hwm) = memory_kib(pid).context("/proc status")?;
    child.kill().await?;
    Ok((ready, rss, hwm))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let starts: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20);
    let backend = if args.iter().any(|a| a == "azure") {
        Backend::Azure
    } else {
        Backend::Embedded
    };
    // The app gives a complete configuration (and a store that exists); its own handler stays
    // up behind the host, so every measured start also finds the store in use, as a restart
    // beside a running instance does.
    let app = spawn_app(backend).await;
    let client = reqwest::Client::builder().no_proxy().build()?;
    let mut ready = Vec::with_capacity(starts);
    let mut rss = Vec::with_capacity(starts);
    let mut hwm = 0;
    for _ in 0..starts {
        let (r, m, h) = one_start(&app.settings, &client, &app.operator_token).await?;
        ready.push(r.as_secs_f64() * 1000.0);
        rss.push(m as f64 / 1024.0);
        hwm = hwm.max(h);
    }
    app.shutdown().await;
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let p = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
        (p(0.0), p(0.5), p(0.99), p(1.0))
    };
    let (r0, r50, r99, r100) = stats(&mut ready);
    let (m0, m50, _, m100) = stats(&mut rss);
    println!(
        "handler start-up {backend:?}, {starts} starts: exec → first answer min {r0:.1} ms, p50 {r50:.1} ms, p99 {r99:.1} ms, max {r100:.1} ms (goal < 50 ms)"
    );
    println!(
        "idle resident memory after 2 s: min {m0:.1} MiB, p50 {m50:.1} MiB, max {m100:.1} MiB; peak during start-up {:.1} MiB (goal < 30 MB)",
        hwm as f64 / 1024.0
    );
    println!("conditions: {}", conditions());
    Ok(())
}
