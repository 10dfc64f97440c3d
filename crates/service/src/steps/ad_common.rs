//! What the three AD steps share: finding the leaver's AD account (the locator), sending one
//! signed command to the on-prem agent, classifying what came back, and turning each action's
//! outcome into evidence.
//!
//! How an agent's answer becomes a step's outcome:
//!
//! | the agent / the relay says | the step records |
//! |---|---|
//! | `done` / `alreadyDone`, and the state read back is the expected one | verified (expected vs observed from the agent's read-back) |
//! | `done` / `alreadyDone`, but the read-back differs | failed, for a person |
//! | `notApplicable{reason}` (no Exchange schema) | not applicable, with the reason |
//! | `refused` by an account rail (outside the managed OUs, protected group, `adminCount`) | failed with the rail and what to do — unless the read-back already shows the goal (a person did it by hand), then verified, noting the refusal |
//! | `refused` for a group outside `group_ous` | exception: the membership stays and must be removed in AD by hand |
//! | `notFound` | failed: check the locator and the agent's base DN |
//! | `permanentError{message}` | failed, with the agent's message |
//! | `transientError` on any action | the whole step is retried with backoff (every action is idempotent) |
//! | the command `Rejected` (expired, forged, unknown key, replayed) | permanent failure: a configuration problem or a bug, never retried blindly |
//! | relay: no listener (502), timeout (504), relay unreachable | transient: retried with backoff; after [`UNREACHABLE_AFTER_ATTEMPTS`] attempts a person is told the agent is unreachable |
//! | relay: 401/403/404, or an answer that is not an agent response | permanent failure naming what to fix |

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use offboard_agent_proto::{
    Action, ActionResult, AgentCommand, AgentResponse, CaseId as AgentCaseId, CommandResult,
    Outcome as AgentOutcome, RefusalReason, UserLocator, UserState,
};
use offboard_core::evidence::{Outcome, ReadBack, RequestOutline};
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::notify::{Notification, NotificationKind};
use offboard_core::plan::Facts;
use offboard_relay::RelayError;

use crate::attempt::{ActionEvidence, StepContext, StepFailure, TargetSystem};
use crate::onprem::{OnPremAgent, UNREACHABLE_AFTER_ATTEMPTS};

/// Target system as evidence names it.
pub(crate) const AD: TargetSystem = TargetSystem::Ad;

/// How the agent finds the leaver: the synced account's `onPremisesSamAccountName` (what Entra
/// Connect wrote; else the one HR sent), else HR's employee id (AD `employeeID`), else the UPN.
pub(crate) fn locator(ctx: &StepContext<'_>) -> Option<UserLocator> {
    locator_of(ctx.facts, ctx.case.event.employee())
}

/// [`locator`] from the plan's facts and the leaver as HR named them (the ghost-access scan
/// finds a sealed case's AD account the same way).
pub(crate) fn locator_of(facts: &Facts, employee: &EmployeeIdentifiers) -> Option<UserLocator> {
    fn nonempty(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let sam = nonempty(&facts.on_premises_sam_account_name)
        .or_else(|| nonempty(&employee.on_premises_sam_account_name));
    if let Some(sam) = sam {
        return Some(UserLocator::SamAccountName(sam.to_owned()));
    }
    if let Some(e) = nonempty(&employee.employee_id) {
        return Some(UserLocator::EmployeeId(e.to_owned()));
    }
    nonempty(&facts.user.user_principal_name).map(|u| UserLocator::UserPrincipalName(u.to_owned()))
}

/// A command the agent executed, with what the step needs to record it.
#[derive(Debug, Clone)]
pub(crate) struct Executed {
    pub(crate) result: CommandResult,
    pub(crate) locator: UserLocator,
    pub(crate) channel: String,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) ended_at: DateTime<Utc>,
}

impl Executed {
    /// The result of `action`'s kind (actions are sent once each).
    pub(crate) fn action(&self, name: &str) -> Option<&ActionResult> {
        self.result.actions.iter().find(|a| a.action.name() == name)
    }

    /// The account's DN, objectGUID (or the locator when it was not found).
    fn target_ids(&self) -> Vec<String> {
        match self.result.before.as_ref().or(self.result.after.as_ref()) {
            Some(u) => vec![u.object_guid.to_string(), u.dn.clone()],
            None => vec![self.locator.to_string()],
        }
    }

    pub(crate) fn dn(&self) -> String {
        self.result
            .before
            .as_ref()
            .map(|u| u.dn.clone())
            .unwrap_or_else(|| self.locator.to_string())
    }

