# offboard's app registration: what compliance managers, auditors and GRC tools sign in to, with
# Entra ID, and the app roles that say what each may do (issue 19). The handler checks the tokens
# itself (crates/signin; ARCHITECTURE.md "Sign-in" says why not App Service Authentication), so
# the registration asks for v2.0 access tokens and issues ID tokens to the browser sign-in
# (response_mode=form_post, no client secret).
#
# The role values must equal crates/signin/src/principal.rs (`Role::value`):
# infra/checks/test_signin.py fails on any difference, and on any difference with Bicep.
#
# The deploying principal needs Application.ReadWrite.All (or Application Developer / Cloud
# Application Administrator). People and apps get a role by an app role assignment on the
# service principal; see infra/README.md.

locals {
  signin_app_roles = {
    "Offboard.Auditor" = {
      display_name = "offboard auditor"
      description  = "Read cases, evidence, reports, findings and the ledger; verify evidence."
    }
    "Offboard.Operator" = {
      display_name = "offboard operator"
      description  = "Everything an auditor may, and dry runs, operator offboardings, retries, remediation and approvals."
    }
  }
}

resource "azuread_application" "signin" {
  display_name     = local.function_app_name
  sign_in_audience = "AzureADMyOrg"

  api {
    requested_access_token_version = 2
  }

  dynamic "app_role" {
    for_each = local.signin_app_roles
    content {
      id                   = uuidv5("url", "https://offboard.invalid/app-roles/${var.suffix}/${app_role.key}")
      value                = app_role.key
      display_name         = app_role.value.display_name
      description          = app_role.value.description
      allowed_member_types = ["User", "Application"]
      enabled              = true
    }
  }

  web {
    # The app's default host name (WEBSITE_HOSTNAME), not the function app's attribute: the
    # app's settings name this registration, so it must exist first.
    redirect_uris = ["https://${local.function_app_name}.azurewebsites.net/api/signin/callback"]
    implicit_grant {
      id_token_issuance_enabled     = true
      access_token_issuance_enabled = false
    }
  }

  optional_claims {
    access_token {
      name      = "idtyp"
      essential = false
    }
  }
}

# Only people and apps assigned a role can get a token for offboard at all.
resource "azuread_service_principal" "signin" {
  client_id                    = azuread_application.signin.client_id
  app_role_assignment_required = true
}
