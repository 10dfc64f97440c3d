//! Every setting offboard reads, in one place. The infrastructure templates are checked
//! against the `OFFBOARD_*` names in this file, so a setting the code needs can never be
//! missing from a deployment.
//!
//! Secrets (`*_SECRET`, `*_TOKEN`, `*_KEY`) arrive as app settings that are Key Vault
//! references in Azure; they are held as [`SecretString`] and never logged.

use chrono_tz::Tz;
use offboard_core::effective::{Cutoff, EffectivePolicy};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

pub mod secret_rules;

/// `azure` (Cosmos DB + Storage, managed identity) or `embedded` (SQLite + files).
pub const OFFBOARD_BACKEND: &str = "OFFBOARD_BACKEND";
/// Directory of the embedded backend's database and evidence files.
pub const OFFBOARD_EMBEDDED_PATH: &str = "OFFBOARD_EMBEDDED_PATH";
/// The company's IANA time zone for date-only terminations (default UTC).
pub const OFFBOARD_TIME_ZONE: &str = "OFFBOARD_TIME_ZONE";
/// Local time at which a date-only termination takes effect: `end-of-day` (default) or `HH:MM`.
pub const OFFBOARD_EFFECTIVE_CUTOFF: &str = "OFFBOARD_EFFECTIVE_CUTOFF";
/// BambooHR webhook private key.
pub const OFFBOARD_BAMBOOHR_SECRET: &str = "OFFBOARD_BAMBOOHR_SECRET";
/// Standard Webhooks secret (`whsec_...`) for `/api/hris/generic`.
pub const OFFBOARD_GENERIC_WEBHOOK_SECRET: &str = "OFFBOARD_GENERIC_WEBHOOK_SECRET";
/// Bearer token SCIM clients present.
pub const OFFBOARD_SCIM_TOKEN: &str = "OFFBOARD_SCIM_TOKEN";
/// Cosmos DB account endpoint (`https://<account>.documents.azure.com/`).
pub const OFFBOARD_COSMOS_ENDPOINT: &str = "OFFBOARD_COSMOS_ENDPOINT";
/// Cosmos DB database name (default `offboard`).
pub const OFFBOARD_COSMOS_DATABASE: &str = "OFFBOARD_COSMOS_DATABASE";
/// Storage queue service endpoint (`https://<account>.queue.core.windows.net/`).
pub const OFFBOARD_STORAGE_QUEUE_ENDPOINT: &str = "OFFBOARD_STORAGE_QUEUE_ENDPOINT";
/// Storage blob service endpoint (`https://<account>.blob.core.windows.net/`).
pub const OFFBOARD_STORAGE_BLOB_ENDPOINT: &str = "OFFBOARD_STORAGE_BLOB_ENDPOINT";
/// Client id of the user-assigned managed identity (unset: system-assigned).
pub const OFFBOARD_MANAGED_IDENTITY_CLIENT_ID: &str = "OFFBOARD_MANAGED_IDENTITY_CLIENT_ID";
/// Microsoft Graph endpoint (default `https://graph.microsoft.com/v1.0`; locally the tenant
/// simulator).
pub const OFFBOARD_GRAPH_ENDPOINT: &str = "OFFBOARD_GRAPH_ENDPOINT";
/// Exchange Online admin API host (default `https://outlook.office365.com`).
pub const OFFBOARD_EXCHANGE_ENDPOINT: &str = "OFFBOARD_EXCHANGE_ENDPOINT";
/// The Entra tenant id (the Exchange admin API addresses the tenant by id).
pub const OFFBOARD_TENANT_ID: &str = "OFFBOARD_TENANT_ID";
/// Path of the policy file (default: the built-in `config/policy.toml`).
pub const OFFBOARD_POLICY_FILE: &str = "OFFBOARD_POLICY_FILE";
/// Blob container holding evidence (default `evidence`).
pub const OFFBOARD_EVIDENCE_CONTAINER: &str = "OFFBOARD_EVIDENCE_CONTAINER";
/// `on` (default): every evidence blob gets a legal hold and a retention policy, read back.
/// `off`: only for stores that cannot do it (Azurite); every output then says
/// "WORM not enforced".
pub const OFFBOARD_EVIDENCE_WORM: &str = "OFFBOARD_EVIDENCE_WORM";
/// Days an evidence blob is retained under its time-based policy (default 2555, seven years).
pub const OFFBOARD_EVIDENCE_RETENTION_DAYS: &str = "OFFBOARD_EVIDENCE_RETENTION_DAYS";
/// Resource id of the evidence storage account, where the handler reads its (locked) default
/// immutability policy; required with `OFFBOARD_EVIDENCE_WORM` on and the azure backend.
pub const OFFBOARD_EVIDENCE_ACCOUNT_ID: &str = "OFFBOARD_EVIDENCE_ACCOUNT_ID";
/// The Azure Resource Manager endpoint (default `https://management.azure.com`).
pub const OFFBOARD_ARM_ENDPOINT: &str = "OFFBOARD_ARM_ENDPOINT";
/// The Microsoft Teams webhook URL notifications are posted to: a Workflows "When a Teams
/// webhook request is received" URL, or a legacy Incoming Webhook URL. A secret (whoever holds
/// the URL can post to the channel; Workflows URLs carry a `sig=` signature), so it is a Key
/// Vault reference in Azure and never logged. Unset: no Teams notifications.
pub const OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET: &str =
    "OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET";
