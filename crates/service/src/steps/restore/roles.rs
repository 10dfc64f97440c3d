//! `restore:directory-roles`: the leaver's directory roles come back — only after a second
//! approval.
//!
//! **When it applies.** Never planned by a restore itself: the restore holds the roles the
//! case removed (`Restore::roles`), and the step joins the plan when an operator other than
//! the restore's asker (and than whoever approved the case) approves them
//! (`engine/restore_roles.rs`).
//!
//! **Act.** Read the principal's role assignments; assign directory-wide only the snapshot's
//! roles that are missing (`POST /roleManagement/directory/roleAssignments`), so a second run
//! writes nothing.
//!
//! **Verify.** Read the assignments again; expected every snapshot role present.
//!
//! **Evidence.** One action (the writes, or the read when nothing was missing) with what was
//! assigned and the read-back.

use async_trait::async_trait;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

use offboard_core::plan::{RestoreAction, StepKind};

use super::super::common::{Attempt, ENTRA, read_back_if, user_id};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Assigns the leaver's directory roles again.
#[derive(Debug, Clone)]
pub struct RestoreDirectoryRoles {
    tenant: Arc<Tenant>,
}

impl RestoreDirectoryRoles {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for RestoreDirectoryRoles {
    fn kind(&self) -> StepKind {
        StepKind::Restore(RestoreAction::DirectoryRoles)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let want: BTreeSet<String> = ctx
            .facts
            .directory_roles
            .iter()
            .map(|r| r.role_definition_id.to_ascii_lowercase())
            .collect();
        let held = |roles: &[offboard_graph::RoleAssignment]| -> BTreeSet<String> {
            roles
                .iter()
                .filter(|a| a.directory_scope_id.as_deref().unwrap_or("/") == "/")
                .map(|a| a.role_definition_id.to_ascii_lowercase())
                .collect()
        };
        let expected = json!({ "roleDefinitionIds": want });
        let read = Attempt::new(
            ENTRA,
            "every directory role already assigned",
            vec![id.to_owned()],
        )
        .request(
            "GET",
            "/roleManagement/directory/roleAssignments?$filter=principalId eq '{id}'",
        );
        let now = graph
            .role_assignments_of(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let have = held(&now.value);
        let missing: Vec<&String> = want.iter().filter(|r| !have.contains(*r)).collect();
        if missing.is_empty() {
            return Ok(StepReport::from_actions(vec![read.checked(
                now.status,
                now.request_id,
                read_back_if(expected, json!({ "roleDefinitionIds": have }), true),
                Some(json!({ "changed": false })),
            )]));
        }
        let act = Attempt::new(
            ENTRA,
            "assign the directory roles again",
            vec![id.to_owned()],
        )
        .request("POST", "/roleManagement/directory/roleAssignments");
        let mut last = None;
        for role in &missing {
            last = Some(
                graph
                    .add_role_assignment(id, role)
                    .await
                    .map_err(|e| act.clone().fail(&e))?,
            );
        }
        let after = graph
            .role_assignments_of(id)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let observed = held(&after.value);
        let done = last.map(|r| (r.status, r.request_id)).unwrap_or_default();
        Ok(StepReport::from_actions(vec![act.checked(
            done.0,
            done.1,
            read_back_if(
                expected,
                json!({ "roleDefinitionIds": observed }),
                want.is_subset(&observed),
            ),
            Some(json!({
                "changed": true,
                "assigned": missing,
                "readBackRequestId": after.request_id,
            })),
        )]))
    }
}
