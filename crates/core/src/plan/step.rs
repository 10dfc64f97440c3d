//! Steps and their states.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use super::connector::{CONNECTOR_QUEUE, CONNECTOR_STEP_PREFIX, ConnectorName};
use super::restore_kind::{RESTORE_QUEUE, RESTORE_STEP_PREFIX, RestoreAction};

/// Every kind of step offboard knows. Each built-in kind has its own queue and
/// queue-triggered function (same name), so steps scale and retry independently; the
/// connectors declared in configuration share one (`step-connector`), each message naming
/// its connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepKind {
    /// Disable the on-premises AD account (through the agent).
    AdDisable,
    /// Reset the on-premises password (through the agent).
    AdResetPassword,
    /// Remove on-premises group memberships, move to the disabled OU, stamp (agent).
    AdCleanup,
    /// Verify the cloud account turned disabled after directory sync.
    VerifyCloudDisabled,
    /// Block cloud sign-in (`accountEnabled=false`).
    BlockSignIn,
    /// Revoke refresh tokens and session cookies.
    RevokeSessions,
    /// Reset the cloud password to a random value.
    ResetPassword,
    /// Remove authentication methods (MFA).
    RemoveAuthMethods,
    /// Remove directory role assignments.
    RemoveDirectoryRoles,
    /// Remove app role assignments.
    RemoveAppRoles,
    /// Delete the delegated permission grants the leaver consented to.
    RemoveOauthGrants,
    /// Remove the leaver's PIM-eligible directory roles and PIM-for-Groups eligibility.
    RemovePimEligibility,
    /// Hand the groups, app registrations and service principals the leaver owns to a
    /// successor, then remove the leaver as owner.
    TransferOwnerships,
    /// Remove cloud group memberships (Graph-editable groups).
    RemoveGroups,
    /// Convert the mailbox to shared.
    ConvertMailbox,
    /// Give the manager full access to the mailbox.
    MailboxManagerAccess,
    /// Set the automatic reply.
    AutoReply,
    /// Hide the mailbox from address lists.
    HideFromAddressLists,
    /// Give the manager access to the OneDrive.
    OnedriveManagerAccess,
    /// Remove anonymous and organisation-wide sharing links from the OneDrive.
    RevokeSharing,
    /// Retire managed devices.
    RetireDevices,
    /// Remove direct licences.
    RemoveLicences,
    /// Delete the account, days after the effective time (policy `[delete_account]`, off by
    /// default): a follow-up on the same case after it was sealed, sealed again.
    DeleteAccount,
    /// Seal the case's evidence.
    Seal,
    /// Deprovision and verify the leaver in a system outside Microsoft (a configured
    /// connector: SCIM, or Entra ID's own provisioning service), after the sign-in cut.
    Connector(ConnectorName),
    /// Clear mailbox forwarding and disable forwarding inbox rules (right after the cut).
    StopForwarding,
    /// Litigation hold on the mailbox before any licence goes.
    HoldMailbox,
    /// Remove the leaver's FullAccess, SendAs and SendOnBehalf on other mailboxes.
    RemoveMailboxRightsElsewhere,
    /// Account-only wipe of mobile mail partnerships, then remove them.
    WipeMobileMail,
    /// Cancel the future meetings the leaver organises.
    CancelMeetings,
    /// Put back one thing the case took away (a restore after a mistaken termination), on
    /// the same plan, after the case had ended.
    Restore(RestoreAction),
}

impl StepKind {
    /// Every kind, in planning order.
    pub const ALL: [StepKind; 29] = [
        Self::AdDisable,
        Self::BlockSignIn,
        Self::RevokeSessions,
        Self::VerifyCloudDisabled,
        Self::AdResetPassword,
        Self::ResetPassword,
        Self::RemoveAuthMethods,
        Self::RemoveDirectoryRoles,
        Self::RemovePimEligibility,
        Self::RemoveAppRoles,
        Self::RemoveOauthGrants,
        Self::TransferOwnerships,
        Self::RetireDevices,
        Self::StopForwarding,
        Self::RemoveMailboxRightsElsewhere,
        Self::WipeMobileMail,
        Self::ConvertMailbox,
        Self::MailboxManagerAccess,
        Self::AutoReply,
        Self::HideFromAddressLists,
        Self::OnedriveManagerAccess,
        Self::RevokeSharing,
        Self::CancelMeetings,
        Self::HoldMailbox,
        Self::RemoveGroups,
        Self::AdCleanup,
        Self::RemoveLicences,
        Self::DeleteAccount,
        Self::Seal,
    ];

