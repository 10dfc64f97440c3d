//! Spawning a test instance of offboard.

use anyhow::Context;
use base64::Engine;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use offboard_azure::{AzureQueue, AzureQueueOptions, CosmosConfig, CosmosDb};
use offboard_core::ports::{CaseIndex, CaseStore, EvidenceStore, MessageQueue};
use offboard_embedded::Embedded;
use offboard_service::settings;
use standin_entra::{EntraConfig, EntraHandle};
use standin_funchost::{AppDefinition, HandlerSpec, HostHandle, HostOptions, LocalHost};
use standin_tenant::{SimConfig, SimHandle, TenantSim};

use crate::credential::SimCredential;
use crate::signing::Secrets;
use crate::stack::Stack;

mod http;
pub use http::Answer;

/// Which storage backend the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite backend.
    Embedded,
    /// Azurite and the Cosmos server, started for this app by `local/stack.sh`, reached
    /// with managed-identity tokens (the production path).
    Azure,
}

/// A running offboard for one test.
pub struct TestApp {
    host: Option<HostHandle>,
    /// Further host + handler instances over the same queues and stores (scale-out).
    more_hosts: Vec<HostHandle>,
    /// The secrets the app was configured with.
    pub secrets: Secrets,
    /// Key for `authLevel: function` endpoints.
    pub function_key: String,
    /// The app's Entra ID (its sign-in authority): people and GRC tools get their tokens
    /// here, and the browser tests sign in on its page.
    pub entra: Arc<EntraHandle>,
    /// An access token of Otto Operator (`Offboard.Operator`), which the typed helpers
    /// (`get`, `post_offboarding`, `retry`) present: the human-facing API needs a
    /// signed-in caller.
    pub operator_token: String,
    /// An HTTP client (no proxy).
    pub client: reqwest::Client,
    /// The queues the host polls (to inspect or inject messages).
    pub queue: Arc<dyn MessageQueue>,
    /// The case store the handler writes (to inspect).
    pub cases: Arc<dyn CaseStore>,
    /// The Microsoft 365 tenant the app acts on.
    pub sim: SimHandle,
    /// The compliance index the handler writes (to inspect, or to tamper with in tests).
    pub index: Arc<dyn CaseIndex>,
    /// The evidence store the handler writes (to read records on either backend).
    pub evidence: Arc<dyn EvidenceStore>,
    /// The app settings the handler was started with (the deployment's configuration), so a
    /// test can run `offboard` against the same store the way an operator would.
    pub settings: BTreeMap<String, String>,
    data_dir: PathBuf,
    backend: Backend,
    base_url: String,
    handler_log: PathBuf,
    app_dir: PathBuf,
    _stack: Option<Stack>,
    _dir: tempfile::TempDir,
    _policy_dir: Option<tempfile::TempDir>,
}

/// The stores a test app's handler writes, opened again for the test to inspect: queues,
/// cases, the compliance index and the evidence.
type Stores = (
    Arc<dyn MessageQueue>,
    Arc<dyn CaseStore>,
    Arc<dyn CaseIndex>,
    Arc<dyn EvidenceStore>,
);

/// offboard's app registration (client id) in the test apps' Entra ID stand-in.
pub const SIGNIN_APP_ID: &str = "0f1e2d3c-2222-4b5a-9c8d-7e6f5a4b3c2d";
/// The sample directory's operator (`Offboard.Operator`), whose token the helpers present.
pub const OPERATOR_UPN: &str = "otto.operator@contoso.example";
/// The sample directory's auditor.
pub const AUDITOR_UPN: &str = "ada.auditor@contoso.example";

/// Where the root of the repository is (for host.json and handlers/).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `handler` executable cargo built next to the test binary.
pub fn handler_executable() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let mut dir = exe
        .parent()
        .context("test binary has no directory")?
        .to_owned();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join("handler");
    anyhow::ensure!(
        path.exists(),
        "no handler executable at {}: build it first with `cargo build -p offboard-handler --bin handler` (the test script does)",
        path.display()
    );
    Ok(path)
}

