//! Ports: the traits through which the use cases reach storage and queues. Adapters
//! (Cosmos DB, Azure Storage queues, the embedded SQLite backend) implement them with the
//! same semantics, so everything above them behaves the same on every backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::case::{Case, CaseStatus};
use crate::event::{Source, TerminationEvent};
use crate::ids::CaseId;
pub use crate::scim::user::ScimKey;
use crate::scim::user::ScimUser;

/// An opaque version tag: a write with a stale one is refused (optimistic concurrency).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ETag(pub String);

/// A stored document with its version tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    /// The document.
    pub value: T,
    /// Its current version tag.
    pub etag: ETag,
}

/// What went wrong in a store, in terms a caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A document with this id already exists (create-if-absent lost).
    #[error("{what} already exists")]
    Conflict {
        /// What collided.
        what: String,
    },
    /// The document changed since it was read: read it again and retry.
    #[error("{what} was changed by someone else; read it again and retry")]
    PreconditionFailed {
        /// What was stale.
        what: String,
    },
    /// The document does not exist.
    #[error("{what} does not exist")]
    NotFound {
        /// What was missing.
        what: String,
    },
    /// A temporary failure (throttling, network, service unavailable): retry later.
    #[error("the store is temporarily unavailable: {detail}")]
    Unavailable {
        /// What the store said.
        detail: String,
    },
    /// A failure retrying will not fix (configuration, permissions, corrupt data).
    #[error("store error: {detail}")]
    Permanent {
        /// What the store said.
        detail: String,
    },
}

impl StoreError {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unavailable { .. } | Self::PreconditionFailed { .. }
        )
    }
}

/// The outcome of a create-if-absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created<T> {
    /// The document was created.
    New(Versioned<T>),
    /// A document with the same id already existed; here it is, unchanged.
    Existing(Versioned<T>),
}

impl<T> Created<T> {
    /// The stored document, new or existing.
    pub fn into_inner(self) -> Versioned<T> {
        match self {
            Self::New(v) | Self::Existing(v) => v,
        }
    }
    /// Whether this call created it.
    pub fn is_new(&self) -> bool {
        matches!(self, Self::New(_))
    }
}

/// Which cases a listing wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseQuery {
    /// Effective at or after this instant.
    pub effective_from: Option<DateTime<Utc>>,
    /// Effective strictly before this instant.
    pub effective_to: Option<DateTime<Utc>>,
    /// Only cases in this status.
    pub status: Option<CaseStatus>,
    /// At most this many cases per page (the store may return fewer).
    pub limit: u32,
    /// Opaque continuation from a previous page.
    pub continuation: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, ordered by effective time then id.
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last page.
    pub continuation: Option<String>,
}

/// A claim: which case a key belongs to. Two kinds of key exist:
///
/// - [`Claim::person_key`]: the person (Entra object id) whose active offboarding that case
///   is. Created if absent, so of two intakes for the same person, on any instance, exactly
///   one opens a case and the other attaches to it; replaced (ETag) only once the case is
///   final.
/// - [`Claim::event_key`]: an event that joined another person's open case instead of opening
///   its own, so its redelivery finds the case it was attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    /// The key (`person-{objectId}` or `event-{caseId}`).
    pub key: String,
    /// The case that holds it.
    pub case_id: CaseId,
    /// The termination that made the claim: for a person claim the event that opened the
    /// case (so anyone can finish creating the case if its opener stopped half-way).
    pub event: TerminationEvent,
    /// When the claim was made.
    pub claimed_at: DateTime<Utc>,
}

impl Claim {
    /// The key of the active offboarding of the person with Entra object id `object_id`.
    pub fn person_key(object_id: &str) -> String {
        format!("person-{object_id}")
    }

    /// The key of an event that was attached to another case (by the case id it would
    /// have opened).
    pub fn event_key(case_id: &CaseId) -> String {
        format!("event-{case_id}")
    }
}

