//! Benchmarks of `offboard verify` and `offboard report` (figures in crates/cli/README.md).
//!
//! ```text
//! cargo build --release -p offboard-cli --bin offboard --example compliance_bench
//! taskset -c 0 target/release/examples/compliance_bench verify   # records per second
//! taskset -c 0 target/release/examples/compliance_bench verify-memory 5  # in memory only, 5 rounds
//! taskset -c 0 target/release/examples/compliance_bench seed DIR # 10,000 cases for report
//! /usr/bin/time -v target/release/offboard report --data DIR --from 2026-01-01 \
//!     --to 2026-12-31 --format csv --out /tmp/terminations.csv    # time and peak memory
//! ```
//!
//! `verify` measures (1) offline verification of packets held in memory (hashing over RFC
//! 8785 canonical JSON, chain, seal and ledger checks: the CPU cost) and (2) `verify
//! --ledger` over a real embedded store written through the evidence service (adds reading
//! and parsing every file). `seed` writes 10,000 cases' index entries (12 records each,
//! sealed, with removals on five systems) into an embedded store the way the evidence service
//! folds them, so `offboard report` reads a realistic index.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use offboard_core::case::{Case, CaseStatus};
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::evidence::{
    Chain, EvidenceRecord, IndexEntry, LedgerEntry, Outcome, Packet, ReadBack, RecordBody,
    RequestOutline, Seal, SlaOutcome, WormStatus, hr_trigger_body, period_of,
};
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::ports::{CaseIndex, CaseStore, EvidenceStore};
use offboard_core::signature::Verified;
use offboard_embedded::{Embedded, FileEvidenceStore};
use offboard_service::SystemClock;
use offboard_service::compliance::{Compliance, verify_packet_strict};
use offboard_service::evidence::Evidence;

const SYSTEMS: [&str; 5] = ["entra", "exchange", "onedrive", "intune", "ad"];

fn event(n: u64, effective_at: DateTime<Utc>) -> TerminationEvent {
    let body = format!("{{\"n\":{n}}}");
    let verified = Verified::by_function_key(body.as_bytes(), effective_at - Duration::days(2));
    let facts = TerminationFacts {
        source: Source::Operator,
        source_event_id: format!("bench-{n}"),
        source_subject_id: None,
        employee: EmployeeIdentifiers::new(
            Some(format!("{:06}", n)),
            Some(format!("user{n}@contoso.example")),
            None,
            None,
        )
        .expect("identifiers"),
        kind: TerminationKind::Voluntary,
        hr_effective: HrEffectiveTime::instant(&effective_at.to_rfc3339()).expect("instant"),
        reason: None,
    };
    let policy = EffectivePolicy::new("UTC", "end-of-day").expect("policy");
    TerminationEvent::new(facts, &verified, &policy).expect("event")
}

fn step_body(i: usize, at: DateTime<Utc>) -> RecordBody {
    let system = SYSTEMS[i % SYSTEMS.len()];
    RecordBody {
        step: format!("step-{i}"),
        target_system: system.into(),
        action: "set accountEnabled=false".into(),
        target_ids: vec![format!("obj-{i}")],
        request: Some(RequestOutline {
            method: "PATCH".into(),
            target: "/v1.0/users/{id}".into(),
        }),
        response_status: Some(204),
        service_request_id: Some(format!("req-{i}")),
        read_back: Some(ReadBack {
            expected: json!({"accountEnabled": false}),
            observed: json!({"accountEnabled": false}),
            matches: true,
        }),
        started_at: at,
        ended_at: at + Duration::milliseconds(350),
        actor: "mi:offboard".into(),
        outcome: Outcome::Verified,
        reason: None,
        details: Some(json!({"attempt": 1})),
    }
}

/// A finished case: the trigger, `steps` verified actions and the closing status record.
fn case_records(case: &Case, steps: usize) -> Vec<EvidenceRecord> {
    let mut chain = Chain::new(case.id.clone());
    let mut out = vec![
        chain
            .push(hr_trigger_body(&case.event, "bench", "received"))
            .expect("trigger"),
    ];
    for i in 0..steps {
        let at = case.event.effective_at() + Duration::seconds(30 * i as i64);
        out.push(chain.push(step_body(i, at)).expect("record"));
    }
    let mut done = step_body(99, case.event.effective_at() + Duration::minutes(10));
    done.step = "case".into();
    done.target_system = "offboard".into();
    done.outcome = Outcome::Noted;
    done.read_back = None;
    done.details = Some(json!({"caseStatus": "completed"}));
    out.push(chain.push(done).expect("record"));
    out
}

fn sla(case: &Case) -> SlaOutcome {
    SlaOutcome {
        target_minutes: Some(1440),
        measured_from: case.event.effective_at(),
        access_removed_at: Some(case.event.effective_at() + Duration::minutes(5)),
        met: Some(true),
    }
}

fn worm() -> WormStatus {
    WormStatus::NotEnforced {
        reason: "benchmark".into(),
    }
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 17, 0, 0)
        .single()
        .expect("time")
}