/// The `offboard` command-line executable cargo built next to the test binary (the test
/// script builds every binary of the workspace first).
pub fn offboard_executable() -> anyhow::Result<PathBuf> {
    let handler = handler_executable()?;
    let path = handler.with_file_name("offboard");
    anyhow::ensure!(
        path.exists(),
        "no offboard executable at {}: build it first with `cargo build -p offboard-cli` (the test script does)",
        path.display()
    );
    Ok(path)
}

/// Copies host.json and handlers/ into `dir`. Timer schedules are shortened to every two
/// seconds so that timer-driven behaviour is observable in a test; everything else is the
/// deployed definition.
fn copy_app_definition(dir: &Path) -> anyhow::Result<AppDefinition> {
    let root = repo_root();
    std::fs::copy(root.join("host.json"), dir.join("host.json"))?;
    let functions = dir.join("functions");
    for entry in std::fs::read_dir(root.join("handlers"))? {
        let entry = entry?;
        let src = entry.path().join("function.json");
        if !src.exists() {
            continue;
        }
        let dest = functions.join(entry.file_name());
        std::fs::create_dir_all(&dest)?;
        let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&src)?)?;
        // Fixed timers fire every 2 s so tests need not wait. A schedule read from an app
        // setting (`%NAME%`: the daily ghost-access scan) keeps the setting's value: tests run
        // the scan on demand (`POST /api/scans`), and a scan every 2 s would race them and seal
        // a scan record into every other test's ledger.
        if let Some(bindings) = json["bindings"].as_array_mut() {
            for b in bindings {
                let from_setting = b["schedule"].as_str().is_some_and(|s| s.starts_with('%'));
                if b["type"] == "timerTrigger" && !from_setting {
                    b["schedule"] = Value::String("*/2 * * * * *".into());
                }
            }
        }
        std::fs::write(
            dest.join("function.json"),
            serde_json::to_vec_pretty(&json)?,
        )?;
    }
    Ok(AppDefinition::load(&dir.join("host.json"), &functions)?)
}

/// Starts offboard for one test: the real handler executable behind the local Functions
/// host, on `backend`, with fresh random secrets.
pub async fn spawn_app(backend: Backend) -> TestApp {
    match try_spawn(backend).await {
        Ok(app) => app,
        Err(e) => panic!("could not start the test app: {e:#}"),
    }
}

/// Starts offboard for a mass run (the benchmarks, the chaos run): the built-in policy with
/// the blast-radius brake off, as an operator would set it for an expected bulk offboarding.
/// Everything else is [`spawn_app`]'s.
pub async fn spawn_app_without_brake(backend: Backend) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("policy.toml");
    let text = offboard_core::policy::DEFAULT_POLICY.replace("enabled = true", "enabled = false");
    assert!(
        text.contains("enabled = false"),
        "the built-in policy has a [brake] switch"
    );
    std::fs::write(&path, text).expect("the policy file");
    let mut app = spawn_app_with(backend, SimConfig::default(), |s| {
        s.insert(
            settings::OFFBOARD_POLICY_FILE.to_owned(),
            path.display().to_string(),
        );
    })
    .await;
    app._policy_dir = Some(dir);
    app
}

async fn try_spawn(backend: Backend) -> anyhow::Result<TestApp> {
    try_spawn_with(backend, SimConfig::default(), |_| {}).await
}

/// Starts offboard with a tenant simulator configured by `sim` and app settings adjusted
/// by `settings` (e.g. to remove a secret).
pub async fn spawn_app_with(
    backend: Backend,
    sim: SimConfig,
    settings: impl FnOnce(&mut BTreeMap<String, String>),
) -> TestApp {
    match try_spawn_with(backend, sim, settings).await {
        Ok(app) => app,
        Err(e) => panic!("could not start the test app: {e:#}"),
    }
}

