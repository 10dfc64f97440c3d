//! Reading JSON strictly: a file, an object, a string member, keys matched without case,
//! and the error for anything the local host does not implement.

use serde_json::{Map, Value};
use std::path::Path;

use super::ConfigError;

pub(super) fn unsupported(path: &Path, detail: impl Into<String>) -> ConfigError {
    ConfigError::Unsupported {
        path: path.to_owned(),
        detail: detail.into(),
    }
}

pub(super) fn read_json(path: &Path) -> Result<Value, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| ConfigError::Json {
        path: path.to_owned(),
        source,
    })
}

pub(super) fn only_keys(
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

pub(super) fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

pub(super) fn object<'a>(
    path: &Path,
    v: &'a Value,
    at: &str,
) -> Result<&'a Map<String, Value>, ConfigError> {
    v.as_object()
        .ok_or_else(|| unsupported(path, format!("`{at}` must be an object")))
}

pub(super) fn string(
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
