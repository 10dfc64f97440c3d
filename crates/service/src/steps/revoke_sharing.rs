//! `revoke-sharing`: files the leaver shared with anyone, or with everyone in the
//! organisation, stop opening for people nobody chose once the leaver is gone; and what
//! others shared with the leaver stops opening for the leaver.
//!
//! **When it applies.** Planned when the leaver has a OneDrive and the planner's walk found
//! links of a scope the policy removes (`[sharing] remove_link_scopes`, default `anonymous`
//! and `organization`), or could not read the whole drive; and whenever the policy names the
//! tenant's SharePoint region (`[sharing] sharepoint_region`); after sign-in is cut
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
//! **Shared with the leaver** (with a region). Search SharePoint and OneDrive for items shared
//! with the leaver (`POST /search/query`, `SharedWithUsersOWSUSER:"{upn}"`, the region; at
//! most [`SEARCH_MAX_HITS`] hits; [`offboard_graph::search`]), leave out the leaver's own
//! drive, and read each hit's permissions: a permission granted to the leaver directly, or a
//! link for specific people that lets in the leaver alone, is deleted
//! (`DELETE /drives/{d}/items/{i}/permissions/{p}`). A link that lets in others too cannot
//! lose one person in Graph v1.0: it is an exception naming the item and what to do there,
//! as is a permission inherited from a folder the search did not find. The index lags: an
//! item already cleared is found with nothing of the leaver's on it, so a replay deletes
//! nothing.
//!
//! **Verify.** Read each changed item's permissions again; every deleted permission must be
//! absent.
//!
//! **Evidence.** One action per link: item path, scope and type, the DELETE with status and
//! Graph's request id, and the read-back (never the link's URL). The links kept by the
//! policy are noted; a walk that stopped at its bound is an exception naming the drive. For
//! what was shared with the leaver: the search (query, region, hits), one action per
//! permission deleted (item address, roles, kind) and one exception per permission left.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::evidence::Outcome;
use offboard_core::plan::sharing_facts::SEARCH_MAX_HITS;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_graph::{GraphError, Permission, SharedItem, SharedWithHit};

use super::common::{
    Attempt, ONEDRIVE, SHAREPOINT, gone_counts_as_sent, onedrive_or_report, read_back, upn, user_id,
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

/// Whether `p` lets the leaver (`user`) in as a person: granted to them, or a link for
/// specific people that lists them. Organisation-wide and anonymous links list whoever used
/// them; they are not the leaver's, and the OneDrive part removes its own.
fn leavers(p: &Permission, user: &str) -> bool {
    match &p.link {
        None => p.user_id() == Some(user),
        Some(_) => scope(p) == "users" && p.names_user(user),
    }
}

/// Whether a link for specific people lets in the leaver and no one else.
fn link_for_leaver_alone(p: &Permission, user: &str) -> bool {
    !p.granted_to_identities_v2.is_empty()
        && p.granted_to_identities_v2
            .iter()
            .all(|g| g.user_id() == Some(user))
}

/// How a permission lets the leaver in, in words for evidence and exceptions.
fn kind(p: &Permission) -> String {
    match &p.link {
        None => format!("a direct permission ({})", p.roles.join(", ")),
        Some(_) => format!("a {} link for specific people", link_type(p)),
    }
}

/// A permission to delete from an item: the attempt its evidence is, and what that evidence
/// says besides the read-back.
struct Deletion<'p> {
    act: Attempt,
    permission: &'p Permission,
    details: serde_json::Value,
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
        let id = user_id(ctx);
        let find = Attempt::new(ONEDRIVE, "find the OneDrive", vec![id.to_owned()])
            .request("GET", format!("/users/{id}/drive"));
        let drive = onedrive_or_report(&find, self.tenant.graph.user_drive(id).await)?;
        let Some(region) = ctx.policy.sharing.sharepoint_region.as_deref() else {
            return match drive {
                Ok(d) => self.on_onedrive(ctx, &d.value).await,
                Err(not_applicable) => Ok(not_applicable),
            };
        };
        let (mut actions, own_drive) = match drive {
            Ok(d) => (
                self.on_onedrive(ctx, &d.value).await?.actions,
                Some(d.value.id),
            ),
            Err(no_onedrive) => (no_onedrive.actions, None),
        };
        actions.extend(
            self.shared_with_leaver(ctx, region, own_drive.as_deref())
                .await?,
        );
        let report = StepReport::from_actions(actions);
        // What is left is for a person to do in SharePoint; their retry then finds it gone.
        Ok(if report.status == StepStatus::Exception {
            report.with_remediation()
        } else {
            report
        })
    }
}

