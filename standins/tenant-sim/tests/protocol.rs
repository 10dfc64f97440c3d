//! The simulator's protocol behaviour seen from a plain HTTP client: authentication failures,
//! least-privilege refusals, batch validation, throttling headers, faults, latency, the `/_sim`
//! routes, seeds, the directory sync seam and the binary.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use standin_identity::{IdentitySelector, TokenSpec};
use standin_tenant::demo::{self, ids};
use standin_tenant::{SimConfig, SimError, SimHandle, SimRemote, TenantSim};

fn token(sim: &SimHandle, resource: &str, extra_roles: &[&str]) -> String {
    let mut roles: Vec<String> = demo::DEFAULT_GRAPH_APP_ROLES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    roles.extend(extra_roles.iter().map(|s| (*s).to_owned()));
    if resource.contains("outlook") {
        roles = vec!["Exchange.ManageAsApp".into()];
    }
    sim.issuer()
        .mint(&TokenSpec {
            identity: IdentitySelector::SystemAssigned,
            resource: resource.into(),
            roles: Some(roles),
            shift_secs: 0,
            lifetime: None,
        })
        .unwrap()
}

async fn call(
    sim: &SimHandle,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let http = reqwest::Client::new();
    let mut rb = http.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{path}", sim.graph_base()),
    );
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let rsp = rb.send().await.unwrap();
    let status = rsp.status().as_u16();
    let headers = rsp.headers().clone();
    let text = rsp.text().await.unwrap();
    (
        status,
        headers,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        },
    )
}

#[tokio::test]
async fn bad_tokens_get_graphs_401() {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    let user = format!("/users/{}", ids::ADELE);
    let (st, headers, body) = call(&sim, "GET", &user, None, None).await;
    assert_eq!(st, 401);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert!(headers.get("www-authenticate").is_some());
    assert!(headers.get("request-id").is_some());
    let wrong_aud = token(&sim, "https://storage.azure.com", &[]);
    let (st, _, body) = call(&sim, "GET", &user, Some(&wrong_aud), None).await;
    assert_eq!(st, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("audience")
    );
    let expired = sim
        .issuer()
        .mint(&TokenSpec {
            identity: IdentitySelector::SystemAssigned,
            resource: "https://graph.microsoft.com".into(),
            roles: None,
            shift_secs: -7200,
            lifetime: Some(Duration::from_secs(3600)),
        })
        .unwrap();
    let (st, _, body) = call(&sim, "GET", &user, Some(&expired), None).await;
    assert_eq!(st, 401);
    assert_eq!(
        body["error"]["message"],
        "Lifetime validation failed, the token is expired."
    );
    let other = TenantSim::spawn(SimConfig::default()).await.unwrap();
    let foreign = token(&other, "https://graph.microsoft.com", &[]);
    let (st, _, _) = call(&sim, "GET", &user, Some(&foreign), None).await;
    assert_eq!(st, 401, "a token signed by another issuer is refused");
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.status == 401 && r.app_id.is_none())
    );
}

#[tokio::test]
async fn deleting_a_member_without_ref_deletes_the_user_only_with_user_write_rights() {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    let path = format!("/groups/{}/members/{}", ids::GROUP_RETAIL_M365, ids::ADELE);
    // The declared set without User.ReadWrite.All (which only delete-account needs, and which
    // an install that keeps accounts leaves out): no right to delete users.
    let roles: Vec<String> = demo::DEFAULT_GRAPH_APP_ROLES
        .iter()
        .filter(|r| **r != "User.ReadWrite.All")
        .map(|s| (*s).to_owned())
        .collect();
    let least = sim
        .issuer()
        .mint(&TokenSpec {
            identity: IdentitySelector::SystemAssigned,
            resource: "https://graph.microsoft.com".into(),
            roles: Some(roles),
            shift_secs: 0,
            lifetime: None,
        })
        .unwrap();
    let (st, _, body) = call(&sim, "DELETE", &path, Some(&least), None).await;
    assert_eq!(st, 403);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert!(sim.state().user(ids::ADELE).is_some());
    let broad = token(&sim, "https://graph.microsoft.com", &["User.ReadWrite.All"]);
    let (st, _, _) = call(&sim, "DELETE", &path, Some(&broad), None).await;
    assert_eq!(st, 204);
    let t = sim.state();
    assert!(
        t.user(ids::ADELE).is_none(),
        "as documented, the user object itself was deleted"
    );
    assert_eq!(t.deleted_users.len(), 1);
}

