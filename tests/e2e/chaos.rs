//! A short chaos run (the benchmark `crates/testkit/benches/chaos.rs` at a small size): 30
//! leavers under 10 % injected Graph and Exchange faults, the handler killed once, every HR
//! event delivered three times and some leavers reported by two providers. The goals, not
//! the timings, are asserted: every case sealed, no write done twice or lost (from the
//! simulator's request log), no evidence gap, the ledger verified; on the embedded backend
//! with one instance, and on Azurite + the Cosmos server with two.
//!
//! An evidence gap is a change in the tenant that no record names; every change a step sends
//! is announced in the evidence, with its `client-request-id`, before it is sent, so an
//! attempt that ends early (a fault on a later call, the handler killed) leaves none.

use offboard_testkit::Backend;
use offboard_testkit::chaos::{ChaosOptions, run};
use std::time::Duration;

async fn smoke(options: ChaosOptions) {
    let report = run(options).await.expect("the chaos run");
    let text = format!(
        "{}every gap:\n{}",
        report.render(),
        report.evidence_gaps.join("\n")
    );
    eprintln!("{text}");
    assert_eq!(report.terminal, report.cases, "{text}");
    assert!(report.kills >= 1, "no kill landed: {text}");
    assert!(report.faults > 0, "no fault was injected: {text}");
    assert!(report.duplicates.is_empty(), "{text}");
    assert!(report.lost.is_empty(), "{text}");
    assert!(report.evidence_gaps.is_empty(), "{text}");
    assert_eq!(
        report.verify_ledger.0, 0,
        "{}\n{text}",
        report.verify_ledger.1
    );
    assert!(report.goals_met(), "{text}");
}

fn embedded() -> ChaosOptions {
    ChaosOptions {
        backend: Backend::Embedded,
        leavers: 30,
        kills: 1,
        kill_window: Duration::from_secs(4),
        within: Duration::from_secs(600),
        ..ChaosOptions::default()
    }
}

/// Every goal, the no-gap one included, on the embedded backend.
#[tokio::test]
async fn chaos_smoke_leaves_no_evidence_gap() {
    smoke(embedded()).await;
}

#[tokio::test]
async fn chaos_smoke_two_instances_on_azure() {
    smoke(ChaosOptions {
        backend: Backend::Azure,
        leavers: 10,
        instances: 2,
        kills: 1,
        kill_window: Duration::from_secs(4),
        within: Duration::from_secs(600),
        ..ChaosOptions::default()
    })
    .await;
}
