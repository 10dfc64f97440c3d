//! `connector:<name>` for a SCIM connector: the leaver can no longer sign in to a system
//! outside Microsoft (Salesforce, Slack, GitHub Enterprise, …) that speaks SCIM 2.0.
//!
//! **When it applies.** Planned for every connector in the connector file, after the
//! sign-in cut and beside the Microsoft 365 steps (`engine::plan`, `core::plan::with_connectors`).
//!
//! **Act.** Find the leaver with the connector's filters, in order (`GET /Users?filter=…`),
//! each with its value from the resolved Entra account or HR's identifiers. No match: not
//! applicable, with the filters tried as the reason. Several: an exception (which account
//! is the leaver's is for a person to say). One: `deactivate` sends `PATCH active=false`
//! unless the system already shows the user inactive (a replay changes nothing twice);
//! `delete` sends `DELETE` (`404`: already gone).
//!
//! **Verify.** Read the user back (`GET /Users/{id}`): expected `active=false`, or absent
//! after a delete.
//!
//! **Evidence.** The search, then the change (or the read showing it was already so), each
//! with the system's status and request id; the target system is the connector's name.
//! `429` hands the system's `Retry-After` to the engine, `5xx` and no connection are
//! retried with backoff and end failed with a remediation item; `400`, `401`, `403` and
//! `409` fail at once, quoting what the system answered.

use async_trait::async_trait;
use chrono::Utc;
use serde_json::{Value, json};

use offboard_core::evidence::{Outcome, ReadBack, RequestOutline};
use offboard_core::plan::{ConnectorName, StepKind};
use offboard_scim_client::{ScimClient, ScimError, ScimUser, UserFilter};

use crate::attempt::{
    ActionEvidence, StepAction, StepContext, StepFailure, StepReport, TargetSystem,
};
use crate::connectors::leaver_value;
use crate::settings::{ConnectorAction, FindBy, ScimAttribute};

/// Deprovisions the leaver in one SCIM system.
pub struct ScimConnectorStep {
    name: ConnectorName,
    client: ScimClient,
    find: Vec<FindBy>,
    action: ConnectorAction,
}

impl ScimConnectorStep {
    /// The step of connector `name`, through `client`.
    pub fn new(
        name: ConnectorName,
        client: ScimClient,
        find: Vec<FindBy>,
        action: ConnectorAction,
    ) -> Self {
        Self {
            name,
            client,
            find,
            action,
        }
    }

    fn evidence(&self, action: &str, method: &str, target: String) -> Evidence {
        Evidence {
            base: ActionEvidence {
                target_system: TargetSystem::Connector(self.name),
                action: action.to_owned(),
                target_ids: Vec::new(),
                request: Some(RequestOutline {
                    method: method.to_owned(),
                    target,
                }),
                response_status: None,
                service_request_id: None,
                read_back: None,
                outcome: Outcome::Verified,
                reason: None,
                details: None,
                started_at: Utc::now(),
                ended_at: Utc::now(),
            },
        }
    }

    /// The filters this leaver can be searched with (those whose value is known).
    fn filters(&self, ctx: &StepContext<'_>) -> Vec<UserFilter> {
        self.find
            .iter()
            .filter_map(|f| {
                let v = leaver_value(ctx.facts, ctx.case.event.employee(), f.from)?;
                Some(match f.attribute {
                    ScimAttribute::UserName => UserFilter::UserName(v),
                    ScimAttribute::ExternalId => UserFilter::ExternalId(v),
                    ScimAttribute::Emails => UserFilter::Email(v),
                })
            })
            .collect()
    }
}

/// An action attempt being recorded.
struct Evidence {
    base: ActionEvidence,
}

impl Evidence {
    fn done(
        mut self,
        outcome: Outcome,
        status: Option<u16>,
        request_id: Option<String>,
        read_back: Option<ReadBack>,
        reason: Option<String>,
        details: Option<Value>,
    ) -> ActionEvidence {
        self.base.outcome = outcome;
        self.base.response_status = status;
        self.base.service_request_id = request_id;
        self.base.read_back = read_back;
        self.base.reason = reason;
        self.base.details = details;
        self.base.ended_at = Utc::now();
        self.base
    }

    fn ids(mut self, ids: Vec<String>) -> Self {
        self.base.target_ids = ids;
        self
    }

    /// The step's answer to a failed request: wait, retry, or fail with this evidence.
    fn fail(self, name: ConnectorName, e: ScimError) -> StepFailure {
        match e {
            ScimError::Throttled {
                retry_after,
                detail,
                ..
            } => StepFailure::Throttled {
                retry_after,
                detail: format!("{name}: {detail}"),
            },
            ScimError::Transient { .. } => StepFailure::Transient {
                detail: format!("{name}: {e}"),
            },
            ScimError::Unauthorized { status, .. } => {
                let detail = format!(
                    "{name} refused offboard's credential ({e}): renew the token in its setting, or give the client the scope to manage users"
                );
                permanent(self, Some(status), detail)
            }
            ScimError::Refused { status, .. } => {
                let detail = format!("{name} refused the request: {e}");
                permanent(self, Some(status), detail)
            }
            ScimError::Invalid { .. } => {
                let detail = format!("{name}: {e}");
                permanent(self, None, detail)
            }
        }
    }
}

fn permanent(evidence: Evidence, status: Option<u16>, detail: String) -> StepFailure {
    let action = evidence.done(
        Outcome::Failed,
        status,
        None,
        None,
        Some(detail.clone()),
        None,
    );
    StepFailure::Permanent {
        detail,
        action: Some(Box::new(action)),
    }
}

