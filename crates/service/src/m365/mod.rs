//! Microsoft 365 as offboard's steps and planner see it: the leaver's tenant reached through
//! Microsoft Graph and Exchange Online on one managed-identity credential.
//!
//! - [`Tenant`] holds the two clients every cloud step uses;
//! - [`GraphDirectory`] resolves the leaver (employeeId, then UPN, then mail; never a guess)
//!   and gathers the [`Facts`](offboard_core::plan::Facts) the plan is built from — reads only;
//! - [`step_failure`] turns a [`GraphError`] into what the engine does next (wait as told,
//!   retry with backoff, or fail and ask a human), always with Graph's request id.

pub mod delegates;
mod directory;
mod pim_owners;
mod tenant;

pub use directory::GraphDirectory;
pub(crate) use directory::{kind_name, method_name};
pub(crate) use pim_owners::owned_kind;
pub use tenant::{Tenant, TenantOptions, advice, step_failure};
