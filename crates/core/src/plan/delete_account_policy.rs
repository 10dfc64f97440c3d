//! The policy's `[delete_account]` section and Entra ID's soft-delete window (issue 16,
//! `delete-account`). A leaf: the policy reads it, and the planning in `delete_account.rs`
//! reads both.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// How long Entra ID keeps a deleted user restorable in `/directory/deletedItems` before it
/// deletes it for good ("Delete a user", Graph v1.0).
pub const SOFT_DELETE_DAYS: i64 = 30;

/// The policy's `[delete_account]` section (for every kind; a kind can still leave the step
/// out with `skip = ["delete-account"]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountPolicy {
    /// Whether leavers' accounts are deleted at all (off by default).
    #[serde(default)]
    pub enabled: bool,
    /// Days after the effective time at which the account is deleted.
    #[serde(default = "default_days")]
    pub after_days: u32,
    /// Whether a synced leaver's AD account is deleted through the on-prem agent (directory
    /// sync then deletes the cloud account); otherwise the step records an exception naming
    /// the AD object to delete.
    #[serde(default)]
    pub synced_via_ad: bool,
}

fn default_days() -> u32 {
    30
}

impl Default for DeleteAccountPolicy {
    fn default() -> Self {
        Self {
            enabled: false,
            after_days: default_days(),
            synced_via_ad: false,
        }
    }
}

impl DeleteAccountPolicy {
    /// When the account of a termination effective at `effective_at` is deleted.
    pub fn due_at(&self, effective_at: DateTime<Utc>) -> DateTime<Utc> {
        effective_at + Duration::days(i64::from(self.after_days))
    }
}

/// When a deleted account is gone for good: Entra ID's soft-delete window after `deleted_at`.
pub fn gone_for_good_at(deleted_at: DateTime<Utc>) -> DateTime<Utc> {
    deleted_at + Duration::days(SOFT_DELETE_DAYS)
}
