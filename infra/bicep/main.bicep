// offboard — the whole Azure side of one deployment, at resource-group scope.
//
// What this creates (infra/README.md has the long form, the idle cost and the deploy steps):
//   - a user-assigned managed identity: the only identity the handler uses for Azure and for
//     Microsoft Graph / Exchange (no client secrets anywhere);
//   - a Flex Consumption (FC1, Linux) function app running the Rust custom handler, with
//     identity-based host storage and Key Vault references for the few secrets;
//   - a host storage account (queues, Functions host blobs, the deployment package container);
//   - an evidence storage account whose blobs are version-level WORM from the first write,
//     under a locked default retention (deploy with infra/scripts/deploy-bicep.sh, which locks it);
//   - Cosmos DB for NoSQL (serverless) with key auth off and data-plane RBAC;
//   - an Azure Relay namespace + hybrid connection to the on-premises AD agent;
//   - Key Vault (RBAC mode, purge protection), Log Analytics + Application Insights,
//     diagnostic settings into the workspace;
//   - role assignments for exactly what the code does, and (modules/graph-grants.bicep) the
//     Microsoft Graph and Exchange application permissions the code declares.
//   - with privateNetworking = true (the network-hardened variant), modules/network.bicep: a
//     virtual network the app is integrated with, private endpoints and private DNS zones for
//     Storage, Cosmos DB and Key Vault (+ modules/private-endpoint.bicep for the app's own), and
//     public network access off everywhere.
// Directory roles (User Administrator, Exchange Recipient Administrator) cannot be expressed with the
// Graph Bicep extension: infra/scripts/assign-directory-roles.sh assigns the list this
// template outputs (`directoryRolesToAssign`).
//
// Every name here must stay in step with infra/terraform: infra/checks/test_parity.py fails on
// any difference between the two template sets.

targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------
// Parameters (safe defaults; nothing secret is ever a parameter)
// ---------------------------------------------------------------------------------------------

@description('Azure region for every resource. Must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Short name used in resource names.')
@minLength(3)
@maxLength(12)
param baseName string = 'offboard'

@description('Suffix that makes global names (storage, Key Vault, Cosmos, Relay, app) unique.')
@minLength(5)
@maxLength(13)
param suffix string = take(toLower(uniqueString(subscription().id, resourceGroup().id, baseName)), 13)

@description('IANA time zone offboard assumes when HR sends a local effective time without one.')
param timeZone string = 'UTC'

@description('Local time at which a date-only termination takes effect: end-of-day or HH:MM.')
param effectiveCutoff string = 'end-of-day'

@description('Path of the offboarding policy file in the deployed package (empty: the built-in config/policy.toml).')
param policyFile string = ''

@description('Grant User.ReadWrite.All, which delete-account needs to delete leavers\' cloud accounts (off by default: it can change any user). Turn it on only together with `[delete_account] enabled = true` in the policy file (policyFile): the policy is what makes the step run; this only grants the permission.')
param enableAccountDeletion bool = false

@description('Path of the connector file in the deployed package: the systems outside Microsoft (SCIM) the leaver is deprovisioned in (empty: none). Its tokens are app settings of their own, OFFBOARD_CONNECTOR_<SYSTEM>_<WHAT>, as Key Vault references.')
param connectorsFile string = ''

@description('Default (and minimum) retention of evidence blobs, in days. 2555 days = 7 years.')
@minValue(1)
@maxValue(146000)
param evidenceRetentionDays int = 2555

@description('How long an intake request may spend cutting the leaver\'s sign-in before answering HR, in milliseconds (the kill switch); past it the queued steps cut sign-in.')
@minValue(100)
@maxValue(15000)
param signInCutBudgetMs int = 3000

@description('State of the evidence default retention policy as this template declares it. Azure creates a policy Unlocked only; infra/scripts/deploy-bicep.sh deploys, then locks it with infra/scripts/lock-evidence-retention.sh, and passes Locked on every later deployment (a locked policy cannot be unlocked). The handler refuses to start while it is not Locked.')
@allowed(['Unlocked', 'Locked'])
param evidenceImmutabilityState string = 'Unlocked'

@description('Replication of the evidence account. Geo-redundant by default: evidence must outlive a region.')
@allowed(['Standard_GRS', 'Standard_RAGRS', 'Standard_GZRS', 'Standard_RAGZRS'])
param evidenceStorageSku string = 'Standard_GRS'

@description('Cosmos DB capacity mode: serverless costs nothing at idle.')
param cosmosServerless bool = true

@description('Upper bound of Flex Consumption instances (cost ceiling).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of one Flex Consumption instance, in MB.')
@allowed([2048, 4096])
param instanceMemoryMB int = 2048

