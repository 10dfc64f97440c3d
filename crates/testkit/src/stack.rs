//! The local Azure stack (Azurite blob + queue over HTTPS in bearer mode, the npm Cosmos
//! server) a test app runs on, started with the project's own `local/stack.sh` on free ports.
//!
//! Under cargo-nextest (one process per test), every test of a run shares one stack, started
//! by the first test that needs it and stopped when the run ends; each test gets an Azurite
//! account (its own queues and blob containers) and a Cosmos database of its own, so tests see
//! nothing of each other. Starting three Node.js services costs seconds of CPU per test
//! otherwise, which on two cores was most of an Azure test's time. Elsewhere (`cargo test`, a
//! benchmark, `OFFBOARD_TEST_OWN_STACK=1`) each test app starts and stops a stack of its own.

use anyhow::Context;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

use crate::app::repo_root;

/// Azurite accounts a shared stack serves (`t0001`..): more than a run has Azure tests.
const SHARED_ACCOUNTS: u32 = 1000;

/// The Cosmos database of a test app with a stack of its own.
const OWN_DATABASE: &str = "offboard";

/// A running stack, or a test's part of the shared one.
pub struct Stack {
    /// The stack's directory when this test started it (and stops it when dropped).
    own_dir: Option<PathBuf>,
    /// The connection facts `local/stack.sh env` prints, the endpoints naming this test's
    /// Azurite account, plus `OFFBOARD_COSMOS_DATABASE`.
    pub env: HashMap<String, String>,
}

impl Stack {
    /// The stack for one test app: its part of the run's shared stack under cargo-nextest,
    /// else a stack of its own in `dir`.
    pub fn for_test(dir: &Path) -> anyhow::Result<Self> {
        match std::env::var("NEXTEST_RUN_ID") {
            Ok(run) if std::env::var_os("OFFBOARD_TEST_OWN_STACK").is_none() => Self::shared(&run)
                .or_else(|e| {
                    eprintln!(
                        "no part of the shared stack ({e:#}): starting one of this test's own"
                    );
                    Self::start(dir)
                }),
            _ => Self::start(dir),
        }
    }

    /// Starts a stack of this test's own in `dir` (its pid, log and env files), stopped when
    /// the returned value is dropped or this process exits.
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        let mut env = launch(dir, std::process::id(), 0)?;
        env.insert("OFFBOARD_COSMOS_DATABASE".into(), OWN_DATABASE.into());
        trust_stack_ca(&env)?;
        Ok(Self {
            own_dir: Some(dir.to_owned()),
            env,
        })
    }

    /// This test's account and database in the stack shared by nextest run `run`, starting the
    /// stack if this is the run's first Azure test. The stack stops when the run (nextest, the
    /// parent of every test process) exits.
    fn shared(run: &str) -> anyhow::Result<Self> {
        let root = std::env::temp_dir().join(format!("offboard-stack-{run}"));
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        let lock = File::create(root.join("lock")).context("opening the shared stack's lock")?;
        // Held until the end of this function: one test at a time starts the stack or claims
        // an account.
        lock.lock().context("locking the shared stack")?;
        let dir = root.join("stack");
        let running = dir.join("stack.env").exists()
            && Command::new("bash")
                .arg(repo_root().join("local/stack.sh"))
                .args(["status", "--dir"])
                .arg(&dir)
                .output()
                .is_ok_and(|o| o.status.success());
        let mut env = if running {
            read_env(&dir)?
        } else {
            launch(&dir, std::os::unix::process::parent_id(), SHARED_ACCOUNTS)?
        };
        let counter = root.join("accounts-claimed");
        let claimed: u32 = std::fs::read_to_string(&counter)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        anyhow::ensure!(
            claimed < SHARED_ACCOUNTS,
            "the shared stack's {SHARED_ACCOUNTS} accounts are all taken"
        );
        let n = claimed + 1;
        std::fs::write(&counter, n.to_string()).context("claiming a shared stack account")?;
        let account = format!("t{n:04}");
        for key in [
            "OFFBOARD_STORAGE_BLOB_ENDPOINT",
            "OFFBOARD_STORAGE_QUEUE_ENDPOINT",
        ] {
            let endpoint = env
                .get(key)
                .with_context(|| format!("the stack's env has no {key}"))?;
            let base = endpoint
                .strip_suffix("/devstoreaccount1")
                .with_context(|| format!("{key} ({endpoint}) names no dev account"))?;
            let mine = format!("{base}/{account}");
            env.insert(key.into(), mine);
        }
        env.insert(
            "OFFBOARD_COSMOS_DATABASE".into(),
            format!("{OWN_DATABASE}-{account}"),
        );
        trust_stack_ca(&env)?;
        Ok(Self { own_dir: None, env })
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
        if let Some(dir) = &self.own_dir {
            let _ = Command::new("bash")
                .arg(repo_root().join("local/stack.sh"))
                .args(["stop", "--dir"])
                .arg(dir)
                .output();
        }
    }
}

/// Starts a stack in `dir` that stops when process `watch` exits, with `accounts` Azurite
/// accounts besides the dev account; its connection facts.
fn launch(dir: &Path, watch: u32, accounts: u32) -> anyhow::Result<HashMap<String, String>> {
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
            "--accounts",
            &accounts.to_string(),
            "--watch-pid",
            &watch.to_string(),
        ])
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "`local/stack.sh start` failed ({}): install the stack once with `local/stack.sh install` (Node 20 + npm).\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    read_env(dir)
}

/// The connection facts in `dir/stack.env`.
fn read_env(dir: &Path) -> anyhow::Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(dir.join("stack.env")).context("reading stack.env")?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect())
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
