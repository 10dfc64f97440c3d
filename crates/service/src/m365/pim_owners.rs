//! The planner's reads for the PIM eligibility and ownerships a leaver keeps (issue 16): the
//! eligibility schedules as facts, and for each group, app registration and service principal
//! the leaver owns, who else owns it (so the plan can say whether a successor is needed).

use std::collections::{BTreeMap, BTreeSet};

use offboard_core::plan::{EligibilityFact, EligibilityKind, OwnedKind, OwnedObjectFact};
use offboard_graph::{GraphClient, GroupEligibilitySchedule, OwnedObject, RoleEligibilitySchedule};

use super::tenant::step_failure;
use crate::attempt::StepFailure;

/// The kind of an owned object by its `@odata.type`; other kinds (devices...) are not
/// handed over by `transfer-ownerships`.
pub(crate) fn owned_kind(odata_type: &str) -> Option<OwnedKind> {
    match odata_type.trim_start_matches('#') {
        "microsoft.graph.group" => Some(OwnedKind::Group),
        "microsoft.graph.application" => Some(OwnedKind::Application),
        "microsoft.graph.servicePrincipal" => Some(OwnedKind::ServicePrincipal),
        _ => None,
    }
}

/// The privileged directory roles each of `group_ids` holds, by group id (a group holding
/// none is left out): `GET /roleManagement/directory/roleAssignments?$filter=principalId eq
/// '{group}'`, one list a group. Only role-assignable groups hold directory roles, so the
/// caller asks for those the leaver is in and those they are PIM-eligible for — a handful at
/// most, none for most leavers.
pub(crate) async fn privileged_roles_of_groups(
    graph: &GraphClient,
    group_ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, Vec<String>>, StepFailure> {
    let mut held = BTreeMap::new();
    for id in group_ids {
        let roles = graph.role_assignments_of(id).await.map_err(|e| {
            step_failure(&e, "read the directory roles a role-assignable group holds")
        })?;
        let names: Vec<String> = roles
            .value
            .iter()
            .filter(|r| offboard_core::privileged_roles::is_privileged(&r.role_definition_id))
            .map(|r| {
                r.role_definition
                    .as_ref()
                    .and_then(|d| d.display_name.clone())
                    .unwrap_or_else(|| r.role_definition_id.clone())
            })
            .collect();
        if !names.is_empty() {
            held.insert(id.clone(), names);
        }
    }
    Ok(held)
}

/// The eligibility schedules as facts: roles first, then groups, each group with the
/// privileged roles it holds (`group_roles`, from [`privileged_roles_of_groups`]).
pub(crate) fn eligibility_facts(
    roles: &[RoleEligibilitySchedule],
    groups: &[GroupEligibilitySchedule],
    group_roles: &BTreeMap<String, Vec<String>>,
) -> Vec<EligibilityFact> {
    let roles = roles.iter().map(|r| EligibilityFact {
        kind: EligibilityKind::DirectoryRole,
        schedule_id: r.id.clone(),
        target_id: r.role_definition_id.clone(),
        target_name: r
            .role_definition
            .as_ref()
            .and_then(|d| d.display_name.clone()),
        scope: r
            .directory_scope_id
            .clone()
            .unwrap_or_else(|| "/".to_owned()),
        privileged: offboard_core::privileged_roles::is_privileged(&r.role_definition_id),
        privileged_roles: Vec::new(),
    });
    let groups = groups.iter().map(|g| {
        let held = group_roles.get(&g.group_id).cloned().unwrap_or_default();
        EligibilityFact {
            kind: EligibilityKind::Group,
            schedule_id: g.id.clone(),
            target_id: g.group_id.clone(),
            target_name: g.group.as_ref().and_then(|g| g.display_name.clone()),
            scope: g.access_id.clone(),
            privileged: !held.is_empty(),
            privileged_roles: held,
        }
    });
    roles.chain(groups).collect()
}

/// The groups, app registrations and service principals in `owned`, each with its other
/// owners read from Graph (`GET /{collection}/{id}/owners`).
pub(crate) async fn owned_facts(
    graph: &GraphClient,
    user_id: &str,
    owned: &[OwnedObject],
) -> Result<Vec<OwnedObjectFact>, StepFailure> {
    let mut out = Vec::new();
    for o in owned {
        let Some(kind) = owned_kind(&o.odata_type) else {
            continue;
        };
        let owners = graph
            .owners_of(kind.collection(), &o.id)
            .await
            .map_err(|e| {
                step_failure(&e, &format!("read the owners of {} {}", kind.label(), o.id))
            })?
            .value;
        out.push(OwnedObjectFact {
            kind,
            id: o.id.clone(),
            display_name: o.display_name.clone(),
            other_owners: owners
                .into_iter()
                .filter(|w| !w.id.eq_ignore_ascii_case(user_id))
                .map(|w| w.id)
                .collect(),
        });
    }
    Ok(out)
}