@description('Retention of the Log Analytics workspace, in days.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 90

@description('Name of the hybrid connection the on-premises agent listens on.')
param hybridConnectionName string = 'offboard-agent'

@description('Name of a SAS rule with the Send right the handler uses instead of its managed identity (its key is the Key Vault secret relay-send-key); empty (the default) to send with the managed identity\'s Entra ID token.')
param relaySasKeyName string = ''

@description('HTTPS endpoint that receives notifications as Standard Webhooks-signed JSON; empty for none. Its signing secret is the Key Vault secret notify-webhook-secret.')
param notifyWebhookUrl string = ''

@description('Mailbox (UPN or object id) that sends notification mail through Graph sendMail; empty for no mail. Set together with notifyMailTo.')
param notifyMailFrom string = ''

@description('Recipients of notification mail, separated by commas; empty for no mail. Set together with notifyMailFrom.')
param notifyMailTo string = ''

@description('NCRONTAB schedule of the daily ghost-access scan (the reconcile timer).')
param reconcileSchedule string = '0 0 2 * * *'

@description('HR population sources of the ghost-access scan, comma-separated: bamboohr, report, entra; empty for none (the scan then judges only offboard\'s own cases).')
param populationSources string = ''

@description('BambooHR API base for the population source, https://api.bamboohr.com/api/gateway.php/{companyDomain}; its API key is the Key Vault secret population-bamboohr-key.')
param populationBamboohrUrl string = ''

@description('HTTPS URL of the population report (CSV or JSON export); its password or OAuth client secret is the Key Vault secret population-report-secret.')
param populationReportUrl string = ''

@description('Basic-auth user (or OAuth client id) of the population report.')
param populationReportUser string = ''

@description('OAuth token endpoint of the population report (client credentials); empty for Basic auth.')
param populationReportTokenUrl string = ''

@description('Network-hardened deployment (what regulated customers require): the function app joins a virtual network (Flex Consumption VNet integration, outbound through a NAT gateway), Storage, Cosmos DB, Key Vault and the app itself get private endpoints and private DNS zones, and public network access is off on all of them. Operators, HR intake and deployments must then come from inside (or through) the network: infra/README.md, "Network-hardened deployment".')
param privateNetworking bool = false

@description('Address space of the virtual network (privateNetworking only).')
param vnetAddressPrefix string = '10.20.0.0/23'

@description('Subnet the function app is integrated with, inside vnetAddressPrefix (privateNetworking only). Dedicated to the app (Flex Consumption allows no private or service endpoints in it) and the source of its instances\' addresses: size it with maximumInstanceCount in mind (a /24 is ample for the default 40).')
param appSubnetPrefix string = '10.20.0.0/24'

@description('Subnet of the private endpoints, inside vnetAddressPrefix (privateNetworking only).')
param privateEndpointSubnetPrefix string = '10.20.1.0/27'

@description('Tags applied to every resource.')
param tags object = {
  application: 'offboard'
}

// ---------------------------------------------------------------------------------------------
// What the code needs (kept equal to the code by infra/checks; see infra/README.md)
// ---------------------------------------------------------------------------------------------

// Every queue a function in handlers/ triggers on or writes to, or that the code sends to,
// and its `-poison` queue (the Functions host moves a message there after maxDequeueCount).
var queueNames = [
  'plan'
  'plan-poison'
  'notify'
  'notify-poison'
  'step-ad-disable'
  'step-ad-disable-poison'
  'step-ad-reset-password'
  'step-ad-reset-password-poison'
  'step-ad-cleanup'
  'step-ad-cleanup-poison'
  'step-verify-cloud-disabled'
  'step-verify-cloud-disabled-poison'
  'step-block-sign-in'
  'step-block-sign-in-poison'
  'step-revoke-sessions'
  'step-revoke-sessions-poison'
  'step-reset-password'
  'step-reset-password-poison'
  'step-remove-auth-methods'
  'step-remove-auth-methods-poison'
  'step-remove-directory-roles'
  'step-remove-directory-roles-poison'
  'step-remove-app-roles'
  'step-remove-app-roles-poison'
  'step-delete-account'
  'step-delete-account-poison'
  'step-remove-oauth-grants'
  'step-remove-oauth-grants-poison'
  'step-revoke-sharing'
  'step-revoke-sharing-poison'
  'step-remove-pim-eligibility'
  'step-remove-pim-eligibility-poison'
  'step-transfer-ownerships'
  'step-transfer-ownerships-poison'
  'step-remove-groups'
  'step-remove-groups-poison'
  'step-convert-mailbox'
  'step-convert-mailbox-poison'
  'step-mailbox-manager-access'
  'step-mailbox-manager-access-poison'
  'step-auto-reply'
  'step-auto-reply-poison'
  'step-hide-from-address-lists'
  'step-hide-from-address-lists-poison'
  'step-onedrive-manager-access'
  'step-onedrive-manager-access-poison'
  'step-retire-devices'
  'step-retire-devices-poison'
  'step-remove-licences'
  'step-remove-licences-poison'
  'step-seal'
  'step-seal-poison'
  'step-connector'
  'step-connector-poison'
  'step-restore'
  'step-restore-poison'
  'step-stop-forwarding'
  'step-stop-forwarding-poison'
  'step-hold-mailbox'
  'step-hold-mailbox-poison'
  'step-remove-mailbox-rights-elsewhere'
  'step-remove-mailbox-rights-elsewhere-poison'
  'step-wipe-mobile-mail'
  'step-wipe-mobile-mail-poison'
  'step-cancel-meetings'
  'step-cancel-meetings-poison'
  'rights-index'
  'rights-index-poison'
]

// Cosmos DB for NoSQL: database and containers with the partition keys the code uses
// (crates/azure/src/cosmos/mod.rs, ContainerNames).
var cosmosDatabaseName = 'offboard'
var cosmosContainerSpecs = [
  { name: 'cases', partitionKey: '/id' }
  { name: 'scimUsers', partitionKey: '/id' }
  { name: 'scimUserNames', partitionKey: '/id' }
  // The compliance index: one entry per case, partitioned by evidence period (YYYY-MM), so an
  // auditor's period is one single-partition query.
  { name: 'caseIndex', partitionKey: '/period' }
  // Failed steps waiting for a person (GET /api/remediations).
  { name: 'remediations', partitionKey: '/id' }
  // One person, one active offboarding: the claim on person-{objectId} (created if absent)
  // decides which of two terminations of the same person opens the case.
  { name: 'claims', partitionKey: '/id' }
  // Ghost-access scan findings (GET /api/findings), one per {kind}:{subject}.
  { name: 'findings', partitionKey: '/id' }
  // Who holds FullAccess or SendOnBehalf on which mailbox, refreshed by the rights-index timer,
  // so a leaver's rights elsewhere are one point read (remove-mailbox-rights-elsewhere).
  { name: 'rightsIndex', partitionKey: '/id' }
]

var evidenceContainerName = 'evidence'
var deploymentContainerName = 'app-package'

// Microsoft Graph application permissions (app roles of the Microsoft Graph service principal)
// and Exchange Online's, granted to the identity: exactly the set crates/graph/src/permissions.rs
// declares. Resolved by value name in modules/graph-grants.bicep, never by hard-coded GUID.
var graphAppRoles = [
  'AppRoleAssignment.ReadWrite.All'
  'DelegatedPermissionGrant.ReadWrite.All'
  'DeviceManagementManagedDevices.PrivilegedOperations.All'
  'DeviceManagementManagedDevices.Read.All'
  'Files.ReadWrite.All'
  'GroupMember.ReadWrite.All'
  'LicenseAssignment.ReadWrite.All'
  'Mail.Send'
  'MailboxSettings.ReadWrite'
  'RoleManagement.ReadWrite.Directory'
  'User-PasswordProfile.ReadWrite.All'
  'User.EnableDisableAccount.All'
  'User.Read.All'
  'User.RevokeSessions.All'
  'UserAuthenticationMethod.ReadWrite.All'
  'AuditLog.Read.All'
  'User-LifeCycleInfo.Read.All'
  'Organization.Read.All'
  'Calendars.ReadWrite'
  'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup'
  'Group.ReadWrite.All'
  'Application.ReadWrite.All'
  'Directory.Read.All'
]
// Granted only with enableAccountDeletion (crates/graph/src/permissions.rs: only_when
// enable_account_deletion): delete-account's DELETE /users/{id}; no narrower permission is
// documented, and it can change any user, so a deployment that keeps accounts never holds it.
var accountDeletionGraphAppRoles = [
  'User.ReadWrite.All'
]
var exchangeAppRoles = [
  'Exchange.ManageAsApp'
]
// Entra directory roles the identity needs (password reset / sensitive targets; Exchange admin
// cmdlets). Assigned by infra/scripts/assign-directory-roles.sh from the output below.
var directoryRoles = [
  'Exchange Recipient Administrator'
  'User Administrator'
  'Compliance Administrator'
]

// Secrets: app setting name -> Key Vault secret name. The values are put into Key Vault by
// infra/scripts/set-secrets.sh after deployment; the templates never see them.
var secretSettings = {
  OFFBOARD_BAMBOOHR_SECRET: 'bamboohr-secret'
  OFFBOARD_GENERIC_WEBHOOK_SECRET: 'generic-webhook-secret'
  OFFBOARD_SCIM_TOKEN: 'scim-token'
  OFFBOARD_AGENT_SIGNING_KEY: 'agent-signing-key'
  OFFBOARD_RELAY_SAS_KEY: 'relay-send-key'
  OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET: 'notify-teams-webhook-url'
  OFFBOARD_NOTIFY_WEBHOOK_SECRET: 'notify-webhook-secret'
  OFFBOARD_POPULATION_BAMBOOHR_KEY: 'population-bamboohr-key'
  OFFBOARD_POPULATION_REPORT_SECRET: 'population-report-secret'
  OFFBOARD_SIGNIN_SESSION_KEY: 'signin-session-key'
}

// ---------------------------------------------------------------------------------------------
// Names and built-in role definition ids
// ---------------------------------------------------------------------------------------------

var hostStorageName = take(toLower('st${replace(baseName, '-', '')}${suffix}'), 24)
var evidenceStorageName = take(toLower('stev${replace(baseName, '-', '')}${suffix}'), 24)
var keyVaultName = take('kv-${baseName}-${suffix}', 24)
var cosmosName = 'cosmos-${baseName}-${suffix}'
var relayName = 'relay-${baseName}-${suffix}'
var functionAppName = 'func-${baseName}-${suffix}'

// The network-hardened variant closes every public endpoint (infra/bicep/modules/network.bicep
// adds the private ones). Written once here so each resource says which of the two it takes.
var publicNetworkAccess = privateNetworking ? 'Disabled' : 'Enabled'
var networkDefaultAction = privateNetworking ? 'Deny' : 'Allow'

var roleIds = {
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  azureRelaySender: '26baccc8-eea7-41f1-98f4-1762cc7f685d'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
// Cosmos DB Built-in Data Contributor (a data-plane role of the account, not an Azure RBAC role).
var cosmosDataContributorRoleId = '00000000-0000-0000-0000-000000000002'

// ---------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${baseName}-${suffix}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------
// Monitoring
// ---------------------------------------------------------------------------------------------

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${baseName}-${suffix}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${baseName}-${suffix}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    // Telemetry only with an Entra token (the identity holds Monitoring Metrics Publisher).
    DisableLocalAuth: true
  }
}

