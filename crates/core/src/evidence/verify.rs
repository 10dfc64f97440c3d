//! Offline verification of evidence: a packet, a case read from the store, or the ledger.
//!
//! Every problem is a [`Finding`] that names what failed and where, so an auditor (or the
//! `offboard verify` command) can say exactly which record, seal or ledger entry is wrong.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::canonical::GENESIS;
use super::ledger::LedgerEntry;
use super::packet::Packet;
use super::record::EvidenceRecord;
use super::seal::Seal;
use crate::ids::{CaseId, Sha256Digest};

/// The step of a ghost-access scan's one record. A scan's chain starts with it instead of
/// the HR trigger, and its seal's `hrEventSha256` is the SHA-256 of the record's canonical
/// `details` (the scan's parameters, sources' digests, counts and finding ids).
pub const SCAN_STEP: &str = "reconcile-scan";

/// The step of the one record of a person's action that belongs to no case: a report exported,
/// a dry run, a scan asked for. Its chain starts with it and is sealed like a scan's (the seal's
/// `hrEventSha256` is the SHA-256 of the record's canonical `details`), so the ledger holds who
/// pulled which population or previewed whose offboarding, and when.
pub const ACTIVITY_STEP: &str = "activity";

/// Whether a chain that starts with `step` stands alone (a scan, an activity): it has no HR
/// trigger, no index row, and its seal's digest is of the first record's canonical `details`.
pub fn is_standalone(step: &str) -> bool {
    step == SCAN_STEP || step == ACTIVITY_STEP
}

/// One thing that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// A record's content does not match its hash, or its hash does not match the seal's
    /// manifest: it was edited.
    RecordModified {
        /// The case.
        case_id: CaseId,
        /// The record.
        seq: u64,
        /// What exactly disagrees.
        detail: String,
    },
    /// A record the chain or the seal expects is missing.
    RecordDeleted {
        /// The case.
        case_id: CaseId,
        /// The missing record.
        seq: u64,
    },
    /// A record that the seal does not list, or a second record at the same position.
    RecordInserted {
        /// The case.
        case_id: CaseId,
        /// The extra record.
        seq: u64,
    },
    /// The records are all present and intact but stored out of order.
    RecordsReordered {
        /// The case.
        case_id: CaseId,
        /// The first position holding the wrong record.
        position: u64,
        /// The record found there.
        found_seq: u64,
    },
    /// A record does not point at the hash of the record before it.
    ChainBroken {
        /// The case.
        case_id: CaseId,
        /// The record whose `prevHash` is wrong.
        seq: u64,
    },
    /// The first record is not the HR trigger.
    TriggerMissing {
        /// The case.
        case_id: CaseId,
    },
    /// The case should be sealed but no seal exists.
    SealMissing {
        /// The case.
        case_id: CaseId,
    },
    /// The seal's content does not match its hash.
    SealAltered {
        /// The case.
        case_id: CaseId,
    },
    /// The seal disagrees with the records (count, chain head or HR digest).
    SealMismatch {
        /// The case.
        case_id: CaseId,
        /// What disagrees.
        detail: String,
    },
    /// A sealed case has no ledger entry.
    LedgerEntryMissing {
        /// The case.
        case_id: CaseId,
    },
    /// A ledger entry's content does not match its hash.
    LedgerEntryAltered {
        /// The entry's position.
        seq: u64,
    },
    /// The ledger entry disagrees with the seal.
    LedgerMismatch {
        /// The case.
        case_id: CaseId,
        /// What disagrees.
        detail: String,
    },
    /// A ledger entry does not point at the hash of the entry before it.
    LedgerBroken {
        /// The entry whose `prevHash` is wrong.
        seq: u64,
    },
    /// Ledger positions are missing: entries were removed.
    LedgerGap {
        /// The first missing position.
        missing_seq: u64,
    },
    /// The ledger lists a case whose evidence is gone from the store.
    CaseRemoved {
        /// The case.
        case_id: CaseId,
    },
    /// The index and the evidence store disagree.
    IndexMismatch {
        /// The case.
        case_id: CaseId,
        /// What disagrees.
        detail: String,
    },
}

