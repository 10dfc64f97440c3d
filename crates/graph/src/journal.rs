//! Announcing a change before it is sent.
//!
//! A caller that must be able to account for every change it makes — offboard's evidence —
//! cannot rely on recording a write after its answer: the process can die, or the next call
//! fail, between the answer and the record, and the change is then in the tenant but in no
//! record. So the caller runs its work inside [`with_journal`], and every request of the
//! Graph and Exchange clients that can change the tenant is first announced to the journal
//! ([`WriteJournal::before_write`]) with the `client-request-id` it will carry. The request
//! is sent only once the journal has accepted it; the id is Graph's own correlation id
//! (echoed in the answer and kept in Microsoft's request logs), so the announcement names the
//! request even when its answer is never seen. Retries inside the client reuse the id and
//! are covered by the one announcement.
//!
//! The journal is carried by the task (a Tokio task-local) rather than by every typed call,
//! so no call site can forget it; outside [`with_journal`] nothing is announced.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

/// A request that can change the tenant, about to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteAnnouncement<'a> {
    /// `graph` or `exchange`.
    pub service: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// Graph: the path below the endpoint, without the query (`/groups/{id}/members/{id}/$ref`);
    /// Exchange: empty (every cmdlet is a POST to `InvokeCommand`).
    pub path: &'a str,
    /// The operation (`removeGroupMember`) or, for Exchange, the cmdlet (`Set-Mailbox`).
    pub operation: &'a str,
    /// The `client-request-id` the request (and each in-client retry of it) carries.
    pub client_request_id: &'a str,
}

/// Where changes are announced before they are sent.
#[async_trait]
pub trait WriteJournal: Send + Sync {
    /// Records that `write` is about to be sent. An error keeps the request from being sent
    /// (the call fails as a transient error carrying the reason).
    async fn before_write(&self, write: WriteAnnouncement<'_>) -> Result<(), String>;
}

tokio::task_local! {
    static JOURNAL: Arc<dyn WriteJournal>;
}

/// Runs `work` with `journal` announced every change the clients send from this task.
pub async fn with_journal<F: Future>(journal: Arc<dyn WriteJournal>, work: F) -> F::Output {
    JOURNAL.scope(journal, work).await
}

/// Announces `write` to the task's journal, if there is one.
pub(crate) async fn announce(write: WriteAnnouncement<'_>) -> Result<(), String> {
    match JOURNAL.try_with(Arc::clone) {
        Ok(journal) => journal.before_write(write).await,
        Err(_) => Ok(()),
    }
}