/// HTTPS endpoint that receives notifications as signed JSON (Standard Webhooks). Not a
/// secret: the receiver authenticates each request by its signature, so the URL must not carry
/// credentials. Unset: no webhook notifications.
pub const OFFBOARD_NOTIFY_WEBHOOK_URL: &str = "OFFBOARD_NOTIFY_WEBHOOK_URL";
/// Standard Webhooks signing secret (`whsec_<base64>`) for [`OFFBOARD_NOTIFY_WEBHOOK_URL`];
/// the receiver verifies `webhook-signature` with it. A secret (Key Vault reference in Azure),
/// distinct from the intake's `OFFBOARD_GENERIC_WEBHOOK_SECRET`.
pub const OFFBOARD_NOTIFY_WEBHOOK_SECRET: &str = "OFFBOARD_NOTIFY_WEBHOOK_SECRET";
/// Mailbox notifications are sent from through Graph `sendMail` (UPN, mail address or object
/// id; the app's `Mail.Send` permission lets it send as any mailbox, so scope it with an
/// Exchange application access policy). Set together with [`OFFBOARD_NOTIFY_MAIL_TO`].
pub const OFFBOARD_NOTIFY_MAIL_FROM: &str = "OFFBOARD_NOTIFY_MAIL_FROM";
/// Recipients of notification mail, separated by commas or semicolons (for example a
/// compliance team's shared mailbox). Set together with [`OFFBOARD_NOTIFY_MAIL_FROM`].
pub const OFFBOARD_NOTIFY_MAIL_TO: &str = "OFFBOARD_NOTIFY_MAIL_TO";

/// The Azure Relay namespace the on-prem agent listens on (`contoso.servicebus.windows.net`).
/// Unset: the AD steps of synced leavers wait, visibly, for an agent to be configured. A local
/// relay for tests is given as `http://127.0.0.1:PORT` (plain HTTP only on loopback).
pub const OFFBOARD_RELAY_NAMESPACE: &str = "OFFBOARD_RELAY_NAMESPACE";
/// The hybrid connection (path) the agent listens on (default `offboard-agent`).
pub const OFFBOARD_RELAY_HYBRID_CONNECTION: &str = "OFFBOARD_RELAY_HYBRID_CONNECTION";
/// Name of a relay SAS rule with the Send right. Unset (with [`OFFBOARD_RELAY_SAS_KEY`] unset):
/// the handler sends with its managed identity's Entra ID token (Azure Relay Sender role).
pub const OFFBOARD_RELAY_SAS_KEY_NAME: &str = "OFFBOARD_RELAY_SAS_KEY_NAME";
/// The key of [`OFFBOARD_RELAY_SAS_KEY_NAME`]: a secret (Key Vault reference in Azure).
pub const OFFBOARD_RELAY_SAS_KEY: &str = "OFFBOARD_RELAY_SAS_KEY";
/// The Ed25519 key the handler signs agent commands with: the 32-byte seed in standard base64,
/// as `offboard-agent keygen` writes it. A secret (Key Vault reference in Azure); the agent
/// trusts its public half.
pub const OFFBOARD_AGENT_SIGNING_KEY: &str = "OFFBOARD_AGENT_SIGNING_KEY";
/// Graph's write quota for this app in the tenant, as `WRITES/SECONDS` (default `3000/150`,
/// Graph's identity and access write limit): every Graph client of an instance paces its
/// writes to it. Lower it when several instances or other apps share the app registration.
pub const OFFBOARD_GRAPH_WRITE_QUOTA: &str = "OFFBOARD_GRAPH_WRITE_QUOTA";

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

