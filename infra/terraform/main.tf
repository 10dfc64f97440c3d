# offboard — the whole Azure side of one deployment. The same system, with the same settings,
# as infra/bicep/main.bicep: infra/checks/test_parity.py fails on any difference. Resource
# names here are the Bicep symbolic names in snake_case.
#
# Directory roles and Graph / Exchange app roles are in graph.tf; the network-hardened variant's
# network (var.private_networking) is in network.tf.

data "azurerm_resource_group" "rg" {
  name = var.resource_group_name
}

data "azurerm_client_config" "current" {}

locals {
  location = var.location != "" ? var.location : data.azurerm_resource_group.rg.location

  # -------------------------------------------------------------------------------------------
  # What the code needs (kept equal to the code by infra/checks; see infra/README.md)
  # -------------------------------------------------------------------------------------------

  # Every queue a function in handlers/ triggers on or writes to, or that the code sends to,
  # and its `-poison` queue (the Functions host moves a message there after maxDequeueCount).
  queue_names = [
    "plan",
    "plan-poison",
    "notify",
    "notify-poison",
    "step-ad-disable",
    "step-ad-disable-poison",
    "step-ad-reset-password",
    "step-ad-reset-password-poison",
    "step-ad-cleanup",
    "step-ad-cleanup-poison",
    "step-verify-cloud-disabled",
    "step-verify-cloud-disabled-poison",
    "step-block-sign-in",
    "step-block-sign-in-poison",
    "step-revoke-sessions",
    "step-revoke-sessions-poison",
    "step-reset-password",
    "step-reset-password-poison",
    "step-remove-auth-methods",
    "step-remove-auth-methods-poison",
    "step-remove-directory-roles",
    "step-remove-directory-roles-poison",
    "step-remove-app-roles",
    "step-remove-app-roles-poison",
    "step-delete-account",
    "step-delete-account-poison",
    "step-remove-oauth-grants",
    "step-remove-oauth-grants-poison",
    "step-revoke-sharing",
    "step-revoke-sharing-poison",
    "step-remove-pim-eligibility",
    "step-remove-pim-eligibility-poison",
    "step-transfer-ownerships",
    "step-transfer-ownerships-poison",
    "step-remove-groups",
    "step-remove-groups-poison",
    "step-convert-mailbox",
    "step-convert-mailbox-poison",
    "step-mailbox-manager-access",
    "step-mailbox-manager-access-poison",
    "step-auto-reply",
    "step-auto-reply-poison",
    "step-hide-from-address-lists",
    "step-hide-from-address-lists-poison",
    "step-onedrive-manager-access",
    "step-onedrive-manager-access-poison",
    "step-retire-devices",
    "step-retire-devices-poison",
    "step-remove-licences",
    "step-remove-licences-poison",
    "step-seal",
    "step-seal-poison",
    "step-connector",
    "step-connector-poison",
    "step-restore",
    "step-restore-poison",
    "step-stop-forwarding",
    "step-stop-forwarding-poison",
    "step-hold-mailbox",
    "step-hold-mailbox-poison",
    "step-remove-mailbox-rights-elsewhere",
    "step-remove-mailbox-rights-elsewhere-poison",
    "step-wipe-mobile-mail",
    "step-wipe-mobile-mail-poison",
    "step-cancel-meetings",
    "step-cancel-meetings-poison",
    "rights-index",
    "rights-index-poison",
  ]

  # Cosmos DB for NoSQL: database and containers with the partition keys the code uses
  # (crates/azure/src/cosmos/mod.rs, ContainerNames).
  cosmos_database_name = "offboard"
  cosmos_containers = [
    { name = "cases", partition_key = "/id" },
    { name = "scimUsers", partition_key = "/id" },
    { name = "scimUserNames", partition_key = "/id" },
    # The compliance index: one entry per case, partitioned by evidence period (YYYY-MM), so an
    # auditor's period is one single-partition query.
    { name = "caseIndex", partition_key = "/period" },
    # Failed steps waiting for a person (GET /api/remediations).
    { name = "remediations", partition_key = "/id" },
    # One person, one active offboarding: the claim on person-{objectId} (created if absent)
    # decides which of two terminations of the same person opens the case.
    { name = "claims", partition_key = "/id" },
    # Ghost-access scan findings (GET /api/findings), one per {kind}:{subject}.
    { name = "findings", partition_key = "/id" },
    # Who holds FullAccess or SendOnBehalf on which mailbox, refreshed by the rights-index timer,
    # so a leaver's rights elsewhere are one point read (remove-mailbox-rights-elsewhere).
    { name = "rightsIndex", partition_key = "/id" },
  ]

  evidence_container_name   = "evidence"
  deployment_container_name = "app-package"

  # Secrets: app setting name -> Key Vault secret name. The values are put into Key Vault by
  # infra/scripts/set-secrets.sh after deployment; Terraform never sees them.
  secret_settings = {
    OFFBOARD_BAMBOOHR_SECRET                 = "bamboohr-secret"
    OFFBOARD_GENERIC_WEBHOOK_SECRET          = "generic-webhook-secret"
    OFFBOARD_SCIM_TOKEN                      = "scim-token"
    OFFBOARD_AGENT_SIGNING_KEY               = "agent-signing-key"
    OFFBOARD_RELAY_SAS_KEY                   = "relay-send-key"
    OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET = "notify-teams-webhook-url"
    OFFBOARD_NOTIFY_WEBHOOK_SECRET           = "notify-webhook-secret"
    OFFBOARD_POPULATION_BAMBOOHR_KEY         = "population-bamboohr-key"
    OFFBOARD_POPULATION_REPORT_SECRET        = "population-report-secret"
    OFFBOARD_SIGNIN_SESSION_KEY              = "signin-session-key"
  }

  # -------------------------------------------------------------------------------------------
  # Names
  # -------------------------------------------------------------------------------------------
  host_storage_name     = substr("st${var.base_name}${var.suffix}", 0, min(24, length("st${var.base_name}${var.suffix}")))
  evidence_storage_name = substr("stev${var.base_name}${var.suffix}", 0, min(24, length("stev${var.base_name}${var.suffix}")))
  key_vault_name        = substr("kv-${var.base_name}-${var.suffix}", 0, min(24, length("kv-${var.base_name}-${var.suffix}")))
  cosmos_name           = "cosmos-${var.base_name}-${var.suffix}"
  relay_name            = "relay-${var.base_name}-${var.suffix}"
  function_app_name     = "func-${var.base_name}-${var.suffix}"

  # The network-hardened variant closes every public endpoint (network.tf adds the private
  # ones). Written once here so each resource says which of the two it takes.
  public_network_access  = var.private_networking ? false : true
  network_default_action = var.private_networking ? "Deny" : "Allow"

  # Cosmos DB Built-in Data Contributor (a data-plane role of the account, not an Azure RBAC role).
  cosmos_data_contributor_role_id = "00000000-0000-0000-0000-000000000002"

  # Evidence writer custom role: the app may add blobs and read them, nothing else. Every
  # version inherits the account's locked default retention; the app holds no data action that
  # could overwrite (blobs/write), delete (blobs/delete, deleteBlobVersion) or change a hold or
  # a policy (immutableStorage/runAsSuperUser). Create-only Put Blob needs only blobs/add/action;
  # containers/read lets the handler read the container's properties at start-up.
  evidence_writer_actions = [
    "Microsoft.Storage/storageAccounts/blobServices/containers/read",
  ]
  evidence_writer_data_actions = [
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
  ]
  # The handler reads the evidence account's effective protection (locked default retention and
  # its period) from the account's properties: a control-plane read, no keys, no data.
  evidence_protection_reader_actions = [
    "Microsoft.Storage/storageAccounts/read",
  ]

  # Every app setting of the function app. Secrets are Key Vault references (versionless, so a
  # rotated secret is picked up); their values never pass through Terraform.
  app_settings = {
    # Host storage, identity-based (no connection string): blob for the host, queue for the
    # queue triggers. `AzureWebJobsStorage` is the connection name every queue binding uses.
    AzureWebJobsStorage__credential      = "managedidentity"
    AzureWebJobsStorage__clientId        = azurerm_user_assigned_identity.identity.client_id
    AzureWebJobsStorage__blobServiceUri  = azurerm_storage_account.host_storage.primary_blob_endpoint
    AzureWebJobsStorage__queueServiceUri = azurerm_storage_account.host_storage.primary_queue_endpoint
    # The provider writes a key-based `AzureWebJobsStorage` connection string (with an empty
    # key) for Flex apps whose deployment storage is not key-based; an explicit empty value
    # overrides it, so the host uses the identity-based settings above.
    AzureWebJobsStorage                       = ""
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "ClientId=${azurerm_user_assigned_identity.identity.client_id};Authorization=AAD"
    # The host refuses request bodies over offboard's own 1 MiB limit while reading them (413),
    # instead of its 100 MB default: nothing larger is buffered or forwarded to the handler.
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT = "1048576"
    # offboard's own configuration (crates/service/src/settings.rs is the list the code reads).
    OFFBOARD_BACKEND                    = "azure"
    OFFBOARD_TIME_ZONE                  = var.time_zone
    OFFBOARD_EFFECTIVE_CUTOFF           = var.effective_cutoff
    OFFBOARD_POLICY_FILE                = var.policy_file
    OFFBOARD_CONNECTORS_FILE            = var.connectors_file
    OFFBOARD_TENANT_ID                  = data.azurerm_client_config.current.tenant_id
    OFFBOARD_MANAGED_IDENTITY_CLIENT_ID = azurerm_user_assigned_identity.identity.client_id
    OFFBOARD_GRAPH_ENDPOINT             = "https://graph.microsoft.com"
    OFFBOARD_EXCHANGE_ENDPOINT          = "https://outlook.office365.com"
    OFFBOARD_COSMOS_ENDPOINT            = azurerm_cosmosdb_account.cosmos.endpoint
    OFFBOARD_COSMOS_DATABASE            = local.cosmos_database_name
    OFFBOARD_STORAGE_QUEUE_ENDPOINT     = azurerm_storage_account.host_storage.primary_queue_endpoint
    OFFBOARD_STORAGE_BLOB_ENDPOINT      = azurerm_storage_account.evidence_storage.primary_blob_endpoint
    OFFBOARD_EVIDENCE_CONTAINER         = local.evidence_container_name
    OFFBOARD_EVIDENCE_WORM              = "true"
    OFFBOARD_EVIDENCE_RETENTION_DAYS    = tostring(var.evidence_retention_days)
    OFFBOARD_EVIDENCE_ACCOUNT_ID        = azurerm_storage_account.evidence_storage.id
    OFFBOARD_ARM_ENDPOINT               = "https://management.azure.com"
    OFFBOARD_RELAY_NAMESPACE            = "${azurerm_relay_namespace.relay.name}.servicebus.windows.net"
    OFFBOARD_RELAY_HYBRID_CONNECTION    = var.hybrid_connection_name
    # The handler sends to the agent with its managed identity (Azure Relay Sender role below).
    # A SAS Send rule is the fallback: set relay_sas_key_name and the Key Vault secret
    # relay-send-key; an unset secret leaves this reference unresolved, which the code treats as
    # unset.
    OFFBOARD_RELAY_SAS_KEY_NAME = var.relay_sas_key_name
    OFFBOARD_RELAY_SAS_KEY      = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/relay-send-key/)"
    OFFBOARD_BAMBOOHR_SECRET            = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/bamboohr-secret/)"
    OFFBOARD_GENERIC_WEBHOOK_SECRET     = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/generic-webhook-secret/)"
    OFFBOARD_SCIM_TOKEN                 = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/scim-token/)"
    OFFBOARD_AGENT_SIGNING_KEY          = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/agent-signing-key/)"
    # Notifications (crates/service/src/sinks): the Teams webhook URL authorises posting, so it
    # is a secret; an unset Key Vault secret means no Teams notifications.
    OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/notify-teams-webhook-url/)"
    OFFBOARD_NOTIFY_WEBHOOK_URL              = var.notify_webhook_url
    OFFBOARD_NOTIFY_WEBHOOK_SECRET           = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/notify-webhook-secret/)"
    OFFBOARD_NOTIFY_MAIL_FROM                = var.notify_mail_from
    OFFBOARD_NOTIFY_MAIL_TO                  = var.notify_mail_to
    # The ghost-access scan's HR population sources (README, "Ghost access").
    OFFBOARD_RECONCILE_SCHEDULE          = var.reconcile_schedule
    OFFBOARD_POPULATION_SOURCES          = var.population_sources
    OFFBOARD_POPULATION_BAMBOOHR_URL     = var.population_bamboohr_url
    OFFBOARD_POPULATION_BAMBOOHR_KEY     = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/population-bamboohr-key/)"
    OFFBOARD_POPULATION_REPORT_URL       = var.population_report_url
    OFFBOARD_POPULATION_REPORT_USER      = var.population_report_user
    OFFBOARD_POPULATION_REPORT_SECRET    = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/population-report-secret/)"
    OFFBOARD_POPULATION_REPORT_TOKEN_URL = var.population_report_token_url
    # Sign-in of people and GRC tools (crates/signin): offboard's app registration (signin.tf),
    # the tenant's authority, and the key of browser sessions.
    OFFBOARD_SIGNIN_CLIENT_ID   = azuread_application.signin.client_id
    OFFBOARD_SIGNIN_AUTHORITY   = "https://login.microsoftonline.com"
    OFFBOARD_SIGNIN_SESSION_KEY = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.vault.vault_uri}secrets/signin-session-key/)"
    # Function keys do not read the compliance API (/api/keyed/...): people and GRC tools sign
    # in with Entra ID, so every read names who made it. "on" only for a machine that cannot.
    OFFBOARD_COMPLIANCE_FUNCTION_KEYS = "off"
    OFFBOARD_SIGN_IN_CUT_BUDGET_MS           = tostring(var.sign_in_cut_budget_ms)
    # Graph's write quota per app and tenant, which every Graph client of an instance paces to.
    OFFBOARD_GRAPH_WRITE_QUOTA = "3000/150"
  }
}

