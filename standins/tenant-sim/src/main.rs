//! `tenant-sim`: runs the Microsoft 365 tenant simulator on 127.0.0.1 until Ctrl-C.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use standin_tenant::{Settings, SimConfig, Tenant, TenantSim};

/// Stand-in Microsoft 365 tenant (Graph v1.0, Exchange InvokeCommand, managed-identity endpoint).
#[derive(Debug, Parser)]
#[command(name = "tenant-sim", version)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port; the chosen one is printed).
    #[arg(long, default_value_t = 0, env = "TENANT_SIM_PORT")]
    port: u16,
    /// Seed file (JSON, see README); the built-in demo tenant when absent.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Print the built-in demo tenant as a seed file and exit.
    #[arg(long)]
    dump_demo_seed: bool,
    /// Writes allowed per app and tenant per window (Graph: 3000).
    #[arg(long, default_value_t = 3_000)]
    write_quota: u32,
    /// Write-quota window in seconds (Graph: 150).
    #[arg(long, default_value_t = 150.0)]
    quota_window_secs: f64,
    /// Fraction of requests answered with an injected 503/504 (0..1).
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Lifetime of issued tokens in seconds.
    #[arg(long, default_value_t = 86_400)]
    token_lifetime_secs: u64,
    /// The IDENTITY_HEADER secret (random when absent; printed at start).
    #[arg(long, env = "TENANT_SIM_IDENTITY_HEADER")]
    identity_header: Option<String>,
    /// Seconds after which an on-premises change of a synced user reaches Entra (manual when absent).
    #[arg(long)]
    directory_sync_delay_secs: Option<u64>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    if args.dump_demo_seed {
        println!(
            "{}",
            serde_json::to_string_pretty(&standin_tenant::demo::demo_tenant())?
        );
        return Ok(());
    }
    let seed = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading seed file {}", path.display()))?;
            let tenant: Tenant = serde_json::from_str(&text).with_context(|| {
                format!(
                    "parsing seed file {} (see standins/tenant-sim/README.md)",
                    path.display()
                )
            })?;
            Some(tenant)
        }
        None => None,
    };
    if !(0.0..=1.0).contains(&args.fault_rate) {
        anyhow::bail!("--fault-rate must be between 0 and 1");
    }
    let settings = Settings {
        write_quota: args.write_quota,
        quota_window_ms: (args.quota_window_secs * 1000.0) as u64,
        fault_rate: args.fault_rate,
        latency_ms: args.latency_ms,
        ..Settings::default()
    };
    let sim = TenantSim::spawn(SimConfig {
        port: args.port,
        seed,
        settings,
        token_lifetime: Duration::from_secs(args.token_lifetime_secs),
        identity_header: args.identity_header.clone(),
        directory_sync_delay: args.directory_sync_delay_secs.map(Duration::from_secs),
    })
    .await?;
    println!("tenant-sim listening on {}", sim.base_url());
    println!("GRAPH_BASE_URL={}", sim.graph_base());
    println!("EXCHANGE_BASE_URL={}", sim.exchange_base());
    println!("IDENTITY_ENDPOINT={}", sim.identity_endpoint());
    if args.identity_header.is_none() {
        // Printed once so a developer can export it; it is a per-run random test secret.
        println!("IDENTITY_HEADER={}", sim.identity_header());
    }
    println!("TENANT_ID={}", sim.tenant_id());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sim.shutdown().await;
    Ok(())
}
