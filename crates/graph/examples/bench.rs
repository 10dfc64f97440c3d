//! Benchmark: the Graph client's overhead per call and what `$batch` saves, against the tenant
//! simulator on 127.0.0.1 with the production credential (`ManagedIdentityCredential` through the
//! App Service protocol).
//!
//! `cargo run --release -p offboard-graph --example bench [-- CALLS]`
//!
//! Prints (1) latency and calls per second of a plain `reqwest` GET vs the same call through
//! `GraphClient` (token lookup, client-request-id, retry loop, error classification, typed
//! decoding), and (2) the Graph round trips and operations of one full cloud-only leaver
//! (read, act, read back) without and with `$batch`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::credentials::TokenCredential;
use azure_identity::ManagedIdentityCredential;
use offboard_graph::{
    AutoReplyStatus, AutomaticReplies, BatchRequest, DriveRole, ExternalAudience, GraphClient,
    GraphClientOptions, USER_SELECT,
};
use secrecy::SecretString;
use standin_tenant::demo::ids;
use standin_tenant::{SimConfig, SimHandle, TenantSim};

type R<T> = Result<T, Box<dyn std::error::Error>>;

async fn sim_and_client() -> R<(SimHandle, GraphClient, Arc<dyn TokenCredential>)> {
    let sim = TenantSim::spawn(SimConfig::default()).await?;
    // SAFETY: single-threaded set-up before any credential reads the environment.
    unsafe {
        std::env::set_var("IDENTITY_ENDPOINT", sim.identity_endpoint());
        std::env::set_var("IDENTITY_HEADER", sim.identity_header());
    }
    let cred: Arc<dyn TokenCredential> = ManagedIdentityCredential::new(None)?;
    let graph = GraphClient::new(
        sim.graph_base(),
        cred.clone(),
        GraphClientOptions::default(),
    )?;
    Ok((sim, graph, cred))
}

fn stats(mut d: Vec<Duration>) -> (f64, f64, f64) {
    d.sort();
    let total: Duration = d.iter().sum();
    let mean = total.as_secs_f64() * 1e6 / d.len() as f64;
    let p50 = d[d.len() / 2].as_secs_f64() * 1e6;
    let p95 = d[d.len() * 95 / 100].as_secs_f64() * 1e6;
    (mean, p50, p95)
}

async fn overhead(calls: usize) -> R<()> {
    let (sim, graph, cred) = sim_and_client().await?;
    let token = cred
        .get_token(&["https://graph.microsoft.com/.default"], None)
        .await?;
    let http = reqwest::Client::new();
    let url = format!("{}/users/{}", sim.graph_base(), ids::ADELE);
    let select = USER_SELECT.join(",");
    // Warm up connections and caches.
    for _ in 0..20 {
        http.get(&url)
            .query(&[("$select", &select)])
            .bearer_auth(token.token.secret())
            .send()
            .await?
            .bytes()
            .await?;
        graph.get_user(ids::ADELE).await?;
    }
    // Interleaved so both paths see the same machine load (the simulator shares the CPU).
    let mut raw = Vec::with_capacity(calls);
    let mut client = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let rsp = http
            .get(&url)
            .query(&[("$select", &select)])
            .bearer_auth(token.token.secret())
            .send()
            .await?;
        let _: serde_json::Value = rsp.json().await?;
        raw.push(t.elapsed());
        let t = Instant::now();
        graph.get_user(ids::ADELE).await?;
        client.push(t.elapsed());
    }
    let raw_total: Duration = raw.iter().sum();
    let client_total: Duration = client.iter().sum();
    let (rm, r50, r95) = stats(raw);
    let (cm, c50, c95) = stats(client);
    println!("## Client overhead per call ({calls} sequential GET /users/{{id}}?$select=…)\n");
    println!("| path | mean µs | p50 µs | p95 µs | calls/s |");
    println!("|---|---|---|---|---|");
    println!(
        "| plain reqwest, token fetched once | {rm:.0} | {r50:.0} | {r95:.0} | {:.0} |",
        calls as f64 / raw_total.as_secs_f64()
    );
    println!(
        "| GraphClient::get_user | {cm:.0} | {c50:.0} | {c95:.0} | {:.0} |",
        calls as f64 / client_total.as_secs_f64()
    );
    println!(
        "\nOverhead of the client: {:.0} µs per call (mean), {:.0} µs (p50).",
        cm - rm,
        c50 - r50
    );

    // Concurrency: 8 tasks sharing one client.
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let g = graph.clone();
        let n = calls / 8;
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                g.get_user(ids::ADELE)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    println!(
        "GraphClient with 8 concurrent tasks: {:.0} calls/s.\n",
        (calls / 8 * 8) as f64 / t0.elapsed().as_secs_f64()
    );
    sim.shutdown().await;
    Ok(())
}