# ---------------------------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------------------------

resource "azurerm_user_assigned_identity" "identity" {
  name                = "id-${var.base_name}-${var.suffix}"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  tags                = var.tags
}

# ---------------------------------------------------------------------------------------------
# Monitoring
# ---------------------------------------------------------------------------------------------

resource "azurerm_log_analytics_workspace" "logs" {
  name                = "log-${var.base_name}-${var.suffix}"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = var.tags
}

resource "azurerm_application_insights" "app_insights" {
  name                = "appi-${var.base_name}-${var.suffix}"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  workspace_id        = azurerm_log_analytics_workspace.logs.id
  application_type    = "web"
  # Telemetry only with an Entra token (the identity holds Monitoring Metrics Publisher).
  local_authentication_disabled = true
  tags                          = var.tags
}

# ---------------------------------------------------------------------------------------------
# Host storage: Functions host blobs, the queues, the deployment package container
# ---------------------------------------------------------------------------------------------

resource "azurerm_storage_account" "host_storage" {
  #checkov:skip=CKV_AZURE_35:Public variant only (private_networking=true denies by default and passes): Flex Consumption without VNet integration reaches its host storage over the public endpoint; every request needs an Entra token (shared keys are off).
  #checkov:skip=CKV_AZURE_59:Public variant only (private_networking=true disables public access and passes): public endpoint needed by the Flex platform; no anonymous access, no shared keys.
  #checkov:skip=CKV2_AZURE_33:Public variant only (private_networking=true adds the private endpoints and passes): the public variant has none, to keep idle cost at zero.
  #checkov:skip=CKV_AZURE_206:Host storage holds only transient queue messages, host leases and the rebuildable deployment package; locally redundant is enough. Evidence lives in the geo-redundant evidence account.
  #checkov:skip=CKV2_AZURE_1:Encryption with Microsoft-managed keys; a customer-managed key adds a Key Vault key and its lifecycle, not needed for transient data.
  #checkov:skip=CKV_AZURE_33:Queue service logging goes through the Azure Monitor diagnostic setting below, not classic Storage Analytics logging.
  name                             = local.host_storage_name
  location                         = local.location
  resource_group_name              = data.azurerm_resource_group.rg.name
  account_kind                     = "StorageV2"
  account_tier                     = "Standard"
  account_replication_type         = "LRS"
  access_tier                      = "Hot"
  allow_nested_items_to_be_public  = false
  cross_tenant_replication_enabled = false
  shared_access_key_enabled        = false
  default_to_oauth_authentication  = true
  min_tls_version                  = "TLS1_2"
  https_traffic_only_enabled       = true
  public_network_access_enabled    = local.public_network_access
  local_user_enabled               = false
  tags                             = var.tags

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }

  sas_policy {
    # No SAS is ever issued (shared keys are off); should one be, it expires within an hour.
    expiration_period = "00.01:00:00"
    expiration_action = "Block"
  }

  network_rules {
    default_action = local.network_default_action
    bypass         = ["AzureServices"]
  }
}

