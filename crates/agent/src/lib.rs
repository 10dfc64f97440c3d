//! The on-prem agent: listens on an Azure Relay Hybrid Connection and acts on Active Directory over LDAPS.
//!
//! The path of one command: the relay delivers a `request` frame on the control channel
//! ([`listener`]); the body is a signed command, verified and checked for replay ([`service`]);
//! the executor finds the account, applies the safety rails (managed OUs, protected groups) and runs
//! each action idempotently over LDAPS/StartTLS with certificate verification ([`executor`],
//! [`ad`]); the result, with the account's state before and after, goes back as the `response`.

pub mod ad;
pub mod config;
pub mod dn;
pub mod executor;
pub mod listener;
pub mod service;

use std::sync::Arc;
use std::time::Duration;

use offboard_agent_proto::{AgentIdentity, CommandVerifier};
use offboard_relay::{RelayEndpoint, SasKey};
use tokio::sync::watch;

use crate::ad::DirectorySettings;
use crate::config::{AgentConfig, ConfigError};
use crate::executor::{Executor, Scope};
use crate::listener::ListenerSettings;
use crate::service::CommandService;

/// A configured agent, ready to run.
pub struct Agent {
    service: Arc<CommandService>,
    executor: Arc<Executor>,
    listener: ListenerSettings,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Builds the agent from its configuration, loading secrets and TLS material.
    pub fn build(config: &AgentConfig) -> Result<Self, ConfigError> {
        let ldap_tls = ad::tls_config(config.ldap.ca_file.as_deref()).map_err(|message| {
            ConfigError::Invalid {
                field: "ldap.ca_file",
                message,
            }
        })?;
        let directory = DirectorySettings {
            url: config.ldap.url.clone(),
            starttls: config.ldap.starttls,
            tls: ldap_tls,
            bind_dn: config.ldap.bind_dn.clone(),
            bind_password: config.ldap.bind_password.load("ldap.bind_password")?,
            base_dn: config.ldap.base_dn.clone(),
            timeout: config.ldap_timeout(),
        };
        let scope = Scope {
            managed_ous: config.scope.managed_ous.clone(),
            disabled_ou: config.scope.disabled_ou.clone(),
            group_ous: config.scope.group_ous.clone(),
            protected_groups: config.scope.protected_groups.clone(),
            refuse_admin_count: config.scope.refuse_admin_count,
            allow_delete: config.scope.allow_delete,
        };
        let identity = AgentIdentity {
            name: config.agent_name(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let executor = Arc::new(Executor::new(directory, scope, identity));
        let verifier = CommandVerifier::new(config.verifying_keys()?, config.verification_policy());
        let service = Arc::new(CommandService::new(verifier, executor.clone()));

        let endpoint = if config.relay.insecure_plain_ws_for_local_tests {
            RelayEndpoint::plain_for_local_tests(&config.relay.namespace, &config.relay.path)
        } else {
            RelayEndpoint::new(&config.relay.namespace, &config.relay.path)
        }
        .map_err(|e| ConfigError::Invalid {
            field: "relay.namespace/relay.path",
            message: e.to_string(),
        })?;
        let tls = if endpoint.is_secure() {
            Some(
                ad::tls_config_with_extra(config.relay.ca_file.as_deref()).map_err(|message| {
                    ConfigError::Invalid {
                        field: "relay.ca_file",
                        message,
                    }
                })?,
            )
        } else {
            None
        };
        let listener = ListenerSettings {
            endpoint,
            key: SasKey::new(
                config.relay.sas_key_name.clone(),
                config.relay.sas_key.load("relay.sas_key")?,
            ),
            token_ttl: Duration::from_secs(config.relay.token_ttl_secs.max(1)),
            ping_interval: Duration::from_secs(config.relay.ping_interval_secs.max(1)),
            reconnect_max: Duration::from_secs(config.relay.reconnect_max_secs.max(1)),
            tls,
        };
        Ok(Self {
            service,
            executor,
            listener,
        })
    }

    /// The command service (verify + execute), e.g. to drive it without the relay.
    pub fn service(&self) -> Arc<CommandService> {
        self.service.clone()
    }

    /// The executor.
    pub fn executor(&self) -> Arc<Executor> {
        self.executor.clone()
    }

    /// Listens on the relay until `shutdown` becomes true.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        listener::run(self.listener, self.service, shutdown).await;
    }
}
