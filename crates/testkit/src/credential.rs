//! A token credential for the test process's own Azure clients, minted by the tenant
//! simulator's managed-identity issuer (the handler process uses the production
//! `ManagedIdentityCredential` against the simulator's endpoint instead).

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use standin_identity::{IdentitySelector, TokenIssuer};

/// Issues tokens like the system-assigned identity would get them.
#[derive(Clone)]
pub struct SimCredential(pub TokenIssuer);

impl std::fmt::Debug for SimCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimCredential")
    }
}

#[async_trait]
impl TokenCredential for SimCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let scope = scopes.first().copied().unwrap_or_default();
        let resource = scope.trim_end_matches("/.default");
        let t = self
            .0
            .issue(resource, &IdentitySelector::SystemAssigned)
            .map_err(|e| {
                azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    e.to_string(),
                )
            })?;
        let exp: i64 = t.expires_on.parse().unwrap_or(0);
        let expires_on =
            azure_core::time::OffsetDateTime::from_unix_timestamp(exp).map_err(|e| {
                azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    e.to_string(),
                )
            })?;
        Ok(AccessToken::new(Secret::new(t.access_token), expires_on))
    }
}