/// Where cases live. Case ids are deterministic, so `create` doubles as de-duplication:
/// a redelivered event finds its case already there.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Creates the claim if no claim with its key exists; otherwise returns the existing one.
    async fn create_claim(&self, claim: &Claim) -> Result<Created<Claim>, StoreError>;
    /// Reads a claim.
    async fn get_claim(&self, key: &str) -> Result<Option<Versioned<Claim>>, StoreError>;
    /// Replaces a claim if it still has `etag`; `PreconditionFailed` otherwise.
    async fn replace_claim(
        &self,
        claim: &Claim,
        etag: &ETag,
    ) -> Result<Versioned<Claim>, StoreError>;
    /// Creates the case if no case with its id exists; otherwise returns the existing one.
    async fn create(&self, case: &Case) -> Result<Created<Case>, StoreError>;
    /// Reads a case.
    async fn get(&self, id: &CaseId) -> Result<Option<Versioned<Case>>, StoreError>;
    /// Replaces a case if it still has `etag`; `PreconditionFailed` otherwise.
    async fn replace(&self, case: &Case, etag: &ETag) -> Result<Versioned<Case>, StoreError>;
    /// Lists cases by effective time and status, oldest first.
    async fn list(&self, query: &CaseQuery) -> Result<Page<Case>, StoreError>;
    /// Scheduled cases whose effective time is at or before `now` (at most `limit`).
    async fn due_scheduled(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError>;
    /// Ended cases whose follow-up ([`Case::follow_up_at`]: `delete-account`, days after
    /// the effective time) is due at or before `now` (at most `limit`), earliest first.
    async fn due_follow_ups(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError>;
    /// Cases from `source` about the person the source calls `subject_id` that are not
    /// final — used when HR reinstates someone and names the person, not the event.
    async fn open_for_subject(
        &self,
        source: Source,
        subject_id: &str,
    ) -> Result<Vec<CaseId>, StoreError>;
    /// The latest case from `source` about the person the source calls `subject_id` that
    /// ended after changing access (`completed` or `completed_with_exceptions`), by effective
    /// time — what a reinstatement that names the person rescinds once no case is open.
    async fn latest_ended_for_subject(
        &self,
        source: Source,
        subject_id: &str,
    ) -> Result<Option<CaseId>, StoreError>;
}

/// Where SCIM user resources live (offboard as a SCIM service provider).
#[async_trait]
pub trait ScimUserStore: Send + Sync {
    /// Creates a user; `Conflict` if the userName is taken (SCIM `uniqueness`).
    async fn create(&self, user: &ScimUser) -> Result<Versioned<ScimUser>, StoreError>;
    /// Reads a user by id.
    async fn get(&self, id: &str) -> Result<Option<Versioned<ScimUser>>, StoreError>;
    /// Replaces a user if it still has `etag`.
    async fn replace(
        &self,
        user: &ScimUser,
        etag: &ETag,
    ) -> Result<Versioned<ScimUser>, StoreError>;
    /// Deletes a user.
    async fn delete(&self, id: &str) -> Result<(), StoreError>;
    /// Users whose `attribute` (`userName`, compared case-insensitively, or `externalId`,
    /// compared exactly) equals `value`.
    async fn find(&self, attribute: ScimKey, value: &str) -> Result<Vec<ScimUser>, StoreError>;
    /// A page of all users, ordered by id: `start` is 0-based.
    async fn list(&self, start: u32, count: u32) -> Result<(Vec<ScimUser>, u32), StoreError>;
}

/// A message taken from a queue, invisible to others until its visibility timeout passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The message id.
    pub id: String,
    /// Proof of this dequeue, needed to delete or release the message.
    pub pop_receipt: String,
    /// The message text exactly as stored.
    pub text: String,
    /// How many times the message has been dequeued, this time included.
    pub dequeue_count: u32,
    /// When it was first enqueued.
    pub insertion_time: DateTime<Utc>,
    /// When it expires.
    pub expiration_time: DateTime<Utc>,
    /// When it becomes visible again unless deleted.
    pub next_visible_time: DateTime<Utc>,
}

