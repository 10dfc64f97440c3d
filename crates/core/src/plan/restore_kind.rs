//! The actions of a restore, as steps of the case's plan know them.
//!
//! A restore (undoing a mistaken termination) adds its steps to the same plan the termination
//! ran, so every engine part — leases, retries, remediation, the seal — treats them like any
//! other step. Like the connectors they share one queue and function (`step-restore`), each
//! message naming its action (`"step": "restore:groups"`): a restore is rare, and one more
//! function per action would only add to the deployment.

use std::fmt;

/// The prefix of a restore step's name (`restore:groups`).
pub const RESTORE_STEP_PREFIX: &str = "restore:";

/// The one queue (and function) every restore step runs through.
pub const RESTORE_QUEUE: &str = "step-restore";

/// One thing a restore puts back, in the order a restore runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RestoreAction {
    /// Clear the ACCOUNTDISABLE bit of the on-premises AD account (through the agent); the
    /// cloud account follows at the next directory sync.
    AdEnable,
    /// Move the on-premises AD account back to the OU it lived in and add it back to the AD
    /// groups the case removed it from (through the agent).
    AdGroupsAndOu,
    /// Let the cloud-only account sign in again (`accountEnabled = true`).
    EnableSignIn,
    /// Add the leaver back to the groups Graph removed them from.
    Groups,
    /// Assign the direct licences again (group-based ones come back with the groups).
    Licences,
    /// Assign the app roles again.
    AppRoles,
    /// Convert the shared mailbox back to a user mailbox.
    UserMailbox,
    /// Turn off the automatic reply the case set.
    AutoReplyOff,
    /// Show the mailbox in address lists again.
    Unhide,
    /// Remove the manager's full access to the mailbox, which the case granted.
    ManagerAccessRemoved,
    /// Assign the directory roles again: never planned by a restore itself, only added once a
    /// second operator approves them (`case::roles_approval`).
    DirectoryRoles,
}

impl RestoreAction {
    /// Every action, in running order.
    pub const ALL: [RestoreAction; 11] = [
        Self::AdEnable,
        Self::AdGroupsAndOu,
        Self::EnableSignIn,
        Self::Groups,
        Self::Licences,
        Self::AppRoles,
        Self::UserMailbox,
        Self::AutoReplyOff,
        Self::Unhide,
        Self::ManagerAccessRemoved,
        Self::DirectoryRoles,
    ];

    /// The step's name in plans, evidence and URLs (`restore:groups`).
    pub fn step_name(self) -> &'static str {
        match self {
            Self::AdEnable => "restore:ad-enable",
            Self::AdGroupsAndOu => "restore:ad-groups-and-ou",
            Self::EnableSignIn => "restore:enable-sign-in",
            Self::Groups => "restore:groups",
            Self::Licences => "restore:licences",
            Self::AppRoles => "restore:app-roles",
            Self::UserMailbox => "restore:user-mailbox",
            Self::AutoReplyOff => "restore:auto-reply-off",
            Self::Unhide => "restore:unhide",
            Self::ManagerAccessRemoved => "restore:manager-access-removed",
            Self::DirectoryRoles => "restore:directory-roles",
        }
    }

    /// Parses the part after `restore:`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| &a.step_name()[RESTORE_STEP_PREFIX.len()..] == name)
    }

    /// Whether the on-prem agent performs it.
    pub fn is_on_prem(self) -> bool {
        matches!(self, Self::AdEnable | Self::AdGroupsAndOu)
    }
}

impl fmt::Display for RestoreAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.step_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_name_that_parses_back() {
        for a in RestoreAction::ALL {
            let name = a.step_name();
            assert!(name.starts_with(RESTORE_STEP_PREFIX), "{name}");
            assert_eq!(
                RestoreAction::parse(&name[RESTORE_STEP_PREFIX.len()..]),
                Some(a)
            );
        }
        assert_eq!(RestoreAction::parse("everything"), None);
    }
}
