//! Where HR's population comes from for the ghost-access scan: which sources, their URLs and
//! credentials. A source that is listed but not fully configured is not an error at start: the
//! scan fails that source with a finding naming the setting, so the rest of offboard runs.

use secrecy::SecretString;

use super::error::SettingsError;
use super::names::*;
use super::notify::url_is_allowed;

/// One HR population source.
#[derive(Clone)]
pub enum PopulationSource {
    /// BambooHR's custom report API.
    Bamboohr {
        /// API base (`.../api/gateway.php/{companyDomain}`), if set.
        url: Option<url::Url>,
        /// API key.
        key: Option<SecretString>,
    },
    /// A CSV or JSON export over HTTPS.
    Report {
        /// The report's URL, if set.
        url: Option<url::Url>,
        /// Basic-auth user or OAuth client id.
        user: Option<String>,
        /// Basic-auth password or OAuth client secret.
        secret: Option<SecretString>,
        /// OAuth token endpoint (client credentials) instead of Basic auth.
        token_url: Option<url::Url>,
    },
    /// Entra ID's own `employeeLeaveDateTime`.
    Entra,
}

impl PopulationSource {
    /// The source's name (`bamboohr`, `report`, `entra`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Bamboohr { .. } => "bamboohr",
            Self::Report { .. } => "report",
            Self::Entra => "entra",
        }
    }

    /// The setting that configures it (named in findings and notifications).
    pub fn setting(&self) -> &'static str {
        match self {
            Self::Bamboohr { .. } => OFFBOARD_POPULATION_BAMBOOHR_URL,
            Self::Report { .. } => OFFBOARD_POPULATION_REPORT_URL,
            Self::Entra => OFFBOARD_POPULATION_SOURCES,
        }
    }
}

impl std::fmt::Debug for PopulationSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<SecretString>| if s.is_some() { "set" } else { "unset" };
        match self {
            Self::Bamboohr { url, key } => f
                .debug_struct("Bamboohr")
                .field("url", &url.as_ref().map(url::Url::as_str))
                .field("key", &set(key))
                .finish(),
            Self::Report {
                url,
                user,
                secret,
                token_url,
            } => f
                .debug_struct("Report")
                .field("url", &url.as_ref().map(url::Url::as_str))
                .field("user", user)
                .field("secret", &set(secret))
                .field("token_url", &token_url.as_ref().map(url::Url::as_str))
                .finish(),
            Self::Entra => f.write_str("Entra"),
        }
    }
}

/// The scan's population sources.
#[derive(Debug, Clone, Default)]
pub struct PopulationSettings {
    /// In the order listed.
    pub sources: Vec<PopulationSource>,
}

/// A URL a source may be read from: `https`, or `http` on loopback (local stand-ins). Anything
/// else is kept as `None` and the scan names the setting.
fn source_url(value: Option<String>) -> Option<url::Url> {
    value
        .and_then(|v| url::Url::parse(&v).ok())
        .filter(url_is_allowed)
        .filter(|u| u.username().is_empty() && u.password().is_none())
}

impl PopulationSettings {
    /// Reads the population settings; `secret` resolves a secret setting (unset when its Key
    /// Vault reference did not resolve).
    pub(super) fn from_lookup(
        val: &impl Fn(&str) -> Option<String>,
        secret: &impl Fn(&str) -> Option<SecretString>,
    ) -> Result<Self, SettingsError> {
        let mut sources = Vec::new();
        for name in val(OFFBOARD_POPULATION_SOURCES)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            sources.push(match name {
                "bamboohr" => PopulationSource::Bamboohr {
                    url: source_url(val(OFFBOARD_POPULATION_BAMBOOHR_URL)),
                    key: secret(OFFBOARD_POPULATION_BAMBOOHR_KEY),
                },
                "report" => PopulationSource::Report {
                    url: source_url(val(OFFBOARD_POPULATION_REPORT_URL)),
                    user: val(OFFBOARD_POPULATION_REPORT_USER),
                    secret: secret(OFFBOARD_POPULATION_REPORT_SECRET),
                    token_url: source_url(val(OFFBOARD_POPULATION_REPORT_TOKEN_URL)),
                },
                "entra" => PopulationSource::Entra,
                other => {
                    return Err(SettingsError {
                        name: OFFBOARD_POPULATION_SOURCES,
                        detail: format!(
                            "`{other}` is not a population source: use bamboohr, report or entra"
                        ),
                    });
                }
            });
        }
        Ok(Self { sources })
    }
}
