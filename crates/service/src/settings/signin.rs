//! Sign-in of people and GRC tools with Entra ID (checked by the handler, `offboard-signin`).

use secrecy::SecretString;

use super::error::SettingsError;
use super::names::*;
use super::notify::url_is_allowed;

/// Where people sign in, present when [`OFFBOARD_SIGNIN_CLIENT_ID`] is set.
#[derive(Clone)]
pub struct SigninConfig {
    /// The authority host, without a trailing slash.
    pub authority_host: String,
    /// The directory whose people may sign in ([`OFFBOARD_TENANT_ID`]).
    pub tenant_id: String,
    /// offboard's app registration.
    pub client_id: String,
    /// [`OFFBOARD_SIGNIN_SESSION_KEY`], unparsed (the handler checks it and answers 503 naming
    /// the setting when it is unusable, so a bad key never stops intake).
    pub session_key: Option<SecretString>,
}

impl std::fmt::Debug for SigninConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigninConfig")
            .field("authority_host", &self.authority_host)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field(
                "session_key",
                &if self.session_key.is_some() {
                    "set"
                } else {
                    "unset"
                },
            )
            .finish()
    }
}

/// Reads the sign-in settings: `None` when no client id is set.
pub(super) fn parse_signin(
    client_id: Option<String>,
    authority: Option<String>,
    tenant_id: Option<String>,
    session_key: Option<SecretString>,
) -> Result<Option<SigninConfig>, SettingsError> {
    let Some(client_id) = client_id else {
        return Ok(None);
    };
    let tenant_id = tenant_id.ok_or_else(|| SettingsError {
        name: OFFBOARD_TENANT_ID,
        detail: format!(
            "required when {OFFBOARD_SIGNIN_CLIENT_ID} is set: the directory (tenant) id whose people sign in"
        ),
    })?;
    let authority = authority.unwrap_or_else(|| "https://login.microsoftonline.com".into());
    let url = url::Url::parse(&authority).map_err(|e| SettingsError {
        name: OFFBOARD_SIGNIN_AUTHORITY,
        detail: format!("`{authority}` is not a URL ({e})"),
    })?;
    if !url_is_allowed(&url) || url.path() != "/" {
        return Err(SettingsError {
            name: OFFBOARD_SIGNIN_AUTHORITY,
            detail: format!(
                "`{authority}`: give the authority host only, over https (for example https://login.microsoftonline.com; plain http only on localhost or 127.0.0.1)"
            ),
        });
    }
    Ok(Some(SigninConfig {
        authority_host: authority.trim_end_matches('/').to_owned(),
        tenant_id,
        client_id,
        session_key,
    }))
}