impl Finding {
    /// A one-line description for people.
    pub fn describe(&self) -> String {
        match self {
            Self::RecordModified {
                case_id,
                seq,
                detail,
            } => {
                format!("case {case_id}: record {seq} was modified ({detail})")
            }
            Self::RecordDeleted { case_id, seq } => {
                format!("case {case_id}: record {seq} was deleted")
            }
            Self::RecordInserted { case_id, seq } => {
                format!(
                    "case {case_id}: record {seq} was inserted (not in the seal, or a duplicate position)"
                )
            }
            Self::RecordsReordered {
                case_id,
                position,
                found_seq,
            } => format!(
                "case {case_id}: records were reordered (position {position} holds record {found_seq})"
            ),
            Self::ChainBroken { case_id, seq } => {
                format!("case {case_id}: record {seq} does not link to the record before it")
            }
            Self::TriggerMissing { case_id } => {
                format!("case {case_id}: the first record is not the HR trigger")
            }
            Self::SealMissing { case_id } => format!("case {case_id}: the seal is missing"),
            Self::SealAltered { case_id } => format!("case {case_id}: the seal was altered"),
            Self::SealMismatch { case_id, detail } => {
                format!("case {case_id}: the seal does not match the records ({detail})")
            }
            Self::LedgerEntryMissing { case_id } => {
                format!("case {case_id}: sealed but absent from the ledger")
            }
            Self::LedgerEntryAltered { seq } => format!("ledger entry {seq} was altered"),
            Self::LedgerMismatch { case_id, detail } => {
                format!("case {case_id}: the ledger entry does not match the seal ({detail})")
            }
            Self::LedgerBroken { seq } => {
                format!("ledger entry {seq} does not link to the entry before it")
            }
            Self::LedgerGap { missing_seq } => {
                format!("ledger entry {missing_seq} is missing: a whole case was removed")
            }
            Self::CaseRemoved { case_id } => {
                format!("case {case_id} is in the ledger but its evidence is gone")
            }
            Self::IndexMismatch { case_id, detail } => {
                format!("case {case_id}: the index disagrees with the evidence store ({detail})")
            }
        }
    }
}

/// The result of a verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Cases whose evidence was checked (records, seal, ledger entry). A period or store
    /// with none has nothing to verify, which is not the same as "verified".
    #[serde(default)]
    pub cases_checked: u64,
    /// Records whose hashes were recomputed.
    pub records_checked: u64,
    /// Seals checked.
    pub seals_checked: u64,
    /// Ledger entries checked.
    pub ledger_entries_checked: u64,
    /// What failed; empty when everything verifies.
    pub findings: Vec<Finding>,
    /// Things that are not failures but must be said (`WORM not enforced: ...`).
    pub warnings: Vec<String>,
    /// The WORM mode, period and lock state each checked seal or packet states (one line
    /// each, deduplicated): `WORM enforced: Locked …` or `WORM not enforced: …`.
    #[serde(default)]
    pub worm: Vec<String>,
}

impl Report {
    /// True when nothing failed.
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }

    /// Adds another report's counts and findings.
    pub fn merge(&mut self, other: Report) {
        self.cases_checked += other.cases_checked;
        self.records_checked += other.records_checked;
        self.seals_checked += other.seals_checked;
        self.ledger_entries_checked += other.ledger_entries_checked;
        self.findings.extend(other.findings);
        for w in other.warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
        for w in other.worm {
            if !self.worm.contains(&w) {
                self.worm.push(w);
            }
        }
    }
}

/// What a case verification needs.
pub struct CaseEvidence<'a> {
    /// The case.
    pub case_id: &'a CaseId,
    /// Records as stored, with the position each was stored at (its blob name or its place
    /// in the packet).
    pub records: &'a [(u64, EvidenceRecord)],
    /// The seal, if any.
    pub seal: Option<&'a Seal>,
    /// Whether the case must be sealed (it is final).
    pub must_be_sealed: bool,
    /// The case's ledger entry, if any.
    pub ledger_entry: Option<&'a LedgerEntry>,
}

/// Verifies one case's records, seal and ledger entry.
pub fn verify_case(ev: &CaseEvidence<'_>) -> Report {
    let records: Vec<(u64, &EvidenceRecord)> = ev.records.iter().map(|(p, r)| (*p, r)).collect();
    verify_records(&Case {
        case_id: ev.case_id,
        records: &records,
        seal: ev.seal,
        must_be_sealed: ev.must_be_sealed,
        ledger_entry: ev.ledger_entry,
    })
}

/// [`CaseEvidence`] with the records borrowed, so a packet's need not be copied.
struct Case<'a> {
    case_id: &'a CaseId,
    records: &'a [(u64, &'a EvidenceRecord)],
    seal: Option<&'a Seal>,
    must_be_sealed: bool,
    ledger_entry: Option<&'a LedgerEntry>,
}

