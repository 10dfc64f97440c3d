//! `offboard plan` against the tenant simulator, through the production credential path
//! (`ManagedIdentityCredential` against the simulator's `IDENTITY_ENDPOINT`), with an identity
//! that holds read permissions only: the dry run must plan the leaver and send the tenant
//! nothing but reads.

use serde_json::Value;
use standin_tenant::{SimConfig, SimHandle, TenantSim};

/// Read permissions that are enough for a dry run (the README lists them).
const READ_ONLY_GRAPH: &[&str] = &[
    "User.Read.All",
    "GroupMember.Read.All",
    "RoleManagement.Read.Directory",
    "Directory.Read.All",
    "UserAuthenticationMethod.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "Files.Read.All",
    "MailboxSettings.Read",
    // The groups the leaver is PIM-eligible for (remove-pim-eligibility plans from them).
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
];

async fn read_only_tenant() -> SimHandle {
    let mut seed = standin_tenant::demo::demo_tenant();
    let identity = seed
        .identities
        .system_assigned
        .as_mut()
        .expect("the demo tenant has a system-assigned identity");
    identity.graph_app_roles = READ_ONLY_GRAPH.iter().map(|r| (*r).to_owned()).collect();
    TenantSim::spawn(SimConfig {
        seed: Some(seed),
        ..SimConfig::default()
    })
    .await
    .expect("tenant simulator")
}

/// Runs `offboard plan ARGS` with the simulator as the configured tenant.
async fn plan(sim: &SimHandle, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_offboard"))
        .arg("plan")
        .args(args)
        .env_remove("OFFBOARD_POLICY_FILE")
        .env("IDENTITY_ENDPOINT", sim.identity_endpoint())
        .env("IDENTITY_HEADER", sim.identity_header())
        .env("OFFBOARD_GRAPH_ENDPOINT", sim.graph_base())
        .env("OFFBOARD_EXCHANGE_ENDPOINT", sim.exchange_base())
        .env("OFFBOARD_TENANT_ID", sim.tenant_id())
        .output()
        .await
        .expect("run offboard");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_dry_run_with_read_permissions_plans_and_only_reads() {
    let sim = read_only_tenant().await;
    let before = serde_json::to_value(sim.state()).unwrap();
    let (code, out, err) = plan(&sim, &["--user", "E1001", "--kind", "for_cause", "--json"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let doc: Value = serde_json::from_str(&out).expect("--json prints JSON");
    assert_eq!(doc["dryRun"], true);
    assert_eq!(doc["changed"], false);
    assert_eq!(doc["plan"]["facts"]["resolvedBy"], "employeeId");
    let steps = doc["plan"]["steps"].as_array().unwrap();
    let step = |kind: &str| steps.iter().find(|s| s["kind"] == kind).unwrap().clone();
    assert!(
        step("block-sign-in")["preview"][0]
            .as_str()
            .unwrap()
            .contains("accountEnabled=false")
    );
    // The for-cause policy leaves the automatic reply out.
    assert_eq!(step("auto-reply")["status"], "not_applicable");
    assert!(
        step("convert-mailbox")["preview"][0]
            .as_str()
            .unwrap()
            .contains("shared mailbox"),
        "{}",
        step("convert-mailbox")
    );

    // The tenant is as it was, and it only saw reads.
    assert_eq!(serde_json::to_value(sim.state()).unwrap(), before);
    let log = sim.requests();
    assert!(log.iter().any(|r| r.service == "graph"), "no Graph reads");
    for r in &log {
        assert!(r.status < 400, "refused: {r:?}");
        match r.service.as_str() {
            "graph" => assert!(
                r.method == "GET" || r.path == "/$batch",
                "a write: {} {}",
                r.method,
                r.path
            ),
            _ => assert!(
                r.cmdlet.as_deref().is_some_and(|c| c.starts_with("Get-")),
                "an Exchange change: {r:?}"
            ),
        }
    }
}

#[tokio::test]
async fn a_leaver_who_cannot_be_resolved_is_an_error_that_says_so() {
    let sim = read_only_tenant().await;
    let (code, out, err) = plan(&sim, &["--user", "nobody@contoso.com"]).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("no account in Entra ID matches"), "{err}");
    // A kind that is not one is a usage error naming the kinds there are.
    let (code, _, err) = plan(&sim, &["--user", "E1001", "--kind", "sabbatical"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("'sabbatical'"), "{err}");
    assert!(err.contains("for_cause"), "{err}");
}

#[tokio::test]
async fn the_demo_tenant_needs_no_settings() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_offboard"))
        .args(["plan", "--demo-tenant", "--user", "AdeleV@contoso.com"])
        .env_remove("OFFBOARD_TENANT_ID")
        .output()
        .await
        .expect("run offboard");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Dry run for Adele Vance"), "{text}");
    assert!(text.contains("Nothing was changed."), "{text}");
    assert!(text.contains("block-sign-in"), "{text}");
}
