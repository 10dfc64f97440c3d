//! The tenant's state: what a seed file holds and what `/_sim/state` returns.
//!
//! The types mirror the Graph resources offboarding touches, with Graph's property names
//! (camelCase) so a seed reads like Graph output. A few fields exist only in the simulator
//! (the on-premises side of a synced user, the mailbox's Exchange view); they are marked
//! "simulator only" and never appear in Graph or Exchange answers, which are projections built
//! in `graph.rs` and `exchange.rs`. The format is documented in `standins/tenant-sim/README.md`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A whole tenant: the seed format and the live state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// Entra tenant id (GUID); tokens carry it as `tid` and Exchange URLs contain it.
    pub tenant_id: String,
    /// The tenant's initial domain, e.g. `contoso.com` (used in Exchange identities).
    pub domain: String,
    /// The app's managed identities and the application permissions they hold.
    pub identities: Identities,
    /// Directory role definitions (built-in templates) that assignments refer to.
    #[serde(default)]
    pub role_definitions: Vec<RoleDefinition>,
    /// Products (SKUs) the tenant subscribes to.
    #[serde(default)]
    pub skus: Vec<Sku>,
    /// Users.
    #[serde(default)]
    pub users: Vec<User>,
    /// Groups of every kind.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Directory role assignments (users and the managed identity's service principal).
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    /// Enterprise applications (service principals) users can hold app roles on.
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipal>,
    /// App role assignments granted to users.
    #[serde(default)]
    pub app_role_assignments: Vec<AppRoleAssignment>,
    /// Delegated permission grants (user consent and admin consent for all users).
    #[serde(default)]
    pub oauth2_permission_grants: Vec<OAuth2PermissionGrant>,
    /// Authentication methods registered by users.
    #[serde(default)]
    pub authentication_methods: Vec<AuthenticationMethod>,
    /// Intune managed devices.
    #[serde(default)]
    pub managed_devices: Vec<ManagedDevice>,
    /// OneDrive for Business drives.
    #[serde(default)]
    pub drives: Vec<Drive>,
    /// Exchange Online mailboxes.
    #[serde(default)]
    pub mailboxes: Vec<Mailbox>,
    /// Mail sent through `sendMail` (simulator only: lets tests read notifications).
    #[serde(default)]
    pub sent_mail: Vec<SentMail>,
    /// Users deleted through Graph (soft-deleted, as `/directory/deletedItems` would hold them).
    #[serde(default)]
    pub deleted_users: Vec<User>,
}

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

/// A service plan inside a SKU.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlan {
    /// Service plan id.
    pub service_plan_id: String,
    /// Service plan name, e.g. `EXCHANGE_S_ENTERPRISE`.
    pub service_plan_name: String,
}

/// A subscribed product.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sku {
    /// SKU id (GUID).
    pub sku_id: String,
    /// Part number, e.g. `SPE_E3`.
    pub sku_part_number: String,
    /// Service plans the SKU contains.
    #[serde(default)]
    pub service_plans: Vec<ServicePlan>,
}

/// A licence assignment (direct on a user, or on a group for group-based licensing).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedLicense {
    /// The SKU.
    pub sku_id: String,
    /// Service plans switched off.
    #[serde(default)]
    pub disabled_plans: Vec<String>,
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

/// A result of a remote action on a managed device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceActionResult {
    /// `retire`, `wipe`…
    pub action_name: String,
    /// `pending`, `done`…
    pub action_state: String,
    /// Start.
    pub start_date_time: DateTime<Utc>,
    /// Last update.
    pub last_updated_date_time: DateTime<Utc>,
}

/// An Intune managed device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDevice {
    /// Device id.
    pub id: String,
    /// Primary user.
    pub user_id: String,
    /// Device name.
    pub device_name: String,
    /// `company` or `personal`.
    pub managed_device_owner_type: String,
    /// Operating system.
    pub operating_system: String,
    /// OS version.
    #[serde(default)]
    pub os_version: Option<String>,
    /// `compliant`, `noncompliant`…
    #[serde(default = "compliant")]
    pub compliance_state: String,
    /// `managed`, `retirePending`…
    #[serde(default = "managed")]
    pub management_state: String,
    /// Enrollment time.
    pub enrolled_date_time: DateTime<Utc>,
    /// Last check-in.
    pub last_sync_date_time: DateTime<Utc>,
    /// Model.
    #[serde(default)]
    pub model: Option<String>,
    /// Manufacturer.
    #[serde(default)]
    pub manufacturer: Option<String>,
    /// Serial number.
    #[serde(default)]
    pub serial_number: Option<String>,
    /// Entra device id.
    #[serde(default)]
    pub azure_ad_device_id: Option<String>,
    /// Remote actions taken.
    #[serde(default)]
    pub device_action_results: Vec<DeviceActionResult>,
}