#[tokio::test]
async fn batches_are_validated_like_graph() {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    let t = token(&sim, "https://graph.microsoft.com", &[]);
    let get = |id: usize| json!({"id": id.to_string(), "method": "GET", "url": format!("/users/{}", ids::ADELE)});
    let (st, _, body) = call(
        &sim,
        "POST",
        "/$batch",
        Some(&t),
        Some(json!({"requests": (0..21).map(get).collect::<Vec<_>>()})),
    )
    .await;
    assert_eq!(st, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("20"));
    let (st, _, _) = call(
        &sim,
        "POST",
        "/$batch",
        Some(&t),
        Some(json!({"requests": [get(1), get(1)]})),
    )
    .await;
    assert_eq!(st, 400, "ids must be unique");
    let no_ct = json!({"requests": [{"id": "1", "method": "PATCH", "url": format!("/users/{}", ids::ADELE), "body": {"accountEnabled": false}}]});
    let (st, _, _) = call(&sim, "POST", "/$batch", Some(&t), Some(no_ct)).await;
    assert_eq!(st, 400, "a body needs a Content-Type header");
    let unknown_dep =
        json!({"requests": [{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["9"]}]});
    assert_eq!(
        call(&sim, "POST", "/$batch", Some(&t), Some(unknown_dep))
            .await
            .0,
        400
    );
    let nested = json!({"requests": [{"id": "1", "method": "POST", "url": "/$batch", "body": {"requests": []}, "headers": {"Content-Type": "application/json"}}]});
    let (st, _, body) = call(&sim, "POST", "/$batch", Some(&t), Some(nested)).await;
    assert_eq!(st, 200);
    assert_eq!(body["responses"][0]["status"], 400);
    assert!(
        sim.state().user(ids::ADELE).unwrap().account_enabled,
        "the refused batch changed nothing"
    );
}