/// Where notifications go (see [`crate::sinks`]). Every field unset means no sink: each
/// notification is then only logged, with a warning that no sink is configured.
///
/// Secrets are held as they arrived, unparsed: a secret that is unset (or whose Key Vault
/// reference did not resolve) while its companion setting is set does not stop the handler;
/// that sink fails each delivery with a message naming the setting, and the other sinks work.
#[derive(Clone, Default)]
pub struct NotifySettings {
    /// Teams webhook URL ([`OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET`]).
    pub teams_webhook_url: Option<SecretString>,
    /// Signed webhook endpoint ([`OFFBOARD_NOTIFY_WEBHOOK_URL`]), checked to be `https` (plain
    /// `http` only on loopback, for local receivers) and free of credentials.
    pub webhook_url: Option<url::Url>,
    /// Signing secret of the webhook ([`OFFBOARD_NOTIFY_WEBHOOK_SECRET`]).
    pub webhook_secret: Option<SecretString>,
    /// Email through Graph, when both sender and recipients are set.
    pub mail: Option<MailSettings>,
}

impl std::fmt::Debug for NotifySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<SecretString>| if s.is_some() { "set" } else { "unset" };
        f.debug_struct("NotifySettings")
            .field("teams_webhook_url", &set(&self.teams_webhook_url))
            .field(
                "webhook_url",
                &self.webhook_url.as_ref().map(|u| u.as_str()),
            )
            .field("webhook_secret", &set(&self.webhook_secret))
            .field("mail", &self.mail)
            .finish()
    }
}

/// Notification mail: who sends it and who receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The sending mailbox ([`OFFBOARD_NOTIFY_MAIL_FROM`]).
    pub from: String,
    /// The recipients ([`OFFBOARD_NOTIFY_MAIL_TO`]), at least one.
    pub to: Vec<String>,
}

/// How the handler authenticates to the relay.
#[derive(Clone)]
pub enum RelayAuth {
    /// The managed identity's Entra ID token (the identity needs the Azure Relay Sender role on
    /// the hybrid connection). Chosen when neither SAS setting is set.
    ManagedIdentity,
    /// A SAS rule with the Send right. Either half may be missing (an unresolved Key Vault
    /// reference, a forgotten name): the AD steps then fail with a message naming the setting.
    SharedAccessKey {
        /// [`OFFBOARD_RELAY_SAS_KEY_NAME`].
        name: Option<String>,
        /// [`OFFBOARD_RELAY_SAS_KEY`].
        key: Option<SecretString>,
    },
}

impl std::fmt::Debug for RelayAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ManagedIdentity => f.write_str("ManagedIdentity"),
            Self::SharedAccessKey { name, key } => f
                .debug_struct("SharedAccessKey")
                .field("name", name)
                .field("key", &if key.is_some() { "set" } else { "unset" })
                .finish(),
        }
    }
}

