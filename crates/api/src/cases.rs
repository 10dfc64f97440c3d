//! The case answers: `GET /api/cases` (a page of [`CaseSummary`]) and `GET /api/cases/{id}`
//! (a [`CaseTimeline`]: the case as stored, and what its evidence shows).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use offboard_core::case::{CaseStatus, HistoryEntry};
use offboard_core::event::{Source, TerminationKind};
use offboard_core::evidence::WormStatus;
use offboard_core::ids::{CaseId, EmployeeIdentifiers, Sha256Digest};
use offboard_core::plan::Plan;
use offboard_core::signature::Scheme;

use crate::ms;

/// One case in a listing: what the compliance index holds about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseSummary {
    /// The case.
    pub case_id: CaseId,
    /// The evidence period (`YYYY-MM` of the effective time).
    pub period: String,
    /// The status the evidence shows.
    pub status: CaseStatus,
    /// Where the termination came from.
    pub source: Source,
    /// The source's event id.
    pub source_event_id: String,
    /// The leaver.
    pub employee: EmployeeIdentifiers,
    /// The termination kind.
    pub kind: TerminationKind,
    /// HR's effective time as sent (absent when the source gave none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_effective_as_sent: Option<String>,
    /// The computed effective instant (UTC, ms).
    #[serde(with = "ms")]
    pub effective_at: DateTime<Utc>,
    /// When offboard received the termination (UTC, ms).
    #[serde(with = "ms")]
    pub received_at: DateTime<Utc>,
    /// Evidence records so far.
    pub record_count: u64,
    /// Hash of the last record.
    pub chain_head: String,
    /// The seal's hash, once sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal_hash: Option<String>,
    /// Met (true), breached (false); absent until sealed or without a target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_met: Option<bool>,
    /// How many actions failed or were excepted.
    pub exception_count: usize,
}

/// One page of cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CasePage {
    /// The cases, by effective time then case id.
    pub items: Vec<CaseSummary>,
    /// Pass back as `continuation` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation: Option<String>,
}

/// A case as the case store holds it: the authoritative status, the termination and the
/// history of the case's state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseView {
    /// The case.
    pub case_id: CaseId,
    /// Where the case stands.
    pub status: CaseStatus,
    /// Where the termination came from (`bamboohr`, `generic`, `operator`, `scim`).
    pub source: Source,
    /// The source's event id.
    pub source_event_id: String,
    /// The leaver as HR named them.
    pub employee: EmployeeIdentifiers,
    /// The termination kind.
    pub kind: TerminationKind,
    /// HR's effective time as sent (absent when the source gave none).
    pub hr_effective_as_sent: Option<String>,
    /// The computed effective instant.
    pub effective_at: DateTime<Utc>,
    /// When offboard received the termination.
    pub received_at: DateTime<Utc>,
    /// When the case was created.
    pub created_at: DateTime<Utc>,
    /// When the case last changed.
    pub updated_at: DateTime<Utc>,
    /// SHA-256 of the request body as received.
    pub body_sha256: Sha256Digest,
    /// How the request was authenticated.
    pub authenticated_by: Scheme,
    /// What the Functions host asserted, when it (not offboard) authorised the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_assertion: Option<offboard_core::signature::HostAssertion>,
    /// Who asked for an operator's offboarding, when offboard checked their Entra ID sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<offboard_core::actor::HumanActor>,
    /// Why, as the operator or HR gave it (free text, never a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every transition of the case.
    pub history: Vec<HistoryEntry>,
    /// The plan and where each step stands (absent until planned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Why the case could not be planned, if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planning_exception: Option<String>,
    /// When an SLA breach was flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_breached_at: Option<DateTime<Utc>>,
    /// Later terminations of the same person that joined this case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached: Vec<offboard_core::case::AttachedEvent>,
    /// What steps found that a person must look at (possible exfiltration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<offboard_core::case::CaseFlag>,
    /// Who raised the termination, when a signed-in operator did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised_by: Option<offboard_core::case::Actor>,
    /// Why the case was held for approval, and the decision on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<offboard_core::case::Approval>,
    /// The latest restore (undoing the termination after it ended): who asked, when, why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored: Option<offboard_core::case::Restore>,
}