// ---------------------------------------------------------------------------------------------
// Host storage: Functions host blobs, the queues, the deployment package container
// ---------------------------------------------------------------------------------------------

resource hostStorage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  //checkov:skip=CKV_AZURE_35:Public variant only (privateNetworking=true denies by default and passes): Flex Consumption without VNet integration reaches its host storage over the public endpoint; every request needs an Entra token (shared keys are off).
  //checkov:skip=CKV_AZURE_59:Public variant only (privateNetworking=true disables public access and passes): public endpoint needed by the Flex platform; no anonymous access, no shared keys.
  //checkov:skip=CKV_AZURE_43:The name is 'st' + baseName + suffix, lower-cased and cut to 24 characters (lowercase letters and digits only); checkov cannot evaluate Bicep functions.
  //checkov:skip=CKV_AZURE_206:Host storage holds only transient queue messages, host leases and the rebuildable deployment package; locally redundant is enough. Evidence lives in the geo-redundant evidence account.
  name: hostStorageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    isLocalUserEnabled: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess
    // No SAS is ever issued (shared keys are off); should one be, it expires within an hour.
    sasPolicy: {
      sasExpirationPeriod: '00.01:00:00'
      expirationAction: 'Block'
    }
    networkAcls: {
      defaultAction: networkDefaultAction
      bypass: 'AzureServices'
    }
  }
}