# Flex Consumption deploys from this container (storage_container_endpoint below).
resource "azurerm_storage_container" "deployment_container" {
  #checkov:skip=CKV2_AZURE_21:Blob read logging for the host account is off on purpose (cost at idle: host leases and scale polling); writes and deletes are logged by the diagnostic setting.
  name                  = local.deployment_container_name
  storage_account_id    = azurerm_storage_account.host_storage.id
  container_access_type = "private"
}

resource "azurerm_storage_queue" "queues" {
  for_each           = toset(local.queue_names)
  name               = each.value
  storage_account_id = azurerm_storage_account.host_storage.id
}

# ---------------------------------------------------------------------------------------------
# Evidence storage: version-level WORM for every blob from the first write
# ---------------------------------------------------------------------------------------------
# A dedicated account so that (1) account-level immutability with a default retention policy
# covers the evidence container from creation (the azurerm provider can express version-level
# immutability only at account level, so both template sets use the same mechanism), and (2)
# the Functions host, which must delete and overwrite its own blobs, never shares an account
# with WORM data.

resource "azurerm_storage_account" "evidence_storage" {
  #checkov:skip=CKV_AZURE_35:Public variant only (private_networking=true denies by default and passes): Flex Consumption without VNet integration reaches storage over the public endpoint; Entra-only auth (shared keys off), no anonymous access.
  #checkov:skip=CKV_AZURE_59:Public variant only (private_networking=true disables public access and passes): same reason as CKV_AZURE_35.
  #checkov:skip=CKV2_AZURE_33:Public variant only (private_networking=true adds the private endpoints and passes): the public variant has none, to keep idle cost at zero.
  #checkov:skip=CKV2_AZURE_1:Evidence is hash-chained and verifiable offline; encryption at rest uses Microsoft-managed keys. A customer-managed key would make evidence unreadable if the key is lost during the 7-year retention.
  #checkov:skip=CKV_AZURE_33:No queue service is used in the evidence account.
  #checkov:skip=CKV2_AZURE_38:Blob versioning with version-level WORM protects every version for the retention period; soft delete adds nothing to immutable versions.
  name                             = local.evidence_storage_name
  location                         = local.location
  resource_group_name              = data.azurerm_resource_group.rg.name
  account_kind                     = "StorageV2"
  account_tier                     = "Standard"
  account_replication_type         = var.evidence_replication_type
  access_tier                      = "Hot"
  allow_nested_items_to_be_public  = false
  cross_tenant_replication_enabled = false
  shared_access_key_enabled        = false
  default_to_oauth_authentication  = true
  min_tls_version                  = "TLS1_2"
  https_traffic_only_enabled       = true
  public_network_access_enabled    = local.public_network_access
  local_user_enabled               = false
  tags                             = var.tags

  immutability_policy {
    # Azure creates the policy Unlocked only; terraform_data.evidence_retention_lock locks it
    # in the same apply (infra/scripts/lock-evidence-retention.sh, the script the Bicep
    # deployment runs too). The handler refuses to start with WORM on until it is Locked.
    state                         = "Unlocked"
    period_since_creation_in_days = var.evidence_retention_days
    allow_protected_append_writes = false
  }

  blob_properties {
    versioning_enabled = true
  }

  sas_policy {
    expiration_period = "00.01:00:00"
    expiration_action = "Block"
  }

  network_rules {
    default_action = local.network_default_action
    bypass         = ["AzureServices"]
  }

  lifecycle {
    # Evidence outlives any `terraform destroy`.
    prevent_destroy = true
    # The policy is created Unlocked and locked in the same apply by
    # terraform_data.evidence_retention_lock (a policy cannot be created Locked); the provider
    # would otherwise try to unlock it, which Azure refuses.
    ignore_changes = [immutability_policy[0].state]
  }
}

