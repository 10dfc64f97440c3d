//! A restore's steps (`restore:<action>`): what undoing a mistaken termination puts back, each
//! with the same four parts as every step — when it applies (the reverse plan,
//! `offboard_core::plan::reverse`), act only where the state is not yet back (so a second
//! restore writes nothing), read back, and one evidence record. Grouped by what they touch:
//! the account (`account.rs`), access (`access.rs`) and the mailbox (`mailbox.rs`).

mod access;
mod account;
mod mailbox;

pub use access::{RestoreAppRoles, RestoreGroups, RestoreLicences};
pub use account::{RestoreAdEnable, RestoreEnableSignIn};
pub use mailbox::RestoreMailbox;
