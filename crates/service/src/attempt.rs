//! One attempt of a step, in the words every layer under the engine shares: what a step sees
//! when it runs ([`StepContext`]), what it did ([`ActionEvidence`]), what it came to
//! ([`StepReport`]) and why it could not finish this time ([`StepFailure`]).
//!
//! This is the leaf the others stand on: the engine runs steps, the steps call Microsoft 365
//! (`m365`) and the on-prem agent (`onprem`), and all of them speak these types, so they
//! live below all of them and imports run one way (engine → steps → m365 / onprem → here).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::time::Duration;

use offboard_core::case::Case;
use offboard_core::evidence::{Outcome, ReadBack, RecordBody, RequestOutline};
use offboard_core::plan::{Facts, Plan, Step, StepKind, StepStatus};
use offboard_core::policy::KindPolicy;

/// What a step sees when it runs.
pub struct StepContext<'a> {
    /// The case.
    pub case: &'a Case,
    /// Its plan.
    pub plan: &'a Plan,
    /// The step being run.
    pub step: &'a Step,
    /// What the planner found.
    pub facts: &'a Facts,
    /// The policy for the termination kind.
    pub policy: &'a KindPolicy,
    /// When this step was first started: a state change observed after this instant was
    /// made by an earlier attempt of this same step.
    pub since: DateTime<Utc>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// A system a step acts on, as evidence names it (`target_system`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetSystem {
    /// Entra ID through Microsoft Graph.
    Entra,
    /// Exchange Online.
    Exchange,
    /// OneDrive for Business.
    Onedrive,
    /// SharePoint: site libraries and other people's OneDrives, as `revoke-sharing` reaches
    /// them through search.
    Sharepoint,
    /// Intune.
    Intune,
    /// On-premises Active Directory, through the agent.
    Ad,
    /// A system outside Microsoft, reached through the connector of this name (evidence and
    /// the report name it as configured: `salesforce`).
    Connector(offboard_core::plan::ConnectorName),
}

impl TargetSystem {
    /// The name in evidence records (`entra`, `exchange`, `onedrive`, `sharepoint`, `intune`, `ad`, or
    /// the connector's name); evidence already written uses these names, so they never
    /// change.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Connector(name) => name.as_str(),
            Self::Entra => "entra",
            Self::Exchange => "exchange",
            Self::Onedrive => "onedrive",
            Self::Sharepoint => "sharepoint",
            Self::Intune => "intune",
            Self::Ad => "ad",
        }
    }
}

impl std::fmt::Display for TargetSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the name evidence records hold.
impl PartialEq<&str> for TargetSystem {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One action attempt and its outcome, as evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionEvidence {
    /// The system acted on.
    pub target_system: TargetSystem,
    /// The action in words.
    pub action: String,
    /// Ids of the objects acted on.
    pub target_ids: Vec<String>,
    /// The request in outline (no secrets).
    pub request: Option<RequestOutline>,
    /// The response status.
    pub response_status: Option<u16>,
    /// The service's request id.
    pub service_request_id: Option<String>,
    /// Expected versus observed.
    pub read_back: Option<ReadBack>,
    /// The outcome.
    pub outcome: Outcome,
    /// Why, for anything but verified.
    pub reason: Option<String>,
    /// Further facts (sanitised before recording).
    pub details: Option<Value>,
    /// When the attempt started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: DateTime<Utc>,
}

impl ActionEvidence {
    /// The evidence record body of this attempt, made by `step` and acted by `actor`.
    pub fn record_body(&self, step: StepKind, actor: &str) -> RecordBody {
        RecordBody {
            step: step.as_str().to_owned(),
            target_system: self.target_system.as_str().to_owned(),
            action: self.action.clone(),
            target_ids: self.target_ids.clone(),
            request: self.request.clone(),
            response_status: self.response_status,
            service_request_id: self.service_request_id.clone(),
            read_back: self.read_back.clone(),
            started_at: self.started_at,
            ended_at: self.ended_at,
            actor: actor.to_owned(),
            outcome: self.outcome,
            reason: self.reason.clone(),
            details: self.details.clone(),
        }
    }
}

/// What a step came to.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// Terminal status: verified, not applicable, exception or failed.
    pub status: StepStatus,
    /// Why, for anything but verified.
    pub reason: Option<String>,
    /// Every action attempt, in order (at least one).
    pub actions: Vec<ActionEvidence>,
    /// A person is asked to act although the step did not fail: an exception that a person
    /// can resolve outside offboard and then retry (the engine opens a remediation item and
    /// notifies, as for a failure).
    pub remediation: bool,
}

impl StepReport {
    /// The status implied by the actions: failed if any failed, exception if any is an
    /// exception, verified if all verified (or not applicable).
    pub fn from_actions(actions: Vec<ActionEvidence>) -> Self {
        let any = |o: Outcome| actions.iter().any(|a| a.outcome == o);
        let (status, reason) = if any(Outcome::Failed) {
            (StepStatus::Failed, first_reason(&actions, Outcome::Failed))
        } else if any(Outcome::Exception) {
            (
                StepStatus::Exception,
                first_reason(&actions, Outcome::Exception),
            )
        } else if actions.iter().all(|a| a.outcome == Outcome::NotApplicable) {
            (
                StepStatus::NotApplicable,
                first_reason(&actions, Outcome::NotApplicable),
            )
        } else {
            (StepStatus::Verified, None)
        };
        Self {
            status,
            reason,
            actions,
            remediation: false,
        }
    }

    /// The same report, asking for a remediation item whatever its status (see
    /// [`StepReport::remediation`]).
    pub fn with_remediation(mut self) -> Self {
        self.remediation = true;
        self
    }
}

fn first_reason(actions: &[ActionEvidence], o: Outcome) -> Option<String> {
    let reasons: Vec<&str> = actions
        .iter()
        .filter(|a| a.outcome == o)
        .filter_map(|a| a.reason.as_deref())
        .collect();
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// Why a step could not finish this time.
#[derive(Debug, Clone, PartialEq)]
pub enum StepFailure {
    /// The service throttled: run the step again after this delay (does not count as an
    /// attempt).
    Throttled {
        /// Wait at least this long.
        retry_after: Duration,
        /// What the service said.
        detail: String,
    },
    /// A temporary failure: retry with backoff.
    Transient {
        /// What happened.
        detail: String,
    },
    /// Retrying will not help: the step fails and a person is asked to act.
    Permanent {
        /// What happened, with the service's request id.
        detail: String,
        /// The failed attempt, recorded as evidence.
        action: Option<Box<ActionEvidence>>,
    },
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Throttled {
                retry_after,
                detail,
            } => write!(
                f,
                "throttled, retry in {} s: {detail}",
                retry_after.as_secs()
            ),
            Self::Transient { detail } => write!(f, "temporary failure: {detail}"),
            Self::Permanent { detail, .. } => write!(f, "{detail}"),
        }
    }
}

/// One step kind's behaviour.
#[async_trait]
pub trait StepAction: Send + Sync {
    /// Which step this is.
    fn kind(&self) -> StepKind;
    /// Acts, verifies and reports.
    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure>;
}