    /// The state after the command, if the agent could read it.
    pub(crate) fn after(&self) -> Option<&UserState> {
        self.result.after.as_ref()
    }

    /// The state before the command.
    pub(crate) fn before(&self) -> Option<&UserState> {
        self.result.before.as_ref()
    }
}

/// A failed attempt with no agent answer to show, as evidence.
fn failed_attempt(
    ctx: &StepContext<'_>,
    what: &str,
    reason: String,
    details: Option<Value>,
    started_at: DateTime<Utc>,
) -> ActionEvidence {
    ActionEvidence {
        target_system: AD,
        action: what.to_owned(),
        target_ids: locator(ctx)
            .map(|l| vec![l.to_string()])
            .unwrap_or_default(),
        request: None,
        response_status: None,
        service_request_id: None,
        read_back: None,
        outcome: Outcome::Failed,
        reason: Some(reason),
        details,
        started_at,
        ended_at: Utc::now(),
    }
}

fn permanent(
    ctx: &StepContext<'_>,
    what: &str,
    detail: String,
    details: Option<Value>,
    started_at: DateTime<Utc>,
) -> StepFailure {
    StepFailure::Permanent {
        detail: detail.clone(),
        action: Some(Box::new(failed_attempt(
            ctx, what, detail, details, started_at,
        ))),
    }
}

/// Signs a command with `actions` for the leaver, sends it, and classifies the answer. `what`
/// names the step's work for evidence of a failed attempt.
pub(crate) async fn execute(
    agent: &OnPremAgent,
    ctx: &StepContext<'_>,
    what: &str,
    actions: Vec<Action>,
) -> Result<Executed, StepFailure> {
    let started_at = Utc::now();
    let Some(target) = locator(ctx) else {
        return Err(permanent(
            ctx,
            what,
            "the leaver has no on-premises sAMAccountName, employee id or UPN to find the AD account by; offboard the AD account by hand, then retry the step".into(),
            None,
            started_at,
        ));
    };
    let case_id = AgentCaseId::parse(ctx.case.id.as_str()).map_err(|e| {
        permanent(
            ctx,
            what,
            format!("the case id cannot be sent to the agent: {e}"),
            None,
            started_at,
        )
    })?;
    // The agent checks validity against its own clock: issue on the wall clock.
    let command = AgentCommand::new(
        case_id,
        target.clone(),
        actions,
        Utc::now(),
        agent.command_ttl,
    );
    let command_id = command.id;
    let signed = agent
        .signing_key
        .sign(&command)
        .map_err(|e| permanent(ctx, what, e.to_string(), None, started_at))?;
    let channel = agent.channel.describe();
    tracing::info!(step = %ctx.step.kind, command_id = %command_id, target = %target, via = %channel, "sending a command to the on-prem agent");
    let sent = agent.channel.send(&signed).await;
    let details = || {
        Some(json!({
            "commandId": command_id.to_string(),
            "locator": target.to_string(),
            "via": channel,
            "signingKeyId": agent.signing_key.key_id().as_str(),
        }))
    };
    let response = match sent {
        Ok(r) => r,
        Err(e) if e.is_transient() => {
            unreachable_alert(agent, ctx, &e).await;
            return Err(StepFailure::Transient {
                detail: e.to_string(),
            });
        }
        Err(e) => {
            return Err(permanent(ctx, what, e.to_string(), details(), started_at));
        }
    };
    let result = match response {
        AgentResponse::Rejected(r) => {
            return Err(permanent(
                ctx,
                what,
                format!(
                    "agent {} refused the command before touching AD: {}",
                    r.agent.name, r.rejection
                ),
                details().map(|mut d| {
                    d["rejection"] = serde_json::to_value(&r.rejection).unwrap_or(Value::Null);
                    d
                }),
                started_at,
            ));
        }
        AgentResponse::Executed(r) => *r,
    };
    if result.command_id != command_id || result.case_id.as_str() != ctx.case.id.as_str() {
        return Err(permanent(
            ctx,
            what,
            format!(
                "the agent answered for command {} of case {}, not for command {command_id}; check that only offboard agents listen on {channel}",
                result.command_id, result.case_id
            ),
            details(),
            started_at,
        ));
    }
    if result.any_transient() {
        let messages: Vec<String> = result
            .actions
            .iter()
            .filter_map(|a| match &a.outcome {
                AgentOutcome::TransientError { message } => {
                    Some(format!("{}: {message}", a.action.name()))
                }
                _ => None,
            })
            .collect();
        return Err(StepFailure::Transient {
            detail: format!(
                "agent {} could not finish: {}",
                result.agent.name,
                messages.join("; ")
            ),
        });
    }
    Ok(Executed {
        result,
        locator: target,
        channel,
        started_at,
        ended_at: Utc::now(),
    })
}