fn verify_records(ev: &Case<'_>) -> Report {
    let case_id = ev.case_id.clone();
    let mut report = Report {
        cases_checked: 1,
        records_checked: ev.records.len() as u64,
        ..Report::default()
    };
    let f = &mut report.findings;

    // 1. Each record against its own hash, and against the case it claims.
    for &(_, r) in ev.records {
        match r.compute_hash() {
            Ok(h) if h == r.hash => {}
            _ => f.push(Finding::RecordModified {
                case_id: case_id.clone(),
                seq: r.seq,
                detail: "content does not match the record's hash".into(),
            }),
        }
        if &r.case_id != ev.case_id {
            f.push(Finding::RecordInserted {
                case_id: case_id.clone(),
                seq: r.seq,
            });
        }
    }

    // 2. Positions: duplicates, gaps, order.
    let mut by_seq: BTreeMap<u64, Vec<&EvidenceRecord>> = BTreeMap::new();
    for &(_, r) in ev.records {
        by_seq.entry(r.seq).or_default().push(r);
    }
    for (seq, rs) in &by_seq {
        if rs.len() > 1 {
            f.push(Finding::RecordInserted {
                case_id: case_id.clone(),
                seq: *seq,
            });
        }
    }
    let max_seq = by_seq.keys().next_back().copied();
    let manifest_len = ev.seal.map(|s| s.records.len() as u64).unwrap_or(0);
    let expected_len = max_seq.map(|m| m + 1).unwrap_or(0).max(manifest_len);
    let mut gaps = BTreeSet::new();
    for seq in 0..expected_len {
        if !by_seq.contains_key(&seq) {
            gaps.insert(seq);
            f.push(Finding::RecordDeleted {
                case_id: case_id.clone(),
                seq,
            });
        }
    }
    let complete = gaps.is_empty() && by_seq.values().all(|v| v.len() == 1);
    if complete && let Some((pos, r)) = ev.records.iter().find(|(pos, r)| *pos != r.seq) {
        f.push(Finding::RecordsReordered {
            case_id: case_id.clone(),
            position: *pos,
            found_seq: r.seq,
        });
    }

    // 3. Links, in sequence order.
    let mut prev: Option<&EvidenceRecord> = None;
    for (seq, rs) in &by_seq {
        let r = rs[0];
        let expected = match (seq, prev) {
            (0, _) => Some(GENESIS),
            (_, Some(p)) if p.seq + 1 == *seq => Some(p.hash.clone()),
            _ => None, // after a gap the link cannot be checked; the gap is reported
        };
        if let Some(expected) = expected
            && r.prev_hash != expected
        {
            f.push(Finding::ChainBroken {
                case_id: case_id.clone(),
                seq: *seq,
            });
        }
        prev = Some(r);
    }
    if let Some(first) = by_seq.get(&0)
        && first[0].body.step != "hr-trigger"
        && !is_standalone(&first[0].body.step)
    {
        f.push(Finding::TriggerMissing {
            case_id: case_id.clone(),
        });
    }

    // 4. The seal.
    match ev.seal {
        None if ev.must_be_sealed => f.push(Finding::SealMissing {
            case_id: case_id.clone(),
        }),
        None => {}
        Some(seal) => {
            report.seals_checked = 1;
            if seal.compute_hash().ok().as_ref() != Some(&seal.hash) {
                f.push(Finding::SealAltered {
                    case_id: case_id.clone(),
                });
            }
            let listed: BTreeMap<u64, _> = seal.records.iter().map(|e| (e.seq, &e.hash)).collect();
            for (seq, hash) in &listed {
                if let Some(rs) = by_seq.get(seq)
                    && &&rs[0].hash != hash
                    && !f
                        .iter()
                        .any(|x| matches!(x, Finding::RecordModified { seq: s, .. } if s == seq))
                {
                    f.push(Finding::RecordModified {
                        case_id: case_id.clone(),
                        seq: *seq,
                        detail: "the record's hash differs from the one in the seal".into(),
                    });
                }
            }
            for seq in by_seq.keys() {
                if !listed.contains_key(seq) {
                    f.push(Finding::RecordInserted {
                        case_id: case_id.clone(),
                        seq: *seq,
                    });
                }
            }
            let head = by_seq.values().next_back().map(|v| v[0].hash.clone());
            if head.as_ref() != Some(&seal.chain_head) && gaps.is_empty() {
                f.push(Finding::SealMismatch {
                    case_id: case_id.clone(),
                    detail: "chain head differs from the last record".into(),
                });
            }
            if let Some(first) = by_seq.get(&0) {
                let details = first[0].body.details.as_ref();
                let digest = if is_standalone(&first[0].body.step) {
                    details.map(|d| {
                        let mut canonical = Vec::new();
                        super::canonical::write_canonical(d, &mut canonical);
                        Sha256Digest::of(&canonical).to_hex()
                    })
                } else {
                    details
                        .and_then(|d| d.get("bodySha256"))
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                };
                if digest.as_deref() != Some(seal.hr_event_sha256.to_hex().as_str()) {
                    f.push(Finding::SealMismatch {
                        case_id: case_id.clone(),
                        detail: "HR event digest differs from the trigger record".into(),
                    });
                }
            }
            if &seal.case_id != ev.case_id {
                f.push(Finding::SealMismatch {
                    case_id: case_id.clone(),
                    detail: format!("the seal belongs to case {}", seal.case_id),
                });
            }
            if let Some(w) = seal.worm.warning() {
                report.warnings.push(w);
            }
            report.worm.push(seal.worm.statement());
        }
    }

    // 5. The ledger entry.
    match (ev.seal, ev.ledger_entry) {
        (Some(_), None) if ev.must_be_sealed => f.push(Finding::LedgerEntryMissing {
            case_id: case_id.clone(),
        }),
        (Some(seal), Some(entry)) => {
            report.ledger_entries_checked = 1;
            if entry.compute_hash().ok().as_ref() != Some(&entry.hash) {
                f.push(Finding::LedgerEntryAltered { seq: entry.seq });
            }
            if entry.seal_hash != seal.hash {
                f.push(Finding::LedgerMismatch {
                    case_id: case_id.clone(),
                    detail: "the ledger records a different seal hash".into(),
                });
            }
            if &entry.case_id != ev.case_id {
                f.push(Finding::LedgerMismatch {
                    case_id: case_id.clone(),
                    detail: format!("the ledger entry belongs to case {}", entry.case_id),
                });
            }
        }
        _ => {}
    }
    report
}

