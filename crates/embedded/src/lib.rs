//! # offboard-embedded
//!
//! A single-node backend with the same semantics as the Azure one, for `offboard demo`,
//! `offboard local` and fast tests: cases, SCIM users and queues in one SQLite database
//! (create-if-absent conflicts, ETag checks, visibility timeouts and dequeue counts behave as
//! in Cosmos DB and Azure Storage queues). The database file may be shared by several
//! processes — the local Functions host and the handler — because SQLite serialises writers
//! across processes; every multi-statement change runs in an immediate transaction.

mod claims;
mod db;
mod evidence;
mod findings;
mod flush;
mod follow_ups;
mod index;
mod private;
mod publish;
mod queue;
mod quick;
mod remediation;
mod rights;
mod store;

pub use db::{Embedded, EmbeddedError};
pub use evidence::FileEvidenceStore;
