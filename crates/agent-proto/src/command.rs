//! What the handler asks the agent to do.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Unique id of one command. The agent remembers ids it has executed until they expire and refuses
/// a second delivery (a replay); a retry of the same work is a new command with a new id, which is
/// safe because every action is idempotent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommandId(Uuid);

impl CommandId {
    /// A fresh random (v4) id.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// The id as a UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for CommandId {
    fn from(value: Uuid) -> Self {
        Self(value)
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The offboarding case a command belongs to. It is written into AD (the stamp), so it is limited
/// to 1-128 characters of `A-Z a-z 0-9 . _ : -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseId(String);

/// A case id that cannot be written into AD as it is.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "case id must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-' (got {len} characters)"
)]
pub struct InvalidCaseId {
    len: usize,
}

impl CaseId {
    /// Parses a case id, refusing characters that could not be stamped safely into AD.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidCaseId> {
        let value = value.into();
        let ok = !value.is_empty()
            && value.len() <= 128
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
        if ok {
            Ok(Self(value))
        } else {
            Err(InvalidCaseId {
                len: value.chars().count(),
            })
        }
    }

    /// The case id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CaseId {
    type Error = InvalidCaseId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<CaseId> for String {
    fn from(value: CaseId) -> Self {
        value.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the agent finds the leaver's AD account. Exactly one account must match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "camelCase")]
pub enum UserLocator {
    /// `objectGUID`: stable across renames and moves; what Entra Connect uses as source anchor.
    ObjectGuid(Uuid),
    /// `sAMAccountName` (pre-Windows 2000 logon name), without the domain.
    SamAccountName(String),
    /// `employeeID`, as HR knows the person.
    EmployeeId(String),
    /// `userPrincipalName`.
    UserPrincipalName(String),
}

impl fmt::Display for UserLocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ObjectGuid(g) => write!(f, "objectGUID {g}"),
            Self::SamAccountName(s) => write!(f, "sAMAccountName {s}"),
            Self::EmployeeId(s) => write!(f, "employeeID {s}"),
            Self::UserPrincipalName(s) => write!(f, "userPrincipalName {s}"),
        }
    }
}

/// One change (or read) the agent makes on the located account. Every action is idempotent: run
/// again, it reports [`crate::Outcome::AlreadyDone`] and changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Action {
    /// Set the ACCOUNTDISABLE bit (0x2) of `userAccountControl`, keeping every other bit.
    Disable,
    /// Replace the password with a random one the agent generates and forgets (never returned
    /// or logged). In the same LDAP modify — so both or neither happen — the agent appends
    /// [`reset_marker`] for the command's case to the account's `info`. A retry of the step (a
    /// new command for the same case) finds the marker and reports
    /// [`crate::Outcome::AlreadyDone`] without resetting again; no clock is involved, so a
    /// password someone else set shortly before is never taken for this case's reset. (Earlier
    /// handlers sent `skipIfResetSince`; the agent ignores it.)
    ResetPassword,
    /// Remove the account from every group it is a direct member of (`memberOf`). The primary
    /// group (usually Domain Users) is not in `memberOf` and stays.
    RemoveGroupMemberships,
    /// Move the account into the configured disabled-users OU (same RDN).
    MoveToDisabledOu,
    /// Write [`stamp_text`] into `description` and append it to `info`.
    #[serde(rename_all = "camelCase")]
    Stamp {
        /// The date written into the stamp (the termination's effective date).
        date: NaiveDate,
    },
    /// Set `msExchHideFromAddressLists` to TRUE where the forest's schema has it.
    HideFromAddressLists,
    /// Change nothing; return the account's state.
    ReadBack,
    /// Change nothing; list every enabled user account under the OUs the agent manages (a
    /// paged LDAP search) into [`crate::CommandResult::accounts`]: AD as the ghost-access scan
    /// sees it. It acts on no one account, so a command carrying it has no `target` and no
    /// other action.
    ListEnabledUsers,
    /// Clear the ACCOUNTDISABLE bit (0x2) of `userAccountControl`, keeping every other bit: a
    /// restore after a mistaken termination. Already enabled: `alreadyDone`.
    Enable,
    /// Move the account back under `ou` (same RDN), where it lived before a termination moved
    /// it to the disabled-users OU: a restore. `ou` must be one of the managed OUs (or under
    /// one); already there: `alreadyDone`.
    #[serde(rename_all = "camelCase")]
    MoveToOu {
        /// The distinguished name of the OU to move the account into.
        ou: String,
    },
    /// Add the account back to each group in `groups` (distinguished names): a restore of the
    /// memberships a termination removed. Each group must be under a managed group OU and must
    /// not be a protected group; one item per group, `alreadyDone` where it is a member.
    #[serde(rename_all = "camelCase")]
    AddGroupMemberships {
        /// The groups, by distinguished name.
        groups: Vec<String>,
    },
    /// Delete the account (`delete-account`, when the policy lets the agent delete synced
    /// leavers). Under the same rails as every change (inside the managed or disabled-users
    /// OUs, not protected), and only a disabled account: an enabled one is refused
    /// ([`crate::RefusalReason::AccountEnabled`]). Sent alone; once deleted the account is no
    /// longer found, so a later command for it answers `notFound`.
    DeleteUser,
}

