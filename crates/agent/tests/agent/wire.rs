//! Through the wire: relay sender (handler side) → local relay (Hybrid Connections protocol) →
//! agent → Samba AD DC, and back.

use std::time::Duration;

use offboard_agent::Agent;
use offboard_agent::config::AgentConfig;
use offboard_agent_proto::{
    Action, AgentCommand, AgentResponse, CommandRejection, CommandSigningKey, Outcome, UserLocator,
};
use offboard_relay::{
    RelayCredential, RelayEndpoint, RelayError, RelaySender, RelaySenderOptions, SasKey,
};
use secrecy::SecretString;
use standin_relay::{
    DEFAULT_PATH, LISTEN_RULE, LocalRelay, LocalRelayConfig, LocalRelayHandle, SEND_RULE,
};
use tokio::sync::watch;

use crate::helpers::*;

pub struct RunningAgent {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl RunningAgent {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

pub struct AgentOptions {
    pub ldap_url: Option<String>,
    pub ldap_timeout_secs: u64,
    pub token_ttl_secs: u64,
}

impl Default for AgentOptions {
    fn default() -> Self {
        Self {
            ldap_url: None,
            ldap_timeout_secs: 10,
            token_ttl_secs: 3600,
        }
    }
}

fn write_private(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Starts the agent exactly as the binary does: from a TOML config file with secret files.
pub async fn spawn_agent(
    relay: &LocalRelayHandle,
    samba: &Samba,
    key: &CommandSigningKey,
    options: AgentOptions,
) -> RunningAgent {
    let dir = tempfile::tempdir().unwrap();
    let relay_key = dir.path().join("relay.key");
    write_private(&relay_key, &relay.key(LISTEN_RULE).unwrap());
    let toml = format!(
        r#"
[agent]
name = "wire-test-agent"

[relay]
namespace = "{ns}"
path = "{path}"
sas_key_name = "{listen}"
sas_key = {{ file = "{relay_key}" }}
token_ttl_secs = {ttl}
ping_interval_secs = 1
reconnect_max_secs = 1
insecure_plain_ws_for_local_tests = true

[ldap]
url = "{url}"
ca_file = "{ca}"
bind_dn = "{bind_dn}"
bind_password = {{ file = "{bind_pw}" }}
base_dn = "{base}"
timeout_secs = {ldap_timeout}

[scope]
managed_ous = ["{users}"]
disabled_ou = "{disabled}"
group_ous = ["{groups}"]
protected_groups = ["{admins}"]

[commands]
trusted_keys = ["{public}"]
"#,
        ns = relay.namespace(),
        path = DEFAULT_PATH,
        listen = LISTEN_RULE,
        relay_key = relay_key.display(),
        ttl = options.token_ttl_secs,
        url = options.ldap_url.unwrap_or_else(|| samba.ldaps_url.clone()),
        ca = samba.ca_file.display(),
        bind_dn = samba.agent_bind_dn,
        bind_pw = samba.agent_password_file.display(),
        base = samba.base_dn,
        ldap_timeout = options.ldap_timeout_secs,
        users = samba.users_ou,
        disabled = samba.disabled_ou,
        groups = samba.groups_ou,
        admins = samba.admin_group,
        public = key.verifying_key().to_base64(),
    );
    let config_path = dir.path().join("agent.toml");
    std::fs::write(&config_path, toml).unwrap();
    let config = AgentConfig::from_file(&config_path).expect("agent config");
    let agent = Agent::build(&config).expect("agent builds");
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(agent.run(stopped));
    assert!(
        relay
            .wait_for_listeners(DEFAULT_PATH, 1, Duration::from_secs(10))
            .await,
        "the agent did not connect to the local relay"
    );
    RunningAgent {
        stop,
        task,
        _dir: dir,
    }
}

pub async fn relay_with_timeout(timeout: Duration) -> LocalRelayHandle {
    LocalRelay::spawn(LocalRelayConfig {
        request_timeout: timeout,
        ..Default::default()
    })
    .await
    .expect("local relay starts")
}

pub fn sender(relay: &LocalRelayHandle, rule: &str, key: String) -> RelaySender {
    RelaySender::new(
        RelayEndpoint::plain_for_local_tests(relay.namespace(), DEFAULT_PATH).unwrap(),
        RelayCredential::SharedAccessKey(SasKey::new(rule, SecretString::from(key))),
        RelaySenderOptions {
            timeout: Duration::from_secs(20),
            ..Default::default()
        },
    )
    .unwrap()
}

pub fn send_sender(relay: &LocalRelayHandle) -> RelaySender {
    sender(relay, SEND_RULE, relay.key(SEND_RULE).unwrap())
}

#[tokio::test]
async fn a_command_goes_through_the_relay_to_ad_and_back() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    let user = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let relay = relay_with_timeout(Duration::from_secs(30)).await;
    let key = signing_key();
    let agent = spawn_agent(&relay, &samba, &key, AgentOptions::default()).await;

    let cmd = command(
        &case(),
        UserLocator::SamAccountName(user.sam.clone()),
        vec![Action::Disable, Action::ReadBack],
    );
    let response = send_sender(&relay)
        .send(&key.sign(&cmd).unwrap())
        .await
        .expect("relay round trip");
    let result = executed(response);
    assert_eq!(result.command_id, cmd.id);
    assert_eq!(result.agent.name, "wire-test-agent");
    assert_eq!(result.actions[0].outcome, Outcome::Done);
    assert!(result.after.unwrap().disabled);
    let after = read_sam(&samba, &mut admin, &user.sam).await;
    assert_eq!(attr(&after, "userAccountControl").as_deref(), Some("514"));
    assert_eq!(relay.stats().requests_relayed, 1);
    agent.stop().await;
}

#[tokio::test]
async fn expired_forged_altered_and_replayed_commands_are_refused_by_the_agent() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    let user = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let relay = relay_with_timeout(Duration::from_secs(30)).await;
    let key = signing_key();
    let agent = spawn_agent(&relay, &samba, &key, AgentOptions::default()).await;
    let sender = send_sender(&relay);
    let target = UserLocator::SamAccountName(user.sam.clone());
    let rejection = |r: AgentResponse| match r {
        AgentResponse::Rejected(r) => r.rejection,
        AgentResponse::Executed(e) => panic!("executed: {e:?}"),
    };

