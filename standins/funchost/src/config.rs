//! `host.json` and `function.json`, parsed strictly: every key the real host would act on
//! is either implemented here or refused with an error naming it.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ncrontab::Schedule;

/// A definition the stand-in cannot honour.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not JSON.
    #[error("{path} is not valid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// A setting or binding the stand-in does not implement (or the host does not know).
    #[error("{path}: {detail}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is not understood.
        detail: String,
    },
}

/// `extensions.queues` settings with the host's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    /// Longest wait between polls of an empty queue (default 1 minute; 2 s recommended locally).
    pub max_polling_interval: Duration,
    /// Delay before a failed message is retried (default 0).
    pub visibility_timeout: Duration,
    /// Messages fetched per poll (default 16, 1..=32).
    pub batch_size: u32,
    /// Fetch a new batch when this few messages are still in flight (default batchSize/2).
    pub new_batch_threshold: u32,
    /// Attempts before a message goes to `<queue>-poison` (default 5).
    pub max_dequeue_count: u32,
    /// Whether message text is base64 (default) or used as is (`none`).
    pub base64: bool,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            max_polling_interval: Duration::from_secs(60),
            visibility_timeout: Duration::ZERO,
            batch_size: 16,
            new_batch_threshold: 8,
            max_dequeue_count: 5,
            base64: true,
        }
    }
}

/// The parts of `host.json` a custom handler app uses.
#[derive(Debug, Clone, PartialEq)]
pub struct HostJson {
    /// `customHandler.description.defaultExecutablePath`.
    pub executable: String,
    /// `customHandler.description.arguments`.
    pub arguments: Vec<String>,
    /// `customHandler.description.workingDirectory`.
    pub working_directory: Option<String>,
    /// `customHandler.enableForwardingHttpRequest`.
    pub forward_http: bool,
    /// `extensions.http.routePrefix` (default `api`).
    pub route_prefix: String,
    /// `extensions.queues`.
    pub queues: QueueSettings,
}

/// Who may call an HTTP function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLevel {
    /// Anyone.
    Anonymous,
    /// A caller with a function (or host) key.
    Function,
    /// A caller with the master key.
    Admin,
}

/// A function's trigger.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// `httpTrigger`.
    Http {
        /// Binding name.
        name: String,
        /// Allowed methods, upper-case; empty means all.
        methods: Vec<String>,
        /// Who may call.
        auth_level: AuthLevel,
        /// Route template (default: the function name).
        route: String,
    },
    /// `queueTrigger`.
    Queue {
        /// Binding name: the key of the message in `Data`.
        name: String,
        /// Queue to poll.
        queue_name: String,
        /// App setting (prefix) naming the storage connection.
        connection: String,
    },
    /// `timerTrigger`.
    Timer {
        /// Binding name.
        name: String,
        /// NCRONTAB schedule, or the app setting holding it.
        schedule: TimerSchedule,
        /// Fire once at start-up.
        run_on_startup: bool,
    },
}

/// A timer's schedule as `function.json` gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum TimerSchedule {
    /// An NCRONTAB expression.
    Fixed(Box<Schedule>),
    /// `%NAME%`: the app setting `NAME` holds the expression (read when the host starts; a
    /// missing or unreadable setting stops the start, as the Functions host refuses to index
    /// the function).
    Setting(String),
}

impl TimerSchedule {
    /// The schedule, reading an app-setting expression from `settings`.
    pub fn resolve(
        &self,
        settings: &std::collections::BTreeMap<String, String>,
    ) -> Result<Schedule, String> {
        match self {
            Self::Fixed(s) => Ok((**s).clone()),
            Self::Setting(name) => {
                let text = settings.get(name).ok_or_else(|| {
                    format!("the app setting {name} (the timer's schedule) is not set")
                })?;
                Schedule::parse(text).map_err(|e| format!("the app setting {name}: {e}"))
            }
        }
    }
}

/// An output binding.
#[derive(Debug, Clone, PartialEq)]
pub enum Binding {
    /// `http` out (the HTTP response).
    Http {
        /// Binding name.
        name: String,
    },
    /// `queue` out.
    Queue {
        /// Binding name (or `$return`).
        name: String,
        /// Queue to write to.
        queue_name: String,
        /// Storage connection setting.
        connection: String,
    },
}

