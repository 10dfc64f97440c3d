//! The second approval of a restore: the directory roles a restore held come back only when
//! another operator approves them (`POST /api/cases/{id}/restore/roles/approve`), or stay
//! away when one rejects them (`/reject`). Both decisions are in the case's evidence with who
//! and when; an approval adds `restore:directory-roles` to the plan and runs it like any
//! restore step (read first, assign what is missing, read back), sealing a new generation.

use std::time::Duration;

use offboard_core::case::{Actor, Case, CaseStatus, RolesDecisionError};
use offboard_core::evidence::{Outcome, RecordBody};
use offboard_core::ids::CaseId;
use offboard_core::messages::StepMessage;
use offboard_core::plan::roles_plan;

use super::Engine;
use super::outcome::EngineError;
use crate::etag::Change;
use crate::restore::RestoreError;

impl Engine {
    /// Decides the directory roles the latest restore of case `id` holds: `approve`d (or
    /// rejected) by `by` for `reason`. Refused unless roles await a decision, and for the
    /// person who asked for the restore or who approved the case's hold.
    pub async fn decide_restore_roles(
        &self,
        id: &CaseId,
        approve: bool,
        by: Actor,
        reason: &str,
    ) -> Result<Case, EngineError> {
        let mut ready = Vec::new();
        let (case, ()) = self
            .change_case(id, |case, now| {
                ready.clear();
                let earlier = case
                    .approval
                    .as_ref()
                    .and_then(|a| a.decision.as_ref())
                    .filter(|d| d.approved)
                    .map(|d| d.by.clone());
                let restore = case
                    .restored
                    .as_mut()
                    .ok_or(RestoreError::Roles(RolesDecisionError::NothingHeld))?;
                restore
                    .decide_roles(approve, &by, reason, now, earlier.as_ref())
                    .map_err(RestoreError::from)?;
                if !approve {
                    return Ok(Change::Write(()));
                }
                let Some(plan) = case.plan.as_mut() else {
                    return Err(RestoreError::Roles(RolesDecisionError::NothingHeld).into());
                };
                let roles = roles_plan(&plan.facts);
                plan.add_restore(&roles);
                ready = Self::take_ready(plan, now);
                if case.status != CaseStatus::Running {
                    case.transition(
                        CaseStatus::Running,
                        format!("directory roles released by {}: {reason}", by.describe()),
                        now,
                    )
                    .map_err(|e| EngineError::Refused(e.to_string()))?;
                }
                Ok(Change::Write(()))
            })
            .await?;
        let held = case.restored.as_ref().and_then(|r| r.roles.clone());
        let body = RecordBody {
            target_ids: vec![case.id.to_string()],
            actor: by.describe(),
            reason: Some(reason.to_owned()),
            details: Some(serde_json::json!({
                "approved": approve,
                "by": by,
                "roles": held,
                "caseStatus": case.status,
            })),
            ..self.evidence.body(
                "restore-roles",
                "offboard",
                if approve {
                    "second approval: the directory roles the restore held are released"
                } else {
                    "second approval refused: the directory roles the restore held stay removed"
                },
                Outcome::Noted,
                self.clock.now(),
            )
        };
        self.evidence.append(&case, body).await?;
        if !approve
            && matches!(
                case.status,
                CaseStatus::Completed | CaseStatus::CompletedWithExceptions
            )
        {
            self.evidence.reseal(&case).await?;
        }
        for k in ready {
            self.enqueue_step(
                &StepMessage {
                    case_id: id.clone(),
                    step: k,
                    attempt: 0,
                },
                Duration::ZERO,
            )
            .await?;
        }
        Ok(case)
    }
}
