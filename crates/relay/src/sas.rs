//! Shared Access Signature tokens for Azure Relay.
//!
//! `SharedAccessSignature sr={enc(uri)}&sig={enc(base64(HMAC-SHA256(key, enc(uri) + "\n" + se)))}&se={se}&skn={name}`
//! where `enc` percent-encodes everything but `A-Z a-z 0-9 - . _ ~` (as .NET's
//! `Uri.EscapeDataString`), the key is used as its UTF-8 bytes (not base64-decoded), and `se` is
//! the expiry in Unix seconds.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Characters left as they are by the SAS encoding (RFC 3986 unreserved).
const SAS_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn sas_encode(text: &str) -> String {
    utf8_percent_encode(text, SAS_ENCODE).to_string()
}

/// A named shared access key of the Relay namespace or hybrid connection (e.g. `offboard-send`
/// with the Send right, `offboard-listen` with Listen). `Debug` never shows the key.
#[derive(Clone)]
pub struct SasKey {
    name: String,
    key: SecretString,
}

impl fmt::Debug for SasKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SasKey")
            .field("name", &self.name)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl SasKey {
    /// A key from its rule name and its (primary or secondary) key value.
    pub fn new(name: impl Into<String>, key: SecretString) -> Self {
        Self {
            name: name.into(),
            key,
        }
    }

    /// The rule name (`skn`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A token for `resource_uri` (see [`crate::RelayEndpoint::token_audience`]) valid until `expires_at`.
    pub fn token(&self, resource_uri: &str, expires_at: DateTime<Utc>) -> SasToken {
        let encoded_uri = sas_encode(resource_uri);
        let expiry = expires_at.timestamp();
        // `se` has whole seconds: report the expiry the relay will actually enforce.
        let expires_at = DateTime::from_timestamp(expiry, 0).unwrap_or(expires_at);
        let string_to_sign = format!("{encoded_uri}\n{expiry}");
        // HMAC accepts keys of any length; the error arm cannot happen.
        let signature = match Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes()) {
            Ok(mut mac) => {
                mac.update(string_to_sign.as_bytes());
                B64.encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        };
        let value = format!(
            "SharedAccessSignature sr={encoded_uri}&sig={}&se={expiry}&skn={}",
            sas_encode(&signature),
            sas_encode(&self.name)
        );
        SasToken {
            value: SecretString::from(value),
            expires_at,
        }
    }
}

/// A SAS token. `Debug` shows only its expiry.
#[derive(Clone)]
pub struct SasToken {
    value: SecretString,
    expires_at: DateTime<Utc>,
}

impl fmt::Debug for SasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SasToken")
            .field("expires_at", &self.expires_at)
            .field("value", &"<redacted>")
            .finish()
    }
}

impl SasToken {
    /// The full `SharedAccessSignature ...` string, for a header or (URL-encoded) query parameter.
    pub fn expose(&self) -> &str {
        self.value.expose_secret()
    }

    /// When the token stops being accepted.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn token_matches_an_independent_computation() {
        // Computed independently (Python: hmac/hashlib/base64/urllib.parse.quote(safe='-._~')):
        // key "secret", uri "http://contoso.servicebus.windows.net/hyco/", se 1700000000.
        let key = SasKey::new("send", SecretString::from("secret"));
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let token = key.token("http://contoso.servicebus.windows.net/hyco/", at);
        assert_eq!(
            token.expose(),
            "SharedAccessSignature sr=http%3A%2F%2Fcontoso.servicebus.windows.net%2Fhyco%2F&sig=s8Vy1iztoF4mF9YdOBZRu1pOaYJrjDbLdAoAbsuapDw%3D&se=1700000000&skn=send"
        );
        assert!(!format!("{token:?}").contains("sig="));
        assert!(!format!("{key:?}").contains("secret"));
    }
}
