//! What the planner found about the leaver: the state the steps act on, as a summary that
//! is stored with the plan (and shown by the dry run). Names and ids, never secrets.
//!
//! It is also the leaver's **snapshot**: the `plan` evidence record carries these facts as
//! `details.snapshot`, read before anything of the plan was changed, and a restore
//! ([`super::reverse`]) puts back what they show — so each fact holds what re-creating it
//! takes (a licence's disabled plans, an app role's resource and role ids).

use serde::{Deserialize, Serialize};

/// A person in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonRef {
    /// Entra object id.
    pub id: String,
    /// UPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Primary SMTP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
}

/// A licence and how it was assigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenceFact {
    /// SKU id.
    pub sku_id: String,
    /// Part number (`SPE_E3`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_part_number: Option<String>,
    /// Assigned directly (removable with assignLicense).
    pub direct: bool,
    /// Groups that assign it (removed with the group membership).
    pub via_groups: Vec<String>,
    /// The service plans switched off in the direct assignment: a restore assigns the licence
    /// again with the same ones off (absent in plans made before restores existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_plans: Vec<String>,
}

/// A group the leaver belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupFact {
    /// Object id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `microsoft365`, `security`, `dynamic`, `mailEnabledSecurity`, `distribution`,
    /// `syncedFromOnPremises`.
    pub kind: String,
    /// Whether Graph can remove the membership.
    pub removable: bool,
    /// Whether the group assigns licences.
    pub assigns_licences: bool,
    /// Whether only direct membership (not nested) makes the leaver a member.
    pub direct: bool,
    /// The privileged directory roles the group holds (a role-assignable group): its members
    /// hold them too, so the leaver is as privileged as a direct holder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileged_roles: Vec<String>,
}

/// A directory role assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRoleFact {
    /// Assignment id.
    pub assignment_id: String,
    /// Role definition id.
    pub role_definition_id: String,
    /// Role name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// Whether Entra ID marks the role privileged (`isPrivileged`): its holder is protected
    /// when the policy says so.
    #[serde(default)]
    pub privileged: bool,
}

/// An app role assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleFact {
    /// Assignment id.
    pub assignment_id: String,
    /// The resource (service principal) display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// The resource's service principal object id: with `app_role_id`, what a restore needs
    /// to assign the role again (absent in plans made before restores existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The app role's id on the resource (the all-zero id is the default access role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_role_id: Option<String>,
}

/// A delegated permission grant the leaver consented to (`consentType = Principal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthGrantFact {
    /// Grant id.
    pub grant_id: String,
    /// Object id of the client app's service principal (the app acting as the leaver).
    pub client_id: String,
    /// Object id of the API's service principal.
    pub resource_id: String,
    /// The delegated scopes, space-separated.
    pub scope: String,
}

/// An authentication method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthMethodFact {
    /// Method id.
    pub id: String,
    /// Method type (`microsoftAuthenticator`, `phone`, `fido2`, `password`, ...).
    pub method_type: String,
}

/// A managed device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceFact {
    /// Intune managed device id.
    pub id: String,
    /// Device name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Operating system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

/// The mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxFact {
    /// `UserMailbox`, `SharedMailbox`, ...
    pub recipient_type: String,
    /// Whether hidden from address lists.
    pub hidden: bool,
    /// Who else held a right on the mailbox when the case was planned: the baseline the
    /// ghost-access scan judges rights granted later against. `None`: not read (a case planned
    /// before it was recorded, or Exchange did not answer); the scan then judges none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegates: Option<Vec<MailboxDelegate>>,
}

/// A right someone holds on the leaver's mailbox: `FullAccess` (`Get-MailboxPermission`),
/// `SendAs` (`Get-RecipientPermission`) or `SendOnBehalf` (`GrantSendOnBehalfTo`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxDelegate {
    /// Who holds it, as Exchange names them (lower case).
    pub user: String,
    /// `FullAccess`, `SendAs` or `SendOnBehalf`.
    pub right: String,
}

/// The OneDrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriveFact {
    /// Drive id.
    pub id: String,
    /// Web URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
}

/// Everything the planner found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    /// The leaver's account.
    pub user: PersonRef,
    /// How the leaver was found (`employeeId`, `userPrincipalName`, `mail`).
    pub resolved_by: String,
    /// Synced from on-premises AD.
    pub synced: bool,
    /// The account's Entra ID `employeeId` (HR may have found it by UPN or mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// On-premises sAMAccountName, when synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_premises_sam_account_name: Option<String>,
    /// Whether sign-in is currently enabled.
    pub account_enabled: bool,
    /// Licences.
    pub licences: Vec<LicenceFact>,
    /// Groups.
    pub groups: Vec<GroupFact>,
    /// Directory roles.
    pub directory_roles: Vec<DirectoryRoleFact>,
    /// App roles.
    pub app_roles: Vec<AppRoleFact>,
    /// Delegated permission grants the leaver consented to (absent in plans made before
    /// the step existed).
    #[serde(default)]
    pub oauth_grants: Vec<OAuthGrantFact>,
    /// PIM eligibility: directory roles and groups the leaver may activate (absent in plans
    /// made before the step existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pim_eligibilities: Vec<super::pim_owners_facts::EligibilityFact>,
    /// Groups, app registrations and service principals the leaver owns (absent in plans made
    /// before the step existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned_objects: Vec<super::pim_owners_facts::OwnedObjectFact>,
    /// Authentication methods.
    pub auth_methods: Vec<AuthMethodFact>,
    /// Managed devices.
    pub devices: Vec<DeviceFact>,
    /// The mailbox, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<MailboxFact>,
    /// The OneDrive, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drive: Option<DriveFact>,
    /// The sharing links found on the OneDrive (absent without one, and in plans made before
    /// `revoke-sharing` existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing: Option<super::sharing_facts::SharingFact>,
    /// The manager, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<PersonRef>,
}

/// The on-premises AD account as the agent read it before the case changed it (the first
/// agent command's `before` state). No password material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdBefore {
    /// Its distinguished name (where it lived before any move to the disabled-users OU).
    pub dn: String,
    /// Whether it was already disabled.
    pub disabled: bool,
    /// Its direct group memberships.
    #[serde(default)]
    pub member_of: Vec<String>,
}
