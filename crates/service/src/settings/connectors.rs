//! The connector file: the systems outside Microsoft offboard deprovisions the leaver in,
//! named by `OFFBOARD_CONNECTORS_FILE` and read once at start. Every mistake stops the start
//! with the file, the line and what to change; the file holds no secret, only the names of
//! the settings that do (Key Vault references in Azure).
//!
//! ```toml
//! [[connector]]
//! name = "salesforce"                       # step connector:salesforce, column removed_at_salesforce
//! kind = "scim"
//! base_url = "https://contoso.my.salesforce.com/services/scim/v2"
//! action = "deactivate"                     # or "delete"; default deactivate
//! find = [{ attribute = "userName", from = "userPrincipalName" },
//!         { attribute = "emails", from = "mail" }]
//! auth = { type = "bearer", token_setting = "OFFBOARD_CONNECTOR_SALESFORCE_TOKEN" }
//! ```
//!
//!
//! A system Entra ID's own provisioning service feeds (an enterprise app with automatic
//! provisioning) is not called by offboard: Entra disables the leaver there, and offboard reads
//! Entra's provisioning logs for it.
//!
//! ```toml
//! [[connector]]
//! name = "slack"
//! kind = "entra-provisioning"
//! service_principal_id = "6f1c1c3e-8f0b-4f55-9a55-1f0a2b3c4d5e"  # the enterprise app's object id
//! display_name = "Slack"                    # optional, for people
//! wait_minutes = 40                         # optional; default 40 (one provisioning cycle)
//! ```

use secrecy::SecretString;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use offboard_core::plan::ConnectorName;

use super::error::SettingsError;
use super::names::OFFBOARD_CONNECTORS_FILE;

/// The prefix every setting a connector file names must have, so a connector file cannot
/// make offboard read (and send to another system) one of its own secrets.
pub const CONNECTOR_SETTING_PREFIX: &str = "OFFBOARD_CONNECTOR_";

/// One configured system.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    /// Its name (the step, the evidence's target system, the report column).
    pub name: ConnectorName,
    /// The line of the connector file it was declared on (for messages).
    pub line: usize,
    /// What it is and how to reach it.
    pub kind: ConnectorKind,
}

/// What a connector is.
#[derive(Debug, Clone)]
pub enum ConnectorKind {
    /// A SCIM 2.0 service provider offboard calls itself.
    Scim(Box<ScimConnector>),
    /// A system Entra ID's provisioning service deprovisions; offboard reads the logs.
    EntraProvisioning(ProvisionedApp),
}

/// The default wait for Entra's provisioning service: one incremental cycle (about 40
/// minutes, as Microsoft documents it for most apps).
pub const DEFAULT_PROVISIONING_WAIT_MINUTES: u32 = 40;

/// The longest wait a connector file may ask for (a day).
pub const MAX_PROVISIONING_WAIT_MINUTES: u32 = 24 * 60;

/// An enterprise application Entra ID provisions automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedApp {
    /// The app's service principal (enterprise application) object id: what the provisioning
    /// logs name it by (`servicePrincipal/id`).
    pub service_principal_id: String,
    /// Its name, for people (the connector's name when not given).
    pub display_name: String,
    /// How long to wait for the provisioning service's disable or delete, from when the step
    /// first runs (after the leaver's cloud account was disabled).
    pub wait_minutes: u32,
}

/// A SCIM connector.
#[derive(Debug, Clone)]
pub struct ScimConnector {
    /// The URL `/Users` is under.
    pub base_url: Url,
    /// How offboard authenticates.
    pub auth: ScimAuth,
    /// How the leaver is found, tried in order.
    pub find: Vec<FindBy>,
    /// What is done to them.
    pub action: ConnectorAction,
}

/// How offboard authenticates to a SCIM connector.
#[derive(Clone)]
pub enum ScimAuth {
    /// A static bearer token, read from the named setting.
    Bearer {
        /// The setting that holds it.
        setting: String,
        /// The token.
        token: SecretString,
    },
    /// OAuth 2.0 client credentials.
    ClientCredentials {
        /// The token endpoint.
        token_url: Url,
        /// The client id.
        client_id: String,
        /// The setting that holds the client secret.
        secret_setting: String,
        /// The client secret.
        client_secret: SecretString,
        /// The scope to ask for, if any.
        scope: Option<String>,
    },
}