/// How HR gave the effective time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockForm {
    /// An instant with its offset.
    Instant,
    /// A calendar date (in a named zone, or the policy's).
    Date,
    /// No time: effective on receipt.
    Immediate,
}

/// Where the auditor's clock starts: HR's effective time as sent and as computed, and when
/// offboard received the termination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockView {
    /// How HR gave the effective time.
    pub form: ClockForm,
    /// The text HR sent (absent for `immediate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_sent: Option<String>,
    /// The IANA zone the source named for a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The computed instant at which access must go (UTC, ms): the SLA clock starts here.
    #[serde(with = "ms")]
    pub effective_at: DateTime<Utc>,
    /// When offboard received the termination (UTC, ms).
    #[serde(with = "ms")]
    pub received_at: DateTime<Utc>,
}

/// One recorded action of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineStep {
    /// The record's position in the case's chain.
    pub seq: u64,
    /// The step (`hr-trigger`, `block-sign-in`, `case`, ...).
    pub step: String,
    /// The system acted on.
    pub target_system: String,
    /// The action in words.
    pub action: String,
    /// `received`, `verified`, `failed`, `not_applicable`, `exception` or `noted`.
    pub outcome: String,
    /// Why, for anything but verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Started (UTC, ms).
    #[serde(with = "ms")]
    pub started_at: DateTime<Utc>,
    /// Ended (UTC, ms).
    #[serde(with = "ms")]
    pub ended_at: DateTime<Utc>,
    /// The record's hash.
    pub hash: String,
}

/// The SLA of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaView {
    /// `met`, `breached`, `no_target` (sealed without a deadline) or `pending` (not sealed).
    pub state: String,
    /// The deadline after the effective time, minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_minutes: Option<u32>,
    /// The clock's start: HR's effective time (UTC, ms).
    #[serde(with = "ms")]
    pub measured_from: DateTime<Utc>,
    /// When sign-in was cut and verified (UTC, ms).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ms::option")]
    pub access_removed_at: Option<DateTime<Utc>>,
}

/// Where the case's evidence stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceSummary {
    /// The evidence period.
    pub period: String,
    /// Whether the compliance index has the case (it should, always).
    pub indexed: bool,
    /// Records so far.
    pub record_count: u64,
    /// Hash of the last record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_head: Option<String>,
    /// The seal's hash, once sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal_hash: Option<String>,
    /// When it was sealed (UTC, ms).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ms::option")]
    pub sealed_at: Option<DateTime<Utc>>,
    /// The case's position in the ledger, once appended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_seq: Option<u64>,
    /// Whether the store enforces immutability.
    pub worm: WormStatus,
    /// `WORM not enforced: ...` when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// What a case's evidence shows: the auditor's sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    /// HR's effective time as sent and computed, and the time of receipt.
    pub clock: ClockView,
    /// Every recorded action, in chain order.
    pub steps: Vec<TimelineStep>,
    /// Per system, when access there was last verified removed (UTC, ms).
    pub access_removed_at: BTreeMap<String, String>,
    /// Failed or excepted actions, with their reasons.
    pub exceptions: Vec<String>,
    /// The SLA.
    pub sla: SlaView,
    /// The evidence's state.
    pub evidence: EvidenceSummary,
}

/// `GET /api/cases/{id}`: the case as stored and its timeline, in one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseTimeline {
    /// The case as the case store holds it.
    #[serde(flatten)]
    pub case: CaseView,
    /// What its evidence shows.
    #[serde(flatten)]
    pub timeline: Timeline,
}

/// What `POST /api/cases/{id}/restore` answers: the case reopened for its restore (or as it
/// was, when nothing needed putting back), who asked, and the reverse plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreAccepted {
    /// The case.
    pub case_id: CaseId,
    /// Its status now (`running` while the restore's steps run).
    pub status: CaseStatus,
    /// The latest restore: who asked, when, why, and how many restores the case has had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored: Option<offboard_core::case::Restore>,
    /// The restore steps, what needs a second approval and what cannot come back.
    pub restore: offboard_core::plan::ReversePlan,
}
