//! The agent's configuration file (TOML) and how secrets are loaded.
//!
//! Secrets never live in the config file itself; each is a [`SecretRef`]:
//! `{ file = "/etc/offboard-agent/bind.pass" }` (refused when group- or world-accessible on Unix),
//! `{ env = "OFFBOARD_BIND_PASSWORD" }` (for service managers that inject environment), or
//! `{ systemd_credential = "ldap-bind" }` (systemd's credential store: `LoadCredential=` /
//! `LoadCredentialEncrypted=`, read from `$CREDENTIALS_DIRECTORY`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use offboard_agent_proto::{CommandVerifyingKey, VerificationPolicy};
use secrecy::SecretString;
use serde::Deserialize;

/// A configuration problem, with what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (line and column).
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("config value {field}: {message}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
    /// A secret could not be loaded.
    #[error("secret {what}: {message}")]
    Secret {
        /// Which secret.
        what: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
}

/// Where a secret comes from.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SecretRef {
    /// A file readable only by the agent's account (mode 0600 or stricter on Unix).
    File(PathBuf),
    /// An environment variable set by the service manager.
    Env(String),
    /// A systemd credential (`$CREDENTIALS_DIRECTORY/<name>`).
    SystemdCredential(String),
}

impl SecretRef {
    /// Loads the secret (trailing newline removed).
    pub fn load(&self, what: &'static str) -> Result<SecretString, ConfigError> {
        let raw = match self {
            Self::File(path) => read_private_file(path, what)?,
            Self::Env(var) => std::env::var(var).map_err(|_| ConfigError::Secret {
                what,
                message: format!("environment variable {var} is not set (or not UTF-8)"),
            })?,
            Self::SystemdCredential(name) => {
                let dir = std::env::var_os("CREDENTIALS_DIRECTORY").ok_or(ConfigError::Secret {
                    what,
                    message: format!(
                        "systemd credential {name} requested but CREDENTIALS_DIRECTORY is not set; add LoadCredential={name}:... to the unit"
                    ),
                })?;
                // systemd creates the directory and files readable by the service only.
                std::fs::read_to_string(Path::new(&dir).join(name)).map_err(|e| {
                    ConfigError::Secret {
                        what,
                        message: format!("cannot read systemd credential {name}: {e}"),
                    }
                })?
            }
        };
        let trimmed = raw.trim_end_matches(['\r', '\n']).to_string();
        if trimmed.is_empty() {
            return Err(ConfigError::Secret {
                what,
                message: "the secret is empty".into(),
            });
        }
        Ok(SecretString::from(trimmed))
    }
}

