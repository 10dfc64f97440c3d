//! What every cloud step shares: the evidence of one action attempt ([`Attempt`]), the
//! read-back record, turning a failed call into a [`StepFailure`] that carries its evidence,
//! and recognising a change an earlier attempt of the same step made.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::Value;
use std::future::Future;
use std::time::Duration;

use offboard_core::evidence::{Outcome, ReadBack, RequestOutline, millis};
use offboard_graph::{GraphError, NotApplicableReason, Reply};

use crate::attempt::{ActionEvidence, StepContext, StepFailure, StepReport, TargetSystem};
use crate::m365::{advice, step_failure};

/// Entra ID, the target of most cloud steps.
pub(crate) const ENTRA: TargetSystem = TargetSystem::Entra;
/// Exchange Online.
pub(crate) const EXCHANGE: TargetSystem = TargetSystem::Exchange;
/// OneDrive for Business.
pub(crate) const ONEDRIVE: TargetSystem = TargetSystem::Onedrive;
/// SharePoint (site libraries and other people's OneDrives).
pub(crate) const SHAREPOINT: TargetSystem = TargetSystem::Sharepoint;
/// Intune.
pub(crate) const INTUNE: TargetSystem = TargetSystem::Intune;

/// The Exchange admin endpoint as a request outline names it.
pub(crate) const INVOKE_COMMAND: &str = "/adminapi/beta/{tenantId}/InvokeCommand";

/// How long the engine waits before a step that watches for another system's change
/// (directory sync, Entra's provisioning service) looks again.
pub const RECHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// How far a service's clock may lag ours when a step recognises its own earlier change by
/// time (Graph's timestamps have whole seconds; Entra's and the host's clocks are close but
/// not equal). Erring this way only takes a change made moments before the step as its own.
pub(crate) const CLOCK_SKEW: TimeDelta = TimeDelta::seconds(5);

/// The instant from which a change counts as made by this step: when the step was first
/// started, to the whole second, less [`CLOCK_SKEW`].
pub(crate) fn started(ctx: &StepContext<'_>) -> DateTime<Utc> {
    let s = ctx
        .since
        .duration_trunc(TimeDelta::seconds(1))
        .unwrap_or(ctx.since);
    s - CLOCK_SKEW
}

/// The leaver's UPN (the identity Exchange cmdlets and the evidence use), or the object id.
pub(crate) fn upn<'a>(ctx: &'a StepContext<'_>) -> &'a str {
    ctx.facts
        .user
        .user_principal_name
        .as_deref()
        .unwrap_or(&ctx.facts.user.id)
}

/// The leaver's object id.
pub(crate) fn user_id<'a>(ctx: &'a StepContext<'_>) -> &'a str {
    &ctx.facts.user.id
}

/// Expected versus observed; they match when equal.
pub(crate) fn read_back(expected: Value, observed: Value) -> ReadBack {
    let matches = expected == observed;
    ReadBack {
        expected,
        observed,
        matches,
    }
}

/// Expected versus observed with the match decided by the caller (an inequality, a subset).
pub(crate) fn read_back_if(expected: Value, observed: Value, matches: bool) -> ReadBack {
    ReadBack {
        expected,
        observed,
        matches,
    }
}

/// Reads the state up to three times (0.5 s, then 1 s apart) until `settled` holds, so a
/// directory replica that has not caught up with a write yet is not mistaken for a failed
/// write. Returns the last read.
pub(crate) async fn read_until<T, F, Fut>(
    mut read: F,
    settled: impl Fn(&T) -> bool,
) -> Result<Reply<T>, GraphError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Reply<T>, GraphError>>,
{
    let mut wait = Duration::from_millis(500);
    let mut last = read().await?;
    for _ in 0..2 {
        if settled(&last.value) {
            break;
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
        last = read().await?;
    }
    Ok(last)
}

/// One action attempt on its way to becoming evidence.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    system: TargetSystem,
    action: String,
    target_ids: Vec<String>,
    request: Option<RequestOutline>,
    started_at: DateTime<Utc>,
}

impl Attempt {
    /// An attempt on `system` to do `action` to `target_ids`, starting now.
    pub(crate) fn new(
        system: TargetSystem,
        action: impl Into<String>,
        target_ids: Vec<String>,
    ) -> Self {
        Self {
            system,
            action: action.into(),
            target_ids,
            request: None,
            started_at: Utc::now(),
        }
    }

    /// The request in outline: method and URL template with ids, never a secret.
    pub(crate) fn request(mut self, method: &str, target: impl Into<String>) -> Self {
        self.request = Some(RequestOutline {
            method: method.to_owned(),
            target: target.into(),
        });
        self
    }

    fn evidence(
        self,
        outcome: Outcome,
        status: Option<u16>,
        request_id: Option<String>,
        read_back: Option<ReadBack>,
        reason: Option<String>,
        details: Option<Value>,
    ) -> ActionEvidence {
        ActionEvidence {
            target_system: self.system,
            action: self.action,
            target_ids: self.target_ids,
            request: self.request,
            response_status: status,
            service_request_id: request_id,
            read_back,
            outcome,
            reason,
            details,
            started_at: self.started_at,
            ended_at: Utc::now(),
        }
    }

    /// Done and read back: verified when the read-back matches, failed (for a human) when
    /// it does not. `status` and `request_id` are those of the request acted with (or of the
    /// read, when nothing needed changing).
    pub(crate) fn checked(
        self,
        status: u16,
        request_id: Option<String>,
        read_back: ReadBack,
        details: Option<Value>,
    ) -> ActionEvidence {
        let (outcome, reason) = if read_back.matches {
            (Outcome::Verified, None)
        } else {
            (
                Outcome::Failed,
                Some(format!(
                    "{}: the read-back does not show the expected state (expected {}, observed {}); check the object by hand, then retry the step",
                    self.action, read_back.expected, read_back.observed
                )),
            )
        };
        self.evidence(
            outcome,
            Some(status),
            request_id,
            Some(read_back),
            reason,
            details,
        )
    }

