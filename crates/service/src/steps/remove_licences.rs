//! `remove-licences`: no licence is assigned directly to the leaver any more.
//!
//! **When it applies.** Planned when the leaver has direct licences, last of the cloud steps:
//! after the mailbox is shared and the manager has access (removing the Exchange licence
//! starts the mailbox deletion clock) and after `remove-groups`
//! (`offboard_core::plan::build`). Group-based licences cannot be removed with
//! `assignLicense`; they go with the group membership.
//!
//! **Act.** Read the user's `licenseAssignmentStates` (`GET /users/{id}`). Each SKU assigned
//! directly (`assignedByGroup = null`) is removed in one
//! `POST /users/{id}/assignLicense` `{"addLicenses":[],"removeLicenses":[…]}`
//! (`LicenseAssignment.ReadWrite.All`). A SKU held only through a group is never sent (Graph
//! would refuse it): it is noted with the group it goes with. No direct licence left: nothing
//! to write, so a replay changes nothing.
//!
//! **Verify.** Read the states again; expected no direct assignment of the removed SKUs. A SKU
//! that is also group-based stays effective until the group membership goes.
//!
//! **Evidence.** One action for the `assignLicense` call (or the read, when nothing direct was
//! left) with status, Graph's request id and the read-back; one note per group-based licence.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{GraphError, NotApplicableReason, User};

use super::common::{Attempt, ENTRA, read_back, read_until, user_id};
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Removes direct licences.
#[derive(Debug, Clone)]
pub struct RemoveLicences {
    tenant: Arc<Tenant>,
}

impl RemoveLicences {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// The SKUs assigned directly, in a stable order.
pub(crate) fn direct_skus(u: &User) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if !out.iter().any(|x| x.eq_ignore_ascii_case(s)) {
            out.push(s.to_owned());
        }
    };
    if u.license_assignment_states.is_empty() {
        // Without states every assigned licence is taken as direct; Graph refuses a
        // group-based one, which is then recorded (never as removed).
        for l in &u.assigned_licenses {
            push(&l.sku_id);
        }
    } else {
        for s in u.license_assignment_states.iter().filter(|s| s.is_direct()) {
            push(&s.sku_id);
        }
    }
    out.sort();
    out
}

#[async_trait]
impl StepAction for RemoveLicences {
    fn kind(&self) -> StepKind {
        StepKind::RemoveLicences
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let part = |sku: &str| -> String {
            ctx.facts
                .licences
                .iter()
                .find(|l| l.sku_id.eq_ignore_ascii_case(sku))
                .and_then(|l| l.sku_part_number.clone())
                .unwrap_or_else(|| sku.to_owned())
        };

        // Act: read first.
        let read = Attempt::new(ENTRA, "no direct licence left", vec![id.to_owned()])
            .request("GET", format!("/users/{id}"));
        let before = graph
            .get_user(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let mut actions: Vec<ActionEvidence> = Vec::new();
        for s in &before.value.license_assignment_states {
            if let Some(group) = &s.assigned_by_group {
                actions.push(
                    Attempt::new(
                        ENTRA,
                        format!("group-based licence {} kept for now", part(&s.sku_id)),
                        vec![id.to_owned(), s.sku_id.clone(), group.clone()],
                    )
                    .noted(
                        format!(
                            "assigned through group {group}: it goes with that group membership (remove-groups), not with assignLicense"
                        ),
                        Some(json!({ "skuId": s.sku_id, "assignedByGroup": group })),
                    ),
                );
            }
        }
        let direct = direct_skus(&before.value);
        let names = |skus: &[String]| skus.iter().map(|s| part(s)).collect::<Vec<_>>();
        if direct.is_empty() {
            let gone: Vec<String> = ctx
                .facts
                .licences
                .iter()
                .filter(|l| l.direct)
                .map(|l| part(&l.sku_id))
                .collect();
            actions.push(read.checked(
                before.status,
                before.request_id,
                read_back(json!({ "directLicences": [] }), json!({ "directLicences": [] })),
                Some(json!({
                    "changed": false,
                    "plannedDirectLicences": gone,
                    "note": "no direct licence when this attempt read the user: removed by an earlier attempt of this step or outside offboard",
                })),
            ));
            return Ok(StepReport::from_actions(actions));
        }

        let act = Attempt::new(
            ENTRA,
            format!("remove direct licences {}", names(&direct).join(", ")),
            std::iter::once(id.to_owned())
                .chain(direct.iter().cloned())
                .collect(),
        )
        .request("POST", format!("/users/{id}/assignLicense"));
        let body = json!({ "addLicenses": [], "removeLicenses": direct });
        let done = match graph.remove_licenses(id, &direct).await {
            Ok(r) => r,
            Err(
                e @ GraphError::NotApplicable {
                    reason: NotApplicableReason::GroupBasedLicense,
                    ..
                },
            ) => {
                actions.push(act.exception(
                    format!(
                        "Graph says a licence is assigned through a group ({}): remove the group membership (remove-groups) and retry the step",
                        e.info()
                    ),
                    e.status(),
                    e.request_id().map(str::to_owned),
                    None,
                    Some(json!({ "body": body })),
                ));
                return Ok(StepReport::from_actions(actions));
            }
            Err(e) => return Err(act.fail(&e)),
        };

        // Verify.
        let after = read_until(
            || graph.get_user(id),
            |u| direct_skus(u).iter().all(|s| !direct.contains(s)),
        )
        .await
        .map_err(|e| act.clone().fail(&e))?;
        let still: Vec<String> = direct_skus(&after.value)
            .into_iter()
            .filter(|s| direct.contains(s))
            .collect();
        actions.push(act.checked(
            done.status,
            done.request_id,
            read_back(
                json!({ "directLicences": [] }),
                json!({ "directLicences": names(&still) }),
            ),
            Some(json!({
                "changed": true,
                "body": body,
                "removed": names(&direct),
                "readBackRequestId": after.request_id,
            })),
        ));
        Ok(StepReport::from_actions(actions))
    }
}
