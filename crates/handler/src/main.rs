//! `handler`: the Azure Functions custom handler process. The Functions host starts it and
//! talks to it on `127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT`.

use anyhow::Context;
use offboard_handler::{startup::Application, telemetry};
use offboard_service::settings::Settings;

fn main() -> anyhow::Result<()> {
    offboard_service::runtime::build()
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