resource hostBlobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: hostStorage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

// Flex Consumption deploys from this container (functionAppConfig.deployment.storage).
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: hostBlobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource hostQueueService 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' = {
  parent: hostStorage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' = [
  for name in queueNames: {
    parent: hostQueueService
    name: name
  }
]

// ---------------------------------------------------------------------------------------------
// Evidence storage: version-level WORM for every blob from the first write
// ---------------------------------------------------------------------------------------------
// A dedicated account so that (1) account-level immutability with a default retention policy
// covers the evidence container from creation (Terraform's azurerm provider can express it only
// at account level, so both template sets use the same mechanism), and (2) the Functions host,
// which must delete and overwrite its own blobs, never shares an account with WORM data.
// Enabling account-level version immutability also turns blob versioning on.

resource evidenceStorage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  //checkov:skip=CKV_AZURE_35:Public variant only (privateNetworking=true denies by default and passes): Flex Consumption without VNet integration reaches storage over the public endpoint; Entra-only auth (shared keys off), no anonymous access.
  //checkov:skip=CKV_AZURE_59:Public variant only (privateNetworking=true disables public access and passes): same reason as CKV_AZURE_35.
  //checkov:skip=CKV_AZURE_43:The name is 'stev' + baseName + suffix, lower-cased and cut to 24 characters; checkov cannot evaluate Bicep functions.
  name: evidenceStorageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: evidenceStorageSku
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    isLocalUserEnabled: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess
    // No SAS is ever issued (shared keys are off); should one be, it expires within an hour.
    sasPolicy: {
      sasExpirationPeriod: '00.01:00:00'
      expirationAction: 'Block'
    }
    networkAcls: {
      defaultAction: networkDefaultAction
      bypass: 'AzureServices'
    }
    immutableStorageWithVersioning: {
      enabled: true
      immutabilityPolicy: {
        // Azure creates the policy Unlocked only; infra/scripts/deploy-bicep.sh locks it right
        // after this deployment (infra/scripts/lock-evidence-retention.sh, the same script
        // Terraform runs). The handler refuses to start with WORM on until it is Locked.
        state: evidenceImmutabilityState
        immutabilityPeriodSinceCreationInDays: evidenceRetentionDays
        allowProtectedAppendWrites: false
      }
    }
  }
}

