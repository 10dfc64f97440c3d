//! The case store on Cosmos DB.
//!
//! A case is stored as a wrapper document whose top-level fields are the ones queries filter
//! and sort on, in fixed formats, next to the case itself:
//!
//! ```json
//! { "id": "c-…", "schemaVersion": 1,
//!   "effectiveAt": "2026-11-30T17:00:00.000Z", "sortKey": "2026-11-30T17:00:00.000Z c-…",
//!   "status": "scheduled", "subjectKey": "bamboohr:1042",
//!   "case": { …the Case as serialized by offboard-core… } }
//! ```
//!
//! `sortKey` is the listing order (effective time, then id) as one string, so a page is one
//! single-field `ORDER BY` (no composite index needed) and the continuation token is the last
//! key seen (keyset paging: stable while cases are added, O(1) in size, same on every backend).

use async_trait::async_trait;
use azure_data_cosmos::clients::ContainerClient;
use azure_data_cosmos::options::{ItemWriteOptions, Precondition};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use offboard_core::case::{Case, CaseStatus};
use offboard_core::event::Source;
use offboard_core::ids::CaseId;
use offboard_core::ports::{
    CaseQuery, CaseStore, Claim, Created, ETag, Page, StoreError, Versioned,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{instant_text, query, query_all};
use crate::error::{corrupt, store_error};

/// The version of the document layout below; a reader refuses documents from a newer one.
const SCHEMA_VERSION: u32 = 1;
/// The most cases one page returns.
const MAX_PAGE: u32 = 1000;
/// Prefix of continuation tokens (so a token from another store is recognised as foreign).
const TOKEN_PREFIX: &str = "k1:";

/// What is written: the query fields and the case.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseDocument<'a> {
    id: &'a str,
    schema_version: u32,
    effective_at: String,
    sort_key: String,
    status: CaseStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject_key: Option<String>,
    /// When the scheduler releases the ended case's follow-up (`delete-account`); absent
    /// otherwise, so the scheduler's query skips the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    follow_up_at: Option<String>,
    case: &'a Case,
}

impl<'a> CaseDocument<'a> {
    fn of(case: &'a Case) -> Self {
        // The tightened due time (an attached earlier termination), so the scheduler's
        // query releases the case when the earliest of its terminations falls due.
        let effective_at = instant_text(case.due_at());
        Self {
            id: case.id.as_str(),
            schema_version: SCHEMA_VERSION,
            sort_key: sort_key(&effective_at, case.id.as_str()),
            effective_at,
            status: case.status,
            subject_key: subject_key_of(case),
            follow_up_at: case.follow_up_at().map(instant_text),
            case,
        }
    }
}

/// What is read back: the case and the document's ETag.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredCase {
    schema_version: u32,
    case: Case,
    #[serde(rename = "_etag")]
    etag: Option<String>,
}

/// One row of the id-only queries.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CaseRow {
    id: String,
    status: Option<CaseStatus>,
    sort_key: String,
}

fn sort_key(effective_at: &str, id: &str) -> String {
    format!("{effective_at} {id}")
}

/// `{source}:{subject}` — how a later "reinstated" message finds the open case.
fn subject_key(source: Source, subject: &str) -> String {
    format!("{source}:{subject}")
}

fn subject_key_of(case: &Case) -> Option<String> {
    case.event
        .source_subject_id()
        .map(|s| subject_key(case.event.source(), s))
}

fn encode_token(sort_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{sort_key}"))
}

fn decode_token(token: &str) -> Result<String, StoreError> {
    let invalid = || StoreError::Permanent {
        detail: "invalid continuation token: pass back the token of the previous page unchanged"
            .into(),
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(TOKEN_PREFIX)
        .map(str::to_owned)
        .ok_or_else(invalid)
}

fn what(id: &str) -> String {
    format!("case {id}")
}

/// The case id a query row names.
fn id_of(r: CaseRow) -> Result<CaseId, StoreError> {
    CaseId::parse(&r.id).map_err(|e| corrupt(&what(&r.id), e))
}

/// [`CaseStore`] on a Cosmos DB container partitioned by `/id`. Built by
/// [`super::CosmosDb::case_store`].
#[derive(Clone)]
pub struct CosmosCaseStore {
    container: ContainerClient,
    claims: ContainerClient,
}

impl std::fmt::Debug for CosmosCaseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosCaseStore").finish_non_exhaustive()
    }
}

