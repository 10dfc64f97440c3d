//! `offboard verify`: checks evidence and says exactly what failed.
//!
//! - `offboard verify PACKET.json`: a downloaded packet, offline, with nothing but the file.
//! - `offboard verify --case ID`: one case in a store (records, seal, ledger entry, index).
//! - `offboard verify --ledger [--from YYYY-MM --to YYYY-MM]`: the whole ledger, every case in
//!   those periods, and that the index and the evidence store agree.
//!
//! Exit codes: 0 everything verifies; 1 something does not (each finding is printed);
//! 2 the verification could not run (unreadable input, no store, bad arguments);
//! 3 there was nothing to verify (no case's evidence in the period or the store) — which
//! is not "verified".

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use offboard_api::VerifyOutcome;
use offboard_core::evidence::verify::{Finding, Report};
use offboard_core::evidence::{Packet, Period, PeriodError, PeriodRange};
use offboard_core::ids::CaseId;
use offboard_service::compliance::{dedupe, verification, verify_packet_strict};

use crate::show::Layout;
use crate::store;

/// Exit code when everything verifies.
pub const VERIFIED: u8 = 0;
/// Exit code when something does not verify.
pub const FAILED: u8 = 1;
/// Exit code when the verification could not run.
pub const COULD_NOT_RUN: u8 = 2;
/// Exit code when the period or store holds no case's evidence.
pub const NOTHING_TO_VERIFY: u8 = 3;

/// Arguments of `offboard verify`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["packet", "case", "ledger"])))]
pub struct VerifyArgs {
    /// A packet file downloaded from GET /api/cases/{caseId}/evidence (the whole answer or
    /// just its `packet`), checked offline.
    packet: Option<PathBuf>,
    /// Verify one case in the store.
    #[arg(long, value_name = "CASE_ID")]
    case: Option<String>,
    /// Verify the whole ledger and every case in the periods (default: all periods).
    #[arg(long)]
    ledger: bool,
    /// First period (YYYY-MM) for --ledger.
    #[arg(long, requires = "ledger", value_name = "YYYY-MM")]
    from: Option<String>,
    /// Last period (YYYY-MM, included) for --ledger.
    #[arg(long, requires = "ledger", value_name = "YYYY-MM")]
    to: Option<String>,
    /// The embedded store's directory (as `offboard local --data DIR` lays it out); without
    /// it, the OFFBOARD_* settings name the store.
    #[arg(long, value_name = "DIR", conflicts_with = "packet")]
    data: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Print every line whole instead of wrapping it to the terminal's width.
    #[arg(long)]
    wide: bool,
}

/// What was verified, for the output.
struct Outcome {
    target: String,
    /// What was searched for evidence, for "nothing to verify in …".
    scope: String,
    /// Which ledger entries the count covers.
    ledger_note: &'static str,
    source: String,
    report: Report,
}

/// Runs `offboard verify`; the exit code says how it went.
pub async fn run(args: VerifyArgs) -> ExitCode {
    let outcome = if let Some(path) = &args.packet {
        verify_file(path)
    } else {
        verify_store(&args).await
    };
    match outcome {
        Ok(o) => {
            let code = if !o.report.ok() {
                FAILED
            } else if o.report.cases_checked == 0 {
                NOTHING_TO_VERIFY
            } else {
                VERIFIED
            };
            print(&o, args.json, Layout::for_stdout(args.wide));
            ExitCode::from(code)
        }
        Err(e) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "couldNotRun": true, "error": format!("{e:#}")})
                );
            }
            eprintln!("offboard verify could not run: {e:#}");
            ExitCode::from(COULD_NOT_RUN)
        }
    }
}

