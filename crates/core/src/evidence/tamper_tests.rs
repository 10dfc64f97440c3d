//! Each kind of tampering an auditor must catch, made on a real sealed packet.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::verify::{Finding, verify_ledger, verify_packet};
use super::*;
use crate::ids::{CaseId, Sha256Digest};

fn t() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn body(step: &str) -> RecordBody {
    RecordBody {
        step: step.into(),
        target_system: if step == "hr-trigger" {
            "hr:generic".into()
        } else {
            "entra".into()
        },
        action: format!("{step} action"),
        target_ids: vec!["u-1".into()],
        request: None,
        response_status: Some(204),
        service_request_id: None,
        read_back: None,
        started_at: t(),
        ended_at: t(),
        actor: "mi:test".into(),
        outcome: if step == "hr-trigger" {
            Outcome::Received
        } else {
            Outcome::Verified
        },
        reason: None,
        details: if step == "hr-trigger" {
            Some(json!({"bodySha256": Sha256Digest::of(b"hr body").to_hex()}))
        } else {
            None
        },
    }
}

fn sealed_packet() -> Packet {
    let id = CaseId::derive("generic", "tamper");
    let mut chain = Chain::new(id.clone());
    let records: Vec<EvidenceRecord> = [
        "hr-trigger",
        "block-sign-in",
        "revoke-sessions",
        "remove-licences",
    ]
    .iter()
    .map(|s| chain.push(body(s)).unwrap())
    .collect();
    let seal = Seal::new(
        id.clone(),
        &records,
        Sha256Digest::of(b"hr body"),
        "completed",
        SlaOutcome {
            target_minutes: Some(60),
            measured_from: t(),
            access_removed_at: Some(t()),
            met: Some(true),
        },
        WormStatus::Enforced {
            retention_days: 2555,
            protection: None,
        },
        t(),
    )
    .unwrap();
    let prev_seal = Seal::new(
        CaseId::derive("generic", "before"),
        &[],
        Sha256Digest::of(b"x"),
        "completed",
        SlaOutcome {
            target_minutes: None,
            measured_from: t(),
            access_removed_at: None,
            met: None,
        },
        WormStatus::Enforced {
            retention_days: 2555,
            protection: None,
        },
        t(),
    )
    .unwrap();
    let prev = LedgerEntry::next(None, &prev_seal, "2026-11").unwrap();
    let entry = LedgerEntry::next(Some(&prev), &seal, "2026-11").unwrap();
    Packet::new(
        id,
        WormStatus::Enforced {
            retention_days: 2555,
            protection: None,
        },
        records,
        Some(seal),
        Some(entry),
        Some(prev),
        t(),
    )
}

fn kinds(p: &Packet) -> Vec<String> {
    verify_packet(p)
        .findings
        .iter()
        .map(|f| {
            serde_json::to_value(f).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn an_untouched_packet_verifies() {
    let p = sealed_packet();
    let r = verify_packet(&p);
    assert!(r.ok(), "{:?}", r.findings);
    assert_eq!(r.records_checked, 4);
    assert_eq!(r.ledger_entries_checked, 2);
    assert!(r.warnings.is_empty());
    // And it survives a round trip through JSON.
    let back: Packet = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert!(verify_packet(&back).ok());
}

#[test]
fn a_modified_record_is_named() {
    let mut p = sealed_packet();
    p.records[2].body.action = "nothing happened".into();
    assert_eq!(kinds(&p), ["record_modified"]);
    // Rehashing the edited record does not help: the seal's manifest still disagrees.
    p.records[2].hash = p.records[2].compute_hash().unwrap();
    let k = kinds(&p);
    assert!(
        k.contains(&"record_modified".to_owned()) && k.contains(&"chain_broken".to_owned()),
        "{k:?}"
    );
}

#[test]
fn a_deleted_record_is_named() {
    let mut p = sealed_packet();
    p.records.remove(3);
    let r = verify_packet(&p);
    assert!(
        r.findings.contains(&Finding::RecordDeleted {
            case_id: p.case_id.clone(),
            seq: 3
        }),
        "{:?}",
        r.findings
    );
}

#[test]
fn reordered_records_are_named() {
    let mut p = sealed_packet();
    p.records.swap(1, 2);
    assert_eq!(kinds(&p), ["records_reordered"]);
}

#[test]
fn an_inserted_record_is_named() {
    let mut p = sealed_packet();
    let mut chain = Chain::after(&p.records[3]);
    let extra = chain.push(body("extra-step")).unwrap();
    p.records.push(extra);
    let k = kinds(&p);
    assert!(k.contains(&"record_inserted".to_owned()), "{k:?}");
}

#[test]
fn a_missing_or_altered_seal_is_named() {
    let mut p = sealed_packet();
    p.seal.as_mut().unwrap().case_status = "completed_with_exceptions".into();
    let k = kinds(&p);
    assert!(k.contains(&"seal_altered".to_owned()), "{k:?}");

    // A forged seal with a correct hash of its own still disagrees with the ledger.
    let s = p.seal.as_mut().unwrap();
    s.hash = s.compute_hash().unwrap();
    assert_eq!(kinds(&p), ["ledger_mismatch"]);

    let mut p = sealed_packet();
    p.seal = None;
    p.ledger_entry = None;
    // Without a seal a packet verifies only as an open case: the chain itself is intact.
    assert!(verify_packet(&p).ok());
}

#[test]
fn a_removed_case_breaks_the_ledger() {
    let p = sealed_packet();
    let entries = vec![
        p.ledger_previous.clone().unwrap(),
        p.ledger_entry.clone().unwrap(),
    ];
    assert!(verify_ledger(&entries, 0).ok());
    // Remove the first case's entry: a gap at position 0.
    let r = verify_ledger(&entries[1..], 0);
    assert_eq!(r.findings, vec![Finding::LedgerGap { missing_seq: 0 }]);
    // Or renumber to hide the gap: the link breaks.
    let mut forged = entries[1].clone();
    forged.seq = 0;
    forged.hash = forged.compute_hash().unwrap();
    let r = verify_ledger(&[forged], 0);
    assert_eq!(r.findings, vec![Finding::LedgerBroken { seq: 0 }]);
}

#[test]
fn worm_not_enforced_is_always_said() {
    let mut p = sealed_packet();
    p.worm = WormStatus::NotEnforced {
        reason: "OFFBOARD_EVIDENCE_WORM=off (Azurite)".into(),
    };
    let r = verify_packet(&p);
    assert!(r.ok());
    assert_eq!(
        r.warnings,
        vec!["WORM not enforced: OFFBOARD_EVIDENCE_WORM=off (Azurite)".to_owned()]
    );
}

/// A packet written and hashed before the canonical writer changed (the fuzzing seed): it must
/// still verify, byte for byte, and an edit to it must still be caught.
#[test]
fn evidence_hashed_by_the_earlier_writer_still_verifies() {
    let text = include_str!("../../../../fuzz/seeds/evidence_packet/sealed.json");
    let p: Packet = serde_json::from_str(text).expect("the seed is a packet");
    assert!(!p.records.is_empty());
    let report = verify_packet(&p);
    assert!(report.ok(), "{:?}", report.findings);
    let mut edited = p.clone();
    edited.records[1].body.action.push('!');
    assert!(!verify_packet(&edited).ok());
}
