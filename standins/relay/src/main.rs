//! `relay-local`: runs the stand-in Azure Relay on 127.0.0.1 for manual runs and the demo.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use standin_relay::{LocalRelay, LocalRelayConfig};

/// Stand-in Azure Relay Hybrid Connections service (local tests and demo only).
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Hybrid connection paths to serve.
    #[arg(long = "path", default_value = standin_relay::DEFAULT_PATH)]
    paths: Vec<String>,
    /// Seconds the relay waits for a listener's answer before 504 (Azure: 60).
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = LocalRelayConfig {
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], args.port)),
        hybrid_connections: args.paths.clone(),
        request_timeout: Duration::from_secs(args.timeout_secs),
        ..Default::default()
    };
    let relay = LocalRelay::spawn(config)
        .await
        .context("starting the local relay")?;
    // Test keys of a throwaway local relay: printed so a local agent and handler can use them.
    println!("OFFBOARD_RELAY_NAMESPACE={}", relay.namespace());
    println!("OFFBOARD_RELAY_LISTENER_BASE={}", relay.listener_base_url());
    println!("OFFBOARD_RELAY_SENDER_BASE={}", relay.sender_base_url());
    for rule in relay.rules() {
        let tag = rule.name.to_ascii_uppercase().replace('-', "_");
        println!("OFFBOARD_RELAY_{tag}_KEY_NAME={}", rule.name);
        println!("OFFBOARD_RELAY_{tag}_KEY={}", rule.key);
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    relay.shutdown().await;
    Ok(())
}
