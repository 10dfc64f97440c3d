//! Dashboard benchmark: how long each page of `/api/dashboard` takes with 10,000 cases in the
//! embedded store, through the local Functions host into the real `handler`.
//!
//! ```text
//! cargo build -p offboard-handler --bin handler     # the bench runs the handler built next to it
//! cargo bench -p offboard-testkit --bench dashboard --profile dev -- [cases=10000] [requests=100]
//! ```
//!
//! (`--profile dev` runs the debug `handler` that `cargo build` made; without it, build the
//! release `handler` first.)
//!
//! Seeds `cases` cases spread over 2026 (about 27 a day, twelve evidence periods) into the
//! store the handler reads, each with its HR trigger, four steps on four systems, its closing
//! status and its seal — most completed, every 10th with an exception, every 25th cancelled:
//! the 20 whose case pages are asked for through the evidence service (every record a file,
//! the index and ledger kept by it), the others as the index entries the service would fold
//! from the same records (what the overview, the list and the report read; writing 70,000
//! record files would take the seeding most of an hour on two cores); 25 more held for
//! approval (brake and protected person), and 40 ghost-access findings. Then asks every page `requests` times as Otto Operator (bearer token) and prints
//! p50 / p99 / max per page: the time from sending the request to the whole page read, so the
//! handler's time plus the local host's proxying (an upper bound of the server time). The goal
//! (issue 19) is p99 < 100 ms for every page.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use serde_json::json;

use offboard_core::case::{Case, CaseStatus, Hold, HoldReason};
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::evidence::{
    Chain, IndexEntry, Outcome, ReadBack, RecordBody, Seal, SlaOutcome, WormStatus,
    hr_trigger_body, period_of,
};
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::ports::{CaseIndex, CaseStore, EvidenceStore};
use offboard_core::reconcile::{Finding, FindingKind, FindingStatus, FindingStore, Observation};
use offboard_core::signature::Verified;
use offboard_embedded::{Embedded, FileEvidenceStore};
use offboard_service::SystemClock;
use offboard_service::evidence::Evidence;
use offboard_testkit::{Backend, TestApp, spawn_app};

/// The systems the seeded steps remove access from.
const SYSTEMS: [&str; 4] = ["entra", "exchange", "onedrive", "intune"];
const KINDS: [TerminationKind; 4] = [
    TerminationKind::Voluntary,
    TerminationKind::Involuntary,
    TerminationKind::Retirement,
    TerminationKind::ContractEnd,
];
/// Cases seeded concurrently (the evidence service serialises what must be).
const WRITERS: usize = 4;
const HELD: usize = 25;
const FINDINGS: usize = 40;

fn year_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 17, 0, 0)
        .single()
        .unwrap_or_default()
}

fn event(n: usize, effective_at: DateTime<Utc>) -> anyhow::Result<TerminationEvent> {
    let body = format!("{{\"n\":{n}}}");
    let verified = Verified::by_function_key(body.as_bytes(), effective_at - Span::days(2));
    let facts = TerminationFacts {
        source: Source::Operator,
        source_event_id: format!("bench-{n}"),
        source_subject_id: None,
        employee: EmployeeIdentifiers::new(
            Some(format!("{n:06}")),
            Some(format!("user{n}@contoso.example")),
            None,
            None,
        )?,
        kind: KINDS[n % KINDS.len()],
        hr_effective: HrEffectiveTime::instant(&effective_at.to_rfc3339())?,
        reason: None,
    };
    let policy = EffectivePolicy::new("UTC", "end-of-day")?;
    Ok(TerminationEvent::new(facts, &verified, &policy)?)
}

/// What happened to case `n`: its step records, the status it ended in and its SLA.
fn outcome(
    evidence: &Evidence,
    n: usize,
    effective: DateTime<Utc>,
) -> (Vec<RecordBody>, CaseStatus, SlaOutcome) {
    // Every 10th case ends with an exception, every 25th was cancelled before it ran.
    let (status, failed) = match n {
        n if n % 25 == 0 => (CaseStatus::Cancelled, None),
        n if n % 10 == 0 => (CaseStatus::CompletedWithExceptions, Some(n % SYSTEMS.len())),
        _ => (CaseStatus::Completed, None),
    };
    let mut bodies = Vec::new();
    if status != CaseStatus::Cancelled {
        for (i, system) in SYSTEMS.iter().enumerate() {
            let at = effective + Span::seconds(30 * i as i64 + 5);
            let outcome = if failed == Some(i) {
                Outcome::Failed
            } else {
                Outcome::Verified
            };
            bodies.push(RecordBody {
                target_ids: vec![format!("obj-{n}")],
                read_back: Some(ReadBack {
                    expected: json!({"accountEnabled": false}),
                    observed: json!({"accountEnabled": outcome != Outcome::Verified}),
                    matches: outcome == Outcome::Verified,
                }),
                ended_at: at + Span::milliseconds(350),
                reason: (outcome == Outcome::Failed)
                    .then(|| "403 Forbidden: the app lacks the permission".to_owned()),
                ..evidence.body(
                    &format!("remove-{system}"),
                    system,
                    "remove access",
                    outcome,
                    at,
                )
            });
        }
    }
    let sla = SlaOutcome {
        target_minutes: Some(60),
        measured_from: effective,
        access_removed_at: (status == CaseStatus::Completed).then(|| effective + Span::minutes(2)),
        met: (status == CaseStatus::Completed).then_some(n % 50 != 1),
    };
    (bodies, status, sla)
}