// Nobody deletes the evidence account by accident (a locked retention policy would refuse too,
// but only once it is locked).
resource evidenceLock 'Microsoft.Authorization/locks@2020-05-01' = {
  name: 'offboard-evidence-cannot-delete'
  scope: evidenceStorage
  properties: {
    level: 'CanNotDelete'
    notes: 'offboard evidence: WORM audit records, retained for the configured period.'
  }
}

resource evidenceBlobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: evidenceStorage
  name: 'default'
  properties: {
    isVersioningEnabled: true
  }
}

resource evidenceContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: evidenceBlobService
  name: evidenceContainerName
  properties: {
    publicAccess: 'None'
  }
}

// ---------------------------------------------------------------------------------------------
// Cosmos DB for NoSQL
// ---------------------------------------------------------------------------------------------

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  //checkov:skip=CKV_AZURE_99:Public variant: public endpoint needed by Flex Consumption without VNet integration; key auth is disabled so every request needs an Entra token with a data-plane role. Network-hardened variant: public access is off, which checkov's Bicep/ARM version of this check does not read (it looks only at service-endpoint filters); the Terraform check with this id reads it and passes there.
  //checkov:skip=CKV_AZURE_101:Public variant only (privateNetworking=true disables public access and passes): same reason as CKV_AZURE_99.
  name: cosmosName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: cosmosServerless ? [{ name: 'EnableServerless' }] : []
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: publicNetworkAccess
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: 'Continuous7Days'
      }
    }
  }
}

resource cosmosDatabase 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: cosmos
  name: cosmosDatabaseName
  properties: {
    resource: {
      id: cosmosDatabaseName
    }
  }
}

resource cosmosContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for c in cosmosContainerSpecs: {
    parent: cosmosDatabase
    name: c.name
    properties: {
      resource: {
        id: c.name
        partitionKey: {
          paths: [c.partitionKey]
          kind: 'Hash'
          version: 2
        }
      }
    }
  }
]

// ---------------------------------------------------------------------------------------------
// Azure Relay: the handler sends to the on-premises agent through one hybrid connection
// ---------------------------------------------------------------------------------------------

resource relay 'Microsoft.Relay/namespaces@2024-01-01' = {
  name: relayName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
}

resource hybridConnection 'Microsoft.Relay/namespaces/hybridConnections@2024-01-01' = {
  parent: relay
  name: hybridConnectionName
  properties: {
    // Senders need a token: the handler's Entra token (Azure Relay Sender role below).
    requiresClientAuthorization: true
  }
}

// The agent on-premises has no managed identity: it listens with this Listen-only SAS rule (no
// Send, no Manage). Its key is read once by infra/scripts/agent-listen-key.sh and never leaves
// the deployer's terminal through a template output.
resource agentListen 'Microsoft.Relay/namespaces/hybridConnections/authorizationRules@2024-01-01' = {
  parent: hybridConnection
  name: 'agent-listen'
  properties: {
    rights: [
      'Listen'
    ]
  }
}

// ---------------------------------------------------------------------------------------------
// Key Vault: the webhook secrets, the SCIM token and the agent signing key
// ---------------------------------------------------------------------------------------------

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  //checkov:skip=CKV_AZURE_109:Public variant only (privateNetworking=true denies by default and passes): Key Vault references of a Flex Consumption app without VNet integration resolve over the public endpoint; access is Entra RBAC only.
  //checkov:skip=CKV_AZURE_189:Public variant only (privateNetworking=true disables public access and passes): same reason as CKV_AZURE_109.
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enablePurgeProtection: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: networkDefaultAction
      bypass: 'AzureServices'
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Function app: Flex Consumption, custom handler
// ---------------------------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  //checkov:skip=CKV_AZURE_225:Flex Consumption zone redundancy is offered only in some regions and bills always-ready instances; offboard's work is queue-driven and retried, so a zonal outage delays steps instead of losing them.
  name: 'plan-${baseName}-${suffix}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