fn observed(user: Option<&ScimUser>) -> Value {
    match user {
        None => json!({ "present": false }),
        Some(u) => json!({ "present": true, "active": u.active }),
    }
}

#[async_trait]
impl StepAction for ScimConnectorStep {
    fn kind(&self) -> StepKind {
        StepKind::Connector(self.name)
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let name = self.name;
        let filters = self.filters(ctx);
        if filters.is_empty() {
            let ev = self.evidence("find the leaver", "GET", "/Users?filter={filter}".into());
            let why = format!(
                "{name}: none of the values the connector finds the leaver by ({}) is known for this leaver",
                self.find
                    .iter()
                    .map(|f| f.from.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Ok(StepReport::from_actions(vec![ev.done(
                Outcome::Exception,
                None,
                None,
                None,
                Some(why),
                None,
            )]));
        }

        // Act: find the leaver.
        let mut actions = Vec::new();
        let mut found = None;
        for filter in &filters {
            let ev = self.evidence("find the leaver", "GET", format!("/Users?filter={filter}"));
            let answer = match self.client.find(filter).await {
                Ok(a) => a,
                Err(e) => return Err(ev.fail(name, e)),
            };
            let ids: Vec<String> = answer.value.iter().map(|u| u.id.clone()).collect();
            match answer.value.len() {
                0 => continue,
                1 => {
                    found = answer.value.into_iter().next();
                    break;
                }
                _ => {
                    actions.push(ev.ids(ids).done(
                        Outcome::Exception,
                        Some(answer.status),
                        answer.request_id,
                        None,
                        Some(format!(
                            "{name}: several accounts match {filter}: which one is the leaver's is for a person to decide"
                        )),
                        None,
                    ));
                    return Ok(StepReport::from_actions(actions));
                }
            }
        }
        let Some(user) = found else {
            let tried: Vec<String> = filters.iter().map(|f| f.to_string()).collect();
            let ev = self.evidence("find the leaver", "GET", "/Users?filter={filter}".into());
            actions.push(ev.done(
                Outcome::NotApplicable,
                Some(200),
                None,
                Some(ReadBack {
                    expected: json!({ "active": false }),
                    observed: json!({ "present": false }),
                    matches: true,
                }),
                Some(format!(
                    "no account in {name} matches {}",
                    tried.join(" or ")
                )),
                Some(json!({ "filters": tried })),
            ));
            return Ok(StepReport::from_actions(actions));
        };
        let id = user.id.clone();
        let path = "/Users/{id}".to_owned();

        match self.action {
            ConnectorAction::Deactivate => {
                let expected = json!({ "present": true, "active": false });
                if !user.is_active() {
                    // Already inactive (by an earlier attempt, a replay, or someone else):
                    // the search's answer is the read-back; nothing is sent.
                    let ev = self
                        .evidence("account already deactivated", "GET", path)
                        .ids(vec![id]);
                    actions.push(ev.done(
                        Outcome::Verified,
                        Some(200),
                        None,
                        Some(ReadBack {
                            expected,
                            observed: observed(Some(&user)),
                            matches: true,
                        }),
                        None,
                        Some(json!({ "changed": false })),
                    ));
                    return Ok(StepReport::from_actions(actions));
                }
                let ev = self
                    .evidence(
                        "deactivate the account (active=false)",
                        "PATCH",
                        path.clone(),
                    )
                    .ids(vec![id.clone()]);
                let patched = match self.client.deactivate(&id).await {
                    Ok(a) => a,
                    Err(e) => return Err(ev.fail(name, e)),
                };
                // Verify.
                let back = match self.client.get(&id).await {
                    Ok(a) => a,
                    Err(e) => return Err(ev.fail(name, e)),
                };
                let seen = observed(back.value.as_ref());
                let (outcome, reason, matches) = match &back.value {
                    Some(u) if !u.is_active() => (Outcome::Verified, None, true),
                    // Gone between the search and the PATCH: no account, no access.
                    None => (Outcome::Verified, None, true),
                    Some(_) => (
                        Outcome::Failed,
                        Some(format!(
                            "{name} accepted the PATCH ({}) but still shows the account active",
                            patched.status
                        )),
                        false,
                    ),
                };
                actions.push(ev.done(
                    outcome,
                    Some(patched.status),
                    patched.request_id,
                    Some(ReadBack {
                        expected,
                        observed: seen,
                        matches,
                    }),
                    reason,
                    Some(json!({ "changed": patched.value, "readBackStatus": back.status })),
                ));
            }
            ConnectorAction::Delete => {
                let ev = self
                    .evidence("delete the account", "DELETE", path.clone())
                    .ids(vec![id.clone()]);
                let deleted = match self.client.delete(&id).await {
                    Ok(a) => a,
                    Err(e) => return Err(ev.fail(name, e)),
                };
                let back = match self.client.get(&id).await {
                    Ok(a) => a,
                    Err(e) => return Err(ev.fail(name, e)),
                };
                let gone = back.value.is_none();
                actions.push(
                    ev.done(
                        if gone {
                            Outcome::Verified
                        } else {
                            Outcome::Failed
                        },
                        Some(deleted.status),
                        deleted.request_id,
                        Some(ReadBack {
                            expected: json!({ "present": false }),
                            observed: observed(back.value.as_ref()),
                            matches: gone,
                        }),
                        (!gone).then(|| {
                            format!("{name} accepted the DELETE but still has the account")
                        }),
                        Some(json!({ "changed": deleted.value })),
                    ),
                );
            }
        }
        Ok(StepReport::from_actions(actions))
    }
}
