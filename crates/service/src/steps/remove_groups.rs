//! `remove-groups`: the leaver is out of every cloud group Graph can change; every group it
//! cannot change is recorded as an exception saying where the membership must be removed.
//!
//! **When it applies.** Planned when the leaver has direct group memberships, after the
//! mailbox and OneDrive steps (`offboard_core::plan::build`): a group may assign licences, and
//! removing the membership removes them, which must not happen before the mailbox is shared.
//! Nested memberships go with the direct one they come through.
//!
//! **Act.** List the direct groups with the properties that decide their kind
//! (`GET /users/{id}/memberOf/microsoft.graph.group?$select=…`). For Microsoft 365 and
//! assigned security groups (role-assignable ones too):
//! `DELETE /groups/{groupId}/members/{userId}/$ref` (`GroupMember.ReadWrite.All`; always with
//! `/$ref` — without it Graph deletes the user object itself). Dynamic groups (members follow
//! a rule), mail-enabled security groups and distribution lists (Exchange-mastered) and groups
//! synced from AD are not sent to Graph, which would refuse them: each is an exception with
//! the reason and where to handle it, never reported as removed. A membership already gone is
//! not removed again, so a replay changes nothing; a 404 on delete counts as gone once the
//! read-back agrees.
//!
//! **Verify.** List the direct groups again; each removed group must be absent. The
//! exceptions' read-back shows the membership still there.
//!
//! **Evidence.** One action per group: the DELETE with status, Graph's request id and the
//! read-back; or the exception with the listing's request id; or — for a group the planner
//! saw that is already gone — the listing that shows it absent.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{GraphError, Group, GroupKind};

use super::common::{Attempt, ENTRA, gone_counts_as_sent, read_back, upn, user_id};
use super::emptied::Emptying;
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::{Tenant, kind_name};

/// Removes cloud group memberships.
#[derive(Debug, Clone)]
pub struct RemoveGroups {
    tenant: Arc<Tenant>,
}

impl RemoveGroups {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// Why a membership the planner saw was already gone.
const ABSENT: &str = "absent when this attempt read the memberships: removed by an earlier attempt of this step or outside offboard";

fn name(g: &Group) -> String {
    g.display_name.clone().unwrap_or_else(|| g.id.clone())
}

/// Why Graph cannot remove the membership, and where a person (or another step) can.
fn not_here(g: &Group, leaver: &str) -> Option<String> {
    let n = name(g);
    match g.kind() {
        GroupKind::Microsoft365 | GroupKind::Security => None,
        GroupKind::Dynamic => Some(format!(
            "{n} has dynamic membership: Graph cannot remove a member; the leaver stays until the rule `{}` stops matching — change the leaver's attributes or the rule (Entra admin center > Groups > {n} > Dynamic membership rules)",
            g.membership_rule.as_deref().unwrap_or("?")
        )),
        GroupKind::MailEnabledSecurity | GroupKind::Distribution => Some(format!(
            "{n} is a {} mastered in Exchange Online (read-only in Graph): remove the member there — Remove-DistributionGroupMember -Identity '{}' -Member '{leaver}'",
            if g.kind() == GroupKind::Distribution {
                "distribution list"
            } else {
                "mail-enabled security group"
            },
            g.mail.clone().unwrap_or_else(|| n.clone())
        )),
        GroupKind::SyncedFromOnPremises => Some(format!(
            "{n} is synced from on-premises AD: remove the membership in AD (ad-cleanup does this for a synced leaver) and directory sync carries it to the cloud"
        )),
    }
}

fn licence_note(g: &Group) -> serde_json::Value {
    let skus: Vec<&str> = g
        .assigned_licenses
        .iter()
        .map(|l| l.sku_id.as_str())
        .collect();
    json!({
        "kind": kind_name(g.kind()),
        "assignsLicences": skus,
    })
}

#[async_trait]
impl StepAction for RemoveGroups {
    fn kind(&self) -> StepKind {
        StepKind::RemoveGroups
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let leaver = upn(ctx);
        let list_outline = format!("/users/{id}/memberOf/microsoft.graph.group");

        // Act: read first.
        let mut run = Emptying::new(
            Attempt::new(ENTRA, "list direct group memberships", vec![id.to_owned()])
                .request("GET", list_outline.clone()),
            list_outline,
            "member",
            "groups",
            ABSENT,
        );
        let before = graph
            .member_of_groups(id)
            .await
            .map_err(|e| run.read().clone().fail(&e))?;
        for g in &before.value {
            let targets = vec![id.to_owned(), g.id.clone()];
            if let Some(why) = not_here(g, leaver) {
                run.actions.push(
                    Attempt::new(
                        ENTRA,
                        format!("remove from {} group {}", kind_name(g.kind()), name(g)),
                        targets,
                    )
                    .request("GET", run.list_outline().to_owned())
                    .exception(
                        why,
                        Some(before.status),
                        before.request_id.clone(),
                        Some(read_back(
                            json!({ "member": false }),
                            json!({ "member": true }),
                        )),
                        Some(licence_note(g)),
                    ),
                );
                continue;
            }
            let act = Attempt::new(
                ENTRA,
                format!("remove from {} group {}", kind_name(g.kind()), name(g)),
                targets,
            )
            .request("DELETE", format!("/groups/{}/members/{id}/$ref", g.id));
            match gone_counts_as_sent(graph.remove_group_member(&g.id, id).await) {
                Ok(r) => run.sent(act, &g.id, r, licence_note(g)),
                Err(e @ GraphError::NotApplicable { .. }) => run.actions.push(act.exception(
                    format!(
                        "Graph refused to remove the member: {}; {}",
                        e.info(),
                        e.not_applicable().map(|r| r.describe()).unwrap_or_default()
                    ),
                    e.status(),
                    e.request_id().map(str::to_owned),
                    Some(read_back(
                        json!({ "member": false }),
                        json!({ "member": true }),
                    )),
                    Some(licence_note(g)),
                )),
                Err(e @ GraphError::Permanent(_)) => run.actions.push(act.failed(&e)),
                Err(e) => return Err(act.fail(&e)),
            }
        }

        // Verify.
        let after = if run.sent_any() {
            graph
                .member_of_groups(id)
                .await
                .map_err(|e| run.read().clone().fail(&e))?
        } else {
            before.clone()
        };
        run.check(&after, |gid| {
            after.value.iter().any(|g| g.id.eq_ignore_ascii_case(gid))
        });
        for f in ctx.facts.groups.iter().filter(|f| f.direct) {
            if !before
                .value
                .iter()
                .any(|g| g.id.eq_ignore_ascii_case(&f.id))
            {
                run.already_absent(
                    ENTRA,
                    format!(
                        "{} group {} already left",
                        f.kind,
                        f.display_name.as_deref().unwrap_or(&f.id)
                    ),
                    vec![id.to_owned(), f.id.clone()],
                    &before,
                );
            }
        }
        Ok(run.report(&after))
    }
}