// Every app setting of the function app. Secrets are Key Vault references (versionless, so a
// rotated secret is picked up); their values never pass through a template.
var appSettings = {
  // Host storage, identity-based (no connection string): blob for the host, queue for the queue
  // triggers. `AzureWebJobsStorage` is the connection name every queue binding uses.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: hostStorage.properties.primaryEndpoints.queue
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  // The host refuses request bodies over offboard's own 1 MiB limit while reading them (413),
  // instead of its 100 MB default: nothing larger is buffered or forwarded to the handler.
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '1048576'
  // offboard's own configuration (crates/service/src/settings.rs is the list the code reads).
  OFFBOARD_BACKEND: 'azure'
  OFFBOARD_TIME_ZONE: timeZone
  OFFBOARD_EFFECTIVE_CUTOFF: effectiveCutoff
  OFFBOARD_POLICY_FILE: policyFile
  OFFBOARD_CONNECTORS_FILE: connectorsFile
  OFFBOARD_TENANT_ID: tenant().tenantId
  OFFBOARD_MANAGED_IDENTITY_CLIENT_ID: identity.properties.clientId
  OFFBOARD_GRAPH_ENDPOINT: 'https://graph.microsoft.com'
  OFFBOARD_EXCHANGE_ENDPOINT: 'https://outlook.office365.com'
  OFFBOARD_COSMOS_ENDPOINT: cosmos.properties.documentEndpoint
  OFFBOARD_COSMOS_DATABASE: cosmosDatabaseName
  OFFBOARD_STORAGE_QUEUE_ENDPOINT: hostStorage.properties.primaryEndpoints.queue
  OFFBOARD_STORAGE_BLOB_ENDPOINT: evidenceStorage.properties.primaryEndpoints.blob
  OFFBOARD_EVIDENCE_CONTAINER: evidenceContainerName
  OFFBOARD_EVIDENCE_WORM: 'true'
  OFFBOARD_EVIDENCE_RETENTION_DAYS: string(evidenceRetentionDays)
  OFFBOARD_EVIDENCE_ACCOUNT_ID: evidenceStorage.id
  OFFBOARD_ARM_ENDPOINT: 'https://management.azure.com'
  OFFBOARD_RELAY_NAMESPACE: '${relay.name}.servicebus.windows.net'
  OFFBOARD_RELAY_HYBRID_CONNECTION: hybridConnectionName
  // The handler sends to the agent with its managed identity (Azure Relay Sender role below).
  // A SAS Send rule is the fallback: set relaySasKeyName and the Key Vault secret relay-send-key;
  // an unset secret leaves this reference unresolved, which the code treats as unset.
  OFFBOARD_RELAY_SAS_KEY_NAME: relaySasKeyName
  OFFBOARD_RELAY_SAS_KEY: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/relay-send-key/)'
  OFFBOARD_BAMBOOHR_SECRET: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/bamboohr-secret/)'
  OFFBOARD_GENERIC_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/generic-webhook-secret/)'
  OFFBOARD_SCIM_TOKEN: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/scim-token/)'
  OFFBOARD_AGENT_SIGNING_KEY: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/agent-signing-key/)'
  // Notifications (crates/service/src/sinks): the Teams webhook URL authorises posting, so it
  // is a secret; an unset Key Vault secret means no Teams notifications.
  OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/notify-teams-webhook-url/)'
  OFFBOARD_NOTIFY_WEBHOOK_URL: notifyWebhookUrl
  OFFBOARD_NOTIFY_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/notify-webhook-secret/)'
  OFFBOARD_NOTIFY_MAIL_FROM: notifyMailFrom
  OFFBOARD_NOTIFY_MAIL_TO: notifyMailTo
  // The ghost-access scan's HR population sources (README, "Ghost access").
  OFFBOARD_RECONCILE_SCHEDULE: reconcileSchedule
  OFFBOARD_POPULATION_SOURCES: populationSources
  OFFBOARD_POPULATION_BAMBOOHR_URL: populationBamboohrUrl
  OFFBOARD_POPULATION_BAMBOOHR_KEY: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/population-bamboohr-key/)'
  OFFBOARD_POPULATION_REPORT_URL: populationReportUrl
  OFFBOARD_POPULATION_REPORT_USER: populationReportUser
  OFFBOARD_POPULATION_REPORT_SECRET: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/population-report-secret/)'
  OFFBOARD_POPULATION_REPORT_TOKEN_URL: populationReportTokenUrl
  // Sign-in of people and GRC tools (crates/signin): offboard's app registration
  // (modules/signin.bicep), the tenant's authority, and the key of browser sessions.
  OFFBOARD_SIGNIN_CLIENT_ID: signin.outputs.clientId
  OFFBOARD_SIGNIN_AUTHORITY: 'https://login.microsoftonline.com'
  OFFBOARD_SIGNIN_SESSION_KEY: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/signin-session-key/)'
  // Function keys do not read the compliance API (/api/keyed/...): people and GRC tools sign
  // in with Entra ID, so every read names who made it. `on` only for a machine that cannot.
  OFFBOARD_COMPLIANCE_FUNCTION_KEYS: 'off'
  OFFBOARD_SIGN_IN_CUT_BUDGET_MS: string(signInCutBudgetMs)
  // Graph's write quota per app and tenant, which every Graph client of an instance paces to.
  OFFBOARD_GRAPH_WRITE_QUOTA: '3000/150'
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  //checkov:skip=CKV_AZURE_78:Flex Consumption rejects siteConfig.ftpsState; FTP is not offered on Flex (it deploys from a blob container) and basic (user/password) publishing credentials are disabled below.
  //checkov:skip=CKV_AZURE_222:Public variant only (privateNetworking=true disables public access and passes): HR platforms and SCIM clients call the intake functions from the internet; every request is authenticated by the handler (HMAC signature, SCIM bearer token, function key).
  //checkov:skip=CKV_AZURE_212:Flex Consumption scales from zero by design (no idle cost); always-ready instances are an opt-in cost. Queue messages wait while an instance starts.
  //checkov:skip=CKV_AZURE_213:The handler exposes no health endpoint; the Flex platform replaces instances whose worker does not start, and failed invocations are retried from the queues.
  //checkov:skip=CKV_AZURE_17:Client certificates are not how HR platforms authenticate: every intake request is verified by its HMAC signature or SCIM bearer token over the raw body.
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    // Network-hardened variant: every outbound call leaves through the app subnet.
    virtualNetworkSubnetId: privateNetworking ? network!.outputs.appSubnetId : null
    httpsOnly: true
    publicNetworkAccess: publicNetworkAccess
    clientCertEnabled: false
    // Key Vault references resolve with the user-assigned identity.
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [for s in items(appSettings): { name: s.key, value: s.value }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      runtime: {
        // The custom-handler stack of Flex Consumption.
        name: 'custom'
        version: '1.0'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
  }
  dependsOn: [
    // The host needs its storage roles before it starts.
    hostBlobOwner
    hostQueueContributor
  ]
}