    /// Recorded as not applicable, with the reason.
    pub(crate) fn not_applicable(
        self,
        reason: impl Into<String>,
        status: Option<u16>,
        request_id: Option<String>,
        details: Option<Value>,
    ) -> ActionEvidence {
        self.evidence(
            Outcome::NotApplicable,
            status,
            request_id,
            None,
            Some(reason.into()),
            details,
        )
    }

    /// Recorded as an exception: cannot be done here, with the reason and where it must be
    /// handled. Never reported as done.
    pub(crate) fn exception(
        self,
        reason: impl Into<String>,
        status: Option<u16>,
        request_id: Option<String>,
        read_back: Option<ReadBack>,
        details: Option<Value>,
    ) -> ActionEvidence {
        self.evidence(
            Outcome::Exception,
            status,
            request_id,
            read_back,
            Some(reason.into()),
            details,
        )
    }

    /// Recorded for information (a group-based licence that goes with its group).
    pub(crate) fn noted(self, reason: impl Into<String>, details: Option<Value>) -> ActionEvidence {
        self.evidence(
            Outcome::Noted,
            None,
            None,
            None,
            Some(reason.into()),
            details,
        )
    }

    /// Failed permanently with the service's answer and what to do.
    pub(crate) fn failed(self, err: &GraphError) -> ActionEvidence {
        let reason = format!("{}: {}; {}", self.action, err.info(), advice(err));
        self.evidence(
            Outcome::Failed,
            err.status(),
            err.request_id().map(str::to_owned),
            None,
            Some(reason),
            Some(serde_json::json!({ "errorCode": err.code() })),
        )
    }

    /// What the engine does about a failed call: wait (throttled), retry (transient), or fail
    /// the step with this attempt as its evidence.
    pub(crate) fn fail(self, err: &GraphError) -> StepFailure {
        match step_failure(err, &self.action) {
            StepFailure::Permanent { detail, .. } => StepFailure::Permanent {
                detail,
                action: Some(Box::new(self.failed(err))),
            },
            other => other,
        }
    }
}

/// Whether a call failed only because the object is already gone (a replay after a crash).
pub(crate) fn already_gone(err: &GraphError) -> bool {
    err.is_not_found()
}

/// A removal whose object may already be gone (a replay after a crash): that counts as sent,
/// with Graph's 404 and request id, for the read-back to settle; any other error stays one.
pub(crate) fn gone_counts_as_sent(
    result: Result<Reply<()>, GraphError>,
) -> Result<Reply<()>, GraphError> {
    match result {
        Err(e) if already_gone(&e) => Ok(Reply {
            value: (),
            status: 404,
            request_id: e.request_id().map(str::to_owned),
        }),
        other => other,
    }
}

/// Whether an Exchange cmdlet about the leaver's mailbox failed because there is no mailbox:
/// a 404, or Exchange's `ManagementObjectNotFoundException` whatever status carries it.
pub(crate) fn no_mailbox(err: &GraphError) -> bool {
    err.is_not_found()
        || (matches!(err, GraphError::Permanent(_))
            && err
                .info()
                .message
                .contains("ManagementObjectNotFoundException"))
}

/// The first read of a mailbox step: what Exchange answered, or — when the leaver has no
/// mailbox — the step's whole report (not applicable, with Exchange's status and request id).
pub(crate) fn mailbox_or_report<T>(
    read: &Attempt,
    result: Result<Reply<T>, GraphError>,
) -> Result<Result<Reply<T>, StepReport>, StepFailure> {
    match result {
        Ok(r) => Ok(Ok(r)),
        Err(e) if no_mailbox(&e) => Ok(Err(StepReport::from_actions(vec![
            read.clone().not_applicable(
                "the leaver has no Exchange Online mailbox",
                e.status(),
                e.request_id().map(str::to_owned),
                None,
            ),
        ]))),
        Err(e) => Err(read.clone().fail(&e)),
    }
}

/// The first read of a OneDrive step (`find`: `GET /users/{id}/drive`): the drive, or — when
/// the leaver has none — the step's whole report (not applicable, with Graph's status and
/// request id).
pub(crate) fn onedrive_or_report<T>(
    find: &Attempt,
    result: Result<Reply<T>, GraphError>,
) -> Result<Result<Reply<T>, StepReport>, StepFailure> {
    match result {
        Ok(r) => Ok(Ok(r)),
        Err(
            e @ GraphError::NotApplicable {
                reason: NotApplicableReason::NoOneDrive,
                ..
            },
        ) => Ok(Err(StepReport::from_actions(vec![
            find.clone().not_applicable(
                "the leaver has no OneDrive",
                e.status(),
                e.request_id().map(str::to_owned),
                None,
            ),
        ]))),
        Err(e) => Err(find.clone().fail(&e)),
    }
}

/// Whether `observed` (an RFC 3339 instant or none) is at or after `from`.
pub(crate) fn at_or_after(observed: Option<DateTime<Utc>>, from: DateTime<Utc>) -> bool {
    observed.is_some_and(|t| t >= from)
}

/// An instant as evidence writes it (UTC, milliseconds).
pub(crate) fn instant(t: Option<DateTime<Utc>>) -> Value {
    t.map(|t| Value::String(millis::text(t)))
        .unwrap_or(Value::Null)
}
