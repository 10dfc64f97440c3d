//! The directory: the app's identities, role definitions and assignments, users (with the
//! on-premises side of a synced one), groups, enterprise applications, consent grants, app
//! role assignments and authentication methods.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::licenses::AssignedLicense;

/// The app's managed identities (see `standin_identity::ManagedIdentity`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identities {
    /// The function app's system-assigned identity.
    pub system_assigned: Option<AppIdentity>,
    /// User-assigned identities attached to the app.
    #[serde(default)]
    pub user_assigned: Vec<AppIdentity>,
}

/// One managed identity and what it has been granted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppIdentity {
    /// Client (application) id.
    pub client_id: String,
    /// Object id of its service principal (role assignments name it as `principalId`).
    pub object_id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Microsoft Graph application permissions (app roles on the Graph service principal).
    #[serde(default)]
    pub graph_app_roles: Vec<String>,
    /// Office 365 Exchange Online application permissions (e.g. `Exchange.ManageAsApp`).
    #[serde(default)]
    pub exchange_app_roles: Vec<String>,
}

/// A built-in directory role (unifiedRoleDefinition).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinition {
    /// Template id, e.g. `62e90394-69f5-4237-9190-012177145e10` for Global Administrator.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Whether Entra marks the role privileged (targets holding it need stronger roles to manage).
    #[serde(default)]
    pub is_privileged: bool,
}

/// The on-premises Active Directory side of a synced user (simulator only). A later directory
/// sync model copies `account_enabled` to the cloud object after a delay; see `sync.rs`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesState {
    /// Whether the AD account is enabled (`userAccountControl` bit 0x2 clear).
    pub account_enabled: bool,
    /// When AD last changed, if the change has not been synced yet.
    #[serde(default)]
    pub changed_at: Option<DateTime<Utc>>,
}

/// A user (Graph `user`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Object id.
    pub id: String,
    /// UPN.
    pub user_principal_name: String,
    /// Display name.
    pub display_name: String,
    /// Given name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// Surname.
    #[serde(default)]
    pub surname: Option<String>,
    /// Primary SMTP address (null when the user has no mailbox).
    #[serde(default)]
    pub mail: Option<String>,
    /// Mail alias.
    #[serde(default)]
    pub mail_nickname: Option<String>,
    /// HR's employee id.
    #[serde(default)]
    pub employee_id: Option<String>,
    /// Job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Department.
    #[serde(default)]
    pub department: Option<String>,
    /// Company name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// Office.
    #[serde(default)]
    pub office_location: Option<String>,
    /// Business phones.
    #[serde(default)]
    pub business_phones: Vec<String>,
    /// Mobile phone.
    #[serde(default)]
    pub mobile_phone: Option<String>,
    /// Preferred language.
    #[serde(default)]
    pub preferred_language: Option<String>,
    /// Usage location (needed to assign licences).
    #[serde(default)]
    pub usage_location: Option<String>,
    /// `Member` or `Guest`.
    #[serde(default = "member")]
    pub user_type: String,
    /// Whether sign-in is allowed.
    pub account_enabled: bool,
    /// `true` for users synced from on-premises AD (Graph refuses writes to their AD-mastered
    /// properties such as `accountEnabled`).
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
    /// On-premises immutable id (sourceAnchor).
    #[serde(default)]
    pub on_premises_immutable_id: Option<String>,
    /// On-premises sAMAccountName.
    #[serde(default)]
    pub on_premises_sam_account_name: Option<String>,
    /// On-premises distinguished name.
    #[serde(default)]
    pub on_premises_distinguished_name: Option<String>,
    /// Last directory sync.
    #[serde(default)]
    pub on_premises_last_sync_date_time: Option<DateTime<Utc>>,
    /// Object id of the manager.
    #[serde(default)]
    pub manager_id: Option<String>,
    /// When the user was deleted (set once it is in deleted items).
    #[serde(default)]
    pub deleted_date_time: Option<DateTime<Utc>>,
    /// Directly assigned licences (group-based ones come from groups).
    #[serde(default)]
    pub assigned_licenses: Vec<AssignedLicense>,
    /// Sessions issued before this instant are invalid (`revokeSignInSessions`).
    pub sign_in_sessions_valid_from_date_time: DateTime<Utc>,
    /// Last password change.
    #[serde(default)]
    pub last_password_change_date_time: Option<DateTime<Utc>>,
    /// Whether the next sign-in must change the password (simulator only; Graph never returns
    /// passwordProfile).
    #[serde(default)]
    pub force_change_password_next_sign_in: bool,
    /// Last interactive sign-in (signInActivity).
    #[serde(default)]
    pub last_sign_in_date_time: Option<DateTime<Utc>>,
    /// `employeeType` (`Employee`, `Contractor`, or a company's own value such as `Service`).
    #[serde(default)]
    pub employee_type: Option<String>,
    /// `employeeLeaveDateTime`: when the person leaves, as HR inbound provisioning writes it.
    #[serde(default)]
    pub employee_leave_date_time: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_date_time: DateTime<Utc>,
    /// The on-premises AD side of a synced user (simulator only).
    #[serde(default)]
    pub on_premises: Option<OnPremisesState>,
}

