//! `offboard local`: the handler behind the local Functions host on 127.0.0.1, with the
//! embedded backend by default — like `func start` for this app.

use anyhow::Context;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use offboard_backends::Backends;
use offboard_core::ports::MessageQueue;
use offboard_embedded::{Embedded, FileEvidenceStore};
use offboard_handler::startup::Application;
use offboard_service::SystemClock;
use offboard_service::settings::{self, IntakeSecrets, Settings};
use standin_funchost::{AppDefinition, HandlerSpec, HostHandle, HostOptions, LocalHost};

mod embedded_app {
    include!(concat!(env!("OUT_DIR"), "/app_definition.rs"));
}

/// Arguments of `offboard local`.
#[derive(clap::Args)]
pub struct LocalArgs {
    /// Port of the local Functions host.
    #[arg(long, default_value_t = 7071)]
    port: u16,
    /// Directory for the embedded backend's data.
    #[arg(long, default_value = ".offboard")]
    data: PathBuf,
    /// A handler executable to run as a child process, as the Functions host runs it
    /// (e.g. target/debug/handler after `cargo build -p offboard-handler --bin handler`).
    /// Without it the handler runs inside this process.
    #[arg(long)]
    handler: Option<PathBuf>,
    /// App settings file in the Functions `local.settings.json` format (`{"Values": {...}}`);
    /// environment variables of the same names override it.
    #[arg(long, default_value = "local.settings.json")]
    settings: PathBuf,
    /// Write a new settings file (--settings) with fresh secrets for the webhooks and SCIM,
    /// readable only by you, print how to sign a request, and exit.
    #[arg(long)]
    init: bool,
    /// Log format: `human` on a terminal, `json` otherwise (as the Functions host collects
    /// it), unless chosen here.
    #[arg(long, value_parser = ["auto", "human", "json"], default_value = "auto")]
    log_format: String,
}

/// Writes the embedded host.json and function folders to `dir`.
pub fn write_app_definition(dir: &Path) -> anyhow::Result<AppDefinition> {
    let functions = dir.join("functions");
    std::fs::create_dir_all(&functions)?;
    std::fs::write(dir.join("host.json"), embedded_app::HOST_JSON)?;
    for (name, json) in embedded_app::FUNCTIONS {
        let f = functions.join(name);
        std::fs::create_dir_all(&f)?;
        std::fs::write(f.join("function.json"), json)?;
    }
    Ok(AppDefinition::load(&dir.join("host.json"), &functions)?)
}

/// A running local instance.
pub struct Instance {
    /// The host.
    pub host: HostHandle,
    /// The function key for `authLevel: function` endpoints.
    pub function_key: String,
    /// The tenant simulator, when no real tenant is configured.
    pub sim: Option<standin_tenant::SimHandle>,
    /// The Entra ID stand-in people sign in on, when no sign-in authority is configured.
    pub entra: Option<standin_entra::EntraHandle>,
    /// The embedded database (for the demo's read-outs).
    pub db: Embedded,
    /// The embedded evidence store.
    pub evidence: FileEvidenceStore,
}

/// Uses the tenant simulator as Microsoft 365 unless a real Graph endpoint and a
/// managed-identity endpoint are configured; returns the simulator when started.
async fn tenant(
    app_settings: &mut BTreeMap<String, String>,
) -> anyhow::Result<Option<standin_tenant::SimHandle>> {
    let configured = app_settings.contains_key(settings::OFFBOARD_GRAPH_ENDPOINT)
        && (app_settings.contains_key("IDENTITY_ENDPOINT")
            || std::env::var("IDENTITY_ENDPOINT").is_ok());
    if configured {
        return Ok(None);
    }
    let sim = standin_tenant::TenantSim::spawn(standin_tenant::SimConfig::default()).await?;
    for (k, v) in [
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
    ] {
        app_settings.insert(k, v);
    }
    Ok(Some(sim))
}

/// offboard's app registration in the local Entra ID stand-in.
pub const LOCAL_SIGNIN_APP_ID: &str = "0f1e2d3c-1111-4b5a-9c8d-7e6f5a4b3c2d";

