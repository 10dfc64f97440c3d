//! `remove-oauth-grants`: no third-party app keeps acting as the leaver through a delegated
//! permission grant the leaver consented to.
//!
//! **When it applies.** Planned when the planner found grants with the leaver as principal
//! (`consentType = Principal`), after sign-in is cut (`offboard_core::plan::build`). Admin
//! consent for all users (`AllPrincipals`) is not the leaver's and stays.
//!
//! **Act.** List the grants (`GET /oauth2PermissionGrants?$filter=principalId eq '{id}'`) and
//! delete each (`DELETE /oauth2PermissionGrants/{id}`, `DelegatedPermissionGrant.ReadWrite.All`).
//! A deleted grant stops new tokens for the app; tokens already issued end with
//! `revoke-sessions`. A grant already gone is not deleted again, so a replay changes nothing.
//!
//! **Verify.** List the grants again; each deleted one must be absent.
//!
//! **Evidence.** One action per grant: the client app's service principal, the API and the
//! scopes, the DELETE with status and Graph's request id, and the read-back; a grant the
//! planner saw that is already gone is recorded with the listing that shows it absent.

use async_trait::async_trait;
use std::sync::Arc;

use offboard_core::plan::StepKind;

use super::common::{Attempt, ENTRA, user_id};
use super::emptied::Emptying;
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Why a grant the planner saw was already gone.
const ABSENT: &str = "absent when this attempt read the grants: removed by an earlier attempt of this step or outside offboard";

/// Deletes the leaver's delegated permission grants.
#[derive(Debug, Clone)]
pub struct RemoveOauthGrants {
    tenant: Arc<Tenant>,
}

impl RemoveOauthGrants {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for RemoveOauthGrants {
    fn kind(&self) -> StepKind {
        StepKind::RemoveOauthGrants
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let list_outline = format!("/oauth2PermissionGrants?$filter=principalId eq '{id}'");

        // Act: read first.
        let mut run = Emptying::new(
            Attempt::new(
                ENTRA,
                "list delegated permission grants",
                vec![id.to_owned()],
            )
            .request("GET", list_outline.clone()),
            list_outline,
            "granted",
            "grants",
            ABSENT,
        );
        let before = graph
            .oauth_grants_of(id)
            .await
            .map_err(|e| run.read().clone().fail(&e))?;
        for g in &before.value {
            let scope = g.scope.as_deref().unwrap_or_default();
            let act = Attempt::new(
                ENTRA,
                format!(
                    "delete grant {} letting app {} act as the leaver on {} ({scope})",
                    g.id, g.client_id, g.resource_id
                ),
                vec![
                    id.to_owned(),
                    g.id.clone(),
                    g.client_id.clone(),
                    g.resource_id.clone(),
                ],
            )
            .request("DELETE", format!("/oauth2PermissionGrants/{}", g.id));
            run.remove(act, &g.id, graph.remove_oauth_grant(&g.id).await)?;
        }

        // Verify.
        let after = if run.sent_any() {
            graph
                .oauth_grants_of(id)
                .await
                .map_err(|e| run.read().clone().fail(&e))?
        } else {
            before.clone()
        };
        run.check(&after, |gid| after.value.iter().any(|g| g.id == gid));
        for f in &ctx.facts.oauth_grants {
            if !before.value.iter().any(|g| g.id == f.grant_id) {
                run.already_absent(
                    ENTRA,
                    format!(
                        "grant {} of app {} ({}) already deleted",
                        f.grant_id, f.client_id, f.scope
                    ),
                    vec![id.to_owned(), f.grant_id.clone()],
                    &before,
                );
            }
        }
        Ok(run.report(&after))
    }
}