    /// The name used in plans, evidence and URLs (`remove-licences`,
    /// `connector:salesforce`).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Connector(name) => name.step_name(),
            Self::Restore(action) => action.step_name(),
            Self::AdDisable => "ad-disable",
            Self::AdResetPassword => "ad-reset-password",
            Self::AdCleanup => "ad-cleanup",
            Self::VerifyCloudDisabled => "verify-cloud-disabled",
            Self::BlockSignIn => "block-sign-in",
            Self::RevokeSessions => "revoke-sessions",
            Self::ResetPassword => "reset-password",
            Self::RemoveAuthMethods => "remove-auth-methods",
            Self::RemoveDirectoryRoles => "remove-directory-roles",
            Self::RemoveAppRoles => "remove-app-roles",
            Self::RemoveOauthGrants => "remove-oauth-grants",
            Self::RemovePimEligibility => "remove-pim-eligibility",
            Self::TransferOwnerships => "transfer-ownerships",
            Self::RemoveGroups => "remove-groups",
            Self::ConvertMailbox => "convert-mailbox",
            Self::MailboxManagerAccess => "mailbox-manager-access",
            Self::AutoReply => "auto-reply",
            Self::HideFromAddressLists => "hide-from-address-lists",
            Self::OnedriveManagerAccess => "onedrive-manager-access",
            Self::RevokeSharing => "revoke-sharing",
            Self::RetireDevices => "retire-devices",
            Self::RemoveLicences => "remove-licences",
            Self::DeleteAccount => "delete-account",
            Self::Seal => "seal",
            Self::StopForwarding => "stop-forwarding",
            Self::HoldMailbox => "hold-mailbox",
            Self::RemoveMailboxRightsElsewhere => "remove-mailbox-rights-elsewhere",
            Self::WipeMobileMail => "wipe-mobile-mail",
            Self::CancelMeetings => "cancel-meetings",
        }
    }

    /// Parses the name.
    pub fn parse(name: &str) -> Option<Self> {
        if let Some(connector) = name.strip_prefix(CONNECTOR_STEP_PREFIX) {
            return ConnectorName::parse(connector).ok().map(Self::Connector);
        }
        if let Some(action) = name.strip_prefix(RESTORE_STEP_PREFIX) {
            return RestoreAction::parse(action).map(Self::Restore);
        }
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The queue (and function) that runs this step: `step-<kind>`, `step-connector` for
    /// every connector, `step-restore` for every restore action.
    pub fn queue(self) -> String {
        match self {
            Self::Connector(_) => CONNECTOR_QUEUE.to_owned(),
            Self::Restore(_) => RESTORE_QUEUE.to_owned(),
            _ => format!("step-{}", self.as_str()),
        }
    }

    /// The connector this step deprovisions in, if it is a connector step.
    pub fn connector(self) -> Option<ConnectorName> {
        match self {
            Self::Connector(name) => Some(name),
            _ => None,
        }
    }

    /// The restore action, if it is a restore step.
    pub fn restore(self) -> Option<RestoreAction> {
        match self {
            Self::Restore(action) => Some(action),
            _ => None,
        }
    }

    /// Where the step sits in a plan shown to people: the built-in kinds in the order of
    /// [`StepKind::ALL`], connectors (by name) just before the seal, and a restore's steps
    /// (in running order) after it, since they ran after the case had ended.
    pub fn display_order(self) -> (usize, Option<ConnectorName>) {
        match self {
            Self::Connector(name) => (Self::ALL.len() - 1, Some(name)),
            Self::Seal => (Self::ALL.len(), None),
            Self::Restore(action) => (
                Self::ALL.len()
                    + 1
                    + RestoreAction::ALL
                        .iter()
                        .position(|a| *a == action)
                        .unwrap_or_default(),
                None,
            ),
            k => (
                Self::ALL.iter().position(|a| *a == k).unwrap_or_default(),
                None,
            ),
        }
    }

    /// Whether the on-prem agent performs it.
    pub fn is_on_prem(self) -> bool {
        matches!(
            self,
            Self::AdDisable | Self::AdResetPassword | Self::AdCleanup
        ) || self.restore().is_some_and(RestoreAction::is_on_prem)
    }
}