/// Case `n` as the evidence service writes it: trigger, steps, status and seal, each record a
/// file and the index and ledger kept by the service. What a case page reads.
async fn seed_full(cases: &dyn CaseStore, evidence: &Evidence, n: usize) -> anyhow::Result<()> {
    let effective = effective_of(n);
    let mut case = Case::open(event(n, effective)?, effective - Span::days(2));
    cases.create(&case).await?;
    evidence.record_trigger(&case).await?;
    let (bodies, status, sla) = outcome(evidence, n, effective);
    for body in bodies {
        evidence.append(&case, body).await?;
    }
    case.status = status;
    evidence.record_status(&case, "benchmark").await?;
    evidence.seal(&case, sla).await?;
    Ok(())
}

/// Case `n`'s index entry and case, folded from the same records in memory (the way the
/// evidence service folds them) without writing each record: what the overview, the list and
/// the report read, at a fraction of the seeding time.
async fn seed_indexed(
    cases: &dyn CaseStore,
    index: &dyn CaseIndex,
    evidence: &Evidence,
    n: usize,
) -> anyhow::Result<()> {
    let effective = effective_of(n);
    let mut case = Case::open(event(n, effective)?, effective - Span::days(2));
    let period = period_of(effective);
    let (bodies, status, sla) = outcome(evidence, n, effective);
    let mut chain = Chain::new(case.id.clone());
    let mut records = vec![chain.push(hr_trigger_body(&case.event, "bench", "received"))?];
    for body in bodies {
        records.push(chain.push(body)?);
    }
    case.status = status;
    records.push(chain.push(evidence.case_status_body(&case, "benchmark", None))?);
    let mut entry = IndexEntry::from_trigger(&period, &records[0], false)?;
    for r in &records[1..] {
        entry.apply(r);
    }
    let seal = Seal::new(
        case.id.clone(),
        &records,
        case.event.body_sha256().clone(),
        status.as_str(),
        sla,
        WormStatus::NotEnforced {
            reason: "benchmark".into(),
        },
        effective + Span::minutes(11),
    )?;
    entry.apply_seal(&seal);
    cases.create(&case).await?;
    index.put(&entry, None).await?;
    Ok(())
}

fn effective_of(n: usize) -> DateTime<Utc> {
    year_start() + Span::seconds((n as i64 * 31_536_000) / 10_000)
}

/// The cases whose pages are asked for (written in full).
fn full_cases(cases: usize) -> Vec<usize> {
    (0..20).map(|i| i * (cases / 20).max(1) + 1).collect()
}

