//! `remove-directory-roles`: the leaver holds no Entra directory role.
//!
//! **When it applies.** Planned when the planner found role assignments, after sign-in is cut
//! (`offboard_core::plan::build`). Roles held through a role-assignable group go with that
//! group's membership (`remove-groups`). PIM *eligible* assignments are not active roles, are
//! not listed by this call and are not handled here.
//!
//! **Act.** List the active assignments
//! (`GET /roleManagement/directory/roleAssignments?$filter=principalId eq '{id}'`) and delete
//! each (`DELETE /roleManagement/directory/roleAssignments/{assignmentId}`,
//! `RoleManagement.ReadWrite.Directory`). An assignment already gone is not deleted again, so
//! a replay changes nothing; a 404 on delete counts as gone once the read-back agrees.
//!
//! **Verify.** List the assignments again; each deleted one must be absent.
//!
//! **Evidence.** One action per assignment: the DELETE with status, Graph's request id and
//! the read-back, or — for an assignment the planner saw that is already gone — the listing
//! that shows it absent.

use async_trait::async_trait;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::RoleAssignment;

use super::common::{Attempt, ENTRA, user_id};
use super::emptied::Emptying;
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Why an assignment the planner saw was already gone.
const ABSENT: &str = "absent when this attempt read the assignments: removed by an earlier attempt of this step or outside offboard";

/// Removes directory role assignments.
#[derive(Debug, Clone)]
pub struct RemoveDirectoryRoles {
    tenant: Arc<Tenant>,
}

impl RemoveDirectoryRoles {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

fn role_name(a: &RoleAssignment) -> String {
    a.role_definition
        .as_ref()
        .and_then(|d| d.display_name.clone())
        .unwrap_or_else(|| a.role_definition_id.clone())
}

#[async_trait]
impl StepAction for RemoveDirectoryRoles {
    fn kind(&self) -> StepKind {
        StepKind::RemoveDirectoryRoles
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let list_outline =
            format!("/roleManagement/directory/roleAssignments?$filter=principalId eq '{id}'");

        // Act: read first.
        let mut run = Emptying::new(
            Attempt::new(
                ENTRA,
                "list directory role assignments",
                vec![id.to_owned()],
            )
            .request("GET", list_outline.clone()),
            list_outline,
            "assigned",
            "assignments",
            ABSENT,
        );
        let before = graph
            .role_assignments_of(id)
            .await
            .map_err(|e| run.read().clone().fail(&e))?;
        for a in &before.value {
            let act = Attempt::new(
                ENTRA,
                format!(
                    "remove directory role {} (assignment {})",
                    role_name(a),
                    a.id
                ),
                vec![id.to_owned(), a.id.clone(), a.role_definition_id.clone()],
            )
            .request(
                "DELETE",
                format!("/roleManagement/directory/roleAssignments/{}", a.id),
            );
            run.remove(act, &a.id, graph.remove_role_assignment(&a.id).await)?;
        }

        // Verify.
        let after = if run.sent_any() {
            graph
                .role_assignments_of(id)
                .await
                .map_err(|e| run.read().clone().fail(&e))?
        } else {
            before.clone()
        };
        run.check(&after, |aid| after.value.iter().any(|a| a.id == aid));
        for f in &ctx.facts.directory_roles {
            if !before.value.iter().any(|a| a.id == f.assignment_id) {
                run.already_absent(
                    ENTRA,
                    format!(
                        "directory role {} (assignment {}) already removed",
                        f.role_name.as_deref().unwrap_or(&f.role_definition_id),
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
