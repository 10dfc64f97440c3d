//! # offboard-api
//!
//! The answers of offboard's HTTP API, as types: what `GET /api/cases`, `GET /api/cases/{id}`,
//! `GET /api/cases/{id}/evidence`, `GET /api/ledger`, the terminations report and intake
//! answer. The handler serialises them, and `offboard`, the end-to-end tests and any Rust
//! client deserialise them, so renaming a field breaks the build instead of an auditor's
//! script. The JSON is the contract `/api/openapi.json` describes; these types carry no logic
//! beyond reading and writing it (the service builds them from the domain).
//!
//! Timestamps are UTC with exactly three fraction digits (`2026-11-26T10:00:00.123Z`), the form
//! the evidence uses; [`ms`] writes them and reads back only that form.

pub mod cases;
pub mod evidence;
pub mod intake;
pub mod me;
pub mod ms;
pub mod report;
pub mod scans;

pub use cases::{
    CasePage, CaseSummary, CaseTimeline, CaseView, ClockForm, ClockView, EvidenceSummary,
    RestoreAccepted, SlaView, Timeline, TimelineStep,
};
pub use evidence::{
    DescribedFinding, LedgerHead, LedgerStatus, Verification, VerifiedPacket, VerifyOutcome,
};
pub use intake::{CaseReceipt, SignInCut, SignInCutStatus};
pub use me::Me;
pub use report::{
    Completeness, ReportFormat, ReportMeta, ReportParameters, ReportRow, ReportSection,
    TerminationsReport,
};
pub use scans::{FindingsPage, ScanAnswer};