/// Never prints a secret.
impl std::fmt::Debug for ScimAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bearer { setting, .. } => write!(f, "Bearer(from {setting})"),
            Self::ClientCredentials {
                token_url,
                client_id,
                secret_setting,
                ..
            } => write!(
                f,
                "ClientCredentials({client_id} at {token_url}, secret from {secret_setting})"
            ),
        }
    }
}

/// What a connector does to the leaver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectorAction {
    /// `PATCH active=false`: the account stays (its data and audit trail with it) but cannot
    /// sign in. The default.
    Deactivate,
    /// `DELETE`: the account is gone.
    Delete,
}

/// One way to find the leaver: a SCIM attribute compared with one of the leaver's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindBy {
    /// The SCIM attribute.
    pub attribute: ScimAttribute,
    /// Where the value comes from.
    pub from: LeaverValue,
}

/// The SCIM attributes a leaver is found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ScimAttribute {
    /// `userName`.
    #[serde(rename = "userName")]
    UserName,
    /// `externalId`.
    #[serde(rename = "externalId")]
    ExternalId,
    /// `emails.value`.
    #[serde(rename = "emails")]
    Emails,
}

/// A value of the leaver: from the account resolved in Entra ID, or as HR sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LeaverValue {
    /// The Entra account's UPN.
    #[serde(rename = "userPrincipalName")]
    UserPrincipalName,
    /// The Entra account's primary SMTP address.
    #[serde(rename = "mail")]
    Mail,
    /// The Entra account's `employeeId`.
    #[serde(rename = "employeeId")]
    EmployeeId,
    /// The Entra object id (what Entra provisioning sets as `externalId` by default for some
    /// apps).
    #[serde(rename = "objectId")]
    ObjectId,
    /// The on-premises `sAMAccountName`, for a synced account.
    #[serde(rename = "onPremisesSamAccountName")]
    OnPremisesSamAccountName,
    /// HR's employee id, as HR sent it.
    #[serde(rename = "hr.employeeId")]
    HrEmployeeId,
    /// The UPN, as HR sent it.
    #[serde(rename = "hr.userPrincipalName")]
    HrUserPrincipalName,
    /// The mail address, as HR sent it.
    #[serde(rename = "hr.mail")]
    HrMail,
}

impl LeaverValue {
    /// The name in the connector file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserPrincipalName => "userPrincipalName",
            Self::Mail => "mail",
            Self::EmployeeId => "employeeId",
            Self::ObjectId => "objectId",
            Self::OnPremisesSamAccountName => "onPremisesSamAccountName",
            Self::HrEmployeeId => "hr.employeeId",
            Self::HrUserPrincipalName => "hr.userPrincipalName",
            Self::HrMail => "hr.mail",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    connector: Vec<Spanned<RawConnector>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnector {
    name: String,
    kind: String,
    base_url: Option<String>,
    action: Option<ConnectorAction>,
    #[serde(default)]
    find: Vec<FindBy>,
    auth: Option<RawAuth>,
    service_principal_id: Option<String>,
    display_name: Option<String>,
    wait_minutes: Option<u32>,
}

#[derive(Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum RawAuth {
    #[serde(rename = "bearer")]
    Bearer { token_setting: String },
    #[serde(rename = "oauth2-client-credentials")]
    ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret_setting: String,
        scope: Option<String>,
    },
}

/// Reads the connector file `OFFBOARD_CONNECTORS_FILE` names (none configured when unset),
/// with the secrets it names looked up through `get`.
pub fn connectors_from_lookup(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<ConnectorConfig>, SettingsError> {
    let Some(path) = get(OFFBOARD_CONNECTORS_FILE)
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
    else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| SettingsError {
        name: OFFBOARD_CONNECTORS_FILE,
        detail: format!("cannot read {path}: {e}"),
    })?;
    parse_connectors(&text, get).map_err(|detail| SettingsError {
        name: OFFBOARD_CONNECTORS_FILE,
        detail: format!("{path}: {detail}"),
    })
}