# Part of every apply, not an optional step: lock the default retention right after the account
# exists. Azure creates an account-level policy Unlocked only, and azurerm cannot lock it, so
# this runs the script the Bicep deployment runs too (az CLI, already signed in for azurerm).
# Idempotent: an already Locked policy is left as it is; a changed period re-runs it.
resource "terraform_data" "evidence_retention_lock" {
  triggers_replace = [azurerm_storage_account.evidence_storage.id, var.evidence_retention_days]

  provisioner "local-exec" {
    command = "${path.module}/../scripts/lock-evidence-retention.sh --yes ${data.azurerm_resource_group.rg.name} ${azurerm_storage_account.evidence_storage.name}"
  }
}

# Nobody deletes the evidence account by accident (a locked retention policy would refuse too,
# but only once it is locked).
resource "azurerm_management_lock" "evidence_lock" {
  name       = "offboard-evidence-cannot-delete"
  scope      = azurerm_storage_account.evidence_storage.id
  lock_level = "CanNotDelete"
  notes      = "offboard evidence: WORM audit records, retained for the configured period."
}

resource "azurerm_storage_container" "evidence_container" {
  #checkov:skip=CKV2_AZURE_21:Blob read requests on evidence are logged by the diagnostic setting diag_evidence_blob (category group allLogs includes StorageRead), which checkov does not relate to the container.
  name                  = local.evidence_container_name
  storage_account_id    = azurerm_storage_account.evidence_storage.id
  container_access_type = "private"
}

