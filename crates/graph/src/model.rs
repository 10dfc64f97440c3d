//! Typed Graph objects, limited to the properties offboarding reads. Unknown properties are
//! ignored; missing ones default, so a trimmed `$select` still parses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A user as offboarding sees it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    /// Object id.
    pub id: String,
    /// UPN.
    pub user_principal_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Primary SMTP address (absent without a mailbox).
    pub mail: Option<String>,
    /// HR's employee id.
    pub employee_id: Option<String>,
    /// Whether sign-in is allowed.
    pub account_enabled: Option<bool>,
    /// `true` when mastered in on-premises AD.
    pub on_premises_sync_enabled: Option<bool>,
    /// On-premises sAMAccountName (for the agent).
    pub on_premises_sam_account_name: Option<String>,
    /// On-premises immutable id (sourceAnchor).
    pub on_premises_immutable_id: Option<String>,
    /// On-premises distinguished name.
    pub on_premises_distinguished_name: Option<String>,
    /// Sessions issued before this are invalid.
    pub sign_in_sessions_valid_from_date_time: Option<DateTime<Utc>>,
    /// Last password change.
    pub last_password_change_date_time: Option<DateTime<Utc>>,
    /// Effective licences (direct and group-based).
    pub assigned_licenses: Vec<AssignedLicense>,
    /// Who assigned each licence.
    pub license_assignment_states: Vec<LicenseAssignmentState>,
    /// `Member` or `Guest`.
    pub user_type: Option<String>,
    /// Usage location.
    pub usage_location: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Department.
    pub department: Option<String>,
}

impl User {
    /// Whether the user is synced from on-premises AD.
    pub fn is_synced(&self) -> bool {
        self.on_premises_sync_enabled == Some(true)
    }
}

/// A user's `signInActivity` (`AuditLog.Read.All`; returned only when selected).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SignInActivity {
    /// The last sign-in that succeeded, interactive or not (a refresh token redeemed counts).
    pub last_successful_sign_in_date_time: Option<DateTime<Utc>>,
}

/// What says whether a user's sessions came back: when they were last revoked, and the last
/// sign-in that succeeded ([`crate::BatchRequest::session_state`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionState {
    /// Object id.
    pub id: String,
    /// Sessions issued before this are invalid (the last revocation).
    pub sign_in_sessions_valid_from_date_time: Option<DateTime<Utc>>,
    /// The sign-in activity.
    pub sign_in_activity: Option<SignInActivity>,
}

/// A licence on a user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssignedLicense {
    /// SKU id.
    pub sku_id: String,
    /// Disabled service plans.
    pub disabled_plans: Vec<String>,
}

/// How a licence came to the user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LicenseAssignmentState {
    /// SKU id.
    pub sku_id: String,
    /// `None` for a direct assignment; the group id for group-based licensing.
    pub assigned_by_group: Option<String>,
    /// `Active`, `ActiveWithError`, `Disabled`, `Error`.
    pub state: Option<String>,
    /// Error code, `None` when fine.
    pub error: Option<String>,
}

impl LicenseAssignmentState {
    /// Whether the licence was assigned directly (removable with `assignLicense`).
    pub fn is_direct(&self) -> bool {
        self.assigned_by_group.is_none()
    }
}

/// `licenseDetails`: a SKU the user holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LicenseDetails {
    /// Id of the licenseDetails object.
    pub id: String,
    /// SKU id.
    pub sku_id: String,
    /// Part number, e.g. `SPE_E3`.
    pub sku_part_number: String,
    /// Service plans with provisioning status.
    pub service_plans: Vec<ServicePlanInfo>,
}

/// A service plan inside a licence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePlanInfo {
    /// Plan id.
    pub service_plan_id: String,
    /// Plan name, e.g. `EXCHANGE_S_ENTERPRISE`.
    pub service_plan_name: String,
    /// `Success`, `Disabled`, `PendingProvisioning`…
    pub provisioning_status: Option<String>,
    /// `User` or `Company`.
    pub applies_to: Option<String>,
}

