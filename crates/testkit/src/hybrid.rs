//! The on-premises half of a hybrid test: the local relay (Hybrid Connections protocol), the
//! handler's command-signing key, and the real agent, configured from a TOML file with secret
//! files as its binary is, acting on the local Samba AD DC.

use anyhow::Context;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use offboard_agent::Agent;
use offboard_agent::config::AgentConfig;
use offboard_agent_proto::CommandSigningKey;
use offboard_service::settings;
use standin_relay::{
    DEFAULT_PATH, LISTEN_RULE, LocalRelay, LocalRelayConfig, LocalRelayHandle, SEND_RULE,
};
use tokio::sync::watch;

use crate::samba::Samba;

/// The relay and key a hybrid test app is configured with, and the agent it can start.
pub struct Hybrid {
    /// The local relay.
    pub relay: LocalRelayHandle,
    /// The handler's command-signing key (the agent trusts its public half).
    pub key: Arc<CommandSigningKey>,
    /// The AD the agent acts on.
    pub samba: Samba,
}

/// A running agent; [`RunningAgent::stop`] closes its control channel.
pub struct RunningAgent {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl RunningAgent {
    /// Stops the agent and waits (bounded) for it to close its channel.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

impl Hybrid {
    /// Starts a local relay (60 s request timeout, as Azure) and makes a signing key.
    pub async fn start(samba: Samba) -> anyhow::Result<Self> {
        let relay = LocalRelay::spawn(LocalRelayConfig::default())
            .await
            .context("the local relay does not start")?;
        Ok(Self {
            relay,
            key: Arc::new(CommandSigningKey::generate()),
            samba,
        })
    }

    /// The app settings that point the handler at the relay (a Send-only SAS rule) and give it
    /// the signing key.
    pub fn configure(&self, app: &mut BTreeMap<String, String>) {
        let send_key = self.relay.key(SEND_RULE).unwrap_or_default();
        for (k, v) in [
            (
                settings::OFFBOARD_RELAY_NAMESPACE,
                format!("http://{}", self.relay.namespace()),
            ),
            (
                settings::OFFBOARD_RELAY_HYBRID_CONNECTION,
                DEFAULT_PATH.to_owned(),
            ),
            (settings::OFFBOARD_RELAY_SAS_KEY_NAME, SEND_RULE.to_owned()),
            (settings::OFFBOARD_RELAY_SAS_KEY, send_key),
            (
                settings::OFFBOARD_AGENT_SIGNING_KEY,
                self.key.to_base64_secret(),
            ),
        ] {
            app.insert(k.to_owned(), v);
        }
    }

    /// The secrets a test checks never appear in logs or evidence: the signing seed and both
    /// SAS keys.
    pub fn secrets(&self) -> Vec<String> {
        vec![
            self.key.to_base64_secret(),
            self.relay.key(SEND_RULE).unwrap_or_default(),
            self.relay.key(LISTEN_RULE).unwrap_or_default(),
        ]
    }

    /// Starts the agent as its binary does — from a TOML config file whose secrets are files
    /// of mode 0600 — and waits until it listens on the relay. Its configuration allows
    /// deleting accounts (`scope.allow_delete = true`).
    pub async fn spawn_agent(&self) -> anyhow::Result<RunningAgent> {
        self.spawn_agent_with(true).await
    }

    /// [`Hybrid::spawn_agent`] with `scope.allow_delete = allow_delete` in the agent's
    /// configuration (false: it refuses `deleteUser`, as an agent whose owner keeps AD accounts).
    pub async fn spawn_agent_with(&self, allow_delete: bool) -> anyhow::Result<RunningAgent> {
        let s = &self.samba;
        let dir = tempfile::tempdir()?;
        let relay_key = dir.path().join("relay.key");
        write_private(&relay_key, &self.relay.key(LISTEN_RULE).unwrap_or_default())?;
        let toml = format!(
            r#"
[agent]
name = "e2e-agent"

[relay]
namespace = "{ns}"
path = "{path}"
sas_key_name = "{listen}"
sas_key = {{ file = "{relay_key}" }}
ping_interval_secs = 5
reconnect_max_secs = 1
insecure_plain_ws_for_local_tests = true

[ldap]
url = "{url}"
ca_file = "{ca}"
bind_dn = "{bind_dn}"
bind_password = {{ file = "{bind_pw}" }}
base_dn = "{base}"

[scope]
managed_ous = ["{users}"]
disabled_ou = "{disabled}"
group_ous = ["{groups}"]
protected_groups = ["{admins}", "CN=Domain Admins,CN=Users,{base}"]
allow_delete = {allow_delete}

[commands]
trusted_keys = ["{public}"]
"#,
            ns = self.relay.namespace(),
            path = DEFAULT_PATH,
            listen = LISTEN_RULE,
            relay_key = relay_key.display(),
            url = s.ldaps_url,
            ca = s.ca_file.display(),
            bind_dn = s.agent_bind_dn,
            bind_pw = s.agent_password_file.display(),
            base = s.base_dn,
            users = s.users_ou,
            disabled = s.disabled_ou,
            groups = s.groups_ou,
            admins = s.admin_group,
            public = self.key.verifying_key().to_base64(),
        );
        let config_path = dir.path().join("agent.toml");
        std::fs::write(&config_path, toml)?;
        let config = AgentConfig::from_file(&config_path).context("the agent's config")?;
        let agent = Agent::build(&config).context("the agent does not build from its config")?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(agent.run(stopped));
        anyhow::ensure!(
            self.relay
                .wait_for_listeners(DEFAULT_PATH, 1, Duration::from_secs(10))
                .await,
            "the agent did not connect to the local relay within 10 s"
        );
        Ok(RunningAgent {
            stop,
            task,
            _dir: dir,
        })
    }
}
