//! A short chaos run (the benchmark `crates/testkit/benches/chaos.rs` at a small size): 30
//! leavers under 10 % injected Graph and Exchange faults, the handler killed once, every HR
//! event delivered three times and some leavers reported by two providers. The goals, not
//! the timings, are asserted: every case sealed, no write done twice or lost (from the
//! simulator's request log), the ledger verified.
//!
//! Known defect (issue 11, open): after a fault or a kill, a change made by an attempt that
//! then failed is found done by the retry, which records only its read-back, so the request
//! that made the change is in no record (an *evidence gap*). The smoke runs print the gaps;
//! `chaos_smoke_leaves_no_evidence_gap` asserts there are none and is ignored, by name and
//! with its reason, until the engine records an attempt's changes before it can be lost.

use offboard_testkit::Backend;
use offboard_testkit::chaos::{ChaosOptions, run};
use std::time::Duration;

async fn smoke(options: ChaosOptions, require_no_gaps: bool) {
    let report = run(options).await.expect("the chaos run");
    let text = format!(
        "{}every gap:\n{}",
        report.render(),
        report.evidence_gaps.join("\n")
    );
    assert_eq!(report.terminal, report.cases, "{text}");
    assert!(report.kills >= 1, "no kill landed: {text}");
    assert!(report.faults > 0, "no fault was injected: {text}");
    assert!(report.duplicates.is_empty(), "{text}");
    assert!(report.lost.is_empty(), "{text}");
    if require_no_gaps {
        assert!(report.evidence_gaps.is_empty(), "{text}");
    } else {
        eprintln!("{text}");
    }
    assert_eq!(
        report.verify_ledger.0, 0,
        "{}\n{text}",
        report.verify_ledger.1
    );
    if require_no_gaps {
        assert!(report.goals_met(), "{text}");
    }
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

#[tokio::test]
async fn chaos_smoke_embedded() {
    smoke(embedded(), false).await;
}

#[tokio::test]
#[ignore = "known defect (issue 11): a change made by an attempt that then failed or was killed is recorded only by the retry's read-back"]
async fn chaos_smoke_leaves_no_evidence_gap() {
    smoke(embedded(), true).await;
}

#[tokio::test]
#[ignore = "flaky (issue 11): on Azurite a kill can leave a case's messages unprocessed for minutes; it passed in 36.7 s in one full-suite run and had not finished after 7 minutes in the next"]
async fn chaos_smoke_two_instances_on_azure() {
    smoke(
        ChaosOptions {
            backend: Backend::Azure,
            leavers: 10,
            instances: 2,
            kills: 1,
            kill_window: Duration::from_secs(4),
            within: Duration::from_secs(600),
            ..ChaosOptions::default()
        },
        false,
    )
    .await;
}
