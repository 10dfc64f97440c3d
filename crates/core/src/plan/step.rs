//! Steps and their states.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every kind of step offboard knows. Each has its own queue and queue-triggered function
/// (same name), so steps scale and retry independently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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
    /// Retire managed devices.
    RetireDevices,
    /// Remove direct licences.
    RemoveLicences,
    /// Seal the case's evidence.
    Seal,
}

impl StepKind {
    /// Every kind, in planning order.
    pub const ALL: [StepKind; 19] = [
        Self::AdDisable,
        Self::BlockSignIn,
        Self::RevokeSessions,
        Self::VerifyCloudDisabled,
        Self::AdResetPassword,
        Self::ResetPassword,
        Self::RemoveAuthMethods,
        Self::RemoveDirectoryRoles,
        Self::RemoveAppRoles,
        Self::RetireDevices,
        Self::ConvertMailbox,
        Self::MailboxManagerAccess,
        Self::AutoReply,
        Self::HideFromAddressLists,
        Self::OnedriveManagerAccess,
        Self::RemoveGroups,
        Self::AdCleanup,
        Self::RemoveLicences,
        Self::Seal,
    ];

    /// The name used in plans, evidence, URLs, queue and function names.
    pub fn as_str(self) -> &'static str {
        match self {
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
            Self::RemoveGroups => "remove-groups",
            Self::ConvertMailbox => "convert-mailbox",
            Self::MailboxManagerAccess => "mailbox-manager-access",
            Self::AutoReply => "auto-reply",
            Self::HideFromAddressLists => "hide-from-address-lists",
            Self::OnedriveManagerAccess => "onedrive-manager-access",
            Self::RetireDevices => "retire-devices",
            Self::RemoveLicences => "remove-licences",
            Self::Seal => "seal",
        }
    }

    /// Parses the name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The queue (and function) that runs this step.
    pub fn queue(self) -> String {
        format!("step-{}", self.as_str())
    }

    /// Whether the on-prem agent performs it.
    pub fn is_on_prem(self) -> bool {
        matches!(
            self,
            Self::AdDisable | Self::AdResetPassword | Self::AdCleanup
        )
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
        }
    }
}