/// What went wrong with a queue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The pop receipt no longer matches (another consumer took the message, or its
    /// visibility ran out): the message is not ours any more.
    #[error("message {id} is no longer held by this consumer")]
    LostMessage {
        /// The message id.
        id: String,
    },
    /// The queue does not exist.
    #[error("queue {queue} does not exist")]
    NoSuchQueue {
        /// The queue name.
        queue: String,
    },
    /// Temporary failure: retry later.
    #[error("the queue service is temporarily unavailable: {detail}")]
    Unavailable {
        /// What the service said.
        detail: String,
    },
    /// Failure retrying will not fix.
    #[error("queue error: {detail}")]
    Permanent {
        /// What the service said.
        detail: String,
    },
}

/// Checks a queue name against Azure's naming rule, which every [`MessageQueue`] keeps (the
/// embedded one too, so a name that works locally works in Azure): 3–63 characters, lowercase
/// letters, digits and single dashes, starting and ending with a letter or digit.
pub fn check_queue_name(queue: &str) -> Result<(), QueueError> {
    let ok = (3..=63).contains(&queue.len())
        && queue
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !queue.starts_with('-')
        && !queue.ends_with('-')
        && !queue.contains("--");
    if ok {
        Ok(())
    } else {
        Err(QueueError::Permanent {
            detail: format!(
                "`{queue}` is not a valid queue name: use 3-63 lowercase letters, digits and single dashes"
            ),
        })
    }
}

/// Storage queues with Azure Storage Queue semantics: at-least-once delivery, visibility
/// timeouts, dequeue counts. Message text is stored as given (encoding is the caller's
/// business: the Functions host expects base64).
#[async_trait]
pub trait MessageQueue: Send + Sync {
    /// Creates the queue if it does not exist.
    async fn ensure_queue(&self, queue: &str) -> Result<(), QueueError>;
    /// Enqueues `text`, invisible for `delay`.
    async fn send(&self, queue: &str, text: &str, delay: Duration) -> Result<String, QueueError>;
    /// Dequeues up to `max` visible messages, hiding them for `visibility`.
    async fn receive(
        &self,
        queue: &str,
        max: u32,
        visibility: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError>;
    /// Deletes a dequeued message.
    async fn delete(&self, queue: &str, id: &str, pop_receipt: &str) -> Result<(), QueueError>;
    /// Makes a dequeued message visible again after `visibility`; returns the new pop receipt.
    async fn release(
        &self,
        queue: &str,
        id: &str,
        pop_receipt: &str,
        visibility: Duration,
    ) -> Result<String, QueueError>;
    /// Number of messages in the queue, visible or not (approximate on Azure).
    async fn approximate_len(&self, queue: &str) -> Result<u64, QueueError>;
}

/// What went wrong in the evidence store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceStoreError {
    /// Something already exists at that name: evidence is written once.
    #[error("{what} already exists (evidence is write-once)")]
    Conflict {
        /// What collided.
        what: String,
    },
    /// The write succeeded but the read-back did not show the legal hold, the retention
    /// policy or the same content: the record does not count as stored.
    #[error("{what} was written but could not be confirmed: {detail}")]
    NotConfirmed {
        /// What was written.
        what: String,
        /// What the read-back showed.
        detail: String,
    },
    /// Temporary failure: retry later.
    #[error("the evidence store is temporarily unavailable: {detail}")]
    Unavailable {
        /// What the service said.
        detail: String,
    },
    /// Failure retrying will not fix (configuration, permissions).
    #[error("evidence store error: {detail}")]
    Permanent {
        /// What the service said.
        detail: String,
    },
}

