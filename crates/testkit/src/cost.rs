//! What a leaver costs, counted from a run: function executions (from the handler's log, one
//! line per invocation), evidence files written (the blobs a deployment writes, each a
//! create-only put and a read-back get) and Graph requests (the simulator's log). Cosmos DB
//! operations are counted by the local Cosmos server's wrapper (`local/cosmos/wrapper.js`) per
//! database ([`cosmos_operations`]); their request units are not: the npm server reports no
//! request charges, and the embedded backend has no Cosmos DB at all.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use offboard_core::ids::CaseId;
use offboard_core::ports::EvidenceStore;
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

/// The evidence files of `cases` (each with its period), counted through the evidence store:
/// every record and every seal generation. For a backend whose files are not on this
/// machine's disk (Blob storage); [`count`] walks the embedded backend's directory instead.
pub async fn evidence_in_store(
    store: &dyn EvidenceStore,
    cases: &[(String, CaseId)],
) -> anyhow::Result<usize> {
    let mut n = 0;
    for (period, id) in cases {
        n += store.records(period, id).await?.len();
        if let Some(seal) = store.seal(period, id).await? {
            let seal = seal.map_err(|e| anyhow::anyhow!("the seal of case {id}: {e}"))?;
            n += seal.generation as usize + 1;
        }
    }
    Ok(n)
}

/// One kind of Cosmos DB operation: answered with success, and refused (a 4xx: a document
/// not found, an ETag that no longer matched, a create that found one). Cosmos DB bills both.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CosmosCount {
    /// Answered with a 2xx.
    pub ok: u64,
    /// Answered with a 4xx or 5xx.
    pub refused: u64,
    /// The refused ones by status code (`404`, `409`, `412`, ...).
    #[serde(default)]
    pub refused_by: BTreeMap<String, u64>,
}

impl CosmosCount {
    /// Every request of the kind.
    pub fn all(&self) -> u64 {
        self.ok + self.refused
    }
}

/// The Cosmos DB operations one database received, by kind: `read` (point reads), `create`,
/// `upsert`, `replace`, `delete`, `patch`, `query`, and `other` (account, container and
/// partition-key-range metadata).
pub type CosmosOperations = BTreeMap<String, CosmosCount>;

/// The operations `database` received so far, as the local Cosmos server's wrapper counted
/// them (`GET /_offboard/operations?db=`); `endpoint` is the account's (`https://127.0.0.1:8081/`).
pub async fn cosmos_operations(
    client: &reqwest::Client,
    endpoint: &str,
    database: &str,
) -> anyhow::Result<CosmosOperations> {
    let base = endpoint.trim_end_matches('/');
    let url = reqwest::Url::parse_with_params(
        &format!("{base}/_offboard/operations"),
        [("db", database)],
    )?;
    let response = client.get(url).send().await?.error_for_status()?;
    Ok(response.json().await?)
}
