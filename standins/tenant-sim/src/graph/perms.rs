//! Permission sets per operation (application permissions, least to most privileged).

/// Read users (`GET /users`, `/users/{id}`, manager).
pub const USER_READ: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Write `accountEnabled`.
pub const ENABLE_DISABLE: &[&str] = &[
    "User.EnableDisableAccount.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// Write `passwordProfile`.
pub const PASSWORD: &[&str] = &[
    "User-PasswordProfile.ReadWrite.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// Write other user properties.
pub const USER_WRITE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
/// `revokeSignInSessions`.
pub const REVOKE: &[&str] = &[
    "User.RevokeSessions.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// `licenseDetails`.
pub const LICENSE_READ: &[&str] = &[
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// `assignLicense`.
pub const LICENSE_WRITE: &[&str] = &[
    "LicenseAssignment.ReadWrite.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// `memberOf` / `transitiveMemberOf`.
pub const MEMBER_OF: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Read a group and its members.
pub const GROUP_READ: &[&str] = &[
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Remove a group member.
pub const MEMBER_REMOVE: &[&str] = &[
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// List role assignments.
pub const ROLE_READ: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "Directory.Read.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.ReadWrite.All",
];
/// Delete role assignments; also needed to change role-assignable groups.
pub const ROLE_WRITE: &[&str] = &["RoleManagement.ReadWrite.Directory"];
/// List a user's app role assignments.
pub const APP_ROLE_READ: &[&str] = &[
    "Directory.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// Delete app role assignments.
pub const APP_ROLE_WRITE: &[&str] = &["AppRoleAssignment.ReadWrite.All", "Directory.ReadWrite.All"];
/// List delegated permission grants ("List oauth2PermissionGrants", application).
pub const DELEGATED_GRANT_READ: &[&str] = &[
    "Directory.Read.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// Delete a delegated permission grant ("Delete oAuth2PermissionGrant", application).
pub const DELEGATED_GRANT_WRITE: &[&str] = &[
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// List authentication methods.
pub const AUTH_READ: &[&str] = &[
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
];
/// Delete authentication methods.
pub const AUTH_WRITE: &[&str] = &["UserAuthenticationMethod.ReadWrite.All"];
/// Read Intune managed devices.
pub const DEVICES_READ: &[&str] = &[
    "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
];
/// `retire`.
pub const DEVICES_RETIRE: &[&str] = &["DeviceManagementManagedDevices.PrivilegedOperations.All"];
/// Read drives and permissions.
pub const FILES_READ: &[&str] = &[
    "Files.Read.All",
    "Files.ReadWrite.All",
    "Sites.Read.All",
    "Sites.ReadWrite.All",
];
/// `invite`.
pub const FILES_WRITE: &[&str] = &["Files.ReadWrite.All", "Sites.ReadWrite.All"];
/// Read mailboxSettings.
pub const MAILBOX_SETTINGS_READ: &[&str] = &["MailboxSettings.Read", "MailboxSettings.ReadWrite"];
/// Update mailboxSettings.
pub const MAILBOX_SETTINGS_WRITE: &[&str] = &["MailboxSettings.ReadWrite"];
/// Read calendars (events).
pub const CALENDARS_READ: &[&str] = &["Calendars.Read", "Calendars.ReadWrite"];
/// Cancel or change events.
pub const CALENDARS_WRITE: &[&str] = &["Calendars.ReadWrite"];
/// `sendMail`.
pub const MAIL_SEND: &[&str] = &["Mail.Send"];
/// `signInActivity` on users.
pub const SIGN_IN_ACTIVITY: &[&str] = &["AuditLog.Read.All"];
/// `GET /auditLogs/provisioning` (provisioningobjectsummary-list: application
/// `AuditLog.Read.All`).
pub const PROVISIONING_LOGS_READ: &[&str] = &["AuditLog.Read.All"];
/// Read `employeeLeaveDateTime` (the user resource: "Returned only on $select ... requires
/// User-LifeCycleInfo.Read.All"), on top of a user read permission.
pub const LIFECYCLE_INFO_READ: &[&str] = &[
    "User-LifeCycleInfo.Read.All",
    "User-LifeCycleInfo.ReadWrite.All",
];
/// Delete a group.
pub const GROUP_DELETE: &[&str] = &["Group.ReadWrite.All", "Directory.ReadWrite.All"];
/// Delete a user object.
pub const USER_DELETE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
/// Read the organisation (`GET /organization`).
pub const ORGANIZATION_READ: &[&str] = &[
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// List role eligibility schedules ("List roleEligibilitySchedules", application).
pub const ROLE_ELIGIBILITY_READ: &[&str] = &[
    "RoleEligibilitySchedule.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleManagement.ReadWrite.Directory",
];
/// Create a role eligibility schedule request ("Create roleEligibilityScheduleRequests").
pub const ROLE_ELIGIBILITY_WRITE: &[&str] = &[
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleManagement.ReadWrite.Directory",
];
/// List PIM-for-Groups eligibility schedules.
pub const GROUP_ELIGIBILITY_READ: &[&str] = &[
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
];
/// Create a PIM-for-Groups eligibility schedule request.
pub const GROUP_ELIGIBILITY_WRITE: &[&str] =
    &["PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup"];
/// List a group's owners ("List group owners", application).
pub const GROUP_OWNERS_READ: &[&str] = &[
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Add or remove a group owner.
pub const GROUP_OWNERS_WRITE: &[&str] = &["Group.ReadWrite.All", "Directory.ReadWrite.All"];
/// List an application's or service principal's owners.
pub const APP_OWNERS_READ: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