fn compliant() -> String {
    "compliant".to_owned()
}
fn managed() -> String {
    "managed".to_owned()
}

/// A sharing permission on a drive's root.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrivePermission {
    /// Permission id.
    pub id: String,
    /// `read`, `write` or `owner`.
    pub roles: Vec<String>,
    /// The user granted.
    pub user_id: String,
    /// Whether it came from an invitation (vs. ownership).
    #[serde(default)]
    pub invited: bool,
    /// When the grant expires, if the inviter set it.
    #[serde(default)]
    pub expiration_date_time: Option<DateTime<Utc>>,
}

/// A OneDrive for Business drive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Drive {
    /// Drive id.
    pub id: String,
    /// Owner.
    pub owner_id: String,
    /// `business`.
    #[serde(default = "business")]
    pub drive_type: String,
    /// Web URL.
    pub web_url: String,
    /// Id of the root driveItem.
    pub root_id: String,
    /// Bytes used.
    #[serde(default)]
    pub used_bytes: u64,
    /// Permissions on the root item.
    #[serde(default)]
    pub root_permissions: Vec<DrivePermission>,
}

fn business() -> String {
    "business".to_owned()
}

/// Automatic replies (shared by Graph `mailboxSettings` and Exchange
/// `Set-MailboxAutoReplyConfiguration`, which change the same mailbox setting).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoReply {
    /// `disabled`, `alwaysEnabled` or `scheduled`.
    pub status: String,
    /// `none`, `contactsOnly` or `all`.
    pub external_audience: String,
    /// Internal message.
    #[serde(default)]
    pub internal_reply_message: String,
    /// External message.
    #[serde(default)]
    pub external_reply_message: String,
    /// Start of a scheduled window (UTC).
    #[serde(default)]
    pub scheduled_start_date_time: Option<DateTime<Utc>>,
    /// End of a scheduled window (UTC).
    #[serde(default)]
    pub scheduled_end_date_time: Option<DateTime<Utc>>,
}

impl Default for AutoReply {
    fn default() -> Self {
        Self {
            status: "disabled".to_owned(),
            external_audience: "all".to_owned(),
            internal_reply_message: String::new(),
            external_reply_message: String::new(),
            scheduled_start_date_time: None,
            scheduled_end_date_time: None,
        }
    }
}

/// A FullAccess (or other) grant on a mailbox.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxPermission {
    /// The trustee's UPN.
    pub user: String,
    /// E.g. `FullAccess`.
    pub access_rights: Vec<String>,
    /// Whether Outlook auto-maps the mailbox.
    #[serde(default)]
    pub auto_mapping: bool,
}

/// An Exchange Online mailbox.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mailbox {
    /// The owning user (ExternalDirectoryObjectId).
    pub user_id: String,
    /// `UserMailbox`, `SharedMailbox`, `RoomMailbox` or `EquipmentMailbox`.
    pub recipient_type_details: String,
    /// Hidden from the global address list.
    #[serde(default)]
    pub hidden_from_address_lists_enabled: bool,
    /// Mailbox size in bytes (shared mailboxes over 50 GB need a licence).
    #[serde(default)]
    pub total_item_size_bytes: u64,
    /// Litigation hold.
    #[serde(default)]
    pub litigation_hold_enabled: bool,
    /// Time zone of mailboxSettings.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Automatic replies.
    #[serde(default)]
    pub auto_reply: AutoReply,
    /// Delegated permissions.
    #[serde(default)]
    pub permissions: Vec<MailboxPermission>,
    /// Forwarding, hold duration, delegates, rules, phones and meetings.
    #[serde(default, flatten)]
    pub doors: crate::mailbox_doors::MailboxDoors,
}

fn utc() -> String {
    "UTC".to_owned()
}

/// A message sent with `sendMail` (simulator only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMail {
    /// Sender (the user in the URL).
    pub from: String,
    /// Recipient addresses.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Body content.
    pub body: String,
    /// When it was accepted.
    pub sent_date_time: DateTime<Utc>,
}

/// Effective licence of a user: one SKU and who assigned it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseState {
    /// The SKU.
    pub sku_id: String,
    /// Disabled plans.
    pub disabled_plans: Vec<String>,
    /// `None` for a direct assignment, the group id for group-based licensing.
    pub assigned_by_group: Option<String>,
}

