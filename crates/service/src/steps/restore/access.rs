//! `restore:groups`, `restore:licences` and `restore:app-roles`: the leaver's access comes
//! back as the snapshot shows it.
//!
//! **When it applies.** Planned by the reverse plan after the account, when the case's own
//! step removed something: the direct groups Graph can change (dynamic, synced and
//! Exchange-mastered ones were never removed), the direct licences with the service plans that
//! were off (group-based licences come back with their groups), and the app roles.
//!
//! **Act.** Read what the leaver has now; add only what is missing (`POST
//! /groups/{g}/members/$ref`, `POST /users/{id}/assignLicense` with `addLicenses`, `POST
//! /users/{id}/appRoleAssignments`), so a second restore writes nothing.
//!
//! **Verify.** Read again; expected every snapshot item present.
//!
//! **Evidence.** One action per step (the write, or the read when nothing was missing) with
//! what was added and the read-back. An app role from a snapshot made before role ids were
//! kept is an exception naming it, to assign by hand.

use async_trait::async_trait;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

use offboard_core::plan::{RestoreAction, StepKind};

use super::super::common::{Attempt, ENTRA, read_back_if, user_id};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

fn lower(ids: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    ids.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

/// Adds the leaver back to their groups.
#[derive(Debug, Clone)]
pub struct RestoreGroups {
    tenant: Arc<Tenant>,
}

impl RestoreGroups {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for RestoreGroups {
    fn kind(&self) -> StepKind {
        StepKind::Restore(RestoreAction::Groups)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let want: Vec<String> = ctx
            .facts
            .groups
            .iter()
            .filter(|g| g.direct && g.removable)
            .map(|g| g.id.clone())
            .collect();
        let read = Attempt::new(ENTRA, "already in every group", want.clone())
            .request("GET", format!("/users/{id}/memberOf/microsoft.graph.group"));
        let now = graph
            .member_of_groups(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let have = lower(now.value.iter().map(|g| g.id.clone()));
        let missing: Vec<&String> = want
            .iter()
            .filter(|g| !have.contains(&g.to_ascii_lowercase()))
            .collect();
        let expected = json!({ "memberOf": lower(want.clone()) });
        if missing.is_empty() {
            return Ok(StepReport::from_actions(vec![read.checked(
                now.status,
                now.request_id,
                read_back_if(expected, json!({ "memberOf": have }), true),
                Some(json!({ "changed": false })),
            )]));
        }
        let act = Attempt::new(ENTRA, "add to groups", want.clone())
            .request("POST", "/groups/{id}/members/$ref");
        let mut last = None;
        for g in &missing {
            last = Some(
                graph
                    .add_group_member(g, id)
                    .await
                    .map_err(|e| act.clone().fail(&e))?,
            );
        }
        let after = graph
            .member_of_groups(id)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let observed = lower(after.value.iter().map(|g| g.id.clone()));
        let all = lower(want.clone()).is_subset(&observed);
        let done = last.map(|r| (r.status, r.request_id)).unwrap_or_default();
        Ok(StepReport::from_actions(vec![act.checked(
            done.0,
            done.1,
            read_back_if(expected, json!({ "memberOf": observed }), all),
            Some(
                json!({ "changed": true, "added": missing, "readBackRequestId": after.request_id }),
            ),
        )]))
    }
}

/// Assigns the direct licences again.
#[derive(Debug, Clone)]
pub struct RestoreLicences {
    tenant: Arc<Tenant>,
}

impl RestoreLicences {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for RestoreLicences {
    fn kind(&self) -> StepKind {
        StepKind::Restore(RestoreAction::Licences)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let want: Vec<(String, Vec<String>)> = ctx
            .facts
            .licences
            .iter()
            .filter(|l| l.direct)
            .map(|l| (l.sku_id.clone(), l.disabled_plans.clone()))
            .collect();
        let skus = lower(want.iter().map(|(s, _)| s.clone()));
        let expected = json!({ "assignedLicenses": skus });
        let read = Attempt::new(ENTRA, "licences already assigned", vec![id.to_owned()])
            .request("GET", format!("/users/{id}"));
        let now = graph
            .get_user(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let have = lower(now.value.assigned_licenses.iter().map(|l| l.sku_id.clone()));
        let missing: Vec<(String, Vec<String>)> = want
            .into_iter()
            .filter(|(s, _)| !have.contains(&s.to_ascii_lowercase()))
            .collect();
        if missing.is_empty() {
            return Ok(StepReport::from_actions(vec![read.checked(
                now.status,
                now.request_id,
                read_back_if(expected, json!({ "assignedLicenses": have }), true),
                Some(json!({ "changed": false })),
            )]));
        }
        let act = Attempt::new(ENTRA, "assign licences", vec![id.to_owned()])
            .request("POST", format!("/users/{id}/assignLicense"));
        let done = graph
            .add_licenses(id, &missing)
            .await
            .map_err(|e| act.clone().fail(&e))?;
        let after = graph.get_user(id).await.map_err(|e| act.clone().fail(&e))?;
        let observed = lower(
            after
                .value
                .assigned_licenses
                .iter()
                .map(|l| l.sku_id.clone()),
        );
        let all = skus.is_subset(&observed);
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back_if(expected, json!({ "assignedLicenses": observed }), all),
            Some(json!({
                "changed": true,
                "added": missing.iter().map(|(s, _)| s).collect::<Vec<_>>(),
                "readBackRequestId": after.request_id,
            })),
        )]))
    }
}

/// Assigns the app roles again.
#[derive(Debug, Clone)]
pub struct RestoreAppRoles {
    tenant: Arc<Tenant>,
}

impl RestoreAppRoles {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for RestoreAppRoles {
    fn kind(&self) -> StepKind {
        StepKind::Restore(RestoreAction::AppRoles)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let key = |resource: &str, role: &str| {
            format!(
                "{}/{}",
                resource.to_ascii_lowercase(),
                role.to_ascii_lowercase()
            )
        };
        let (want, unknown): (Vec<_>, Vec<_>) = ctx
            .facts
            .app_roles
            .iter()
            .partition(|a| a.resource_id.is_some() && a.app_role_id.is_some());
        let want: Vec<(String, String)> = want
            .iter()
            .filter_map(|a| Some((a.resource_id.clone()?, a.app_role_id.clone()?)))
            .collect();
        let wanted: BTreeSet<String> = want.iter().map(|(r, a)| key(r, a)).collect();
        let expected = json!({ "appRoles": wanted });
        let read = Attempt::new(ENTRA, "app roles already assigned", vec![id.to_owned()])
            .request("GET", format!("/users/{id}/appRoleAssignments"));
        let now = graph
            .app_role_assignments(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let have: BTreeSet<String> = now
            .value
            .iter()
            .map(|a| key(&a.resource_id, &a.app_role_id))
            .collect();
        let missing: Vec<&(String, String)> = want
            .iter()
            .filter(|(r, a)| !have.contains(&key(r, a)))
            .collect();
        let mut actions = Vec::new();
        if missing.is_empty() {
            actions.push(read.checked(
                now.status,
                now.request_id,
                read_back_if(expected, json!({ "appRoles": have }), true),
                Some(json!({ "changed": false })),
            ));
        } else {
            let act = Attempt::new(ENTRA, "assign app roles", vec![id.to_owned()])
                .request("POST", format!("/users/{id}/appRoleAssignments"));
            let mut last = None;
            for (resource, role) in &missing {
                last = Some(
                    graph
                        .add_app_role_assignment(id, resource, role)
                        .await
                        .map_err(|e| act.clone().fail(&e))?,
                );
            }
            let after = graph
                .app_role_assignments(id)
                .await
                .map_err(|e| act.clone().fail(&e))?;
            let observed: BTreeSet<String> = after
                .value
                .iter()
                .map(|a| key(&a.resource_id, &a.app_role_id))
                .collect();
            let all = wanted.is_subset(&observed);
            let done = last.map(|r| (r.status, r.request_id)).unwrap_or_default();
            actions.push(act.checked(
                done.0,
                done.1,
                read_back_if(expected, json!({ "appRoles": observed }), all),
                Some(json!({ "changed": true, "added": missing.len(), "readBackRequestId": after.request_id })),
            ));
        }
        for a in unknown {
            actions.push(
                Attempt::new(ENTRA, "assign app role", vec![a.assignment_id.clone()]).exception(
                    format!(
                        "the snapshot predates app role ids: assign the role on {} to the person by hand (Enterprise applications, Users and groups)",
                        a.resource_name.as_deref().unwrap_or(&a.assignment_id)
                    ),
                    None,
                    None,
                    None,
                    None,
                ),
            );
        }
        Ok(StepReport::from_actions(actions))
    }
}
