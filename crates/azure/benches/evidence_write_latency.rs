//! Evidence write latency per record: p50, p99 and sequential records per second, on the
//! embedded `FileEvidenceStore` and on the blob store against Azurite (WORM off: Azurite has no
//! legal hold), each measured two ways:
//!
//! - `put_record`: the store alone — one create-only write and its read-back;
//! - `Evidence::append`: the service's whole append — find the chain head (list the case's
//!   records, read the last), write the record, fold it into the compliance index (read, ETag
//!   replace). The file store is paired with the embedded SQLite index (the demo backend), the
//!   blob store with `CosmosCaseIndex` on the npm Cosmos server (the Azure pairing).
//!
//! ```text
//! cargo bench -p offboard-azure --bench evidence_write_latency
//! OFFBOARD_BENCH_RECORDS=500 cargo bench -p offboard-azure --bench evidence_write_latency
//! ```
//!
//! The local stack is started (or found through `OFFBOARD_TEST_STACK_ENV`) exactly as the
//! integration tests do it. Azurite and the Cosmos server run on the same machine as the
//! benchmark, over HTTPS with bearer tokens: the figures are the client's and the emulators'
//! cost, not Azure's network latency.

#[allow(dead_code)]
#[path = "../tests/azure/helpers.rs"]
mod helpers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use offboard_core::case::Case;
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::evidence::{Chain, Outcome, RecordBody, period_of};
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::ports::{CaseIndex, EvidenceStore};
use offboard_core::signature::Verified;
use offboard_embedded::{Embedded, FileEvidenceStore};
use offboard_service::SystemClock;
use offboard_service::evidence::Evidence;

/// Records not counted, to open connections and fetch the first token.
const WARM_UP: usize = 10;
/// Records per case in the append rows: about what a real case holds (a trigger and one or two
/// records per step), so the head lookup lists what it lists in production.
const RECORDS_PER_CASE: usize = 25;

fn body(n: usize) -> RecordBody {
    let now = Utc::now();
    RecordBody {
        step: "disable-sign-in".into(),
        target_system: "entra".into(),
        action: format!("PATCH accountEnabled=false ({n})"),
        target_ids: vec!["4b1c0a6e-0000-4000-8000-000000000042".into()],
        request: None,
        response_status: Some(204),
        service_request_id: Some(format!("7d0c{n:08}-bench")),
        read_back: None,
        started_at: now,
        ended_at: now,
        actor: "offboard (benchmark)".into(),
        outcome: Outcome::Verified,
        reason: None,
        details: None,
    }
}

fn case() -> Case {
    let received: DateTime<Utc> = Utc::now();
    let event_id = format!("bench-{}", helpers::unique());
    let facts = TerminationFacts {
        source: Source::Generic,
        source_event_id: event_id.clone(),
        source_subject_id: None,
        employee: EmployeeIdentifiers::new(Some("1042".into()), None, None, None)
            .expect("identifiers"),
        kind: TerminationKind::Voluntary,
        hr_effective: HrEffectiveTime::instant("2026-11-30T17:00:00Z").expect("instant"),
        reason: None,
    };
    let event = TerminationEvent::new(
        facts,
        &Verified::by_function_key(event_id.as_bytes(), received),
        &EffectivePolicy::default(),
    )
    .expect("event");
    Case::open(event, received)
}

struct Figures {
    p50: Duration,
    p99: Duration,
    mean: Duration,
    per_second: f64,
}

fn figures(mut samples: Vec<Duration>, total: Duration) -> Figures {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i]
    };
    let sum: Duration = samples.iter().sum();
    Figures {
        p50: at(0.50),
        p99: at(0.99),
        mean: sum / u32::try_from(samples.len()).unwrap_or(u32::MAX),
        per_second: samples.len() as f64 / total.as_secs_f64(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn report(what: &str, f: &Figures) {
    println!(
        "| {what:<54} | {:>10} | {:>10} | {:>10} | {:>8.1} |",
        ms(f.p50),
        ms(f.p99),
        ms(f.mean),
        f.per_second
    );
}

/// `put_record` alone: one case, records 0..n in order.
async fn bench_put(store: &dyn EvidenceStore, n: usize) -> Figures {
    let case = case();
    let period = period_of(case.event.effective_at());
    let mut chain = Chain::new(case.id.clone());
    let mut samples = Vec::with_capacity(n);
    let mut total = Duration::ZERO;
    for i in 0..WARM_UP + n {
        let record = chain.push(body(i)).expect("record");
        let start = Instant::now();
        store
            .put_record(&period, &record)
            .await
            .expect("put_record");
        let took = start.elapsed();
        if i >= WARM_UP {
            samples.push(took);
            total += took;
        }
    }
    figures(samples, total)
}

/// `Evidence::append` through the service: a new case (its trigger recorded, not timed) every
/// [`RECORDS_PER_CASE`] records.
async fn bench_append(
    store: Arc<dyn EvidenceStore>,
    index: Arc<dyn CaseIndex>,
    n: usize,
) -> Figures {
    let evidence = Evidence::new(store, index, "offboard (benchmark)", Arc::new(SystemClock));
    let mut case = case();
    let mut samples = Vec::with_capacity(n);
    let mut total = Duration::ZERO;
    for i in 0..WARM_UP + n {
        if i % (RECORDS_PER_CASE - 1) == 0 {
            case = self::case();
            evidence.record_trigger(&case).await.expect("trigger");
        }
        let start = Instant::now();
        evidence.append(&case, body(i)).await.expect("append");
        let took = start.elapsed();
        if i >= WARM_UP {
            samples.push(took);
            total += took;
        }
    }
    figures(samples, total)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood.
    let n: usize = std::env::var("OFFBOARD_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        println!("evidence write latency per record — {n} records per row after {WARM_UP} warm-up, sequential; put_record: one case; append: {RECORDS_PER_CASE} records per case");
        println!(
            "command: cargo bench -p offboard-azure --bench evidence_write_latency (OFFBOARD_BENCH_RECORDS={n}); {} CPUs",
            std::thread::available_parallelism().map_or(0, |p| p.get())
        );
        println!();
        println!(
            "| {:<54} | {:>10} | {:>10} | {:>10} | {:>8} |",
            "store / operation", "p50", "p99", "mean", "rec/s"
        );
        println!("|{:-<56}|{:->12}|{:->12}|{:->12}|{:->10}|", "", "", "", "", "");

        let dir = tempfile::tempdir().expect("temporary directory");
        let files = FileEvidenceStore::open(&dir.path().join("evidence")).expect("file store");
        report("embedded FileEvidenceStore: put_record", &bench_put(&files, n).await);

        let blobs = helpers::blob_evidence(false).await;
        report("Azurite BlobEvidenceStore (WORM off): put_record", &bench_put(&blobs, n).await);

        let db = Embedded::open(&dir.path().join("db")).expect("embedded database");
        report(
            "embedded files + SQLite index: Evidence::append",
            &bench_append(Arc::new(files), Arc::new(db), n).await,
        );

        let index = helpers::cosmos()
            .await
            .case_index()
            .await
            .expect("Cosmos case index");
        report(
            "Azurite blobs + Cosmos server index: Evidence::append",
            &bench_append(Arc::new(blobs), Arc::new(index), n).await,
        );
    });
}
