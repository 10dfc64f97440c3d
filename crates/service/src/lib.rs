//! # offboard-service
//!
//! The use cases of offboard, written against the core's ports so that they run the same on
//! Azure (Cosmos DB, Storage queues) and on the embedded backend. The handler binary maps
//! HTTP requests and queue/timer invocations onto these functions and nothing more.

pub mod attempt;
pub mod clock;
pub mod compliance;
pub mod connectors;
pub mod directory;
pub mod engine;
pub mod etag;
pub mod evidence;
pub mod intake;
pub mod m365;
pub mod notifier;
pub mod onprem;
pub mod reconcile;
pub mod report;
pub mod restore;
pub mod rights_index;
pub mod runtime;
pub mod scheduler;
pub mod scim;
pub mod settings;
pub mod sinks;
pub mod steps;

pub use clock::{Clock, SystemClock};
pub use intake::{Intake, IntakeError, Receipt, RescindOutcome};
