//! `offboard scan [--dry-run] [--json]`: the ghost-access scan from the command line, against
//! the deployment the settings name (the same settings as the handler's, the agent's command
//! signing key included when AD is to be read). It runs the engine the handler runs, as the
//! signed-in operator: AD's accounts are listed and synced leavers' AD accounts re-read
//! through the on-prem agent, and with `auto_remediate` the steps whose removal came back are
//! queued on their case for the deployment's workers. With `--dry-run` it only reads — the
//! directory, AD, HR's sources and the case store — and stores, opens, re-runs, notifies and
//! seals nothing. Prints the findings as a table.

use std::sync::Arc;

use anyhow::Context;
use offboard_backends::{Backends, Identity, engine};
use offboard_core::reconcile::Finding;
use offboard_service::engine::QueueNotifier;
use offboard_service::evidence::Evidence;
use offboard_service::m365::GraphDirectory;
use offboard_service::reconcile::{Reconciler, Trigger};
use offboard_service::settings::Settings;
use offboard_service::{Intake, SystemClock};

/// Arguments of `offboard scan`.
#[derive(clap::Args)]
pub struct ScanArgs {
    /// Read and judge only: store no finding, open no case, send no notification, seal nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the scan as JSON (the same document as `POST /api/scans`).
    #[arg(long)]
    json: bool,
}

/// Runs the scan and prints what it found.
pub async fn run(args: ScanArgs) -> anyhow::Result<()> {
    let settings = Settings::from_env().context("reading offboard's settings")?;
    let identity = Identity::of_this_process();
    let backends = Backends::connect_as(&settings, identity)
        .await
        .context("opening the deployment's stores")?;
    let clock = Arc::new(SystemClock);
    let evidence = Evidence::new(
        backends.evidence.clone(),
        backends.index.clone(),
        backends.actor.clone(),
        clock.clone(),
    );
    // The engine the handler runs, as whoever runs this: the scan lists AD through the
    // on-prem agent and re-runs the steps whose removal came back (queued for the
    // deployment's workers) as the timer's scan does.
    let credential = engine::credential(&settings, identity)?;
    let built = engine::build(
        &settings,
        &backends,
        evidence.clone(),
        clock.clone(),
        credential,
    )
    .context("connecting to Microsoft 365 and the on-prem agent")?;
    if let Some(why) = &built.agent_unusable {
        eprintln!("AD is not read: the on-prem agent is configured but cannot be used: {why}");
    }
    let notifier = Arc::new(QueueNotifier::new(backends.queue.clone()));
    let intake = Intake::new(
        backends.cases.clone(),
        backends.queue.clone(),
        evidence.clone(),
        clock.clone(),
    )
    .with_directory(Arc::new(GraphDirectory::new(built.tenant.clone())))
    .with_notifier(notifier.clone());
    let reconciler = Reconciler::new(
        backends.cases.clone(),
        backends.findings.clone(),
        evidence,
        intake,
        built.tenant.graph.clone(),
        notifier,
        settings.population.clone(),
        settings.policy.clone(),
        settings.effective.clone(),
        clock,
    )
    .with_engine(built.engine)
    .with_exchange(built.tenant.exchange.clone())
    // Read only (a lookup): the queue would carry a refresh request, which a scan never sends.
    .with_rights_index(engine::rights_index(&built.tenant, &backends));
    let reconciler = match built.agent {
        Some(agent) => reconciler.with_agent(agent),
        None => reconciler,
    };
    let o = reconciler
        .scan(Trigger::OnDemand("cli"), args.dry_run)
        .await
        .context("the scan could not run")?;
    if args.json {
        let answer = offboard_api::ScanAnswer {
            scan: o.record,
            findings: o.findings,
            resolved: o.resolved,
            ledger_seq: o.ledger_seq,
        };
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }
    let r = &o.record;
    println!(
        "Scan {}{}: {} account(s), {} Graph request(s), {} s.",
        r.scan_id,
        if r.dry_run {
            " (dry run: nothing stored)"
        } else {
            ""
        },
        r.accounts.values().sum::<u64>(),
        r.graph_requests,
        (r.ended_at - r.started_at).num_milliseconds() as f64 / 1000.0
    );
    for s in &r.sources {
        match &s.error {
            None => println!(
                "  source {}: {} row(s), sha256 {}",
                s.source,
                s.rows,
                s.sha256.as_ref().map(|d| d.to_hex()).unwrap_or_default()
            ),
            Some(e) => println!("  source {}: FAILED: {e}", s.source),
        }
    }
    print_table(&o.findings);
    if !o.resolved.is_empty() {
        println!("Resolved by this scan: {}", o.resolved.len());
        print_table(&o.resolved);
    }
    if let Some(seq) = o.ledger_seq {
        println!("Sealed into the ledger at position {seq}.");
    }
    Ok(())
}

/// The findings as a table: type, who, since, what, what to do.
fn print_table(findings: &[Finding]) {
    if findings.is_empty() {
        println!("No findings.");
        return;
    }
    let width = |f: fn(&Finding) -> String| findings.iter().map(|x| f(x).len()).max().unwrap_or(0);
    let kind = |f: &Finding| f.observation.kind.as_str().to_owned();
    let who = |f: &Finding| f.observation.subject.clone();
    let since = |f: &Finding| {
        f.observation
            .since
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    let (wk, ww, ws) = (width(kind).max(4), width(who).max(3), width(since).max(5));
    println!(
        "{:wk$}  {:ww$}  {:ws$}  WHAT / TO DO",
        "TYPE", "WHO", "SINCE"
    );
    for f in findings {
        println!(
            "{:wk$}  {:ww$}  {:ws$}  {}",
            kind(f),
            who(f),
            since(f),
            f.observation.what
        );
        let mut todo = format!(
            "{:w$}  -> {}",
            "",
            f.observation.action,
            w = wk + ww + ws + 4
        );
        if let Some(h) = &f.handled {
            todo.push_str(&format!(" [{h}]"));
        }
        println!("{todo}");
    }
}