/// Starts the Entra ID stand-in for people to sign in on (its page picks a test person and
/// their app roles) unless the settings name a sign-in authority, and configures offboard
/// for it: the human-facing API and the dashboard need a signed-in caller.
async fn signin(
    app_settings: &mut BTreeMap<String, String>,
) -> anyhow::Result<Option<standin_entra::EntraHandle>> {
    if app_settings.contains_key(settings::OFFBOARD_SIGNIN_AUTHORITY) {
        return Ok(None);
    }
    let tenant = app_settings
        .get(settings::OFFBOARD_TENANT_ID)
        .cloned()
        .unwrap_or_else(|| "contoso.onmicrosoft.com".to_owned());
    let entra = standin_entra::EntraHandle::spawn(standin_entra::EntraConfig::sample(
        &tenant,
        LOCAL_SIGNIN_APP_ID,
    ))
    .await?;
    let key: [u8; 32] = rand::random();
    app_settings.insert(
        settings::OFFBOARD_SIGNIN_CLIENT_ID.into(),
        LOCAL_SIGNIN_APP_ID.into(),
    );
    app_settings.insert(
        settings::OFFBOARD_SIGNIN_AUTHORITY.into(),
        entra.authority_host(),
    );
    app_settings
        .entry(settings::OFFBOARD_SIGNIN_SESSION_KEY.into())
        .or_insert_with(|| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(key)
        });
    Ok(Some(entra))
}

/// How the handler runs.
pub enum HandlerMode {
    /// In this process (the demo).
    InProcess,
    /// As a child process.
    Process(PathBuf),
}

/// Starts the local host and the handler on the embedded backend in `data`.
pub async fn start_embedded(
    data: &Path,
    port: u16,
    mut app_settings: BTreeMap<String, String>,
    mode: HandlerMode,
) -> anyhow::Result<Instance> {
    let data = std::fs::canonicalize({
        std::fs::create_dir_all(data)?;
        data
    })?;
    let app = write_app_definition(&data.join("app"))?;
    let db = Embedded::open(&data).context("opening the embedded backend")?;
    let evidence = FileEvidenceStore::open(&data.join("evidence"))?;
    let sim = tenant(&mut app_settings).await?;
    let entra = signin(&mut app_settings).await?;
    app_settings.insert(settings::OFFBOARD_BACKEND.into(), "embedded".into());
    app_settings.insert(
        settings::OFFBOARD_EMBEDDED_PATH.into(),
        data.display().to_string(),
    );
    // As the templates deploy it: the ghost-access scan daily at 02:00 UTC.
    app_settings
        .entry(settings::OFFBOARD_RECONCILE_SCHEDULE.into())
        .or_insert_with(|| settings::DEFAULT_RECONCILE_SCHEDULE.into());
    // As deployed: the host refuses bodies over offboard's 1 MiB before the handler sees them.
    app_settings
        .entry("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT".into())
        .or_insert_with(|| "1048576".into());
    let key_bytes: [u8; 24] = rand::random();
    let function_key: String = key_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let handler = match mode {
        HandlerMode::InProcess => {
            // The in-process handler's managed-identity credential reads its endpoint from
            // the process environment, as it does in Azure.
            // The platform tells the app its own address in WEBSITE_HOSTNAME (browser sign-in
            // builds its redirect URI from it); the local host sets it for a handler process,
            // and here it is the port the host is asked to take.
            if port != 0 {
                app_settings
                    .entry("WEBSITE_HOSTNAME".to_owned())
                    .or_insert_with(|| format!("127.0.0.1:{port}"));
            }
            for k in ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "WEBSITE_HOSTNAME"] {
                if let Some(v) = app_settings.get(k) {
                    // SAFETY: set before the handler (the only reader) is built; no other
                    // thread reads the environment at this point.
                    unsafe { std::env::set_var(k, v) };
                }
            }
            let s = Settings::from_lookup(|k| app_settings.get(k).cloned())?;
            let app = Application::with_backends(
                s,
                Backends::embedded(db.clone(), evidence.clone()),
                Arc::new(SystemClock),
                0,
            )
            .await?;
            let port = app.port();
            tokio::spawn(app.run_until_stopped());
            HandlerSpec::Attached { port }
        }
        HandlerMode::Process(executable) => HandlerSpec::Process {
            executable,
            log_file: Some(data.join("handler.log")),
        },
    };
    for q in offboard_backends::queues() {
        db.ensure_queue(&q).await?;
    }
    let queue: Arc<dyn MessageQueue> = Arc::new(db.clone());
    let host = LocalHost::start(HostOptions {
        app,
        handler,
        app_settings,
        port,
        function_key: function_key.clone(),
        queues: Arc::new(move |_connection| Ok(queue.clone())),
    })
    .await?;
    Ok(Instance {
        host,
        function_key,
        sim,
        entra,
        db,
        evidence,
    })
}

