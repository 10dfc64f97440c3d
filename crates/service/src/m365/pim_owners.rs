//! The planner's reads for the PIM eligibility and ownerships a leaver keeps (issue 16): the
//! eligibility schedules as facts, and for each group, app registration and service principal
//! the leaver owns, who else owns it (so the plan can say whether a successor is needed).

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

/// The eligibility schedules as facts: roles first, then groups.
pub(crate) fn eligibility_facts(
    roles: &[RoleEligibilitySchedule],
    groups: &[GroupEligibilitySchedule],
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
    });
    let groups = groups.iter().map(|g| EligibilityFact {
        kind: EligibilityKind::Group,
        schedule_id: g.id.clone(),
        target_id: g.group_id.clone(),
        target_name: g.group.as_ref().and_then(|g| g.display_name.clone()),
        scope: g.access_id.clone(),
        privileged: false,
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
