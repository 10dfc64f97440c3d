//! The chaos benchmark: synthetic leavers terminated through the local Functions host while
//! the tenant simulator answers 10 % of Graph and Exchange requests with transient faults,
//! handler processes are killed at random, every HR event is delivered three times and every
//! fifth leaver is also reported by BambooHR; on Azurite + the Cosmos server, optionally with
//! several host + handler instances sharing the same queues and stores (Flex Consumption
//! scale-out).
//!
//! ```text
//! cargo build --release -p offboard-handler --bin handler && cargo build --release -p offboard-cli
//! cargo bench -p offboard-testkit --bench chaos -- [leavers=1000] [kills=5] [instances=1] [kill-window-secs=120] [fault-percent=10] [kill-from-secs=0] [embedded|azure]
//! cargo bench -p offboard-testkit --bench chaos -- 200 5 3 120 10 azure
//! ```
//!
//! It prints cases terminal / total, duplicate side effects (the same successful write more
//! than once in the simulator's request log), lost writes, evidence gaps (a change with no
//! record carrying its request id, a finished step without a record, a packet that does not
//! verify), the result of `offboard verify --ledger` and the time from the first delivery to
//! the last seal. Goal: all terminal, 0 duplicates, 0 lost, 0 gaps, verified.

use std::time::Duration;

use offboard_testkit::Backend;
use offboard_testkit::chaos::{ChaosOptions, run};
use offboard_testkit::leavers::conditions;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let backend = if args.iter().any(|a| a == "azure") {
        Backend::Azure
    } else {
        Backend::Embedded
    };
    let nums: Vec<f64> = args
        .iter()
        .filter(|a| *a != "azure" && *a != "embedded")
        .filter_map(|a| a.parse().ok())
        .collect();
    let num = |i: usize, default: f64| nums.get(i).copied().unwrap_or(default);
    let options = ChaosOptions {
        backend,
        leavers: num(0, 1000.0) as usize,
        kills: num(1, 5.0) as usize,
        instances: num(2, 1.0) as usize,
        kill_window: Duration::from_secs_f64(num(3, 120.0)),
        fault_rate: num(4, 10.0) / 100.0,
        kill_from: Duration::from_secs_f64(num(5, 0.0)),
        within: Duration::from_secs(3 * 3600),
        ..ChaosOptions::default()
    };
    let report = run(options).await?;
    print!("{}", report.render());
    println!("  conditions: {}", conditions());
    if !report.goals_met() {
        println!("  GOALS NOT MET");
    }
    Ok(())
}
