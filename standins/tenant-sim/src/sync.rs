//! The seam for a directory sync model.
//!
//! For a synced user the source of authority is on-premises AD: offboard disables the AD
//! account (through the agent) and then waits for Entra Connect / Cloud Sync to carry
//! `accountEnabled = false` to the cloud object, which Graph refuses to patch directly. The
//! tenant keeps the AD side of each synced user in `User::on_premises`; a [`DirectorySync`]
//! decides when that state reaches the cloud. The engine calls it before every request, with
//! the tenant locked, so a model sees a consistent tenant and its effect is visible to the
//! request that follows.
//!
//! Two models are provided: [`NoDirectorySync`] (nothing flows until a test calls
//! `SimHandle::run_directory_sync`, like `Start-ADSyncSyncCycle -PolicyType Delta`) and
//! [`DelayedDirectorySync`] (each AD change reaches the cloud a fixed delay after it was made,
//! like the 30-minute default sync cycle compressed for tests). A richer model (password hash
//! sync, group membership, sync errors) implements the same trait.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::Tenant;

/// Carries on-premises state of synced users to their cloud objects.
pub trait DirectorySync: Send {
    /// Called before each request with the tenant locked.
    fn before_request(&mut self, tenant: &mut Tenant, now: DateTime<Utc>);
}

/// No automatic sync: AD changes stay pending until [`sync_now`] runs.
#[derive(Debug, Default)]
pub struct NoDirectorySync;

impl DirectorySync for NoDirectorySync {
    fn before_request(&mut self, _tenant: &mut Tenant, _now: DateTime<Utc>) {}
}

/// Applies each pending AD change once it is `delay` old.
#[derive(Debug)]
pub struct DelayedDirectorySync {
    /// How long after an AD change the cloud object follows.
    pub delay: Duration,
}

impl DirectorySync for DelayedDirectorySync {
    fn before_request(&mut self, tenant: &mut Tenant, now: DateTime<Utc>) {
        let delay = chrono::Duration::from_std(self.delay).unwrap_or(chrono::Duration::MAX);
        apply(tenant, now, |changed_at| changed_at + delay <= now);
    }
}

/// Applies every pending AD change now (a manual delta sync).
pub fn sync_now(tenant: &mut Tenant, now: DateTime<Utc>) {
    apply(tenant, now, |_| true);
}

fn apply(tenant: &mut Tenant, now: DateTime<Utc>, due: impl Fn(DateTime<Utc>) -> bool) {
    for user in tenant.users.iter_mut().filter(|u| u.is_synced()) {
        let Some(onprem) = user.on_premises.as_mut() else {
            continue;
        };
        if let Some(changed_at) = onprem.changed_at
            && due(changed_at)
        {
            user.account_enabled = onprem.account_enabled;
            user.on_premises_last_sync_date_time = Some(now);
            onprem.changed_at = None;
        }
    }
}

/// Records an AD-side change of a synced user's enabled state (what the agent's LDAP write does).
/// Returns false when the user is unknown or not synced.
pub fn set_on_premises_enabled(
    tenant: &mut Tenant,
    user: &str,
    enabled: bool,
    now: DateTime<Utc>,
) -> bool {
    match tenant.user_mut(user) {
        Some(u) if u.is_synced() => {
            let state = u.on_premises.get_or_insert(crate::model::OnPremisesState {
                account_enabled: u.account_enabled,
                changed_at: None,
            });
            state.account_enabled = enabled;
            state.changed_at = Some(now);
            true
        }
        _ => false,
    }
}
