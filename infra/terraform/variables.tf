# Parameters, with the same defaults as infra/bicep/main.bicep. Nothing secret is a variable.

variable "resource_group_name" {
  description = "Existing resource group to deploy into (the Bicep template deploys at resource-group scope too)."
  type        = string
}

variable "location" {
  description = "Azure region for every resource. Must offer the Flex Consumption plan. Empty: the resource group's region."
  type        = string
  default     = ""
}

variable "base_name" {
  description = "Short name used in resource names (lowercase letters and digits)."
  type        = string
  default     = "offboard"
  validation {
    condition     = can(regex("^[a-z0-9]{3,12}$", var.base_name))
    error_message = "base_name: 3-12 lowercase letters or digits."
  }
}

variable "suffix" {
  description = "Suffix that makes global names (storage, Key Vault, Cosmos, Relay, app) unique; 5-13 lowercase letters or digits."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]{5,13}$", var.suffix))
    error_message = "suffix: 5-13 lowercase letters or digits."
  }
}

variable "time_zone" {
  description = "IANA time zone offboard assumes when HR sends a local effective time without one."
  type        = string
  default     = "UTC"
}

variable "effective_cutoff" {
  description = "Local time at which a date-only termination takes effect: end-of-day or HH:MM."
  type        = string
  default     = "end-of-day"
}

variable "policy_file" {
  description = "Path of the offboarding policy file in the deployed package (empty: the built-in config/policy.toml)."
  type        = string
  default     = ""
}

variable "enable_account_deletion" {
  description = "Grant User.ReadWrite.All, which delete-account needs to delete leavers' cloud accounts (off by default: it can change any user). Turn it on only together with `[delete_account] enabled = true` in the policy file (policy_file): the policy is what makes the step run; this only grants the permission."
  type        = bool
  default     = false
}

variable "connectors_file" {
  description = "Path of the connector file in the deployed package: the systems outside Microsoft (SCIM) the leaver is deprovisioned in (empty: none). Its tokens are app settings of their own, OFFBOARD_CONNECTOR_<SYSTEM>_<WHAT>, as Key Vault references."
  type        = string
  default     = ""
}

variable "evidence_retention_days" {
  description = "Default (and minimum) retention of evidence blobs, in days. 2555 days = 7 years."
  type        = number
  default     = 2555
  validation {
    condition     = var.evidence_retention_days >= 1 && var.evidence_retention_days <= 146000
    error_message = "evidence_retention_days: 1-146000."
  }
}

variable "evidence_replication_type" {
  description = "Replication of the (Standard tier) evidence account. Geo-redundant by default: evidence must outlive a region."
  type        = string
  default     = "GRS"
  validation {
    condition     = contains(["GRS", "RAGRS", "GZRS", "RAGZRS"], var.evidence_replication_type)
    error_message = "evidence_replication_type: GRS, RAGRS, GZRS or RAGZRS."
  }
}

variable "cosmos_serverless" {
  description = "Cosmos DB capacity mode: serverless costs nothing at idle."
  type        = bool
  default     = true
}

variable "maximum_instance_count" {
  description = "Upper bound of Flex Consumption instances (cost ceiling)."
  type        = number
  default     = 40
  validation {
    condition     = var.maximum_instance_count >= 40 && var.maximum_instance_count <= 1000
    error_message = "maximum_instance_count: 40-1000."
  }
}

variable "instance_memory_mb" {
  description = "Memory of one Flex Consumption instance, in MB."
  type        = number
  default     = 2048
  validation {
    condition     = contains([2048, 4096], var.instance_memory_mb)
    error_message = "instance_memory_mb: 2048 or 4096."
  }
}

variable "log_retention_days" {
  description = "Retention of the Log Analytics workspace, in days."
  type        = number
  default     = 90
  validation {
    condition     = var.log_retention_days >= 30 && var.log_retention_days <= 730
    error_message = "log_retention_days: 30-730."
  }
}

variable "hybrid_connection_name" {
  description = "Name of the hybrid connection the on-premises agent listens on."
  type        = string
  default     = "offboard-agent"
}

variable "relay_sas_key_name" {
  description = "Name of a SAS rule with the Send right the handler uses instead of its managed identity (its key is the Key Vault secret relay-send-key); empty (the default) to send with the managed identity's Entra ID token."
  type        = string
  default     = ""
}

variable "notify_webhook_url" {
  description = "HTTPS endpoint that receives notifications as Standard Webhooks-signed JSON; empty for none. Its signing secret is the Key Vault secret notify-webhook-secret."
  type        = string
  default     = ""
}

variable "notify_mail_from" {
  description = "Mailbox (UPN or object id) that sends notification mail through Graph sendMail; empty for no mail. Set together with notify_mail_to."
  type        = string
  default     = ""
}

variable "notify_mail_to" {
  description = "Recipients of notification mail, separated by commas; empty for no mail. Set together with notify_mail_from."
  type        = string
  default     = ""
}

variable "reconcile_schedule" {
  description = "NCRONTAB schedule of the daily ghost-access scan (the reconcile timer)."
  type        = string
  default     = "0 0 2 * * *"
}

variable "population_sources" {
  description = "HR population sources of the ghost-access scan, comma-separated: bamboohr, report, entra; empty for none (the scan then judges only offboard's own cases)."
  type        = string
  default     = ""
}

variable "population_bamboohr_url" {
  description = "BambooHR API base for the population source, https://api.bamboohr.com/api/gateway.php/{companyDomain}; its API key is the Key Vault secret population-bamboohr-key."
  type        = string
  default     = ""
}

variable "population_report_url" {
  description = "HTTPS URL of the population report (CSV or JSON export); its password or OAuth client secret is the Key Vault secret population-report-secret."
  type        = string
  default     = ""
}

variable "population_report_user" {
  description = "Basic-auth user (or OAuth client id) of the population report."
  type        = string
  default     = ""
}

variable "population_report_token_url" {
  description = "OAuth token endpoint of the population report (client credentials); empty for Basic auth."
  type        = string
  default     = ""
}

variable "private_networking" {
  description = "Network-hardened deployment (what regulated customers require): the function app joins a virtual network (Flex Consumption VNet integration, outbound through a NAT gateway), Storage, Cosmos DB, Key Vault and the app itself get private endpoints and private DNS zones, and public network access is off on all of them. Operators, HR intake and deployments must then come from inside (or through) the network: infra/README.md, \"Network-hardened deployment\"."
  type        = bool
  default     = false
}

variable "vnet_address_prefix" {
  description = "Address space of the virtual network (private_networking only)."
  type        = string
  default     = "10.20.0.0/23"
}

variable "app_subnet_prefix" {
  description = "Subnet the function app is integrated with, inside vnet_address_prefix (private_networking only). Dedicated to the app (Flex Consumption allows no private or service endpoints in it) and the source of its instances' addresses: size it with maximum_instance_count in mind (a /24 is ample for the default 40)."
  type        = string
  default     = "10.20.0.0/24"
}

variable "private_endpoint_subnet_prefix" {
  description = "Subnet of the private endpoints, inside vnet_address_prefix (private_networking only)."
  type        = string
  default     = "10.20.1.0/27"
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default = {
    application = "offboard"
  }
}

variable "sign_in_cut_budget_ms" {
  description = "How long an intake request may spend cutting the leaver's sign-in before answering HR, in milliseconds (the kill switch); past it the queued steps cut sign-in."
  type        = number
  default     = 3000
  validation {
    condition     = var.sign_in_cut_budget_ms >= 100 && var.sign_in_cut_budget_ms <= 15000
    error_message = "sign_in_cut_budget_ms: 100-15000."
  }
}