struct Counts {
    http: usize,
    operations: usize,
    elapsed: Duration,
}

fn counts(sim: &SimHandle, elapsed: Duration) -> Counts {
    let log = sim.requests();
    let graph: Vec<_> = log.iter().filter(|r| r.service == "graph").collect();
    Counts {
        http: graph.iter().filter(|r| r.batch_id.is_none()).count(),
        operations: graph.iter().filter(|r| r.path != "/$batch").count(),
        elapsed,
    }
}

fn replies() -> AutomaticReplies {
    AutomaticReplies {
        status: AutoReplyStatus::AlwaysEnabled,
        external_audience: ExternalAudience::All,
        internal_reply_message: "Adele has left; please contact Megan Bowen.".into(),
        external_reply_message: "Adele has left Contoso.".into(),
        scheduled_start_date_time: None,
        scheduled_end_date_time: None,
    }
}

/// One leaver, one call per operation.
async fn leaver_sequential() -> R<Counts> {
    let (sim, g, _) = sim_and_client().await?;
    let u = ids::ADELE;
    let t0 = Instant::now();
    // Read what the leaver has.
    let user = g.get_user(u).await?.value;
    let licences = g.license_details(u).await?.value;
    let groups = g.member_of_groups(u).await?.value;
    let manager = g.manager(u).await?.value.ok_or("no manager")?;
    g.role_assignments_of(&user.id).await?;
    let apps = g.app_role_assignments(u).await?.value;
    let methods = g.authentication_methods(u).await?.value;
    let devices = g.managed_devices(u).await?.value;
    let drive = g.user_drive(u).await?.value;
    g.mailbox_settings(u).await?;
    // Act.
    g.set_account_enabled(u, false).await?;
    g.revoke_sign_in_sessions(u).await?;
    g.reset_password(
        u,
        &SecretString::from("Bench!Passw0rd-1234".to_owned()),
        true,
    )
    .await?;
    for grp in groups.iter().filter(|g| g.membership_editable_in_graph()) {
        g.remove_group_member(&grp.id, u).await?;
    }
    for a in &apps {
        g.remove_app_role_assignment(u, &a.id).await?;
    }
    for m in methods.iter().filter(|m| m.kind.collection().is_some()) {
        g.delete_authentication_method(u, m).await?;
    }
    for d in &devices {
        g.retire_device(&d.id).await?;
    }
    let mgr = manager.user_principal_name.clone().unwrap_or_default();
    g.grant_drive_access(
        &drive.id,
        &mgr,
        DriveRole::Write,
        false,
        "Files of a leaver",
    )
    .await?;
    g.set_automatic_replies(u, &replies()).await?;
    let direct: Vec<String> = user
        .license_assignment_states
        .iter()
        .filter(|s| s.is_direct())
        .map(|s| s.sku_id.clone())
        .collect();
    assert_eq!(direct.len(), licences.len());
    g.remove_licenses(u, &direct).await?;
    // Read back.
    g.get_user(u).await?;
    g.license_details(u).await?;
    g.member_of_groups(u).await?;
    g.app_role_assignments(u).await?;
    g.authentication_methods(u).await?;
    g.managed_devices(u).await?;
    g.drive_root_permissions(&drive.id).await?;
    g.mailbox_settings(u).await?;
    let c = counts(&sim, t0.elapsed());
    sim.shutdown().await;
    Ok(c)
}