/// Parses a connector file's text; the error names the line.
pub fn parse_connectors(
    text: &str,
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<ConnectorConfig>, String> {
    // toml's own errors (syntax, unknown or missing fields, wrong values) say the line.
    let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())?;
    let mut out: Vec<ConnectorConfig> = Vec::new();
    for spanned in raw.connector {
        let line = text[..spanned.span().start].matches('\n').count() + 1;
        let c = spanned.into_inner();
        let at = |detail: String| format!("line {line}, connector `{}`: {detail}", c.name);
        let name = ConnectorName::parse(&c.name).map_err(|e| format!("line {line}: {e}"))?;
        if let Some(first) = out.iter().find(|o| o.name == name) {
            return Err(at(format!(
                "the name is already used by the connector on line {}",
                first.line
            )));
        }
        let kind = match c.kind.as_str() {
            "scim" => {
                if c.service_principal_id.is_some() || c.wait_minutes.is_some() {
                    return Err(at(
                        "service_principal_id and wait_minutes belong to kind = \"entra-provisioning\"; a SCIM connector is called by offboard at base_url".into(),
                    ));
                }
                let base_url = c
                    .base_url
                    .as_deref()
                    .ok_or_else(|| at("a SCIM connector needs base_url".into()))
                    .and_then(|u| endpoint(u).map_err(at))?;
                let auth = match c.auth {
                    None => return Err(at("a SCIM connector needs auth".into())),
                    Some(RawAuth::Bearer { token_setting }) => ScimAuth::Bearer {
                        token: secret(get, &token_setting).map_err(at)?,
                        setting: token_setting,
                    },
                    Some(RawAuth::ClientCredentials {
                        token_url,
                        client_id,
                        client_secret_setting,
                        scope,
                    }) => ScimAuth::ClientCredentials {
                        token_url: endpoint(&token_url).map_err(at)?,
                        client_id,
                        client_secret: secret(get, &client_secret_setting).map_err(at)?,
                        secret_setting: client_secret_setting,
                        scope,
                    },
                };
                if c.find.is_empty() {
                    return Err(at(
                        "find is empty: say how to find the leaver, e.g. find = [{ attribute = \"userName\", from = \"userPrincipalName\" }]".into(),
                    ));
                }
                ConnectorKind::Scim(Box::new(ScimConnector {
                    base_url,
                    auth,
                    find: c.find,
                    action: c.action.unwrap_or(ConnectorAction::Deactivate),
                }))
            }
            "entra-provisioning" => {
                ConnectorKind::EntraProvisioning(provisioned_app(&c).map_err(at)?)
            }
            other => {
                return Err(at(format!(
                    "kind `{other}` is not known: use scim or entra-provisioning"
                )));
            }
        };
        out.push(ConnectorConfig { name, line, kind });
    }
    Ok(out)
}

/// An `entra-provisioning` connector: the app's service principal id (a GUID), its name and
/// the wait; offboard calls nothing there, so a base URL, auth, find or action is a mistake.
fn provisioned_app(c: &RawConnector) -> Result<ProvisionedApp, String> {
    let extra: Vec<&str> = [
        ("base_url", c.base_url.is_some()),
        ("auth", c.auth.is_some()),
        ("find", !c.find.is_empty()),
        ("action", c.action.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    if !extra.is_empty() {
        return Err(format!(
            "{} cannot be set for kind = \"entra-provisioning\": offboard does not call the system, Entra ID's provisioning service deprovisions the leaver there (declare it as kind = \"scim\" if offboard should call it instead)",
            extra.join(", ")
        ));
    }
    let id = c
        .service_principal_id
        .as_deref()
        .map(str::trim)
        .ok_or("an entra-provisioning connector needs service_principal_id: the enterprise application's object id (Entra admin center > Enterprise applications > the app > Object ID)")?;
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(format!(
            "service_principal_id `{id}` is not a GUID: use the enterprise application's object id"
        ));
    }
    let wait_minutes = c.wait_minutes.unwrap_or(DEFAULT_PROVISIONING_WAIT_MINUTES);
    if wait_minutes > MAX_PROVISIONING_WAIT_MINUTES {
        return Err(format!(
            "wait_minutes = {wait_minutes} is more than a day ({MAX_PROVISIONING_WAIT_MINUTES}): the provisioning service runs every 40 minutes"
        ));
    }
    let display_name = c
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&c.name)
        .to_owned();
    Ok(ProvisionedApp {
        service_principal_id: id.to_ascii_lowercase(),
        display_name,
        wait_minutes,
    })
}

/// An endpoint offboard sends a credential to: HTTPS, or plain HTTP only on loopback (the
/// local SCIM servers of the tests).
fn endpoint(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL: {e}"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(format!("`{raw}` must be https (a token is sent to it)")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "`{raw}` carries credentials: put them in a setting named by auth"
        ));
    }
    Ok(url)
}

