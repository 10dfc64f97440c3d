//! SAS token checks as the Relay service makes them (implemented independently of the production
//! `offboard-relay` crate, so a mistake there is not mirrored here).

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use percent_encoding::percent_decode_str;
use sha2::Sha256;

/// A right a shared access rule grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Right {
    /// Open a listener control channel.
    Listen,
    /// Send requests (or connect WebSockets) to listeners.
    Send,
}

/// A shared access rule of the local namespace.
#[derive(Clone)]
pub struct SasRule {
    /// Rule name (`skn`).
    pub name: String,
    /// Key value, used as UTF-8 bytes.
    pub key: String,
    /// Granted rights.
    pub rights: BTreeSet<Right>,
}

impl std::fmt::Debug for SasRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SasRule")
            .field("name", &self.name)
            .field("rights", &self.rights)
            .finish()
    }
}

/// Why a token was refused; maps to 401 (invalid) or 403 (not for this path/action).
#[derive(Debug, PartialEq, Eq)]
pub enum TokenProblem {
    /// Missing, malformed, wrong signature, unknown rule, expired, wrong audience: 401.
    Invalid(&'static str),
    /// Valid, but the rule lacks the right: 403.
    Forbidden(&'static str),
}

/// A token that passed the checks.
#[derive(Debug)]
pub struct ValidToken {
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}

fn field<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Checks `token` (the full `SharedAccessSignature ...` string) for `right` on
/// `{namespace}/{path}` at `now` (Unix seconds).
pub fn validate(
    token: &str,
    rules: &[SasRule],
    namespace: &str,
    path: &str,
    right: Right,
    now: i64,
) -> Result<ValidToken, TokenProblem> {
    let body = token
        .trim()
        .strip_prefix("SharedAccessSignature ")
        .ok_or(TokenProblem::Invalid("not a SharedAccessSignature token"))?;
    let sr_raw = field(body, "sr").ok_or(TokenProblem::Invalid("token has no sr"))?;
    let sig_raw = field(body, "sig").ok_or(TokenProblem::Invalid("token has no sig"))?;
    let se_raw = field(body, "se").ok_or(TokenProblem::Invalid("token has no se"))?;
    let skn_raw = field(body, "skn").ok_or(TokenProblem::Invalid("token has no skn"))?;
    let skn = percent_decode_str(skn_raw).decode_utf8_lossy();
    let rule = rules
        .iter()
        .find(|r| r.name == skn)
        .ok_or(TokenProblem::Invalid("unknown shared access rule"))?;
    let expected_sig = {
        let mut mac = Hmac::<Sha256>::new_from_slice(rule.key.as_bytes())
            .map_err(|_| TokenProblem::Invalid("unusable key"))?;
        mac.update(format!("{sr_raw}\n{se_raw}").as_bytes());
        mac
    };
    let sig = percent_decode_str(sig_raw).decode_utf8_lossy();
    let sig = B64
        .decode(sig.as_bytes())
        .map_err(|_| TokenProblem::Invalid("signature is not base64"))?;
    expected_sig
        .verify_slice(&sig)
        .map_err(|_| TokenProblem::Invalid("signature does not match"))?;
    let expires_at: i64 = se_raw
        .parse()
        .map_err(|_| TokenProblem::Invalid("se is not a number"))?;
    if expires_at <= now {
        return Err(TokenProblem::Invalid("token expired"));
    }
    // Audience: the namespace or a prefix of the hybrid connection's URI, http or https/sb scheme.
    let sr = percent_decode_str(sr_raw)
        .decode_utf8_lossy()
        .to_ascii_lowercase();
    let rest = sr
        .strip_prefix("http://")
        .or_else(|| sr.strip_prefix("https://"))
        .or_else(|| sr.strip_prefix("sb://"))
        .ok_or(TokenProblem::Invalid(
            "audience has no http/https/sb scheme",
        ))?;
    let rest = rest.trim_end_matches('/');
    let target = format!(
        "{}/{}",
        namespace.to_ascii_lowercase(),
        path.to_ascii_lowercase()
    );
    let audience_ok = rest == namespace.to_ascii_lowercase()
        || target == rest
        || target.starts_with(&format!("{rest}/"));
    if !audience_ok {
        return Err(TokenProblem::Invalid(
            "token audience is not this namespace or hybrid connection",
        ));
    }
    if !rule.rights.contains(&right) {
        return Err(TokenProblem::Forbidden(match right {
            Right::Listen => "the rule does not grant Listen",
            Right::Send => "the rule does not grant Send",
        }));
    }
    Ok(ValidToken { expires_at })
}
