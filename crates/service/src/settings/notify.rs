//! Where notifications go: the Teams webhook, the signed webhook and mail through Graph.

use super::error::SettingsError;
use super::names::*;
use secrecy::SecretString;

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

pub(super) fn parse_webhook_url(value: &str) -> Result<url::Url, SettingsError> {
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

pub(super) fn parse_mail(
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
