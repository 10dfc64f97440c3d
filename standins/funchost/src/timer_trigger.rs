//! Timer triggers on NCRONTAB schedules, with the timer payload the host sends.

use serde_json::json;
use std::sync::Arc;
use tokio::sync::Notify;

use crate::config::{FunctionDef, Trigger};
use crate::invoke;
use crate::worker::Worker;

/// Fires one timer function on `schedule` (resolved from its app setting if it names one)
/// until `stop`.
pub(crate) async fn run(
    f: FunctionDef,
    schedule: crate::ncrontab::Schedule,
    worker: Arc<Worker>,
    client: reqwest::Client,
    stop: Arc<Notify>,
) {
    let Trigger::Timer {
        name,
        run_on_startup,
        ..
    } = &f.trigger
    else {
        return;
    };
    let mut last: Option<chrono::DateTime<chrono::Utc>> = None;
    let mut first = *run_on_startup;
    loop {
        let now = chrono::Utc::now();
        let Some(next) = schedule.next_after(now) else {
            tracing::error!(function = %f.name, "schedule has no next occurrence");
            return;
        };
        if !first {
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::select! {
                _ = stop.notified() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        first = false;
        let fired = chrono::Utc::now();
        let following = schedule.next_after(fired);
        let data = json!({
            name.as_str(): {
                "Schedule": {"AdjustForDST": true},
                "ScheduleStatus": {
                    "Last": last.map(|l| l.to_rfc3339()),
                    "Next": following.map(|n| n.to_rfc3339()),
                    "LastUpdated": fired.to_rfc3339(),
                },
                "IsPastDue": (fired - next).num_seconds() > 1,
            }
        });
        let metadata = json!({"sys": {"MethodName": f.name, "UtcNow": fired.to_rfc3339(), "RandGuid": uuid::Uuid::new_v4().to_string()}});
        if let Err(e) = invoke::call(&worker, &client, &f.name, data, metadata).await {
            tracing::warn!(function = %f.name, error = %e, "timer invocation failed");
        }
        last = Some(fired);
    }
}