/// A blob read back from the evidence store: its position (from its name) and its content,
/// which may not parse if it was tampered with.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// The position its name gives it.
    pub position: u64,
    /// The record, or why it could not be read.
    pub record: Result<crate::evidence::EvidenceRecord, String>,
}

/// Write-once storage for evidence, laid out so a case's records sit together and a
/// period's cases list cheaply:
///
/// ```text
/// cases/{YYYY-MM}/{caseId}/records/{seq:06}.json
/// cases/{YYYY-MM}/{caseId}/seal.json          (then seal-1.json, ... after a reopening)
/// ledger/{seq:012}.json
/// ```
#[async_trait]
pub trait EvidenceStore: Send + Sync {
    /// Whether this store enforces immutability.
    fn worm(&self) -> crate::evidence::WormStatus;
    /// Stores a record create-only (under legal hold and retention where enforced) and
    /// reads it back; `Conflict` if its position is taken.
    async fn put_record(
        &self,
        period: &str,
        record: &crate::evidence::EvidenceRecord,
    ) -> Result<(), EvidenceStoreError>;
    /// Stores a seal create-only under its generation (`seal.json` for generation 0,
    /// `seal-{n}.json` after).
    async fn put_seal(
        &self,
        period: &str,
        seal: &crate::evidence::Seal,
    ) -> Result<(), EvidenceStoreError>;
    /// Stores a ledger entry at its position, create-only: `Conflict` means another seal
    /// took the position first (read the head again and retry).
    async fn put_ledger_entry(
        &self,
        entry: &crate::evidence::LedgerEntry,
    ) -> Result<(), EvidenceStoreError>;
    /// A case's records as stored, by position.
    async fn records(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Vec<StoredRecord>, EvidenceStoreError>;
    /// The last record of a case (highest position), if any: how writers find the chain
    /// head without reading every record.
    async fn last_record(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<StoredRecord>, EvidenceStoreError>;
    /// A case's latest seal (highest generation: `seal.json`, then `seal-1.json`, ...), if
    /// written. A seal that does not parse is reported as `Err` inside.
    async fn seal(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<Result<crate::evidence::Seal, String>>, EvidenceStoreError>;
    /// The ledger entry at `seq`, if any.
    async fn ledger_entry(
        &self,
        seq: u64,
    ) -> Result<Option<Result<crate::evidence::LedgerEntry, String>>, EvidenceStoreError>;
    /// The cases with evidence in `period`.
    async fn cases_in_period(&self, period: &str) -> Result<Vec<CaseId>, EvidenceStoreError>;
    /// The periods that have evidence, ascending.
    async fn periods(&self) -> Result<Vec<String>, EvidenceStoreError>;
}

/// The compliance index: one entry per case, partitioned by evidence period, holding what
/// the auditor's queries need plus the hashes. It can be rebuilt from the evidence store.
#[async_trait]
pub trait CaseIndex: Send + Sync {
    /// Reads a case's entry.
    async fn get(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<Versioned<crate::evidence::IndexEntry>>, StoreError>;
    /// Writes an entry: create-if-absent when `etag` is `None` (`Conflict` if it exists),
    /// else replace if still at `etag` (`PreconditionFailed` otherwise).
    async fn put(
        &self,
        entry: &crate::evidence::IndexEntry,
        etag: Option<&ETag>,
    ) -> Result<Versioned<crate::evidence::IndexEntry>, StoreError>;
    /// Every entry of one period (a single-partition read), ordered by effective time.
    async fn list_period(
        &self,
        period: &str,
    ) -> Result<Vec<crate::evidence::IndexEntry>, StoreError>;
    /// Every entry of one period as the dashboard's lists and counts see it, ordered by
    /// effective time. A store that keeps the summary beside the entry answers without reading
    /// the entries; by default it is derived from them.
    async fn summaries(
        &self,
        period: &str,
    ) -> Result<Vec<crate::evidence::IndexSummary>, StoreError> {
        Ok(self
            .list_period(period)
            .await?
            .iter()
            .map(crate::evidence::IndexSummary::of)
            .collect())
    }
}

/// Where a remediation item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationStatus {
    /// A step failed and waits for a person.
    Open,
    /// A person asked for a retry; the step is running again.
    Retrying,
    /// The retried step succeeded (or was recorded not applicable).
    Resolved,
}

/// A failed step waiting for a person: what failed, why, and how to retry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remediation {
    /// `{caseId}:{step}`.
    pub id: String,
    /// The case.
    pub case_id: CaseId,
    /// The step.
    pub step: crate::plan::StepKind,
    /// The leaver, as HR named them.
    pub leaver: String,
    /// Why it failed (the service's error and request id).
    pub reason: String,
    /// Where it stands.
    pub status: RemediationStatus,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Failures so far.
    pub failures: u32,
}

/// Where remediation items live.
#[async_trait]
pub trait RemediationStore: Send + Sync {
    /// Creates or replaces an item.
    async fn put(&self, item: &Remediation) -> Result<(), StoreError>;
    /// Reads an item.
    async fn get(&self, id: &str) -> Result<Option<Remediation>, StoreError>;
    /// Items in `status` (all when `None`), oldest first.
    async fn list(&self, status: Option<RemediationStatus>)
    -> Result<Vec<Remediation>, StoreError>;
}

/// One mailbox on which a person holds rights, as the rights index last read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldRight {
    /// The mailbox (its UPN).
    pub mailbox: String,
    /// A shared mailbox (`RecipientTypeDetails = SharedMailbox`).
    pub shared: bool,
    /// `FullAccess`, `SendOnBehalf`.
    pub rights: Vec<String>,
}

/// An entry of the rights index: what one person holds on other mailboxes
/// ([`RightsEntry::trustee_key`]), or the last completed refresh ([`RightsEntry::RUN`]) or the
/// last refresh asked for ([`RightsEntry::REQUEST`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RightsEntry {
    /// `trustee-{upn in lower case}`, [`RightsEntry::RUN`] or [`RightsEntry::REQUEST`].
    pub id: String,
    /// When the refresh that wrote it began (for a request: when it was asked for).
    pub refreshed_at: DateTime<Utc>,
    /// A trustee's rights, shared mailboxes first.
    #[serde(default)]
    pub grants: Vec<HeldRight>,
    /// A run: mailboxes read.
    #[serde(default)]
    pub mailboxes: u32,
    /// A run: Exchange calls made.
    #[serde(default)]
    pub calls: u32,
}

impl RightsEntry {
    /// The id of the last completed refresh.
    pub const RUN: &'static str = "run";
    /// The id of the last refresh asked for.
    pub const REQUEST: &'static str = "request";

    /// The id of a trustee's entry.
    pub fn trustee_key(upn: &str) -> String {
        format!("trustee-{}", upn.to_lowercase())
    }
}

/// Where the rights index lives: which mailboxes each person holds FullAccess or SendOnBehalf
/// on, so a leaver's rights elsewhere are found with one read instead of one Exchange call per
/// mailbox in the tenant. A timer refreshes it.
#[async_trait]
pub trait RightsIndex: Send + Sync {
    /// Reads an entry.
    async fn get(&self, id: &str) -> Result<Option<RightsEntry>, StoreError>;
    /// Creates or replaces an entry.
    async fn put(&self, entry: &RightsEntry) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_follow_azure_rules() {
        assert!(check_queue_name("plan").is_ok());
        assert!(check_queue_name("plan-poison").is_ok());
        assert!(check_queue_name("Plan").is_err());
        assert!(check_queue_name("pl").is_err());
        assert!(check_queue_name("a--b").is_err());
        assert!(check_queue_name("-ab").is_err());
        assert!(check_queue_name("../x").is_err());
    }
}
