//! The compliance index ([`CaseIndex`]) on Cosmos DB.
//!
//! One document per case in the `caseIndex` container, partitioned by `/period` (the evidence
//! month, `YYYY-MM`): the auditor asks for a period, and a period is one logical partition, so
//! `list_period` is a single-partition query and never fans out. A document is the
//! [`IndexEntry`] JSON as the core serializes it, plus two top-level fields of its own:
//!
//! ```json
//! { "id": "c-…", "period": "2026-11", …the IndexEntry…,
//!   "schemaVersion": 1, "sortKey": "2026-11-30T17:00:00.000Z c-…" }
//! ```
//!
//! `sortKey` is the listing order (effective time, then id) as one string, so the order is one
//! single-field `ORDER BY` (no composite index). The query repeats the partition key in its
//! `WHERE` although the request is already scoped to the partition: the local npm Cosmos server
//! needs it, and real Cosmos DB is indifferent. Counts and sums over a period (the termination
//! report) are computed in Rust from the entries: the SDK refuses cross-partition aggregates.

use async_trait::async_trait;
use azure_data_cosmos::clients::ContainerClient;
use azure_data_cosmos::feed::FeedScope;
use azure_data_cosmos::options::{ItemWriteOptions, Precondition};
use futures::TryStreamExt as _;
use offboard_core::evidence::IndexEntry;
use offboard_core::ids::CaseId;
use offboard_core::ports::{CaseIndex, ETag, StoreError, Versioned};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{instant_text, query};
use crate::error::{corrupt, store_error};

/// The version of the document layout below; a reader refuses documents from a newer one.
const SCHEMA_VERSION: u32 = 1;

/// What is written: the entry, flattened, and the fields the query needs.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexDocument<'a> {
    #[serde(flatten)]
    entry: &'a IndexEntry,
    schema_version: u32,
    sort_key: String,
}

impl<'a> IndexDocument<'a> {
    fn of(entry: &'a IndexEntry) -> Self {
        Self {
            sort_key: format!("{} {}", instant_text(entry.effective_at), entry.id),
            schema_version: SCHEMA_VERSION,
            entry,
        }
    }
}

/// What is read back: the entry and the document's ETag (Cosmos DB's own fields and
/// `sortKey` are ignored by the entry).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredEntry {
    #[serde(default)]
    schema_version: u32,
    #[serde(rename = "_etag")]
    etag: Option<String>,
    #[serde(flatten)]
    entry: IndexEntry,
}

fn what(case_id: &str) -> String {
    format!("index entry for case {case_id}")
}

/// [`CaseIndex`] on a Cosmos DB container partitioned by `/period`. Built by
/// [`super::CosmosDb::case_index`].
#[derive(Clone)]
pub struct CosmosCaseIndex {
    container: ContainerClient,
}

impl std::fmt::Debug for CosmosCaseIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosCaseIndex").finish_non_exhaustive()
    }
}

impl CosmosCaseIndex {
    pub(super) fn new(container: ContainerClient) -> Self {
        Self { container }
    }

    fn decode(
        id: &str,
        stored: StoredEntry,
        etag: Option<String>,
    ) -> Result<Versioned<IndexEntry>, StoreError> {
        super::versioned(
            &what(id),
            stored.schema_version,
            SCHEMA_VERSION,
            stored.entry,
            etag.or(stored.etag),
        )
    }

    async fn read(
        &self,
        period: &str,
        id: &str,
    ) -> Result<Option<Versioned<IndexEntry>>, StoreError> {
        let response = match self.container.read_item(period.to_owned(), id, None).await {
            Ok(r) => r,
            Err(e) => {
                return match store_error(&what(id), &e) {
                    StoreError::NotFound { .. } => Ok(None),
                    other => Err(other),
                };
            }
        };
        let etag = response.headers().etag().map(|e| e.to_string());
        let stored: StoredEntry = response.into_model().map_err(|e| corrupt(&what(id), e))?;
        Self::decode(id, stored, etag).map(Some)
    }

