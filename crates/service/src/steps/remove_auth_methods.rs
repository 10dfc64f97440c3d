//! `remove-auth-methods`: the leaver's MFA registrations are gone, so a recovered or
//! re-enabled account cannot be signed into with them.
//!
//! **When it applies.** Planned when the leaver has any method besides the password, after
//! sign-in is cut (`offboard_core::plan::build`).
//!
//! **Act.** List the methods (`GET /users/{id}/authentication/methods`) and delete each one
//! still registered at its own endpoint
//! (`DELETE /users/{id}/authentication/{kind}Methods/{methodId}`,
//! `UserAuthenticationMethod.ReadWrite.All`). The password method cannot be deleted (the
//! `reset-password` step handles it); a method of a kind Graph has no delete endpoint for is an
//! exception for a human. A method already gone is not deleted again, so a replay changes
//! nothing; a 404 on delete (gone in between) counts as gone once the read-back agrees.
//!
//! **Verify.** List the methods again; each deleted method must be absent.
//!
//! **Evidence.** One action per method: the DELETE with status and Graph's request id and the
//! read-back (absent), or — for a method the planner saw that this attempt found already
//! gone — the listing that shows it absent.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{AuthMethod, AuthMethodKind, GraphError};

use super::common::{Attempt, ENTRA, gone_counts_as_sent, read_back, user_id};
use super::emptied::Emptying;
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::{Tenant, method_name};

/// Removes authentication methods.
#[derive(Debug, Clone)]
pub struct RemoveAuthMethods {
    tenant: Arc<Tenant>,
}

impl RemoveAuthMethods {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// Why a method the planner saw was already gone.
const ABSENT: &str = "absent when this attempt read the methods: removed by an earlier attempt of this step or outside offboard";

fn describe(m: &AuthMethod) -> String {
    match &m.display_name {
        Some(n) => format!("{} method {} ({n})", method_name(m.kind), m.id),
        None => format!("{} method {}", method_name(m.kind), m.id),
    }
}

#[async_trait]
impl StepAction for RemoveAuthMethods {
    fn kind(&self) -> StepKind {
        StepKind::RemoveAuthMethods
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let list_outline = format!("/users/{id}/authentication/methods");

        // Act: read first.
        let mut run = Emptying::new(
            Attempt::new(ENTRA, "list authentication methods", vec![id.to_owned()])
                .request("GET", list_outline.clone()),
            list_outline,
            "registered",
            "methodsBesidesPassword",
            ABSENT,
        );
        let before = graph
            .authentication_methods(id)
            .await
            .map_err(|e| run.read().clone().fail(&e))?;
        for m in before.value.iter() {
            if m.kind == AuthMethodKind::Password {
                continue;
            }
            let Some(collection) = m.kind.collection() else {
                run.actions.push(
                    Attempt::new(ENTRA, format!("delete {}", describe(m)), vec![id.to_owned(), m.id.clone()])
                        .exception(
                            "Graph has no delete endpoint for this kind of authentication method: remove it by hand in the Entra admin center (user > Authentication methods)",
                            Some(before.status),
                            before.request_id.clone(),
                            None,
                            None,
                        ),
                );
                continue;
            };
            let act = Attempt::new(
                ENTRA,
                format!("delete {}", describe(m)),
                vec![id.to_owned(), m.id.clone()],
            )
            .request(
                "DELETE",
                format!("/users/{id}/authentication/{collection}/{}", m.id),
            );
            match gone_counts_as_sent(graph.delete_authentication_method(id, m).await) {
                Ok(r) => run.sent(act, &m.id, r, json!({})),
                Err(e @ GraphError::NotApplicable { .. }) => run.actions.push(act.exception(
                    format!("{}; remove it by hand", e.info()),
                    e.status(),
                    e.request_id().map(str::to_owned),
                    None,
                    None,
                )),
                Err(e @ GraphError::Permanent(_)) => run.actions.push(act.failed(&e)),
                Err(e) => return Err(act.fail(&e)),
            }
        }

        // Verify.
        let after = if run.sent_any() {
            graph
                .authentication_methods(id)
                .await
                .map_err(|e| run.read().clone().fail(&e))?
        } else {
            before.clone()
        };
        run.check(&after, |mid| after.value.iter().any(|m| m.id == mid));
        // Methods the planner saw that were already gone when this attempt looked.
        for f in &ctx.facts.auth_methods {
            if f.method_type == "password" || before.value.iter().any(|m| m.id == f.id) {
                continue;
            }
            run.already_absent(
                ENTRA,
                format!("{} method {} already removed", f.method_type, f.id),
                vec![id.to_owned(), f.id.clone()],
                &before,
            );
        }
        if run.actions.is_empty() {
            // Nothing to remove: the listing is the evidence, with what remains (the password).
            let remaining: Vec<String> = after.value.iter().map(describe).collect();
            let read = run.read().clone();
            run.actions.push(read.checked(
                after.status,
                after.request_id.clone(),
                read_back(
                    json!({ "methodsBesidesPassword": 0 }),
                    json!({ "methodsBesidesPassword": after.value.iter().filter(|m| m.kind != AuthMethodKind::Password).count() }),
                ),
                Some(json!({ "remaining": remaining })),
            ));
        }
        Ok(StepReport::from_actions(run.actions))
    }
}