    let expired = AgentCommand::new(
        case(),
        target.clone(),
        vec![Action::Disable],
        chrono::Utc::now() - chrono::Duration::minutes(20),
        chrono::Duration::minutes(5),
    );
    let r = rejection(sender.send(&key.sign(&expired).unwrap()).await.unwrap());
    assert!(matches!(r, CommandRejection::Expired { .. }), "{r:?}");

    let attacker = CommandSigningKey::generate();
    let forged = command(&case(), target.clone(), vec![Action::Disable]);
    let r = rejection(sender.send(&attacker.sign(&forged).unwrap()).await.unwrap());
    assert!(
        matches!(r, CommandRejection::UnknownSigningKey { .. }),
        "{r:?}"
    );

    let mut altered = key
        .sign(&command(
            &case(),
            UserLocator::SamAccountName("someone-else".into()),
            vec![Action::ReadBack],
        ))
        .unwrap();
    altered.command["target"] = serde_json::json!({"by": "samAccountName", "value": user.sam});
    altered.command["actions"] = serde_json::json!([{"action": "disable"}]);
    let r = rejection(sender.send(&altered).await.unwrap());
    assert_eq!(r, CommandRejection::BadSignature);

    // Nothing above touched AD.
    let untouched = read_sam(&samba, &mut admin, &user.sam).await;
    assert_eq!(
        attr(&untouched, "userAccountControl").as_deref(),
        Some("512")
    );