async fn seed(app: &TestApp, cases: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let store: Arc<dyn EvidenceStore> =
        Arc::new(FileEvidenceStore::open(&app.data_dir().join("evidence"))?);
    let evidence = Evidence::new(store, app.index.clone(), "bench", Arc::new(SystemClock));
    let full = full_cases(cases);
    for p in 1..=12 {
        // The periods that hold evidence are the evidence store's folders.
        std::fs::create_dir_all(app.data_dir().join(format!("evidence/cases/2026-{p:02}")))?;
    }
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (evidence, full) = (evidence.clone(), full.clone());
        let (cases_store, index) = (app.cases.clone(), app.index.clone());
        writers.push(tokio::spawn(async move {
            for n in (w..cases).step_by(WRITERS) {
                if full.contains(&n) {
                    seed_full(cases_store.as_ref(), &evidence, n).await?;
                } else {
                    seed_indexed(cases_store.as_ref(), index.as_ref(), &evidence, n).await?;
                }
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for w in writers {
        w.await??;
    }
    // Held cases: effective in the future, waiting for a person.
    let now = Utc::now();
    for h in 0..HELD {
        let n = 1_000_000 + h;
        let mut case = Case::open(event(n, now + Span::days(1))?, now);
        let reason = if h % 5 == 0 {
            HoldReason::Protected
        } else {
            HoldReason::Brake
        };
        case.hold(
            Hold {
                reason,
                detail: format!("{reason} (benchmark)"),
                held_at: now,
                expires_at: now + Span::hours(24),
            },
            now,
        )?;
        app.cases.create(&case).await?;
        evidence.record_trigger(&case).await?;
    }
    let db = Embedded::open(app.data_dir())?;
    for f in 0..FINDINGS {
        let kind = FindingKind::ALL[f % FindingKind::ALL.len()];
        FindingStore::put(
            &db,
            &Finding {
                observation: Observation {
                    id: format!("{}:bench-{f}", kind.as_str()),
                    kind,
                    subject: format!("ghost{f}@contoso.example"),
                    object_id: Some(format!("obj-ghost-{f}")),
                    case_id: None,
                    what: "an enabled account HR says has left".into(),
                    since: Some(now - Span::days(3)),
                    action: "offboard them".into(),
                },
                status: if f % 4 == 0 {
                    FindingStatus::Resolved
                } else {
                    FindingStatus::Open
                },
                first_scan: "scan-bench-1".into(),
                first_seen: now - Span::days(2),
                last_scan: "scan-bench-2".into(),
                last_seen: now - Span::days(1),
                resolved_at: (f % 4 == 0).then_some(now - Span::days(1)),
                handled: None,
            },
        )
        .await?;
    }
    println!(
        "seeded {cases} cases ({} evidence records each, sealed; {} in full), {HELD} held cases and {FINDINGS} findings in {:.1} s",
        SYSTEMS.len() + 3,
        full.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure(
    app: &TestApp,
    name: &str,
    paths: &[String],
    requests: usize,
) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(requests);
    let mut bytes = 0;
    for i in 0..requests + 3 {
        let path = &paths[i % paths.len()];
        let started = Instant::now();
        let r = app
            .client
            .get(format!("{}{path}", app.base_url()))
            .bearer_auth(&app.operator_token)
            .send()
            .await?;
        let status = r.status();
        let body = r.bytes().await?;
        let took = started.elapsed();
        anyhow::ensure!(
            status.is_success(),
            "{path} answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        // The first few warm the handler's caches and connections.
        if i >= 3 {
            times.push(took);
            bytes = body.len();
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = percentile(&times, 0.99);
    println!(
        "{name:<34} p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  ({} requests, {:>4} KiB) {}",
        ms(percentile(&times, 0.50)),
        ms(p99),
        ms(times.last().copied().unwrap_or_default()),
        times.len(),
        bytes / 1024,
        if p99 < Duration::from_millis(100) {
            "ok"
        } else {
            "OVER 100 ms"
        }
    );
    Ok(p99)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let cases: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let requests: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let app = spawn_app(Backend::Embedded).await;
    seed(&app, cases).await?;
    let case_pages: Vec<String> = full_cases(cases)
        .into_iter()
        .map(|n| {
            let id = event(n, effective_of(n))
                .map(|e| e.case_id().to_string())
                .unwrap_or_default();
            format!("/api/dashboard/cases/{id}")
        })
        .collect();
    let pages: Vec<(&str, Vec<String>)> = vec![
        ("overview", vec!["/api/dashboard".into()]),
        (
            "cases (all periods, page 1)",
            vec!["/api/dashboard/cases".into()],
        ),
        (
            "cases (all periods, page 150)",
            vec!["/api/dashboard/cases?page=150".into()],
        ),
        (
            "cases (period + status + kind)",
            vec![
                "/api/dashboard/cases?period=2026-06&status=completed&kind=voluntary&page=2".into(),
            ],
        ),
        (
            "cases (search)",
            vec!["/api/dashboard/cases?q=user4242%40contoso".into()],
        ),
        ("case", case_pages),
        (
            "reports (a month: CSV + XLSX)",
            vec!["/api/dashboard/reports?from=2026-06-01&to=2026-06-30".into()],
        ),
        ("held", vec!["/api/dashboard/held".into()]),
        (
            "findings",
            vec!["/api/dashboard/findings?status=all".into()],
        ),
    ];
    println!("every page {requests} times as Otto Operator, {cases} cases in the embedded store:");
    let mut over = Vec::new();
    for (name, paths) in &pages {
        if measure(&app, name, paths, requests).await? >= Duration::from_millis(100) {
            over.push(*name);
        }
    }
    if over.is_empty() {
        println!("every page's p99 is under 100 ms");
    } else {
        println!("p99 at or over 100 ms: {}", over.join(", "));
    }
    app.shutdown().await;
    Ok(())
}
