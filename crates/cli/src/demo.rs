//! `offboard demo`: the whole path on the embedded backend with the tenant simulator, in
//! seconds and with nothing to install. A signed HR termination goes in through the local
//! Functions host; the demo prints the plan, each step with its verified read-back, the
//! verification of the sealed evidence and the auditor's report row.

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use offboard_core::case::{Case, CaseStatus};
use offboard_core::evidence::{period_of, verify};
use offboard_core::plan::StepStatus;
use offboard_core::ports::{CaseIndex, CaseStore};
use offboard_service::SystemClock;
use offboard_service::evidence::Evidence;
use offboard_service::settings;

use crate::local::{HandlerMode, Instance, start_embedded};
use crate::sample;
use crate::show::Layout;

/// Arguments of `offboard demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Keep the demo's data in this directory (default: a temporary directory, removed after).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Print every line whole instead of wrapping it to the terminal's width.
    #[arg(long)]
    wide: bool,
}

/// How a person runs this program again from where they are: `cargo run --` under cargo,
/// else the program as it was invoked. Commands the CLI suggests start with it, so they run.
pub fn invocation() -> String {
    if std::env::var_os("CARGO").is_some() && std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
        return "cargo run --".to_owned();
    }
    std::env::args()
        .next()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "offboard".to_owned())
}