/// How the handler reaches the on-prem agent (the AD steps of synced leavers). Present when
/// [`OFFBOARD_RELAY_NAMESPACE`] is set.
///
/// Secrets are held as they arrived, unparsed, like the notification secrets: one that is unset
/// or malformed does not stop the handler (cloud offboarding goes on); the AD steps then fail
/// with a message naming the setting, and a remediation item is opened.
#[derive(Clone)]
pub struct AgentSettings {
    /// The hybrid connection.
    pub relay: offboard_relay::RelayEndpoint,
    /// How to authenticate to it.
    pub auth: RelayAuth,
    /// [`OFFBOARD_AGENT_SIGNING_KEY`].
    pub signing_key: Option<SecretString>,
}

impl std::fmt::Debug for AgentSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSettings")
            .field("relay", &self.relay)
            .field("auth", &self.auth)
            .field(
                "signing_key",
                &if self.signing_key.is_some() {
                    "set"
                } else {
                    "unset"
                },
            )
            .finish()
    }
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
}

/// A setting with a value offboard cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {name}: {detail}")]
pub struct SettingsError {
    /// The setting.
    pub name: &'static str,
    /// What is wrong and what to set.
    pub detail: String,
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
        })
    }

    /// Reads settings from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}

/// Whether `url` may receive notifications: `https`, or `http` on a loopback address (a local
/// receiver). Shared with the sinks, which apply it to the Teams URL too.
pub(crate) fn url_is_allowed(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

fn parse_webhook_url(value: &str) -> Result<url::Url, SettingsError> {
    let refuse = |detail: &str| SettingsError {
        name: OFFBOARD_NOTIFY_WEBHOOK_URL,
        detail: detail.to_owned(),
    };
    let url = url::Url::parse(value)
        .map_err(|e| refuse(&format!("not a URL ({e}): set the receiver's https URL")))?;
    if !url_is_allowed(&url) {
        return Err(refuse(
            "must be an https URL (plain http only on localhost or 127.0.0.1, for a local receiver)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "must not carry credentials (user:password@); the receiver authenticates requests by their Standard Webhooks signature (OFFBOARD_NOTIFY_WEBHOOK_SECRET)",
        ));
    }
    Ok(url)
}

/// The hybrid connection offboard's templates create (and the agent's example config names).
pub const DEFAULT_HYBRID_CONNECTION: &str = "offboard-agent";

/// The relay endpoint: a namespace host (`contoso.servicebus.windows.net`, reached over
/// `https`/`wss`), or `http://127.0.0.1:PORT` for a local relay (plain only on loopback).
fn parse_relay(
    namespace: &str,
    path: &str,
) -> Result<offboard_relay::RelayEndpoint, SettingsError> {
    let refuse = |name: &'static str, detail: String| SettingsError { name, detail };
    let endpoint = if let Some(rest) = namespace.strip_prefix("http://") {
        let url = url::Url::parse(namespace).map_err(|e| {
            refuse(
                OFFBOARD_RELAY_NAMESPACE,
                format!("`{namespace}` is not a URL ({e})"),
            )
        })?;
        if !url_is_allowed(&url) {
            return Err(refuse(
                OFFBOARD_RELAY_NAMESPACE,
                format!(
                    "`{namespace}`: plain http is only for a local relay on localhost or 127.0.0.1; give the namespace host (contoso.servicebus.windows.net) to use https"
                ),
            ));
        }
        offboard_relay::RelayEndpoint::plain_for_local_tests(rest.trim_end_matches('/'), path)
    } else {
        offboard_relay::RelayEndpoint::new(namespace, path)
    };
    endpoint.map_err(|e| match e {
        offboard_relay::EndpointError::Path(_) => {
            refuse(OFFBOARD_RELAY_HYBRID_CONNECTION, e.to_string())
        }
        offboard_relay::EndpointError::Namespace(_) => {
            refuse(OFFBOARD_RELAY_NAMESPACE, e.to_string())
        }
    })
}

/// An address Graph can resolve: `local@domain`, without spaces or angle brackets.
fn looks_like_address(a: &str) -> bool {
    match a.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !a.contains(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
        }
        None => false,
    }
}