/// Verifies a downloaded packet, offline.
pub fn verify_packet(p: &Packet) -> Report {
    let positioned: Vec<(u64, &EvidenceRecord)> = p
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| (i as u64, r))
        .collect();
    let final_status = p.seal.is_some();
    let mut report = verify_records(&Case {
        case_id: &p.case_id,
        records: &positioned,
        seal: p.seal.as_ref(),
        must_be_sealed: final_status,
        ledger_entry: p.ledger_entry.as_ref(),
    });
    if let (Some(entry), Some(prev)) = (&p.ledger_entry, &p.ledger_previous) {
        report.ledger_entries_checked += 1;
        if prev.compute_hash().ok().as_ref() != Some(&prev.hash) {
            report
                .findings
                .push(Finding::LedgerEntryAltered { seq: prev.seq });
        }
        if prev.seq + 1 != entry.seq || entry.prev_hash != prev.hash {
            report
                .findings
                .push(Finding::LedgerBroken { seq: entry.seq });
        }
    }
    if let Some(w) = p.worm.warning()
        && !report.warnings.contains(&w)
    {
        report.warnings.push(w);
    }
    let statement = p.worm.statement();
    if !report.worm.contains(&statement) {
        report.worm.push(statement);
    }
    report
}

/// Verifies a run of ledger entries (sorted by position): hashes, links and gaps.
/// `first_expected` is the position the run should start at (0 for the whole ledger).
pub fn verify_ledger(entries: &[LedgerEntry], first_expected: u64) -> Report {
    let mut report = Report {
        ledger_entries_checked: entries.len() as u64,
        ..Report::default()
    };
    let mut expected_seq = first_expected;
    let mut prev: Option<&LedgerEntry> = None;
    for e in entries {
        if e.compute_hash().ok().as_ref() != Some(&e.hash) {
            report
                .findings
                .push(Finding::LedgerEntryAltered { seq: e.seq });
        }
        if e.seq > expected_seq {
            report.findings.push(Finding::LedgerGap {
                missing_seq: expected_seq,
            });
        } else if let Some(p) = prev {
            if e.prev_hash != p.hash {
                report.findings.push(Finding::LedgerBroken { seq: e.seq });
            }
        } else if e.seq == 0 && e.prev_hash != GENESIS {
            report.findings.push(Finding::LedgerBroken { seq: 0 });
        }
        expected_seq = e.seq + 1;
        prev = Some(e);
    }
    report
}