/// A group with the properties that decide how membership can be removed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Group {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// `Unified`, `DynamicMembership`.
    pub group_types: Vec<String>,
    /// Mail-enabled.
    pub mail_enabled: Option<bool>,
    /// Security-enabled.
    pub security_enabled: Option<bool>,
    /// SMTP address.
    pub mail: Option<String>,
    /// Dynamic rule.
    pub membership_rule: Option<String>,
    /// Synced from AD.
    pub on_premises_sync_enabled: Option<bool>,
    /// Role-assignable.
    pub is_assignable_to_role: Option<bool>,
    /// Licences assigned through the group.
    pub assigned_licenses: Vec<AssignedLicense>,
}

/// What kind of group this is, which decides where its membership is changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupKind {
    /// Microsoft 365 group (`Unified`): removable through Graph.
    Microsoft365,
    /// Security group with assigned membership: removable through Graph.
    Security,
    /// Dynamic membership (either kind): not removable; follows its rule.
    Dynamic,
    /// Mail-enabled security group: Exchange-mastered.
    MailEnabledSecurity,
    /// Distribution list: Exchange-mastered.
    Distribution,
    /// Synced from on-premises AD: change in AD.
    SyncedFromOnPremises,
}

impl Group {
    /// The kind, in the order Graph's refusals apply.
    pub fn kind(&self) -> GroupKind {
        let unified = self.group_types.iter().any(|t| t == "Unified");
        if self.on_premises_sync_enabled == Some(true) {
            GroupKind::SyncedFromOnPremises
        } else if self.group_types.iter().any(|t| t == "DynamicMembership") {
            GroupKind::Dynamic
        } else if unified {
            GroupKind::Microsoft365
        } else if self.mail_enabled == Some(true) && self.security_enabled == Some(true) {
            GroupKind::MailEnabledSecurity
        } else if self.mail_enabled == Some(true) {
            GroupKind::Distribution
        } else {
            GroupKind::Security
        }
    }

    /// Whether Graph can remove a member (Microsoft 365 and assigned security groups).
    pub fn membership_editable_in_graph(&self) -> bool {
        matches!(self.kind(), GroupKind::Microsoft365 | GroupKind::Security)
    }
}

/// A directory role the user is a member of (from `memberOf`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DirectoryRoleRef {
    /// Role object id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Template id.
    pub role_template_id: Option<String>,
}

/// An entry of `memberOf`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "@odata.type")]
pub enum Membership {
    /// A group.
    #[serde(rename = "#microsoft.graph.group")]
    Group(Group),
    /// A directory role.
    #[serde(rename = "#microsoft.graph.directoryRole")]
    DirectoryRole(DirectoryRoleRef),
    /// An administrative unit.
    #[serde(rename = "#microsoft.graph.administrativeUnit")]
    AdministrativeUnit(serde_json::Value),
    /// Another directory object type.
    #[serde(other)]
    Other,
}

/// A directory role assignment (`unifiedRoleAssignment`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleAssignment {
    /// Assignment id.
    pub id: String,
    /// The principal.
    pub principal_id: String,
    /// The role definition.
    pub role_definition_id: String,
    /// Scope.
    pub directory_scope_id: Option<String>,
    /// Expanded definition (`$expand=roleDefinition`).
    pub role_definition: Option<RoleDefinition>,
}

/// A role definition (expanded).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleDefinition {
    /// Id.
    pub id: String,
    /// Display name, e.g. `Global Administrator`.
    pub display_name: Option<String>,
    // No `isPrivileged`: it is beta-only. Whether a role stands in the way of resetting the
    // leaver's password depends on holding a role at all (Graph's reset rules), so the
    // planner orders by "holds a directory role", not by a privilege label.
}

