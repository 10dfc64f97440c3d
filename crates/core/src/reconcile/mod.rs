//! Ghost access: reconciling HR's population with every account, and catching access that
//! comes back after a case was sealed. `population` reads what HR sources return, `scan`
//! judges (pure), `finding` is what it raises and the port findings are kept through,
//! `record` is the evidence a scan leaves, `policy` the `[reconcile]` section of the policy.

pub mod finding;
pub mod policy;
pub mod population;
pub mod record;
pub mod scan;
#[cfg(test)]
mod tests;

pub use finding::{Finding, FindingKind, FindingQuery, FindingStatus, FindingStore, Observation};
pub use policy::{ReconcilePolicy, ReportFormat};
pub use population::{ColumnMapping, Employment, PopulationError, PopulationRow, Snapshot};
pub use record::{SCAN_STEP, ScanRecord, SourceSummary};
pub use scan::{
    Account, CaseView, CompletenessRow, ScanInput, completeness, person_key, reconcile,
};
