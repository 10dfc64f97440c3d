//! A restore's steps (`restore:<action>`): what undoing a mistaken termination puts back, each
//! with the same four parts as every step — when it applies (the reverse plan,
//! `offboard_core::plan::reverse`), act only where the state is not yet back (so a second
//! restore writes nothing), read back, and one evidence record. Grouped by what they touch:
//! the account (`account.rs`), the AD account's OU and groups (`ad.rs`), access (`access.rs`), the directory roles a second approval releases (`roles.rs`) and the mailbox (`mailbox.rs`).

mod access;
mod account;
mod ad;
mod mailbox;
mod roles;

pub use access::{RestoreAppRoles, RestoreGroups, RestoreLicences};
pub use account::{RestoreAdEnable, RestoreEnableSignIn};
pub use ad::RestoreAdGroupsAndOu;
pub use mailbox::RestoreMailbox;
pub use roles::RestoreDirectoryRoles;
