//! Identifiers that are types, not strings: once you hold one it is valid.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// The id of a case, derived deterministically from where the termination came from and the
/// id that source gave it, so that a redelivered event maps to the same case.
///
/// Format: `c-` followed by a UUIDv5 of `"{source}\n{source_event_id}"` in the offboard
/// namespace. UUIDv5 (SHA-1 based) is fine here: the id is a stable name, not a security
/// boundary; the evidence chain uses SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseId(String);

/// Namespace for case ids (a random, fixed UUID owned by offboard).
const CASE_NAMESPACE: uuid::Uuid = uuid::uuid!("5a0f1d3e-6b7c-4c1e-9f8a-0ffb0a4d0001");

impl CaseId {
    /// Derives the case id for an event from `source` with the given source event id.
    pub fn derive(source: &str, source_event_id: &str) -> Self {
        let name = format!("{source}\n{source_event_id}");
        Self(format!(
            "c-{}",
            uuid::Uuid::new_v5(&CASE_NAMESPACE, name.as_bytes())
        ))
    }

    /// Parses a case id received from outside (a URL path, a queue message).
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        let rest = value
            .strip_prefix("c-")
            .ok_or_else(|| InvalidId::new("case id", value, "must start with `c-`"))?;
        uuid::Uuid::parse_str(rest)
            .map_err(|_| InvalidId::new("case id", value, "must be `c-` followed by a UUID"))?;
        Ok(Self(value.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CaseId {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CaseId> for String {
    fn from(value: CaseId) -> Self {
        value.0
    }
}

/// A value that does not have the shape its kind of identifier requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} `{value}`: {reason}")]
pub struct InvalidId {
    /// What kind of identifier was expected (for example "case id").
    pub kind: &'static str,
    /// The offending value (identifiers are not secrets).
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl InvalidId {
    fn new(kind: &'static str, value: &str, reason: &'static str) -> Self {
        let mut value = value.to_owned();
        value.truncate(200);
        Self {
            kind,
            value,
            reason,
        }
    }
}

/// A SHA-256 digest, shown and stored as 64 lowercase hex characters.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// Thirty-two zero bytes: the `prev_hash` of the first link of a chain.
    pub const ZERO: Self = Self([0u8; 32]);

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Wraps raw digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex form.
    pub fn to_hex(&self) -> String {
        // Into a buffer, then one String: `hex::encode` collects its String a char at a time,
        // which showed in the offline verifier's profile (every record carries two digests).
        let mut buf = [0u8; 64];
        match hex::encode_to_slice(self.0, &mut buf) {
            Ok(()) => String::from_utf8(buf.to_vec()).unwrap_or_else(|_| hex::encode(self.0)),
            Err(_) => hex::encode(self.0),
        }
    }

    /// Parses 64 hex characters.
    pub fn parse_hex(value: &str) -> Result<Self, InvalidId> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(value, &mut out)
            .map_err(|_| InvalidId::new("SHA-256 digest", value, "must be 64 hex characters"))?;
        Ok(Self(out))
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl TryFrom<String> for Sha256Digest {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse_hex(&value)
    }
}

impl From<Sha256Digest> for String {
    fn from(value: Sha256Digest) -> Self {
        value.to_hex()
    }
}

/// How HR and identity systems name the leaver. At least one identifier is always present
/// (enforced by [`EmployeeIdentifiers::new`]); the planner resolves the account from them in
/// the order employee id, UPN, mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeIdentifiers {
    /// HR's employee number (Entra ID `employeeId`, AD `employeeID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// The user principal name in Entra ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// The primary SMTP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// The on-premises `sAMAccountName`, when HR knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_premises_sam_account_name: Option<String>,
}

/// Why a set of employee identifiers was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// No identifier at all: nothing to resolve the leaver by.
    #[error(
        "no employee identifier: give at least one of employeeId, userPrincipalName, mail, onPremisesSamAccountName"
    )]
    Missing,
    /// An identifier is present but malformed.
    #[error("{field} `{value}` is not valid: {reason}")]
    Invalid {
        /// The field name as the API spells it.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl EmployeeIdentifiers {
    /// Validates and normalises identifiers: trims whitespace, drops empty values, checks the
    /// shape of UPN and mail (`local@domain`) and of the account name (no `\`, `@`, or spaces,
    /// at most 20 characters as AD requires).
    pub fn new(
        employee_id: Option<String>,
        user_principal_name: Option<String>,
        mail: Option<String>,
        on_premises_sam_account_name: Option<String>,
    ) -> Result<Self, IdentifierError> {
        fn clean(v: Option<String>) -> Option<String> {
            v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
        }
        let ids = Self {
            employee_id: clean(employee_id),
            user_principal_name: clean(user_principal_name),
            mail: clean(mail),
            on_premises_sam_account_name: clean(on_premises_sam_account_name),
        };
        if let Some(v) = &ids.employee_id
            && (v.len() > 64 || v.chars().any(char::is_control))
        {
            return Err(IdentifierError::Invalid {
                field: "employeeId",
                value: v.clone(),
                reason: "at most 64 printable characters",
            });
        }
        for (field, value) in [
            ("userPrincipalName", &ids.user_principal_name),
            ("mail", &ids.mail),
        ] {
            if let Some(v) = value
                && !looks_like_address(v)
            {
                return Err(IdentifierError::Invalid {
                    field,
                    value: v.clone(),
                    reason: "must look like name@domain",
                });
            }
        }
        if let Some(v) = &ids.on_premises_sam_account_name
            && (v.len() > 20 || v.chars().any(|c| matches!(c, '\\' | '@' | ' ' | '/' | '"')))
        {
            return Err(IdentifierError::Invalid {
                field: "onPremisesSamAccountName",
                value: v.clone(),
                reason: "at most 20 characters, without \\ / @ \" or spaces",
            });
        }
        if ids.is_empty() {
            return Err(IdentifierError::Missing);
        }
        Ok(ids)
    }

    /// True when no identifier is present.
    pub fn is_empty(&self) -> bool {
        self.employee_id.is_none()
            && self.user_principal_name.is_none()
            && self.mail.is_none()
            && self.on_premises_sam_account_name.is_none()
    }

    /// The most specific identifier, for display: employee id, UPN, mail, then account name.
    pub fn display_name(&self) -> &str {
        self.employee_id
            .as_deref()
            .or(self.user_principal_name.as_deref())
            .or(self.mail.as_deref())
            .or(self.on_premises_sam_account_name.as_deref())
            .unwrap_or("(unknown)")
    }
}

fn looks_like_address(v: &str) -> bool {
    match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_id_is_deterministic_and_source_scoped() {
        let a = CaseId::derive("bamboohr", "42:2026-11-30");
        let b = CaseId::derive("bamboohr", "42:2026-11-30");
        let c = CaseId::derive("generic", "42:2026-11-30");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(CaseId::parse(a.as_str()).unwrap(), a);
        assert!(CaseId::parse("c-nope").is_err());
        assert!(CaseId::parse("../etc/passwd").is_err());
    }

    #[test]
    fn digest_round_trips_as_hex() {
        let d = Sha256Digest::of(b"abc");
        assert_eq!(
            d.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Sha256Digest::parse_hex(&d.to_hex()).unwrap(), d);
        assert!(Sha256Digest::parse_hex("zz").is_err());
    }

    #[test]
    fn identifiers_need_one_value_and_valid_shapes() {
        assert_eq!(
            EmployeeIdentifiers::new(None, Some("  ".into()), None, None),
            Err(IdentifierError::Missing)
        );
        assert!(matches!(
            EmployeeIdentifiers::new(None, Some("not-an-upn".into()), None, None),
            Err(IdentifierError::Invalid {
                field: "userPrincipalName",
                ..
            })
        ));
        let ok = EmployeeIdentifiers::new(Some(" 1042 ".into()), None, None, None).unwrap();
        assert_eq!(ok.employee_id.as_deref(), Some("1042"));
        assert_eq!(ok.display_name(), "1042");
    }
}
