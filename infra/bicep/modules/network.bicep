// The network of the network-hardened deployment (main.bicep, privateNetworking = true):
//   - a virtual network with two subnets: `snet-app`, delegated to Microsoft.App/environments
//     (Flex Consumption VNet integration: every outbound call of the function app leaves through
//     it), and `snet-endpoints` for the private endpoints;
//   - a network security group on each subnet; the endpoint subnet accepts only HTTPS from the
//     virtual network (and what is peered or connected to it), and its NSG applies to the
//     private endpoints (privateEndpointNetworkPolicies);
//   - a NAT gateway with one static public IP as the app subnet's only way to the internet
//     (Microsoft Graph, Exchange Online, Entra ID, Azure Relay, Application Insights); default
//     outbound access is off on both subnets;
//   - private DNS zones linked to the virtual network, and private endpoints for the host
//     storage (blob: Functions host and deployment package; queue: the queues), the evidence
//     storage (blob), Cosmos DB (Sql) and Key Vault (vault). The function app's own inbound
//     endpoint (sites) is created by main.bicep, which needs this module's subnet first.
//
// Every name here must stay in step with infra/terraform/network.tf: infra/checks/test_parity.py
// compares the two for both values of the parameter.

@description('Azure region of the network resources (the function app\'s region).')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Short name used in resource names.')
param baseName string

@description('Suffix that makes names unique.')
param suffix string

@description('Address space of the virtual network.')
param vnetAddressPrefix string

@description('Prefix of the subnet the function app is integrated with (delegated to Microsoft.App/environments).')
param appSubnetPrefix string

@description('Prefix of the subnet that holds the private endpoints.')
param privateEndpointSubnetPrefix string

@description('Resource id of the host storage account (blob and queue endpoints).')
param hostStorageId string

@description('Resource id of the evidence storage account (blob endpoint).')
param evidenceStorageId string

@description('Resource id of the Cosmos DB account (Sql endpoint).')
param cosmosId string

@description('Resource id of the Key Vault (vault endpoint).')
param vaultId string

var appSubnetName = 'snet-app'
var endpointSubnetName = 'snet-endpoints'

// Zone names of the private-link sub-resources used here (storage's from the cloud's suffix,
// core.windows.net in Azure public cloud; the others are public-cloud names).
var storageSuffix = environment().suffixes.storage
var privateDnsZoneNames = [
  'privatelink.blob.${storageSuffix}'
  'privatelink.queue.${storageSuffix}'
  'privatelink.documents.azure.com'
  'privatelink.vaultcore.azure.net'
  'privatelink.azurewebsites.net'
]

// The data services the handler and the Functions host reach, each through its own endpoint.
// The Functions host uses blob (keys, leases, timer locks, the deployment package) and queue
// (triggers) of the host account, no table or file service (no tableServiceUri is set).
var endpoints = [
  { name: 'host-blob', targetId: hostStorageId, groupId: 'blob', zone: 'privatelink.blob.${storageSuffix}' }
  { name: 'host-queue', targetId: hostStorageId, groupId: 'queue', zone: 'privatelink.queue.${storageSuffix}' }
  { name: 'evidence-blob', targetId: evidenceStorageId, groupId: 'blob', zone: 'privatelink.blob.${storageSuffix}' }
  { name: 'cosmos', targetId: cosmosId, groupId: 'Sql', zone: 'privatelink.documents.azure.com' }
  { name: 'vault', targetId: vaultId, groupId: 'vault', zone: 'privatelink.vaultcore.azure.net' }
]

// No custom rule: Flex Consumption needs outbound HTTPS to Microsoft services that have no
// private endpoint here (Graph, Exchange, Entra ID, Relay, Application Insights), which the
// NAT gateway provides; nothing listens in this subnet.
resource appNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: 'nsg-${baseName}-${suffix}-app'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource endpointNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: 'nsg-${baseName}-${suffix}-endpoints'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'allow-https-from-vnet'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'VirtualNetwork'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '443'
        }
      }
      {
        name: 'deny-all-inbound'
        properties: {
          priority: 4096
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: '*'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

// The one public address the function app's outbound calls come from: allow-list it where a
// partner filters by source address, or in Conditional Access for workload identities.
resource egressIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: 'pip-${baseName}-${suffix}-egress'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource natGateway 'Microsoft.Network/natGateways@2024-05-01' = {
  name: 'ng-${baseName}-${suffix}'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: egressIp.id
      }
    ]
  }
}

// Subnets inline, so a redeploy never removes and re-adds them under the app.
resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: 'vnet-${baseName}-${suffix}'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        vnetAddressPrefix
      ]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: appSubnetPrefix
          defaultOutboundAccess: false
          networkSecurityGroup: {
            id: appNsg.id
          }
          natGateway: {
            id: natGateway.id
          }
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: endpointSubnetName
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          defaultOutboundAccess: false
          networkSecurityGroup: {
            id: endpointNsg.id
          }
          // The subnet's NSG filters traffic to the private endpoints too.
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

resource dnsZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for zone in privateDnsZoneNames: {
    name: zone
    location: 'global'
    tags: tags
  }
]

// Names inside the virtual network resolve through these zones (Azure-provided DNS). A
// network peered to this one resolves them only if it is linked too (or forwards to it).
resource dnsLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (zone, i) in privateDnsZoneNames: {
    parent: dnsZones[i]
    name: vnet.name
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

module dataEndpoints 'private-endpoint.bicep' = [
  for e in endpoints: {
    name: 'offboard-pe-${e.name}'
    params: {
      name: 'pe-${baseName}-${suffix}-${e.name}'
      location: location
      tags: tags
      subnetId: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, endpointSubnetName)
      targetId: e.targetId
      groupId: e.groupId
      privateDnsZoneId: resourceId('Microsoft.Network/privateDnsZones', e.zone)
    }
    dependsOn: [
      dnsLinks
    ]
  }
]

output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, appSubnetName)
output privateEndpointSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, endpointSubnetName)
output sitesDnsZoneId string = resourceId('Microsoft.Network/privateDnsZones', 'privatelink.azurewebsites.net')
output virtualNetworkName string = vnet.name
output egressIpAddress string = egressIp.properties.ipAddress
