//! The local stack the adapters are tested against: real Azurite (bearer tokens over HTTPS) and
//! the real npm Cosmos server, reached with the production credential
//! (`ManagedIdentityCredential` → the `standin-identity` endpoint).
//!
//! Which stack:
//! - `OFFBOARD_TEST_STACK_ENV=path/to/stack.env` (what `local/stack.sh env` prints) → that
//!   running stack. A missing or incomplete file fails every test with the way to start one.
//! - unset → this helper starts an isolated stack for this test binary on free ports with
//!   `local/stack.sh start --watch-pid <this process>`, so it stops when the tests end, and
//!   several test binaries can run at once. Without `local/stack.sh install` done first, every
//!   test fails saying so.
//!
//! Tests inside the binary share the stack and isolate themselves by name: each gets its own
//! Cosmos database and its own queues, so they run in parallel.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use azure_core::credentials::TokenCredential;
use azure_core::http::RetryOptions;
use offboard_azure::{
    AzureQueue, AzureQueueOptions, BlobEvidenceConfig, BlobEvidenceOptions, BlobEvidenceStore,
    CosmosConfig, CosmosDb,
};
use standin_identity::{IdentityConfig, IdentityEndpoint, TokenIssuer};

/// The settings of a running stack plus the identity endpoint serving its tokens.
pub struct Stack {
    /// `KEY=value` pairs from the stack's env file.
    pub env: HashMap<String, String>,
    /// The identity stand-in's issuer (to count tokens).
    pub issuer: TokenIssuer,
}

impl Stack {
    /// One setting of the stack; panics naming it if absent.
    pub fn get(&self, key: &str) -> &str {
        self.env.get(key).map(String::as_str).unwrap_or_else(|| {
            panic!("the stack's env file has no {key}: is it from local/stack.sh env?")
        })
    }
}

const REQUIRED: [&str; 7] = [
    "OFFBOARD_STORAGE_QUEUE_ENDPOINT",
    "OFFBOARD_STORAGE_BLOB_ENDPOINT",
    "OFFBOARD_COSMOS_ENDPOINT",
    "SSL_CERT_FILE",
    "AZURE_COSMOS_EMULATOR_SERVER_CERT_VALIDATION_DISABLED",
    "AZURE_COSMOS_CONNECTION_POOL_IS_HTTP2_ALLOWED",
    "AZURE_COSMOS_BINARY_ENCODING_ENABLED",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn parse_env_file(path: &Path) -> Result<HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the stack env file {}: {e}. Start a stack with `local/stack.sh install && local/stack.sh start`, then `local/stack.sh env > {}` (or unset OFFBOARD_TEST_STACK_ENV to let the tests start their own)",
            path.display(),
            path.display()
        )
    })?;
    let env: HashMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    for key in REQUIRED {
        if !env.contains_key(key) {
            return Err(format!(
                "the stack env file {} has no {key}: write it with `local/stack.sh env`",
                path.display()
            ));
        }
    }
    Ok(env)
}

/// Starts an isolated stack on free ports that stops when this process exits.
fn start_isolated() -> Result<HashMap<String, String>, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("offboard-azure-stack-{}", std::process::id()));
    let script = repo_root().join("local/stack.sh");
    let output = Command::new("bash")
        .arg(&script)
        .args(["start", "--dir"])
        .arg(&dir)
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
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`local/stack.sh start` failed ({}). Install the stack once with `local/stack.sh install` (Node 20 + npm), or point OFFBOARD_TEST_STACK_ENV at the env file of a running stack.\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    parse_env_file(&dir.join("stack.env"))
}

/// The identity stand-in runs on a thread of its own with its own runtime, so it outlives
/// every test's runtime.
fn spawn_identity() -> Result<(String, String, TokenIssuer), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("identity-standin".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(format!("identity stand-in runtime: {e}")));
                    return;
                }
            };
            runtime.block_on(async move {
                match IdentityEndpoint::spawn(IdentityConfig::default()).await {
                    Ok(handle) => {
                        let _ = tx.send(Ok((
                            handle.endpoint_url(),
                            handle.header_secret().to_owned(),
                            handle.issuer().clone(),
                        )));
                        // Serve until the process exits.
                        std::future::pending::<()>().await;
                        drop(handle);
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("identity stand-in: {e}")));
                    }
                }
            });
        })
        .map_err(|e| format!("cannot start the identity stand-in thread: {e}"))?;
    rx.recv()
        .map_err(|_| "the identity stand-in thread died".to_owned())?
}

