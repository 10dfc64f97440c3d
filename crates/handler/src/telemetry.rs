//! Logging, set up once. The Functions host collects the handler's stdout into Application
//! Insights. Request bodies, headers, secrets and signatures are never logged: handlers log
//! case ids, sources, statuses and request ids only.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the JSON log subscriber (level from `RUST_LOG`, default `info`). Safe to call
/// more than once.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .json()
                .with_current_span(false)
                .with_target(false),
        )
        .try_init();
}
