//! The compliance use cases: what an auditor asks of offboard.
//!
//! - [`Compliance::list_cases`]: cases by HR effective time, read from the compliance index
//!   one period (partition) at a time and filtered, ordered and paged here, because the index
//!   (Cosmos DB) refuses cross-partition ordering and aggregates.
//! - [`Compliance::timeline`]: one case as the auditor samples it — HR's effective time as
//!   sent and as computed, when it was received, every recorded action with its times and
//!   outcome, the exceptions, the SLA, the seal and the ledger position.
//! - [`Compliance::evidence`]: the downloadable packet with its verification.
//! - [`Compliance::ledger`]: the ledger's length and head.
//! - [`Compliance::verify_case`] and [`Compliance::verify_ledger`]: what `offboard verify`
//!   runs against a store.
//!
//! The case store is authoritative for a case's status and effective time; the index is what
//! the queries read; the evidence store is what the index is checked against.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use offboard_core::case::{Case, CaseStatus};
use offboard_core::evidence::verify::{self, Finding, Report};
use offboard_core::evidence::{IndexEntry, LedgerEntry, Packet, PeriodRange, period_of};
use offboard_core::ids::CaseId;
use offboard_core::ports::{CaseStore, StoreError};
use offboard_core::reconcile::FindingStore;

use offboard_api::ms;
use offboard_api::{
    CasePage, CaseSummary, CaseTimeline, CaseView, ClockForm, ClockView, DescribedFinding,
    EvidenceSummary, LedgerHead, LedgerStatus, SlaView, Timeline, TimelineStep, Verification,
    VerifiedPacket,
};

use crate::evidence::{Evidence, EvidenceFailure};

mod summaries;

/// Why a compliance query failed.
#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    /// The request was malformed; the text names the parameter and what to send.
    #[error("{detail}")]
    BadRequest {
        /// The parameter at fault.
        parameter: &'static str,
        /// What is wrong and what to send instead.
        detail: String,
    },
    /// The case does not exist.
    #[error("no case {0}")]
    NoSuchCase(CaseId),
    /// The case store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The evidence store or the index failed.
    #[error(transparent)]
    Evidence(#[from] EvidenceFailure),
    /// An answer could not be encoded (a bug: report it).
    #[error("could not encode the answer: {0}")]
    Encoding(String),
}

impl ComplianceError {
    /// Whether retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(e) => e.is_transient(),
            Self::Evidence(e) => e.is_transient(),
            _ => false,
        }
    }
}

/// Which cases a listing wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseListQuery {
    /// HR effective time at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// HR effective time strictly before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only cases whose evidence shows this status.
    pub status: Option<CaseStatus>,
    /// At most this many per page (1..=1000).
    pub limit: u32,
    /// The opaque continuation of the previous page.
    pub continuation: Option<String>,
}

/// One case in a listing: what the index holds about it.
fn summary(e: &IndexEntry) -> CaseSummary {
    CaseSummary {
        case_id: e.id.clone(),
        period: e.period.clone(),
        status: e.status,
        source: e.source,
        source_event_id: e.source_event_id.clone(),
        employee: e.employee.clone(),
        kind: e.kind,
        hr_effective_as_sent: e.hr_effective_as_sent.clone(),
        effective_at: e.effective_at,
        received_at: e.received_at,
        record_count: e.record_count,
        chain_head: e.chain_head.to_hex(),
        seal_hash: e.seal_hash.as_ref().map(|h| h.to_hex()),
        sla_met: e.sla.as_ref().and_then(|s| s.met),
        exception_count: e.exceptions.len(),
    }
}

/// Where a page ended: the last (effective time, case id) returned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Cursor {
    e: i64,
    i: String,
}

impl Cursor {
    const PREFIX: &'static str = "c1.";

    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!(
            "{}{}",
            Self::PREFIX,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
        )
    }

    fn decode(text: &str) -> Result<Self, ComplianceError> {
        let bad = || {
            ComplianceError::BadRequest {
            parameter: "continuation",
            detail: "`continuation` is not one offboard issued: pass back the `continuation` of the previous page unchanged, or omit it to start from the first page".into(),
        }
        };
        let b64 = text.strip_prefix(Self::PREFIX).ok_or_else(bad)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }
}