impl CosmosCaseStore {
    pub(super) fn new(container: ContainerClient, claims: ContainerClient) -> Self {
        Self { container, claims }
    }

    fn decode(
        &self,
        id: &str,
        stored: StoredCase,
        etag: Option<String>,
    ) -> Result<Versioned<Case>, StoreError> {
        super::versioned(
            &what(id),
            stored.schema_version,
            SCHEMA_VERSION,
            stored.case,
            etag.or(stored.etag),
        )
    }

    async fn read(&self, id: &str) -> Result<Option<Versioned<Case>>, StoreError> {
        let response = match self.container.read_item(id.to_owned(), id, None).await {
            Ok(r) => r,
            Err(e) => {
                return match store_error(&what(id), &e) {
                    StoreError::NotFound { .. } => Ok(None),
                    other => Err(other),
                };
            }
        };
        let etag = response.headers().etag().map(|e| e.to_string());
        let stored: StoredCase = response.into_model().map_err(|e| corrupt(&what(id), e))?;
        self.decode(id, stored, etag).map(Some)
    }

    /// Up to `limit` ids of the cases `condition` (over `c`) selects, in sort-key order;
    /// `rows` names them in errors.
    async fn ids_where(
        &self,
        condition: &str,
        params: Vec<(&'static str, serde_json::Value)>,
        limit: u32,
        rows: &str,
    ) -> Result<Vec<CaseId>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let text = format!(
            "SELECT TOP {} c.id, c.status, c.sortKey FROM c WHERE {condition} ORDER BY c.sortKey",
            limit.min(MAX_PAGE)
        );
        let found: Vec<CaseRow> = query_all(&self.container, query(text, params)?, rows).await?;
        found.into_iter().map(id_of).collect()
    }
}

#[async_trait]
impl CaseStore for CosmosCaseStore {
    async fn create_claim(&self, claim: &Claim) -> Result<Created<Claim>, StoreError> {
        super::claims::create(&self.claims, claim).await
    }

    async fn get_claim(&self, key: &str) -> Result<Option<Versioned<Claim>>, StoreError> {
        super::claims::read(&self.claims, key).await
    }

    async fn replace_claim(
        &self,
        claim: &Claim,
        etag: &ETag,
    ) -> Result<Versioned<Claim>, StoreError> {
        super::claims::replace(&self.claims, claim, etag).await
    }

    #[tracing::instrument(skip_all, fields(case_id = %case.id))]
    async fn create(&self, case: &Case) -> Result<Created<Case>, StoreError> {
        let id = case.id.as_str();
        match self
            .container
            .create_item(id.to_owned(), id, CaseDocument::of(case), None)
            .await
        {
            Ok(response) => {
                let etag = match response.headers().etag() {
                    Some(etag) => ETag(etag.to_string()),
                    // Some gateways omit the ETag on a minimal response: read it back.
                    None => match self.read(id).await? {
                        Some(v) => v.etag,
                        None => {
                            return Err(StoreError::Unavailable {
                                detail: format!(
                                    "{} was created but cannot be read yet; retry",
                                    what(id)
                                ),
                            });
                        }
                    },
                };
                Ok(Created::New(Versioned {
                    value: case.clone(),
                    etag,
                }))
            }
            // The case id is deterministic: a 409 is a redelivered event. Answer with the case
            // as it is stored, unchanged.
            Err(e) if e.status().is_conflict() => match self.read(id).await? {
                Some(existing) => Ok(Created::Existing(existing)),
                None => Err(StoreError::Unavailable {
                    detail: format!(
                        "{} was reported as existing but was not found (deleted meanwhile?); retry",
                        what(id)
                    ),
                }),
            },
            Err(e) => Err(store_error(&what(id), &e)),
        }
    }

    async fn get(&self, id: &CaseId) -> Result<Option<Versioned<Case>>, StoreError> {
        self.read(id.as_str()).await
    }

