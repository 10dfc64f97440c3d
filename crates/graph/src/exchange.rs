//! Exchange Online admin client: the cmdlets Graph does not offer (convert to shared, hide from
//! the address list, FullAccess for the manager, automatic replies through Exchange), sent to
//! `POST {endpoint}/adminapi/beta/{tenantId}/InvokeCommand` with a managed-identity token for
//! `https://outlook.office365.com`. The identity needs the `Exchange.ManageAsApp` app role and
//! an Exchange-capable Entra role (see [`crate::permissions`]).
//!
//! This REST endpoint is the one the Exchange Online PowerShell V3 module uses; Microsoft does
//! not document it as a public API (platform-facts §3). The client keeps to the cmdlets and
//! parameters that module sends.

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{
    Call, GraphClientOptions, Raw, Reply, build_http, decode_error, send_with_retries,
};
use crate::error::{ErrorInfo, GraphError};

/// Exchange Online in the global cloud.
pub const DEFAULT_EXCHANGE_ENDPOINT: &str = "https://outlook.office365.com";
/// The scope for Exchange app-only calls.
pub const EXCHANGE_SCOPE: &str = "https://outlook.office365.com/.default";

/// Options of an [`ExchangeClient`] (same retry bounds as Graph).
#[derive(Clone, Debug)]
pub struct ExchangeClientOptions {
    /// Retry bounds, timeout and so on; `scope` defaults to [`EXCHANGE_SCOPE`].
    pub base: GraphClientOptions,
}

impl Default for ExchangeClientOptions {
    fn default() -> Self {
        Self {
            base: GraphClientOptions {
                scope: EXCHANGE_SCOPE.to_owned(),
                ..GraphClientOptions::default()
            },
        }
    }
}

/// A mailbox as `Get-Mailbox` returns it (the properties offboarding reads).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Mailbox {
    /// Exchange identity (alias).
    pub identity: Option<String>,
    /// UPN.
    pub user_principal_name: Option<String>,
    /// Primary SMTP address.
    pub primary_smtp_address: Option<String>,
    /// Entra object id of the owner.
    pub external_directory_object_id: Option<String>,
    /// `UserMailbox`, `SharedMailbox`…
    pub recipient_type_details: Option<String>,
    /// Hidden from the global address list.
    pub hidden_from_address_lists_enabled: Option<bool>,
    /// Synced from on-premises AD.
    pub is_dir_synced: Option<bool>,
    /// Litigation hold.
    pub litigation_hold_enabled: Option<bool>,
    /// How long a litigation hold keeps items: days as text, or `Unlimited`.
    pub litigation_hold_duration: Option<String>,
    /// Forwarding to an SMTP address (`smtp:someone@example.com`), often outside the
    /// organisation.
    pub forwarding_smtp_address: Option<String>,
    /// Forwarding to a recipient inside the organisation.
    pub forwarding_address: Option<String>,
    /// Whether forwarded mail is also delivered to the mailbox.
    pub deliver_to_mailbox_and_forward: Option<bool>,
    /// Who may send on behalf of this mailbox.
    pub grant_send_on_behalf_to: Vec<String>,
}

impl Mailbox {
    /// Whether it is a shared mailbox.
    pub fn is_shared(&self) -> bool {
        self.recipient_type_details.as_deref() == Some("SharedMailbox")
    }
}

/// One mailbox permission entry (`Get-MailboxPermission`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MailboxPermission {
    /// Mailbox.
    pub identity: Option<String>,
    /// Trustee (`NT AUTHORITY\SELF` or a UPN).
    pub user: Option<String>,
    /// Rights, e.g. `FullAccess`.
    pub access_rights: Vec<String>,
    /// Inherited.
    pub is_inherited: Option<bool>,
    /// Deny entry.
    pub deny: Option<bool>,
}

/// `Set-MailboxAutoReplyConfiguration` parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoReplyConfig {
    /// `Enabled`, `Disabled` or `Scheduled`.
    pub state: AutoReplyState,
    /// Message to colleagues.
    pub internal_message: String,
    /// Message to external senders.
    pub external_message: String,
    /// `All`, `Known` or `None`.
    pub external_audience: String,
}

