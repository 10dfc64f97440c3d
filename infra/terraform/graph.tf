# Microsoft Graph and Exchange Online application permissions, and Entra directory roles, for
# offboard's managed identity: exactly the set crates/graph/src/permissions.rs declares
# (infra/checks/test_permissions.py fails on any difference).
#
# App role ids are resolved from the resource service principals' app roles by value name
# (`app_role_ids`), never hard-coded. The deploying principal needs AppRoleAssignment.ReadWrite.All
# + Application.Read.All (app) or Privileged Role Administrator (user) for the grants, and
# Privileged Role Administrator for the directory role assignments. See infra/README.md.

locals {
  graph_app_roles = [
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "DeviceManagementManagedDevices.PrivilegedOperations.All",
    "DeviceManagementManagedDevices.Read.All",
    "Files.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "LicenseAssignment.ReadWrite.All",
    "Mail.Send",
    "MailboxSettings.ReadWrite",
    "RoleManagement.ReadWrite.Directory",
    "User-PasswordProfile.ReadWrite.All",
    "User.EnableDisableAccount.All",
    "User.Read.All",
    "User.RevokeSessions.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "AuditLog.Read.All",
    "User-LifeCycleInfo.Read.All",
    "Organization.Read.All",
    "Calendars.ReadWrite",
    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    "Group.ReadWrite.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
  ]
  # Granted only with var.enable_account_deletion (crates/graph/src/permissions.rs: only_when
  # enable_account_deletion): delete-account's DELETE /users/{id}; no narrower permission is
  # documented, and it can change any user, so a deployment that keeps accounts never holds it.
  account_deletion_graph_app_roles = [
    "User.ReadWrite.All",
  ]
  granted_graph_app_roles = concat(local.graph_app_roles, var.enable_account_deletion ? local.account_deletion_graph_app_roles : [])
  exchange_app_roles = [
    "Exchange.ManageAsApp",
  ]
  # Entra directory roles the identity needs (password reset / sensitive targets; Exchange
  # admin cmdlets).
  directory_roles = [
    "Exchange Recipient Administrator",
    "User Administrator",
    "Compliance Administrator",
  ]

  # Well-known application ids of the first-party resource applications (the same in every tenant).
  graph_app_id    = "00000003-0000-0000-c000-000000000000"
  exchange_app_id = "00000002-0000-0ff1-ce00-000000000000"
}

data "azuread_service_principal" "graph" {
  client_id = local.graph_app_id
}

data "azuread_service_principal" "exchange" {
  client_id = local.exchange_app_id
}

resource "azuread_app_role_assignment" "graph_grants" {
  for_each            = toset(local.granted_graph_app_roles)
  app_role_id         = data.azuread_service_principal.graph.app_role_ids[each.value]
  principal_object_id = azurerm_user_assigned_identity.identity.principal_id
  resource_object_id  = data.azuread_service_principal.graph.object_id
}

resource "azuread_app_role_assignment" "exchange_grants" {
  for_each            = toset(local.exchange_app_roles)
  app_role_id         = data.azuread_service_principal.exchange.app_role_ids[each.value]
  principal_object_id = azurerm_user_assigned_identity.identity.principal_id
  resource_object_id  = data.azuread_service_principal.exchange.object_id
}

# Built-in directory roles must be activated in the tenant before they can be assigned;
# azuread_directory_role activates (or adopts) each one by display name.
resource "azuread_directory_role" "roles" {
  for_each     = toset(local.directory_roles)
  display_name = each.value
}

resource "azuread_directory_role_assignment" "roles" {
  for_each            = azuread_directory_role.roles
  role_id             = each.value.template_id
  principal_object_id = azurerm_user_assigned_identity.identity.principal_id
}