# ---------------------------------------------------------------------------------------------
# Cosmos DB for NoSQL
# ---------------------------------------------------------------------------------------------

resource "azurerm_cosmosdb_account" "cosmos" {
  #checkov:skip=CKV_AZURE_99:Public variant only (private_networking=true disables public access and passes): public endpoint needed by Flex Consumption without VNet integration; key auth is disabled so every request needs an Entra token with a data-plane role.
  #checkov:skip=CKV_AZURE_101:Public variant only (private_networking=true disables public access and passes): same reason as CKV_AZURE_99.
  #checkov:skip=CKV_AZURE_100:Microsoft-managed keys; the index holds case metadata and hashes, the evidence itself is in WORM blob storage.
  name                               = local.cosmos_name
  location                           = local.location
  resource_group_name                = data.azurerm_resource_group.rg.name
  offer_type                         = "Standard"
  kind                               = "GlobalDocumentDB"
  local_authentication_disabled      = true
  access_key_metadata_writes_enabled = false
  minimal_tls_version                = "Tls12"
  public_network_access_enabled      = local.public_network_access
  tags                               = var.tags

  dynamic "capabilities" {
    for_each = var.cosmos_serverless ? ["EnableServerless"] : []
    content {
      name = capabilities.value
    }
  }

  consistency_policy {
    consistency_level = "Session"
  }

  geo_location {
    location          = local.location
    failover_priority = 0
    zone_redundant    = false
  }

  backup {
    type = "Continuous"
    tier = "Continuous7Days"
  }
}

