//! Agent command latency through the local relay, and the idle agent's memory.
//!
//! `local/samba/ensure.sh && cargo bench -p offboard-agent --bench relay_latency`
//!
//! Runs the real `offboard-agent` binary (release build) against the local relay stand-in and the
//! local Samba AD DC, sends signed commands with the production `RelaySender`, and prints p50/p99
//! latency for a read-back and for a disable (fresh user each time), then the agent's RSS after
//! it has been idle.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ldap3::{LdapConnAsync, LdapConnSettings};
use offboard_agent_proto::{
    Action, AgentCommand, AgentResponse, CaseId, CommandSigningKey, Outcome, UserLocator,
};
use offboard_relay::{RelayCredential, RelayEndpoint, RelaySender, RelaySenderOptions, SasKey};
use secrecy::SecretString;
use standin_relay::{DEFAULT_PATH, LISTEN_RULE, LocalRelay, LocalRelayConfig, SEND_RULE};

const READS: usize = 300;
const DISABLES: usize = 60;

fn samba_env() -> HashMap<String, String> {
    let path = std::env::var("OFFBOARD_SAMBA_ENV")
        .unwrap_or_else(|_| "/var/tmp/offboard-samba/samba.env".into());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("no Samba env file at {path} ({e}): run local/samba/ensure.sh first")
    });
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<28} n={:<4} p50={:>7.2} ms  p99={:>7.2} ms  mean={:>7.2} ms  max={:>7.2} ms",
        samples.len(),
        percentile(&samples, 0.50).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
    );
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[tokio::main]
async fn main() {
    let env = samba_env();
    let get = |k: &str| {
        env.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{k} missing: run local/samba/ensure.sh"))
    };
    let relay = LocalRelay::spawn(LocalRelayConfig::default())
        .await
        .unwrap();
    let key = CommandSigningKey::generate();
    let dir = tempfile::tempdir().unwrap();
    private(
        &dir.path().join("relay.key"),
        &relay.key(LISTEN_RULE).unwrap(),
    );
    let config = format!(
        r#"[agent]
name = "bench-agent"
[relay]
namespace = "{ns}"
path = "{DEFAULT_PATH}"
sas_key_name = "{LISTEN_RULE}"
sas_key = {{ file = "{dir}/relay.key" }}
insecure_plain_ws_for_local_tests = true
[ldap]
url = "{url}"
ca_file = "{ca}"
bind_dn = "{bind}"
bind_password = {{ file = "{pw}" }}
base_dn = "{base}"
[scope]
managed_ous = ["{users}"]
disabled_ou = "{disabled}"
group_ous = ["{groups}"]
protected_groups = ["{admins}"]
[commands]
trusted_keys = ["{public}"]
"#,
        ns = relay.namespace(),
        dir = dir.path().display(),
        url = get("OFFBOARD_SAMBA_EXCH_LDAPS_URL"),
        ca = get("OFFBOARD_SAMBA_EXCH_CA_FILE"),
        bind = get("OFFBOARD_SAMBA_EXCH_AGENT_BIND_DN"),
        pw = get("OFFBOARD_SAMBA_EXCH_AGENT_PASSWORD_FILE"),
        base = get("OFFBOARD_SAMBA_BASE_DN"),
        users = get("OFFBOARD_SAMBA_USERS_OU"),
        disabled = get("OFFBOARD_SAMBA_DISABLED_OU"),
        groups = get("OFFBOARD_SAMBA_GROUPS_OU"),
        admins = get("OFFBOARD_SAMBA_ADMIN_GROUP"),
        public = key.verifying_key().to_base64(),
    );
    let config_path = dir.path().join("agent.toml");
    std::fs::write(&config_path, config).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_offboard-agent"))
        .args(["run", "--config"])
        .arg(&config_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start offboard-agent");
    let agent = KillOnDrop(child);
    assert!(
        relay
            .wait_for_listeners(DEFAULT_PATH, 1, Duration::from_secs(10))
            .await,
        "agent did not connect"
    );

    // Fresh users for the disable runs, created with the domain admin before timing.
    let users_ou = get("OFFBOARD_SAMBA_USERS_OU");
    let settings = LdapConnSettings::new().set_config(
        offboard_agent::ad::tls_config(Some(std::path::Path::new(&get(
            "OFFBOARD_SAMBA_EXCH_CA_FILE",
        ))))
        .unwrap(),
    );
    let (conn, mut admin) =
        LdapConnAsync::with_settings(settings, &get("OFFBOARD_SAMBA_EXCH_LDAPS_URL"))
            .await
            .unwrap();
    ldap3::drive!(conn);
    let admin_pw = std::fs::read_to_string(get("OFFBOARD_SAMBA_EXCH_ADMIN_PASSWORD_FILE")).unwrap();
    admin
        .simple_bind(&get("OFFBOARD_SAMBA_EXCH_ADMIN_BIND_DN"), admin_pw.trim())
        .await
        .unwrap()
        .success()
        .unwrap();
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let mut sams = Vec::new();
    for i in 0..DISABLES {
        let sam = format!("b{run}{i:03}");
        admin
            .add(
                &format!("CN={sam},{users_ou}"),
                vec![
                    ("objectClass", HashSet::from(["user"])),
                    ("sAMAccountName", HashSet::from([sam.as_str()])),
                    ("userAccountControl", HashSet::from(["544"])),
                ],
            )
            .await
            .unwrap()
            .success()
            .unwrap();
        sams.push(sam);
    }

    let sender = RelaySender::new(
        RelayEndpoint::plain_for_local_tests(relay.namespace(), DEFAULT_PATH).unwrap(),
        RelayCredential::SharedAccessKey(SasKey::new(
            SEND_RULE,
            SecretString::from(relay.key(SEND_RULE).unwrap()),
        )),
        RelaySenderOptions::default(),
    )
    .unwrap();
    let case = CaseId::parse(format!("bench-{run}")).unwrap();
    let send = |target: UserLocator, action: Action| {
        let cmd = AgentCommand::new(
            case.clone(),
            target,
            vec![action],
            chrono::Utc::now(),
            chrono::Duration::minutes(5),
        );
        let signed = key.sign(&cmd).unwrap();
        let sender = sender.clone();
        async move {
            let started = Instant::now();
            let response = sender.send(&signed).await.expect("relay round trip");
            let elapsed = started.elapsed();
            match response {
                AgentResponse::Executed(r) => {
                    assert_eq!(r.actions[0].outcome, Outcome::Done, "{:?}", r.actions[0])
                }
                AgentResponse::Rejected(r) => panic!("rejected: {r:?}"),
            }
            elapsed
        }
    };

    for _ in 0..10 {
        send(
            UserLocator::SamAccountName("Administrator".into()),
            Action::ReadBack,
        )
        .await;
    }
    let mut reads = Vec::with_capacity(READS);
    for _ in 0..READS {
        reads.push(
            send(
                UserLocator::SamAccountName("Administrator".into()),
                Action::ReadBack,
            )
            .await,
        );
    }
    let mut disables = Vec::with_capacity(DISABLES);
    for sam in &sams {
        disables.push(send(UserLocator::SamAccountName(sam.clone()), Action::Disable).await);
    }
    println!(
        "agent command latency through the local relay (sender -> relay -> agent -> Samba LDAPS -> back):"
    );
    report("readBack", reads);
    report("disable (+ read-back)", disables);

    tokio::time::sleep(Duration::from_secs(5)).await;
    let (rss, hwm) = rss_kib(agent.0.id());
    println!(
        "idle agent memory after 5 s idle: VmRSS {:.1} MiB (peak VmHWM {:.1} MiB)",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    drop(agent);
    relay.shutdown().await;
}