/// One function: its folder name, trigger and outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    /// Folder name == function name == the path the host POSTs invocations to.
    pub name: String,
    /// The trigger.
    pub trigger: Trigger,
    /// Output bindings.
    pub outputs: Vec<Binding>,
}

impl FunctionDef {
    /// HTTP in and HTTP out only: eligible for request forwarding.
    pub fn is_http_only(&self) -> bool {
        matches!(self.trigger, Trigger::Http { .. })
            && self
                .outputs
                .iter()
                .all(|b| matches!(b, Binding::Http { .. }))
            && self.outputs.len() == 1
    }
}

/// A whole app: `host.json` plus its functions.
#[derive(Debug, Clone)]
pub struct AppDefinition {
    /// host.json.
    pub host: HostJson,
    /// Functions by name.
    pub functions: BTreeMap<String, FunctionDef>,
}

fn unsupported(path: &Path, detail: impl Into<String>) -> ConfigError {
    ConfigError::Unsupported {
        path: path.to_owned(),
        detail: detail.into(),
    }
}

fn read_json(path: &Path) -> Result<Value, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| ConfigError::Json {
        path: path.to_owned(),
        source,
    })
}

fn only_keys(
    path: &Path,
    obj: &Map<String, Value>,
    allowed: &[&str],
    at: &str,
) -> Result<(), ConfigError> {
    for k in obj.keys() {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(k)) {
            return Err(unsupported(
                path,
                format!(
                    "`{at}{k}` is not supported by the local host (supported here: {})",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn object<'a>(path: &Path, v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, ConfigError> {
    v.as_object()
        .ok_or_else(|| unsupported(path, format!("`{at}` must be an object")))
}

fn string(
    path: &Path,
    obj: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<String>, ConfigError> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(unsupported(path, format!("`{at}{key}` must be a string"))),
    }
}

/// Parses a .NET TimeSpan `hh:mm:ss[.fff]` (optionally `d.hh:mm:ss`).
pub fn parse_timespan(value: &str) -> Option<Duration> {
    let (days, rest) = match value.split_once('.') {
        Some((d, r)) if r.contains(':') && !d.contains(':') => (d.parse::<u64>().ok()?, r),
        _ => (0, value),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() != 3 {
        return None;
    }
    let h: u64 = parts[0].parse().ok()?;
    let m: u64 = parts[1].parse().ok()?;
    let s: f64 = parts[2].parse().ok()?;
    if m >= 60 || !(0.0..60.0).contains(&s) {
        return None;
    }
    Some(Duration::from_secs(days * 86_400 + h * 3600 + m * 60) + Duration::from_secs_f64(s))
}

impl HostJson {
    /// Reads and validates `host.json`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let v = read_json(path)?;
        let root = object(path, &v, "")?;
        only_keys(
            path,
            root,
            &[
                "version",
                "customHandler",
                "extensionBundle",
                "extensions",
                "logging",
                "functionTimeout",
            ],
            "",
        )?;
        if string(path, root, "version", "")?.as_deref() != Some("2.0") {
            return Err(unsupported(path, "`version` must be \"2.0\""));
        }
        let ch = object(
            path,
            get(root, "customHandler").ok_or_else(|| {
                unsupported(path, "`customHandler` is required for a custom handler app")
            })?,
            "customHandler",
        )?;
        only_keys(
            path,
            ch,
            &["description", "enableForwardingHttpRequest"],
            "customHandler.",
        )?;
        let desc = object(
            path,
            get(ch, "description")
                .ok_or_else(|| unsupported(path, "`customHandler.description` is required"))?,
            "customHandler.description",
        )?;
        only_keys(
            path,
            desc,
            &[
                "defaultExecutablePath",
                "workingDirectory",
                "arguments",
                "defaultWorkerPath",
            ],
            "customHandler.description.",
        )?;
        if get(desc, "defaultWorkerPath").is_some() {
            return Err(unsupported(
                path,
                "`customHandler.description.defaultWorkerPath` is not supported by the local host",
            ));
        }
        let executable = string(
            path,
            desc,
            "defaultExecutablePath",
            "customHandler.description.",
        )?
        .ok_or_else(|| {
            unsupported(
                path,
                "`customHandler.description.defaultExecutablePath` is required",
            )
        })?;
        let arguments = match get(desc, "arguments") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| unsupported(path, "`arguments` must be strings"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(unsupported(
                    path,
                    "`customHandler.description.arguments` must be an array",
                ));
            }
        };
        let working_directory =
            string(path, desc, "workingDirectory", "customHandler.description.")?
                .filter(|s| !s.is_empty());
        let forward_http = match get(ch, "enableForwardingHttpRequest") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(unsupported(
                    path,
                    "`enableForwardingHttpRequest` must be a boolean",
                ));
            }
        };
        let mut route_prefix = "api".to_owned();
        let mut queues = QueueSettings::default();
        if let Some(ext) = get(root, "extensions") {
            let ext = object(path, ext, "extensions")?;
            only_keys(path, ext, &["http", "queues"], "extensions.")?;
            if let Some(http) = get(ext, "http") {
                let http = object(path, http, "extensions.http")?;
                only_keys(path, http, &["routePrefix"], "extensions.http.")?;
                if let Some(p) = string(path, http, "routePrefix", "extensions.http.")? {
                    route_prefix = p;
                }
            }
            if let Some(q) = get(ext, "queues") {
                let q = object(path, q, "extensions.queues")?;
                only_keys(
                    path,
                    q,
                    &[
                        "maxPollingInterval",
                        "visibilityTimeout",
                        "batchSize",
                        "newBatchThreshold",
                        "maxDequeueCount",
                        "messageEncoding",
                    ],
                    "extensions.queues.",
                )?;
                let span = |key: &str| -> Result<Option<Duration>, ConfigError> {
                    match string(path, q, key, "extensions.queues.")? {
                        None => Ok(None),
                        Some(s) => parse_timespan(&s).map(Some).ok_or_else(|| {
                            unsupported(
                                path,
                                format!(
                                    "`extensions.queues.{key}` must be a TimeSpan like 00:00:02"
                                ),
                            )
                        }),
                    }
                };
                let num = |key: &str| -> Result<Option<u32>, ConfigError> {
                    match get(q, key) {
                        None => Ok(None),
                        Some(v) => v
                            .as_u64()
                            .and_then(|n| u32::try_from(n).ok())
                            .map(Some)
                            .ok_or_else(|| {
                                unsupported(
                                    path,
                                    format!("`extensions.queues.{key}` must be a whole number"),
                                )
                            }),
                    }
                };
                if let Some(d) = span("maxPollingInterval")? {
                    queues.max_polling_interval = d;
                }
                if let Some(d) = span("visibilityTimeout")? {
                    queues.visibility_timeout = d;
                }
                if let Some(n) = num("batchSize")? {
                    if !(1..=32).contains(&n) {
                        return Err(unsupported(
                            path,
                            "`extensions.queues.batchSize` must be 1 to 32",
                        ));
                    }
                    queues.batch_size = n;
                    queues.new_batch_threshold = n / 2;
                }
                if let Some(n) = num("newBatchThreshold")? {
                    queues.new_batch_threshold = n;
                }
                if let Some(n) = num("maxDequeueCount")? {
                    if n == 0 {
                        return Err(unsupported(
                            path,
                            "`extensions.queues.maxDequeueCount` must be at least 1",
                        ));
                    }
                    queues.max_dequeue_count = n;
                }
                match string(path, q, "messageEncoding", "extensions.queues.")?.as_deref() {
                    None | Some("base64") => queues.base64 = true,
                    Some("none") => queues.base64 = false,
                    Some(other) => {
                        return Err(unsupported(
                            path,
                            format!(
                                "`extensions.queues.messageEncoding` `{other}`: use base64 or none"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Self {
            executable,
            arguments,
            working_directory,
            forward_http,
            route_prefix,
            queues,
        })
    }
}

fn connection(path: &Path, b: &Map<String, Value>) -> Result<String, ConfigError> {
    Ok(string(path, b, "connection", "")?
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "AzureWebJobsStorage".to_owned()))
}

impl FunctionDef {
    /// Reads and validates `<dir>/function.json`; the folder name is the function name.
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let path = dir.join("function.json");
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| unsupported(&path, "the function folder needs a UTF-8 name"))?
            .to_owned();
        let v = read_json(&path)?;
        let root = object(&path, &v, "")?;
        only_keys(&path, root, &["bindings", "disabled"], "")?;
        let bindings = get(root, "bindings")
            .and_then(Value::as_array)
            .ok_or_else(|| unsupported(&path, "`bindings` must be an array"))?;
        let mut trigger = None;
        let mut outputs = Vec::new();
        for (i, b) in bindings.iter().enumerate() {
            let at = format!("bindings[{i}].");
            let b = object(&path, b, &at)?;
            let kind = string(&path, b, "type", &at)?
                .ok_or_else(|| unsupported(&path, format!("`{at}type` is required")))?;
            let dir_ = string(&path, b, "direction", &at)?.unwrap_or_default();
            let bname = string(&path, b, "name", &at)?
                .ok_or_else(|| unsupported(&path, format!("`{at}name` is required")))?;
            let is_trigger = kind.ends_with("Trigger");
            if is_trigger && trigger.is_some() {
                return Err(unsupported(&path, "a function has exactly one trigger"));
            }
            match (kind.as_str(), dir_.as_str()) {
                ("httpTrigger", "in") => {
                    only_keys(
                        &path,
                        b,
                        &["type", "direction", "name", "methods", "authLevel", "route"],
                        &at,
                    )?;
                    let methods = match get(b, "methods") {
                        None => Vec::new(),
                        Some(Value::Array(a)) => a
                            .iter()
                            .map(|m| {
                                m.as_str().map(str::to_ascii_uppercase).ok_or_else(|| {
                                    unsupported(&path, format!("`{at}methods` must be strings"))
                                })
                            })
                            .collect::<Result<_, _>>()?,
                        Some(_) => {
                            return Err(unsupported(
                                &path,
                                format!("`{at}methods` must be an array"),
                            ));
                        }
                    };
                    let auth_level = match string(&path, b, "authLevel", &at)?
                        .as_deref()
                        .map(str::to_ascii_lowercase)
                        .as_deref()
                    {
                        None | Some("function") => AuthLevel::Function,
                        Some("anonymous") => AuthLevel::Anonymous,
                        Some("admin") => AuthLevel::Admin,
                        Some(other) => {
                            return Err(unsupported(
                                &path,
                                format!(
                                    "`{at}authLevel` `{other}`: use anonymous, function or admin"
                                ),
                            ));
                        }
                    };
                    let route = string(&path, b, "route", &at)?.unwrap_or_else(|| name.clone());
                    trigger = Some(Trigger::Http {
                        name: bname,
                        methods,
                        auth_level,
                        route,
                    });
                }
                ("queueTrigger", "in") => {
                    only_keys(
                        &path,
                        b,
                        &["type", "direction", "name", "queueName", "connection"],
                        &at,
                    )?;
                    let queue_name = string(&path, b, "queueName", &at)?.ok_or_else(|| {
                        unsupported(&path, format!("`{at}queueName` is required"))
                    })?;
                    if queue_name.contains('%') {
                        return Err(unsupported(
                            &path,
                            format!(
                                "`{at}queueName` app-setting expressions (%...%) are not supported by the local host"
                            ),
                        ));
                    }
                    trigger = Some(Trigger::Queue {
                        name: bname,
                        queue_name,
                        connection: connection(&path, b)?,
                    });
                }
                ("timerTrigger", "in") => {
                    only_keys(
                        &path,
                        b,
                        &[
                            "type",
                            "direction",
                            "name",
                            "schedule",
                            "runOnStartup",
                            "useMonitor",
                        ],
                        &at,
                    )?;
                    let text = string(&path, b, "schedule", &at)?
                        .ok_or_else(|| unsupported(&path, format!("`{at}schedule` is required")))?;
                    let schedule = match text.strip_prefix('%').and_then(|t| t.strip_suffix('%')) {
                        Some(name) if !name.is_empty() && !name.contains('%') => {
                            TimerSchedule::Setting(name.to_owned())
                        }
                        _ => TimerSchedule::Fixed(Box::new(
                            Schedule::parse(&text)
                                .map_err(|e| unsupported(&path, format!("`{at}schedule`: {e}")))?,
                        )),
                    };
                    let run_on_startup = get(b, "runOnStartup")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    trigger = Some(Trigger::Timer {
                        name: bname,
                        schedule,
                        run_on_startup,
                    });
                }
                ("http", "out") => {
                    only_keys(&path, b, &["type", "direction", "name"], &at)?;
                    outputs.push(Binding::Http { name: bname });
                }
                ("queue", "out") => {
                    only_keys(
                        &path,
                        b,
                        &["type", "direction", "name", "queueName", "connection"],
                        &at,
                    )?;
                    let queue_name = string(&path, b, "queueName", &at)?.ok_or_else(|| {
                        unsupported(&path, format!("`{at}queueName` is required"))
                    })?;
                    outputs.push(Binding::Queue {
                        name: bname,
                        queue_name,
                        connection: connection(&path, b)?,
                    });
                }
                (other, d) => {
                    return Err(unsupported(
                        &path,
                        format!(
                            "binding type `{other}` with direction `{d}` is not supported by the local host (supported: httpTrigger in, queueTrigger in, timerTrigger in, http out, queue out)"
                        ),
                    ));
                }
            }
        }
        let trigger = trigger.ok_or_else(|| unsupported(&path, "no trigger binding"))?;
        Ok(Self {
            name,
            trigger,
            outputs,
        })
    }
}

impl AppDefinition {
    /// Loads `host.json` and every folder in `functions_dir` that has a `function.json`.
    /// A folder without one is refused (the real host would ignore it silently; here it is
    /// almost always a mistake).
    pub fn load(host_json: &Path, functions_dir: &Path) -> Result<Self, ConfigError> {
        let host = HostJson::load(host_json)?;
        let mut functions = BTreeMap::new();
        let entries = std::fs::read_dir(functions_dir).map_err(|source| ConfigError::Read {
            path: functions_dir.to_owned(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| ConfigError::Read {
                path: functions_dir.to_owned(),
                source,
            })?;
            if !entry.path().is_dir() {
                continue;
            }
            if !entry.path().join("function.json").exists() {
                return Err(unsupported(&entry.path(), "folder has no function.json"));
            }
            let f = FunctionDef::load(&entry.path())?;
            functions.insert(f.name.clone(), f);
        }
        if functions.is_empty() {
            return Err(unsupported(functions_dir, "no functions found"));
        }
        Ok(Self { host, functions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("function.json"), body).unwrap();
    }

    #[test]
    fn the_repository_app_loads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let app = AppDefinition::load(&root.join("host.json"), &root.join("handlers")).unwrap();
        assert_eq!(app.host.executable, "handler");
        assert!(app.host.forward_http);
        assert!(app.functions["hris"].is_http_only());
        assert!(matches!(
            app.functions["plan"].trigger,
            Trigger::Queue { .. }
        ));
    }

    #[test]
    fn a_timer_schedule_can_name_an_app_setting() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let app = AppDefinition::load(&root.join("host.json"), &root.join("handlers")).unwrap();
        let Trigger::Timer { schedule, .. } = &app.functions["reconcile"].trigger else {
            panic!("reconcile is a timer");
        };
        assert_eq!(
            schedule,
            &TimerSchedule::Setting("OFFBOARD_RECONCILE_SCHEDULE".into())
        );
        let mut settings = std::collections::BTreeMap::new();
        let err = schedule.resolve(&settings).unwrap_err();
        assert!(err.contains("OFFBOARD_RECONCILE_SCHEDULE"), "{err}");
        settings.insert(
            "OFFBOARD_RECONCILE_SCHEDULE".into(),
            "not a schedule".into(),
        );
        assert!(schedule.resolve(&settings).is_err());
        settings.insert("OFFBOARD_RECONCILE_SCHEDULE".into(), "0 0 2 * * *".into());
        let s = schedule.resolve(&settings).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-06T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            s.next_after(now).map(|t| t.to_rfc3339()),
            Some("2026-12-07T02:00:00+00:00".to_owned())
        );
    }

    #[test]
    fn unknown_bindings_and_keys_are_refused_loudly() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "f",
            r#"{"bindings":[{"type":"blobTrigger","direction":"in","name":"b","path":"x/{n}"}]}"#,
        );
        let err = FunctionDef::load(&dir.path().join("f"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("blobTrigger"), "{err}");
        write(
            dir.path(),
            "g",
            r#"{"bindings":[{"type":"queueTrigger","direction":"in","name":"m","queueName":"q","cardinality":"many"}]}"#,
        );
        let err = FunctionDef::load(&dir.path().join("g"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cardinality"), "{err}");
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("00:00:02"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_timespan("1.00:00:00"),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_timespan("00:00:00.500"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_timespan("2s"), None);
    }
}
