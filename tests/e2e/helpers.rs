//! Shared request bodies.

use serde_json::{Value, json};

/// A generic termination effective at `effective_at` (RFC 3339).
pub fn generic_termination(event_id: &str, effective_at: &str, kind: &str) -> Value {
    json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {
            "eventId": event_id,
            "employee": {"employeeId": "1042", "userPrincipalName": "ada.lovelace@contoso.example"},
            "effectiveAt": effective_at,
            "kind": kind
        }
    })
}

/// A rescind of `rescinds`.
pub fn generic_rescind(event_id: &str, rescinds: &str) -> Value {
    json!({
        "type": "employee.termination_rescinded",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"eventId": event_id, "rescindsEventId": rescinds}
    })
}

/// A BambooHR field-based payload for one terminated employee.
pub fn bamboohr_termination(id: &str, date: &str) -> Value {
    json!({"employees": [{
        "id": id, "action": "Updated", "timestamp": chrono::Utc::now().to_rfc3339(),
        "fields": {"Work Email": "grace.hopper@contoso.example", "Employee #": "2077",
                   "Employment Status": "Terminated", "Termination Date": date,
                   "Termination Type": "Voluntary"},
        "changedFields": ["Employment Status"]
    }]})
}

/// A fresh unique event id.
pub fn event_id() -> String {
    format!("evt-{}", uuid::Uuid::new_v4().simple())
}

/// An RFC 3339 instant `secs` seconds from now.
pub fn in_secs(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339()
}

/// Runs a test body once per backend the suite covers.
#[macro_export]
macro_rules! on_every_backend {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test]
            async fn embedded() {
                let app = offboard_testkit::spawn_app(offboard_testkit::Backend::Embedded).await;
                ($body)(app).await;
            }
            #[tokio::test]
            async fn azure() {
                let app = offboard_testkit::spawn_app(offboard_testkit::Backend::Azure).await;
                ($body)(app).await;
            }
        }
    };
}

/// Runs a test body on the embedded backend only: for tests that tamper with the embedded
/// store's files or point the `offboard` CLI at its data directory. (The same evidence path
/// on Azurite + the Cosmos server is tested in `crates/azure/tests`.)
#[macro_export]
macro_rules! on_embedded {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test]
            async fn embedded() {
                let app = offboard_testkit::spawn_app(offboard_testkit::Backend::Embedded).await;
                ($body)(app).await;
            }
        }
    };
}