/// The same leaver with `$batch`: one batch to read, one to act (plus the password reset, kept
/// out of batches so it never sits in a loggable request value), one to read back.
async fn leaver_batched() -> R<Counts> {
    let (sim, g, _) = sim_and_client().await?;
    let u = ids::ADELE;
    let t0 = Instant::now();
    let reads = g
        .batch(vec![
            BatchRequest::get_user("user", u),
            BatchRequest::license_details("licences", u),
            BatchRequest::member_of_groups("groups", u),
            BatchRequest::manager("manager", u),
            BatchRequest::role_assignments_of("roles", u),
            BatchRequest::app_role_assignments("apps", u),
            BatchRequest::authentication_methods("methods", u),
            BatchRequest::managed_devices("devices", u),
            BatchRequest::user_drive("drive", u),
            BatchRequest::mailbox_settings("mailbox", u),
        ])
        .await?
        .value;
    let mut it = reads.into_iter();
    let mut next = || it.next().ok_or("missing batch response");
    let user: offboard_graph::User = next()?.into_result()?.value;
    let _licences: Vec<offboard_graph::LicenseDetails> = next()?.into_list()?.value;
    let groups: Vec<offboard_graph::Group> = next()?.into_list()?.value;
    let manager: offboard_graph::User = next()?.into_result()?.value;
    let _roles: Vec<offboard_graph::RoleAssignment> = next()?.into_list()?.value;
    let apps: Vec<offboard_graph::AppRoleAssignment> = next()?.into_list()?.value;
    let methods: Vec<offboard_graph::AuthMethod> = next()?.into_list()?.value;
    let devices: Vec<offboard_graph::ManagedDevice> = next()?.into_list()?.value;
    let drive: offboard_graph::Drive = next()?.into_result()?.value;

    let mut writes = vec![
        BatchRequest::set_account_enabled("disable", u, false),
        BatchRequest::revoke_sign_in_sessions("revoke", u).depends_on(&["disable"]),
    ];
    for (i, grp) in groups
        .iter()
        .filter(|g| g.membership_editable_in_graph())
        .enumerate()
    {
        writes.push(BatchRequest::remove_group_member(
            &format!("group{i}"),
            &grp.id,
            u,
        ));
    }
    for (i, a) in apps.iter().enumerate() {
        writes.push(BatchRequest::remove_app_role_assignment(
            &format!("app{i}"),
            u,
            &a.id,
        ));
    }
    for (i, m) in methods.iter().enumerate() {
        if let Some(r) = BatchRequest::delete_authentication_method(&format!("mfa{i}"), u, m) {
            writes.push(r);
        }
    }
    for (i, d) in devices.iter().enumerate() {
        writes.push(BatchRequest::retire_device(&format!("device{i}"), &d.id));
    }
    let mgr = manager.user_principal_name.clone().unwrap_or_default();
    writes.push(BatchRequest::grant_drive_access(
        "drive",
        &drive.id,
        &mgr,
        DriveRole::Write,
        "Files of a leaver",
    ));
    writes.push(BatchRequest::set_automatic_replies("ooo", u, &replies()));
    let direct: Vec<String> = user
        .license_assignment_states
        .iter()
        .filter(|s| s.is_direct())
        .map(|s| s.sku_id.clone())
        .collect();
    writes.push(BatchRequest::remove_licenses("licences", u, &direct));
    let acted = g.batch(writes).await?.value;
    if let Some(bad) = acted.iter().find(|r| !r.is_success()) {
        return Err(format!("batch item {} failed with {}", bad.id, bad.status).into());
    }
    g.reset_password(
        u,
        &SecretString::from("Bench!Passw0rd-1234".to_owned()),
        true,
    )
    .await?;
    let back = g
        .batch(vec![
            BatchRequest::get_user("user", u),
            BatchRequest::license_details("licences", u),
            BatchRequest::member_of_groups("groups", u),
            BatchRequest::app_role_assignments("apps", u),
            BatchRequest::authentication_methods("methods", u),
            BatchRequest::managed_devices("devices", u),
            BatchRequest::drive_root_permissions("drive", &drive.id),
            BatchRequest::mailbox_settings("mailbox", u),
        ])
        .await?
        .value;
    assert!(back.iter().all(|r| r.is_success()));
    let c = counts(&sim, t0.elapsed());
    sim.shutdown().await;
    Ok(c)
}

#[tokio::main]
async fn main() -> R<()> {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    overhead(calls).await?;
    let seq = leaver_sequential().await?;
    let bat = leaver_batched().await?;
    println!(
        "## Graph requests per leaver (cloud-only leaver with every kind of access: read, act, read back)\n"
    );
    println!("| mode | HTTP round trips | Graph operations (count against quota) | wall time ms |");
    println!("|---|---|---|---|");
    println!(
        "| one call per operation | {} | {} | {:.1} |",
        seq.http,
        seq.operations,
        seq.elapsed.as_secs_f64() * 1e3
    );
    println!(
        "| `$batch` | {} | {} | {:.1} |",
        bat.http,
        bat.operations,
        bat.elapsed.as_secs_f64() * 1e3
    );
    println!(
        "\n`$batch` saves {} of {} round trips ({:.0}%); the write quota sees the same operations either way.",
        seq.http - bat.http,
        seq.http,
        100.0 * (seq.http - bat.http) as f64 / seq.http as f64
    );
    Ok(())
}
