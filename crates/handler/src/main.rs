//! `handler`: the Azure Functions custom handler process. The Functions host starts it and
//! talks to it on `127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT`.

use anyhow::Context;
use offboard_handler::{startup::Application, telemetry};
use offboard_service::settings::Settings;

/// Stack of each runtime worker. A request's future (intake, the inline sign-in cut, the guard
/// rails, the Azure SDK's calls under them) is polled on a worker's stack, and unoptimised
/// builds lay such futures out far larger than release builds do: the default 2 MiB overflowed
/// on the Azure backend in debug builds. Untouched stack pages cost no memory.
const WORKER_STACK_BYTES: usize = 16 * 1024 * 1024;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
        .context("starting the async runtime")?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    telemetry::init();
    let port: u16 = match std::env::var("FUNCTIONS_CUSTOMHANDLER_PORT") {
        Ok(p) => p
            .parse()
            .context("FUNCTIONS_CUSTOMHANDLER_PORT must be a port number")?,
        Err(_) => anyhow::bail!(
            "FUNCTIONS_CUSTOMHANDLER_PORT is not set: the handler is started by the Azure Functions host (or `offboard local`), which chooses the port"
        ),
    };
    let settings = Settings::from_env().context("offboard settings")?;
    let app = Application::build(settings, port)
        .await
        .context("starting the handler")?;
    tracing::info!(port = app.port(), "offboard handler listening");
    app.run_until_stopped().await;
    Ok(())
}