/// Tells a person once the agent has been unreachable for [`UNREACHABLE_AFTER_ATTEMPTS`]
/// attempts of this step. A notification that cannot be queued is logged, never fatal: the
/// engine's own failure notification follows if the step gives up.
async fn unreachable_alert(agent: &OnPremAgent, ctx: &StepContext<'_>, error: &RelayError) {
    let unreachable = matches!(
        error,
        RelayError::NoListener { .. } | RelayError::Timeout { .. } | RelayError::Unreachable { .. }
    );
    if !unreachable || ctx.step.attempts != UNREACHABLE_AFTER_ATTEMPTS {
        return;
    }
    let Some(notifier) = &agent.notifier else {
        return;
    };
    let kind = NotificationKind::AgentUnreachable;
    let n = Notification {
        recipients: Vec::new(),
        kind,
        case_id: ctx.case.id.clone(),
        leaver: ctx.case.event.employee().display_name().to_owned(),
        what: format!(
            "{} could not reach the on-prem agent in {} attempts: {error}",
            ctx.step.kind, ctx.step.attempts
        ),
        action: format!(
            "Check that the offboard-agent service runs and can reach the relay ({}); the step keeps retrying, and if it gives up, retry it: POST /api/cases/{}/steps/{}/retry",
            agent.describe(),
            ctx.case.id,
            ctx.step.kind
        ),
        at: Utc::now(),
        key: format!("{}:{kind:?}:{}", ctx.case.id, ctx.step.kind),
    };
    if let Err(e) = notifier.notify(&n).await {
        tracing::warn!(error = %e, "could not queue the agent-unreachable notification");
    }
}

/// What a person must do about a rail's refusal.
fn refusal_advice(reason: &RefusalReason) -> String {
    match reason {
        RefusalReason::OutsideManagedOus { dn } => format!(
            "the agent refused: {dn} is outside the OUs it manages (scope.managed_ous); if this is the leaver's account, move it into a managed OU (or do this by hand), then retry the step"
        ),
        RefusalReason::ProtectedAccount { group_dn } => format!(
            "the agent refused: the account is protected (member of {group_dn}); a Tier-0 administrator must do this by hand, then retry the step to record it"
        ),
        RefusalReason::AdminCount => "the agent refused: the account has adminCount=1 (protected by AdminSDHolder); a domain administrator must do this by hand, then retry the step to record it".into(),
        RefusalReason::GroupOutsideManagedOus { group_dn } => format!(
            "membership in {group_dn} kept: the group is outside the agent's group_ous; remove it in AD by hand (or add its OU to group_ous and retry)"
        ),
        RefusalReason::OuOutsideManagedOus { ou } => format!(
            "the agent refused to move the account into {ou}: it is outside the OUs it manages (scope.managed_ous); move it in AD by hand, then retry the step"
        ),
        RefusalReason::ProtectedGroup { group_dn } => format!(
            "the agent refused to add the account to {group_dn}: a protected group; a Tier-0 administrator decides and adds it by hand"
        ),
        RefusalReason::DeleteNotAllowed => "the agent refused to delete the account: its configuration does not allow deleting (scope.allow_delete = false); delete the AD object in Active Directory by hand (directory sync then moves the cloud account to deleted items, restorable for 30 days), or allow deleting in the agent's configuration and retry the step".into(),
        RefusalReason::AccountEnabled => "the agent refused to delete the account: it is enabled (someone enabled it again since the termination); find out why before deleting it by hand".into(),
    }
}

/// The evidence of one agent action.
pub(crate) struct AdRecord<'a> {
    /// The command's answer.
    pub(crate) executed: &'a Executed,
    /// The action's result.
    pub(crate) result: &'a ActionResult,
    /// The work in words.
    pub(crate) what: String,
    /// The LDAP operation in outline when a change was made (the read when already done).
    pub(crate) request: (&'static str, String),
    /// Expected versus observed from the agent's read-back.
    pub(crate) read_back: ReadBack,
    /// Facts of this action.
    pub(crate) details: Value,
}