fn parse_mail(
    from: Option<String>,
    to: Option<String>,
) -> Result<Option<MailSettings>, SettingsError> {
    let (from, to) = match (from, to) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(SettingsError {
                name: OFFBOARD_NOTIFY_MAIL_TO,
                detail: format!(
                    "required when {OFFBOARD_NOTIFY_MAIL_FROM} is set: the addresses notification mail goes to, separated by commas"
                ),
            });
        }
        (None, Some(_)) => {
            return Err(SettingsError {
                name: OFFBOARD_NOTIFY_MAIL_FROM,
                detail: format!(
                    "required when {OFFBOARD_NOTIFY_MAIL_TO} is set: the mailbox (UPN or object id) notification mail is sent from"
                ),
            });
        }
        (Some(f), Some(t)) => (f, t),
    };
    let is_object_id = uuid::Uuid::parse_str(&from).is_ok();
    if !is_object_id && !looks_like_address(&from) {
        return Err(SettingsError {
            name: OFFBOARD_NOTIFY_MAIL_FROM,
            detail: format!(
                "`{from}` is neither a mailbox address (user@contoso.com) nor an object id"
            ),
        });
    }
    let to: Vec<String> = split_addresses(&to);
    if to.is_empty() {
        return Err(SettingsError {
            name: OFFBOARD_NOTIFY_MAIL_TO,
            detail: "lists no address: give at least one, separated by commas".into(),
        });
    }
    if let Some(bad) = to.iter().find(|a| !looks_like_address(a)) {
        return Err(SettingsError {
            name: OFFBOARD_NOTIFY_MAIL_TO,
            detail: format!("`{bad}` is not a mail address (user@contoso.com)"),
        });
    }
    Ok(Some(MailSettings { from, to }))
}