async fn try_spawn_with(
    backend: Backend,
    sim_config: SimConfig,
    adjust: impl FnOnce(&mut BTreeMap<String, String>),
) -> anyhow::Result<TestApp> {
    let dir = tempfile::tempdir()?;
    // Every test's Graph traffic is held to Microsoft's v1.0 metadata (checked on drop).
    let mut sim_config = sim_config;
    sim_config.settings.check_metadata = true;
    let sim = TenantSim::spawn(sim_config).await?;
    let app = copy_app_definition(dir.path())?;
    let secrets = Secrets::random();
    let mut app_settings = BTreeMap::from([
        (
            settings::OFFBOARD_BAMBOOHR_SECRET.to_owned(),
            secrets.bamboohr.clone(),
        ),
        (
            settings::OFFBOARD_GENERIC_WEBHOOK_SECRET.to_owned(),
            secrets.generic.clone(),
        ),
        (
            settings::OFFBOARD_SCIM_TOKEN.to_owned(),
            secrets.scim.clone(),
        ),
        (
            settings::OFFBOARD_TIME_ZONE.to_owned(),
            "America/New_York".to_owned(),
        ),
        ("RUST_LOG".to_owned(), "info".to_owned()),
        // Tests assert what the sign-in cut does, never how fast: its longest allowed budget,
        // so a loaded CI runner (2 cores, every Azure test on one Azurite and Cosmos server)
        // does not send a cut the test expects inline to the queue. The budget's own path is
        // tested with 100 ms (tests/e2e/kill_switch.rs); the latency benchmark sets the
        // deployed default back.
        (
            settings::OFFBOARD_SIGN_IN_CUT_BUDGET_MS.to_owned(),
            "15000".to_owned(),
        ),
        // The ghost-access scan on its deployed daily schedule (tests run it on demand).
        (
            settings::OFFBOARD_RECONCILE_SCHEDULE.to_owned(),
            settings::DEFAULT_RECONCILE_SCHEDULE.to_owned(),
        ),
        // The host refuses bodies over offboard's own limit, as the deployment sets it.
        (
            "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT".to_owned(),
            "1048576".to_owned(),
        ),
        // Microsoft 365 and the managed identity: the tenant simulator.
        ("IDENTITY_ENDPOINT".to_owned(), sim.identity_endpoint()),
        ("IDENTITY_HEADER".to_owned(), sim.identity_header()),
        (
            settings::OFFBOARD_GRAPH_ENDPOINT.to_owned(),
            sim.graph_base(),
        ),
        (
            settings::OFFBOARD_EXCHANGE_ENDPOINT.to_owned(),
            sim.exchange_base(),
        ),
        (settings::OFFBOARD_TENANT_ID.to_owned(), sim.tenant_id()),
    ]);
    // People and GRC tools sign in with Entra ID: the stand-in is the app's authority.
    let entra =
        Arc::new(EntraHandle::spawn(EntraConfig::sample(&sim.tenant_id(), SIGNIN_APP_ID)).await?);
    let session_key: [u8; 32] = rand::random();
    for (k, v) in [
        (
            settings::OFFBOARD_SIGNIN_CLIENT_ID,
            SIGNIN_APP_ID.to_owned(),
        ),
        (settings::OFFBOARD_SIGNIN_AUTHORITY, entra.authority_host()),
        (
            settings::OFFBOARD_SIGNIN_SESSION_KEY,
            base64::engine::general_purpose::STANDARD.encode(session_key),
        ),
    ] {
        app_settings.insert(k.to_owned(), v);
    }
    let operator_token = entra.user_access_token(OPERATOR_UPN, &["Offboard.Operator"])?;
    let mut stack = None;
    let data = dir.path().join("data");
    let (queue, cases, index, evidence): Stores = match backend {
        Backend::Embedded => {
            let db = Embedded::open(&data)?;
            app_settings.insert(settings::OFFBOARD_BACKEND.into(), "embedded".into());
            app_settings.insert(
                settings::OFFBOARD_EMBEDDED_PATH.into(),
                data.display().to_string(),
            );
            let db = Arc::new(db);
            let evidence = Arc::new(offboard_embedded::FileEvidenceStore::open(
                &data.join("evidence"),
            )?);
            (db.clone(), db.clone(), db, evidence)
        }
        Backend::Azure => {
            let st = Stack::for_test(&dir.path().join("stack"))?;
            let database = st.get("OFFBOARD_COSMOS_DATABASE")?.to_owned();
            let credential = Arc::new(SimCredential(sim.issuer().clone()));
            let cosmos = CosmosDb::connect(
                CosmosConfig::new(st.get("OFFBOARD_COSMOS_ENDPOINT")?, &database),
                credential.clone(),
            )
            .await?;
            cosmos.ensure_dev_schema().await?;
            let evidence = offboard_azure::BlobEvidenceStore::new(
                offboard_azure::BlobEvidenceConfig {
                    endpoint: st.get("OFFBOARD_STORAGE_BLOB_ENDPOINT")?.to_owned(),
                    container: "evidence".into(),
                    worm: false,
                    ..offboard_azure::BlobEvidenceConfig::new(
                        st.get("OFFBOARD_STORAGE_BLOB_ENDPOINT")?,
                    )
                },
                credential.clone(),
                offboard_azure::BlobEvidenceOptions::default(),
            )?;
            evidence.ensure_dev_container().await?;
            let cases: Arc<dyn CaseStore> = Arc::new(cosmos.case_store().await?);
            let index: Arc<dyn CaseIndex> = Arc::new(cosmos.case_index().await?);
            let queue: Arc<dyn MessageQueue> = Arc::new(AzureQueue::new(
                st.get("OFFBOARD_STORAGE_QUEUE_ENDPOINT")?,
                credential,
                AzureQueueOptions::default(),
            )?);
            for (k, v) in [
                (settings::OFFBOARD_BACKEND, "azure".to_owned()),
                (
                    settings::OFFBOARD_COSMOS_ENDPOINT,
                    st.get("OFFBOARD_COSMOS_ENDPOINT")?.to_owned(),
                ),
                (settings::OFFBOARD_COSMOS_DATABASE, database.clone()),
                (
                    settings::OFFBOARD_STORAGE_QUEUE_ENDPOINT,
                    st.get("OFFBOARD_STORAGE_QUEUE_ENDPOINT")?.to_owned(),
                ),
                (
                    settings::OFFBOARD_STORAGE_BLOB_ENDPOINT,
                    st.get("OFFBOARD_STORAGE_BLOB_ENDPOINT")?.to_owned(),
                ),
                // Azurite has no legal hold or immutability: said, never silent.
                (settings::OFFBOARD_EVIDENCE_WORM, "off".to_owned()),
            ] {
                app_settings.insert(k.to_owned(), v);
            }
            for k in [
                "SSL_CERT_FILE",
                "AZURE_COSMOS_EMULATOR_SERVER_CERT_VALIDATION_DISABLED",
                "AZURE_COSMOS_CONNECTION_POOL_IS_HTTP2_ALLOWED",
                "AZURE_COSMOS_BINARY_ENCODING_ENABLED",
            ] {
                app_settings.insert(k.to_owned(), st.get(k)?.to_owned());
            }
            stack = Some(st);
            (queue, cases, index, Arc::new(evidence))
        }
    };
    adjust(&mut app_settings);
    let key: [u8; 16] = rand::random();
    let function_key: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let handler_log = dir.path().join("handler.log");
    let resolver_queue = queue.clone();
    let host = LocalHost::start(HostOptions {
        app,
        handler: HandlerSpec::Process {
            executable: handler_executable()?,
            log_file: Some(handler_log.clone()),
        },
        app_settings: app_settings.clone(),
        port: 0,
        function_key: function_key.clone(),
        queues: Arc::new(move |_connection| Ok(resolver_queue.clone())),
    })
    .await?;
    Ok(TestApp {
        base_url: host.base_url(),
        host: Some(host),
        more_hosts: Vec::new(),
        app_dir: dir.path().to_owned(),
        secrets,
        function_key,
        entra,
        operator_token,
        client: reqwest::Client::builder().no_proxy().build()?,
        queue,
        cases,
        index,
        evidence,
        backend,
        settings: app_settings,
        data_dir: data,
        handler_log,
        sim,
        _stack: stack,
        _dir: dir,
        _policy_dir: None,
    })
}