resource "azurerm_cosmosdb_sql_database" "cosmos_database" {
  name                = local.cosmos_database_name
  resource_group_name = data.azurerm_resource_group.rg.name
  account_name        = azurerm_cosmosdb_account.cosmos.name
}

resource "azurerm_cosmosdb_sql_container" "cosmos_containers" {
  for_each              = { for c in local.cosmos_containers : c.name => c }
  name                  = each.value.name
  resource_group_name   = data.azurerm_resource_group.rg.name
  account_name          = azurerm_cosmosdb_account.cosmos.name
  database_name         = azurerm_cosmosdb_sql_database.cosmos_database.name
  partition_key_paths   = [each.value.partition_key]
  partition_key_kind    = "Hash"
  partition_key_version = 2
}

# ---------------------------------------------------------------------------------------------
# Azure Relay: the handler sends to the on-premises agent through one hybrid connection
# ---------------------------------------------------------------------------------------------

resource "azurerm_relay_namespace" "relay" {
  name                = local.relay_name
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  sku_name            = "Standard"
  tags                = var.tags
}

resource "azurerm_relay_hybrid_connection" "hybrid_connection" {
  name                 = var.hybrid_connection_name
  resource_group_name  = data.azurerm_resource_group.rg.name
  relay_namespace_name = azurerm_relay_namespace.relay.name
  # Senders need a token: the handler's Entra token (Azure Relay Sender role below).
  requires_client_authorization = true
}

# The agent on-premises has no managed identity: it listens with this Listen-only SAS rule
# (no Send, no Manage). Its key is read once by infra/scripts/agent-listen-key.sh and is never
# a Terraform output.
resource "azurerm_relay_hybrid_connection_authorization_rule" "agent_listen" {
  name                   = "agent-listen"
  resource_group_name    = data.azurerm_resource_group.rg.name
  namespace_name         = azurerm_relay_namespace.relay.name
  hybrid_connection_name = azurerm_relay_hybrid_connection.hybrid_connection.name
  listen                 = true
  send                   = false
  manage                 = false
}

# ---------------------------------------------------------------------------------------------
# Key Vault: the webhook secrets, the SCIM token and the agent signing key
# ---------------------------------------------------------------------------------------------

resource "azurerm_key_vault" "vault" {
  #checkov:skip=CKV_AZURE_109:Public variant only (private_networking=true denies by default and passes): Key Vault references of a Flex Consumption app without VNet integration resolve over the public endpoint; access is Entra RBAC only.
  #checkov:skip=CKV_AZURE_189:Public variant only (private_networking=true disables public access and passes): same reason as CKV_AZURE_109.
  #checkov:skip=CKV2_AZURE_32:Public variant only (private_networking=true adds the private endpoints and passes): the public variant has none, to keep idle cost at zero.
  name                            = local.key_vault_name
  location                        = local.location
  resource_group_name             = data.azurerm_resource_group.rg.name
  tenant_id                       = data.azurerm_client_config.current.tenant_id
  sku_name                        = "standard"
  rbac_authorization_enabled      = true
  purge_protection_enabled        = true
  soft_delete_retention_days      = 90
  enabled_for_deployment          = false
  enabled_for_disk_encryption     = false
  enabled_for_template_deployment = false
  public_network_access_enabled   = local.public_network_access
  tags                            = var.tags

  network_acls {
    default_action = local.network_default_action
    bypass         = "AzureServices"
  }
}

# ---------------------------------------------------------------------------------------------
# Function app: Flex Consumption, custom handler
# ---------------------------------------------------------------------------------------------

