//! Keeping secrets out of evidence.
//!
//! Evidence is immutable for years, so a secret written into it can never be removed.
//! Two defences apply to every free-form value before it is recorded:
//! - members whose name says they hold a secret (password, secret, token, authorization,
//!   signature, credential, private key, ...) are replaced by `"[redacted]"`;
//! - any other string that looks like a credential (a JWT, a `Bearer` or
//!   `SharedAccessSignature` header value, a SAS query, a `whsec_` secret, a PEM key) makes
//!   the record refuse to be built, so the bug that put it there is found, not hidden.

use serde_json::Value;

/// The marker that replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// A value that must not be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refusing to record a value that looks like a credential at {at}")]
pub struct SecretDetected {
    /// JSON pointer of the offending value.
    pub at: String,
}

/// Whether a member name says its value is secret: a secret-bearing name on its own
/// (`password`, `passwordProfile`, `unicodePwd`, `authorization`, `cookie`, ...), or a name
/// ending in one (`adminPassword`, `webhookSecret`, `accessToken`, `privateKey`). A name
/// that merely mentions one (`lastPasswordChangeDateTime`, `tokenLifetime`) is a fact about
/// the secret, not the secret, and is kept.
pub fn is_sensitive_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const EXACT: &[&str] = &[
        "passwordprofile",
        "unicodepwd",
        "pwd",
        "authorization",
        "cookie",
        "setcookie",
        "sig",
        "credentials",
        "xidentityheader",
        "identityheader",
    ];
    const ENDINGS: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "signature",
        "credential",
        "privatekey",
        "accountkey",
        "functionkey",
        "apikey",
        "sharedaccesskey",
        "sastoken",
    ];
    EXACT.contains(&k.as_str()) || ENDINGS.iter().any(|w| k.ends_with(w))
}

/// Whether a string looks like a credential.
pub fn looks_like_credential(s: &str) -> bool {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let jwt = {
        let parts: Vec<&str> = t.split('.').collect();
        parts.len() == 3
            && parts[0].starts_with("eyJ")
            && parts[1].len() >= 8
            && parts.iter().all(|p| {
                p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '=')
            })
    };
    jwt || lower.starts_with("bearer ")
        || lower.contains("sharedaccesssignature")
        || (lower.contains("sig=") && lower.contains("se="))
        || t.starts_with("whsec_")
        || t.contains("-----BEGIN")
}

/// Redacts sensitive members and refuses credential-looking strings in `value`.
/// `at` is the JSON pointer of `value` within the record, for the error.
pub fn sanitize(value: &mut Value, at: &str) -> Result<(), SecretDetected> {
    match value {
        Value::String(s) if looks_like_credential(s) => {
            return Err(SecretDetected { at: at.to_owned() });
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                sanitize(v, &format!("{at}/{i}"))?;
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_sensitive_key(k) && !v.is_null() {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    sanitize(v, &format!("{at}/{k}"))?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks a plain string field (not redactable: refuse if it looks like a credential).
pub fn check_text(s: &str, at: &str) -> Result<(), SecretDetected> {
    if looks_like_credential(s) {
        Err(SecretDetected { at: at.to_owned() })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_members_are_blanked() {
        let mut v = json!({"passwordProfile": {"password": "Hunter2!", "forceChangePasswordNextSignIn": true},
                           "accountEnabled": false, "X-IDENTITY-HEADER": "abc",
                           "nested": {"newPassword": "x", "webhookSecret": "y", "accessToken": "z"},
                           "lastPasswordChangeDateTime": "2026-11-26T10:00:00Z"});
        sanitize(&mut v, "").unwrap();
        assert_eq!(v["passwordProfile"], REDACTED);
        assert_eq!(v["X-IDENTITY-HEADER"], REDACTED);
        assert_eq!(v["nested"]["newPassword"], REDACTED);
        assert_eq!(v["nested"]["webhookSecret"], REDACTED);
        assert_eq!(v["nested"]["accessToken"], REDACTED);
        assert_eq!(v["accountEnabled"], false);
        // When the password last changed is evidence, not a secret.
        assert_eq!(v["lastPasswordChangeDateTime"], "2026-11-26T10:00:00Z");
    }

    #[test]
    fn credential_looking_strings_are_refused() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        let mut v = json!({"note": jwt});
        assert_eq!(sanitize(&mut v, "").unwrap_err().at, "/note");
        for s in [
            "Bearer abc",
            "SharedAccessSignature sr=x&sig=y&se=1&skn=k",
            "https://a/b?sv=1&se=2&sig=3",
            "whsec_abc",
        ] {
            assert!(looks_like_credential(s), "{s}");
        }
        for s in [
            "ada@contoso.com",
            "c-5b1e",
            "PATCH /v1.0/users/{id}",
            "1.2.3",
        ] {
            assert!(!looks_like_credential(s), "{s}");
        }
    }
}
