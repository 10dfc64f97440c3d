//! Loading an app: `host.json` and every function folder beside it.

use std::collections::BTreeMap;
use std::path::Path;

use super::strict::unsupported;
use super::{AppDefinition, ConfigError, FunctionDef, HostJson};

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
