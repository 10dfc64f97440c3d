//! `offboard-agent`: the on-prem agent service.
//!
//! ```text
//! offboard-agent run   --config /etc/offboard-agent/agent.toml
//! offboard-agent check --config /etc/offboard-agent/agent.toml
//! ```

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use offboard_agent::Agent;
use offboard_agent::ad::{HIDE_ATTRIBUTE, Session};
use offboard_agent::config::AgentConfig;

/// The offboard on-prem agent: executes signed offboarding commands on Active Directory.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log as JSON lines (for log shippers) instead of text.
    #[arg(long, global = true)]
    log_json: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Listen on the relay and execute commands until stopped (SIGTERM / Ctrl-C / service stop).
    Run {
        /// Path of the TOML config file.
        #[arg(long, env = "OFFBOARD_AGENT_CONFIG")]
        config: PathBuf,
    },
    /// Check the config, the secrets, the LDAPS bind and the schema, then exit.
    Check {
        /// Path of the TOML config file.
        #[arg(long, env = "OFFBOARD_AGENT_CONFIG")]
        config: PathBuf,
    },
    /// Make a new command-signing key pair for the handler: writes the private seed (base64,
    /// the value of the handler's OFFBOARD_AGENT_SIGNING_KEY / Key Vault secret
    /// agent-signing-key) to a new file readable only by you, and prints the public key for
    /// this agent's `[commands] trusted_keys`. The seed is never printed.
    Keygen {
        /// Where to write the seed (must not exist yet; created with mode 0600 on Unix).
        #[arg(long)]
        seed_file: PathBuf,
    },
}

/// Writes a new signing key's seed to `path` (create-new, 0600) and returns the public key.
fn keygen(path: &std::path::Path) -> anyhow::Result<offboard_agent_proto::CommandVerifyingKey> {
    use std::io::Write;
    let key = offboard_agent_proto::CommandSigningKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| {
        format!(
            "cannot create {} (it must not exist yet: a key is never overwritten)",
            path.display()
        )
    })?;
    file.write_all(key.to_base64_secret().as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key.verifying_key())
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    match cli.command {
        Command::Run { config } => {
            let config = AgentConfig::from_file(&config)?;
            let agent = Agent::build(&config).context("configuring the agent")?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let running = tokio::spawn(agent.run(stopped));
            shutdown_signal().await;
            tracing::info!("stopping");
            let _ = stop.send(true);
            running.await.context("the listener task failed")?;
            Ok(())
        }
        Command::Keygen { seed_file } => {
            let public = keygen(&seed_file)?;
            println!(
                "wrote the private seed to {} (mode 600): store it as the handler's OFFBOARD_AGENT_SIGNING_KEY (Key Vault secret agent-signing-key), then delete the file",
                seed_file.display()
            );
            println!("# key id {}", public.key_id());
            println!("[commands]");
            println!("trusted_keys = [\"{}\"]", public.to_base64());
            Ok(())
        }
        Command::Check { config } => {
            let config = AgentConfig::from_file(&config)?;
            let keys = config.verifying_keys()?;
            let agent = Agent::build(&config).context("configuring the agent")?;
            drop(agent);
            let directory = offboard_agent::ad::DirectorySettings {
                url: config.ldap.url.clone(),
                starttls: config.ldap.starttls,
                tls: offboard_agent::ad::tls_config(config.ldap.ca_file.as_deref())
                    .map_err(anyhow::Error::msg)?,
                bind_dn: config.ldap.bind_dn.clone(),
                bind_password: config.ldap.bind_password.load("ldap.bind_password")?,
                base_dn: config.ldap.base_dn.clone(),
                timeout: config.ldap_timeout(),
            };
            let mut session = Session::open(&directory).await?;
            let has_hide = session.schema_has_attribute(HIDE_ATTRIBUTE).await?;
            session.close().await;
            println!(
                "config: ok ({} trusted command key(s): {})",
                keys.len(),
                keys.iter()
                    .map(|k| k.key_id().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!(
                "ldap: bound to {} as {}",
                config.ldap.url, config.ldap.bind_dn
            );
            println!(
                "schema: {HIDE_ATTRIBUTE} {}",
                if has_hide {
                    "present"
                } else {
                    "absent (hide-from-address-lists will report not applicable)"
                }
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_writes_a_private_seed_once_and_returns_its_public_half() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent-signing-key.seed");
        let public = keygen(&path).unwrap();
        let seed = std::fs::read_to_string(&path).unwrap();
        let key = offboard_agent_proto::CommandSigningKey::from_base64(&seed).unwrap();
        assert_eq!(key.verifying_key(), public);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let again = keygen(&path).unwrap_err();
        assert!(format!("{again:#}").contains("never overwritten"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), seed);
    }
}
