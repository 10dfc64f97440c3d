//! `offboard`: run the demo, run offboard locally, and (as the product grows) verify
//! evidence, produce reports and show plans.

mod demo;
mod local;
mod sample;

use clap::{Parser, Subcommand};

/// offboard — HR-triggered, verified, audit-ready deprovisioning for Microsoft 365 and hybrid AD.
#[derive(Parser)]
#[command(name = "offboard", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole path on an embedded backend and print what happened.
    Demo(demo::DemoArgs),
    /// Run offboard locally behind the local Functions host, like `func start`.
    Local(local::LocalArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Local(args) => local::run(args).await,
    }
}