/// The secret in the setting `name`, which must exist and be resolved.
fn secret(get: &impl Fn(&str) -> Option<String>, name: &str) -> Result<SecretString, String> {
    if !name.starts_with(CONNECTOR_SETTING_PREFIX)
        || !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(format!(
            "setting `{name}`: a connector's secret setting is named {CONNECTOR_SETTING_PREFIX}<SYSTEM>_<WHAT> in capitals"
        ));
    }
    match get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
    {
        None => Err(format!("setting {name} is not set")),
        // Azure leaves a Key Vault reference it could not resolve as its literal text.
        Some(v) if v.starts_with("@Microsoft.KeyVault(") => Err(format!(
            "setting {name} is a Key Vault reference Azure could not resolve: check the app's access to the vault"
        )),
        Some(v) => Ok(SecretString::from(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(name: &str) -> Option<String> {
        match name {
            "OFFBOARD_CONNECTOR_SALESFORCE_TOKEN" => Some("sf-token".into()),
            "OFFBOARD_CONNECTOR_GITHUB_SECRET" => Some("gh-secret".into()),
            "OFFBOARD_CONNECTOR_BROKEN_TOKEN" => {
                Some("@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/x)".into())
            }
            _ => None,
        }
    }

    const GOOD: &str = r#"
[[connector]]
name = "salesforce"
kind = "scim"
base_url = "https://contoso.my.salesforce.com/services/scim/v2"
find = [{ attribute = "userName", from = "userPrincipalName" },
        { attribute = "emails", from = "hr.mail" }]
auth = { type = "bearer", token_setting = "OFFBOARD_CONNECTOR_SALESFORCE_TOKEN" }

[[connector]]
name = "github"
kind = "scim"
base_url = "https://api.github.com/scim/v2/enterprises/contoso"
action = "delete"
find = [{ attribute = "externalId", from = "objectId" }]
auth = { type = "oauth2-client-credentials", token_url = "https://login.example.com/token", client_id = "offboard", client_secret_setting = "OFFBOARD_CONNECTOR_GITHUB_SECRET", scope = "scim" }
"#;

    #[test]
    fn a_good_file_reads_with_its_lines_and_secrets() {
        let c = parse_connectors(GOOD, &env).expect("good file");
        let names: Vec<_> = c.iter().map(|c| (c.name.as_str(), c.line)).collect();
        assert_eq!(names, [("salesforce", 2), ("github", 10)]);
        let ConnectorKind::Scim(sf) = &c[0].kind else {
            panic!("scim")
        };
        assert_eq!(sf.action, ConnectorAction::Deactivate);
        assert_eq!(sf.find[1].from, LeaverValue::HrMail);
        let ScimAuth::Bearer { token, .. } = &sf.auth else {
            panic!("bearer")
        };
        assert_eq!(token.expose_secret(), "sf-token");
        assert!(!format!("{:?}", c).contains("sf-token"));
        assert!(!format!("{:?}", c).contains("gh-secret"));
        let ConnectorKind::Scim(gh) = &c[1].kind else {
            panic!("scim")
        };
        assert_eq!(gh.action, ConnectorAction::Delete);
    }

    #[test]
    fn a_provisioned_app_reads_with_its_defaults() {
        let text = "[[connector]]\nname = \"slack\"\nkind = \"entra-provisioning\"\nservice_principal_id = \"6F1C1C3E-8F0B-4F55-9A55-1F0A2B3C4D5E\"\n\n[[connector]]\nname = \"zoom\"\nkind = \"entra-provisioning\"\nservice_principal_id = \"0b4f1c3e-8f0b-4f55-9a55-1f0a2b3c4d5e\"\ndisplay_name = \"Zoom\"\nwait_minutes = 0\n";
        let c = parse_connectors(text, &env).expect("good file");
        let ConnectorKind::EntraProvisioning(slack) = &c[0].kind else {
            panic!("entra-provisioning")
        };
        assert_eq!(
            slack,
            &ProvisionedApp {
                service_principal_id: "6f1c1c3e-8f0b-4f55-9a55-1f0a2b3c4d5e".into(),
                display_name: "slack".into(),
                wait_minutes: DEFAULT_PROVISIONING_WAIT_MINUTES,
            }
        );
        let ConnectorKind::EntraProvisioning(zoom) = &c[1].kind else {
            panic!("entra-provisioning")
        };
        assert_eq!((zoom.display_name.as_str(), zoom.wait_minutes), ("Zoom", 0));
        assert_eq!(c[1].line, 6);
    }

    #[test]
    fn every_mistake_names_its_line() {
        let cases = [
            (
                "\n[[connector]]\nname = \"Sales Force\"\nkind = \"scim\"\n",
                "line 2: `Sales Force` is not a connector name",
            ),
            (
                "[[connector]]\nname = \"entra\"\nkind = \"scim\"\n",
                "line 1: `entra` is the name of a system",
            ),
            (
                "[[connector]]\nname = \"x\"\nkind = \"ldap\"\n",
                "line 1, connector `x`: kind `ldap` is not known",
            ),
            (
                "[[connector]]\nname = \"x\"\nkind = \"scim\"\nbase_url = \"http://x.example.com/scim\"\n",
                "must be https",
            ),
            (
                "[[connector]]\nname = \"x\"\nkind = \"scim\"\nbase_url = \"https://x.example.com/scim\"\nfind = [{ attribute = \"userName\", from = \"mail\" }]\nauth = { type = \"bearer\", token_setting = \"OFFBOARD_CONNECTOR_X_TOKEN\" }\n",
                "setting OFFBOARD_CONNECTOR_X_TOKEN is not set",
            ),
            (
                "[[connector]]\nname = \"x\"\nkind = \"scim\"\nbase_url = \"https://x.example.com/scim\"\nfind = [{ attribute = \"userName\", from = \"mail\" }]\nauth = { type = \"bearer\", token_setting = \"OFFBOARD_SCIM_TOKEN\" }\n",
                "named OFFBOARD_CONNECTOR_",
            ),
            (
                "[[connector]]\nname = \"x\"\nkind = \"scim\"\nbase_url = \"https://x.example.com/scim\"\nfind = [{ attribute = \"userName\", from = \"mail\" }]\nauth = { type = \"bearer\", token_setting = \"OFFBOARD_CONNECTOR_BROKEN_TOKEN\" }\n",
                "Key Vault reference Azure could not resolve",
            ),
            (
                "[[connector]]\nname = \"x\"\nkind = \"scim\"\nbase_url = \"https://x.example.com/scim\"\nauth = { type = \"bearer\", token_setting = \"OFFBOARD_CONNECTOR_SALESFORCE_TOKEN\" }\n",
                "find is empty",
            ),
            (
                "[[connector]]\nname = \"x\"\nkind = \"scim\"\n\n[[connector]]\nname = \"x\"\nkind = \"scim\"\n",
                "line 1, connector `x`: a SCIM connector needs base_url",
            ),
            (
                "[[connector]]\nname = \"p\"\nkind = \"entra-provisioning\"\n",
                "line 1, connector `p`: an entra-provisioning connector needs service_principal_id",
            ),
            (
                "[[connector]]\nname = \"p\"\nkind = \"entra-provisioning\"\nservice_principal_id = \"slack\"\n",
                "`slack` is not a GUID",
            ),
            (
                "[[connector]]\nname = \"p\"\nkind = \"entra-provisioning\"\nservice_principal_id = \"6f1c1c3e-8f0b-4f55-9a55-1f0a2b3c4d5e\"\nbase_url = \"https://x.example.com\"\n",
                "base_url cannot be set for kind = \"entra-provisioning\"",
            ),
            (
                "[[connector]]\nname = \"p\"\nkind = \"entra-provisioning\"\nservice_principal_id = \"6f1c1c3e-8f0b-4f55-9a55-1f0a2b3c4d5e\"\nwait_minutes = 100000\n",
                "more than a day",
            ),
            (
                "[[connector]]\nname = \"x\"\nkind = \"scim\"\nwait_minutes = 5\n",
                "belong to kind = \"entra-provisioning\"",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_connectors(text, &env).expect_err(text);
            assert!(err.contains(expected), "{text}\n=> {err}");
        }
        // A duplicate name points at the first declaration.
        let dup = GOOD.to_owned() + "\n[[connector]]\nname = \"github\"\nkind = \"scim\"\n";
        let err = parse_connectors(&dup, &env).expect_err("duplicate");
        assert!(
            err.contains("already used by the connector on line 10"),
            "{err}"
        );
        // toml's own errors carry the line too: an unknown field, a wrong attribute.
        let err = parse_connectors(
            "[[connector]]\nname = \"x\"\nkind = \"scim\"\ncolour = 1\n",
            &env,
        )
        .expect_err("unknown field");
        assert!(err.contains("line 4") && err.contains("colour"), "{err}");
        let err = parse_connectors(
            "[[connector]]\nname = \"x\"\nkind = \"scim\"\nfind = [{ attribute = \"phone\", from = \"mail\" }]\n",
            &env,
        )
        .expect_err("unknown attribute");
        assert!(err.contains("line 4") && err.contains("phone"), "{err}");
    }
}
