//! Every setting offboard reads, parsed once at start. The names are listed in `names.rs`
//! (the infrastructure templates are checked against that list); each group of settings that
//! needs more than a lookup is parsed in its own module (`notify`, `agent`).
//!
//! Secrets (`*_SECRET`, `*_TOKEN`, `*_KEY`) arrive as app settings that are Key Vault
//! references in Azure; they are held as [`SecretString`] and never logged.

use chrono_tz::Tz;
use offboard_core::effective::{Cutoff, EffectivePolicy};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

mod agent;
mod connectors;
mod error;
mod kill_switch;
mod names;
mod notify;
mod population;
pub mod secret_rules;
mod signin;
#[cfg(test)]
mod tests;

use agent::parse_relay;
pub use agent::{AgentSettings, DEFAULT_HYBRID_CONNECTION, RelayAuth};
pub use connectors::{
    CONNECTOR_SETTING_PREFIX, ConnectorAction, ConnectorConfig, ConnectorKind,
    DEFAULT_PROVISIONING_WAIT_MINUTES, FindBy, LeaverValue, MAX_PROVISIONING_WAIT_MINUTES,
    ProvisionedApp, ScimAttribute, ScimAuth, ScimConnector, connectors_from_lookup,
    parse_connectors,
};
pub use error::SettingsError;
pub use kill_switch::DEFAULT_SIGN_IN_CUT_BUDGET;
pub use names::*;
pub(crate) use notify::url_is_allowed;
pub use notify::{MailSettings, NotifySettings};
use notify::{parse_mail, parse_webhook_url};
pub use population::{PopulationSettings, PopulationSource};
pub use signin::SigninConfig;
use signin::parse_signin;

/// Which storage backend the handler uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// Cosmos DB and Azure Storage through managed identity.
    Azure(AzureSettings),
    /// SQLite and local files under a directory.
    Embedded {
        /// Directory holding the database and evidence.
        path: PathBuf,
    },
}

/// Endpoints of the Azure backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureSettings {
    /// Cosmos DB account endpoint.
    pub cosmos_endpoint: String,
    /// Cosmos DB database.
    pub cosmos_database: String,
    /// Storage queue endpoint.
    pub queue_endpoint: String,
    /// Storage blob endpoint.
    pub blob_endpoint: Option<String>,
    /// User-assigned identity client id.
    pub managed_identity_client_id: Option<String>,
}

/// The secrets that authenticate each intake provider. A provider whose secret is not set
/// refuses requests with 503 naming the setting (fail closed).
#[derive(Clone, Default)]
pub struct IntakeSecrets {
    /// BambooHR private key.
    pub bamboohr: Option<SecretString>,
    /// Standard Webhooks secret.
    pub generic: Option<SecretString>,
    /// SCIM bearer token.
    pub scim: Option<SecretString>,
}

impl std::fmt::Debug for IntakeSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<SecretString>| if s.is_some() { "set" } else { "unset" };
        f.debug_struct("IntakeSecrets")
            .field("bamboohr", &set(&self.bamboohr))
            .field("generic", &set(&self.generic))
            .field("scim", &set(&self.scim))
            .finish()
    }
}

/// How evidence is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceSettings {
    /// Blob container.
    pub container: String,
    /// Whether immutability is enforced (and checked on every write).
    pub worm: bool,
    /// Retention of each blob, days.
    pub retention_days: u32,
    /// The evidence storage account's resource id (its immutability policy is read there).
    pub account_id: Option<String>,
    /// The resource manager endpoint.
    pub arm_endpoint: String,
}

/// Where Microsoft 365 is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    /// Graph base URL, with `/v1.0`.
    pub graph_endpoint: String,
    /// Exchange admin API base URL.
    pub exchange_endpoint: String,
    /// The tenant id, when configured.
    pub tenant_id: Option<String>,
    /// User-assigned identity client id.
    pub managed_identity_client_id: Option<String>,
    /// [`OFFBOARD_GRAPH_WRITE_QUOTA`] as set, read by the handler (which names the setting
    /// if it is malformed); unset means Graph's documented quota.
    pub graph_write_quota: Option<String>,
}

/// All of offboard's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Microsoft 365.
    pub tenant: TenantSettings,
    /// The offboarding policy.
    pub policy: std::sync::Arc<offboard_core::policy::Policy>,
    /// Storage backend.
    pub backend: Backend,
    /// Evidence.
    pub evidence: EvidenceSettings,
    /// Effective-time policy.
    pub effective: EffectivePolicy,
    /// Intake secrets.
    pub secrets: IntakeSecrets,
    /// Notification sinks.
    pub notify: NotifySettings,
    /// The on-prem agent, when a relay is configured.
    pub agent: Option<AgentSettings>,
    /// The systems outside Microsoft the leaver is deprovisioned in (the connector file).
    pub connectors: Vec<ConnectorConfig>,
    /// HR population sources of the ghost-access scan.
    pub population: PopulationSettings,
    /// Sign-in of people and GRC tools, when offboard's app registration is configured.
    pub signin: Option<SigninConfig>,
    /// Whether the compliance API's reads are also served to function-key callers
    /// ([`OFFBOARD_COMPLIANCE_FUNCTION_KEYS`]; off unless set).
    pub compliance_function_keys: bool,
    /// How long intake may spend cutting sign-in before answering.
    pub sign_in_cut_budget: std::time::Duration,
}