fn verify_in_memory(cases: u64, steps: usize, rounds: u32) {
    let mut packets = Vec::new();
    let mut prev: Option<LedgerEntry> = None;
    for n in 0..cases {
        let ev = event(n, base() + Duration::minutes(n as i64 * 50));
        let mut case = Case::open(ev, base() - Duration::days(10));
        case.status = CaseStatus::Completed;
        let records = case_records(&case, steps);
        let seal = Seal::new(
            case.id.clone(),
            &records,
            case.event.body_sha256().clone(),
            "completed",
            sla(&case),
            worm(),
            case.event.effective_at() + Duration::minutes(11),
        )
        .expect("seal");
        let entry = LedgerEntry::next(prev.as_ref(), &seal, &period_of(case.event.effective_at()))
            .expect("entry");
        packets.push(Packet::new(
            case.id.clone(),
            worm(),
            records,
            Some(seal),
            Some(entry.clone()),
            prev.clone(),
            Utc::now(),
        ));
        prev = Some(entry);
    }
    let records: usize = packets.iter().map(|p| p.records.len()).sum();
    for _ in 0..rounds {
        let cpu_started = thread_cpu_ns();
        let started = Instant::now();
        let mut findings = 0;
        for p in &packets {
            findings += verify_packet_strict(p).findings.len();
        }
        let secs = started.elapsed().as_secs_f64();
        let cpu = match (cpu_started, thread_cpu_ns()) {
            (Some(a), Some(b)) if b > a => {
                let cpu_secs = (b - a) as f64 / 1e9;
                format!(
                    "; on CPU {cpu_secs:.3} s = {:.0} records/s",
                    records as f64 / cpu_secs
                )
            }
            _ => String::new(),
        };
        assert_eq!(findings, 0, "the benchmark's evidence must verify");
        println!(
            "verify (packets in memory): {cases} cases, {records} records in {secs:.3} s = {:.0} records/s ({:.0} cases/s), one thread{cpu}",
            records as f64 / secs,
            cases as f64 / secs
        );
    }
}

/// Nanoseconds this thread has spent running (Linux's scheduler statistics; `None`
/// elsewhere): unlike the wall clock, not stretched when other processes share the core.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

async fn verify_store(cases: u64, steps: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Arc::new(Embedded::open(dir.path()).expect("db"));
    let store: Arc<dyn EvidenceStore> =
        Arc::new(FileEvidenceStore::open(&dir.path().join("evidence")).expect("store"));
    let evidence = Evidence::new(store, db.clone(), "bench", Arc::new(SystemClock));
    let write_started = Instant::now();
    for n in 0..cases {
        let ev = event(n, base() + Duration::minutes(n as i64 * 50));
        let mut case = Case::open(ev, base() - Duration::days(10));
        db.create(&case).await.expect("case");
        evidence.record_trigger(&case).await.expect("trigger");
        for i in 0..steps {
            let at = case.event.effective_at() + Duration::seconds(30 * i as i64);
            evidence
                .append(&case, step_body(i, at))
                .await
                .expect("append");
        }
        case.status = CaseStatus::Completed;
        evidence
            .record_status(&case, "every step verified")
            .await
            .expect("status");
        evidence.seal(&case, sla(&case)).await.expect("seal");
    }
    let written = write_started.elapsed().as_secs_f64();
    let compliance = Compliance::new(db.clone(), db.clone(), evidence);
    let started = Instant::now();
    let report = compliance
        .verify_ledger(offboard_core::evidence::PeriodRange::ALL)
        .await
        .expect("verify");
    let secs = started.elapsed().as_secs_f64();
    assert!(report.ok(), "{:?}", report.findings);
    println!(
        "verify --ledger (embedded store, files): {cases} cases, {} records in {secs:.3} s = {:.0} records/s (writing them took {written:.1} s)",
        report.records_checked,
        report.records_checked as f64 / secs
    );
}

async fn seed(dir: &Path, cases: u64, steps: usize) {
    let db = Embedded::open(dir).expect("db");
    FileEvidenceStore::open(&dir.join("evidence")).expect("evidence directory");
    let started = Instant::now();
    let mut prev: Option<LedgerEntry> = None;
    for n in 0..cases {
        // Spread over 2026: 10,000 cases are about 27 a day.
        let effective = base() + Duration::seconds((n as i64 * 31_536_000) / cases as i64);
        let mut case = Case::open(event(n, effective), base() - Duration::days(10));
        case.status = CaseStatus::Completed;
        let period = period_of(case.event.effective_at());
        let records = case_records(&case, steps);
        let mut entry = IndexEntry::from_trigger(&period, &records[0], false).expect("entry");
        for r in &records[1..] {
            entry.apply(r);
        }
        let seal = Seal::new(
            case.id.clone(),
            &records,
            case.event.body_sha256().clone(),
            "completed",
            sla(&case),
            worm(),
            effective + Duration::minutes(11),
        )
        .expect("seal");
        entry.apply_seal(&seal);
        let ledger = LedgerEntry::next(prev.as_ref(), &seal, &period).expect("ledger");
        entry.ledger_seq = Some(ledger.seq);
        prev = Some(ledger);
        db.create(&case).await.expect("case");
        db.put(&entry, None).await.expect("index");
        // The report lists the periods that hold evidence.
        std::fs::create_dir_all(dir.join("evidence/cases").join(&period)).expect("period");
    }
    println!(
        "seeded {cases} cases ({} records each) into {} in {:.1} s",
        steps + 2,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match args.get(1).map(String::as_str) {
        Some("verify") => {
            verify_in_memory(10_000, 10, 1);
            rt.block_on(verify_store(500, 10));
        }
        // Only the in-memory verification, `ROUNDS` times over the same packets (for
        // profiling: `perf record` then sees little but the verifier).
        Some("verify-memory") => {
            let rounds = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
            verify_in_memory(10_000, 10, rounds);
        }
        Some("seed") => {
            let dir = args
                .get(2)
                .expect("usage: compliance_bench seed DIR [CASES]");
            let cases = args.get(3).and_then(|c| c.parse().ok()).unwrap_or(10_000);
            rt.block_on(seed(Path::new(dir), cases, 10));
        }
        _ => eprintln!(
            "usage: compliance_bench verify | compliance_bench verify-memory [ROUNDS] | compliance_bench seed DIR [CASES]"
        ),
    }
}