/// Reads and verifies a packet file. A file that is not JSON could not be verified (exit 2);
/// JSON that is not a well-formed packet fails verification (exit 1), because that is what a
/// tampered packet can look like.
fn verify_file(path: &Path) -> anyhow::Result<Outcome> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not JSON ({e}); expected the answer of GET /api/cases/{{caseId}}/evidence",
            path.display()
        )
    })?;
    // The API answer wraps the packet with its verification; only the packet is trusted.
    let packet_value = match value.get("packet") {
        Some(p) if value.get("verification").is_some() => p.clone(),
        _ => value,
    };
    let source = format!("packet file {}", path.display());
    let case_hint = packet_value
        .get("caseId")
        .and_then(|v| v.as_str())
        .unwrap_or("(unknown case)")
        .to_owned();
    let packet: Packet = match serde_path_to_error::deserialize(&packet_value) {
        Ok(p) => p,
        Err(e) => {
            let case_id = CaseId::parse(&case_hint)
                .unwrap_or_else(|_| CaseId::derive("unreadable-packet", &case_hint));
            return Ok(Outcome {
                target: format!("case {case_hint}"),
                scope: source.clone(),
                ledger_note: "the case's entry and the one before it",
                source,
                report: Report {
                    findings: vec![Finding::RecordModified {
                        case_id,
                        seq: seq_of_path(&e.path().to_string()),
                        detail: format!(
                            "the packet is not well-formed at `{}`: {}",
                            e.path(),
                            e.inner()
                        ),
                    }],
                    ..Report::default()
                },
            });
        }
    };
    Ok(Outcome {
        target: format!("case {}", packet.case_id),
        scope: source.clone(),
        ledger_note: "the case's entry and the one before it",
        source,
        report: verify_packet_strict(&packet),
    })
}

/// The record position in a serde path such as `records[3].hash` (0 when there is none).
fn seq_of_path(path: &str) -> u64 {
    path.strip_prefix("records[")
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

async fn verify_store(args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let period = |v: &Option<String>| v.as_deref().map(Period::parse).transpose();
    let range = match PeriodRange::new(period(&args.from)?, period(&args.to)?) {
        Err(PeriodError::Backwards { from, to }) => anyhow::bail!(
            "the period runs backwards: --to {to} is before --from {from} (did you mean --from {to} --to {from}?)"
        ),
        other => other?,
    };
    let opened = store::open(args.data.as_deref()).await?;
    let c = &opened.compliance;
    if let Some(id) = &args.case {
        let id = CaseId::parse(id).map_err(|e| anyhow::anyhow!("{e}"))?;
        let report = c
            .verify_case(&id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(Outcome {
            target: format!("case {id}"),
            scope: format!("case {id}"),
            ledger_note: "the case's entry",
            source: opened.describe,
            report,
        });
    }
    let (from, to) = (range.from(), range.to());
    let report = c
        .verify_ledger(range)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (target, scope) = match (&args.from, &args.to) {
        (None, None) => (
            "the ledger and every case".to_owned(),
            "the store".to_owned(),
        ),
        (Some(_), None) => (
            format!("the ledger and every case from period {from}"),
            format!("{from} and after"),
        ),
        (None, Some(_)) => (
            format!("the ledger and every case up to period {to}"),
            format!("{to} and before"),
        ),
        (Some(_), Some(_)) => (
            format!("the ledger and every case in periods {from} to {to}"),
            format!("{from}..{to}"),
        ),
    };
    Ok(Outcome {
        target,
        scope,
        ledger_note: "the whole ledger, each entry once",
        source: opened.describe,
        report,
    })
}

fn print(o: &Outcome, json: bool, layout: Layout) {
    let mut report = o.report.clone();
    dedupe(&mut report.findings);
    let nothing = report.findings.is_empty() && report.cases_checked == 0;
    if json {
        let v = VerifyOutcome {
            nothing_to_verify: nothing,
            source: o.source.clone(),
            target: o.target.clone(),
            verification: verification(report),
        };
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    println!("offboard verify: {} ({})", o.target, o.source);
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    println!("  cases checked:          {}", report.cases_checked);
    println!(
        "  records checked:        {} (hashes and chain links, in {})",
        report.records_checked,
        plural(report.cases_checked, "case", "cases")
    );
    println!("  seals checked:          {}", report.seals_checked);
    println!(
        "  ledger entries checked: {} ({})",
        report.ledger_entries_checked, o.ledger_note
    );
    for w in &report.worm {
        println!("  WORM    {w}");
    }
    for w in &report.warnings {
        layout.print("  WARNING ", w);
    }
    for f in &report.findings {
        layout.print("  FAIL    ", &f.describe());
    }
    if nothing {
        println!(
            "NOTHING TO VERIFY: nothing to verify in {}: it holds no case's evidence (exit code {NOTHING_TO_VERIFY}, not verified)",
            o.scope
        );
    } else if report.findings.is_empty() {
        println!("VERIFIED: every hash, link, seal and ledger entry checked is intact");
    } else {
        println!(
            "FAILED: {} finding{} — the evidence above does not verify",
            report.findings.len(),
            if report.findings.len() == 1 { "" } else { "s" }
        );
    }
}