fn read_local_settings(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)
        .with_context(|| format!("{} is not JSON", path.display()))?;
    let values = v
        .get("Values")
        .and_then(|v| v.as_object())
        .with_context(|| format!("{} has no \"Values\" object", path.display()))?;
    Ok(values
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
        .collect())
}

/// Runs `offboard local` until Ctrl-C.
pub async fn run(args: LocalArgs) -> anyhow::Result<()> {
    if args.init {
        return init_settings(&args.settings, args.port);
    }
    init_logs(&args.log_format);
    let mut app_settings = read_local_settings(&args.settings)?;
    for name in [
        settings::OFFBOARD_BAMBOOHR_SECRET,
        settings::OFFBOARD_GENERIC_WEBHOOK_SECRET,
        settings::OFFBOARD_SCIM_TOKEN,
        settings::OFFBOARD_TIME_ZONE,
        settings::OFFBOARD_EFFECTIVE_CUTOFF,
    ] {
        if let Ok(v) = std::env::var(name) {
            app_settings.insert(name.to_owned(), v);
        }
    }
    let secrets = Settings::from_lookup(|k| {
        let mut s = app_settings.clone();
        s.insert(settings::OFFBOARD_BACKEND.into(), "embedded".into());
        s.insert(settings::OFFBOARD_EMBEDDED_PATH.into(), ".".into());
        s.get(k).cloned()
    })?
    .secrets;
    let mode = match args.handler {
        Some(p) => {
            anyhow::ensure!(
                p.is_file(),
                "no handler executable at {}: build it with `cargo build -p offboard-handler --bin handler` (it is then target/debug/handler), or leave out --handler to run the handler in this process",
                p.display()
            );
            HandlerMode::Process(p)
        }
        None => HandlerMode::InProcess,
    };
    let instance = start_embedded(&args.data, args.port, app_settings, mode).await?;
    write_private(&args.data.join("function-key"), &instance.function_key)?;
    print_banner(&instance, &args.data, &args.settings, &secrets);
    tokio::signal::ctrl_c().await?;
    instance.host.shutdown().await;
    Ok(())
}

fn print_banner(instance: &Instance, data: &Path, settings_file: &Path, secrets: &IntakeSecrets) {
    let base = instance.host.base_url();
    let state = |s: &Option<SecretString>, name: &str| {
        if s.is_some() {
            "configured".to_owned()
        } else {
            format!("disabled (set {name})")
        }
    };
    let me = crate::demo::invocation();
    println!(
        "offboard local — Functions host on {base} (embedded backend in {})",
        data.display()
    );
    println!(
        "  POST {base}/api/hris/bamboohr   {}",
        state(&secrets.bamboohr, settings::OFFBOARD_BAMBOOHR_SECRET)
    );
    println!(
        "  POST {base}/api/hris/generic    {}",
        state(&secrets.generic, settings::OFFBOARD_GENERIC_WEBHOOK_SECRET)
    );
    println!(
        "       {base}/api/scim/v2         {}",
        state(&secrets.scim, settings::OFFBOARD_SCIM_TOKEN)
    );
    println!("  POST {base}/api/offboardings    signed-in Offboard.Operator");
    println!("  GET  {base}/api/cases           signed-in Offboard.Auditor or Operator");
    if instance.entra.is_some() {
        println!(
            "  Dashboard: {base}/api/dashboard (sign in on the local Entra ID page: pick Ada Auditor or Otto Operator and the roles)"
        );
    }
    if let Some(sim) = &instance.sim {
        println!(
            "  Microsoft 365: the tenant simulator at {} (configure OFFBOARD_GRAPH_ENDPOINT and IDENTITY_ENDPOINT for a real tenant)",
            sim.base_url()
        );
    }
    println!(
        "  function key (header x-functions-key, for {base}/api/keyed/… while {} is on): in {}",
        settings::OFFBOARD_COMPLIANCE_FUNCTION_KEYS,
        data.join("function-key").display()
    );
    if secrets.generic.is_none() && secrets.bamboohr.is_none() && secrets.scim.is_none() {
        println!(
            "  No intake secrets: `{me} local --init --settings {} --port {}` writes them (then start again).",
            crate::demo::shell_word(&settings_file.display().to_string()),
            instance.host.port()
        );
    }
    println!("Ctrl-C to stop.");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
}