impl AdRecord<'_> {
    /// The evidence, with the outcome mapped as the module's table says.
    pub(crate) fn evidence(self) -> ActionEvidence {
        let ex = self.executed;
        let changed = matches!(self.result.outcome, AgentOutcome::Done);
        let (method, target) = if changed {
            self.request
        } else {
            ("LDAP search", ex.dn())
        };
        let mut details = json!({
            "agentOutcome": self.result.outcome,
            "changed": changed,
            "commandId": ex.result.command_id.to_string(),
            "agent": ex.result.agent,
            "via": ex.channel,
            "locator": ex.locator.to_string(),
            "safety": ex.result.safety,
        });
        if !self.result.items.is_empty() {
            details["items"] = serde_json::to_value(&self.result.items).unwrap_or(Value::Null);
        }
        if let (Value::Object(d), Value::Object(extra)) = (&mut details, self.details) {
            d.extend(extra);
        }
        let (outcome, reason) = match &self.result.outcome {
            AgentOutcome::Done | AgentOutcome::AlreadyDone => {
                if self.read_back.matches {
                    (Outcome::Verified, None)
                } else {
                    (
                        Outcome::Failed,
                        Some(format!(
                            "{}: the agent reported it done but its read-back does not show the expected state (expected {}, observed {}); check the account in AD, then retry the step",
                            self.what, self.read_back.expected, self.read_back.observed
                        )),
                    )
                }
            }
            AgentOutcome::NotApplicable { reason } => {
                (Outcome::NotApplicable, Some(reason.clone()))
            }
            // A rail the agent's owner chose (which groups it may touch, whether it may delete
            // accounts): an exception for a person to act on, not a fault to retry.
            AgentOutcome::Refused {
                reason:
                    reason @ (RefusalReason::GroupOutsideManagedOus { .. }
                    | RefusalReason::DeleteNotAllowed),
            } => (Outcome::Exception, Some(refusal_advice(reason))),
            AgentOutcome::Refused { reason } => {
                if self.read_back.matches {
                    details["refusedBy"] = serde_json::to_value(reason).unwrap_or(Value::Null);
                    details["note"] = Value::String(
                        "the agent changed nothing (safety rail); the account already shows the expected state".into(),
                    );
                    (Outcome::Verified, None)
                } else {
                    (Outcome::Failed, Some(refusal_advice(reason)))
                }
            }
            AgentOutcome::NotFound => (
                Outcome::Failed,
                Some(format!(
                    "no AD account matches {} under the agent's base DN; check the leaver's on-premises sAMAccountName in Entra ID and the agent's ldap.base_dn, then retry the step",
                    ex.locator
                )),
            ),
            AgentOutcome::PermanentError { message } => {
                (Outcome::Failed, Some(format!("{}: {message}", self.what)))
            }
            // Handled before any evidence is built (the step is retried); kept total.
            AgentOutcome::TransientError { message } => (
                Outcome::Failed,
                Some(format!("{}: {message}; retry the step", self.what)),
            ),
        };
        // Without a read-back (the account was not found) or with nothing to compare (not
        // applicable), the record carries none.
        let read_back =
            (ex.after().is_some() && outcome != Outcome::NotApplicable).then_some(self.read_back);
        ActionEvidence {
            target_system: AD,
            action: self.what,
            target_ids: ex.target_ids(),
            request: Some(RequestOutline {
                method: method.to_owned(),
                target,
            }),
            response_status: None,
            service_request_id: Some(ex.result.command_id.to_string()),
            read_back,
            outcome,
            reason,
            details: Some(details),
            started_at: ex.started_at,
            ended_at: ex.ended_at,
        }
    }
}

/// Evidence for an action the agent did not report (an agent that skipped it): failed.
pub(crate) fn missing_action(executed: &Executed, name: &str, what: &str) -> ActionEvidence {
    ActionEvidence {
        target_system: AD,
        action: what.to_owned(),
        target_ids: executed.target_ids(),
        request: None,
        response_status: None,
        service_request_id: Some(executed.result.command_id.to_string()),
        read_back: None,
        outcome: Outcome::Failed,
        reason: Some(format!(
            "the agent's answer has no result for {name}; check that the agent's version matches the handler's, then retry the step"
        )),
        details: None,
        started_at: executed.started_at,
        ended_at: executed.ended_at,
    }
}

/// A state as evidence shows it (no password material exists in it).
pub(crate) fn state_json(u: Option<&UserState>) -> Value {
    u.map(|u| serde_json::to_value(u).unwrap_or(Value::Null))
        .unwrap_or(Value::Null)
}
