//! An isolated local Azure stack (Azurite blob + queue over HTTPS in bearer mode, the npm
//! Cosmos server) for one test app, started with the project's own `local/stack.sh` on free
//! ports and stopped when the app (or the test process) ends.

use anyhow::Context;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

use crate::app::repo_root;

/// A running stack.
pub struct Stack {
    dir: PathBuf,
    /// The connection facts `local/stack.sh env` prints.
    pub env: HashMap<String, String>,
}

impl Stack {
    /// Starts a stack in `dir` (its pid, log and env files).
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        let script = repo_root().join("local/stack.sh");
        let out = Command::new("bash")
            .arg(&script)
            .args(["start", "--dir"])
            .arg(dir)
            .args([
                "--azurite-blob-port",
                "auto",
                "--azurite-queue-port",
                "auto",
                "--cosmos-port",
                "auto",
                "--watch-pid",
            ])
            .arg(std::process::id().to_string())
            .output()
            .with_context(|| format!("running {}", script.display()))?;
        anyhow::ensure!(
            out.status.success(),
            "`local/stack.sh start` failed ({}): install the stack once with `local/stack.sh install` (Node 20 + npm).\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(dir.join("stack.env")).context("reading stack.env")?;
        let env: HashMap<String, String> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        trust_stack_ca(&env)?;
        Ok(Self {
            dir: dir.to_owned(),
            env,
        })
    }

    /// One fact; an error naming it if absent.
    pub fn get(&self, key: &str) -> anyhow::Result<&str> {
        self.env
            .get(key)
            .map(String::as_str)
            .with_context(|| format!("the stack's env has no {key}"))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_root().join("local/stack.sh"))
            .args(["stop", "--dir"])
            .arg(&self.dir)
            .output();
    }
}

static PROCESS_ENV: Once = Once::new();

/// The test process's own Azure SDK clients must trust the stack's CA and use the Cosmos
/// server's settings. Every stack uses the same CA bundle (`local/.run/certs`), so the
/// process environment is set once, before any client is built.
fn trust_stack_ca(env: &HashMap<String, String>) -> anyhow::Result<()> {
    let mut result = Ok(());
    PROCESS_ENV.call_once(|| {
        for key in [
            "SSL_CERT_FILE",
            "AZURE_COSMOS_EMULATOR_SERVER_CERT_VALIDATION_DISABLED",
            "AZURE_COSMOS_CONNECTION_POOL_IS_HTTP2_ALLOWED",
            "AZURE_COSMOS_BINARY_ENCODING_ENABLED",
        ] {
            match env.get(key) {
                // SAFETY: set once, under a `Once`, before this process builds any HTTP
                // client that reads it; the values are the same for every stack.
                Some(v) => unsafe { std::env::set_var(key, v) },
                None => result = Err(anyhow::anyhow!("the stack's env has no {key}")),
            }
        }
    });
    result
}
