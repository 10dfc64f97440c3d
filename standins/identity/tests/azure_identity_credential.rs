//! `azure_identity::ManagedIdentityCredential` (the production code path) against the stand-in.
//!
//! This binary holds one test only because it sets process-wide environment variables
//! (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`) that the credential reads; keep other tests out of
//! this file so nothing races them.

use std::time::Duration;

use azure_core::credentials::TokenCredential as _;
use azure_identity::{ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId};
use standin_identity::{
    GRAPH_RESOURCE, IdentityConfig, IdentityEndpoint, ManagedIdentity, ResourceGrant,
};

#[tokio::test]
async fn managed_identity_credential_gets_caches_and_refreshes_tokens() {
    let mut config = IdentityConfig::default();
    if let Some(system) = config.system_assigned.as_mut() {
        system.grants = vec![ResourceGrant {
            resource: GRAPH_RESOURCE.into(),
            roles: vec!["User.Read.All".into()],
        }];
    }
    config.user_assigned.push(ManagedIdentity {
        client_id: "0a0b0c0d-1111-2222-3333-444444444444".into(),
        object_id: "9f9e9d9c-5555-6666-7777-888888888888".into(),
        resource_id: None,
        display_name: "uami".into(),
        grants: vec![],
    });
    let handle = IdentityEndpoint::spawn(config).await.unwrap();
    // SAFETY: this test binary has a single test, so no other thread reads the environment.
    unsafe {
        std::env::set_var("IDENTITY_ENDPOINT", handle.endpoint_url());
        std::env::set_var("IDENTITY_HEADER", handle.header_secret());
    }

    let credential = ManagedIdentityCredential::new(None).unwrap();
    let scope = "https://graph.microsoft.com/.default";
    let first = credential.get_token(&[scope], None).await.unwrap();
    let validated = handle
        .validator()
        .verify(first.token.secret(), GRAPH_RESOURCE)
        .unwrap();
    assert_eq!(validated.app_id, standin_identity::DEMO_CLIENT_ID);
    assert_eq!(validated.roles, vec!["User.Read.All".to_owned()]);
    assert_eq!(first.expires_on.unix_timestamp(), validated.expires_at);

    // A day-long token is served from the credential's cache.
    let second = credential.get_token(&[scope], None).await.unwrap();
    assert_eq!(second.token.secret(), first.token.secret());
    assert_eq!(handle.tokens_issued(), 1);

    // Tokens inside azure_identity's 5-minute refresh window are fetched again each time.
    handle.issuer().set_token_lifetime(Duration::from_secs(120));
    let short = ManagedIdentityCredential::new(None).unwrap();
    let a = short.get_token(&[scope], None).await.unwrap();
    let b = short.get_token(&[scope], None).await.unwrap();
    assert_eq!(handle.tokens_issued(), 3);
    assert!(
        handle
            .validator()
            .verify(b.token.secret(), GRAPH_RESOURCE)
            .is_ok()
    );
    assert!(a.expires_on.unix_timestamp() - time_now() <= 120);

    // A user-assigned identity by client id.
    let uami = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
        user_assigned_id: Some(UserAssignedId::ClientId(
            "0a0b0c0d-1111-2222-3333-444444444444".into(),
        )),
        ..Default::default()
    }))
    .unwrap();
    let token = uami
        .get_token(&["https://storage.azure.com/.default"], None)
        .await
        .unwrap();
    let v = handle
        .validator()
        .verify(token.token.secret(), "https://storage.azure.com/")
        .unwrap();
    assert_eq!(v.app_id, "0a0b0c0d-1111-2222-3333-444444444444");
    assert!(v.roles.is_empty());

    // An identity not assigned to the app fails with the credential's "not assigned" error.
    let missing = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
        user_assigned_id: Some(UserAssignedId::ClientId(
            "ffffffff-0000-0000-0000-000000000000".into(),
        )),
        ..Default::default()
    }))
    .unwrap();
    let err = missing.get_token(&[scope], None).await.unwrap_err();
    assert!(err.to_string().contains("has not been assigned"), "{err}");

    // A wrong IDENTITY_HEADER is refused.
    // SAFETY: as above, single test in this binary.
    unsafe { std::env::set_var("IDENTITY_HEADER", "wrong") };
    let wrong = ManagedIdentityCredential::new(None).unwrap();
    let err = wrong.get_token(&[scope], None).await.unwrap_err();
    assert!(!err.to_string().contains(handle.header_secret()));
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
