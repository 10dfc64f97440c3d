//! `offboard demo`: the whole path on the embedded backend, in seconds, with nothing to
//! install. Signed HR terminations go in through the local Functions host; the demo prints
//! what offboard did with them.

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use offboard_service::settings;

use crate::local::{HandlerMode, start_embedded};
use crate::sample;

/// Arguments of `offboard demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Keep the demo's data in this directory (default: a temporary directory, removed after).
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Runs the demo.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
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
            bamboohr_secret.clone(),
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
    spinner.set_message("starting the local Functions host and the handler (embedded backend)");
    let instance = start_embedded(&data, 0, app_settings, HandlerMode::InProcess).await?;
    let base = instance.host.base_url();
    let client = reqwest::Client::builder().no_proxy().build()?;
    spinner.finish_with_message(format!(
        "offboard is running behind the local Functions host at {base}"
    ));

    println!(
        "\n1. Workday (through its integration tool) sends a signed involuntary termination, effective now:"
    );
    let event_id = format!("wd-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let generic = sample::generic_termination(
        &generic_secret,
        json!({
            "type": "employee.terminated",
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "data": {
                "eventId": event_id,
                "employee": {"employeeId": "1042", "userPrincipalName": "ada.lovelace@contoso.example"},
                "effectiveAt": chrono::Utc::now().to_rfc3339(),
                "kind": "involuntary"
            }
        }),
    )?;
    let (status, body) = generic.send(&client, &base).await?;
    println!("   POST /api/hris/generic -> {status} {body}");
    let case_id = body["caseId"].as_str().unwrap_or_default().to_owned();

    println!(
        "\n2. The same webhook is delivered again (HR platforms retry): same case, nothing new."
    );
    let (status, body) = generic.send(&client, &base).await?;
    println!("   POST /api/hris/generic -> {status} {body}");

    println!(
        "\n3. BambooHR sends a resignation effective at the end of next Friday (company zone Europe/London):"
    );
    let friday = next_friday();
    let bamboo = sample::bamboohr_termination(
        &bamboohr_secret,
        json!({"employees": [{
            "id": "318", "action": "Updated", "timestamp": chrono::Utc::now().to_rfc3339(),
            "fields": {"Work Email": "grace.hopper@contoso.example", "Employee #": "2077",
                       "Employment Status": "Terminated", "Termination Date": friday,
                       "Termination Type": "Voluntary"},
            "changedFields": ["Employment Status"]
        }]}),
    )?;
    let (status, body) = bamboo.send(&client, &base).await?;
    println!("   POST /api/hris/bamboohr -> {status} {body}");
    let scheduled_id = body["caseId"].as_str().unwrap_or_default().to_owned();

    println!("\n4. A request with a forged signature is refused and stores nothing:");
    let mut forged = sample::generic_termination(
        &sample::generic_secret(),
        json!({"type": "employee.terminated"}),
    )?;
    forged.headers.retain(|(k, _)| *k != "content-type");
    let (status, body) = forged.send(&client, &base).await?;
    println!("   POST /api/hris/generic -> {status} {}", body["detail"]);

    let spinner = ProgressBar::new_spinner();
    spinner.enable_steady_tick(Duration::from_millis(80));
    spinner.set_message("waiting for the plan queue function to pick up the due case");
    let case = wait_for(&client, &base, &instance.function_key, &case_id, |c| {
        c["status"] != "received"
    })
    .await?;
    spinner.finish_and_clear();

    println!("\n5. The due case went through the plan queue (queue trigger, base64 message):");
    print_case(&case);
    let scheduled = get_case(&client, &base, &instance.function_key, &scheduled_id).await?;
    println!("\n6. The future-dated case waits for the scheduler (timer trigger, every minute):");
    print_case(&scheduled);
    println!(
        "\nPlanning and the verified removal of access come next; this build stops at 'awaiting planning' and says so."
    );
    instance.host.shutdown().await;
    Ok(())
}

fn next_friday() -> String {
    use chrono::Datelike;
    let mut d = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    while d.weekday() != chrono::Weekday::Fri {
        d = d + chrono::Days::new(1);
    }
    d.format("%Y-%m-%d").to_string()
}

async fn get_case(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    id: &str,
) -> anyhow::Result<Value> {
    let resp = client
        .get(format!("{base}/api/cases/{id}"))
        .header("x-functions-key", key)
        .send()
        .await?;
    anyhow::ensure!(
        resp.status().is_success(),
        "GET /api/cases/{id} answered {}",
        resp.status()
    );
    Ok(resp.json().await?)
}

async fn wait_for(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let case = get_case(client, base, key, id).await?;
        if done(&case) {
            return Ok(case);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "case {id} did not progress within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn print_case(case: &Value) {
    println!(
        "   case {}  status {}  kind {}  source {}",
        case["caseId"].as_str().unwrap_or("?"),
        case["status"].as_str().unwrap_or("?"),
        case["kind"].as_str().unwrap_or("?"),
        case["source"].as_str().unwrap_or("?"),
    );
    println!(
        "   HR effective (as sent) {}  ->  effective at {}",
        case["hrEffectiveAsSent"].as_str().unwrap_or("(immediate)"),
        case["effectiveAt"].as_str().unwrap_or("?"),
    );
    println!(
        "   raw body SHA-256 {}",
        case["bodySha256"].as_str().unwrap_or("?")
    );
    if let Some(history) = case["history"].as_array() {
        for h in history {
            println!(
                "     {}  {:<10} {}",
                h["at"].as_str().unwrap_or("?"),
                h["status"].as_str().unwrap_or("?"),
                h["note"].as_str().unwrap_or("")
            );
        }
    }
}
