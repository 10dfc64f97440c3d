//! The production credential path: `azure_identity::ManagedIdentityCredential` (App Service
//! protocol via IDENTITY_ENDPOINT / IDENTITY_HEADER) feeding both clients against the tenant
//! simulator. One test in this binary: it sets process-wide environment variables.

use std::time::Duration;

use azure_identity::ManagedIdentityCredential;
use offboard_graph::{ExchangeClient, ExchangeClientOptions, GraphClient, GraphClientOptions};
use standin_tenant::demo::ids;
use standin_tenant::{SimConfig, TenantSim};

#[tokio::test]
async fn managed_identity_tokens_drive_graph_and_exchange() {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    // SAFETY: the only test in this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("IDENTITY_ENDPOINT", sim.identity_endpoint());
        std::env::set_var("IDENTITY_HEADER", sim.identity_header());
    }
    let credential = ManagedIdentityCredential::new(None).unwrap();
    let graph = GraphClient::new(
        sim.graph_base(),
        credential.clone(),
        GraphClientOptions::default(),
    )
    .unwrap();
    let exchange = ExchangeClient::new(
        sim.exchange_base(),
        sim.tenant_id(),
        credential.clone(),
        ExchangeClientOptions::default(),
    )
    .unwrap();

    for _ in 0..3 {
        assert_eq!(
            graph.get_user(ids::ADELE).await.unwrap().value.id,
            ids::ADELE
        );
    }
    graph.set_account_enabled(ids::ADELE, false).await.unwrap();
    let mbx = exchange
        .get_mailbox("AdeleV@contoso.com")
        .await
        .unwrap()
        .value;
    assert_eq!(mbx.recipient_type_details.as_deref(), Some("UserMailbox"));
    // Day-long tokens: one per resource, cached by the credential.
    let issuer = sim.issuer();
    assert_eq!(issuer.tokens_issued_for("https://graph.microsoft.com"), 1);
    assert_eq!(issuer.tokens_issued_for("https://outlook.office365.com"), 1);

    // Tokens near expiry (inside the credential's 5-minute window) are refreshed before use.
    issuer.set_token_lifetime(Duration::from_secs(240));
    let short = ManagedIdentityCredential::new(None).unwrap();
    let graph = GraphClient::new(sim.graph_base(), short, GraphClientOptions::default()).unwrap();
    for _ in 0..3 {
        graph.get_user(ids::ADELE).await.unwrap();
    }
    assert_eq!(issuer.tokens_issued_for("https://graph.microsoft.com"), 4);
    // Every Graph request carried a valid token: none was refused.
    assert!(sim.requests().iter().all(|r| r.status != 401));
}
