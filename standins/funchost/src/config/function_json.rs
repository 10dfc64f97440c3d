//! Reading and validating one function's `function.json`: its trigger and output bindings.

use serde_json::{Map, Value};
use std::path::Path;

use crate::ncrontab::Schedule;

use super::strict::{get, object, only_keys, read_json, string, unsupported};
use super::{AuthLevel, Binding, ConfigError, FunctionDef, TimerSchedule, Trigger};

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