    let genuine = key
        .sign(&command(&case(), target.clone(), vec![Action::ReadBack]))
        .unwrap();
    executed(sender.send(&genuine).await.unwrap());
    let r = rejection(sender.send(&genuine).await.unwrap());
    assert!(matches!(r, CommandRejection::Replayed { .. }), "{r:?}");
    agent.stop().await;
}

#[tokio::test]
async fn without_a_listener_the_relay_answers_502_and_the_sender_says_transient() {
    let relay = relay_with_timeout(Duration::from_secs(5)).await;
    let key = signing_key();
    let cmd = command(
        &case(),
        UserLocator::SamAccountName("x".into()),
        vec![Action::ReadBack],
    );
    let err = send_sender(&relay)
        .send(&key.sign(&cmd).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, RelayError::NoListener { status: 502, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_slow_agent_makes_the_relay_answer_504_which_is_transient() {
    let samba = samba(Instance::Exch);
    // A "domain controller" that accepts connections and never answers: the agent hangs on it.
    let blackhole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = blackhole.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = blackhole.accept().await {
            held.push(socket);
        }
    });
    let relay = relay_with_timeout(Duration::from_secs(1)).await;
    let key = signing_key();
    let agent = spawn_agent(
        &relay,
        &samba,
        &key,
        AgentOptions {
            ldap_url: Some(format!("ldaps://127.0.0.1:{port}")),
            ldap_timeout_secs: 4,
            ..Default::default()
        },
    )
    .await;
    let cmd = command(
        &case(),
        UserLocator::SamAccountName("x".into()),
        vec![Action::ReadBack],
    );
    let started = std::time::Instant::now();
    let err = send_sender(&relay)
        .send(&key.sign(&cmd).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RelayError::Timeout { source_of_timeout } if source_of_timeout.contains("504")),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the relay's timeout, not the agent's, ended it"
    );
    agent.stop().await;
    holder.abort();
}

#[tokio::test]
async fn the_agent_reconnects_after_the_relay_drops_it() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    let user = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let relay = relay_with_timeout(Duration::from_secs(30)).await;
    let key = signing_key();
    let agent = spawn_agent(&relay, &samba, &key, AgentOptions::default()).await;
    assert_eq!(relay.stats().listener_connections, 1);

    relay.drop_all_listeners();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while relay.stats().listener_connections < 2 || relay.listener_count(DEFAULT_PATH) < 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the agent did not reconnect: {:?}",
            relay.stats()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cmd = command(
        &case(),
        UserLocator::SamAccountName(user.sam.clone()),
        vec![Action::ReadBack],
    );
    let result = executed(
        send_sender(&relay)
            .send(&key.sign(&cmd).unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(result.actions[0].outcome, Outcome::Done);
    agent.stop().await;
}

#[tokio::test]
async fn the_agent_renews_its_token_before_expiry_and_keeps_the_channel() {
    let samba = samba(Instance::Exch);
    let relay = relay_with_timeout(Duration::from_secs(30)).await;
    let key = signing_key();
    let agent = spawn_agent(
        &relay,
        &samba,
        &key,
        AgentOptions {
            token_ttl_secs: 2,
            ..Default::default()
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let stats = relay.stats();
    assert!(stats.token_renewals >= 2, "{stats:?}");
    assert_eq!(stats.closed_for_token, 0, "{stats:?}");
    assert_eq!(
        stats.listener_connections, 1,
        "the same channel stayed open: {stats:?}"
    );
    let cmd = command(
        &case(),
        UserLocator::SamAccountName("Administrator".into()),
        vec![Action::ReadBack],
    );
    executed(
        send_sender(&relay)
            .send(&key.sign(&cmd).unwrap())
            .await
            .unwrap(),
    );
    agent.stop().await;
}

#[tokio::test]
async fn wrong_relay_credentials_are_permanent_errors() {
    let relay = relay_with_timeout(Duration::from_secs(5)).await;
    let key = signing_key();
    let cmd = key
        .sign(&command(
            &case(),
            UserLocator::SamAccountName("x".into()),
            vec![Action::ReadBack],
        ))
        .unwrap();
    let err = sender(&relay, SEND_RULE, "not-the-key".into())
        .send(&cmd)
        .await
        .unwrap_err();
    assert!(matches!(err, RelayError::Unauthorized { .. }), "{err:?}");
    assert!(!err.is_transient());
    let err = sender(&relay, LISTEN_RULE, relay.key(LISTEN_RULE).unwrap())
        .send(&cmd)
        .await
        .unwrap_err();
    assert!(matches!(err, RelayError::Forbidden { .. }), "{err:?}");
    assert!(!err.is_transient());
}
