//! Intake benchmark: signed HR request → case stored → plan message enqueued (the 202 is
//! sent only after both), through the local Functions host into the real `handler`, on the
//! embedded backend and on Azurite + the Cosmos server.
//!
//! ```text
//! cargo build --release -p offboard-handler --bin handler
//! cargo bench -p offboard-testkit --bench intake -- [requests] [concurrency] [embedded|azure]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use offboard_service::settings::{DEFAULT_SIGN_IN_CUT_BUDGET, OFFBOARD_SIGN_IN_CUT_BUDGET_MS};
use offboard_testkit::{Backend, SimConfig, spawn_app_with};
use serde_json::json;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

async fn run(backend: Backend, requests: usize, concurrency: usize) -> anyhow::Result<()> {
    // The deployed sign-in-cut budget, not the tests' longest one: intake cuts sign-in inline.
    let app = Arc::new(
        spawn_app_with(backend, SimConfig::default(), |s| {
            s.insert(
                OFFBOARD_SIGN_IN_CUT_BUDGET_MS.to_owned(),
                DEFAULT_SIGN_IN_CUT_BUDGET.as_millis().to_string(),
            );
        })
        .await,
    );
    // Warm up: connections, the handler's first Cosmos/Storage calls.
    for i in 0..5 {
        let a = app.post_generic(&body(&format!("warm-{i}"))).await;
        anyhow::ensure!(a.status == 202, "warm-up answered {}: {}", a.status, a.json);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    let per_task = requests / concurrency;
    for t in 0..concurrency {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_task);
            for i in 0..per_task {
                let b = body(&format!("bench-{t}-{i}"));
                let s = Instant::now();
                let a = app.post_generic(&b).await;
                lat.push(s.elapsed());
                if a.status != 202 {
                    return Err(anyhow::anyhow!("answered {}: {}", a.status, a.json));
                }
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = started.elapsed();
    all.sort();
    println!(
        "intake {:<8} {:>5} requests, concurrency {:>2}: {:>7.1} req/s  p50 {:>6.1} ms  p99 {:>6.1} ms",
        format!("{backend:?}"),
        all.len(),
        concurrency,
        all.len() as f64 / elapsed.as_secs_f64(),
        percentile(&all, 0.50).as_secs_f64() * 1000.0,
        percentile(&all, 0.99).as_secs_f64() * 1000.0,
    );
    if let Ok(app) = Arc::try_unwrap(app) {
        app.shutdown().await;
    }
    Ok(())
}

fn body(event_id: &str) -> serde_json::Value {
    json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {
            "eventId": event_id,
            "employee": {"employeeId": "bench-unknown", "userPrincipalName": "nobody@contoso.example"},
            // A day ahead: the case is scheduled, so the benchmark measures intake, not the
            // planner running concurrently.
            "effectiveAt": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
            "kind": "voluntary"
        }
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let requests: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(500);
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(8);
    // A third argument picks one backend (`embedded` or `azure`); both by default.
    let only = args.get(2).map(String::as_str);
    anyhow::ensure!(
        matches!(only, None | Some("embedded" | "azure")),
        "the backend is `embedded` or `azure`, not {only:?}"
    );
    if only != Some("azure") {
        run(Backend::Embedded, requests, concurrency).await?;
    }
    if only != Some("embedded") {
        run(Backend::Azure, requests, concurrency).await?;
    }
    Ok(())
}