/// An app role assignment granted to a user.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppRoleAssignment {
    /// Assignment id.
    pub id: String,
    /// App role id.
    pub app_role_id: String,
    /// The user.
    pub principal_id: String,
    /// The resource service principal.
    pub resource_id: String,
    /// Resource name.
    pub resource_display_name: Option<String>,
    /// Creation time.
    pub created_date_time: Option<DateTime<Utc>>,
}

/// Kinds of authentication methods (`@odata.type`), each with its delete endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthMethodKind {
    /// Password (cannot be deleted).
    Password,
    /// Microsoft Authenticator.
    MicrosoftAuthenticator,
    /// Phone (SMS/voice).
    Phone,
    /// FIDO2 security key.
    Fido2,
    /// Software OATH token.
    SoftwareOath,
    /// Email (SSPR).
    Email,
    /// Temporary Access Pass.
    TemporaryAccessPass,
    /// Windows Hello for Business.
    WindowsHelloForBusiness,
    /// A type this client does not know.
    Other,
}

impl AuthMethodKind {
    /// From the `@odata.type` value.
    pub fn from_odata_type(t: &str) -> Self {
        match t.trim_start_matches("#microsoft.graph.") {
            "passwordAuthenticationMethod" => Self::Password,
            "microsoftAuthenticatorAuthenticationMethod" => Self::MicrosoftAuthenticator,
            "phoneAuthenticationMethod" => Self::Phone,
            "fido2AuthenticationMethod" => Self::Fido2,
            "softwareOathAuthenticationMethod" => Self::SoftwareOath,
            "emailAuthenticationMethod" => Self::Email,
            "temporaryAccessPassAuthenticationMethod" => Self::TemporaryAccessPass,
            "windowsHelloForBusinessAuthenticationMethod" => Self::WindowsHelloForBusiness,
            _ => Self::Other,
        }
    }

    /// The collection segment under `/users/{id}/authentication/` used to delete it.
    pub fn collection(self) -> Option<&'static str> {
        Some(match self {
            Self::MicrosoftAuthenticator => "microsoftAuthenticatorMethods",
            Self::Phone => "phoneMethods",
            Self::Fido2 => "fido2Methods",
            Self::SoftwareOath => "softwareOathMethods",
            Self::Email => "emailMethods",
            Self::TemporaryAccessPass => "temporaryAccessPassMethods",
            Self::WindowsHelloForBusiness => "windowsHelloForBusinessMethods",
            Self::Password | Self::Other => return None,
        })
    }
}

/// A registered authentication method.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuthMethod {
    /// Method id.
    pub id: String,
    /// Kind.
    pub kind: AuthMethodKind,
    /// Display name, when the type has one.
    pub display_name: Option<String>,
}

impl<'de> Deserialize<'de> for AuthMethod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            #[serde(rename = "@odata.type", default)]
            odata_type: String,
            id: String,
            #[serde(rename = "displayName", default)]
            display_name: Option<String>,
        }
        let w = Wire::deserialize(d)?;
        Ok(AuthMethod {
            id: w.id,
            kind: AuthMethodKind::from_odata_type(&w.odata_type),
            display_name: w.display_name,
        })
    }
}

/// An Intune managed device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ManagedDevice {
    /// Device id.
    pub id: String,
    /// Device name.
    pub device_name: Option<String>,
    /// `company` or `personal`.
    pub managed_device_owner_type: Option<String>,
    /// Operating system.
    pub operating_system: Option<String>,
    /// Compliance.
    pub compliance_state: Option<String>,
    /// Remote actions and their state.
    pub device_action_results: Vec<DeviceActionResult>,
}

impl ManagedDevice {
    /// Whether a retire action is pending or done.
    pub fn retire_requested(&self) -> bool {
        self.device_action_results
            .iter()
            .any(|r| r.action_name.eq_ignore_ascii_case("retire"))
    }
}

