//! The facts the planner reads for the two Entra doors of issue 16: the PIM eligibility a
//! leaver could still activate and the directory objects they own. A leaf (serde only), so
//! `facts` and the planner (`pim_owners`) both read it without importing each other.

use serde::{Deserialize, Serialize};

/// What an eligibility lets the leaver activate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EligibilityKind {
    /// A directory role (`roleManagement/directory/roleEligibilitySchedules`).
    DirectoryRole,
    /// Membership or ownership of a group under PIM for Groups
    /// (`identityGovernance/privilegedAccess/group/eligibilitySchedules`).
    Group,
}

/// One PIM eligibility of the leaver: a role or group they are not holding now but may
/// activate at any time until it is removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityFact {
    /// Role or group.
    pub kind: EligibilityKind,
    /// The eligibility schedule's id.
    pub schedule_id: String,
    /// The role definition id, or the group id.
    pub target_id: String,
    /// The role's or group's display name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_name: Option<String>,
    /// A role's directory scope (`/` for the whole tenant); a group's access (`member` or
    /// `owner`).
    pub scope: String,
    /// Whether the role is one Microsoft labels privileged, or the group holds such a role
    /// (a role-assignable group under PIM for Groups): the eligibility then goes before
    /// anything acts on the account, as active roles do.
    #[serde(default)]
    pub privileged: bool,
    /// For a group: the privileged directory roles the group holds, which the leaver could
    /// take by activating the eligibility.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileged_roles: Vec<String>,
}

impl EligibilityFact {
    /// The role's or group's name, else its id.
    pub fn name(&self) -> &str {
        self.target_name.as_deref().unwrap_or(&self.target_id)
    }
}

/// What kind of directory object the leaver owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OwnedKind {
    /// A group (`/groups/{id}/owners`).
    Group,
    /// An app registration (`/applications/{id}/owners`).
    Application,
    /// A service principal (enterprise app, `/servicePrincipals/{id}/owners`).
    ServicePrincipal,
}

impl OwnedKind {
    /// The Graph collection the object lives in (`groups`, `applications`,
    /// `servicePrincipals`).
    pub fn collection(self) -> &'static str {
        match self {
            Self::Group => "groups",
            Self::Application => "applications",
            Self::ServicePrincipal => "servicePrincipals",
        }
    }

    /// How people call it (`group`, `app registration`, `service principal`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Application => "app registration",
            Self::ServicePrincipal => "service principal",
        }
    }
}

/// A directory object the leaver owns, and who else owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnedObjectFact {
    /// Group, app registration or service principal.
    pub kind: OwnedKind,
    /// Object id.
    pub id: String,
    /// Display name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The other owners' object ids when the planner read them: empty means the leaver is the
    /// only owner.
    #[serde(default)]
    pub other_owners: Vec<String>,
}

impl OwnedObjectFact {
    /// The display name, else the id.
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.id)
    }
}
