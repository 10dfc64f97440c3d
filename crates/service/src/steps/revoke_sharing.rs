//! `revoke-sharing`: files the leaver shared with anyone, or with everyone in the
//! organisation, stop opening for people nobody chose once the leaver is gone.
//!
//! **When it applies.** Planned when the leaver has a OneDrive and the planner's walk found
//! links of a scope the policy removes (`[sharing] remove_link_scopes`, default `anonymous`
//! and `organization`), or could not read the whole drive; after sign-in is cut
//! (`offboard_core::plan::sharing`). Links for specific people (`users`) stay unless the
//! policy names them.
//!
//! **Act.** Find the drive (`GET /users/{id}/drive`), walk it again — breadth-first, every
//! page, at most [`WALK_MAX_ITEMS`] items (`GET /drives/{d}/items/{i}/children`, the
//! permissions of each item with the `shared` facet and of the root) — and delete each link
//! set directly on an item whose scope the policy removes
//! (`DELETE /drives/{d}/items/{i}/permissions/{p}`, `Files.ReadWrite.All`). An inherited
//! link goes with its ancestor. A link already gone is not found by the walk, so a replay
//! deletes nothing.
//!
//! **Verify.** Read each changed item's permissions again; every deleted link must be absent.
//!
//! **Evidence.** One action per link: item path, scope and type, the DELETE with status and
//! Graph's request id, and the read-back (never the link's URL). The links kept by the
//! policy are noted; a walk that stopped at its bound is an exception naming the drive.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{GraphError, Permission, SharedItem};

use super::common::{
    Attempt, ONEDRIVE, gone_counts_as_sent, onedrive_or_report, read_back, user_id,
};
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;
use offboard_core::plan::sharing_facts::WALK_MAX_ITEMS;

/// Removes sharing links from the leaver's OneDrive.
#[derive(Debug, Clone)]
pub struct RevokeSharing {
    tenant: Arc<Tenant>,
}

impl RevokeSharing {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

fn scope(p: &Permission) -> &str {
    p.link
        .as_ref()
        .and_then(|l| l.scope.as_deref())
        .unwrap_or_default()
}

fn link_type(p: &Permission) -> &str {
    p.link
        .as_ref()
        .and_then(|l| l.link_type.as_deref())
        .unwrap_or_default()
}

fn perm_target(drive: &str, item: &str, perm: &str) -> String {
    if item == offboard_graph::sharing::ROOT {
        format!("/drives/{drive}/root/permissions/{perm}")
    } else {
        format!("/drives/{drive}/items/{item}/permissions/{perm}")
    }
}

#[async_trait]
impl StepAction for RevokeSharing {
    fn kind(&self) -> StepKind {
        StepKind::RevokeSharing
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let policy = &ctx.policy.sharing;
        let id = user_id(ctx);

        // Act: read first — the drive, then what is shared on it.
        let find = Attempt::new(ONEDRIVE, "find the OneDrive", vec![id.to_owned()])
            .request("GET", format!("/users/{id}/drive"));
        let drive = match onedrive_or_report(&find, graph.user_drive(id).await)? {
            Ok(r) => r.value,
            Err(report) => return Ok(report),
        };
        let d = drive.id.as_str();
        let where_ = drive.web_url.clone().unwrap_or_else(|| d.to_owned());
        let walk_outline = format!("/drives/{d}/items/{{id}}/children and /permissions");
        let read = Attempt::new(
            ONEDRIVE,
            "walk the OneDrive for sharing links",
            vec![id.to_owned(), d.to_owned()],
        )
        .request("GET", walk_outline);
        let walk = graph
            .sharing_links(d, WALK_MAX_ITEMS)
            .await
            .map_err(|e| read.clone().fail(&e))?;

        let mut actions: Vec<ActionEvidence> = Vec::new();
        let mut kept: Vec<String> = Vec::new();
        let mut removed_any = false;
        for item in &walk.items {
            removed_any |= self
                .revoke_on_item(ctx, d, item, &mut actions, &mut kept)
                .await?;
        }

        if !kept.is_empty() {
            actions.push(
                Attempt::new(
                    ONEDRIVE,
                    format!("keep {} sharing link(s) the policy leaves", kept.len()),
                    vec![id.to_owned(), d.to_owned()],
                )
                .request("GET", format!("/drives/{d}/items/{{id}}/permissions"))
                .noted(
                    "their scope is not in [sharing] remove_link_scopes",
                    Some(json!({ "kept": kept })),
                ),
            );
        }
        if !walk.complete {
            actions.push(read.clone().exception(
                format!(
                    "the walk stopped after {} items (the bound is {WALK_MAX_ITEMS}): items beyond it were not checked; review sharing on the rest of the OneDrive {where_} (Manage access on each shared item, or the SharePoint admin center's sharing report) and remove the {} links there",
                    walk.items_checked,
                    policy
                        .remove_link_scopes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None,
                walk.request_id.clone(),
                None,
                Some(json!({ "itemsChecked": walk.items_checked })),
            ));
        }
        if !removed_any && walk.complete {
            // Nothing to remove: the walk itself is the evidence.
            actions.push(read.checked(
                200,
                walk.request_id.clone(),
                read_back(json!({ "links": 0 }), json!({ "links": 0 })),
                Some(json!({ "itemsChecked": walk.items_checked, "webUrl": where_ })),
            ));
        }
        Ok(StepReport::from_actions(actions))
    }
}

impl RevokeSharing {
    /// Deletes the links on `item` the policy removes and reads the item back; returns
    /// whether any was sent.
    async fn revoke_on_item(
        &self,
        ctx: &StepContext<'_>,
        d: &str,
        item: &SharedItem,
        actions: &mut Vec<ActionEvidence>,
        kept: &mut Vec<String>,
    ) -> Result<bool, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let mut sent = Vec::new();
        for p in &item.links {
            if !ctx.policy.sharing.removes(scope(p)) {
                kept.push(format!("{} ({} {})", item.path, scope(p), link_type(p)));
                continue;
            }
            let act = Attempt::new(
                ONEDRIVE,
                format!(
                    "remove the {} {} link on {}",
                    scope(p),
                    link_type(p),
                    item.path
                ),
                vec![
                    id.to_owned(),
                    d.to_owned(),
                    item.item_id.clone(),
                    p.id.clone(),
                ],
            )
            .request("DELETE", perm_target(d, &item.item_id, &p.id));
            match gone_counts_as_sent(graph.delete_item_permission(d, &item.item_id, &p.id).await) {
                Ok(reply) => sent.push((act, p, reply)),
                Err(e @ (GraphError::Permanent(_) | GraphError::NotApplicable { .. })) => {
                    actions.push(act.failed(&e))
                }
                Err(e) => return Err(act.fail(&e)),
            }
        }
        if sent.is_empty() {
            return Ok(false);
        }

        // Verify: the item's permissions again.
        let after = graph
            .item_permissions(d, &item.item_id)
            .await
            .map_err(|e| {
                Attempt::new(
                    ONEDRIVE,
                    format!("read back the sharing of {}", item.path),
                    vec![id.to_owned(), d.to_owned(), item.item_id.clone()],
                )
                .fail(&e)
            })?;
        for (act, p, reply) in sent {
            let present = after.value.iter().any(|q| q.id == p.id);
            actions.push(act.checked(
                reply.status,
                reply.request_id,
                read_back(json!({ "link": false }), json!({ "link": present })),
                Some(json!({
                    "path": item.path,
                    "scope": scope(p),
                    "type": link_type(p),
                    "readBackRequestId": after.request_id,
                })),
            ));
        }
        Ok(true)
    }
}