impl Action {
    /// Whether the action writes to AD (read-backs do not, so they pass the OU and protection rails).
    pub fn is_change(&self) -> bool {
        !matches!(self, Self::ReadBack | Self::ListEnabledUsers)
    }

    /// A short name for logs and evidence.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::ResetPassword => "resetPassword",
            Self::RemoveGroupMemberships => "removeGroupMemberships",
            Self::MoveToDisabledOu => "moveToDisabledOu",
            Self::Stamp { .. } => "stamp",
            Self::HideFromAddressLists => "hideFromAddressLists",
            Self::ReadBack => "readBack",
            Self::ListEnabledUsers => "listEnabledUsers",
            Self::Enable => "enable",
            Self::MoveToOu { .. } => "moveToOu",
            Self::AddGroupMemberships { .. } => "addGroupMemberships",
            Self::DeleteUser => "deleteUser",
        }
    }
}

/// The line the agent appends to `info` in the same modify that resets the password for a
/// case: the proof, readable by anyone with the account in front of them, that this case's
/// reset happened.
pub fn reset_marker(case_id: &CaseId) -> String {
    format!("offboard: password reset for case {case_id}")
}

/// The text the agent writes into `description` (and appends to `info`) for a case.
pub fn stamp_text(case_id: &CaseId, date: NaiveDate) -> String {
    format!("offboard: disabled for case {case_id} on {date}")
}

/// A command for the agent: which case, which account, which actions, and the window in which it
/// may be executed — or, with no account, the listing of the managed OUs
/// ([`Action::ListEnabledUsers`]). Sign it with [`crate::CommandSigningKey::sign`] before sending.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentCommand {
    /// Unique id; see [`CommandId`].
    pub id: CommandId,
    /// The case this command serves (for a listing, the scan); stamped into AD and echoed in
    /// the result.
    pub case_id: CaseId,
    /// When the handler issued the command. The agent refuses commands from the future (beyond its
    /// configured clock skew).
    pub issued_at: DateTime<Utc>,
    /// After this instant the agent refuses the command.
    pub expires_at: DateTime<Utc>,
    /// The account to act on; absent only for [`Action::ListEnabledUsers`] (an agent from
    /// before the listing refuses such a command as malformed, changing nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<UserLocator>,
    /// The actions, executed in this order.
    pub actions: Vec<Action>,
}

impl AgentCommand {
    /// A command with a fresh id, issued `now` and valid for `ttl`.
    pub fn new(
        case_id: CaseId,
        target: UserLocator,
        actions: Vec<Action>,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Self {
        Self {
            id: CommandId::new_random(),
            case_id,
            issued_at: now,
            expires_at: now + ttl,
            target: Some(target),
            actions,
        }
    }

    /// A command listing the enabled accounts under the managed OUs, for `scan` (the scan's
    /// id), with a fresh id, issued `now` and valid for `ttl`.
    pub fn list_enabled_users(scan: CaseId, now: DateTime<Utc>, ttl: chrono::Duration) -> Self {
        Self {
            id: CommandId::new_random(),
            case_id: scan,
            issued_at: now,
            expires_at: now + ttl,
            target: None,
            actions: vec![Action::ListEnabledUsers],
        }
    }

    /// Why the command's shape is wrong, if it is: account actions need a target, and a
    /// listing stands alone without one.
    pub fn shape_error(&self) -> Option<&'static str> {
        let listing = self.actions.contains(&Action::ListEnabledUsers);
        if self.actions.is_empty() {
            Some("a command needs at least one action")
        } else if listing && (self.actions.len() > 1 || self.target.is_some()) {
            Some("listEnabledUsers is sent alone, without a target")
        } else if !listing && self.target.is_none() {
            Some("a command that acts on an account needs a target")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_from_an_earlier_handler_still_parses_and_its_clock_is_ignored() {
        let old: Action = serde_json::from_str(
            r#"{"action":"resetPassword","skipIfResetSince":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(old, Action::ResetPassword);
        assert_eq!(
            serde_json::to_value(Action::ResetPassword).unwrap(),
            serde_json::json!({"action": "resetPassword"})
        );
    }
}