/// Written as its name (`remove-licences`, `connector:salesforce`).
impl Serialize for StepKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StepKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown step kind `{name}`: one of {}, connector:<name> or restore:<action>",
                Self::ALL.map(|k| k.as_str().to_owned()).join(", ")
            ))
        })
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not started; waits for its predecessors.
    Pending,
    /// Its message is on the queue (or it is running).
    Queued,
    /// Waiting for something outside offboard (the on-prem agent, directory sync).
    Waiting,
    /// A follow-up due at the step's `not_before` (`delete-account`): the case ends and is
    /// sealed without it; the scheduler releases it on the same case when it falls due.
    Scheduled,
    /// Done, and the read-back matched.
    Verified,
    /// Nothing to do, with the reason.
    NotApplicable,
    /// Cannot be done here (a dynamic group, a distribution list, a synced group): recorded
    /// with the reason and where it must be handled; never reported as done.
    Exception,
    /// Failed permanently; a remediation item is open.
    Failed,
}

impl StepStatus {
    /// Whether nothing more will happen to the step without a person (retry endpoint).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Verified | Self::NotApplicable | Self::Exception | Self::Failed
        )
    }

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Queued => "queued",
            Self::Waiting => "waiting",
            Self::Scheduled => "scheduled",
            Self::Verified => "verified",
            Self::NotApplicable => "not_applicable",
            Self::Exception => "exception",
            Self::Failed => "failed",
        }
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What it does.
    pub kind: StepKind,
    /// Steps that must be terminal first.
    pub depends_on: Vec<StepKind>,
    /// Where it stands.
    pub status: StepStatus,
    /// What it will change (the dry run shows this), or why it does not apply.
    pub preview: Vec<String>,
    /// Why it ended as it did (not applicable, exception, failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// When it was first enqueued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a terminal state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// The evidence record of its outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_seq: Option<u64>,
    /// While an invocation runs the step, it holds it until this instant (renewed while it
    /// runs); a duplicate message waits, and a crashed invocation's claim expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<DateTime<Utc>>,
    /// Who holds the lease: a holder known to be dead can be taken over before it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_holder: Option<LeaseHolder>,
    /// For a [`StepStatus::Scheduled`] follow-up: when it falls due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<DateTime<Utc>>,
    /// A step sent back to its queue for later (throttled, or paced to the write quota):
    /// when its own message comes back. The stuck-step sweep counts from then, not from when
    /// the step was first queued, so a step a long throttle keeps waiting is not sent twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comes_back_at: Option<DateTime<Utc>>,
    /// Whether a remediation item may exist for the step: `Some(false)` from planning until
    /// the step first fails or waits for an operator (then `Some(true)`, set in the same
    /// write as that status, before the item is stored). `None` in a case planned before
    /// this was recorded: unknown, so the store is asked. A step that succeeds looks for an
    /// item to resolve only when one may exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation_item: Option<bool>,
}

/// The invocation holding a step's lease, and the process it runs in: enough for another
/// process on the same host to tell that the holder died (its process is gone, or the
/// process id now belongs to a later process).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseHolder {
    /// This claim's own id (one per invocation that took the lease).
    pub claim: String,
    /// Where process ids can be compared: the kernel's boot id and the process-id
    /// namespace (`{bootId}/{pidNamespace}`); none when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The holder's process id on that host.
    pub pid: u32,
    /// When that process started, in the kernel's clock ticks since boot (a reused process
    /// id has another start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_start: Option<u64>,
}

impl Step {
    /// A pending step.
    pub fn pending(kind: StepKind, depends_on: Vec<StepKind>, preview: Vec<String>) -> Self {
        Self {
            kind,
            depends_on,
            status: StepStatus::Pending,
            preview,
            reason: None,
            attempts: 0,
            started_at: None,
            finished_at: None,
            evidence_seq: None,
            lease_until: None,
            lease_holder: None,
            not_before: None,
            comes_back_at: None,
            remediation_item: Some(false),
        }
    }
}