// Basic (user/password) publishing credentials off: deployments authenticate with Entra ID.
// (Flex Consumption has no FTP endpoint; it deploys from the blob container above.)
resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

// ---------------------------------------------------------------------------------------------
// Network-hardened variant (privateNetworking): virtual network, private endpoints, DNS zones
// ---------------------------------------------------------------------------------------------

module network 'modules/network.bicep' = if (privateNetworking) {
  name: 'offboard-network'
  params: {
    location: location
    tags: tags
    baseName: baseName
    suffix: suffix
    vnetAddressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    hostStorageId: hostStorage.id
    evidenceStorageId: evidenceStorage.id
    cosmosId: cosmos.id
    vaultId: vault.id
  }
}

// The function app's inbound endpoint: with public access off, the intake and operator routes
// answer only inside the network. Here, not in the module, because the app needs the module's
// subnet first.
module appEndpoint 'modules/private-endpoint.bicep' = if (privateNetworking) {
  name: 'offboard-pe-app'
  params: {
    name: 'pe-${baseName}-${suffix}-app'
    location: location
    tags: tags
    subnetId: privateNetworking ? network!.outputs.privateEndpointSubnetId : ''
    targetId: functionApp.id
    groupId: 'sites'
    privateDnsZoneId: privateNetworking ? network!.outputs.sitesDnsZoneId : ''
  }
}

// ---------------------------------------------------------------------------------------------
// Role assignments: exactly what the code and the Functions host do
// ---------------------------------------------------------------------------------------------

// Queues: the queue triggers (host) receive/delete, the code sends and creates queues.
resource hostQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, identity.id, roleIds.storageQueueDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'offboard: queue triggers and the code sending step messages'
  }
}

// Host blobs: the Functions host keeps keys, leases and timer locks in blob storage and
// Microsoft documents Storage Blob Data Owner for identity-based AzureWebJobsStorage; the
// Flex deployment container is read with the same identity. Scoped to the host account,
// which holds no evidence.
resource hostBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, identity.id, roleIds.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'offboard: Functions host storage and the deployment package'
  }
}

// Evidence: the app may add blobs and read them, nothing else. Protection does not depend on
// the app's good behaviour: every version inherits the account's *locked* default retention
// (above), and the app holds no data action that could overwrite (blobs/write), delete
// (blobs/delete, deleteBlobVersion) or change a hold or a policy
// (immutableStorage/runAsSuperUser). Create-only Put Blob needs only blobs/add/action.
// containers/read lets the handler read the container's properties at start-up (does it
// report version-level immutability). Scoped to the evidence container.
var evidenceWriterActions = [
  'Microsoft.Storage/storageAccounts/blobServices/containers/read'
]
var evidenceWriterDataActions = [
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'
]

resource evidenceWriterRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'offboard-evidence-writer', suffix)
  properties: {
    roleName: 'offboard evidence writer (${suffix})'
    description: 'Add new offboard evidence blobs and read them. No overwrite, no delete, no change to holds or retention.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: evidenceWriterActions
        notActions: []
        dataActions: evidenceWriterDataActions
        notDataActions: []
      }
    ]
  }
}

// The handler reads the evidence account's effective protection (the locked default retention
// and its period) from the account's properties: a control-plane read, no keys, no writes.
var evidenceProtectionReaderActions = [
  'Microsoft.Storage/storageAccounts/read'
]