/// `path` quoted for a POSIX shell when it needs it.
pub fn shell_word(path: &str) -> String {
    if path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        path.to_owned()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

/// Runs the demo.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let layout = Layout::for_stdout(args.wide);
    let temp = tempfile::tempdir()?;
    let data = args.data.clone().unwrap_or_else(|| temp.path().to_owned());
    let generic_secret = sample::generic_secret();
    let bamboohr_secret = sample::bamboohr_secret();
    let app_settings = BTreeMap::from([
        (
            settings::OFFBOARD_GENERIC_WEBHOOK_SECRET.to_owned(),
            generic_secret.clone(),
        ),
        (
            settings::OFFBOARD_BAMBOOHR_SECRET.to_owned(),
            bamboohr_secret,
        ),
        (
            settings::OFFBOARD_TIME_ZONE.to_owned(),
            "Europe/London".to_owned(),
        ),
    ]);
    let spinner = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(80));
    spinner.set_message("starting the local Functions host, the handler (embedded backend) and the tenant simulator");
    let instance = start_embedded(&data, 0, app_settings, HandlerMode::InProcess).await?;
    let base = instance.host.base_url();
    let client = reqwest::Client::builder().no_proxy().build()?;
    spinner.finish_with_message(format!(
        "offboard runs behind the local Functions host at {base}; Microsoft 365 is the tenant simulator (Contoso)"
    ));

    println!(
        "\n1. Workday (through its integration tool) sends a signed involuntary termination of Adele Vance, effective now:"
    );
    let event_id = format!("wd-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let termination = sample::generic_termination(
        &generic_secret,
        json!({
            "type": "employee.terminated",
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "data": {
                "eventId": event_id,
                "employee": {"employeeId": "E1001"},
                "effectiveAt": chrono::Utc::now().to_rfc3339(),
                "kind": "involuntary"
            }
        }),
    )?;
    let (status, body) = termination.send(&client, &base).await?;
    println!("   POST /api/hris/generic -> {status} {body}");
    let case_id = offboard_core::CaseId::parse(body["caseId"].as_str().unwrap_or_default())?;
    let (status, body) = termination.send(&client, &base).await?;
    println!("   the platform retries the delivery -> {status} {body} (same case, nothing new)");
    let mut forged = sample::generic_termination(
        &sample::generic_secret(),
        json!({"type": "employee.terminated"}),
    )?;
    forged.headers.retain(|(k, _)| *k != "content-type");
    let (status, body) = forged.send(&client, &base).await?;
    println!(
        "   a forged request -> {status} {} (stored nothing)",
        body["detail"]
    );

    let case = follow(&instance, &case_id).await?;
    let plan = case.plan.clone().ok_or_else(|| {
        anyhow::anyhow!("the case was not planned: {:?}", case.planning_exception)
    })?;

    println!(
        "\n2. The plan for {} (resolved by {}; dependency order):",
        plan.facts
            .user
            .user_principal_name
            .as_deref()
            .unwrap_or("?"),
        plan.facts.resolved_by
    );
    crate::show::print_plan_steps(&plan, layout);

    let evidence = Evidence::new(
        Arc::new(instance.evidence.clone()),
        Arc::new(instance.db.clone()),
        "offboard demo",
        Arc::new(SystemClock),
    );
    let period = period_of(case.event.effective_at());
    let packet = evidence.packet(&period, &case.id).await?;
    println!("\n3. Each action, verified by reading the real state back (expected -> observed):");
    for r in packet
        .records
        .iter()
        .filter(|r| !matches!(r.body.step.as_str(), "hr-trigger" | "case" | "plan"))
    {
        let rb = r
            .body
            .read_back
            .as_ref()
            .map(|rb| format!("{} -> {}", compact(&rb.expected), compact(&rb.observed)))
            .unwrap_or_default();
        let why = r
            .body
            .reason
            .as_deref()
            .map(|w| format!(" — {w}"))
            .unwrap_or_default();
        layout.print(
            &format!(
                "   #{:<3} {:<24} {:<14} ",
                r.seq,
                r.body.step,
                r.body.outcome.as_str()
            ),
            &format!(
                "{}{}{}",
                r.body.action,
                if rb.is_empty() {
                    String::new()
                } else {
                    format!("  [{rb}]")
                },
                why
            ),
        );
    }

    println!(
        "\n4. The sealed evidence, verified offline (what `offboard verify` does with a downloaded packet):"
    );
    let report = verify::verify_packet(&packet);
    println!(
        "   {} records, seal {}, ledger entry {}: {}",
        report.records_checked,
        packet
            .seal
            .as_ref()
            .map(|s| s.hash.to_hex()[..16].to_owned())
            .unwrap_or_else(|| "missing".into()),
        packet
            .ledger_entry
            .as_ref()
            .map(|e| format!("#{}", e.seq))
            .unwrap_or_else(|| "missing".into()),
        if report.ok() {
            "every hash, link and the seal verify".to_owned()
        } else {
            format!("FAILED: {:?}", report.findings)
        }
    );
    for w in &report.warnings {
        println!("   {w}");
    }
    let evidence_verified = report.ok();

    println!("\n5. The auditor's report row for this leaver:");
    let entry = CaseIndex::get(&instance.db, &period, &case.id)
        .await?
        .map(|v| v.value);
    let mut exceptions_listed = 0;
    if let Some(e) = entry {
        let cut = e.sign_in_cut_at();
        let minutes = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| {
                format!(
                    "{:.1} s",
                    (t - e.effective_at).num_milliseconds() as f64 / 1000.0
                )
            })
            .unwrap_or_else(|| "-".into())
        };
        if let Some(l) = &e.leaver {
            println!(
                "   leaver          {} ({}), Entra object id {}",
                l.display_name.as_deref().unwrap_or("-"),
                l.user_principal_name.as_deref().unwrap_or("-"),
                l.object_id
            );
            println!(
                "   employeeId      {} (HR sent {})",
                l.employee_id.as_deref().unwrap_or("-"),
                e.employee.employee_id.as_deref().unwrap_or("-")
            );
        } else {
            println!(
                "   employeeId      {} (not resolved in Entra ID)",
                e.employee.employee_id.as_deref().unwrap_or("-")
            );
        }
        println!("   kind            {}", e.kind);
        println!(
            "   HR effective    {} (as sent: {})",
            e.effective_at.to_rfc3339(),
            e.hr_effective_as_sent.as_deref().unwrap_or("immediate")
        );
        println!(
            "   sign-in cut     {} ({} after the effective time)",
            cut.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into()),
            minutes(cut)
        );
        for (system, at) in &e.access_removed_at {
            println!(
                "   {:<15} last removal verified {} after the effective time",
                system,
                minutes(Some(*at))
            );
        }
        if let Some(sla) = &e.sla {
            println!(
                "   SLA             {} minutes: {}",
                sla.target_minutes.unwrap_or_default(),
                match sla.met {
                    Some(true) => "met",
                    Some(false) => "breached",
                    None => "no target",
                }
            );
        }
        println!("   status          {}", e.status);
        for x in &e.exceptions {
            layout.print("   exception       ", x);
        }
        exceptions_listed = e.exceptions.len();
    }

    if let Some(sim) = &instance.sim {
        println!("\n6. Adele in the tenant now (read from the simulator, not from offboard):");
        let state = serde_json::to_value(sim.state())?;
        if let Some(u) = state["users"]
            .as_array()
            .and_then(|a| a.iter().find(|u| u["employeeId"] == "E1001"))
        {
            println!(
                "   accountEnabled {}  licences {}  ",
                u["accountEnabled"],
                u["assignedLicenses"].as_array().map(Vec::len).unwrap_or(0)
            );
        }
    }
    let steps_with_exceptions = plan
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Exception)
        .count();
    println!();
    layout.print(
        "",
        &format!(
            "Case {} ended {}: {} steps planned; {} action{} recorded as exceptions (listed under 5., in {} step{}) because Graph cannot change them — never reported as done.",
            case.id,
            case.status,
            plan.steps.len(),
            exceptions_listed,
            if exceptions_listed == 1 { "" } else { "s" },
            steps_with_exceptions,
            if steps_with_exceptions == 1 { "" } else { "s" },
        ),
    );
    instance.host.shutdown().await;
    match &args.data {
        Some(dir) => {
            let me = invocation();
            let dir = shell_word(&dir.display().to_string());
            let day = case.event.effective_at().format("%Y-%m-%d");
            println!("\nThe demo's data is kept in {dir}. Next, as an auditor would:");
            println!("   {me} verify --ledger --data {dir}");
            println!("   {me} report --data {dir} --from {day} --to {day} --format csv");
        }
        None => println!(
            "\nThe demo's data was in a temporary directory, now removed; keep it with --data DIR."
        ),
    }
    anyhow::ensure!(
        evidence_verified,
        "the demo's own evidence did not verify (see 4. above): this is a defect, please report it"
    );
    Ok(())
}

/// Follows the case until it ends, with a progress bar over its steps.
async fn follow(instance: &Instance, id: &offboard_core::CaseId) -> anyhow::Result<Case> {
    let bar = ProgressBar::new(1).with_style(
        ProgressStyle::with_template("   {bar:30} {pos}/{len} steps  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let case = CaseStore::get(&instance.db, id)
            .await?
            .map(|v| v.value)
            .ok_or_else(|| anyhow::anyhow!("case {id} vanished"))?;
        if let Some(plan) = &case.plan {
            bar.set_length(plan.steps.len() as u64);
            bar.set_position(plan.steps.iter().filter(|s| s.status.is_terminal()).count() as u64);
            let running: Vec<&str> = plan
                .steps
                .iter()
                .filter(|s| matches!(s.status, StepStatus::Queued))
                .map(|s| s.kind.as_str())
                .collect();
            bar.set_message(running.join(", "));
        } else {
            bar.set_message("planning");
        }
        if matches!(
            case.status,
            CaseStatus::Completed | CaseStatus::CompletedWithExceptions
        ) {
            bar.finish_with_message(format!("case {}", case.status));
            return Ok(case);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "case {id} did not finish within 120 s (status {})",
            case.status
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
