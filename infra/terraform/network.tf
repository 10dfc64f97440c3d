# The network of the network-hardened deployment (var.private_networking = true); nothing here
# exists otherwise. The same network as infra/bicep/modules/network.bicep (+ the app's endpoint
# from main.bicep); infra/checks/test_parity.py compares the two for both values.
#   - a virtual network with two subnets: snet-app, delegated to Microsoft.App/environments
#     (Flex Consumption VNet integration: every outbound call of the function app leaves through
#     it), and snet-endpoints for the private endpoints;
#   - a network security group on each subnet; the endpoint subnet accepts only HTTPS from the
#     virtual network (and what is peered or connected to it), and its NSG applies to the
#     private endpoints (private_endpoint_network_policies);
#   - a NAT gateway with one static public IP as the app subnet's only way to the internet
#     (Microsoft Graph, Exchange Online, Entra ID, Azure Relay, Application Insights); default
#     outbound access is off on both subnets;
#   - private DNS zones linked to the virtual network, and private endpoints for the host
#     storage (blob: Functions host and deployment package; queue: the queues), the evidence
#     storage (blob), Cosmos DB (Sql), Key Vault (vault) and the function app itself (sites).

locals {
  network_count = var.private_networking ? 1 : 0

  # Azure public cloud zone names of the private-link sub-resources used here.
  private_dns_zones = {
    blob   = "privatelink.blob.core.windows.net"
    queue  = "privatelink.queue.core.windows.net"
    cosmos = "privatelink.documents.azure.com"
    vault  = "privatelink.vaultcore.azure.net"
    sites  = "privatelink.azurewebsites.net"
  }
  network_dns_zones = var.private_networking ? local.private_dns_zones : {}
}

# No custom rule: Flex Consumption needs outbound HTTPS to Microsoft services that have no
# private endpoint here (Graph, Exchange, Entra ID, Relay, Application Insights), which the NAT
# gateway provides; nothing listens in this subnet.
resource "azurerm_network_security_group" "app_nsg" {
  count               = local.network_count
  name                = "nsg-${var.base_name}-${var.suffix}-app"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  tags                = var.tags
}

resource "azurerm_network_security_group" "endpoint_nsg" {
  count               = local.network_count
  name                = "nsg-${var.base_name}-${var.suffix}-endpoints"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  tags                = var.tags

  security_rule {
    name                       = "allow-https-from-vnet"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "VirtualNetwork"
    source_port_range          = "*"
    destination_address_prefix = "*"
    destination_port_range     = "443"
  }

  security_rule {
    name                       = "deny-all-inbound"
    priority                   = 4096
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_address_prefix      = "*"
    source_port_range          = "*"
    destination_address_prefix = "*"
    destination_port_range     = "*"
  }
}

# The one public address the function app's outbound calls come from: allow-list it where a
# partner filters by source address, or in Conditional Access for workload identities.
resource "azurerm_public_ip" "egress_ip" {
  count               = local.network_count
  name                = "pip-${var.base_name}-${var.suffix}-egress"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  sku                 = "Standard"
  sku_tier            = "Regional"
  allocation_method   = "Static"
  ip_version          = "IPv4"
  tags                = var.tags
}

resource "azurerm_nat_gateway" "nat_gateway" {
  count                   = local.network_count
  name                    = "ng-${var.base_name}-${var.suffix}"
  location                = local.location
  resource_group_name     = data.azurerm_resource_group.rg.name
  sku_name                = "Standard"
  idle_timeout_in_minutes = 4
  tags                    = var.tags
}

resource "azurerm_nat_gateway_public_ip_association" "nat_gateway_ip" {
  count                = local.network_count
  nat_gateway_id       = azurerm_nat_gateway.nat_gateway[0].id
  public_ip_address_id = azurerm_public_ip.egress_ip[0].id
}

resource "azurerm_virtual_network" "vnet" {
  count               = local.network_count
  name                = "vnet-${var.base_name}-${var.suffix}"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  address_space       = [var.vnet_address_prefix]
  tags                = var.tags
}