resource evidenceProtectionReaderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'offboard-evidence-protection-reader', suffix)
  properties: {
    roleName: 'offboard evidence protection reader (${suffix})'
    description: 'Read the offboard evidence account properties (its immutability policy). No keys, no data.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: evidenceProtectionReaderActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource evidenceProtectionReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(evidenceStorage.id, identity.id, 'offboard-evidence-protection-reader')
  scope: evidenceStorage
  properties: {
    roleDefinitionId: evidenceProtectionReaderRole.id
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'offboard: read the evidence account immutability policy (locked, period)'
  }
}

resource evidenceWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(evidenceContainer.id, identity.id, 'offboard-evidence-writer')
  scope: evidenceContainer
  properties: {
    roleDefinitionId: evidenceWriterRole.id
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'offboard: add evidence blobs and read them (no overwrite, no delete)'
  }
}

resource cosmosDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: cosmos
  name: guid(cosmos.id, identity.id, cosmosDataContributorRoleId)
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributorRoleId}'
    principalId: identity.properties.principalId
    // Account scope: the account holds only offboard's database, and the SDK reads account
    // metadata (readMetadata) before it touches a container.
    scope: cosmos.id
  }
}

resource vaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roleIds.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'offboard: resolve Key Vault references (read secret values only)'
  }
}

resource relaySender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hybridConnection.id, identity.id, roleIds.azureRelaySender)
  scope: hybridConnection
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.azureRelaySender)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'offboard: send requests to the on-premises agent over this hybrid connection only'
  }
}

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roleIds.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'offboard: send telemetry to Application Insights with Entra auth (local auth is off)'
  }
}

// ---------------------------------------------------------------------------------------------
// Diagnostic settings: everything into the one workspace
// ---------------------------------------------------------------------------------------------

resource diagFunctionApp 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: functionApp
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

resource diagHostBlob 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: hostBlobService
  properties: {
    workspaceId: logs.id
    // Writes and deletes only: the host's lease renewals and the scale controller's polling
    // would make read logs the main cost at idle.
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

resource diagHostQueue 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: hostQueueService
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

resource diagEvidenceBlob 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: evidenceBlobService
  properties: {
    workspaceId: logs.id
    // Every read, write and delete attempt on evidence is logged.
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

resource diagCosmos 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: cosmos
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

resource diagRelay 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: relay
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

resource diagVault 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

// ---------------------------------------------------------------------------------------------
// Microsoft Graph and Exchange application permissions for the identity
// ---------------------------------------------------------------------------------------------

module graphGrants 'modules/graph-grants.bicep' = {
  name: 'offboard-graph-grants'
  params: {
    principalObjectId: identity.properties.principalId
    graphAppRoles: concat(graphAppRoles, enableAccountDeletion ? accountDeletionGraphAppRoles : [])
    exchangeAppRoles: exchangeAppRoles
  }
}

// ---------------------------------------------------------------------------------------------
// offboard's app registration: sign-in for people and GRC tools, and its app roles
// ---------------------------------------------------------------------------------------------

module signin 'modules/signin.bicep' = {
  name: 'offboard-signin'
  params: {
    uniqueName: functionAppName
    displayName: functionAppName
    // The app's default host name (what the platform gives the app as WEBSITE_HOSTNAME), not
    // functionApp.properties: the app's settings name this registration, so it must exist first.
    redirectUri: 'https://${functionAppName}.azurewebsites.net/api/signin/callback'
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs (no secret, no key, no connection string)
// ---------------------------------------------------------------------------------------------

output functionAppName string = functionApp.name
output functionAppHostName string = functionApp.properties.defaultHostName
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output identityResourceId string = identity.id
output relayNamespace string = '${relay.name}.servicebus.windows.net'
output relayNamespaceName string = relay.name
output signinClientId string = signin.outputs.clientId
output hybridConnectionName string = hybridConnectionName
output agentListenRuleName string = agentListen.name
output keyVaultName string = vault.name
output keyVaultUri string = vault.properties.vaultUri
output hostStorageAccountName string = hostStorage.name
output storageQueueEndpoint string = hostStorage.properties.primaryEndpoints.queue
output evidenceStorageAccountName string = evidenceStorage.name
output evidenceBlobEndpoint string = evidenceStorage.properties.primaryEndpoints.blob
output cosmosEndpoint string = cosmos.properties.documentEndpoint
output cosmosDatabaseName string = cosmosDatabaseName
output directoryRolesToAssign array = directoryRoles
output secretNames object = secretSettings
// Network-hardened variant only (empty otherwise): the network to peer with, and the one public
// address the app's outbound calls come from.
output virtualNetworkName string = privateNetworking ? network!.outputs.virtualNetworkName : ''
output egressIpAddress string = privateNetworking ? network!.outputs.egressIpAddress : ''
