//! Messages offboard puts on its queues, and their encoding.
//!
//! The Functions queue trigger decodes message text as base64 by default
//! (`extensions.queues.messageEncoding`), and the Storage Queue SDK does not encode: so
//! producers base64-encode the JSON themselves.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::ids::CaseId;

/// The queue the planner listens on.
pub const PLAN_QUEUE: &str = "plan";

/// "Plan this case": sent when a case is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanMessage {
    /// The case to plan.
    pub case_id: CaseId,
}

/// "Run this step of this case": one queue per step kind (`step-<kind>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepMessage {
    /// The case.
    pub case_id: CaseId,
    /// The step.
    pub step: crate::plan::StepKind,
    /// Transient-failure retries so far (throttling does not count).
    #[serde(default)]
    pub attempt: u32,
}

/// The queue notifications go through, so a failed delivery is retried.
pub const NOTIFY_QUEUE: &str = "notify";

/// The queue that carries requests to refresh the rights index (who holds rights on which
/// mailbox).
pub const RIGHTS_INDEX_QUEUE: &str = "rights-index";

/// Encodes a message for a queue the Functions host reads: JSON, then base64.
pub fn encode<T: Serialize>(message: &T) -> Result<String, serde_json::Error> {
    Ok(BASE64.encode(serde_json::to_vec(message)?))
}

/// A queue message offboard could not read.
#[derive(Debug, thiserror::Error)]
#[error("queue message is not a valid {kind}: {detail}")]
pub struct MessageError {
    /// The expected message kind.
    pub kind: &'static str,
    /// What is wrong.
    pub detail: String,
}

/// Decodes a message as the handler receives it from the host: the host has already
/// removed the base64 layer and passes the JSON text (possibly as a JSON string).
pub fn decode<T: DeserializeOwned>(kind: &'static str, text: &str) -> Result<T, MessageError> {
    serde_json::from_str(text).map_err(|e| MessageError {
        kind,
        detail: e.to_string(),
    })
}
