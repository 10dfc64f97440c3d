//! The directory as the scan reads it: every Entra ID user in pages, the members of excluded
//! groups, and sign-in activity for suspects.

use std::collections::{BTreeMap, BTreeSet};

use offboard_core::reconcile::Account;
use offboard_graph::{GraphClient, GraphError};

/// What the directory read gave.
pub struct DirectoryRead {
    /// Every user as the scan judges accounts (the `entra` population source reads them too).
    pub accounts: Vec<Account>,
    /// Graph requests made.
    pub requests: u64,
}

/// Reads every user (with `employeeLeaveDateTime` when Entra is a source) and marks the
/// members of the policy's excluded groups. Each page's users become accounts as they are
/// (their text moved, not copied): a 100,000-user tenant is held once.
pub async fn read(
    graph: &GraphClient,
    leave_dates: bool,
    exclude_groups: &[String],
) -> Result<DirectoryRead, GraphError> {
    let listing = graph.scan_users(leave_dates).await?;
    let mut requests = listing.requests;
    let mut excluded = BTreeSet::new();
    for g in exclude_groups {
        let m = graph.group_member_ids(g).await?;
        requests += m.requests;
        excluded.extend(m.items);
    }
    let accounts = listing
        .items
        .into_iter()
        .map(|u| Account {
            in_excluded_group: excluded.contains(&u.id),
            enabled: u.account_enabled.unwrap_or(false),
            member: u.user_type.as_deref().is_none_or(|t| t == "Member"),
            object_id: u.id,
            upn: u.user_principal_name,
            mail: u.mail,
            display_name: u.display_name,
            employee_id: u.employee_id,
            employee_type: u.employee_type,
            leave_at: u.employee_leave_date_time,
            on_premises_dn: u.on_premises_distinguished_name,
            last_successful_sign_in: None,
            directory: "entra".into(),
        })
        .collect();
    Ok(DirectoryRead { accounts, requests })
}

/// Fills in the last successful sign-in of the accounts in `suspects` (20 to a batch).
pub async fn sign_ins(
    graph: &GraphClient,
    accounts: &mut [Account],
    suspects: &BTreeSet<String>,
) -> Result<u64, GraphError> {
    if suspects.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = suspects.iter().cloned().collect();
    let read = graph.last_successful_sign_ins(&ids).await?;
    let at: BTreeMap<String, _> = read.items.into_iter().collect();
    for a in accounts.iter_mut() {
        if let Some(t) = at.get(&a.object_id) {
            a.last_successful_sign_in = *t;
        }
    }
    Ok(read.requests)
}
