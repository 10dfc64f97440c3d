//! The custom-handler invocation protocol for non-HTTP triggers.
//!
//! The host POSTs `{"Data": {<binding>: <value>}, "Metadata": {...}}` to `/{functionName}`
//! and expects `{"Outputs": {...}, "Logs": [...], "ReturnValue": ...}` with a 2xx status.
//! Any other status fails the invocation and no output binding is written.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the host sends for a queue or timer invocation.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct InvocationRequest {
    /// Trigger and input binding values by binding name.
    #[serde(rename = "Data", default)]
    pub data: Map<String, Value>,
    /// Trigger metadata (for queues: `DequeueCount`, `Id`, `InsertionTime`, ...).
    #[serde(rename = "Metadata", default)]
    pub metadata: Map<String, Value>,
}

impl InvocationRequest {
    /// The queue message text of the trigger binding `name`. The host passes it as a JSON
    /// string; a JSON object (already decoded) is accepted too and re-serialised.
    pub fn queue_text(&self, name: &str) -> Option<String> {
        match self.data.get(name)? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// `DequeueCount` from the trigger metadata (1 on the first attempt).
    pub fn dequeue_count(&self) -> u32 {
        self.metadata
            .get("DequeueCount")
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1)
    }
}

/// What the handler answers.
#[derive(Debug, Clone, Serialize, Default)]
pub struct InvocationResponse {
    /// Output binding values by binding name.
    #[serde(rename = "Outputs")]
    pub outputs: Map<String, Value>,
    /// Lines for the invocation log.
    #[serde(rename = "Logs")]
    pub logs: Vec<String>,
    /// Value for a `$return` binding.
    #[serde(rename = "ReturnValue")]
    pub return_value: Value,
}

impl InvocationResponse {
    /// An answer with log lines and no outputs.
    pub fn logged(lines: impl IntoIterator<Item = String>) -> Self {
        Self {
            logs: lines.into_iter().collect(),
            ..Self::default()
        }
    }
}