/// Auto-reply state in Exchange terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoReplyState {
    /// On.
    Enabled,
    /// Off.
    Disabled,
    /// On in a window.
    Scheduled,
}

impl AutoReplyState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::Scheduled => "Scheduled",
        }
    }
}

/// `Get-MailboxAutoReplyConfiguration` result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AutoReplyStatus {
    /// `Enabled`, `Disabled`, `Scheduled`.
    pub auto_reply_state: Option<String>,
    /// `All`, `Known`, `None`.
    pub external_audience: Option<String>,
    /// Internal message.
    pub internal_message: Option<String>,
    /// External message.
    pub external_message: Option<String>,
}

/// Exchange Online admin client on the same managed-identity credential as Graph.
#[derive(Clone)]
pub struct ExchangeClient {
    http: reqwest::Client,
    url: String,
    tenant: String,
    credential: Arc<dyn TokenCredential>,
    options: ExchangeClientOptions,
}

impl fmt::Debug for ExchangeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeClient")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

const SYSTEM_MAILBOX: &str = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";

impl ExchangeClient {
    /// A client for `endpoint` (`https://outlook.office365.com`, or the tenant simulator's
    /// base URL) and the tenant (id or initial domain).
    pub fn new(
        endpoint: impl Into<String>,
        tenant: impl Into<String>,
        credential: Arc<dyn TokenCredential>,
        options: ExchangeClientOptions,
    ) -> Result<Self, GraphError> {
        let endpoint = endpoint.into().trim_end_matches('/').to_owned();
        let tenant = tenant.into();
        let parsed = url::Url::parse(&endpoint).map_err(|e| {
            GraphError::Permanent(ErrorInfo {
                status: None,
                code: "InvalidEndpoint".to_owned(),
                message: format!("the Exchange endpoint '{endpoint}' is not a URL: {e}"),
                request_id: None,
                client_request_id: None,
            })
        })?;
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost"));
        if parsed.scheme() != "https" && !loopback {
            return Err(GraphError::Permanent(ErrorInfo {
                status: None,
                code: "InvalidEndpoint".to_owned(),
                message: format!("the Exchange endpoint '{endpoint}' must use https"),
                request_id: None,
                client_request_id: None,
            }));
        }
        Ok(Self {
            http: build_http(options.base.timeout)?,
            url: format!("{endpoint}/adminapi/beta/{tenant}/InvokeCommand"),
            tenant,
            credential,
            options,
        })
    }