/// A test whose app sent Graph a request v1.0 does not declare, or got an answer from the
/// simulator that v1.0 does not declare, fails here: the simulator would be standing in for a
/// Graph that does not exist.
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() || !self.sim.settings().check_metadata {
            return;
        }
        let findings = self.sim.metadata_findings();
        if !findings.is_empty() {
            let lines: Vec<String> = findings.iter().map(ToString::to_string).collect();
            panic!(
                "Graph traffic that Microsoft's v1.0 metadata does not declare ({}):\n{}",
                lines.len(),
                lines.join("\n")
            );
        }
    }
}

impl TestApp {
    /// The embedded backend's directory (`offboard.db` and `evidence/`), as `offboard local
    /// --data DIR` lays it out: what `offboard verify --data` and `offboard report --data` read.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The backend the app runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The Cosmos DB operations the app's database received so far, as the local Cosmos
    /// server's wrapper counted them; `None` on the embedded backend, which has no Cosmos DB.
    pub async fn cosmos_operations(&self) -> anyhow::Result<Option<crate::cost::CosmosOperations>> {
        if self.backend != Backend::Azure {
            return Ok(None);
        }
        let setting = |key: &str| {
            self.settings
                .get(key)
                .map(String::as_str)
                .with_context(|| format!("the app has no {key} setting"))
        };
        crate::cost::cosmos_operations(
            &self.client,
            setting("OFFBOARD_COSMOS_ENDPOINT")?,
            setting("OFFBOARD_COSMOS_DATABASE")?,
        )
        .await
        .map(Some)
    }

