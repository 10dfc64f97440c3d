//! The plan: which steps a leaver's offboarding takes, in which order, and where each stands.
//!
//! A plan is a DAG of [`Step`]s built by the planner from the leaver's real state (the
//! [`Facts`]) and the [`crate::policy::Policy`] for the termination kind. Its edges encode
//! constraints that are real, not taste:
//!
//! - sign-in is blocked before sessions are revoked (a revoked session could otherwise be
//!   re-established);
//! - for a synced user, AD is disabled first (through the on-prem agent), cloud sessions
//!   are revoked at once, and the cloud account is then verified disabled after directory
//!   sync — Graph refuses `accountEnabled` on synced users;
//! - the mailbox becomes shared and the manager gets access before any licence goes
//!   (removing the Exchange licence starts the mailbox deletion clock), and group removal,
//!   which takes group-based licences with it, waits for the same;
//! - the case is sealed last.

mod build;
mod dag;
pub(crate) mod facts;
pub(crate) mod step;

pub use build::build;
pub use dag::Plan;
pub use facts::{
    AppRoleFact, AuthMethodFact, DeviceFact, DirectoryRoleFact, DriveFact, Facts, GroupFact,
    LicenceFact, MailboxFact, PersonRef,
};
pub use step::{LeaseHolder, Step, StepKind, StepStatus};

#[cfg(test)]
mod tests;