/// The Graph base URL with its version: `https://graph.microsoft.com` (as templates and
/// portals write it) means `https://graph.microsoft.com/v1.0`; a URL with a path is taken
/// as given (the tenant simulator's `http://127.0.0.1:P/v1.0`).
fn graph_endpoint(configured: Option<String>) -> String {
    let value = configured.unwrap_or_else(|| "https://graph.microsoft.com".into());
    let trimmed = value.trim_end_matches('/');
    let has_path = trimmed
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if has_path {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/v1.0")
    }
}

/// Trims a looked-up value; blank means unset.
fn trimmed(get: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl TenantSettings {
    /// Reads the Microsoft 365 settings alone (what `offboard plan` needs), with their
    /// defaults: Graph and Exchange Online in the public cloud.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Self {
        Self {
            graph_endpoint: graph_endpoint(trimmed(get, OFFBOARD_GRAPH_ENDPOINT)),
            exchange_endpoint: trimmed(get, OFFBOARD_EXCHANGE_ENDPOINT)
                .unwrap_or_else(|| "https://outlook.office365.com".into()),
            tenant_id: trimmed(get, OFFBOARD_TENANT_ID),
            managed_identity_client_id: trimmed(get, OFFBOARD_MANAGED_IDENTITY_CLIENT_ID),
            graph_write_quota: trimmed(get, OFFBOARD_GRAPH_WRITE_QUOTA),
        }
    }
}

/// Reads the policy `OFFBOARD_POLICY_FILE` names, or the built-in one when it is unset.
pub fn policy_from_lookup(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<offboard_core::policy::Policy, SettingsError> {
    match trimmed(get, OFFBOARD_POLICY_FILE) {
        None => Ok(offboard_core::policy::Policy::builtin()),
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| SettingsError {
                name: OFFBOARD_POLICY_FILE,
                detail: format!("cannot read {path}: {e}"),
            })?;
            offboard_core::policy::Policy::parse(&text).map_err(|e| SettingsError {
                name: OFFBOARD_POLICY_FILE,
                detail: format!("{path}: {e}"),
            })
        }
    }
}