fn member() -> String {
    "Member".to_owned()
}

impl User {
    /// Whether the user is mastered in on-premises AD.
    pub fn is_synced(&self) -> bool {
        self.on_premises_sync_enabled == Some(true)
    }
}

/// A group (Graph `group`): Microsoft 365, security, mail-enabled security, distribution,
/// dynamic, synced or role-assignable — told apart by its properties as in Graph.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// `Unified` (Microsoft 365 group) and/or `DynamicMembership`.
    #[serde(default)]
    pub group_types: Vec<String>,
    /// Mail-enabled.
    pub mail_enabled: bool,
    /// Security-enabled.
    pub security_enabled: bool,
    /// SMTP address.
    #[serde(default)]
    pub mail: Option<String>,
    /// Mail alias.
    #[serde(default)]
    pub mail_nickname: Option<String>,
    /// Rule of a dynamic group.
    #[serde(default)]
    pub membership_rule: Option<String>,
    /// `On` or `Paused` for dynamic groups.
    #[serde(default)]
    pub membership_rule_processing_state: Option<String>,
    /// `true` when synced from on-premises AD.
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
    /// Role-assignable group.
    #[serde(default)]
    pub is_assignable_to_role: Option<bool>,
    /// Direct members (user or group ids).
    #[serde(default)]
    pub members: Vec<String>,
    /// Licences assigned to the group (group-based licensing).
    #[serde(default)]
    pub assigned_licenses: Vec<AssignedLicense>,
}

impl Group {
    /// A dynamic-membership group (members follow a rule; Graph refuses member edits).
    pub fn is_dynamic(&self) -> bool {
        self.group_types.iter().any(|t| t == "DynamicMembership")
    }
    /// A Microsoft 365 group.
    pub fn is_unified(&self) -> bool {
        self.group_types.iter().any(|t| t == "Unified")
    }
    /// A mail-enabled security group or a distribution list: read-only in Graph, mastered in
    /// Exchange.
    pub fn is_exchange_mastered(&self) -> bool {
        self.mail_enabled && !self.is_unified()
    }
    /// Synced from on-premises AD.
    pub fn is_synced(&self) -> bool {
        self.on_premises_sync_enabled == Some(true)
    }
}

/// A directory role assignment (unifiedRoleAssignment).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    /// Assignment id.
    pub id: String,
    /// The user or service principal holding the role.
    pub principal_id: String,
    /// The role definition (template id).
    pub role_definition_id: String,
    /// Scope, `/` for the whole directory.
    #[serde(default = "root_scope")]
    pub directory_scope_id: String,
}

fn root_scope() -> String {
    "/".to_owned()
}

/// An enterprise application.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// Object id.
    pub id: String,
    /// Application id.
    pub app_id: String,
    /// Display name.
    pub display_name: String,
}

/// A delegated permission grant (`oAuth2PermissionGrant`): a client app may call an API
/// (`resourceId`) with `scope` on behalf of one user (`consentType = Principal`) or of every
/// user (`AllPrincipals`, admin consent).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2PermissionGrant {
    /// Grant id.
    pub id: String,
    /// Object id of the client app's service principal.
    pub client_id: String,
    /// `Principal` or `AllPrincipals`.
    pub consent_type: String,
    /// The user, for `Principal` grants.
    #[serde(default)]
    pub principal_id: Option<String>,
    /// Object id of the API's service principal.
    pub resource_id: String,
    /// Space-separated delegated scopes.
    pub scope: String,
}

/// An app role assignment granted to a user.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleAssignment {
    /// Assignment id.
    pub id: String,
    /// App role id (all zeros for default access).
    pub app_role_id: String,
    /// The user.
    pub principal_id: String,
    /// The resource service principal.
    pub resource_id: String,
    /// Creation time.
    pub created_date_time: DateTime<Utc>,
}

/// A registered authentication method.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationMethod {
    /// Method id.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Graph type without namespace, e.g. `microsoftAuthenticatorAuthenticationMethod`,
    /// `phoneAuthenticationMethod`, `fido2AuthenticationMethod`, `passwordAuthenticationMethod`.
    pub method_type: String,
    /// Display name or device name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Phone number of a phone method.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// `mobile`, `alternateMobile` or `office` for phone methods.
    #[serde(default)]
    pub phone_type: Option<String>,
    /// Registration time.
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
}
