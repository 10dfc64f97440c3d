// offboard's app registration: what compliance managers, auditors and GRC tools sign in to, with
// Entra ID, and the app roles that say what each may do (issue 19). The handler checks the
// tokens itself (crates/signin; ARCHITECTURE.md "Sign-in" says why not App Service
// Authentication), so the registration asks for v2.0 access tokens and issues ID tokens to the
// browser sign-in (response_mode=form_post, no client secret).
//
// The role values must equal crates/signin/src/principal.rs (`Role::value`):
// infra/checks/test_signin.py fails on any difference, and on any difference with Terraform.
//
// The deploying principal needs Application.ReadWrite.All (or Application Developer / Cloud
// Application Administrator). People and apps get a role by an app role assignment on the
// service principal (Enterprise applications → offboard → Users and groups); see infra/README.md.

extension microsoftGraphV1

@description('Unique name (client-provided key) of the registration: the same on every redeploy.')
param uniqueName string

@description('Display name in Entra ID.')
param displayName string

@description('Redirect URI of the browser sign-in: the function app\'s /api/signin/callback.')
param redirectUri string

var appRoles = [
  {
    value: 'Offboard.Auditor'
    displayName: 'offboard auditor'
    description: 'Read cases, evidence, reports, findings and the ledger; verify evidence.'
  }
  {
    value: 'Offboard.Operator'
    displayName: 'offboard operator'
    description: 'Everything an auditor may, and dry runs, operator offboardings, retries, remediation and approvals.'
  }
]

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  api: {
    requestedAccessTokenVersion: 2
  }
  appRoles: [
    for role in appRoles: {
      id: guid(uniqueName, role.value)
      value: role.value
      displayName: role.displayName
      description: role.description
      allowedMemberTypes: ['User', 'Application']
      isEnabled: true
    }
  ]
  web: {
    redirectUris: [redirectUri]
    implicitGrantSettings: {
      enableIdTokenIssuance: true
      enableAccessTokenIssuance: false
    }
  }
  optionalClaims: {
    accessToken: [
      {
        name: 'idtyp'
        essential: false
      }
    ]
  }
}

// Only people and apps assigned a role can get a token for offboard at all.
resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: app.appId
  appRoleAssignmentRequired: true
}

output clientId string = app.appId
output servicePrincipalId string = servicePrincipal.id
output appRoleValues array = [for role in appRoles: role.value]
