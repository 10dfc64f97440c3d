//! # offboard-core
//!
//! The pure domain of offboard: what a termination is, when it takes effect, the case that
//! tracks it, how HR's signatures are checked, and the ports (traits) through which the
//! outside world — the case store and the queues — is reached.
//!
//! Nothing in this crate performs I/O or knows about Azure: adapters implement the ports,
//! and the handler wires them together.

pub mod actor;
pub mod case;
pub mod effective;
pub mod event;
pub mod evidence;
pub mod ids;
pub mod intake;
pub mod messages;
pub mod notify;
pub mod plan;
pub mod policy;
pub mod ports;
pub mod privileged_roles;
pub mod reconcile;
pub mod scim;
pub mod signature;

pub use case::{Case, CaseStatus, CaseTransitionError, HistoryEntry};
pub use effective::{Cutoff, EffectivePolicy, HrEffectiveTime};
pub use event::{Source, TerminationEvent, TerminationKind};
pub use ids::{CaseId, EmployeeIdentifiers, Sha256Digest};
