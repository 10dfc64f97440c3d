//! `transfer-ownerships`: no group, app registration or service principal is left owned by a
//! leaver, and none is left without an owner because they left.
//!
//! **When it applies.** Planned after the sign-in cut when the planner found objects the
//! leaver owns (`offboard_core::plan::pim_owners`).
//!
//! **Act.** List what the leaver owns (`GET /users/{id}/ownedObjects`) and, for each group,
//! app registration and service principal, its owners (`GET /{collection}/{id}/owners`).
//! Where the leaver is the only owner, add the successor first — the manager, else the
//! policy's `fallback_owner` (`POST /{collection}/{id}/owners/$ref`) — because Graph refuses
//! to remove a group's last owner and an app nobody owns is unmanaged. Then remove the leaver
//! (`DELETE /{collection}/{id}/owners/{leaverId}/$ref`). Groups need `Group.ReadWrite.All`,
//! app registrations and service principals `Application.ReadWrite.All` (with
//! `Directory.Read.All` to add an owner). With no successor the object is an **exception**
//! naming it, the leaver stays its owner and nothing is reported as done. Only what the
//! listings show is changed, so a replay sends nothing.
//!
//! **Verify.** Read each object's owners again: the leaver absent and, where one was needed,
//! the successor present.
//!
//! **Evidence.** One action per object: its kind, id and name, the successor (if one was
//! added) with the request ids, and the owners read back; an object the planner saw that the
//! leaver no longer owns is recorded with the listing that shows it.

use async_trait::async_trait;
use serde_json::{Value, json};
use std::sync::Arc;

use offboard_core::plan::{OwnedKind, StepKind};
use offboard_graph::{GraphError, OwnedObject, Reply};

use super::common::{Attempt, ENTRA, gone_counts_as_sent, read_back, read_back_if, user_id};
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::m365::{Tenant, owned_kind};

/// Hands what the leaver owns to a successor.
#[derive(Debug, Clone)]
pub struct TransferOwnerships {
    tenant: Arc<Tenant>,
}

impl TransferOwnerships {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// Who takes over: object id and how people know them.
#[derive(Debug, Clone)]
struct Successor {
    id: String,
    name: String,
}

/// A failed call: a refusal becomes this object's failed action; anything else (throttled,
/// transient) ends this attempt of the step.
fn refused(act: &Attempt, e: GraphError) -> Result<ActionEvidence, StepFailure> {
    match e {
        e @ (GraphError::Permanent(_) | GraphError::NotApplicable { .. }) => {
            Ok(act.clone().failed(&e))
        }
        e => Err(act.clone().fail(&e)),
    }
}

fn owns(owners: &[OwnedObject], id: &str) -> bool {
    owners.iter().any(|o| o.id.eq_ignore_ascii_case(id))
}

impl TransferOwnerships {
    /// The successor: the manager, else the policy's `fallback_owner` read from Graph (a UPN
    /// or object id); `None` when there is neither.
    async fn successor(&self, ctx: &StepContext<'_>) -> Result<Option<Successor>, StepFailure> {
        if let Some(m) = &ctx.facts.manager {
            return Ok(Some(Successor {
                id: m.id.clone(),
                name: m
                    .user_principal_name
                    .clone()
                    .unwrap_or_else(|| m.id.clone()),
            }));
        }
        let Some(fallback) = ctx.policy.fallback_owner.as_deref() else {
            return Ok(None);
        };
        let read = Attempt::new(
            ENTRA,
            format!("read the policy's fallback_owner {fallback}"),
            vec![fallback.to_owned()],
        )
        .request("GET", format!("/users/{fallback}"));
        let u = self
            .tenant
            .graph
            .get_user(fallback)
            .await
            .map_err(|e| read.fail(&e))?
            .value;
        Ok(Some(Successor {
            name: u
                .user_principal_name
                .clone()
                .unwrap_or_else(|| u.id.clone()),
            id: u.id,
        }))
    }

