//! Spawning a test instance of offboard.

use anyhow::Context;
use base64::Engine;
use offboard_api::CaseTimeline;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use offboard_azure::{AzureQueue, AzureQueueOptions, CosmosConfig, CosmosDb};
use offboard_core::ports::{CaseIndex, CaseStore, MessageQueue};
use offboard_core::signature::{WebhookSecret, sign_bamboohr};
use offboard_embedded::Embedded;
use offboard_service::settings;
use standin_funchost::{AppDefinition, HandlerSpec, HostHandle, HostOptions, LocalHost};
use standin_tenant::{SimConfig, SimHandle, TenantSim};

use crate::credential::SimCredential;
use crate::signing::Secrets;
use crate::stack::Stack;

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
    /// The app settings the handler was started with (the deployment's configuration), so a
    /// test can run `offboard` against the same store the way an operator would.
    pub settings: BTreeMap<String, String>,
    data_dir: PathBuf,
    base_url: String,
    handler_log: PathBuf,
    app_dir: PathBuf,
    _stack: Option<Stack>,
    _dir: tempfile::TempDir,
}

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
        if let Some(bindings) = json["bindings"].as_array_mut() {
            for b in bindings {
                if b["type"] == "timerTrigger" {
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
    let mut stack = None;
    let data = dir.path().join("data");
    let (queue, cases, index): (
        Arc<dyn MessageQueue>,
        Arc<dyn CaseStore>,
        Arc<dyn CaseIndex>,
    ) = match backend {
        Backend::Embedded => {
            let db = Embedded::open(&data)?;
            app_settings.insert(settings::OFFBOARD_BACKEND.into(), "embedded".into());
            app_settings.insert(
                settings::OFFBOARD_EMBEDDED_PATH.into(),
                data.display().to_string(),
            );
            let db = Arc::new(db);
            (db.clone(), db.clone(), db)
        }
        Backend::Azure => {
            let st = Stack::start(&dir.path().join("stack"))?;
            let credential = Arc::new(SimCredential(sim.issuer().clone()));
            let cosmos = CosmosDb::connect(
                CosmosConfig::new(st.get("OFFBOARD_COSMOS_ENDPOINT")?, "offboard"),
                credential.clone(),
            )
            .await?;
            cosmos.ensure_dev_schema().await?;
            offboard_azure::BlobEvidenceStore::new(
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
            )?
            .ensure_dev_container()
            .await?;
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
                (settings::OFFBOARD_COSMOS_DATABASE, "offboard".to_owned()),
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
            (queue, cases, index)
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
        client: reqwest::Client::builder().no_proxy().build()?,
        queue,
        cases,
        index,
        settings: app_settings,
        data_dir: data,
        handler_log,
        sim,
        _stack: stack,
        _dir: dir,
    })
}

/// A response read whole.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Null` if empty or not JSON).
    pub json: Value,
}

impl Answer {
    /// The body as the API type `T`. Panics (this is test code) when the body does not read as
    /// `T`, or when `T` written back is not exactly the JSON received — so a field the type
    /// does not know, a renamed one, or `null` where the API omits a field fails the test.
    pub fn body<T: DeserializeOwned + Serialize>(&self) -> T {
        let typed: T = serde_json::from_value(self.json.clone()).unwrap_or_else(|e| {
            panic!(
                "the {} answer does not read as {}: {e}\n{}",
                self.status,
                std::any::type_name::<T>(),
                self.json
            )
        });
        let back = serde_json::to_value(&typed).expect("typed answers serialise");
        assert_eq!(
            back,
            self.json,
            "{} does not say exactly what the API answered",
            std::any::type_name::<T>()
        );
        typed
    }
}

impl TestApp {
    /// The embedded backend's directory (`offboard.db` and `evidence/`), as `offboard local
    /// --data DIR` lays it out: what `offboard verify --data` and `offboard report --data` read.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// GETs a path without the function key (to check what is anonymous).
    pub async fn get_anonymous(&self, path: &str) -> Answer {
        let req = self.client.get(format!("{}{path}", self.base_url));
        Self::read(req.send().await.expect("request")).await
    }

    /// GETs a path with the function key and returns status, headers and the raw body.
    pub async fn get_bytes(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base_url))
            .header("x-functions-key", &self.function_key)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (
            status,
            headers,
            resp.bytes().await.unwrap_or_default().to_vec(),
        )
    }

    /// `http://127.0.0.1:<port>` of the local Functions host.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    async fn read(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default();
        Answer {
            status,
            headers,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// POSTs raw bytes with the given headers.
    pub async fn post_raw(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> Answer {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base_url))
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        Self::read(req.send().await.expect("request to the local host")).await
    }

    /// Standard Webhooks headers for `body`, signed with `secret` at `timestamp`.
    pub fn generic_headers(
        secret: &str,
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let s = WebhookSecret::parse(secret).expect("test secret");
        let ts = timestamp.to_string();
        vec![
            ("content-type", "application/json".into()),
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", ts.clone()),
            ("webhook-signature", s.sign(id, &ts, body)),
        ]
    }

    /// POSTs a correctly signed generic webhook (a fresh webhook id each call).
    pub async fn post_generic(&self, body: &Value) -> Answer {
        let bytes = serde_json::to_vec(body).expect("json");
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let headers = Self::generic_headers(
            &self.secrets.generic,
            &id,
            chrono::Utc::now().timestamp(),
            &bytes,
        );
        self.post_raw("/api/hris/generic", &headers, bytes).await
    }

    /// BambooHR headers for `body` signed with `secret` at `timestamp`.
    pub fn bamboohr_headers(
        secret: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let ts = timestamp.to_string();
        vec![
            ("content-type", "application/json".into()),
            ("x-bamboohr-timestamp", ts.clone()),
            (
                "x-bamboohr-signature",
                sign_bamboohr(secret.as_bytes(), body, &ts),
            ),
        ]
    }

    /// POSTs a correctly signed BambooHR webhook.
    pub async fn post_bamboohr(&self, body: &Value) -> Answer {
        let bytes = serde_json::to_vec(body).expect("json");
        let headers = Self::bamboohr_headers(
            &self.secrets.bamboohr,
            chrono::Utc::now().timestamp(),
            &bytes,
        );
        self.post_raw("/api/hris/bamboohr", &headers, bytes).await
    }

    /// POSTs an operator offboarding with the function key.
    pub async fn post_offboarding(&self, body: &Value) -> Answer {
        let req = self
            .client
            .post(format!("{}/api/offboardings", self.base_url))
            .header("x-functions-key", &self.function_key)
            .json(body);
        Self::read(req.send().await.expect("request")).await
    }

    /// GETs an operator API path with the function key.
    pub async fn get(&self, path: &str) -> Answer {
        let req = self
            .client
            .get(format!("{}{path}", self.base_url))
            .header("x-functions-key", &self.function_key);
        Self::read(req.send().await.expect("request")).await
    }

    /// A SCIM request with the bearer token.
    pub async fn scim(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Answer {
        let mut req = self
            .client
            .request(method, format!("{}/api/scim/v2{path}", self.base_url))
            .bearer_auth(&self.secrets.scim);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(serde_json::to_vec(b).expect("json"));
        }
        Self::read(req.send().await.expect("request")).await
    }

    /// A SCIM request without any token.
    pub async fn scim_unauthenticated(&self) -> Answer {
        let req = self
            .client
            .get(format!("{}/api/scim/v2/Users", self.base_url));
        Self::read(req.send().await.expect("request")).await
    }

    /// A SCIM request with the wrong token.
    pub async fn scim_with_token(&self, token: &str) -> Answer {
        let req = self
            .client
            .get(format!("{}/api/scim/v2/Users", self.base_url))
            .bearer_auth(token);
        Self::read(req.send().await.expect("request")).await
    }

    /// `GET /api/cases/{id}`, which must answer 200.
    pub async fn timeline(&self, id: &str) -> CaseTimeline {
        let a = self.get(&format!("/api/cases/{id}")).await;
        assert_eq!(a.status, 200, "GET /api/cases/{id}: {}", a.json);
        a.body()
    }

    /// Polls `GET /api/cases/{id}` until `done` holds for its typed answer or `within`
    /// passes; every 200 answer on the way must read as a [`CaseTimeline`].
    pub async fn wait_case(
        &self,
        id: &str,
        within: Duration,
        done: impl Fn(&CaseTimeline) -> bool,
    ) -> CaseTimeline {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let a = self.get(&format!("/api/cases/{id}")).await;
            if a.status == 200 {
                let case: CaseTimeline = a.body();
                if done(&case) {
                    return case;
                }
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "case {id} did not reach the expected state within {within:?}; last answer {} {}",
                    a.status, a.json
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
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
                panic!("the handler never logged {needle:?} within {within:?}; log:\n{log}");
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