fn init() -> Result<Stack, String> {
    let env = match std::env::var_os("OFFBOARD_TEST_STACK_ENV") {
        Some(path) => parse_env_file(Path::new(&path))?,
        None => start_isolated()?,
    };
    let (endpoint, header, issuer) = spawn_identity()?;
    // The SDKs read these from the process environment: the credential when it is created,
    // rustls' platform verifier (SSL_CERT_FILE: the bundle with the stack's CA) and the Cosmos
    // driver when a client is built. All tests call `stack()` before building anything.
    let mut vars: Vec<(String, String)> = vec![
        ("IDENTITY_ENDPOINT".into(), endpoint),
        ("IDENTITY_HEADER".into(), header),
    ];
    for key in [
        "SSL_CERT_FILE",
        "AZURE_COSMOS_EMULATOR_SERVER_CERT_VALIDATION_DISABLED",
        "AZURE_COSMOS_CONNECTION_POOL_IS_HTTP2_ALLOWED",
        "AZURE_COSMOS_BINARY_ENCODING_ENABLED",
    ] {
        vars.push((key.into(), env[key].clone()));
    }
    for (k, v) in vars {
        // SAFETY: set once, inside the OnceLock initialisation that every test passes through
        // before it creates any SDK client; the other test threads are blocked on that lock.
        unsafe { std::env::set_var(k, v) };
    }
    Ok(Stack { env, issuer })
}

static STACK: OnceLock<Result<Stack, String>> = OnceLock::new();

/// Whether a test of this binary has started the stack (and pointed `IDENTITY_ENDPOINT` at the
/// identity stand-in): the live test refuses to run with a managed identity then.
pub fn stack_started() -> bool {
    STACK.get().is_some()
}

/// The stack (started or found on first use).
pub fn stack() -> &'static Stack {
    match STACK.get_or_init(init) {
        Ok(stack) => stack,
        Err(message) => panic!("the local Azure stack is not available:\n{message}"),
    }
}

/// A short unique suffix for names.
pub fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// The production credential, pointed at the identity stand-in.
pub fn credential() -> Arc<dyn TokenCredential> {
    stack();
    offboard_azure::managed_identity_credential(None).expect("managed identity credential")
}

/// A fresh Cosmos database (its own name) with offboard's containers.
pub async fn cosmos() -> CosmosDb {
    let s = stack();
    let config = CosmosConfig::new(s.get("OFFBOARD_COSMOS_ENDPOINT"), format!("t{}", unique()));
    let db = CosmosDb::connect(config, credential())
        .await
        .expect("connect to the Cosmos server");
    db.ensure_dev_schema().await.expect("create the schema");
    db
}

/// The queue adapter on the stack's Azurite, with the production credential.
pub fn queues() -> AzureQueue {
    let s = stack();
    AzureQueue::new(
        s.get("OFFBOARD_STORAGE_QUEUE_ENDPOINT"),
        credential(),
        AzureQueueOptions::default(),
    )
    .expect("queue adapter")
}

/// A fresh queue name.
pub fn queue_name() -> String {
    format!("t-{}", unique())
}

/// The blob evidence store on a fresh container (its own name) of the stack's Azurite, with the
/// production credential. `worm: false` is the only way evidence works on Azurite (no legal
/// hold, no immutability: 501); SDK retries are off so a failure shows at once.
pub async fn blob_evidence(worm: bool) -> BlobEvidenceStore {
    let store = blob_evidence_unchecked(worm, &format!("ev-{}", unique()));
    store
        .ensure_dev_container()
        .await
        .expect("create the evidence container on Azurite");
    store
}

/// The blob evidence store on container `container` of the stack's Azurite, not created.
pub fn blob_evidence_unchecked(worm: bool, container: &str) -> BlobEvidenceStore {
    let s = stack();
    BlobEvidenceStore::new(
        BlobEvidenceConfig {
            container: container.to_owned(),
            worm,
            ..BlobEvidenceConfig::new(s.get("OFFBOARD_STORAGE_BLOB_ENDPOINT"))
        },
        credential(),
        BlobEvidenceOptions {
            retry: Some(RetryOptions::none()),
        },
    )
    .expect("blob evidence store")
}

/// The directory of the stack's TLS material (the CA, and the server certificate and key
/// Azurite serves), for test servers that must be trusted like the stack.
pub fn certs_dir() -> PathBuf {
    let ca = PathBuf::from(stack().get("OFFBOARD_STACK_CA_FILE"));
    ca.parent()
        .map(Path::to_path_buf)
        .expect("the CA file of the stack has a directory")
}
