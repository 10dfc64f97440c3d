//! Every setting offboard reads, in one place. The infrastructure templates are checked
//! against the `OFFBOARD_*` names in this file, so a setting the code needs can never be
//! missing from a deployment.
//!
//! Secrets (`*_SECRET`, `*_TOKEN`, `*_KEY`) arrive as app settings that are Key Vault
//! references in Azure; they are held as [`SecretString`] and never logged.

use chrono_tz::Tz;
use offboard_core::effective::{Cutoff, EffectivePolicy};
use secrecy::SecretString;
use std::path::PathBuf;

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
        let policy = match val(OFFBOARD_POLICY_FILE) {
            None => offboard_core::policy::Policy::builtin(),
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| SettingsError {
                    name: OFFBOARD_POLICY_FILE,
                    detail: format!("cannot read {path}: {e}"),
                })?;
                offboard_core::policy::Policy::parse(&text).map_err(|e| SettingsError {
                    name: OFFBOARD_POLICY_FILE,
                    detail: format!("{path}: {e}"),
                })?
            }
        };
        Ok(Self {
            tenant: TenantSettings {
                graph_endpoint: val(OFFBOARD_GRAPH_ENDPOINT)
                    .unwrap_or_else(|| "https://graph.microsoft.com/v1.0".into()),
                exchange_endpoint: val(OFFBOARD_EXCHANGE_ENDPOINT)
                    .unwrap_or_else(|| "https://outlook.office365.com".into()),
                tenant_id: val(OFFBOARD_TENANT_ID),
                managed_identity_client_id: val(OFFBOARD_MANAGED_IDENTITY_CLIENT_ID),
            },
            policy: std::sync::Arc::new(policy),
            backend,
            evidence: EvidenceSettings {
                container: val(OFFBOARD_EVIDENCE_CONTAINER).unwrap_or_else(|| "evidence".into()),
                worm,
                retention_days,
            },
            effective: EffectivePolicy { time_zone, cutoff },
            secrets: IntakeSecrets {
                bamboohr: secret(OFFBOARD_BAMBOOHR_SECRET),
                generic: secret(OFFBOARD_GENERIC_WEBHOOK_SECRET),
                scim: secret(OFFBOARD_SCIM_TOKEN),
            },
        })
    }

    /// Reads settings from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
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
            (OFFBOARD_SCIM_TOKEN, "t0ken"),
        ]))
        .unwrap();
        assert!(matches!(s.backend, Backend::Azure(_)));
        assert_eq!(s.effective.time_zone, chrono_tz::Europe::Berlin);
        assert!(!format!("{s:?}").contains("t0ken"));
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
            (OFFBOARD_SCIM_TOKEN, "real-token"),
        ]))
        .unwrap();
        assert!(s.secrets.bamboohr.is_none());
        assert!(s.secrets.scim.is_some());
        assert!(s.evidence.worm);
        assert_eq!(s.evidence.retention_days, 2555);
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