/// A verification report as the API and `offboard verify --json` show it: repeated findings
/// once, each with its sentence for people.
pub fn verification(mut r: Report) -> Verification {
    dedupe(&mut r.findings);
    Verification {
        ok: r.findings.is_empty(),
        cases_checked: r.cases_checked,
        records_checked: r.records_checked,
        seals_checked: r.seals_checked,
        ledger_entries_checked: r.ledger_entries_checked,
        findings: r
            .findings
            .into_iter()
            .map(|f| DescribedFinding {
                description: f.describe(),
                finding: f,
            })
            .collect(),
        warnings: r.warnings,
    }
}

/// The case as the case store holds it, for the timeline answer.
fn case_view(c: &Case) -> CaseView {
    CaseView {
        case_id: c.id.clone(),
        status: c.status,
        source: c.event.source(),
        source_event_id: c.event.source_event_id().to_owned(),
        employee: c.event.employee().clone(),
        kind: c.event.kind(),
        hr_effective_as_sent: c.event.hr_effective().as_sent().map(str::to_owned),
        effective_at: c.event.effective_at(),
        received_at: c.event.received_at(),
        created_at: c.created_at,
        updated_at: c.updated_at,
        body_sha256: c.event.body_sha256().clone(),
        authenticated_by: c.event.authenticated_by(),
        host_assertion: c.event.host_assertion().cloned(),
        requested_by: c.event.requested_by().cloned(),
        reason: c.event.reason().map(str::to_owned),
        history: c.history.clone(),
        plan: c.plan.clone(),
        planning_exception: c.planning_exception.clone(),
        sla_breached_at: c.sla_breached_at,
        attached: c.attached.clone(),
        flags: c.flags.clone(),
        raised_by: c.raised_by.clone(),
        approval: c.approval.clone(),
        restored: c.restored.clone(),
    }
}

/// Removes repeated findings (two checks can notice the same fault), keeping the first.
pub fn dedupe(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::with_capacity(findings.len());
    // Findings are compared by their JSON form (the type has no `Hash`), in linear time.
    findings.retain(|f| seen.insert(serde_json::to_string(f).unwrap_or_else(|_| f.describe())));
}

/// Verifies a downloaded packet with nothing but its content: the core's checks, plus the
/// checks that need no store — an empty packet, a packet whose last record says the case is
/// finished but that carries no seal, and a ledger entry without the seal it records.
pub fn verify_packet_strict(p: &Packet) -> Report {
    let mut report = verify::verify_packet(p);
    if p.records.is_empty() {
        report.findings.push(Finding::TriggerMissing {
            case_id: p.case_id.clone(),
        });
    }
    if p.seal.is_none() {
        let last_final = p
            .records
            .iter()
            .max_by_key(|r| r.seq)
            .and_then(|r| r.body.details.as_ref())
            .and_then(|d| d.get("caseStatus"))
            .and_then(|s| CaseStatus::deserialize(s).ok())
            .is_some_and(CaseStatus::is_final);
        if last_final || p.ledger_entry.is_some() {
            report.findings.push(Finding::SealMissing {
                case_id: p.case_id.clone(),
            });
        }
    }
    report
}

/// The compliance use cases.
#[derive(Clone)]
pub struct Compliance {
    cases: Arc<dyn CaseStore>,
    findings: Arc<dyn FindingStore>,
    evidence: Evidence,
}

impl Compliance {
    /// Compliance queries over the case store, what the ghost-access scan keeps (the report's
    /// completeness section reads which scan last read HR's whole population) and the
    /// evidence service.
    pub fn new(
        cases: Arc<dyn CaseStore>,
        findings: Arc<dyn FindingStore>,
        evidence: Evidence,
    ) -> Self {
        Self {
            cases,
            findings,
            evidence,
        }
    }

    /// What the ghost-access scan keeps.
    pub fn findings(&self) -> &Arc<dyn FindingStore> {
        &self.findings
    }

    /// The evidence service.
    pub fn evidence_service(&self) -> &Evidence {
        &self.evidence
    }

    /// The case store.
    pub fn cases(&self) -> &Arc<dyn CaseStore> {
        &self.cases
    }

