//! What the agent answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::command::{Action, CaseId, CommandId};
use crate::signing::CommandRejection;

/// The agent's answer to a [`crate::SignedCommand`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "camelCase")]
pub enum AgentResponse {
    /// The command was verified and executed (each action has its own outcome).
    Executed(Box<CommandResult>),
    /// The command was refused before anything was done.
    Rejected(RejectedCommand),
}

/// Which agent answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentIdentity {
    /// The agent's configured name (typically the host it runs on).
    pub name: String,
    /// The agent's version.
    pub version: String,
}

/// A command refused as a whole: nothing in AD was read or changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedCommand {
    /// The command's id when it could be read.
    pub command_id: Option<CommandId>,
    /// Why.
    pub rejection: CommandRejection,
    /// Which agent refused.
    pub agent: AgentIdentity,
    /// When (agent clock).
    pub at: DateTime<Utc>,
}

/// The outcome of an executed command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandResult {
    /// The command's id.
    pub command_id: CommandId,
    /// The command's case.
    pub case_id: CaseId,
    /// Which agent executed it.
    pub agent: AgentIdentity,
    /// When execution started (agent clock).
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// The account's state when found, before any change; `None` when it was not found or AD
    /// could not be reached.
    pub before: Option<UserState>,
    /// The account's state read back after all actions.
    pub after: Option<UserState>,
    /// The safety rails' verdict on the account.
    pub safety: Option<SafetyCheck>,
    /// One result per action, in the command's order.
    pub actions: Vec<ActionResult>,
    /// The enabled accounts under the managed OUs ([`crate::Action::ListEnabledUsers`]);
    /// absent for every other command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<DirectoryAccount>>,
}

impl CommandResult {
    /// True when every action ended done, already done or not applicable.
    pub fn all_succeeded(&self) -> bool {
        self.actions.iter().all(|a| a.outcome.is_success())
    }

    /// True when some action failed transiently (retrying the work later may succeed).
    pub fn any_transient(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a.outcome, Outcome::TransientError { .. }))
    }
}

/// The safety rails' verdict on the located account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SafetyCheck {
    /// Whether the account lies under one of the OUs the agent manages (or the disabled-users OU).
    pub in_managed_ou: bool,
    /// The protected group (or `adminCount`) that makes the account untouchable, if any.
    pub protected_by: Option<String>,
}

/// The result of one action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionResult {
    /// The action, as requested.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
    /// Per-object results for actions that touch several objects (one per group for
    /// [`Action::RemoveGroupMemberships`]); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemResult>,
}

/// The result for one object an action touched (a group, for membership removal).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemResult {
    /// The object's distinguished name.
    pub dn: String,
    /// How it ended for this object.
    pub outcome: Outcome,
}

/// How an action ended. Every refusal and error is reported, never hidden.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Outcome {
    /// The change was made (and read back).
    Done,
    /// The account was already in the requested state; nothing was changed.
    AlreadyDone,
    /// The action does not apply here (e.g. the schema has no `msExchHideFromAddressLists`).
    NotApplicable {
        /// Why.
        reason: String,
    },
    /// A safety rail refused the action.
    Refused {
        /// Which rail.
        reason: RefusalReason,
    },
    /// No account matched the locator.
    NotFound,
    /// A failure that may pass (DC unreachable, busy, timeout): retry later.
    TransientError {
        /// What happened and what to check.
        message: String,
    },
    /// A failure that will not pass by retrying (missing permission, policy, name collision).
    PermanentError {
        /// What happened and what to do.
        message: String,
    },
}

impl Outcome {
    /// Done, already done, or not applicable.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            Self::Done | Self::AlreadyDone | Self::NotApplicable { .. }
        )
    }
}