fn read_private_file(path: &Path, what: &'static str) -> Result<String, ConfigError> {
    let meta = std::fs::metadata(path).map_err(|e| ConfigError::Secret {
        what,
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(ConfigError::Secret {
                what,
                message: format!(
                    "{} is accessible by group or others (mode {mode:03o}); run chmod 600 on it",
                    path.display()
                ),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    std::fs::read_to_string(path).map_err(|e| ConfigError::Secret {
        what,
        message: format!("cannot read {}: {e}", path.display()),
    })
}

/// The whole configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Identity of this agent.
    #[serde(default)]
    pub agent: AgentSection,
    /// The Azure Relay hybrid connection to listen on.
    pub relay: RelaySection,
    /// The domain controller connection.
    pub ldap: LdapSection,
    /// The safety rails: what the agent may touch.
    pub scope: ScopeSection,
    /// Which handler keys the agent trusts, and the time policy.
    pub commands: CommandsSection,
}

/// `[agent]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSection {
    /// Name reported in every result (default: `$HOSTNAME`/`$COMPUTERNAME`, else "offboard-agent").
    pub name: Option<String>,
}

/// `[relay]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySection {
    /// Namespace host, e.g. `contoso-offboard.servicebus.windows.net`.
    pub namespace: String,
    /// Hybrid connection path, e.g. `offboard-agent`.
    pub path: String,
    /// SAS rule name with the Listen right.
    pub sas_key_name: String,
    /// The rule's key.
    pub sas_key: SecretRef,
    /// Lifetime of each listener token; renewed at 80 %. Default 3600 s.
    #[serde(default = "default_token_ttl")]
    pub token_ttl_secs: u64,
    /// WebSocket ping interval on the control channel. Default 30 s.
    #[serde(default = "default_ping")]
    pub ping_interval_secs: u64,
    /// Longest pause between reconnect attempts. Default 60 s.
    #[serde(default = "default_backoff_max")]
    pub reconnect_max_secs: u64,
    /// Extra CA (PEM) to trust for the relay's TLS, e.g. behind a TLS-inspecting proxy.
    pub ca_file: Option<PathBuf>,
    /// Plain ws:// to a local stand-in relay. For tests only; never in production.
    #[serde(default)]
    pub insecure_plain_ws_for_local_tests: bool,
}

fn default_token_ttl() -> u64 {
    3600
}
fn default_ping() -> u64 {
    30
}
fn default_backoff_max() -> u64 {
    60
}
fn default_ldap_timeout() -> u64 {
    15
}
fn default_true() -> bool {
    true
}
fn default_max_validity() -> u64 {
    900
}
fn default_skew() -> u64 {
    60
}

/// `[ldap]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapSection {
    /// `ldaps://dc.example.com:636`, or `ldap://dc.example.com:389` with `starttls = true`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS (required for `ldap://`).
    #[serde(default)]
    pub starttls: bool,
    /// CA certificate(s) (PEM) that issued the DC's certificate. Without it, the system's
    /// Mozilla roots are used (rarely right for an enterprise CA).
    pub ca_file: Option<PathBuf>,
    /// DN of the service account the agent binds as.
    pub bind_dn: String,
    /// Its password.
    pub bind_password: SecretRef,
    /// Where to search for users (the domain's root, e.g. `DC=corp,DC=example,DC=com`).
    pub base_dn: String,
    /// Timeout of each LDAP operation. Default 15 s.
    #[serde(default = "default_ldap_timeout")]
    pub timeout_secs: u64,
}

/// `[scope]`: the safety rails.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeSection {
    /// OUs whose users the agent may change (subtrees).
    pub managed_ous: Vec<String>,
    /// The OU leavers are moved into (also managed).
    pub disabled_ou: String,
    /// OUs whose groups' membership the agent may change.
    #[serde(default)]
    pub group_ous: Vec<String>,
    /// Admin groups whose members (including nested, and by primary group) are refused.
    pub protected_groups: Vec<String>,
    /// Also refuse accounts with `adminCount=1`. Default true.
    #[serde(default = "default_true")]
    pub refuse_admin_count: bool,
    /// Whether the agent deletes accounts (`deleteUser`, the handler's `delete-account` for
    /// synced leavers). Default false: deleting is opted into here, on-premises, as well as in
    /// the handler's policy.
    #[serde(default)]
    pub allow_delete: bool,
}

/// `[commands]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandsSection {
    /// Base64 Ed25519 public keys of the handler(s) whose commands are executed.
    pub trusted_keys: Vec<String>,
    /// Longest command validity accepted. Default 900 s.
    #[serde(default = "default_max_validity")]
    pub max_validity_secs: u64,
    /// Tolerated clock difference with the handler. Default 60 s.
    #[serde(default = "default_skew")]
    pub clock_skew_secs: u64,
}