    /// Sends raw text to a queue, base64-encoded as the Functions host expects.
    pub async fn enqueue(&self, queue: &str, text: &str) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(text);
        self.queue
            .send(queue, &b64, Duration::ZERO)
            .await
            .expect("enqueue");
    }

    /// Waits until the handler's log contains `needle` (bounded), failing with the log.
    pub async fn wait_log(&self, within: Duration, needle: &str) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let log = self.handler_log();
            if log.contains(needle) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                // The log's end, then what was missing: the last lines of a test run's output
                // (all CI keeps) say why the test failed.
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(80)..].join("\n");
                panic!(
                    "the handler's log (last 80 of {} lines):\n{tail}\nthe handler never logged {needle:?} within {within:?}",
                    lines.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Everything the handler process wrote to stdout and stderr.
    pub fn handler_log(&self) -> String {
        std::fs::read_to_string(&self.handler_log).unwrap_or_default()
    }

    /// The local Functions host.
    pub fn host(&self) -> &HostHandle {
        self.host.as_ref().expect("host running")
    }

    /// Starts one more local Functions host with its own handler process over the same
    /// queues and stores, as Flex Consumption scales an app out: every instance polls the
    /// same queues and claims steps on the same cases, so only leases and ETags keep them
    /// from doing anything twice. Its handler logs to `handler-<n>.log` next to the first.
    pub async fn add_instance(&mut self) -> anyhow::Result<()> {
        let n = self.more_hosts.len() + 1;
        let app = AppDefinition::load(
            &self.app_dir.join("host.json"),
            &self.app_dir.join("functions"),
        )?;
        let queue = self.queue.clone();
        let host = LocalHost::start(HostOptions {
            app,
            handler: HandlerSpec::Process {
                executable: handler_executable()?,
                log_file: Some(self.app_dir.join(format!("handler-{n}.log"))),
            },
            app_settings: self.settings.clone(),
            port: 0,
            function_key: self.function_key.clone(),
            queues: Arc::new(move |_connection| Ok(queue.clone())),
        })
        .await?;
        self.more_hosts.push(host);
        Ok(())
    }

    /// Every running host instance, the first one (`host()`, `base_url()`) first.
    pub fn hosts(&self) -> Vec<&HostHandle> {
        self.host.iter().chain(self.more_hosts.iter()).collect()
    }

    /// What every handler process wrote, instance by instance.
    pub fn handler_logs(&self) -> String {
        let mut all = self.handler_log();
        for n in 1..=self.more_hosts.len() {
            let path = self.app_dir.join(format!("handler-{n}.log"));
            all.push_str(&format!("\n--- instance {n} ---\n"));
            all.push_str(&std::fs::read_to_string(path).unwrap_or_default());
        }
        all
    }

    /// Stops every host and its handler.
    pub async fn shutdown(mut self) {
        for h in self.more_hosts.drain(..) {
            h.shutdown().await;
        }
        if let Some(h) = self.host.take() {
            h.shutdown().await;
        }
    }
}
