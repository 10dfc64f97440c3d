//! `remove-pim-eligibility`: the leaver can no longer activate a directory role or a group
//! through Privileged Identity Management.
//!
//! **When it applies.** Planned when the planner found eligibility schedules with the leaver
//! as principal (`offboard_core::plan::pim_owners`). For a cloud-only leaver it goes before
//! anything acts on the account, as active roles do; for a synced one after the sign-in cut.
//! Active assignments stay with `remove-directory-roles`.
//!
//! **Act.** List the role eligibility
//! (`GET /roleManagement/directory/roleEligibilitySchedules?$filter=principalId eq '{id}'`) and
//! the PIM-for-Groups eligibility
//! (`GET /identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=principalId eq '{id}'`),
//! then remove each with a schedule request, `action: adminRemove`
//! (`POST …/roleEligibilityScheduleRequests`, `RoleManagement.ReadWrite.Directory`;
//! `POST …/group/eligibilityScheduleRequests`,
//! `PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup`). Only what the listing shows is
//! removed, so a replay sends nothing; a 404 counts as gone once the read-back agrees.
//!
//! **Verify.** List both again; each removed schedule must be absent.
//!
//! **Evidence.** One action per eligibility: the role or group (id and name), its scope or
//! access, the request with Graph's status, request id and the request's own status
//! (`Revoked`), and the read-back; an eligibility the planner saw that is already gone is
//! recorded with the listing that shows it absent.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::{EligibilityKind, StepKind};
use offboard_graph::pim::{
    GROUP_ELIGIBILITY_REQUESTS, GROUP_ELIGIBILITY_SCHEDULES, ROLE_ELIGIBILITY_REQUESTS,
    ROLE_ELIGIBILITY_SCHEDULES,
};
use offboard_graph::{GraphError, Reply, ScheduleRequest};

use super::common::{Attempt, ENTRA, user_id};
use super::emptied::Emptying;
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Why an eligibility the planner saw was already gone.
const ABSENT: &str = "absent when this attempt read the eligibility schedules: removed by an earlier attempt of this step or outside offboard";

/// What the requests say in Entra's audit log.
const JUSTIFICATION: &str = "Leaver offboarding: eligibility removed by offboard";

/// Removes the leaver's PIM eligibility.
#[derive(Debug, Clone)]
pub struct RemovePimEligibility {
    tenant: Arc<Tenant>,
}

impl RemovePimEligibility {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// Sends one removal request: accepted (with the request's id and status in the evidence),
/// already gone, refused or to be retried, as [`Emptying::remove`] decides.
fn sent(
    run: &mut Emptying,
    act: Attempt,
    schedule: &str,
    result: Result<Reply<ScheduleRequest>, GraphError>,
) -> Result<(), StepFailure> {
    match result {
        Ok(r) => {
            let details = json!({"scheduleRequestId": r.value.id, "requestStatus": r.value.status});
            run.sent(act, schedule, r.map(|_| ()), details);
            Ok(())
        }
        Err(e) => run.remove(act, schedule, Err(e)),
    }
}

#[async_trait]
impl StepAction for RemovePimEligibility {
    fn kind(&self) -> StepKind {
        StepKind::RemovePimEligibility
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let filter = format!("?$filter=principalId eq '{id}'");
        let listing = |what: &str, path: &str| {
            let outline = format!("{path}{filter}");
            Emptying::new(
                Attempt::new(ENTRA, what.to_owned(), vec![id.to_owned()])
                    .request("GET", outline.clone()),
                outline,
                "eligible",
                "eligibilities",
                ABSENT,
            )
        };

        // Act: read first.
        let mut roles = listing(
            "list PIM-eligible directory roles",
            ROLE_ELIGIBILITY_SCHEDULES,
        );
        let mut groups = listing(
            "list PIM-for-Groups eligibility",
            GROUP_ELIGIBILITY_SCHEDULES,
        );
        let before_roles = graph
            .role_eligibilities_of(id)
            .await
            .map_err(|e| roles.read().clone().fail(&e))?;
        let before_groups = graph
            .group_eligibilities_of(id)
            .await
            .map_err(|e| groups.read().clone().fail(&e))?;
        for e in &before_roles.value {
            let name = e
                .role_definition
                .as_ref()
                .and_then(|d| d.display_name.clone())
                .unwrap_or_else(|| e.role_definition_id.clone());
            let scope = e.directory_scope_id.as_deref().unwrap_or("/");
            let act = Attempt::new(
                ENTRA,
                format!(
                    "remove eligibility for directory role {name} at scope {scope} (schedule {})",
                    e.id
                ),
                vec![id.to_owned(), e.id.clone(), e.role_definition_id.clone()],
            )
            .request(
                "POST",
                format!("{ROLE_ELIGIBILITY_REQUESTS} {{action: adminRemove}}"),
            );
            let result = graph.remove_role_eligibility(e, JUSTIFICATION).await;
            sent(&mut roles, act, &e.id, result)?;
        }
        for e in &before_groups.value {
            let name = e
                .group
                .as_ref()
                .and_then(|g| g.display_name.clone())
                .unwrap_or_else(|| e.group_id.clone());
            let act = Attempt::new(
                ENTRA,
                format!(
                    "remove eligible {} of group {name} (schedule {})",
                    e.access_id, e.id
                ),
                vec![id.to_owned(), e.id.clone(), e.group_id.clone()],
            )
            .request(
                "POST",
                format!("{GROUP_ELIGIBILITY_REQUESTS} {{action: adminRemove}}"),
            );
            let result = graph.remove_group_eligibility(e, JUSTIFICATION).await;
            sent(&mut groups, act, &e.id, result)?;
        }

        // Verify.
        let after_roles = if roles.sent_any() {
            graph
                .role_eligibilities_of(id)
                .await
                .map_err(|e| roles.read().clone().fail(&e))?
        } else {
            before_roles.clone()
        };
        let after_groups = if groups.sent_any() {
            graph
                .group_eligibilities_of(id)
                .await
                .map_err(|e| groups.read().clone().fail(&e))?
        } else {
            before_groups.clone()
        };
        roles.check(&after_roles, |s| {
            after_roles.value.iter().any(|e| e.id == s)
        });
        groups.check(&after_groups, |s| {
            after_groups.value.iter().any(|e| e.id == s)
        });
        for f in &ctx.facts.pim_eligibilities {
            let (run, seen) = match f.kind {
                EligibilityKind::DirectoryRole => (
                    &mut roles,
                    before_roles.value.iter().any(|e| e.id == f.schedule_id),
                ),
                EligibilityKind::Group => (
                    &mut groups,
                    before_groups.value.iter().any(|e| e.id == f.schedule_id),
                ),
            };
            if seen {
                continue;
            }
            let action = format!(
                "eligibility {} for {} (schedule {}) already removed",
                f.scope,
                f.name(),
                f.schedule_id
            );
            let targets = vec![id.to_owned(), f.schedule_id.clone(), f.target_id.clone()];
            match f.kind {
                EligibilityKind::DirectoryRole => {
                    run.already_absent(ENTRA, action, targets, &before_roles)
                }
                EligibilityKind::Group => {
                    run.already_absent(ENTRA, action, targets, &before_groups)
                }
            }
        }
        let mut actions = roles.report(&after_roles).actions;
        actions.extend(groups.report(&after_groups).actions);
        Ok(StepReport::from_actions(actions))
    }
}