    /// The periods (`YYYY-MM`) that have evidence and overlap `[from, to)`, ascending.
    pub async fn periods_in(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, ComplianceError> {
        let first = from.map(period_of);
        // `to` is exclusive: its own month counts only if it is past the month's start.
        let last = to.map(|t| period_of(t - chrono::Duration::milliseconds(1)));
        Ok(self
            .evidence
            .store()
            .periods()
            .await
            .map_err(EvidenceFailure::from)?
            .into_iter()
            .filter(|p| first.as_ref().is_none_or(|f| p >= f))
            .filter(|p| last.as_ref().is_none_or(|l| p <= l))
            .collect())
    }

    /// Every index entry with an effective time in `[from, to)`, by effective time then id,
    /// read one period at a time.
    pub async fn entries_between(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<(Vec<String>, Vec<IndexEntry>), ComplianceError> {
        let periods = self.periods_in(from, to).await?;
        let mut out = Vec::new();
        for p in &periods {
            let mut entries = self
                .evidence
                .index()
                .list_period(p)
                .await
                .map_err(EvidenceFailure::from)?;
            entries.retain(|e| {
                from.is_none_or(|f| e.effective_at >= f) && to.is_none_or(|t| e.effective_at < t)
            });
            entries.sort_by(|a, b| (a.effective_at, &a.id).cmp(&(b.effective_at, &b.id)));
            out.extend(entries);
        }
        Ok((periods, out))
    }

    /// A page of cases by effective time (then case id).
    pub async fn list_cases(&self, q: &CaseListQuery) -> Result<CasePage, ComplianceError> {
        if let (Some(f), Some(t)) = (q.from, q.to)
            && f >= t
        {
            return Err(ComplianceError::BadRequest {
                parameter: "to",
                detail: "`to` must be after `from`".into(),
            });
        }
        let limit = q.limit.clamp(1, 1000) as usize;
        let after = q.continuation.as_deref().map(Cursor::decode).transpose()?;
        // Periods before the cursor's cannot hold the next page.
        let from = match (&after, q.from) {
            (Some(c), f) => {
                let at = DateTime::<Utc>::from_timestamp_millis(c.e).unwrap_or_default();
                Some(f.map_or(at, |f| f.max(at)))
            }
            (None, f) => f,
        };
        let periods = self.periods_in(from, q.to).await?;
        let mut items: Vec<CaseSummary> = Vec::new();
        let mut more = false;
        'periods: for p in &periods {
            let mut entries = self
                .evidence
                .index()
                .list_period(p)
                .await
                .map_err(EvidenceFailure::from)?;
            entries.sort_by(|a, b| (a.effective_at, &a.id).cmp(&(b.effective_at, &b.id)));
            for e in &entries {
                let key = Cursor {
                    e: e.effective_at.timestamp_millis(),
                    i: e.id.to_string(),
                };
                if after.as_ref().is_some_and(|a| key <= *a)
                    || q.from.is_some_and(|f| e.effective_at < f)
                    || q.to.is_some_and(|t| e.effective_at >= t)
                    || q.status.is_some_and(|s| s != e.status)
                {
                    continue;
                }
                if items.len() == limit {
                    more = true;
                    break 'periods;
                }
                items.push(summary(e));
            }
        }
        let continuation = match (more, items.last()) {
            (true, Some(last)) => Some(
                Cursor {
                    e: last.effective_at.timestamp_millis(),
                    i: last.case_id.to_string(),
                }
                .encode(),
            ),
            _ => None,
        };
        Ok(CasePage {
            items,
            continuation,
        })
    }

    async fn case(&self, id: &CaseId) -> Result<Case, ComplianceError> {
        self.cases
            .get(id)
            .await?
            .map(|v| v.value)
            .ok_or_else(|| ComplianceError::NoSuchCase(id.clone()))
    }

    /// One case's timeline: the case as stored and what its evidence shows.
    pub async fn timeline(&self, id: &CaseId) -> Result<CaseTimeline, ComplianceError> {
        let case = self.case(id).await?;
        let period = period_of(case.event.effective_at());
        let entry = self
            .evidence
            .index()
            .get(&period, id)
            .await
            .map_err(EvidenceFailure::from)?
            .map(|v| v.value);
        let sealed_at = match entry.as_ref().and_then(|e| e.seal_hash.as_ref()) {
            Some(_) => match self
                .evidence
                .store()
                .seal(&period, id)
                .await
                .map_err(EvidenceFailure::from)?
            {
                Some(Ok(s)) => Some(s.sealed_at),
                _ => None,
            },
            None => None,
        };
        let worm = self.evidence.worm();
        let (form, time_zone) = match case.event.hr_effective() {
            offboard_core::effective::HrEffectiveTime::Instant { .. } => (ClockForm::Instant, None),
            offboard_core::effective::HrEffectiveTime::Date { time_zone, .. } => {
                (ClockForm::Date, time_zone.clone())
            }
            offboard_core::effective::HrEffectiveTime::Immediate => (ClockForm::Immediate, None),
        };
        let sla = match entry.as_ref().and_then(|e| e.sla.as_ref()) {
            Some(s) => SlaView {
                state: entry
                    .as_ref()
                    .map_or("pending", |e| e.sla_state())
                    .to_owned(),
                target_minutes: s.target_minutes,
                measured_from: s.measured_from,
                access_removed_at: s.access_removed_at,
            },
            None => SlaView {
                state: match (&entry, case.sla_breached_at) {
                    (_, Some(_)) => "breached",
                    (Some(e), None) => e.sla_state(),
                    (None, None) => "pending",
                }
                .to_owned(),
                target_minutes: None,
                measured_from: case.event.effective_at(),
                access_removed_at: None,
            },
        };
        let steps = entry
            .as_ref()
            .map(|e| {
                e.timeline
                    .iter()
                    .map(|t| TimelineStep {
                        seq: t.seq,
                        step: t.step.clone(),
                        target_system: t.target_system.clone(),
                        action: t.action.clone(),
                        outcome: t.outcome.as_str().to_owned(),
                        reason: t.reason.clone(),
                        started_at: t.started_at,
                        ended_at: t.ended_at,
                        hash: t.hash.to_hex(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let timeline = Timeline {
            clock: ClockView {
                form,
                as_sent: case.event.hr_effective().as_sent().map(str::to_owned),
                time_zone,
                effective_at: case.event.effective_at(),
                received_at: case.event.received_at(),
            },
            steps,
            access_removed_at: entry
                .as_ref()
                .map(|e| {
                    e.access_removed_at
                        .iter()
                        .map(|(k, v)| (k.clone(), ms::text(v)))
                        .collect()
                })
                .unwrap_or_default(),
            exceptions: entry
                .as_ref()
                .map(|e| e.exceptions.clone())
                .unwrap_or_default(),
            sla,
            evidence: EvidenceSummary {
                period,
                indexed: entry.is_some(),
                record_count: entry.as_ref().map_or(0, |e| e.record_count),
                chain_head: entry.as_ref().map(|e| e.chain_head.to_hex()),
                seal_hash: entry
                    .as_ref()
                    .and_then(|e| e.seal_hash.as_ref().map(|h| h.to_hex())),
                sealed_at,
                ledger_seq: entry.as_ref().and_then(|e| e.ledger_seq),
                warning: worm.warning(),
                worm,
            },
        };
        Ok(CaseTimeline {
            case: case_view(&case),
            timeline,
        })
    }

    /// A case's packet and its verification. Unreadable stored evidence is not an error here:
    /// the answer then carries no packet and a verification that says what is wrong.
    pub async fn evidence(&self, id: &CaseId) -> Result<VerifiedPacket, ComplianceError> {
        let case = self.case(id).await?;
        let period = period_of(case.event.effective_at());
        match self.evidence.packet(&period, id).await {
            Ok(packet) => {
                let mut report = verify_packet_strict(&packet);
                if case.status.is_final() && packet.seal.is_none() {
                    report.findings.push(Finding::SealMissing {
                        case_id: id.clone(),
                    });
                }
                Ok(VerifiedPacket {
                    packet: Some(packet),
                    verification: verification(report),
                })
            }
            Err(EvidenceFailure::Corrupt { .. }) => Ok(VerifiedPacket {
                packet: None,
                verification: verification(self.verify_case(id).await?),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The ledger's length and head.
    pub async fn ledger(&self) -> Result<LedgerStatus, ComplianceError> {
        let length = self.evidence.ledger_len().await?;
        let head = match length {
            0 => None,
            n => match self
                .evidence
                .store()
                .ledger_entry(n - 1)
                .await
                .map_err(EvidenceFailure::from)?
            {
                Some(Ok(e)) => Some(head_of(&e)),
                Some(Err(detail)) => {
                    return Err(EvidenceFailure::Corrupt {
                        case_id: CaseId::derive("ledger", &(n - 1).to_string()),
                        detail: format!(
                            "the ledger head (entry {}) is unreadable: {detail}; run `offboard verify --ledger`",
                            n - 1
                        ),
                    }
                    .into());
                }
                None => None,
            },
        };
        let worm = self.evidence.worm();
        Ok(LedgerStatus {
            length,
            head,
            warning: worm.warning(),
            worm,
        })
    }

    /// Finds the period of a case: from the case store, or, if the case store lost it, from
    /// the evidence store.
    async fn period_of_case(
        &self,
        id: &CaseId,
    ) -> Result<Option<(String, Option<Case>)>, ComplianceError> {
        if let Some(v) = self.cases.get(id).await? {
            return Ok(Some((
                period_of(v.value.event.effective_at()),
                Some(v.value),
            )));
        }
        let store = self.evidence.store();
        for p in store.periods().await.map_err(EvidenceFailure::from)? {
            if store
                .cases_in_period(&p)
                .await
                .map_err(EvidenceFailure::from)?
                .contains(id)
            {
                return Ok(Some((p, None)));
            }
        }
        Ok(None)
    }

    /// Verifies one case as stored: its records, seal and ledger entry, and the index
    /// against them. A case the case store knows but whose evidence is gone is reported as
    /// removed; a finished case without a seal as missing its seal.
    pub async fn verify_case(&self, id: &CaseId) -> Result<Report, ComplianceError> {
        let Some((period, case)) = self.period_of_case(id).await? else {
            return Err(ComplianceError::NoSuchCase(id.clone()));
        };
        let stored = self
            .evidence
            .store()
            .records(&period, id)
            .await
            .map_err(EvidenceFailure::from)?;
        let mut report = self.evidence.verify_stored_case(&period, id).await?;
        if stored.is_empty() {
            report.findings.insert(
                0,
                Finding::CaseRemoved {
                    case_id: id.clone(),
                },
            );
        }
        let no_seal = report.seals_checked == 0;
        if no_seal
            && case.as_ref().is_some_and(|c| c.status.is_final())
            && !report
                .findings
                .iter()
                .any(|f| matches!(f, Finding::SealMissing { .. } | Finding::SealAltered { .. }))
        {
            report.findings.push(Finding::SealMissing {
                case_id: id.clone(),
            });
        }
        if case.is_none() {
            report.findings.push(Finding::IndexMismatch {
                case_id: id.clone(),
                detail: "the evidence store holds the case but the case store does not".into(),
            });
        }
        dedupe(&mut report.findings);
        Ok(report)
    }

    /// Verifies the whole ledger, every case in the periods of `range` and that the index
    /// and the evidence store agree on them.
    pub async fn verify_ledger(&self, range: PeriodRange) -> Result<Report, ComplianceError> {
        let (from, to) = (range.from().to_string(), range.to().to_string());
        let mut report = self.evidence.verify_period(&from, &to).await?;
        dedupe(&mut report.findings);
        Ok(report)
    }
}

fn head_of(e: &LedgerEntry) -> LedgerHead {
    LedgerHead {
        seq: e.seq,
        hash: e.hash.to_hex(),
        case_id: e.case_id.clone(),
        period: e.period.clone(),
        sealed_at: e.sealed_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_round_trip_and_foreign_ones_are_refused() {
        let c = Cursor {
            e: 1_700_000_000_123,
            i: "c-abc".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "c1.", "c1.!!!", "xyz", "c1.bm90IGpzb24"] {
            let err = Cursor::decode(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    ComplianceError::BadRequest {
                        parameter: "continuation",
                        ..
                    }
                ),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn repeated_findings_are_reported_once() {
        let id = CaseId::derive("generic", "e");
        let gone = Finding::CaseRemoved {
            case_id: id.clone(),
        };
        let seal = Finding::SealMissing { case_id: id };
        let mut f = vec![gone.clone(), seal.clone(), gone.clone(), seal.clone()];
        dedupe(&mut f);
        assert_eq!(f, vec![gone, seal]);
    }
}