fn split_addresses(list: &str) -> Vec<String> {
    list.split([',', ';'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn azure_needs_its_endpoints_and_names_the_missing_one() {
        let err = Settings::from_lookup(lookup(&[])).unwrap_err();
        assert_eq!(err.name, OFFBOARD_COSMOS_ENDPOINT);
        let s = Settings::from_lookup(lookup(&[
            (OFFBOARD_COSMOS_ENDPOINT, "https://a.documents.azure.com/"),
            (
                OFFBOARD_STORAGE_QUEUE_ENDPOINT,
                "https://a.queue.core.windows.net/",
            ),
            (OFFBOARD_TIME_ZONE, "Europe/Berlin"),
            (OFFBOARD_SCIM_TOKEN, "t0ken-0123456789abcdef0123456789ab"),
        ]))
        .unwrap();
        assert!(matches!(s.backend, Backend::Azure(_)));
        assert_eq!(s.effective.time_zone, chrono_tz::Europe::Berlin);
        assert!(!format!("{s:?}").contains("t0ken"));
    }

    #[test]
    fn graph_endpoint_gets_its_version() {
        assert_eq!(graph_endpoint(None), "https://graph.microsoft.com/v1.0");
        assert_eq!(
            graph_endpoint(Some("https://graph.microsoft.com/".into())),
            "https://graph.microsoft.com/v1.0"
        );
        assert_eq!(
            graph_endpoint(Some("http://127.0.0.1:9/v1.0".into())),
            "http://127.0.0.1:9/v1.0"
        );
    }

    #[test]
    fn unresolved_key_vault_references_count_as_unset() {
        let s = Settings::from_lookup(lookup(&[
            (OFFBOARD_BACKEND, "embedded"),
            (OFFBOARD_EMBEDDED_PATH, "/tmp/x"),
            (
                OFFBOARD_BAMBOOHR_SECRET,
                "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/bamboohr/)",
            ),
            (OFFBOARD_SCIM_TOKEN, "real-token-0123456789abcdef0123456789"),
        ]))
        .unwrap();
        assert!(s.secrets.bamboohr.is_none());
        assert!(s.secrets.scim.is_some());
        assert!(s.evidence.worm);
        assert_eq!(s.evidence.retention_days, 2555);
    }

    fn embedded(extra: &[(&'static str, &'static str)]) -> Result<Settings, SettingsError> {
        let mut pairs = vec![
            (OFFBOARD_BACKEND, "embedded"),
            (OFFBOARD_EMBEDDED_PATH, "/tmp/x"),
        ];
        pairs.extend_from_slice(extra);
        Settings::from_lookup(lookup(&pairs))
    }

    #[test]
    fn notification_settings_are_parsed_and_secrets_stay_out_of_debug() {
        let s = embedded(&[]).unwrap();
        assert!(s.notify.teams_webhook_url.is_none());
        assert!(s.notify.webhook_url.is_none() && s.notify.mail.is_none());
        let s = embedded(&[
            (
                OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET,
                "https://contoso.webhook.office.com/webhookb2/abc?sig=t3amsSig",
            ),
            (
                OFFBOARD_NOTIFY_WEBHOOK_URL,
                "https://hooks.contoso.com/offboard",
            ),
            (
                OFFBOARD_NOTIFY_WEBHOOK_SECRET,
                "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3ODk=",
            ),
            (OFFBOARD_NOTIFY_MAIL_FROM, "offboard@contoso.com"),
            (
                OFFBOARD_NOTIFY_MAIL_TO,
                "it-sec@contoso.com; compliance@contoso.com,",
            ),
        ])
        .unwrap();
        assert!(s.notify.teams_webhook_url.is_some());
        assert_eq!(
            s.notify.mail,
            Some(MailSettings {
                from: "offboard@contoso.com".into(),
                to: vec!["it-sec@contoso.com".into(), "compliance@contoso.com".into()],
            })
        );
        let debug = format!("{s:?}");
        assert!(!debug.contains("t3amsSig") && !debug.contains("c2VjcmV0"));
        assert!(
            debug.contains("hooks.contoso.com"),
            "the plain URL is shown"
        );
        // An unresolved Key Vault reference is unset, like every secret.
        let s = embedded(&[(
            OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET,
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/notify-teams-webhook-url/)",
        )])
        .unwrap();
        assert!(s.notify.teams_webhook_url.is_none());
        // A mailbox given by object id.
        let s = embedded(&[
            (
                OFFBOARD_NOTIFY_MAIL_FROM,
                "5f0b2d4e-6a7c-4d8e-9f01-23456789abcd",
            ),
            (OFFBOARD_NOTIFY_MAIL_TO, "it@contoso.com"),
        ])
        .unwrap();
        assert!(s.notify.mail.is_some());
    }

    #[test]
    fn bad_notification_settings_are_refused_with_the_setting_name() {
        for (pairs, name) in [
            (
                vec![(OFFBOARD_NOTIFY_WEBHOOK_URL, "http://hooks.contoso.com/x")],
                OFFBOARD_NOTIFY_WEBHOOK_URL,
            ),
            (
                vec![(
                    OFFBOARD_NOTIFY_WEBHOOK_URL,
                    "https://u:pw@hooks.contoso.com/x",
                )],
                OFFBOARD_NOTIFY_WEBHOOK_URL,
            ),
            (
                vec![(OFFBOARD_NOTIFY_WEBHOOK_URL, "hooks.contoso.com")],
                OFFBOARD_NOTIFY_WEBHOOK_URL,
            ),
            (
                vec![(OFFBOARD_NOTIFY_MAIL_FROM, "offboard@contoso.com")],
                OFFBOARD_NOTIFY_MAIL_TO,
            ),
            (
                vec![(OFFBOARD_NOTIFY_MAIL_TO, "it@contoso.com")],
                OFFBOARD_NOTIFY_MAIL_FROM,
            ),
            (
                vec![
                    (OFFBOARD_NOTIFY_MAIL_FROM, "offboard"),
                    (OFFBOARD_NOTIFY_MAIL_TO, "it@contoso.com"),
                ],
                OFFBOARD_NOTIFY_MAIL_FROM,
            ),
            (
                vec![
                    (OFFBOARD_NOTIFY_MAIL_FROM, "offboard@contoso.com"),
                    (
                        OFFBOARD_NOTIFY_MAIL_TO,
                        "it@contoso.com, IT Team <it@contoso>",
                    ),
                ],
                OFFBOARD_NOTIFY_MAIL_TO,
            ),
            (
                vec![
                    (OFFBOARD_NOTIFY_MAIL_FROM, "offboard@contoso.com"),
                    (OFFBOARD_NOTIFY_MAIL_TO, " ; , "),
                ],
                OFFBOARD_NOTIFY_MAIL_TO,
            ),
        ] {
            let err = embedded(&pairs).unwrap_err();
            assert_eq!(err.name, name, "{pairs:?}: {err}");
        }
        let ok = embedded(&[(OFFBOARD_NOTIFY_WEBHOOK_URL, "http://127.0.0.1:9/hook")]).unwrap();
        assert!(
            ok.notify.webhook_url.is_some(),
            "plain http on loopback is allowed"
        );
    }

    #[test]
    fn the_agent_is_configured_by_the_relay_namespace_and_its_secrets_stay_hidden() {
        assert!(embedded(&[]).unwrap().agent.is_none(), "no relay, no agent");
        let s = embedded(&[
            (
                OFFBOARD_RELAY_NAMESPACE,
                "Contoso-Relay.servicebus.windows.net",
            ),
            (
                OFFBOARD_AGENT_SIGNING_KEY,
                "c2lnbmluZy1rZXktc2VlZC0wMTIzNDU2Nzg5YWJjZGVm",
            ),
        ])
        .unwrap();
        let a = s.agent.clone().unwrap();
        assert_eq!(a.relay.namespace(), "contoso-relay.servicebus.windows.net");
        assert_eq!(a.relay.path(), DEFAULT_HYBRID_CONNECTION);
        assert!(a.relay.is_secure());
        assert!(matches!(a.auth, RelayAuth::ManagedIdentity));
        assert!(a.signing_key.is_some());
        assert!(!format!("{s:?}").contains("c2lnbmluZy1rZXk"));

        let s = embedded(&[
            (OFFBOARD_RELAY_NAMESPACE, "http://127.0.0.1:5555"),
            (OFFBOARD_RELAY_HYBRID_CONNECTION, "hc-test"),
            (OFFBOARD_RELAY_SAS_KEY_NAME, "offboard-send"),
            (OFFBOARD_RELAY_SAS_KEY, "s3cretSasKey"),
            (
                OFFBOARD_AGENT_SIGNING_KEY,
                "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/agent-signing-key/)",
            ),
        ])
        .unwrap();
        let a = s.agent.clone().unwrap();
        assert!(!a.relay.is_secure(), "a local relay on loopback");
        assert_eq!(a.relay.path(), "hc-test");
        assert!(
            matches!(&a.auth, RelayAuth::SharedAccessKey { name: Some(n), key: Some(_) } if n == "offboard-send")
        );
        assert!(a.signing_key.is_none(), "unresolved reference = unset");
        assert!(!format!("{s:?}").contains("s3cretSasKey"));

        for (pairs, name) in [
            (
                vec![(OFFBOARD_RELAY_NAMESPACE, "http://relay.contoso.com")],
                OFFBOARD_RELAY_NAMESPACE,
            ),
            (
                vec![(OFFBOARD_RELAY_NAMESPACE, "bad host/x")],
                OFFBOARD_RELAY_NAMESPACE,
            ),
            (
                vec![
                    (OFFBOARD_RELAY_NAMESPACE, "ns.servicebus.windows.net"),
                    (OFFBOARD_RELAY_HYBRID_CONNECTION, "a b"),
                ],
                OFFBOARD_RELAY_HYBRID_CONNECTION,
            ),
        ] {
            let err = embedded(&pairs).unwrap_err();
            assert_eq!(err.name, name, "{pairs:?}: {err}");
        }
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_name() {
        let err = Settings::from_lookup(lookup(&[
            (OFFBOARD_BACKEND, "embedded"),
            (OFFBOARD_EMBEDDED_PATH, "/tmp/x"),
            (OFFBOARD_TIME_ZONE, "Nowhere/Land"),
        ]))
        .unwrap_err();
        assert_eq!(err.name, OFFBOARD_TIME_ZONE);
    }
}
