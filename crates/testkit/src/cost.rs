//! What a leaver costs, counted from a run: function executions (from the handler's log, one
//! line per invocation), evidence files written (the blobs a deployment writes, each a
//! create-only put and a read-back get) and Graph requests (the simulator's log). Cosmos DB
//! operations and request units are not counted here: the embedded backend has none and the
//! npm Cosmos server does not report request charges.

use std::collections::HashSet;
use std::path::Path;

use offboard_core::ids::CaseId;
use serde_json::Value;

/// Counts for a set of cases.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// HTTP-triggered executions (intake) that opened or joined one of the cases.
    pub http_executions: usize,
    /// Queue-triggered executions (plan, steps, seal), re-enqueued attempts included.
    pub queue_executions: usize,
    /// Queue executions that deferred their step (throttled or paced: back to the queue).
    pub deferred: usize,
    /// Evidence files (records, seals) of the cases.
    pub evidence_files: usize,
}

/// Counts the executions of `cases` in the handler's JSON log and their evidence files under
/// `evidence_dir`.
pub fn count(handler_log: &str, evidence_dir: &Path, cases: &[CaseId]) -> Counts {
    let ids: HashSet<&str> = cases.iter().map(CaseId::as_str).collect();
    let mut c = Counts::default();
    for line in handler_log.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let ours = v["spans"].as_array().is_some_and(|s| {
            s.iter()
                .any(|s| s["case_id"].as_str().is_some_and(|id| ids.contains(id)))
        });
        if !ours {
            continue;
        }
        let fields = &v["fields"];
        if fields.get("dequeue_count").is_some() {
            c.queue_executions += 1;
            if fields["outcome"]
                .as_str()
                .is_some_and(|o| o.contains("throttled") || o.contains("again in"))
            {
                c.deferred += 1;
            }
        } else if fields["message"] == "case opened" {
            c.http_executions += 1;
        }
    }
    c.evidence_files = evidence_files(evidence_dir, &ids);
    c
}

fn evidence_files(dir: &Path, ids: &HashSet<&str>) -> usize {
    let mut n = 0;
    let mut stack = vec![(dir.to_owned(), false)];
    while let Some((d, in_case)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = e.path();
            if path.is_dir() {
                stack.push((path, in_case || ids.contains(name.as_str())));
            } else if in_case {
                n += 1;
            }
        }
    }
    n
}