impl Tenant {
    /// Finds a user by object id or UPN (case-insensitive, as Graph does).
    pub fn user(&self, key: &str) -> Option<&User> {
        self.users.iter().find(|u| {
            u.id.eq_ignore_ascii_case(key) || u.user_principal_name.eq_ignore_ascii_case(key)
        })
    }

    /// Mutable [`Self::user`].
    pub fn user_mut(&mut self, key: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| {
            u.id.eq_ignore_ascii_case(key) || u.user_principal_name.eq_ignore_ascii_case(key)
        })
    }

    /// Finds a group by id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id))
    }

    /// Finds a SKU by id.
    pub fn sku(&self, id: &str) -> Option<&Sku> {
        self.skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(id))
    }

    /// The mailbox of a user, if any.
    pub fn mailbox(&self, user_id: &str) -> Option<&Mailbox> {
        self.mailboxes
            .iter()
            .find(|m| m.user_id.eq_ignore_ascii_case(user_id))
    }

    /// Mutable [`Self::mailbox`].
    pub fn mailbox_mut(&mut self, user_id: &str) -> Option<&mut Mailbox> {
        self.mailboxes
            .iter_mut()
            .find(|m| m.user_id.eq_ignore_ascii_case(user_id))
    }

    /// Groups the object is a direct member of.
    pub fn direct_groups(&self, member_id: &str) -> Vec<&Group> {
        self.groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m.eq_ignore_ascii_case(member_id)))
            .collect()
    }

    /// Groups the object is a member of directly or through nested groups.
    pub fn transitive_groups(&self, member_id: &str) -> Vec<&Group> {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut out = Vec::new();
        let mut frontier = vec![member_id.to_owned()];
        while let Some(current) = frontier.pop() {
            for g in self.direct_groups(&current) {
                if seen.insert(g.id.clone()) {
                    out.push(g);
                    frontier.push(g.id.clone());
                }
            }
        }
        out
    }

    /// Directory role definitions held by a principal.
    pub fn roles_of(&self, principal_id: &str) -> Vec<&RoleDefinition> {
        self.role_assignments
            .iter()
            .filter(|a| a.principal_id.eq_ignore_ascii_case(principal_id))
            .filter_map(|a| {
                self.role_definitions
                    .iter()
                    .find(|d| d.id.eq_ignore_ascii_case(&a.role_definition_id))
            })
            .collect()
    }

    /// Whether the principal holds a role with one of these display names.
    pub fn has_role_named(&self, principal_id: &str, names: &[&str]) -> bool {
        self.roles_of(principal_id)
            .iter()
            .any(|d| names.iter().any(|n| d.display_name.eq_ignore_ascii_case(n)))
    }

    /// Whether the principal holds any privileged directory role.
    pub fn holds_privileged_role(&self, principal_id: &str) -> bool {
        self.roles_of(principal_id).iter().any(|d| d.is_privileged)
    }

    /// The user's effective licences: direct ones, then those inherited from groups (a SKU can
    /// appear twice, once direct and once per licensing group, as in `licenseAssignmentStates`).
    pub fn license_states(&self, user_id: &str) -> Vec<LicenseState> {
        self.user(user_id)
            .map(|u| self.license_states_of(u))
            .unwrap_or_default()
    }

    /// [`Tenant::license_states`] of a user already in hand (no lookup by id: listing a
    /// 100,000-user tenant must not search the users once per user listed).
    pub fn license_states_of(&self, user: &User) -> Vec<LicenseState> {
        let mut out = Vec::new();
        {
            for l in &user.assigned_licenses {
                out.push(LicenseState {
                    sku_id: l.sku_id.clone(),
                    disabled_plans: l.disabled_plans.clone(),
                    assigned_by_group: None,
                });
            }
            for g in self.transitive_groups(&user.id) {
                for l in &g.assigned_licenses {
                    out.push(LicenseState {
                        sku_id: l.sku_id.clone(),
                        disabled_plans: l.disabled_plans.clone(),
                        assigned_by_group: Some(g.id.clone()),
                    });
                }
            }
        }
        out
    }

    /// The distinct SKUs a user holds (direct or group-based).
    pub fn effective_skus(&self, user_id: &str) -> Vec<String> {
        let mut skus: Vec<String> = Vec::new();
        for s in self.license_states(user_id) {
            if !skus.iter().any(|k| k.eq_ignore_ascii_case(&s.sku_id)) {
                skus.push(s.sku_id);
            }
        }
        skus
    }

    /// The app identity with this client id.
    pub fn identity_by_client_id(&self, client_id: &str) -> Option<&AppIdentity> {
        self.identities
            .system_assigned
            .iter()
            .chain(self.identities.user_assigned.iter())
            .find(|i| i.client_id.eq_ignore_ascii_case(client_id))
    }
}