/// Writes a secret to a file only the current user can read.
fn write_private(path: &Path, value: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path)?;
    f.write_all(value.as_bytes())?;
    Ok(())
}

/// Installs the log subscriber: human-readable lines on a terminal, JSON (what the Functions
/// host collects) otherwise. Lines inside a case's work carry its `case_id` and `leaver`
/// (the spans the handler and the engine open).
fn init_logs(format: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::{EnvFilter, fmt, prelude::*};
    let human = match format {
        "human" => true,
        "json" => false,
        _ => std::io::stdout().is_terminal(),
    };
    if !human {
        offboard_handler::telemetry::init();
        return;
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .compact()
                .with_target(false)
                .with_ansi(std::io::stdout().is_terminal()),
        )
        .try_init();
}

/// `offboard local --init`: a new settings file with fresh secrets, created only if absent
/// (secrets are never overwritten), readable only by the current user.
fn init_settings(path: &Path, port: u16) -> anyhow::Result<()> {
    use base64::Engine as _;
    let scim: [u8; 32] = rand::random();
    let values = serde_json::json!({
        "IsEncrypted": false,
        "Values": {
            settings::OFFBOARD_GENERIC_WEBHOOK_SECRET: crate::sample::generic_secret(),
            settings::OFFBOARD_BAMBOOHR_SECRET: crate::sample::bamboohr_secret(),
            settings::OFFBOARD_SCIM_TOKEN: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(scim),
            settings::OFFBOARD_TIME_ZONE: "UTC",
        }
    });
    let text = serde_json::to_string_pretty(&values)? + "\n";
    write_new_private(path, &text).with_context(|| {
        format!(
            "could not create {} (an existing file is never overwritten: remove it or name another with --settings)",
            path.display()
        )
    })?;
    let file = crate::demo::shell_word(&path.display().to_string());
    let me = crate::demo::invocation();
    println!(
        "Wrote {} (mode 0600: only you can read it) with fresh secrets for /api/hris/generic, /api/hris/bamboohr and SCIM.",
        path.display()
    );
    println!(
        "It holds secrets: keep it out of version control (the repository's .gitignore lists it)."
    );
    println!();
    println!("Start offboard with it:");
    println!("  {me} local --settings {file} --port {port}");
    println!();
    println!(
        "Then send a signed termination of the demo tenant's Adele Vance (E1001), from this directory:"
    );
    print!("{}", signed_request_script(&file, port));
    Ok(())
}

/// A shell script that signs a generic (Standard Webhooks) termination with the secret in
/// `settings_file` and sends it to the local host, as the README's sender does.
pub fn signed_request_script(settings_file: &str, port: u16) -> String {
    format!(
        r#"  secret="$(sed -n 's/.*"OFFBOARD_GENERIC_WEBHOOK_SECRET": *"\([^"]*\)".*/\1/p' {settings_file})"
  id="evt-$(date +%s%N)"; ts="$(date +%s)"; now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  body='{{"type":"employee.terminated","timestamp":"'"$now"'","data":{{"eventId":"'"$id"'","employee":{{"employeeId":"E1001"}},"effectiveAt":"'"$now"'","kind":"involuntary"}}}}'
  key_hex="$(printf '%s' "${{secret#whsec_}}" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
  sig="$(printf '%s.%s.%s' "$id" "$ts" "$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | base64)"
  curl -sS -X POST "http://127.0.0.1:{port}/api/hris/generic" -H 'content-type: application/json' \
    -H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" --data-binary "$body"
"#
    )
}

/// Creates `path` with `text`, readable only by the current user; fails if it exists.
fn write_new_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}
