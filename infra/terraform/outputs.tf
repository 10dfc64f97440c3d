# Outputs a deployer needs; no secret, no key, no connection string.

output "function_app_name" {
  value = azurerm_function_app_flex_consumption.function_app.name
}

output "function_app_host_name" {
  value = azurerm_function_app_flex_consumption.function_app.default_hostname
}

output "identity_client_id" {
  value = azurerm_user_assigned_identity.identity.client_id
}

output "identity_principal_id" {
  value = azurerm_user_assigned_identity.identity.principal_id
}

output "identity_resource_id" {
  value = azurerm_user_assigned_identity.identity.id
}

output "relay_namespace" {
  value = "${azurerm_relay_namespace.relay.name}.servicebus.windows.net"
}

output "relay_namespace_name" {
  value = azurerm_relay_namespace.relay.name
}

output "signin_client_id" {
  description = "Client id of offboard's app registration (people and GRC tools sign in to it)."
  value       = azuread_application.signin.client_id
}

output "hybrid_connection_name" {
  value = azurerm_relay_hybrid_connection.hybrid_connection.name
}

output "agent_listen_rule_name" {
  value = azurerm_relay_hybrid_connection_authorization_rule.agent_listen.name
}

output "key_vault_name" {
  value = azurerm_key_vault.vault.name
}

output "key_vault_uri" {
  value = azurerm_key_vault.vault.vault_uri
}

output "host_storage_account_name" {
  value = azurerm_storage_account.host_storage.name
}

output "storage_queue_endpoint" {
  value = azurerm_storage_account.host_storage.primary_queue_endpoint
}

output "evidence_storage_account_name" {
  value = azurerm_storage_account.evidence_storage.name
}

output "evidence_blob_endpoint" {
  value = azurerm_storage_account.evidence_storage.primary_blob_endpoint
}

output "cosmos_endpoint" {
  value = azurerm_cosmosdb_account.cosmos.endpoint
}

output "cosmos_database_name" {
  value = local.cosmos_database_name
}

output "directory_roles_assigned" {
  value = local.directory_roles
}

output "secret_names" {
  value = local.secret_settings
}

# Network-hardened variant only (null otherwise): the network to peer with, and the one public
# address the app's outbound calls come from.
output "virtual_network_name" {
  value = one(azurerm_virtual_network.vnet[*].name)
}

output "egress_ip_address" {
  value = one(azurerm_public_ip.egress_ip[*].ip_address)
}