resource "azurerm_service_plan" "plan" {
  #checkov:skip=CKV_AZURE_225:Flex Consumption zone redundancy is offered only in some regions and bills always-ready instances; offboard's work is queue-driven and retried, so a zonal outage delays steps instead of losing them.
  #checkov:skip=CKV_AZURE_212:Flex Consumption scales from zero by design (no idle cost); always-ready instances are an opt-in cost.
  name                = "plan-${var.base_name}-${var.suffix}"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  os_type             = "Linux"
  sku_name            = "FC1"
  tags                = var.tags
}

resource "azurerm_function_app_flex_consumption" "function_app" {
  name                = local.function_app_name
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  service_plan_id     = azurerm_service_plan.plan.id

  # Deployment package: a blob container read with the user-assigned identity.
  storage_container_type            = "blobContainer"
  storage_container_endpoint        = "${azurerm_storage_account.host_storage.primary_blob_endpoint}${azurerm_storage_container.deployment_container.name}"
  storage_authentication_type       = "UserAssignedIdentity"
  storage_user_assigned_identity_id = azurerm_user_assigned_identity.identity.id

  # The custom-handler stack of Flex Consumption.
  runtime_name           = "custom"
  runtime_version        = "1.0"
  maximum_instance_count = var.maximum_instance_count
  instance_memory_in_mb  = var.instance_memory_mb

  # Network-hardened variant: every outbound call leaves through the app subnet (network.tf).
  virtual_network_subnet_id = one(azurerm_subnet.app_subnet[*].id)

  https_only                                     = true
  public_network_access_enabled                  = local.public_network_access
  client_certificate_enabled                     = false
  webdeploy_publish_basic_authentication_enabled = false
  # Key Vault references resolve with the user-assigned identity.
  key_vault_reference_identity_id = azurerm_user_assigned_identity.identity.id

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.identity.id]
  }

  site_config {
    minimum_tls_version                    = "1.2"
    http2_enabled                          = true
    application_insights_connection_string = azurerm_application_insights.app_insights.connection_string
  }

  app_settings = local.app_settings
  tags         = var.tags

  depends_on = [
    # The host needs its storage roles before it starts.
    azurerm_role_assignment.host_blob_owner,
    azurerm_role_assignment.host_queue_contributor,
    # Network-hardened variant: and its storage, its Key Vault references and the internet
    # reachable through the network (nothing to wait for otherwise: these have count 0).
    azurerm_private_endpoint.host_blob_endpoint,
    azurerm_private_endpoint.host_queue_endpoint,
    azurerm_private_endpoint.vault_endpoint,
    azurerm_subnet_nat_gateway_association.app_subnet_nat,
  ]
}

# ---------------------------------------------------------------------------------------------
# Role assignments: exactly what the code and the Functions host do
# ---------------------------------------------------------------------------------------------

# Queues: the queue triggers (host) receive/delete, the code sends and creates queues.
resource "azurerm_role_assignment" "host_queue_contributor" {
  scope                = azurerm_storage_account.host_storage.id
  role_definition_name = "Storage Queue Data Contributor"
  principal_id         = azurerm_user_assigned_identity.identity.principal_id
  principal_type       = "ServicePrincipal"
  description          = "offboard: queue triggers and the code sending step messages"
}

# Host blobs: the Functions host keeps keys, leases and timer locks in blob storage and
# Microsoft documents Storage Blob Data Owner for identity-based AzureWebJobsStorage; the Flex
# deployment container is read with the same identity. Scoped to the host account, which holds
# no evidence.
resource "azurerm_role_assignment" "host_blob_owner" {
  scope                = azurerm_storage_account.host_storage.id
  role_definition_name = "Storage Blob Data Owner"
  principal_id         = azurerm_user_assigned_identity.identity.principal_id
  principal_type       = "ServicePrincipal"
  description          = "offboard: Functions host storage and the deployment package"
}

resource "azurerm_role_definition" "evidence_writer_role" {
  name        = "offboard evidence writer (${var.suffix})"
  scope       = data.azurerm_resource_group.rg.id
  description = "Add new offboard evidence blobs and read them. No overwrite, no delete, no change to holds or retention."

  permissions {
    actions          = local.evidence_writer_actions
    not_actions      = []
    data_actions     = local.evidence_writer_data_actions
    not_data_actions = []
  }

  assignable_scopes = [data.azurerm_resource_group.rg.id]
}

