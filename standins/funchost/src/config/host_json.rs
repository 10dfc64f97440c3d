//! Reading and validating `host.json`: every key the real host would act on is implemented
//! or refused by name.

use serde_json::Value;
use std::path::Path;
use std::time::Duration;

use super::strict::{get, object, only_keys, read_json, string, unsupported};
use super::{ConfigError, HostJson, QueueSettings, parse_timespan};

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
