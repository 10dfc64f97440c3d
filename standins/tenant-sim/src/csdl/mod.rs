//! The simulator answers only what Microsoft's Graph v1.0 metadata declares.
//!
//! Microsoft publishes Graph v1.0 as OData CSDL (vendored in `metadata/`, MIT). With
//! [`Settings::check_metadata`](crate::Settings) on, every Graph request the simulator answers
//! (batch items included) is checked against it, and what does not resolve is kept as a
//! [`MetadataFinding`]: a path, `$select` / `$expand` name or body property the product sends
//! that v1.0 does not have, or a property the simulator answers that v1.0 does not declare on
//! the object's type. The end-to-end suite's test app turns the check on and fails a test
//! whose traffic produced a finding.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod check;
mod model;

pub use model::{Model, ModelError};

/// One request or answer that Graph v1.0 does not declare.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataFinding {
    /// The request's place in the request log.
    pub seq: u64,
    /// Method.
    pub method: String,
    /// Path below `/v1.0`.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// What does not resolve.
    pub what: String,
}

impl std::fmt::Display for MetadataFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let q = if self.query.is_empty() { "" } else { "?" };
        write!(
            f,
            "{} {}{q}{}: {}",
            self.method, self.path, self.query, self.what
        )
    }
}

/// The vendored Graph v1.0 model, read once per process.
pub fn graph_v1() -> Result<&'static Model, &'static ModelError> {
    static MODEL: OnceLock<Result<Model, ModelError>> = OnceLock::new();
    MODEL.get_or_init(Model::graph_v1).as_ref()
}

/// Checks one Graph request (`path` below `/v1.0`) and the answer given to it against
/// `model`; one line per thing that does not resolve.
pub fn check(
    model: &Model,
    method: &str,
    path: &str,
    query: &str,
    request: Option<&Value>,
    status: u16,
    answer: Option<&Value>,
) -> Vec<String> {
    let segs = crate::graph::segments(path);
    check::check(model, method, &segs, query, request, status, answer)
}
