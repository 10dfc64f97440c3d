//! A missing locked default stops the handler: with `OFFBOARD_EVIDENCE_WORM` on, the real
//! `handler` binary (azure backend, the local stack for Cosmos and queues, the tenant
//! simulator's managed identity) refuses to start against an evidence account whose default
//! retention the Blob WORM stand-in reports as Unlocked, or absent — before it takes a leaver.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use offboard_testkit::{SimConfig, Stack, handler_executable};
use standin_blob_worm::{BlobWorm, DefaultPolicy, PolicyState, WormConfig, app_grants};
use standin_tenant::TenantSim;

#[tokio::test]
async fn a_missing_locked_default_stops_the_handler() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::start(&dir.path().join("stack")).expect("local stack");
    let sim = TenantSim::spawn(SimConfig::default())
        .await
        .expect("tenant simulator");
    let app = sim
        .issuer()
        .identities()
        .first()
        .map(|i| i.object_id.clone())
        .expect("the simulator's app identity");
    let certs = std::path::PathBuf::from(stack.get("OFFBOARD_STACK_CA_FILE").unwrap())
        .parent()
        .unwrap()
        .to_owned();
    for (default, says) in [
        (
            Some(DefaultPolicy {
                days: 2555,
                state: PolicyState::Unlocked,
            }),
            "default retention policy is Unlocked",
        ),
        (None, "default retention policy is absent"),
    ] {
        let worm = BlobWorm::start(WormConfig {
            account: "stevoffboard".into(),
            container: "evidence".into(),
            versioning_worm: true,
            default_policy: default,
            grants: BTreeMap::from([(app.clone(), app_grants())]),
            validator: sim.issuer().validator(),
            cert_pem: certs.join("server.pem"),
            key_pem: certs.join("server.key"),
        })
        .expect("blob WORM stand-in");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = tokio::process::Command::new(handler_executable().unwrap());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .env("IDENTITY_ENDPOINT", sim.identity_endpoint())
            .env("IDENTITY_HEADER", sim.identity_header())
            .env("OFFBOARD_TENANT_ID", sim.tenant_id())
            .env("OFFBOARD_GRAPH_ENDPOINT", sim.graph_base())
            .env("OFFBOARD_EXCHANGE_ENDPOINT", sim.exchange_base())
            .env("OFFBOARD_BACKEND", "azure")
            .env("OFFBOARD_EVIDENCE_WORM", "on")
            .env("OFFBOARD_STORAGE_BLOB_ENDPOINT", &worm.blob_endpoint)
            .env("OFFBOARD_EVIDENCE_ACCOUNT_ID", &worm.account_id)
            .env("OFFBOARD_ARM_ENDPOINT", &worm.arm_endpoint)
            .env("OFFBOARD_COSMOS_DATABASE", "offboard")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for k in [
            "OFFBOARD_COSMOS_ENDPOINT",
            "OFFBOARD_STORAGE_QUEUE_ENDPOINT",
            "SSL_CERT_FILE",
            "AZURE_COSMOS_EMULATOR_SERVER_CERT_VALIDATION_DISABLED",
            "AZURE_COSMOS_CONNECTION_POOL_IS_HTTP2_ALLOWED",
            "AZURE_COSMOS_BINARY_ENCODING_ENABLED",
        ] {
            cmd.env(k, stack.get(k).unwrap());
        }
        let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
            .await
            .expect("the handler must stop on its own, not serve")
            .expect("the handler runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "{default:?}: the handler started:\n{text}"
        );
        assert!(
            text.contains("the evidence store refuses to start"),
            "{text}"
        );
        assert!(text.contains("OFFBOARD_EVIDENCE_WORM is on but"), "{text}");
        assert!(text.contains(says), "{default:?}: {text}");
        assert!(!text.contains("eyJ"), "no token in the log: {text}");
        // Nothing was written.
        assert!(worm.account().blobs.is_empty());
    }
}
