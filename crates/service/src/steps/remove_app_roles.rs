//! `remove-app-roles`: the leaver is no longer assigned to any enterprise application.
//!
//! **When it applies.** Planned when the planner found app role assignments, after sign-in is
//! cut (`offboard_core::plan::build`). Assignments inherited through a group go with the
//! group membership (`remove-groups`).
//!
//! **Act.** List the assignments (`GET /users/{id}/appRoleAssignments`) and delete each
//! (`DELETE /users/{id}/appRoleAssignments/{assignmentId}`, `AppRoleAssignment.ReadWrite.All`).
//! An assignment already gone is not deleted again, so a replay changes nothing; a 404 on
//! delete counts as gone once the read-back agrees.
//!
//! **Verify.** List the assignments again; each deleted one must be absent.
//!
//! **Evidence.** One action per assignment: the DELETE with status, Graph's request id and
//! the read-back, or — for an assignment the planner saw that is already gone — the listing
//! that shows it absent.

use async_trait::async_trait;
use std::sync::Arc;

use offboard_core::plan::StepKind;

use super::common::{Attempt, ENTRA, user_id};
use super::emptied::Emptying;
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Why an assignment the planner saw was already gone.
const ABSENT: &str = "absent when this attempt read the assignments: removed by an earlier attempt of this step or outside offboard";

/// Removes app role assignments.
#[derive(Debug, Clone)]
pub struct RemoveAppRoles {
    tenant: Arc<Tenant>,
}

impl RemoveAppRoles {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for RemoveAppRoles {
    fn kind(&self) -> StepKind {
        StepKind::RemoveAppRoles
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let list_outline = format!("/users/{id}/appRoleAssignments");

        // Act: read first.
        let mut run = Emptying::new(
            Attempt::new(ENTRA, "list app role assignments", vec![id.to_owned()])
                .request("GET", list_outline.clone()),
            list_outline,
            "assigned",
            "assignments",
            ABSENT,
        );
        let before = graph
            .app_role_assignments(id)
            .await
            .map_err(|e| run.read().clone().fail(&e))?;
        for a in &before.value {
            let app = a
                .resource_display_name
                .clone()
                .unwrap_or_else(|| a.resource_id.clone());
            let act = Attempt::new(
                ENTRA,
                format!("remove access to {app} (app role assignment {})", a.id),
                vec![id.to_owned(), a.id.clone(), a.resource_id.clone()],
            )
            .request("DELETE", format!("/users/{id}/appRoleAssignments/{}", a.id));
            run.remove(
                act,
                &a.id,
                graph.remove_app_role_assignment(id, &a.id).await,
            )?;
        }

        // Verify.
        let after = if run.sent_any() {
            graph
                .app_role_assignments(id)
                .await
                .map_err(|e| run.read().clone().fail(&e))?
        } else {
            before.clone()
        };
        run.check(&after, |aid| after.value.iter().any(|a| a.id == aid));
        for f in &ctx.facts.app_roles {
            if !before.value.iter().any(|a| a.id == f.assignment_id) {
                run.already_absent(
                    ENTRA,
                    format!(
                        "access to {} (app role assignment {}) already removed",
                        f.resource_name.as_deref().unwrap_or("an application"),
                        f.assignment_id
                    ),
                    vec![id.to_owned(), f.assignment_id.clone()],
                    &before,
                );
            }
        }
        Ok(run.report(&after))
    }
}
