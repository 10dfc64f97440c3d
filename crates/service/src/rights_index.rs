//! The rights index: which mailboxes each person holds FullAccess or SendOnBehalf on, so that
//! `remove-mailbox-rights-elsewhere` finds a leaver's rights with one read instead of one
//! Exchange call per mailbox in the tenant.
//!
//! Exchange lists FullAccess only per mailbox (`Get-MailboxPermission -Identity`), so someone
//! has to ask every mailbox; the refresh does it once for everybody, off the leavers' path:
//! one `Get-Mailbox -ResultSize Unlimited` (which also carries each mailbox's
//! `GrantSendOnBehalfTo`), then one `Get-MailboxPermission` per mailbox, shared mailboxes
//! first. It writes one entry per trustee and then the run marker ([`RightsEntry::RUN`]). A
//! trustee entry older than the last run was not seen by that run and counts as empty. SendAs
//! is not indexed: `Get-RecipientPermission -Trustee` finds it tenant-wide in one call, so the
//! step asks it live.
//!
//! The refresh runs on the `rights-index` queue: the `rights-index-timer` function sends a
//! message every night, and the step sends one when the index has never been built (at most
//! one an hour, [`RightsIndexService::request_refresh`]).

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use offboard_core::messages::RIGHTS_INDEX_QUEUE;
use offboard_core::ports::{
    HeldRight, MessageQueue, QueueError, RightsEntry, RightsIndex, StoreError,
};
use offboard_graph::GraphError;

use crate::m365::Tenant;

/// A request for a refresh, as queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshMessage {
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// Who asked (`timer`, or the case whose step found no index).
    pub by: String,
}

/// What one refresh read and wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshReport {
    /// Mailboxes read.
    pub mailboxes: u32,
    /// Trustees written.
    pub trustees: u32,
    /// Exchange calls made.
    pub calls: u32,
}

/// What the index knows about one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// No refresh has completed yet.
    NeverBuilt,
    /// The rights the last completed refresh (started at `refreshed_at`) saw.
    Rights {
        /// FullAccess and SendOnBehalf on other mailboxes, shared mailboxes first.
        grants: Vec<HeldRight>,
        /// When that refresh began.
        refreshed_at: DateTime<Utc>,
    },
}

/// Why the index could not be read, written or refreshed.
#[derive(Debug, thiserror::Error)]
pub enum RightsIndexError {
    /// The store.
    #[error("rights index: {0}")]
    Store(#[from] StoreError),
    /// The queue.
    #[error("rights index refresh request: {0}")]
    Queue(#[from] QueueError),
    /// Exchange.
    #[error("rights index refresh: {0}")]
    Exchange(#[from] GraphError),
    /// A message that does not read.
    #[error("rights index refresh: {0}")]
    Message(String),
}

impl RightsIndexError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(e) => e.is_transient(),
            Self::Queue(e) => matches!(e, QueueError::Unavailable { .. }),
            Self::Exchange(e) => e.is_retryable(),
            Self::Message(_) => false,
        }
    }
}

/// How long a refresh request stands before another may be sent.
const REQUEST_STANDS: TimeDelta = TimeDelta::hours(1);

/// The rights index over its store, Exchange and the refresh queue.
#[derive(Clone)]
pub struct RightsIndexService {
    tenant: Arc<Tenant>,
    index: Arc<dyn RightsIndex>,
    queue: Arc<dyn MessageQueue>,
}

impl std::fmt::Debug for RightsIndexService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RightsIndexService").finish_non_exhaustive()
    }
}

fn trustee_of(user: &str) -> Option<String> {
    // Exchange lists the mailbox's own SELF entry and well-known principals
    // (`NT AUTHORITY\SELF`, `S-1-5-…`) beside people; only people are indexed.
    (user.contains('@')).then(|| user.to_lowercase())
}

impl RightsIndexService {
    /// The index in `index`, refreshed from `tenant`, with refresh requests on `queue`.
    pub fn new(
        tenant: Arc<Tenant>,
        index: Arc<dyn RightsIndex>,
        queue: Arc<dyn MessageQueue>,
    ) -> Self {
        Self {
            tenant,
            index,
            queue,
        }
    }

