//! Ghost access: reconciling HR's population with every account, and catching access that
//! comes back after a case was sealed. `population` reads what HR sources return, `scan`
//! judges (pure), `finding` is what it raises and the port findings are kept through,
//! `record` is the evidence a scan leaves, `completeness` matches the leavers a scan kept
//! with the cases of a report's period, `policy` the `[reconcile]` section of the policy.

pub mod completeness;
pub mod drift;
pub mod finding;
pub mod policy;
pub mod population;
pub mod read;
pub mod record;
pub mod scan;
#[cfg(test)]
mod tests;

pub use completeness::{CompletenessRow, CompletenessStatus, completeness, leavers};
pub use drift::{Held, Reread, Sessions, drift, remedy};
pub use finding::{
    Finding, FindingKind, FindingQuery, FindingStatus, FindingStore, Observation,
    POPULATION_SCAN_ID,
};
pub use policy::{ReconcilePolicy, ReportFormat};
pub use population::{ColumnMapping, Employment, PopulationError, PopulationRow, Snapshot};
pub use record::{Leaver, PopulationScan, SCAN_STEP, ScanRecord, SealedScan, SourceSummary};
pub use scan::{Account, CaseView, ScanInput, person_key, reconcile};
