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
//! - forwarding stops right after the cut, before anything else touches the mailbox, and
//!   the mailbox is put on hold before any licence goes (a licence removed first would
//!   start the deletion clock of a mailbox that should become inactive);
//! - the case is sealed last; deleting the account (`delete-account`, policy) is a follow-up
//!   days later on the same case, which is then sealed again.

mod build;
mod builder;
pub mod connector;
mod connector_steps;
mod dag;
pub mod delete_account;
pub mod delete_account_policy;
pub(crate) mod facts;
mod mailbox_doors;
mod pim_owners;
pub mod pim_owners_facts;
pub mod restore_kind;
pub mod reverse;
pub mod sharing;
pub mod sharing_facts;
pub(crate) mod step;

pub use build::build;
pub use connector::{CONNECTOR_QUEUE, ConnectorName};
pub use connector_steps::{ConnectorAfter, PlannedConnector};
pub use dag::Plan;
pub use delete_account_policy::{DeleteAccountPolicy, SOFT_DELETE_DAYS, gone_for_good_at};
pub use facts::{
    AdBefore, AppRoleFact, AuthMethodFact, DeviceFact, DirectoryRoleFact, DriveFact, Facts,
    GroupFact, LicenceFact, MailboxDelegate, MailboxFact, OAuthGrantFact, PersonRef,
};
pub use pim_owners_facts::{EligibilityFact, EligibilityKind, OwnedKind, OwnedObjectFact};
pub use restore_kind::{RESTORE_QUEUE, RestoreAction};
pub use reverse::{CaseDid, Lost, ReversePlan, SecondApproval, reverse, roles_plan};
pub use sharing_facts::{LinkScope, SharingFact, SharingLinkFact, SharingPolicy};
pub use step::{LeaseHolder, Step, StepKind, StepStatus};

#[cfg(test)]
mod tests;
