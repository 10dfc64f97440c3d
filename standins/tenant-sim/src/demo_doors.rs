//! The demo tenant's doors that stay open after the usual steps (issue 16): delegated
//! permission grants a user consented to.

use crate::model::{OAuth2PermissionGrant, ServicePrincipal, Tenant};

use super::demo::ids::ADELE;

/// Ids of the objects this module adds.
pub mod ids {
    /// Microsoft Graph's service principal in the tenant (the API the grants are for).
    pub const SP_MICROSOFT_GRAPH: &str = "0b2f5a7e-7c4d-4e3a-9a1b-2c3d4e5f6a7b";
    /// A third-party app Adele consented to.
    pub const SP_EXPENSE_BUDDY: &str = "7a1c3e5f-9b2d-4f6a-8c0e-1d3f5a7b9c2e";
    /// Adele's consent to Expense Buddy (read her mail and files, keep access).
    pub const GRANT_ADELE_EXPENSE_BUDDY: &str = "Xl4cehudL0-MDh0_WnucLn5aL5cIx4Gn-XbDvlRPRMbP5E8";
    /// Admin consent for every user (not the leaver's: it stays).
    pub const GRANT_ALL_PRINCIPALS: &str = "Xl4cehudL0-MDh0_WnucLn5aL5cIx4Gn-XbDvlRPRMbAll1";
}

/// Adds the app Adele consented to, her grant and a tenant-wide admin consent.
pub fn add(t: &mut Tenant) {
    t.service_principals.extend([
        ServicePrincipal {
            id: ids::SP_MICROSOFT_GRAPH.to_owned(),
            app_id: "00000003-0000-0000-c000-000000000000".to_owned(),
            display_name: "Microsoft Graph".to_owned(),
        },
        ServicePrincipal {
            id: ids::SP_EXPENSE_BUDDY.to_owned(),
            app_id: "3c8e2b1a-5d7f-4a9c-b2e4-6f8a0c2e4b6d".to_owned(),
            display_name: "Expense Buddy".to_owned(),
        },
    ]);
    t.oauth2_permission_grants.extend([
        OAuth2PermissionGrant {
            id: ids::GRANT_ADELE_EXPENSE_BUDDY.to_owned(),
            client_id: ids::SP_EXPENSE_BUDDY.to_owned(),
            consent_type: "Principal".to_owned(),
            principal_id: Some(ADELE.to_owned()),
            resource_id: ids::SP_MICROSOFT_GRAPH.to_owned(),
            scope: "openid profile offline_access Mail.Read Files.Read.All".to_owned(),
        },
        OAuth2PermissionGrant {
            id: ids::GRANT_ALL_PRINCIPALS.to_owned(),
            client_id: ids::SP_EXPENSE_BUDDY.to_owned(),
            consent_type: "AllPrincipals".to_owned(),
            principal_id: None,
            resource_id: ids::SP_MICROSOFT_GRAPH.to_owned(),
            scope: "User.Read".to_owned(),
        },
    ]);
}