    /// What the last completed refresh saw of `upn`'s rights.
    pub async fn lookup(&self, upn: &str) -> Result<Lookup, RightsIndexError> {
        let Some(run) = self.index.get(RightsEntry::RUN).await? else {
            return Ok(Lookup::NeverBuilt);
        };
        let grants = match self.index.get(&RightsEntry::trustee_key(upn)).await? {
            Some(e) if e.refreshed_at >= run.refreshed_at => e.grants,
            _ => Vec::new(),
        };
        Ok(Lookup::Rights {
            grants,
            refreshed_at: run.refreshed_at,
        })
    }

    /// Asks for a refresh unless one was asked for within the hour. Returns whether it sent.
    pub async fn request_refresh(
        &self,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, RightsIndexError> {
        if let Some(r) = self.index.get(RightsEntry::REQUEST).await?
            && now - r.refreshed_at < REQUEST_STANDS
        {
            return Ok(false);
        }
        self.index
            .put(&RightsEntry {
                id: RightsEntry::REQUEST.to_owned(),
                refreshed_at: now,
                grants: Vec::new(),
                mailboxes: 0,
                calls: 0,
            })
            .await?;
        let text = offboard_core::messages::encode(&RefreshMessage {
            requested_at: now,
            by: by.to_owned(),
        })
        .map_err(|e| RightsIndexError::Message(e.to_string()))?;
        self.queue
            .send(RIGHTS_INDEX_QUEUE, &text, Duration::ZERO)
            .await?;
        Ok(true)
    }

    /// Reads every mailbox's FullAccess and SendOnBehalf (shared mailboxes first) and writes
    /// one entry per trustee, then the run marker.
    pub async fn refresh(&self, now: DateTime<Utc>) -> Result<RefreshReport, RightsIndexError> {
        let exo = &self.tenant.exchange;
        let mut calls = 1u32;
        let mut mailboxes = exo.mailboxes(false).await?.value;
        // Shared mailboxes first: they are where a leaver's rights usually are, and a refresh
        // cut short by a timeout has them.
        mailboxes.sort_by_key(|m| !m.is_shared());
        let mut held: BTreeMap<String, Vec<HeldRight>> = BTreeMap::new();
        let mut read = 0u32;
        for m in &mailboxes {
            let Some(upn) = m
                .user_principal_name
                .clone()
                .or_else(|| m.primary_smtp_address.clone())
            else {
                continue;
            };
            let mut rights: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for d in &m.grant_send_on_behalf_to {
                if let Some(t) = trustee_of(d) {
                    rights.entry(t).or_default().push("SendOnBehalf".to_owned());
                }
            }
            calls += 1;
            let perms = match exo.mailbox_permissions(&upn).await {
                Ok(p) => p.value,
                // Deleted between the listing and now.
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            read += 1;
            for p in perms {
                let full = p.access_rights.iter().any(|r| r == "FullAccess");
                if !full || p.deny == Some(true) || p.is_inherited == Some(true) {
                    continue;
                }
                if let Some(t) = p.user.as_deref().and_then(trustee_of)
                    && !t.eq_ignore_ascii_case(&upn)
                {
                    rights.entry(t).or_default().push("FullAccess".to_owned());
                }
            }
            for (t, mut r) in rights {
                r.sort();
                r.dedup();
                held.entry(t).or_default().push(HeldRight {
                    mailbox: upn.clone(),
                    shared: m.is_shared(),
                    rights: r,
                });
            }
        }
        let trustees = u32::try_from(held.len()).unwrap_or(u32::MAX);
        for (t, grants) in held {
            self.index
                .put(&RightsEntry {
                    id: RightsEntry::trustee_key(&t),
                    refreshed_at: now,
                    grants,
                    mailboxes: 0,
                    calls: 0,
                })
                .await?;
        }
        self.index
            .put(&RightsEntry {
                id: RightsEntry::RUN.to_owned(),
                refreshed_at: now,
                grants: Vec::new(),
                mailboxes: read,
                calls,
            })
            .await?;
        Ok(RefreshReport {
            mailboxes: read,
            trustees,
            calls,
        })
    }
}