impl AgentConfig {
    /// Reads and checks a config file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses and checks config text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("<text>"),
            message: e.to_string(),
        })?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let lower = self.ldap.url.to_ascii_lowercase();
        if lower.starts_with("ldap://") && !self.ldap.starttls {
            return Err(ConfigError::Invalid {
                field: "ldap.url",
                message: "plain ldap:// needs starttls = true (passwords and resets must not cross the network in clear); or use ldaps://".into(),
            });
        }
        if !lower.starts_with("ldap://") && !lower.starts_with("ldaps://") {
            return Err(ConfigError::Invalid {
                field: "ldap.url",
                message: "must start with ldaps:// or ldap:// (with starttls = true)".into(),
            });
        }
        if lower.starts_with("ldaps://") && self.ldap.starttls {
            return Err(ConfigError::Invalid {
                field: "ldap.starttls",
                message: "StartTLS applies to ldap:// only; remove it for ldaps://".into(),
            });
        }
        if self.scope.managed_ous.is_empty() {
            return Err(ConfigError::Invalid {
                field: "scope.managed_ous",
                message: "list at least one OU whose users the agent may change".into(),
            });
        }
        if self.commands.trusted_keys.is_empty() {
            return Err(ConfigError::Invalid {
                field: "commands.trusted_keys",
                message: "add the handler's command verifying key (base64)".into(),
            });
        }
        self.verifying_keys()?;
        if self.relay.token_ttl_secs < 60 && !self.relay.insecure_plain_ws_for_local_tests {
            return Err(ConfigError::Invalid {
                field: "relay.token_ttl_secs",
                message: "use at least 60 seconds".into(),
            });
        }
        Ok(())
    }

    /// The trusted verifying keys.
    pub fn verifying_keys(&self) -> Result<Vec<CommandVerifyingKey>, ConfigError> {
        self.commands
            .trusted_keys
            .iter()
            .map(|k| {
                CommandVerifyingKey::from_base64(k).map_err(|e| ConfigError::Invalid {
                    field: "commands.trusted_keys",
                    message: e.to_string(),
                })
            })
            .collect()
    }

    /// The command time policy.
    pub fn verification_policy(&self) -> VerificationPolicy {
        VerificationPolicy {
            max_validity: chrono::Duration::seconds(self.commands.max_validity_secs as i64),
            clock_skew: chrono::Duration::seconds(self.commands.clock_skew_secs as i64),
        }
    }

    /// The name reported in results.
    pub fn agent_name(&self) -> String {
        self.agent
            .name
            .clone()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .unwrap_or_else(|| "offboard-agent".to_string())
    }

    /// LDAP operation timeout.
    pub fn ldap_timeout(&self) -> Duration {
        Duration::from_secs(self.ldap.timeout_secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(url: &str, starttls: bool) -> String {
        let key = offboard_agent_proto::CommandSigningKey::generate()
            .verifying_key()
            .to_base64();
        format!(
            r#"
[relay]
namespace = "contoso.servicebus.windows.net"
path = "offboard-agent"
sas_key_name = "listen"
sas_key = {{ env = "OFFBOARD_TEST_RELAY_KEY" }}

[ldap]
url = "{url}"
starttls = {starttls}
bind_dn = "CN=svc,DC=x"
bind_password = {{ file = "/nonexistent" }}
base_dn = "DC=x"

[scope]
managed_ous = ["OU=Staff,DC=x"]
disabled_ou = "OU=Disabled,DC=x"
protected_groups = ["CN=Domain Admins,CN=Users,DC=x"]

[commands]
trusted_keys = ["{key}"]
"#
        )
    }

    #[test]
    fn parses_a_minimal_config_with_defaults() {
        let c = AgentConfig::from_toml(&sample("ldaps://dc:636", false)).unwrap();
        assert_eq!(c.relay.token_ttl_secs, 3600);
        assert!(c.scope.refuse_admin_count);
        assert_eq!(c.verifying_keys().unwrap().len(), 1);
        assert_eq!(c.ldap.bind_password, SecretRef::File("/nonexistent".into()));
    }

    #[test]
    fn the_shipped_example_config_parses() {
        let key = offboard_agent_proto::CommandSigningKey::generate()
            .verifying_key()
            .to_base64();
        let text = include_str!("../agent.example.toml")
            .replace("<base64 public key from the handler>", &key);
        let c = AgentConfig::from_toml(&text).unwrap();
        assert_eq!(
            c.relay.sas_key,
            SecretRef::SystemdCredential("relay-listen-key".into())
        );
        assert_eq!(c.scope.protected_groups.len(), 4);
    }

    #[test]
    fn refuses_plain_ldap_without_starttls() {
        let err = AgentConfig::from_toml(&sample("ldap://dc:389", false)).unwrap_err();
        assert!(err.to_string().contains("starttls"), "{err}");
        assert!(AgentConfig::from_toml(&sample("ldap://dc:389", true)).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_secret_files_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bind.pass");
        std::fs::write(&path, "s3cret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = SecretRef::File(path.clone())
            .load("bind password")
            .unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
        assert!(!err.to_string().contains("s3cret"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let secret = SecretRef::File(path).load("bind password").unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&secret), "s3cret");
    }
}