#[tokio::test]
async fn the_write_quota_answers_429_with_graphs_headers() {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    sim.set_write_quota(1, Duration::from_secs(60));
    let t = token(&sim, "https://graph.microsoft.com", &[]);
    let revoke = format!("/users/{}/revokeSignInSessions", ids::ADELE);
    assert_eq!(call(&sim, "POST", &revoke, Some(&t), None).await.0, 200);
    let (st, headers, body) = call(&sim, "POST", &revoke, Some(&t), None).await;
    assert_eq!(st, 429);
    let ra: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((55..=60).contains(&ra), "retry-after {ra}");
    let scope = headers["x-ms-throttle-scope"].to_str().unwrap();
    assert!(
        scope.starts_with("Tenant_Application/ReadWrite/")
            && scope.contains(standin_identity::DEMO_CLIENT_ID)
            && scope.contains(demo::DEMO_TENANT_ID)
    );
    assert_eq!(headers["x-ms-throttle-information"], "WriteLimitExceeded");
    assert_eq!(body["error"]["code"], "TooManyRequests");
    // Reads still pass.
    assert_eq!(
        call(
            &sim,
            "GET",
            &format!("/users/{}", ids::ADELE),
            Some(&t),
            None
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn faults_and_latency_are_injected() {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    let t = token(&sim, "https://graph.microsoft.com", &[]);
    let user = format!("/users/{}", ids::ADELE);
    sim.inject_faults(1, 503);
    let (st, headers, body) = call(&sim, "GET", &user, Some(&t), None).await;
    assert_eq!(st, 503);
    assert_eq!(headers["retry-after"], "1");
    assert!(body["error"]["innerError"]["request-id"].is_string());
    sim.inject_faults(1, 504);
    assert_eq!(call(&sim, "GET", &user, Some(&t), None).await.0, 504);
    let mut s = sim.settings();
    s.latency_ms = 200;
    sim.set_settings(s);
    let start = Instant::now();
    assert_eq!(call(&sim, "GET", &user, Some(&t), None).await.0, 200);
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn unsupported_queries_are_refused() {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    let t = token(&sim, "https://graph.microsoft.com", &[]);
    let (st, _, body) = call(
        &sim,
        "GET",
        "/users?$filter=accountEnabled%20ne%20true",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
    let (st, _, _) = call(
        &sim,
        "GET",
        &format!("/users/{}?$select=nope", ids::ADELE),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(st, 400);
    let (st, _, body) = call(
        &sim,
        "GET",
        "/users?$filter=signInActivity%20eq%20null",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(st, 400, "{body}");
}

#[tokio::test]
async fn sim_routes_work_over_http() {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    let remote = SimRemote::new(sim.base_url());
    let t = token(&sim, "https://graph.microsoft.com", &[]);
    call(
        &sim,
        "GET",
        &format!("/users/{}", ids::ADELE),
        Some(&t),
        None,
    )
    .await;
    let log = remote.requests().await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].app_id.as_deref(),
        Some(standin_identity::DEMO_CLIENT_ID)
    );
    let mut state = remote.state().await.unwrap();
    assert_eq!(state.tenant_id, demo::DEMO_TENANT_ID);
    let mut settings = remote.settings().await.unwrap();
    settings.write_quota = 7;
    remote.set_settings(&settings).await.unwrap();
    assert_eq!(sim.settings().write_quota, 7);
    remote.throttle_next(1, 3).await.unwrap();
    assert_eq!(call(&sim, "GET", "/users", Some(&t), None).await.0, 429);
    remote.inject_faults(1, 504).await.unwrap();
    assert_eq!(call(&sim, "GET", "/users", Some(&t), None).await.0, 504);
    remote
        .set_on_premises_enabled(ids::DIEGO, false)
        .await
        .unwrap();
    assert!(sim.state().user(ids::DIEGO).unwrap().account_enabled);
    remote.run_directory_sync().await.unwrap();
    assert!(!sim.state().user(ids::DIEGO).unwrap().account_enabled);
    assert!(
        remote
            .set_on_premises_enabled(ids::ADELE, false)
            .await
            .is_err(),
        "cloud-only users have no AD side"
    );
    remote.expire_tokens().await.unwrap();
    assert_eq!(call(&sim, "GET", "/users", Some(&t), None).await.0, 401);
    state.users.retain(|u| u.id != ids::ALEX);
    remote.set_state(&state).await.unwrap();
    assert!(sim.state().user(ids::ALEX).is_none());
}

#[tokio::test]
async fn a_delayed_directory_sync_carries_ad_changes_after_the_delay() {
    let sim = TenantSim::spawn(SimConfig {
        directory_sync_delay: Some(Duration::from_millis(300)),
        ..Default::default()
    })
    .await
    .unwrap();
    let t = token(&sim, "https://graph.microsoft.com", &[]);
    assert!(sim.set_on_premises_enabled(ids::DIEGO, false));
    let path = format!("/users/{}?$select=accountEnabled", ids::DIEGO);
    assert_eq!(
        call(&sim, "GET", &path, Some(&t), None).await.2["accountEnabled"],
        true
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        call(&sim, "GET", &path, Some(&t), None).await.2["accountEnabled"],
        false
    );
}

#[tokio::test]
async fn seeds_round_trip_and_bad_seeds_are_refused() {
    let json = serde_json::to_string(&demo::demo_tenant()).unwrap();
    let seed: standin_tenant::Tenant = serde_json::from_str(&json).unwrap();
    assert_eq!(seed, demo::demo_tenant());
    let sim = TenantSim::spawn(SimConfig {
        seed: Some(seed.clone()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(sim.state().users.len(), seed.users.len());
    let mut bad = seed;
    bad.users[0].manager_id = Some("missing".into());
    assert!(matches!(
        TenantSim::spawn(SimConfig {
            seed: Some(bad),
            ..Default::default()
        })
        .await,
        Err(SimError::Seed(_))
    ));
}

#[tokio::test]
async fn exchange_refuses_unknown_cmdlets_and_missing_tokens() {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let url = format!(
        "{}/adminapi/beta/{}/InvokeCommand",
        sim.exchange_base(),
        sim.tenant_id()
    );
    let rsp = http
        .post(&url)
        .json(&json!({"CmdletInput": {"CmdletName": "Get-Mailbox"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), 401);
    let t = token(&sim, "https://outlook.office365.com", &[]);
    let rsp = http.post(&url).bearer_auth(&t).json(&json!({"CmdletInput": {"CmdletName": "Remove-Mailbox", "Parameters": {"Identity": "AdeleV"}}})).send().await.unwrap();
    assert_eq!(rsp.status(), 400);
    let body: Value = rsp.json().await.unwrap();
    // Exchange's error.message is generic; the cmdlet's text is in details.
    assert_eq!(body["error"]["message"], "Invalid Operation");
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not recognized")
    );
    let rsp = http
        .post(&url)
        .bearer_auth(&t)
        .json(&json!({"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}}))
        .send()
        .await
        .unwrap();
    let body: Value = rsp.json().await.unwrap();
    assert_eq!(
        body["value"].as_array().unwrap().len(),
        demo::demo_tenant().mailboxes.len()
    );
    let other_tenant = format!(
        "{}/adminapi/beta/fabrikam.com/InvokeCommand",
        sim.exchange_base()
    );
    let rsp = http
        .post(&other_tenant)
        .bearer_auth(&t)
        .json(&json!({"CmdletInput": {"CmdletName": "Get-Mailbox"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), 401);
}

#[tokio::test]
async fn the_binary_serves_and_dumps_the_demo_seed() {
    let exe = env!("CARGO_BIN_EXE_tenant-sim");
    let out = std::process::Command::new(exe)
        .arg("--dump-demo-seed")
        .output()
        .unwrap();
    assert!(out.status.success());
    let seed: standin_tenant::Tenant = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seed.tenant_id, demo::DEMO_TENANT_ID);

    let dir = std::env::temp_dir().join(format!("tenant-sim-seed-{}", std::process::id()));
    std::fs::write(&dir, serde_json::to_vec(&seed).unwrap()).unwrap();
    let mut child = tokio::process::Command::new(exe)
        .args(["--port", "0", "--seed"])
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt as _;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut graph = None;
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(v) = line.strip_prefix("GRAPH_BASE_URL=") {
            graph = Some(v.to_owned());
            break;
        }
    }
    let graph = graph.expect("the binary prints GRAPH_BASE_URL");
    let rsp = reqwest::get(format!("{graph}/users")).await.unwrap();
    assert_eq!(
        rsp.status(),
        401,
        "the binary serves Graph and requires a token"
    );
    child.kill().await.unwrap();
    let _ = std::fs::remove_file(&dir);
}
