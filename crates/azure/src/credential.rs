//! The one way offboard authenticates to Azure: the Functions app's managed identity.
//!
//! On Azure Functions the platform sets `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`;
//! `azure_identity::ManagedIdentityCredential` reads them when it is created and asks that
//! endpoint for tokens. Locally the `standin-identity` crate serves the same protocol, so the
//! tests and `offboard local` run this exact code path: no connection strings, no keys.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_identity::{ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId};

use crate::error::{SetupError, redact};

/// Builds the credential production uses: the app's system-assigned managed identity, or the
/// user-assigned identity whose client id is `user_assigned_client_id` (the
/// `OFFBOARD_MANAGED_IDENTITY_CLIENT_ID` setting). Blank means system-assigned.
///
/// The credential caches tokens and refreshes them before they expire; share one instance
/// between all adapters (it is an `Arc`).
pub fn managed_identity_credential(
    user_assigned_client_id: Option<&str>,
) -> Result<Arc<dyn TokenCredential>, SetupError> {
    let user_assigned_id = user_assigned_client_id
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| UserAssignedId::ClientId(id.to_owned()));
    let options = ManagedIdentityCredentialOptions {
        user_assigned_id,
        ..Default::default()
    };
    let credential =
        ManagedIdentityCredential::new(Some(options)).map_err(|e| SetupError::Credential {
            detail: redact(&e.to_string()),
        })?;
    Ok(credential)
}

/// The credential for a person running `offboard verify` or `offboard report` against a
/// deployment from their own machine: their `az login` (or `azd auth login`) session, through
/// `azure_identity::DeveloperToolsCredential`. The person needs read roles only: Storage Blob
/// Data Reader on the evidence container and Cosmos DB Built-in Data Reader on the database
/// (see the README's permissions section). The handler never uses this credential.
pub fn operator_credential() -> Result<Arc<dyn TokenCredential>, SetupError> {
    let credential = azure_identity::DeveloperToolsCredential::new(None).map_err(|e| {
        SetupError::OperatorCredential {
            detail: redact(&e.to_string()),
        }
    })?;
    Ok(credential)
}
