//! Exchange Online cmdlets on the managed-identity credential.

use offboard_graph::{
    AutoReplyConfig, AutoReplyState, ExchangeClient, ExchangeClientOptions, NotApplicableReason,
};

use crate::helpers::{ScriptedCredential, env, ids, mint};

#[tokio::test]
async fn converts_to_shared_hides_and_delegates() {
    let e = env().await;
    let mbx = e.exchange.get_mailbox("AdeleV@contoso.com").await.unwrap();
    assert_eq!(mbx.status, 200);
    assert_eq!(
        mbx.value.recipient_type_details.as_deref(),
        Some("UserMailbox")
    );
    assert_eq!(
        mbx.value.external_directory_object_id.as_deref(),
        Some(ids::ADELE)
    );

    e.exchange
        .convert_to_shared("AdeleV@contoso.com")
        .await
        .unwrap();
    e.exchange
        .set_hidden_from_address_lists("AdeleV@contoso.com", true)
        .await
        .unwrap();
    e.exchange
        .grant_full_access("AdeleV@contoso.com", "MeganB@contoso.com", true)
        .await
        .unwrap();
    let back = e
        .exchange
        .get_mailbox("AdeleV@contoso.com")
        .await
        .unwrap()
        .value;
    assert!(back.is_shared());
    assert_eq!(back.hidden_from_address_lists_enabled, Some(true));
    let perms = e
        .exchange
        .mailbox_permissions("AdeleV@contoso.com")
        .await
        .unwrap()
        .value;
    assert!(
        perms
            .iter()
            .any(|p| p.user.as_deref() == Some("MeganB@contoso.com")
                && p.access_rights.contains(&"FullAccess".to_owned()))
    );
    // Graph sees the conversion too.
    let settings = e.graph.mailbox_settings(ids::ADELE).await.unwrap().value;
    assert_eq!(settings.user_purpose.as_deref(), Some("shared"));
    let log = e.sim.requests();
    assert_eq!(log.iter().filter(|l| l.service == "exchange").count(), 6);
    assert!(
        log.iter()
            .any(|l| l.cmdlet.as_deref() == Some("Add-MailboxPermission"))
    );
}

#[tokio::test]
async fn auto_replies_through_exchange_are_visible_in_graph() {
    let e = env().await;
    let cfg = AutoReplyConfig {
        state: AutoReplyState::Enabled,
        internal_message: "Adele has left.".into(),
        external_message: "Adele has left Contoso.".into(),
        external_audience: "All".into(),
    };
    e.exchange
        .set_auto_reply("AdeleV@contoso.com", &cfg)
        .await
        .unwrap();
    let back = e
        .exchange
        .auto_reply("AdeleV@contoso.com")
        .await
        .unwrap()
        .value;
    assert_eq!(back.auto_reply_state.as_deref(), Some("Enabled"));
    let g = e
        .graph
        .mailbox_settings(ids::ADELE)
        .await
        .unwrap()
        .value
        .automatic_replies_setting
        .unwrap();
    assert_eq!(g.status, offboard_graph::AutoReplyStatus::AlwaysEnabled);
    assert_eq!(g.internal_reply_message, "Adele has left.");
}

#[tokio::test]
async fn synced_users_cannot_be_hidden_from_the_gal_in_exchange() {
    let e = env().await;
    let err = e
        .exchange
        .set_hidden_from_address_lists("DiegoS@contoso.com", true)
        .await
        .unwrap_err();
    assert_eq!(
        err.not_applicable(),
        Some(NotApplicableReason::SyncedFromOnPremises)
    );
    assert!(err.request_id().is_some());
    // Converting a synced user's mailbox to shared is an Exchange operation and works.
    e.exchange
        .convert_to_shared("DiegoS@contoso.com")
        .await
        .unwrap();
    let err = e
        .exchange
        .get_mailbox("nobody@contoso.com")
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert!(err.info().message.contains("couldn't be found"));
}

#[tokio::test]
async fn exchange_requires_manage_as_app_and_a_directory_role() {
    let e = env().await;
    // A token for Exchange without the Exchange.ManageAsApp role.
    let cred = ScriptedCredential::new(vec![mint(
        &e.sim,
        "https://outlook.office365.com",
        Some(vec![]),
    )]);
    let x = ExchangeClient::new(
        e.sim.exchange_base(),
        e.sim.tenant_id(),
        cred,
        ExchangeClientOptions::default(),
    )
    .unwrap();
    assert_eq!(
        x.get_mailbox("AdeleV@contoso.com")
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    // With the app role but without an Exchange-capable directory role.
    e.sim.with_state(|t| {
        t.role_assignments
            .retain(|a| a.id != "mi-exo-recipient-admin-0001")
    });
    assert_eq!(
        e.exchange
            .get_mailbox("AdeleV@contoso.com")
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    // A Graph token is not an Exchange token.
    let cred = ScriptedCredential::new(vec![mint(&e.sim, "https://graph.microsoft.com", None)]);
    let x = ExchangeClient::new(
        e.sim.exchange_base(),
        e.sim.tenant_id(),
        cred,
        ExchangeClientOptions::default(),
    )
    .unwrap();
    assert_eq!(
        x.get_mailbox("AdeleV@contoso.com")
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
}
