// Grants application permissions (app roles) of Microsoft Graph and of Office 365 Exchange
// Online to offboard's managed identity, with the Microsoft Graph Bicep extension.
//
// App role ids are resolved from the resource service principals' `appRoles` by value name
// (`existing` lookup by the well-known appId), never hard-coded. A name that the resource does
// not expose makes `filter(...)[0]` fail the deployment instead of granting something else.
//
// The deploying principal needs AppRoleAssignment.ReadWrite.All + Application.Read.All
// (delegated: an admin who may grant Graph application permissions, in practice Privileged Role
// Administrator or Global Administrator). See infra/README.md.

extension microsoftGraphV1

@description('Object id of the identity\'s service principal (the managed identity principalId).')
param principalObjectId string

@description('Microsoft Graph application permissions (app role values) to grant.')
param graphAppRoles array

@description('Office 365 Exchange Online application permissions (app role values) to grant.')
param exchangeAppRoles array

// Well-known application ids of the first-party resource applications (the same in every tenant).
var graphAppId = '00000003-0000-0000-c000-000000000000'
var exchangeAppId = '00000002-0000-0ff1-ce00-000000000000'

resource graphSp 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

resource exchangeSp 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: exchangeAppId
}

resource graphGrants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in graphAppRoles: {
    principalId: principalObjectId
    resourceId: graphSp.id
    appRoleId: filter(graphSp.appRoles, r => r.value == role)[0].id
  }
]

resource exchangeGrants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in exchangeAppRoles: {
    principalId: principalObjectId
    resourceId: exchangeSp.id
    appRoleId: filter(exchangeSp.appRoles, r => r.value == role)[0].id
  }
]

output graphServicePrincipalId string = graphSp.id
output exchangeServicePrincipalId string = exchangeSp.id
output grantedGraphAppRoles array = graphAppRoles
output grantedExchangeAppRoles array = exchangeAppRoles
