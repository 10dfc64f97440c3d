//! `offboard rebuild-index`: rebuilds the compliance index from the evidence store, which is
//! the source of truth (the index is a fold of each case's records, seal and ledger entry).
//! It needs nothing but the evidence: an embedded store whose `offboard.db` was lost gets a
//! new one.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use offboard_core::evidence::{Period, PeriodRange};

use crate::store;

/// Arguments of `offboard rebuild-index`.
#[derive(clap::Args)]
pub struct RebuildArgs {
    /// First evidence period (YYYY-MM; default: the first there is).
    #[arg(long, value_name = "YYYY-MM")]
    from: Option<String>,
    /// Last evidence period (YYYY-MM, included; default: the last there is).
    #[arg(long, value_name = "YYYY-MM")]
    to: Option<String>,
    /// The embedded store's directory (as `offboard local --data DIR` lays it out); without
    /// it, the OFFBOARD_* settings name the store.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

fn period(value: Option<&str>, name: &str) -> anyhow::Result<Option<Period>> {
    value
        .map(|v| Period::parse(v).map_err(|e| anyhow::anyhow!("--{name} {e}")))
        .transpose()
}

/// Rebuilds and reports; an error (exit code 1) when any case could not be rebuilt.
pub async fn run(args: RebuildArgs) -> anyhow::Result<()> {
    let range = PeriodRange::new(
        period(args.from.as_deref(), "from")?,
        period(args.to.as_deref(), "to")?,
    )?;
    let (from, to) = (range.from().to_string(), range.to().to_string());
    let lost_db = args
        .data
        .as_deref()
        .is_some_and(|d| !d.join("offboard.db").exists());
    let opened = store::open_for(args.data.as_deref(), store::Purpose::RebuildIndex).await?;
    if lost_db {
        println!(
            "offboard.db was missing: created a new one; the index is rebuilt from the evidence below (the working state of cases still in progress when it was lost is not in the evidence and is not restored; their evidence and index entries are)"
        );
    }
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} cases {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = opened
        .compliance
        .evidence_service()
        .rebuild_index(&from, &to, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    println!(
        "rebuilt the index entries of {} case(s) from the evidence in the {}",
        report.rebuilt, opened.describe
    );
    for (case_id, why) in &report.failed {
        eprintln!("NOT REBUILT {case_id}: {why}");
    }
    anyhow::ensure!(
        report.failed.is_empty(),
        "{} case(s) could not be rebuilt: their evidence is unreadable; run `offboard verify --case <id>` on each",
        report.failed.len()
    );
    Ok(())
}