impl Settings {
    /// Reads settings through `get` (the process environment in production).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let val = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let require = |name: &'static str| {
            val(name).ok_or_else(|| SettingsError {
                name,
                detail: "required with OFFBOARD_BACKEND=azure".into(),
            })
        };
        let backend = match val(OFFBOARD_BACKEND).as_deref().unwrap_or("azure") {
            "azure" => Backend::Azure(AzureSettings {
                cosmos_endpoint: require(OFFBOARD_COSMOS_ENDPOINT)?,
                cosmos_database: val(OFFBOARD_COSMOS_DATABASE).unwrap_or_else(|| "offboard".into()),
                queue_endpoint: require(OFFBOARD_STORAGE_QUEUE_ENDPOINT)?,
                blob_endpoint: val(OFFBOARD_STORAGE_BLOB_ENDPOINT),
                managed_identity_client_id: val(OFFBOARD_MANAGED_IDENTITY_CLIENT_ID),
            }),
            "embedded" => Backend::Embedded {
                path: PathBuf::from(
                    val(OFFBOARD_EMBEDDED_PATH).ok_or(SettingsError {
                        name: OFFBOARD_EMBEDDED_PATH,
                        detail:
                            "required with OFFBOARD_BACKEND=embedded: a directory for the database"
                                .into(),
                    })?,
                ),
            },
            other => {
                return Err(SettingsError {
                    name: OFFBOARD_BACKEND,
                    detail: format!("`{other}` is not a backend: use azure or embedded"),
                });
            }
        };
        let zone = val(OFFBOARD_TIME_ZONE).unwrap_or_else(|| "UTC".into());
        let time_zone = zone.parse::<Tz>().map_err(|_| SettingsError {
            name: OFFBOARD_TIME_ZONE,
            detail: format!("`{zone}` is not an IANA time zone (for example Europe/London)"),
        })?;
        let cutoff = match val(OFFBOARD_EFFECTIVE_CUTOFF) {
            None => Cutoff::EndOfDay,
            Some(c) => Cutoff::parse(&c).map_err(|e| SettingsError {
                name: OFFBOARD_EFFECTIVE_CUTOFF,
                detail: e.to_string(),
            })?,
        };
        // An app setting that is a Key Vault reference Azure could not resolve arrives as the
        // literal reference text: that is not a secret, and using it would let anyone who
        // knows the template sign requests. Treat it as unset (the provider fails closed).
        let secret = |name: &str| {
            val(name)
                .filter(|v| !v.starts_with("@Microsoft.KeyVault("))
                .map(SecretString::from)
        };
        // A secret that is set must be usable: weak or malformed stops the start, naming it.
        let checked = |name: &'static str,
                       rule: fn(&str) -> Result<(), String>|
         -> Result<Option<SecretString>, SettingsError> {
            let value = secret(name);
            if let Some(v) = &value {
                rule(v.expose_secret()).map_err(|detail| SettingsError { name, detail })?;
            }
            Ok(value)
        };
        let worm = match val(OFFBOARD_EVIDENCE_WORM).as_deref().unwrap_or("on") {
            "on" | "true" => true,
            "off" | "false" => false,
            other => {
                return Err(SettingsError {
                    name: OFFBOARD_EVIDENCE_WORM,
                    detail: format!("`{other}`: use on or off"),
                });
            }
        };
        let compliance_function_keys = match val(OFFBOARD_COMPLIANCE_FUNCTION_KEYS)
            .as_deref()
            .unwrap_or("off")
        {
            "on" | "true" => true,
            "off" | "false" => false,
            other => {
                return Err(SettingsError {
                    name: OFFBOARD_COMPLIANCE_FUNCTION_KEYS,
                    detail: format!("`{other}`: use on or off"),
                });
            }
        };
        let retention_days = match val(OFFBOARD_EVIDENCE_RETENTION_DAYS) {
            None => 2555,
            Some(d) => d
                .parse()
                .ok()
                .filter(|d| (1..=146_000).contains(d))
                .ok_or_else(|| SettingsError {
                    name: OFFBOARD_EVIDENCE_RETENTION_DAYS,
                    detail: format!("`{d}` is not a number of days from 1 to 146000"),
                })?,
        };
        let policy = policy_from_lookup(&get)?;
        let notify = NotifySettings {
            teams_webhook_url: secret(OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET),
            webhook_url: val(OFFBOARD_NOTIFY_WEBHOOK_URL)
                .map(|u| parse_webhook_url(&u))
                .transpose()?,
            webhook_secret: checked(OFFBOARD_NOTIFY_WEBHOOK_SECRET, secret_rules::webhook_secret)?,
            mail: parse_mail(val(OFFBOARD_NOTIFY_MAIL_FROM), val(OFFBOARD_NOTIFY_MAIL_TO))?,
        };
        let agent = match val(OFFBOARD_RELAY_NAMESPACE) {
            None => None,
            Some(namespace) => {
                let path = val(OFFBOARD_RELAY_HYBRID_CONNECTION)
                    .unwrap_or_else(|| DEFAULT_HYBRID_CONNECTION.into());
                let relay = parse_relay(&namespace, &path)?;
                let name = val(OFFBOARD_RELAY_SAS_KEY_NAME);
                let key = secret(OFFBOARD_RELAY_SAS_KEY);
                let auth = if name.is_none() && key.is_none() {
                    RelayAuth::ManagedIdentity
                } else {
                    RelayAuth::SharedAccessKey { name, key }
                };
                Some(AgentSettings {
                    relay,
                    auth,
                    signing_key: secret(OFFBOARD_AGENT_SIGNING_KEY),
                })
            }
        };
        let population = PopulationSettings::from_lookup(&val, &secret)?;
        Ok(Self {
            tenant: TenantSettings::from_lookup(&get),
            policy: std::sync::Arc::new(policy),
            backend,
            evidence: EvidenceSettings {
                container: val(OFFBOARD_EVIDENCE_CONTAINER).unwrap_or_else(|| "evidence".into()),
                worm,
                retention_days,
                account_id: val(OFFBOARD_EVIDENCE_ACCOUNT_ID),
                arm_endpoint: val(OFFBOARD_ARM_ENDPOINT)
                    .unwrap_or_else(|| "https://management.azure.com".into()),
            },
            effective: EffectivePolicy { time_zone, cutoff },
            secrets: IntakeSecrets {
                bamboohr: checked(OFFBOARD_BAMBOOHR_SECRET, secret_rules::bamboohr_key)?,
                generic: checked(
                    OFFBOARD_GENERIC_WEBHOOK_SECRET,
                    secret_rules::webhook_secret,
                )?,
                scim: checked(OFFBOARD_SCIM_TOKEN, secret_rules::scim_token)?,
            },
            notify,
            agent,
            connectors: connectors_from_lookup(&get)?,
            population,
            signin: parse_signin(
                val(OFFBOARD_SIGNIN_CLIENT_ID),
                val(OFFBOARD_SIGNIN_AUTHORITY),
                val(OFFBOARD_TENANT_ID),
                secret(OFFBOARD_SIGNIN_SESSION_KEY),
            )?,
            compliance_function_keys,
            sign_in_cut_budget: kill_switch::budget(val(OFFBOARD_SIGN_IN_CUT_BUDGET_MS))?,
        })
    }

    /// Reads settings from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}