    /// Runs a cmdlet and returns its output objects. Reads are repeated after ambiguous
    /// failures; changes only when the cmdlet is idempotent (all the `Set-`/`Add-` used here are).
    pub async fn invoke(
        &self,
        cmdlet: &'static str,
        parameters: Map<String, Value>,
        anchor: Option<&str>,
    ) -> Result<Reply<Vec<Value>>, GraphError> {
        let mut call = Call::new(Method::POST, String::new(), cmdlet)
            .json(json!({ "CmdletInput": { "CmdletName": cmdlet, "Parameters": parameters } }))
            .idempotent(true)
            .writes(!cmdlet.starts_with("Get-"));
        // Routing hint the EXO module sends: the target mailbox, or the system mailbox.
        let anchor = match anchor {
            Some(a) if a.contains('@') => format!("UPN:{a}"),
            _ => format!("UPN:{SYSTEM_MAILBOX}@{}", self.tenant),
        };
        call.headers.push(("X-AnchorMailbox", anchor));
        call.headers
            .push(("Prefer", "odata.maxpagesize=1000".to_owned()));
        let raw: Raw = send_with_retries(
            &self.http,
            &*self.credential,
            &self.options.base.scope,
            &self.options.base.retry,
            // Exchange's admin API does not count against Graph's write quota.
            None,
            &self.url,
            &call,
        )
        .await?;
        let values = raw
            .body
            .as_ref()
            .and_then(|b| b.get("value"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(Reply {
            value: values,
            status: raw.status,
            request_id: raw.request_id,
        })
    }

    pub(crate) fn params(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    /// `Get-Mailbox -Identity …`.
    pub async fn get_mailbox(&self, identity: &str) -> Result<Reply<Mailbox>, GraphError> {
        let r = self
            .invoke(
                "Get-Mailbox",
                Self::params(&[("Identity", json!(identity))]),
                Some(identity),
            )
            .await?;
        let first = r.value.first().cloned().unwrap_or(Value::Null);
        let mailbox = serde_json::from_value(first)
            .map_err(|e| decode_error("Get-Mailbox", e, &r.request_id))?;
        Ok(Reply {
            value: mailbox,
            status: r.status,
            request_id: r.request_id,
        })
    }

    /// `Set-Mailbox -Identity … -Type Shared`: keeps the mailbox without a licence (do this
    /// before removing the Exchange licence).
    pub async fn convert_to_shared(&self, identity: &str) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Set-Mailbox",
                Self::params(&[("Identity", json!(identity)), ("Type", json!("Shared"))]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Set-Mailbox -Identity … -Type Regular`: a shared mailbox becomes a user mailbox again
    /// (a restore; the user needs an Exchange licence within 30 days).
    pub async fn convert_to_regular(&self, identity: &str) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Set-Mailbox",
                Self::params(&[("Identity", json!(identity)), ("Type", json!("Regular"))]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Set-Mailbox -Identity … -HiddenFromAddressListsEnabled $hidden`. For a synced user
    /// Exchange cannot write it back to Entra and the result is
    /// [`GraphError::NotApplicable`] (`SyncedFromOnPremises`): set msExchHideFromAddressLists in AD.
    pub async fn set_hidden_from_address_lists(
        &self,
        identity: &str,
        hidden: bool,
    ) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Set-Mailbox",
                Self::params(&[
                    ("Identity", json!(identity)),
                    ("HiddenFromAddressListsEnabled", json!(hidden)),
                ]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Add-MailboxPermission -Identity … -User trustee -AccessRights FullAccess -InheritanceType All`.
    pub async fn grant_full_access(
        &self,
        identity: &str,
        trustee: &str,
        auto_mapping: bool,
    ) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Add-MailboxPermission",
                Self::params(&[
                    ("Identity", json!(identity)),
                    ("User", json!(trustee)),
                    ("AccessRights", json!(["FullAccess"])),
                    ("InheritanceType", json!("All")),
                    ("AutoMapping", json!(auto_mapping)),
                ]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Get-MailboxPermission -Identity …` (read-back of FullAccess).
    pub async fn mailbox_permissions(
        &self,
        identity: &str,
    ) -> Result<Reply<Vec<MailboxPermission>>, GraphError> {
        let r = self
            .invoke(
                "Get-MailboxPermission",
                Self::params(&[("Identity", json!(identity))]),
                Some(identity),
            )
            .await?;
        let rid = r.request_id.clone();
        let perms = r
            .value
            .iter()
            .map(|v| serde_json::from_value(v.clone()))
            .collect::<Result<Vec<MailboxPermission>, _>>()
            .map_err(|e| decode_error("Get-MailboxPermission", e, &rid))?;
        Ok(Reply {
            value: perms,
            status: r.status,
            request_id: r.request_id,
        })
    }

    /// `Set-MailboxAutoReplyConfiguration`.
    pub async fn set_auto_reply(
        &self,
        identity: &str,
        config: &AutoReplyConfig,
    ) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Set-MailboxAutoReplyConfiguration",
                Self::params(&[
                    ("Identity", json!(identity)),
                    ("AutoReplyState", json!(config.state.as_str())),
                    ("InternalMessage", json!(config.internal_message)),
                    ("ExternalMessage", json!(config.external_message)),
                    ("ExternalAudience", json!(config.external_audience)),
                ]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Get-MailboxAutoReplyConfiguration`.
    pub async fn auto_reply(&self, identity: &str) -> Result<Reply<AutoReplyStatus>, GraphError> {
        let r = self
            .invoke(
                "Get-MailboxAutoReplyConfiguration",
                Self::params(&[("Identity", json!(identity))]),
                Some(identity),
            )
            .await?;
        let first = r.value.first().cloned().unwrap_or(Value::Null);
        let v = serde_json::from_value(first)
            .map_err(|e| decode_error("Get-MailboxAutoReplyConfiguration", e, &r.request_id))?;
        Ok(Reply {
            value: v,
            status: r.status,
            request_id: r.request_id,
        })
    }
}
