//! `offboard`: run the demo, run offboard locally, verify evidence and produce reports.

#[cfg(feature = "demo")]
mod demo;
#[cfg(feature = "demo")]
mod local;
mod plan;
mod rebuild;
mod report;
mod restore;
#[cfg(feature = "demo")]
mod sample;
mod scan;
mod show;
mod store;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// offboard — HR-triggered, verified, audit-ready deprovisioning for Microsoft 365 and hybrid AD.
#[derive(Parser)]
#[command(
    name = "offboard",
    version,
    about = "offboard: HR-triggered, verified, audit-ready deprovisioning for Microsoft 365 and hybrid AD. Commands: demo, local, plan, scan, verify, report, rebuild-index (`offboard <command> --help` for each)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole path on an embedded backend and print what happened.
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Run offboard locally behind the local Functions host, like `func start`.
    #[cfg(feature = "demo")]
    Local(local::LocalArgs),
    /// Dry run: the plan a termination of one user would get and what each step would
    /// change. Reads the tenant only; changes nothing.
    Plan(plan::PlanArgs),
    /// Verify evidence: a packet file (offline), a case, or the whole ledger. Exit code 0
    /// only when everything verifies, 1 when something does not, 2 when it could not run,
    /// 3 when there was nothing to verify.
    Verify(verify::VerifyArgs),
    /// The terminations report (one row per leaver) as CSV or JSON, with its meta. Exit code
    /// 0 when written, 2 when it could not run (as `verify`).
    Report(report::ReportArgs),
    /// The ghost-access scan: reconcile HR's population with every account and find access
    /// that came back. `--dry-run` only reads.
    Scan(scan::ScanArgs),
    /// Rebuild the compliance index from the evidence store (the source of truth), for
    /// every case in the given periods.
    RebuildIndex(rebuild::RebuildArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo and `local` run the whole engine in this process: its worker stacks must be
    // the handler's (see offboard_service::runtime).
    match offboard_service::runtime::build() {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => {
            eprintln!("Error: could not start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::run(args).await,
        #[cfg(feature = "demo")]
        Command::Local(args) => local::run(args).await,
        Command::Plan(args) => plan::run(args).await,
        Command::Scan(args) => scan::run(args).await,
        Command::Verify(args) => return verify::run(args).await,
        Command::Report(args) => {
            return match report::run(args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("offboard report could not run: {e:#}");
                    ExitCode::from(verify::COULD_NOT_RUN)
                }
            };
        }
        Command::RebuildIndex(args) => rebuild::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