resource "azurerm_subnet" "app_subnet" {
  count                           = local.network_count
  name                            = "snet-app"
  resource_group_name             = data.azurerm_resource_group.rg.name
  virtual_network_name            = azurerm_virtual_network.vnet[0].name
  address_prefixes                = [var.app_subnet_prefix]
  default_outbound_access_enabled = false

  delegation {
    name = "flex-consumption"
    service_delegation {
      name    = "Microsoft.App/environments"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_subnet" "endpoint_subnet" {
  count                           = local.network_count
  name                            = "snet-endpoints"
  resource_group_name             = data.azurerm_resource_group.rg.name
  virtual_network_name            = azurerm_virtual_network.vnet[0].name
  address_prefixes                = [var.private_endpoint_subnet_prefix]
  default_outbound_access_enabled = false
  # The subnet's NSG filters traffic to the private endpoints too.
  private_endpoint_network_policies = "Enabled"
}

resource "azurerm_subnet_network_security_group_association" "app_subnet_nsg" {
  count                     = local.network_count
  subnet_id                 = azurerm_subnet.app_subnet[0].id
  network_security_group_id = azurerm_network_security_group.app_nsg[0].id
}

resource "azurerm_subnet_network_security_group_association" "endpoint_subnet_nsg" {
  count                     = local.network_count
  subnet_id                 = azurerm_subnet.endpoint_subnet[0].id
  network_security_group_id = azurerm_network_security_group.endpoint_nsg[0].id
}

resource "azurerm_subnet_nat_gateway_association" "app_subnet_nat" {
  count          = local.network_count
  subnet_id      = azurerm_subnet.app_subnet[0].id
  nat_gateway_id = azurerm_nat_gateway.nat_gateway[0].id
}

resource "azurerm_private_dns_zone" "dns_zones" {
  for_each            = local.network_dns_zones
  name                = each.value
  resource_group_name = data.azurerm_resource_group.rg.name
  tags                = var.tags
}

# Names inside the virtual network resolve through these zones (Azure-provided DNS). A network
# peered to this one resolves them only if it is linked too (or forwards to it).
resource "azurerm_private_dns_zone_virtual_network_link" "dns_links" {
  for_each              = local.network_dns_zones
  name                  = azurerm_virtual_network.vnet[0].name
  resource_group_name   = data.azurerm_resource_group.rg.name
  private_dns_zone_name = azurerm_private_dns_zone.dns_zones[each.key].name
  virtual_network_id    = azurerm_virtual_network.vnet[0].id
  registration_enabled  = false
  tags                  = var.tags
}

# One endpoint per data service the handler and the Functions host reach. The Functions host
# uses blob (keys, leases, timer locks, the deployment package) and queue (triggers) of the host
# account, no table or file service (no tableServiceUri is set). Automatic approval: the
# deployer owns every target (same resource group). Each zone group keeps the A record in step
# with the endpoint's address.

resource "azurerm_private_endpoint" "host_blob_endpoint" {
  count               = local.network_count
  name                = "pe-${var.base_name}-${var.suffix}-host-blob"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  subnet_id           = azurerm_subnet.endpoint_subnet[0].id
  tags                = var.tags

  private_service_connection {
    name                           = "pe-${var.base_name}-${var.suffix}-host-blob"
    private_connection_resource_id = azurerm_storage_account.host_storage.id
    subresource_names              = ["blob"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.dns_zones["blob"].id]
  }
}

resource "azurerm_private_endpoint" "host_queue_endpoint" {
  count               = local.network_count
  name                = "pe-${var.base_name}-${var.suffix}-host-queue"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  subnet_id           = azurerm_subnet.endpoint_subnet[0].id
  tags                = var.tags

  private_service_connection {
    name                           = "pe-${var.base_name}-${var.suffix}-host-queue"
    private_connection_resource_id = azurerm_storage_account.host_storage.id
    subresource_names              = ["queue"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.dns_zones["queue"].id]
  }
}

resource "azurerm_private_endpoint" "evidence_blob_endpoint" {
  count               = local.network_count
  name                = "pe-${var.base_name}-${var.suffix}-evidence-blob"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  subnet_id           = azurerm_subnet.endpoint_subnet[0].id
  tags                = var.tags

  private_service_connection {
    name                           = "pe-${var.base_name}-${var.suffix}-evidence-blob"
    private_connection_resource_id = azurerm_storage_account.evidence_storage.id
    subresource_names              = ["blob"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.dns_zones["blob"].id]
  }
}

resource "azurerm_private_endpoint" "cosmos_endpoint" {
  count               = local.network_count
  name                = "pe-${var.base_name}-${var.suffix}-cosmos"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  subnet_id           = azurerm_subnet.endpoint_subnet[0].id
  tags                = var.tags

  private_service_connection {
    name                           = "pe-${var.base_name}-${var.suffix}-cosmos"
    private_connection_resource_id = azurerm_cosmosdb_account.cosmos.id
    subresource_names              = ["Sql"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.dns_zones["cosmos"].id]
  }
}

resource "azurerm_private_endpoint" "vault_endpoint" {
  count               = local.network_count
  name                = "pe-${var.base_name}-${var.suffix}-vault"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  subnet_id           = azurerm_subnet.endpoint_subnet[0].id
  tags                = var.tags

  private_service_connection {
    name                           = "pe-${var.base_name}-${var.suffix}-vault"
    private_connection_resource_id = azurerm_key_vault.vault.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.dns_zones["vault"].id]
  }
}

# The function app's inbound endpoint: with public access off, the intake and operator routes
# answer only inside the network.
resource "azurerm_private_endpoint" "app_endpoint" {
  count               = local.network_count
  name                = "pe-${var.base_name}-${var.suffix}-app"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  subnet_id           = azurerm_subnet.endpoint_subnet[0].id
  tags                = var.tags

  private_service_connection {
    name                           = "pe-${var.base_name}-${var.suffix}-app"
    private_connection_resource_id = azurerm_function_app_flex_consumption.function_app.id
    subresource_names              = ["sites"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.dns_zones["sites"].id]
  }
}