/// Which safety rail refused an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rail", rename_all = "camelCase")]
pub enum RefusalReason {
    /// The account is not under any OU the agent manages.
    OutsideManagedOus {
        /// The account's DN.
        dn: String,
    },
    /// The account is a (possibly nested) member of a protected admin group, or that group is its
    /// primary group.
    #[serde(rename_all = "camelCase")]
    ProtectedAccount {
        /// The protected group's DN.
        group_dn: String,
    },
    /// The account has `adminCount=1` (it is, or was, protected by AdminSDHolder).
    AdminCount,
    /// A group the account belongs to is not under any OU whose groups the agent may change.
    #[serde(rename_all = "camelCase")]
    GroupOutsideManagedOus {
        /// The group's DN.
        group_dn: String,
    },
    /// A restore asked to move the account into an OU the agent does not manage.
    OuOutsideManagedOus {
        /// The OU's DN.
        ou: String,
    },
    /// A restore asked to add the account to a protected (administrative) group.
    #[serde(rename_all = "camelCase")]
    ProtectedGroup {
        /// The group's DN.
        group_dn: String,
    },
    /// A delete was asked for an account that is still enabled: the agent deletes only
    /// accounts a termination disabled.
    AccountEnabled,
    /// A delete was asked of an agent not configured to delete (`scope.allow_delete`).
    DeleteNotAllowed,
}

/// An enabled user account under a managed OU, as [`crate::Action::ListEnabledUsers`]
/// reports it: who it could be in HR, and where it is. No password material, no group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryAccount {
    /// Distinguished name.
    pub dn: String,
    /// `objectGUID`.
    pub object_guid: Uuid,
    /// `sAMAccountName`.
    pub sam_account_name: String,
    /// `userPrincipalName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// `mail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// `displayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `employeeID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// `employeeType` (service and shared accounts are excluded by it, as in Entra ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_type: Option<String>,
}

/// Whether the account is hidden from Exchange address lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AddressListVisibility {
    /// The forest's schema has no `msExchHideFromAddressLists` (no Exchange schema extension).
    NotInSchema,
    /// `msExchHideFromAddressLists` is TRUE.
    Hidden,
    /// The attribute is absent or FALSE.
    Visible,
}

/// An AD account's state as the agent read it. No password material is ever included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserState {
    /// Distinguished name.
    pub dn: String,
    /// `objectGUID`.
    pub object_guid: Uuid,
    /// `sAMAccountName`.
    pub sam_account_name: String,
    /// `userPrincipalName`.
    pub user_principal_name: Option<String>,
    /// `employeeID`.
    pub employee_id: Option<String>,
    /// `userAccountControl` as read.
    pub user_account_control: u32,
    /// Whether the ACCOUNTDISABLE bit (0x2) is set.
    pub disabled: bool,
    /// `pwdLastSet` (None when never set or "must change at next logon").
    pub pwd_last_set: Option<DateTime<Utc>>,
    /// Direct group memberships (`memberOf`), sorted.
    pub member_of: Vec<String>,
    /// `primaryGroupID` (the RID of the primary group, 513 = Domain Users).
    pub primary_group_id: Option<u32>,
    /// `description`.
    pub description: Option<String>,
    /// `info` (Notes).
    pub info: Option<String>,
    /// Address-list visibility.
    pub hide_from_address_lists: AddressListVisibility,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_serialise_with_a_tag_the_handler_can_match_on() {
        let refused = Outcome::Refused {
            reason: RefusalReason::ProtectedAccount {
                group_dn: "CN=Admins,DC=x".into(),
            },
        };
        let json = serde_json::to_value(&refused).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"outcome":"refused","reason":{"rail":"protectedAccount","groupDn":"CN=Admins,DC=x"}})
        );
        assert_eq!(serde_json::from_value::<Outcome>(json).unwrap(), refused);
        assert_eq!(
            serde_json::to_value(Outcome::AlreadyDone).unwrap(),
            serde_json::json!({"outcome":"alreadyDone"})
        );
        assert!(!refused.is_success());
        assert!(Outcome::NotApplicable { reason: "x".into() }.is_success());
    }
}
