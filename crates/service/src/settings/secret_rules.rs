//! What makes a configured secret usable. A secret that is set but weak or malformed stops
//! the handler at start with a message naming the setting: before, a malformed Standard
//! Webhooks secret started with the banner saying "configured" and every request then got
//! 503, and a one-character SCIM token was accepted.
//!
//! The rules never quote the value (it is a secret); they say what shape is expected. Each
//! returns what is wrong, and the settings reader names the setting it came from.

use offboard_core::signature::{MIN_WEBHOOK_SECRET_BYTES, WebhookSecret};

/// The shortest SCIM bearer token accepted, in characters: 128 bits as hex
/// (`openssl rand -hex 16`) is 32 characters.
pub const MIN_SCIM_TOKEN_CHARS: usize = 32;

/// The shortest BambooHR webhook private key accepted, in characters. BambooHR generates the
/// key; this refuses only what cannot be one (a placeholder, a truncated paste).
pub const MIN_BAMBOOHR_KEY_CHARS: usize = 16;

/// A Standard Webhooks secret: `whsec_` and base64 of at least
/// [`MIN_WEBHOOK_SECRET_BYTES`] bytes.
pub fn webhook_secret(value: &str) -> Result<(), String> {
    WebhookSecret::parse(value).map(|_| ()).map_err(|_| {
        format!(
            "is not a usable Standard Webhooks secret: expected whsec_ followed by standard \
             base64 of at least {MIN_WEBHOOK_SECRET_BYTES} random bytes (for example whsec_ \
             and the output of `openssl rand -base64 32`)"
        )
    })
}

/// The SCIM bearer token: at least [`MIN_SCIM_TOKEN_CHARS`] characters, all of them allowed
/// in a bearer token (RFC 6750 §2.1 `b64token`), so a client can send it as configured.
pub fn scim_token(value: &str) -> Result<(), String> {
    let body = value.trim_end_matches('=');
    let allowed = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/'));
    if !allowed {
        return Err(
            "is not a bearer token: use only letters, digits and - . _ ~ + / (for \
                     example the output of `openssl rand -hex 32`)"
                .into(),
        );
    }
    if value.chars().count() < MIN_SCIM_TOKEN_CHARS {
        return Err(format!(
            "is too short to be a secret: use at least {MIN_SCIM_TOKEN_CHARS} random \
                 characters (for example the output of `openssl rand -hex 32`)"
        ));
    }
    Ok(())
}

/// The BambooHR private key: at least [`MIN_BAMBOOHR_KEY_CHARS`] characters, printable and
/// without spaces (as BambooHR shows it when the webhook is created).
pub fn bamboohr_key(value: &str) -> Result<(), String> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "contains spaces or control characters: paste the webhook's private key \
                     exactly as BambooHR showed it"
                .into(),
        );
    }
    if value.chars().count() < MIN_BAMBOOHR_KEY_CHARS {
        return Err(format!(
            "is too short to be the webhook's private key (at least \
                 {MIN_BAMBOOHR_KEY_CHARS} characters): paste the key BambooHR showed when the \
                 webhook was created"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::settings::*;
    use std::collections::HashMap;

    fn start_with(name: &'static str, value: &str) -> Result<Settings, SettingsError> {
        let map: HashMap<&str, String> = [
            (OFFBOARD_BACKEND, "embedded".to_owned()),
            (OFFBOARD_EMBEDDED_PATH, "/tmp/x".to_owned()),
            (name, value.to_owned()),
        ]
        .into_iter()
        .collect();
        Settings::from_lookup(move |k| map.get(k).cloned())
    }

    const GOOD_WEBHOOK: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn weak_or_malformed_secrets_stop_the_start_naming_the_setting() {
        for (name, value) in [
            (OFFBOARD_GENERIC_WEBHOOK_SECRET, "whsec_not*base64!"),
            (OFFBOARD_GENERIC_WEBHOOK_SECRET, "hunter2"),
            // 16 bytes: the code took it, the README promised 24.
            (
                OFFBOARD_GENERIC_WEBHOOK_SECRET,
                "whsec_AAAAAAAAAAAAAAAAAAAAAA==",
            ),
            (OFFBOARD_NOTIFY_WEBHOOK_SECRET, "whsec_!!not-base64!!"),
            (OFFBOARD_SCIM_TOKEN, "x"),
            (OFFBOARD_SCIM_TOKEN, "0123456789abcdef0123456789abcde"),
            (OFFBOARD_SCIM_TOKEN, "0123456789abcdef 0123456789abcdef"),
            (OFFBOARD_BAMBOOHR_SECRET, "k"),
            (OFFBOARD_BAMBOOHR_SECRET, "0123456789ab cdef0123"),
        ] {
            let err = start_with(name, value).err().unwrap_or_else(|| {
                panic!("{name}={value} must stop the start");
            });
            assert_eq!(err.name, name, "{value}: {err}");
            if value.len() > 3 {
                assert!(
                    !err.to_string().contains(value),
                    "the value is never quoted"
                );
            }
        }
    }

    #[test]
    fn strong_secrets_start() {
        for (name, value) in [
            (OFFBOARD_GENERIC_WEBHOOK_SECRET, GOOD_WEBHOOK),
            (OFFBOARD_NOTIFY_WEBHOOK_SECRET, GOOD_WEBHOOK),
            (OFFBOARD_SCIM_TOKEN, "0123456789abcdef0123456789abcdef"),
            (
                OFFBOARD_SCIM_TOKEN,
                "dGhpcy1pcy1hLWxvbmctZW5vdWdoLXRva2Vu==",
            ),
            (OFFBOARD_BAMBOOHR_SECRET, "0123456789abcdef"),
        ] {
            let s = start_with(name, value);
            assert!(s.is_ok(), "{name}: {:?}", s.err());
        }
        // An unresolved Key Vault reference stays "unset" (the provider fails closed), not
        // a malformed secret.
        let s = start_with(
            OFFBOARD_SCIM_TOKEN,
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/scim/)",
        )
        .unwrap();
        assert!(s.secrets.scim.is_none());
    }
}
