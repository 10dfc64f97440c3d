// One private endpoint and the A record of its private DNS zone: the resource it connects to
// answers on a private address of the endpoint subnet, and its public name resolves to that
// address inside the virtual network (privatelink CNAME -> zone record). Used by network.bicep
// for the data services and by main.bicep for the function app's inbound endpoint.

@description('Name of the private endpoint (its network interface is named after it).')
param name string

@description('Azure region of the endpoint (the virtual network\'s region).')
param location string

@description('Tags applied to the endpoint.')
param tags object

@description('Resource id of the subnet the endpoint\'s network interface is placed in.')
param subnetId string

@description('Resource id of the resource the endpoint connects to.')
param targetId string

@description('Private-link sub-resource of the target: blob, queue, Sql, vault or sites.')
param groupId string

@description('Resource id of the private DNS zone that gets the endpoint\'s A record.')
param privateDnsZoneId string

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    // Automatic approval: the deployer owns the target (same resource group).
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: targetId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }
}

// The zone group keeps the A record in step with the endpoint's address for its lifetime.
resource zoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: groupId
        properties: {
          privateDnsZoneId: privateDnsZoneId
        }
      }
    ]
  }
}

output id string = endpoint.id