/// A remote action on a device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeviceActionResult {
    /// `retire`, `wipe`…
    pub action_name: String,
    /// `pending`, `done`, `failed`…
    pub action_state: String,
}

/// A OneDrive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Drive {
    /// Drive id.
    pub id: String,
    /// `business`.
    pub drive_type: Option<String>,
    /// Web URL.
    pub web_url: Option<String>,
}

/// A sharing permission.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Permission {
    /// Permission id.
    pub id: String,
    /// `read`, `write`, `owner`.
    pub roles: Vec<String>,
    /// Who holds it.
    pub granted_to_v2: Option<IdentitySet>,
    /// Present when the permission is a sharing link.
    pub link: Option<crate::sharing::SharingLink>,
    /// The ancestor it is inherited from (only permissions without it can be deleted).
    pub inherited_from: Option<crate::sharing::ItemReference>,
    /// For a link for specific people: who it lets in.
    pub granted_to_identities_v2: Vec<IdentitySet>,
}

impl Permission {
    /// Whether the permission lets in the user `user_id`: granted to them, or a link that
    /// names them.
    pub fn names_user(&self, user_id: &str) -> bool {
        self.user_id() == Some(user_id)
            || self
                .granted_to_identities_v2
                .iter()
                .any(|g| g.user_id() == Some(user_id))
    }

    /// The user's id, if granted to a user.
    pub fn user_id(&self) -> Option<&str> {
        self.granted_to_v2.as_ref().and_then(IdentitySet::user_id)
    }
}

/// `identitySet` (only the user part).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IdentitySet {
    /// The user.
    pub user: Option<Identity>,
}

impl IdentitySet {
    /// The user's object id, if it names a user.
    pub fn user_id(&self) -> Option<&str> {
        self.user.as_ref().and_then(|u| u.id.as_deref())
    }
}

/// `identity`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Identity {
    /// Object id.
    pub id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Email, when present.
    pub email: Option<String>,
}

/// Role granted on a OneDrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriveRole {
    /// Read only.
    Read,
    /// Read and write.
    Write,
}

impl DriveRole {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// Automatic-replies status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AutoReplyStatus {
    /// Off.
    Disabled,
    /// On until turned off.
    AlwaysEnabled,
    /// On in a window.
    Scheduled,
}

/// Who outside the organisation gets the external reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExternalAudience {
    /// Nobody.
    None,
    /// Only contacts.
    ContactsOnly,
    /// Everyone.
    All,
}

/// A `dateTimeTimeZone`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateTimeTimeZone {
    /// Local date and time, ISO 8601 without offset.
    pub date_time: String,
    /// Time zone name (`UTC`).
    pub time_zone: String,
}

impl DateTimeTimeZone {
    /// A UTC instant.
    pub fn utc(t: DateTime<Utc>) -> Self {
        Self {
            date_time: t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            time_zone: "UTC".to_owned(),
        }
    }
}

/// `automaticRepliesSetting`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomaticReplies {
    /// Status.
    pub status: AutoReplyStatus,
    /// External audience.
    pub external_audience: ExternalAudience,
    /// Message to colleagues (HTML allowed).
    #[serde(default)]
    pub internal_reply_message: String,
    /// Message to external senders.
    #[serde(default)]
    pub external_reply_message: String,
    /// Start of a scheduled window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_start_date_time: Option<DateTimeTimeZone>,
    /// End of a scheduled window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_end_date_time: Option<DateTimeTimeZone>,
}

/// `mailboxSettings` (the parts offboarding reads).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxSettings {
    /// Automatic replies.
    pub automatic_replies_setting: Option<AutomaticReplies>,
    /// Time zone.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `user`, `shared`, `room`… (shows a conversion to shared).
    #[serde(default)]
    pub user_purpose: Option<String>,
}

/// A plain message for `sendMail`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailMessage {
    /// Subject.
    pub subject: String,
    /// Body (plain text).
    pub body: String,
    /// Recipients.
    pub to: Vec<String>,
}