impl RevokeSharing {
    /// The leaver's OneDrive: the links the policy removes.
    async fn on_onedrive(
        &self,
        ctx: &StepContext<'_>,
        drive: &offboard_graph::Drive,
    ) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let policy = &ctx.policy.sharing;
        let id = user_id(ctx);
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

    /// What others shared with the leaver, found by search in `region` outside `own_drive`:
    /// the leaver's own permissions deleted and read back, the rest named as exceptions.
    async fn shared_with_leaver(
        &self,
        ctx: &StepContext<'_>,
        region: &str,
        own_drive: Option<&str>,
    ) -> Result<Vec<ActionEvidence>, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let who = upn(ctx);
        let search = Attempt::new(
            SHAREPOINT,
            "search for items shared with the leaver",
            vec![id.to_owned(), who.to_owned()],
        )
        .request(
            "POST",
            format!(
                "/search/query {} (region {region})",
                offboard_graph::search::shared_with_query(who)
            ),
        );
        let found = graph
            .items_shared_with(who, region, SEARCH_MAX_HITS)
            .await
            .map_err(|e| search.clone().fail(&e))?;
        let hits: Vec<&SharedWithHit> = found
            .items
            .iter()
            .filter(|h| Some(h.drive_id.as_str()) != own_drive)
            .collect();
        let mut actions = Vec::new();
        let mut changed = 0;
        for hit in &hits {
            changed += self.clear_item(ctx, hit, &hits, &mut actions).await?;
        }
        if !found.complete {
            actions.push(search.clone().exception(
                format!(
                    "the search stopped at {SEARCH_MAX_HITS} items shared with {who}: the rest were not checked; review them in the SharePoint admin center (or with a content search for the leaver) and remove the leaver's access there"
                ),
                None,
                found.request_id.clone(),
                None,
                Some(json!({ "hitsRead": found.items.len() })),
            ));
        }
        // The search itself is the evidence of what was looked for and found: verified when
        // nothing of the leaver's was found, else a note beside the actions that say more.
        let left = actions
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Exception | Outcome::Failed))
            .count();
        let details = json!({
            "region": region,
            "itemsFound": hits.len(),
            "ownDriveLeftOut": found.items.len() - hits.len(),
            "permissionsRemoved": changed,
            "permissionsLeft": left,
            "searchRequests": found.requests,
            "requestId": found.request_id,
        });
        actions.push(if changed == 0 && left == 0 {
            search.checked(
                200,
                found.request_id,
                read_back(
                    json!({ "leaverPermissions": 0 }),
                    json!({ "leaverPermissions": 0 }),
                ),
                Some(details),
            )
        } else {
            search.noted(
                format!(
                    "{} item(s) shared with {who} found: {changed} permission(s) removed, {left} left for a person",
                    hits.len()
                ),
                Some(details),
            )
        });
        Ok(actions)
    }

    /// The leaver's own permissions on one item found by search: deleted when Graph can
    /// (granted to the leaver, or a link for the leaver alone) and read back; the others
    /// named as exceptions. Returns how many were deleted.
    async fn clear_item(
        &self,
        ctx: &StepContext<'_>,
        hit: &SharedWithHit,
        hits: &[&SharedWithHit],
        actions: &mut Vec<ActionEvidence>,
    ) -> Result<usize, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let who = upn(ctx);
        let (d, i) = (hit.drive_id.as_str(), hit.item_id.as_str());
        let place = hit
            .web_url
            .clone()
            .or_else(|| hit.name.clone())
            .unwrap_or_else(|| format!("item {i} of drive {d}"));
        let targets = vec![id.to_owned(), d.to_owned(), i.to_owned()];
        let read = Attempt::new(
            SHAREPOINT,
            format!("read the sharing of {place}"),
            targets.clone(),
        )
        .request("GET", format!("/drives/{d}/items/{i}/permissions"));
        let before = match graph.item_permissions(d, i).await {
            Ok(r) => r.value,
            // Gone since the index saw it: nothing left to open.
            Err(e) if e.status() == Some(404) => return Ok(0),
            Err(e) => return Err(read.fail(&e)),
        };
        let mut deletions = Vec::new();
        for p in before.iter().filter(|p| leavers(p, id)) {
            let kind = kind(p);
            if let Some(from) = &p.inherited_from {
                let set_on_a_hit = from
                    .id
                    .as_deref()
                    .is_some_and(|a| hits.iter().any(|h| h.drive_id == d && h.item_id == a));
                if !set_on_a_hit {
                    actions.push(read.clone().exception(
                        format!(
                            "{place} lets {who} in through {kind} inherited from {}: remove the leaver there (Manage access on that folder)",
                            from.path.as_deref().or(from.id.as_deref()).unwrap_or("a parent folder")
                        ),
                        None,
                        None,
                        None,
                        Some(json!({ "permissionId": p.id, "kind": kind })),
                    ));
                }
                continue;
            }
            if p.link.is_some() && !link_for_leaver_alone(p, id) {
                actions.push(read.clone().exception(
                    format!(
                        "{place}: {kind} lets in {who} and others, and Graph v1.0 cannot take one person off a link: open Manage access on it and remove {who} from the link (or stop sharing it)"
                    ),
                    None,
                    None,
                    None,
                    Some(json!({ "permissionId": p.id, "kind": kind, "roles": p.roles })),
                ));
                continue;
            }
            deletions.push(Deletion {
                act: Attempt::new(
                    SHAREPOINT,
                    format!("remove {kind} of {who} on {place}"),
                    vec![id.to_owned(), d.to_owned(), i.to_owned(), p.id.clone()],
                )
                .request("DELETE", perm_target(d, i, &p.id)),
                permission: p,
                details: json!({
                    "item": place,
                    "name": hit.name,
                    "siteId": hit.site_id,
                    "kind": kind,
                    "roles": p.roles,
                }),
            });
        }
        self.delete_and_verify(d, i, deletions, "permission", || read, actions)
            .await
    }

    /// Deletes each of `deletions` from item `i` of drive `d` (a refusal is a failed action;
    /// what Graph says to wait or retry for ends the attempt), then reads the item's
    /// permissions back once and records each deletion sent as checked against it (`field`
    /// names it in the read-back; `read_back_attempt` is what a failed read-back is recorded
    /// as). Returns how many were sent.
    async fn delete_and_verify(
        &self,
        d: &str,
        i: &str,
        deletions: Vec<Deletion<'_>>,
        field: &str,
        read_back_attempt: impl FnOnce() -> Attempt,
        actions: &mut Vec<ActionEvidence>,
    ) -> Result<usize, StepFailure> {
        let graph = &self.tenant.graph;
        let mut sent = Vec::new();
        for del in deletions {
            match gone_counts_as_sent(graph.delete_item_permission(d, i, &del.permission.id).await)
            {
                Ok(reply) => sent.push((del, reply)),
                Err(e @ (GraphError::Permanent(_) | GraphError::NotApplicable { .. })) => {
                    actions.push(del.act.failed(&e))
                }
                Err(e) => return Err(del.act.fail(&e)),
            }
        }
        if sent.is_empty() {
            return Ok(0);
        }
        let after = graph
            .item_permissions(d, i)
            .await
            .map_err(|e| read_back_attempt().fail(&e))?;
        let count = sent.len();
        for (del, reply) in sent {
            let present = after.value.iter().any(|q| q.id == del.permission.id);
            let mut details = del.details;
            if let Some(o) = details.as_object_mut() {
                o.insert("readBackRequestId".to_owned(), json!(after.request_id));
            }
            actions.push(del.act.checked(
                reply.status,
                reply.request_id,
                read_back(json!({ field: false }), json!({ field: present })),
                Some(details),
            ));
        }
        Ok(count)
    }

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
        let id = user_id(ctx);
        let mut deletions = Vec::new();
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
            deletions.push(Deletion {
                act,
                permission: p,
                details: json!({
                    "path": item.path,
                    "scope": scope(p),
                    "type": link_type(p),
                }),
            });
        }
        // Verify: the item's permissions again.
        let read_back_attempt = || {
            Attempt::new(
                ONEDRIVE,
                format!("read back the sharing of {}", item.path),
                vec![id.to_owned(), d.to_owned(), item.item_id.clone()],
            )
        };
        let sent = self
            .delete_and_verify(
                d,
                &item.item_id,
                deletions,
                "link",
                read_back_attempt,
                actions,
            )
            .await?;
        Ok(sent > 0)
    }
}
