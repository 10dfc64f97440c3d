//! Who is calling, and what offboard's app registration lets them do.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// An app role of offboard's app registration (declared in the infrastructure templates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Reads cases, evidence, reports, findings and the ledger; verifies.
    #[serde(rename = "Offboard.Auditor")]
    Auditor,
    /// Everything an auditor may, and also: dry run, operator offboarding, retry,
    /// remediation, approvals.
    #[serde(rename = "Offboard.Operator")]
    Operator,
}

impl Role {
    /// The role's value in tokens (`roles` claim) and on the app registration.
    pub const fn value(self) -> &'static str {
        match self {
            Self::Auditor => "Offboard.Auditor",
            Self::Operator => "Offboard.Operator",
        }
    }

    /// The role a `roles` claim value names, if it is one of offboard's.
    pub fn from_value(value: &str) -> Option<Self> {
        [Self::Auditor, Self::Operator]
            .into_iter()
            .find(|r| r.value() == value)
    }
}

/// Whether the caller is a person (signed in, or a delegated token) or an application with
/// its own identity (client credentials: a GRC tool pulling reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PrincipalKind {
    /// A person.
    Person,
    /// An application.
    Application,
}

/// The caller, as its Entra ID token says, after the token was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    /// Entra object id (`oid`): of the person, or of the application's service principal.
    pub object_id: String,
    /// Directory (`tid`).
    pub tenant_id: String,
    /// Person or application.
    pub kind: PrincipalKind,
    /// The person's sign-in name (`preferred_username`), for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name (`name`), for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The calling application's client id (`azp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// offboard's app roles the token carries (other values in `roles` are ignored).
    pub roles: BTreeSet<Role>,
}

impl Principal {
    /// Whether the caller may do what `needed` allows. An operator may do everything an
    /// auditor may.
    pub fn may(&self, needed: Role) -> bool {
        match needed {
            Role::Auditor => !self.roles.is_empty(),
            Role::Operator => self.roles.contains(&Role::Operator),
        }
    }

    /// How the caller is named in evidence and logs: the UPN of a person, the client id of an
    /// application, with the object id either way.
    pub fn describe(&self) -> String {
        match (&self.user_principal_name, &self.app_id, self.kind) {
            (Some(upn), _, PrincipalKind::Person) => format!("{upn} ({})", self.object_id),
            (_, Some(app), PrincipalKind::Application) => {
                format!("application {app} ({})", self.object_id)
            }
            _ => self.object_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(roles: &[Role]) -> Principal {
        Principal {
            object_id: "o".into(),
            tenant_id: "t".into(),
            kind: PrincipalKind::Person,
            user_principal_name: Some("a@b.c".into()),
            display_name: None,
            app_id: None,
            roles: roles.iter().copied().collect(),
        }
    }

    #[test]
    fn an_operator_may_audit_and_an_auditor_may_not_operate() {
        assert!(with(&[Role::Operator]).may(Role::Auditor));
        assert!(with(&[Role::Operator]).may(Role::Operator));
        assert!(with(&[Role::Auditor]).may(Role::Auditor));
        assert!(!with(&[Role::Auditor]).may(Role::Operator));
        assert!(!with(&[]).may(Role::Auditor));
    }

    #[test]
    fn roles_read_and_write_as_the_app_registration_names_them() {
        assert_eq!(Role::from_value("Offboard.Operator"), Some(Role::Operator));
        assert_eq!(Role::from_value("Offboard.Admin"), None);
        let json = serde_json::to_value(with(&[Role::Auditor])).unwrap_or_default();
        assert_eq!(json["roles"], serde_json::json!(["Offboard.Auditor"]));
    }
}