    /// Hands one object over; returns its evidence.
    async fn transfer(
        &self,
        leaver: &str,
        kind: OwnedKind,
        object: &OwnedObject,
        successor: &mut Option<Option<Successor>>,
        ctx: &StepContext<'_>,
    ) -> Result<ActionEvidence, StepFailure> {
        let graph = &self.tenant.graph;
        let c = kind.collection();
        let name = object
            .display_name
            .clone()
            .unwrap_or_else(|| object.id.clone());
        let what = format!("{} {name} ({})", kind.label(), object.id);
        let owners_outline = format!("/{c}/{}/owners", object.id);
        let read = Attempt::new(
            ENTRA,
            format!("read the owners of {what}"),
            vec![leaver.to_owned(), object.id.clone()],
        )
        .request("GET", owners_outline.clone());
        let before = match graph.owners_of(c, &object.id).await {
            Ok(r) => r,
            Err(e) => return refused(&read, e),
        };
        let base = json!({"objectKind": kind, "objectId": object.id, "objectName": name});
        if !owns(&before.value, leaver) {
            let mut details = base;
            details["note"] = json!("the leaver was no longer among its owners");
            return Ok(read.checked(
                before.status,
                before.request_id.clone(),
                read_back(json!({"leaverOwner": false}), json!({"leaverOwner": false})),
                Some(details),
            ));
        }
        let sole = before
            .value
            .iter()
            .all(|o| o.id.eq_ignore_ascii_case(leaver));
        let mut details = base;
        let mut added: Option<Successor> = None;
        if sole {
            if successor.is_none() {
                *successor = Some(self.successor(ctx).await?);
            }
            let Some(Some(s)) = successor.clone() else {
                return Ok(read.exception(
                    format!(
                        "the leaver is the only owner of {what} and there is no successor (no manager in Entra ID, no fallback_owner in the policy): add an owner to it by hand, then retry the step; the leaver stays its owner until then"
                    ),
                    Some(before.status),
                    before.request_id.clone(),
                    None,
                    Some(details),
                ));
            };
            let add = Attempt::new(
                ENTRA,
                format!("add {} as owner of {what}", s.name),
                vec![leaver.to_owned(), object.id.clone(), s.id.clone()],
            )
            .request("POST", format!("{owners_outline}/$ref"));
            match graph.add_owner(c, &object.id, &s.id).await {
                Ok(r) => {
                    details["successor"] = json!({"id": s.id, "name": s.name});
                    details["addStatus"] = json!(r.status);
                    details["addRequestId"] = json!(r.request_id);
                }
                Err(e) => return refused(&add, e),
            }
            added = Some(s);
        }
        let act = Attempt::new(
            ENTRA,
            match &added {
                Some(s) => format!("hand {what} to {} and remove the leaver as owner", s.name),
                None => format!("remove the leaver as owner of {what} (other owners remain)"),
            },
            [leaver.to_owned(), object.id.clone()]
                .into_iter()
                .chain(added.iter().map(|s| s.id.clone()))
                .collect(),
        )
        .request("DELETE", format!("{owners_outline}/{leaver}/$ref"));
        let removed: Reply<()> =
            match gone_counts_as_sent(graph.remove_owner(c, &object.id, leaver).await) {
                Ok(r) => r,
                Err(e) => {
                    let mut ev = refused(&act, e)?;
                    if let Some(s) = &added {
                        ev.details = Some(json!({"successorAdded": s.id, "object": details}));
                    }
                    return Ok(ev);
                }
            };
        let after = match graph.owners_of(c, &object.id).await {
            Ok(r) => r,
            Err(e) => return Err(read.fail(&e)),
        };
        details["readBackRequestId"] = json!(after.request_id);
        details["ownersAfter"] = Value::Array(
            after
                .value
                .iter()
                .map(|o| {
                    json!(
                        o.user_principal_name
                            .clone()
                            .unwrap_or_else(|| o.id.clone())
                    )
                })
                .collect(),
        );
        let leaver_gone = !owns(&after.value, leaver);
        let successor_there = added.as_ref().is_none_or(|s| owns(&after.value, &s.id));
        let has_owner = !after.value.is_empty();
        Ok(act.checked(
            removed.status,
            removed.request_id,
            read_back_if(
                json!({"leaverOwner": false, "successorOwner": true, "hasOwner": true}),
                json!({"leaverOwner": !leaver_gone, "successorOwner": successor_there, "hasOwner": has_owner}),
                leaver_gone && successor_there && has_owner,
            ),
            Some(details),
        ))
    }
}

#[async_trait]
impl StepAction for TransferOwnerships {
    fn kind(&self) -> StepKind {
        StepKind::TransferOwnerships
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let id = user_id(ctx);
        let outline = format!("/users/{id}/ownedObjects");
        let list = Attempt::new(ENTRA, "list what the leaver owns", vec![id.to_owned()])
            .request("GET", outline);
        let owned = self
            .tenant
            .graph
            .owned_objects(id)
            .await
            .map_err(|e| list.clone().fail(&e))?;
        let mut successor = None;
        let mut actions = Vec::new();
        for o in &owned.value {
            if let Some(kind) = owned_kind(&o.odata_type) {
                actions.push(self.transfer(id, kind, o, &mut successor, ctx).await?);
            }
        }
        for f in &ctx.facts.owned_objects {
            if owned.value.iter().any(|o| o.id.eq_ignore_ascii_case(&f.id)) {
                continue;
            }
            actions.push(
                Attempt::new(
                    ENTRA,
                    format!(
                        "{} {} ({}) is no longer owned by the leaver",
                        f.kind.label(),
                        f.name(),
                        f.id
                    ),
                    vec![id.to_owned(), f.id.clone()],
                )
                .request("GET", format!("/users/{id}/ownedObjects"))
                .checked(
                    owned.status,
                    owned.request_id.clone(),
                    read_back(json!({"leaverOwner": false}), json!({"leaverOwner": false})),
                    Some(json!({"note": "absent when this attempt listed what the leaver owns: handed over by an earlier attempt of this step or outside offboard"})),
                ),
            );
        }
        if actions.is_empty() {
            actions.push(list.checked(
                owned.status,
                owned.request_id.clone(),
                read_back(json!({"ownedObjects": 0}), json!({"ownedObjects": 0})),
                None,
            ));
        }
        let report = StepReport::from_actions(actions);
        Ok(
            if report.status == offboard_core::plan::StepStatus::Exception {
                report.with_remediation()
            } else {
                report
            },
        )
    }
}