resource "azurerm_role_assignment" "evidence_writer" {
  scope              = "${azurerm_storage_account.evidence_storage.id}/blobServices/default/containers/${azurerm_storage_container.evidence_container.name}"
  role_definition_id = azurerm_role_definition.evidence_writer_role.role_definition_resource_id
  principal_id       = azurerm_user_assigned_identity.identity.principal_id
  principal_type     = "ServicePrincipal"
  description        = "offboard: add evidence blobs and read them (no overwrite, no delete)"
}

resource "azurerm_role_definition" "evidence_protection_reader_role" {
  name        = "offboard evidence protection reader (${var.suffix})"
  scope       = data.azurerm_resource_group.rg.id
  description = "Read the offboard evidence account properties (its immutability policy). No keys, no data."

  permissions {
    actions          = local.evidence_protection_reader_actions
    not_actions      = []
    data_actions     = []
    not_data_actions = []
  }

  assignable_scopes = [data.azurerm_resource_group.rg.id]
}

resource "azurerm_role_assignment" "evidence_protection_reader" {
  scope              = azurerm_storage_account.evidence_storage.id
  role_definition_id = azurerm_role_definition.evidence_protection_reader_role.role_definition_resource_id
  principal_id       = azurerm_user_assigned_identity.identity.principal_id
  principal_type     = "ServicePrincipal"
  description        = "offboard: read the evidence account immutability policy (locked, period)"
}

resource "azurerm_cosmosdb_sql_role_assignment" "cosmos_data_contributor" {
  resource_group_name = data.azurerm_resource_group.rg.name
  account_name        = azurerm_cosmosdb_account.cosmos.name
  role_definition_id  = "${azurerm_cosmosdb_account.cosmos.id}/sqlRoleDefinitions/${local.cosmos_data_contributor_role_id}"
  principal_id        = azurerm_user_assigned_identity.identity.principal_id
  # Account scope: the account holds only offboard's database, and the SDK reads account
  # metadata (readMetadata) before it touches a container.
  scope = azurerm_cosmosdb_account.cosmos.id
}

resource "azurerm_role_assignment" "vault_secrets_user" {
  scope                = azurerm_key_vault.vault.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.identity.principal_id
  principal_type       = "ServicePrincipal"
  description          = "offboard: resolve Key Vault references (read secret values only)"
}

resource "azurerm_role_assignment" "relay_sender" {
  scope                = azurerm_relay_hybrid_connection.hybrid_connection.id
  role_definition_name = "Azure Relay Sender"
  principal_id         = azurerm_user_assigned_identity.identity.principal_id
  principal_type       = "ServicePrincipal"
  description          = "offboard: send requests to the on-premises agent over this hybrid connection only"
}

resource "azurerm_role_assignment" "telemetry_publisher" {
  scope                = azurerm_application_insights.app_insights.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.identity.principal_id
  principal_type       = "ServicePrincipal"
  description          = "offboard: send telemetry to Application Insights with Entra auth (local auth is off)"
}

# ---------------------------------------------------------------------------------------------
# Diagnostic settings: everything into the one workspace
# ---------------------------------------------------------------------------------------------

resource "azurerm_monitor_diagnostic_setting" "diag_function_app" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_function_app_flex_consumption.function_app.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id
  enabled_log {
    category_group = "allLogs"
  }
}

resource "azurerm_monitor_diagnostic_setting" "diag_host_blob" {
  name                       = "to-log-analytics"
  target_resource_id         = "${azurerm_storage_account.host_storage.id}/blobServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id
  # Writes and deletes only: the host's lease renewals and the scale controller's polling would
  # make read logs the main cost at idle.
  enabled_log {
    category_group = "audit"
  }
}

resource "azurerm_monitor_diagnostic_setting" "diag_host_queue" {
  name                       = "to-log-analytics"
  target_resource_id         = "${azurerm_storage_account.host_storage.id}/queueServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id
  enabled_log {
    category_group = "audit"
  }
}

resource "azurerm_monitor_diagnostic_setting" "diag_evidence_blob" {
  name                       = "to-log-analytics"
  target_resource_id         = "${azurerm_storage_account.evidence_storage.id}/blobServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id
  # Every read, write and delete attempt on evidence is logged.
  enabled_log {
    category_group = "allLogs"
  }
}

resource "azurerm_monitor_diagnostic_setting" "diag_cosmos" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_cosmosdb_account.cosmos.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id
  enabled_log {
    category_group = "allLogs"
  }
}

resource "azurerm_monitor_diagnostic_setting" "diag_relay" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_relay_namespace.relay.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id
  enabled_log {
    category_group = "allLogs"
  }
}

resource "azurerm_monitor_diagnostic_setting" "diag_vault" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_key_vault.vault.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id
  enabled_log {
    category_group = "audit"
  }
}
