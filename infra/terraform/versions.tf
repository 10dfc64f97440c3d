# offboard — Terraform deployment of the same system as infra/bicep (see infra/README.md).
#
# Providers: azurerm for Azure resources, azuread for the Microsoft Graph / Exchange app role
# grants and the Entra directory roles of the managed identity.
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # azurerm_function_app_flex_consumption must accept runtime_name = "custom" (the
      # custom-handler stack), added to the provider after 4.55.0; 4.x renamed
      # enable_rbac_authorization to rbac_authorization_enabled.
      version = ">= 4.56.0, < 5.0.0"
    }
    azuread = {
      source  = "hashicorp/azuread"
      version = ">= 3.0.0, < 4.0.0"
    }
  }
}

provider "azurerm" {
  features {
    key_vault {
      # Purge protection is on; never purge on destroy.
      purge_soft_delete_on_destroy = false
    }
    storage {
      # Every storage change goes through Azure Resource Manager (containers and queues are
      # created by storage_account_id), so plan/apply work from outside the network when
      # private_networking closes the storage accounts' public endpoints.
      data_plane_available = false
    }
  }
  # Shared keys are disabled on every storage account: data-plane calls use Entra ID.
  storage_use_azuread = true
}

provider "azuread" {}