    /// The ETag of a write: from the response, or read back when a gateway omitted it.
    async fn etag_after_write(
        &self,
        period: &str,
        id: &str,
        from_response: Option<String>,
    ) -> Result<ETag, StoreError> {
        if let Some(etag) = from_response {
            return Ok(ETag(etag));
        }
        match self.read(period, id).await? {
            Some(v) => Ok(v.etag),
            None => Err(StoreError::Unavailable {
                detail: format!("{} was written but cannot be read yet; retry", what(id)),
            }),
        }
    }
}

#[async_trait]
impl CaseIndex for CosmosCaseIndex {
    async fn get(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<Versioned<IndexEntry>>, StoreError> {
        self.read(period, case_id.as_str()).await
    }

    #[tracing::instrument(skip_all, fields(case_id = %entry.id, period = %entry.period))]
    async fn put(
        &self,
        entry: &IndexEntry,
        etag: Option<&ETag>,
    ) -> Result<Versioned<IndexEntry>, StoreError> {
        let id = entry.id.as_str();
        let period = entry.period.as_str();
        let document = IndexDocument::of(entry);
        let response = match etag {
            // Create-if-absent: a 409 means the entry exists (another writer was first).
            None => self
                .container
                .create_item(period.to_owned(), id, document, None)
                .await
                .map_err(|e| store_error(&what(id), &e))?,
            Some(etag) => {
                let options = ItemWriteOptions::default()
                    .with_precondition(Precondition::if_match(etag.0.as_str()));
                match self
                    .container
                    .replace_item(period.to_owned(), id, document, Some(options))
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        return Err(match store_error(&what(id), &e) {
                            // Replacing an entry that is gone: the caller's copy is stale,
                            // as with the embedded index (re-read, then create).
                            StoreError::NotFound { what } => {
                                StoreError::PreconditionFailed { what }
                            }
                            other => other,
                        });
                    }
                }
            }
        };
        let etag = response.headers().etag().map(|e| e.to_string());
        let etag = self.etag_after_write(period, id, etag).await?;
        Ok(Versioned {
            value: entry.clone(),
            etag,
        })
    }

    async fn list_period(&self, period: &str) -> Result<Vec<IndexEntry>, StoreError> {
        let text = "SELECT * FROM c WHERE c.period = @period ORDER BY c.sortKey".to_owned();
        let q = query(text, vec![("@period", json!(period))])?;
        let scope = FeedScope::partition(period.to_owned());
        let map = |e| store_error(&format!("index of period {period}"), &e);
        let mut rows = self
            .container
            .query_items::<serde_json::Value>(q, scope, None)
            .await
            .map_err(map)?;
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(map)? {
            let id = row
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("(no id)")
                .to_owned();
            let stored: StoredEntry =
                serde_json::from_value(row).map_err(|e| corrupt(&what(&id), e))?;
            out.push(Self::decode(&id, stored, None)?.value);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_flatten_the_entry_and_add_the_sort_key() {
        let entry: IndexEntry = serde_json::from_value(json!({
            "id": "c-8f0b0e0e-6a2d-5c43-9f3c-0d1e2f3a4b5c",
            "period": "2026-11",
            "status": "completed",
            "source": "generic",
            "sourceEventId": "evt-1",
            "employee": {"employeeId": "1042"},
            "kind": "voluntary",
            "effectiveAt": "2026-11-30T17:00:00.000Z",
            "receivedAt": "2026-11-26T10:00:00.000Z",
            "hrEventSha256": "00".repeat(32),
            "timeline": [],
            "accessRemovedAt": {},
            "exceptions": [],
            "recordCount": 1,
            "chainHead": "11".repeat(32),
            "wormEnforced": false
        }))
        .expect("an index entry");
        let doc = serde_json::to_value(IndexDocument::of(&entry)).unwrap();
        assert_eq!(doc["period"], "2026-11");
        assert_eq!(doc["schemaVersion"], 1);
        assert_eq!(
            doc["sortKey"],
            "2026-11-30T17:00:00.000Z c-8f0b0e0e-6a2d-5c43-9f3c-0d1e2f3a4b5c"
        );
        let mut stored = doc.clone();
        stored["_etag"] = json!("\"v1\"");
        stored["_rid"] = json!("abc");
        let back: StoredEntry = serde_json::from_value(stored).unwrap();
        assert_eq!(back.entry, entry);
        assert_eq!(back.etag.as_deref(), Some("\"v1\""));
    }
}
