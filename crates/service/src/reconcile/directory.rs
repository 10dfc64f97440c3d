//! The directory as the scan reads it: every Entra ID user in pages, the members of excluded
//! groups, sign-in activity for suspects, and the group memberships completed cases removed.

use std::collections::{BTreeMap, BTreeSet};

use offboard_core::case::Case;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_core::reconcile::{Account, FindingKind, Observation};
use offboard_graph::directory::DirectoryUser;
use offboard_graph::{BatchRequest, GraphClient, GraphError, MAX_BATCH_REQUESTS};

/// What the directory read gave.
pub struct DirectoryRead {
    /// Every user as the scan judges accounts.
    pub accounts: Vec<Account>,
    /// Every user as Graph answered (the `entra` population source reads them).
    pub users: Vec<DirectoryUser>,
    /// Graph requests made.
    pub requests: u64,
}

/// Reads every user (with `employeeLeaveDateTime` when Entra is a source) and marks the
/// members of the policy's excluded groups.
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
        .iter()
        .map(|u| Account {
            object_id: u.id.clone(),
            upn: u.user_principal_name.clone(),
            mail: u.mail.clone(),
            display_name: u.display_name.clone(),
            employee_id: u.employee_id.clone(),
            enabled: u.account_enabled.unwrap_or(false),
            member: u.user_type.as_deref().is_none_or(|t| t == "Member"),
            employee_type: u.employee_type.clone(),
            leave_at: u.employee_leave_date_time,
            on_premises_dn: u.on_premises_distinguished_name.clone(),
            last_successful_sign_in: None,
            in_excluded_group: excluded.contains(&u.id),
            directory: "entra".into(),
        })
        .collect();
    Ok(DirectoryRead {
        accounts,
        users: listing.items,
        requests,
    })
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

/// Group memberships that came back: for each completed case whose `remove-groups` step was
/// verified, the leaver's groups now, against the groups the plan removed. Returns the
/// observations and the requests made.
pub async fn groups_returned(
    graph: &GraphClient,
    cases: &[&Case],
) -> Result<(Vec<Observation>, u64), GraphError> {
    let checked: Vec<&Case> = cases
        .iter()
        .copied()
        .filter(|c| {
            c.plan.as_ref().is_some_and(|p| {
                p.step(StepKind::RemoveGroups)
                    .is_some_and(|s| s.status == StepStatus::Verified)
                    && p.facts.groups.iter().any(|g| g.removable)
            })
        })
        .collect();
    let mut out = Vec::new();
    let mut requests = 0;
    for chunk in checked.chunks(MAX_BATCH_REQUESTS) {
        let batch = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let user = &c.plan.as_ref()?.facts.user.id;
                Some(BatchRequest::member_of_groups(&i.to_string(), user))
            })
            .collect();
        let replies = graph.batch(batch).await?;
        requests += 1;
        for r in replies.value {
            let Some(case) = r.id.parse::<usize>().ok().and_then(|i| chunk.get(i)) else {
                continue;
            };
            let Some(plan) = case.plan.as_ref() else {
                continue;
            };
            if r.status == 404 {
                continue;
            }
            let now: Vec<offboard_graph::Group> = r.into_list()?.value;
            for g in plan.facts.groups.iter().filter(|g| g.removable) {
                if now.iter().any(|n| n.id == g.id) {
                    let name = g.display_name.clone().unwrap_or_else(|| g.id.clone());
                    out.push(Observation {
                        id: format!("access_returned:{}:group:{}", case.id, g.id),
                        kind: FindingKind::AccessReturned,
                        subject: plan
                            .facts
                            .user
                            .user_principal_name
                            .clone()
                            .unwrap_or_else(|| plan.facts.user.id.clone()),
                        object_id: Some(plan.facts.user.id.clone()),
                        case_id: Some(case.id.clone()),
                        what: format!("member of group {name} again after the case removed it"),
                        since: None,
                        action: "find who re-added them (group audit log); remove them again (auto_remediate re-runs remove-groups on the case)".into(),
                    });
                }
            }
        }
    }
    Ok((out, requests))
}
