//! The parts of a SCIM user (RFC 7643 §4.1) offboard reads, and the filters it finds a
//! leaver with.

use serde::Deserialize;
use serde_json::Value;

/// How to find the leaver in a system: one attribute compared with `eq` (RFC 7644 §3.4.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFilter {
    /// `userName eq "…"` (most systems use the work e-mail address or the UPN).
    UserName(String),
    /// `externalId eq "…"` (the id the provisioning client set: often HR's employee id or
    /// the Entra object id).
    ExternalId(String),
    /// `emails.value eq "…"`.
    Email(String),
}

impl UserFilter {
    /// The attribute path compared.
    pub fn attribute(&self) -> &'static str {
        match self {
            Self::UserName(_) => "userName",
            Self::ExternalId(_) => "externalId",
            Self::Email(_) => "emails.value",
        }
    }

    /// The value compared.
    pub fn value(&self) -> &str {
        match self {
            Self::UserName(v) | Self::ExternalId(v) | Self::Email(v) => v,
        }
    }

    /// The filter expression: the value is a JSON string literal (RFC 7644 §3.4.2.2 takes
    /// JSON's string grammar), so a quote or backslash in it cannot end the comparison.
    pub fn expression(&self) -> String {
        format!(
            "{} eq {}",
            self.attribute(),
            Value::String(self.value().to_owned())
        )
    }
}

impl std::fmt::Display for UserFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.expression())
    }
}

/// A user as the system answered it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    /// The system's id (used in the URL of every later request).
    pub id: String,
    /// `userName`.
    #[serde(default)]
    pub user_name: Option<String>,
    /// `externalId`.
    #[serde(default)]
    pub external_id: Option<String>,
    /// `active`; a system that omits it is read as active (RFC 7643 gives no default, and
    /// a missing value must never read as "deactivated").
    #[serde(default)]
    pub active: Option<bool>,
    /// The e-mail addresses.
    #[serde(default)]
    pub emails: Vec<ScimEmail>,
}

impl ScimUser {
    /// Whether the user can still sign in as far as SCIM shows.
    pub fn is_active(&self) -> bool {
        self.active != Some(false)
    }
}

/// One e-mail address of a user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScimEmail {
    /// The address.
    pub value: String,
}

/// A `ListResponse` (RFC 7644 §3.4.2).
#[derive(Debug, Deserialize)]
pub(crate) struct ListResponse {
    #[serde(rename = "totalResults", default)]
    pub total_results: Option<u64>,
    #[serde(rename = "Resources", default)]
    pub resources: Vec<ScimUser>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_in_the_value_stays_inside_the_string() {
        let f = UserFilter::UserName(r#"o"brien@contoso.com"#.into());
        assert_eq!(f.expression(), r#"userName eq "o\"brien@contoso.com""#);
        assert_eq!(
            UserFilter::Email("a@b.c".into()).expression(),
            r#"emails.value eq "a@b.c""#
        );
    }

    #[test]
    fn a_user_without_active_reads_as_active() {
        let u: ScimUser = serde_json::from_str(r#"{"id":"1","userName":"a"}"#).unwrap();
        assert!(u.is_active());
        let u: ScimUser = serde_json::from_str(r#"{"id":"1","active":false}"#).unwrap();
        assert!(!u.is_active());
    }
}