    #[tracing::instrument(skip_all, fields(case_id = %case.id, status = %case.status))]
    async fn replace(&self, case: &Case, etag: &ETag) -> Result<Versioned<Case>, StoreError> {
        let id = case.id.as_str();
        let options =
            ItemWriteOptions::default().with_precondition(Precondition::if_match(etag.0.as_str()));
        let response = self
            .container
            .replace_item(id.to_owned(), id, CaseDocument::of(case), Some(options))
            .await
            .map_err(|e| store_error(&what(id), &e))?;
        let etag = match response.headers().etag() {
            Some(etag) => ETag(etag.to_string()),
            None => match self.read(id).await? {
                Some(v) => v.etag,
                None => return Err(StoreError::NotFound { what: what(id) }),
            },
        };
        Ok(Versioned {
            value: case.clone(),
            etag,
        })
    }

    async fn list(&self, q: &CaseQuery) -> Result<Page<Case>, StoreError> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        if let Some(from) = q.effective_from {
            conditions.push("c.effectiveAt >= @from");
            params.push(("@from", json!(instant_text(from))));
        }
        if let Some(to) = q.effective_to {
            conditions.push("c.effectiveAt < @to");
            params.push(("@to", json!(instant_text(to))));
        }
        if let Some(status) = q.status {
            conditions.push("c.status = @status");
            params.push(("@status", json!(status.as_str())));
        }
        if let Some(token) = &q.continuation {
            conditions.push("c.sortKey > @after");
            params.push(("@after", json!(decode_token(token)?)));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        // One more than a page, to know whether there is a next one. `limit` is a number we
        // computed, not caller text.
        let text = format!(
            "SELECT TOP {} * FROM c{filter} ORDER BY c.sortKey",
            limit + 1
        );
        let mut rows: Vec<serde_json::Value> =
            query_all(&self.container, query(text, params)?, "cases").await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let mut items = Vec::with_capacity(rows.len());
        let mut last_key = None;
        for row in rows {
            let id = row
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("(no id)")
                .to_owned();
            last_key = row
                .get("sortKey")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let stored: StoredCase =
                serde_json::from_value(row).map_err(|e| corrupt(&what(&id), e))?;
            items.push(self.decode(&id, stored, None)?.value);
        }
        let continuation = match (more, last_key) {
            (true, Some(key)) => Some(encode_token(&key)),
            (true, None) => {
                return Err(corrupt("cases", "a stored case has no sortKey"));
            }
            (false, _) => None,
        };
        Ok(Page {
            items,
            continuation,
        })
    }

    async fn due_scheduled(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError> {
        let params = vec![
            ("@status", json!(CaseStatus::Scheduled.as_str())),
            ("@now", json!(instant_text(now))),
        ];
        self.ids_where(
            "c.status = @status AND c.effectiveAt <= @now",
            params,
            limit,
            "due cases",
        )
        .await
    }

    async fn due_follow_ups(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError> {
        // A case without a follow-up has no `followUpAt`: the comparison is undefined for it,
        // so it is not selected. The fixed-width UTC text orders as the instants do.
        let params = vec![("@now", json!(instant_text(now)))];
        self.ids_where("c.followUpAt <= @now", params, limit, "due follow-ups")
            .await
    }

    async fn open_for_subject(
        &self,
        source: Source,
        subject_id: &str,
    ) -> Result<Vec<CaseId>, StoreError> {
        let text =
            "SELECT c.id, c.status, c.sortKey FROM c WHERE c.subjectKey = @subject".to_owned();
        let params = vec![("@subject", json!(subject_key(source, subject_id)))];
        let mut rows: Vec<CaseRow> =
            query_all(&self.container, query(text, params)?, "a subject's cases").await?;
        // A person has few cases: filter and order here rather than in a cross-partition query.
        rows.retain(|r| r.status.is_some_and(|s| !s.is_final()));
        rows.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
        rows.into_iter().map(id_of).collect()
    }

    async fn latest_ended_for_subject(
        &self,
        source: Source,
        subject_id: &str,
    ) -> Result<Option<CaseId>, StoreError> {
        let text =
            "SELECT c.id, c.status, c.sortKey FROM c WHERE c.subjectKey = @subject".to_owned();
        let params = vec![("@subject", json!(subject_key(source, subject_id)))];
        let rows: Vec<CaseRow> =
            query_all(&self.container, query(text, params)?, "a subject's cases").await?;
        rows.into_iter()
            .filter(|r| {
                matches!(
                    r.status,
                    Some(CaseStatus::Completed | CaseStatus::CompletedWithExceptions)
                )
            })
            .max_by(|a, b| a.sort_key.cmp(&b.sort_key))
            .map(id_of)
            .transpose()
    }
}
