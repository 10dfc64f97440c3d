//! `host.json` and `function.json`, parsed strictly: every key the real host would act on
//! is either implemented here or refused with an error naming it.
//!
//! This file holds what the configuration is (the types and `.NET` timespans); reading it
//! is `host_json` (host.json), `function_json` (each function.json) and `app` (the two
//! together), over the strict JSON readers in the leaf `strict`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::ncrontab::Schedule;

mod app;
mod function_json;
mod host_json;
mod strict;
#[cfg(test)]
mod tests;

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
