//! `onedrive-manager-access`: the leaver's manager can read and save the leaver's OneDrive
//! files before the account and its OneDrive are deleted.
//!
//! **When it applies.** Planned when the leaver has a OneDrive and a manager and the policy
//! grants the manager access, after sign-in is cut and before any licence goes
//! (`offboard_core::plan::build`).
//!
//! **Act.** Find the drive (`GET /users/{id}/drive`; none: not applicable) and read who holds
//! access to its root (`GET /drives/{driveId}/root/permissions`). The manager already holds
//! write (or owner): nothing to write, so a replay changes nothing. Otherwise
//! `POST /drives/{driveId}/root/invite` with the manager as recipient, `roles=["write"]`,
//! `requireSignIn=true` and no invitation mail (`Files.ReadWrite.All`; app-only calls can only
//! invite people of the tenant). offboard's own notifications tell the manager.
//!
//! **Verify.** Read the root's permissions again; expected a write grant to the manager.
//!
//! **Evidence.** One action: the invite (or the read, when the access was already there) with
//! status and Graph's request id, and the read-back.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{DriveRole, Permission};

use super::common::{Attempt, ONEDRIVE, onedrive_or_report, read_back, read_until, user_id};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Gives the manager write access to the OneDrive.
#[derive(Debug, Clone)]
pub struct OnedriveManagerAccess {
    tenant: Arc<Tenant>,
}

impl OnedriveManagerAccess {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

fn can_write(perms: &[Permission], manager_id: &str) -> bool {
    perms.iter().any(|p| {
        p.user_id()
            .is_some_and(|u| u.eq_ignore_ascii_case(manager_id))
            && p.roles.iter().any(|r| r == "write" || r == "owner")
    })
}

#[async_trait]
impl StepAction for OnedriveManagerAccess {
    fn kind(&self) -> StepKind {
        StepKind::OnedriveManagerAccess
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let Some(manager) = &ctx.facts.manager else {
            return Ok(StepReport::from_actions(vec![
                Attempt::new(
                    ONEDRIVE,
                    "give the manager access to the OneDrive",
                    vec![id.to_owned()],
                )
                .not_applicable(
                    "the leaver has no manager in Entra ID: nobody to give access to",
                    None,
                    None,
                    None,
                ),
            ]));
        };
        let recipient = manager
            .user_principal_name
            .as_deref()
            .or(manager.mail.as_deref())
            .unwrap_or(&manager.id);

        // Act: read first — the drive, then who can open it.
        let find = Attempt::new(ONEDRIVE, "find the OneDrive", vec![id.to_owned()])
            .request("GET", format!("/users/{id}/drive"));
        let drive = match onedrive_or_report(&find, graph.user_drive(id).await)? {
            Ok(r) => r.value,
            Err(report) => return Ok(report),
        };
        let targets = vec![id.to_owned(), drive.id.clone(), manager.id.clone()];
        let expected = json!({ "user": recipient, "write": true });
        let observed = |perms: &[Permission]| json!({ "user": recipient, "write": can_write(perms, &manager.id) });
        let read = Attempt::new(
            ONEDRIVE,
            "manager already has access to the OneDrive",
            targets.clone(),
        )
        .request("GET", format!("/drives/{}/root/permissions", drive.id));
        let before = graph
            .drive_root_permissions(&drive.id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        if can_write(&before.value, &manager.id) {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(expected, observed(&before.value)),
                Some(json!({ "changed": false, "webUrl": drive.web_url })),
            )]));
        }

        let act = Attempt::new(
            ONEDRIVE,
            format!("give {recipient} write access to the OneDrive"),
            targets,
        )
        .request("POST", format!("/drives/{}/root/invite", drive.id));
        let leaver = ctx.facts.user.display_name.as_deref().unwrap_or(id);
        let message = format!(
            "{leaver} has left; you have been given access to their OneDrive to keep what the team needs."
        );
        let done = graph
            .grant_drive_access(&drive.id, recipient, DriveRole::Write, false, &message)
            .await
            .map_err(|e| act.clone().fail(&e))?;

        // Verify.
        let after = read_until(
            || graph.drive_root_permissions(&drive.id),
            |p| can_write(p, &manager.id),
        )
        .await
        .map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(expected, observed(&after.value)),
            Some(json!({
                "changed": true,
                "body": { "roles": ["write"], "requireSignIn": true, "sendInvitation": false },
                "webUrl": drive.web_url,
                "readBackRequestId": after.request_id,
            })),
        )]))
    }
}
