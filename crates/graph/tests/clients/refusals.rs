//! Graph's refusals arrive classified: not applicable (with the reason) for what offboarding
//! must route elsewhere, permanent for missing permissions and unknown objects, and 401s for
//! bad tokens.

use offboard_graph::{GraphClient, GraphError, NotApplicableReason as R};

use crate::helpers::{ScriptedCredential, env, graph_options, ids, mint};

#[tokio::test]
async fn synced_user_cannot_be_disabled_in_the_cloud() {
    let e = env().await;
    let err = e
        .graph
        .set_account_enabled(ids::DIEGO, false)
        .await
        .unwrap_err();
    assert_eq!(err.not_applicable(), Some(R::SyncedFromOnPremises));
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), "Request_BadRequest");
    assert!(err.request_id().is_some(), "evidence needs the request id");
    assert!(
        e.sim.state().user(ids::DIEGO).unwrap().account_enabled,
        "nothing changed"
    );
    // The cloud account turns disabled only after AD is disabled and directory sync runs.
    assert!(e.sim.set_on_premises_enabled(ids::DIEGO, false));
    assert_eq!(
        e.graph
            .get_user(ids::DIEGO)
            .await
            .unwrap()
            .value
            .account_enabled,
        Some(true)
    );
    e.sim.run_directory_sync();
    assert_eq!(
        e.graph
            .get_user(ids::DIEGO)
            .await
            .unwrap()
            .value
            .account_enabled,
        Some(false)
    );
    // Sessions of a synced user can be revoked in the cloud at once.
    assert!(
        e.graph
            .revoke_sign_in_sessions(ids::DIEGO)
            .await
            .unwrap()
            .value
    );
    let pw = secrecy::SecretString::from("Str0ng!Passw0rd-x".to_owned());
    assert_eq!(
        e.graph
            .reset_password(ids::DIEGO, &pw, true)
            .await
            .unwrap_err()
            .not_applicable(),
        Some(R::SyncedFromOnPremises)
    );
}

#[tokio::test]
async fn group_based_licences_are_not_removed_with_assign_license() {
    let e = env().await;
    let err = e
        .graph
        .remove_licenses(ids::DIEGO, &[ids::SKU_E3.to_owned()])
        .await
        .unwrap_err();
    assert_eq!(err.not_applicable(), Some(R::GroupBasedLicense));
    assert_eq!(
        e.graph
            .license_details(ids::DIEGO)
            .await
            .unwrap()
            .value
            .len(),
        1
    );
    // Johanna holds E3 both directly and through the group: the direct one goes, the licence stays.
    e.graph
        .remove_licenses(ids::JOHANNA, &[ids::SKU_E3.to_owned()])
        .await
        .unwrap();
    let u = e.graph.get_user(ids::JOHANNA).await.unwrap().value;
    assert!(u.license_assignment_states.iter().all(|s| !s.is_direct()));
    assert_eq!(u.assigned_licenses.len(), 1);
    // Removing the group membership removes the group-based licence.
    e.graph
        .remove_group_member(ids::GROUP_LICENSING_E3, ids::JOHANNA)
        .await
        .unwrap();
    assert!(
        e.graph
            .license_details(ids::JOHANNA)
            .await
            .unwrap()
            .value
            .is_empty()
    );
}

#[tokio::test]
async fn groups_graph_cannot_change_are_refused_with_the_reason() {
    let e = env().await;
    for (group, member, reason) in [
        (ids::GROUP_DYNAMIC_RETAIL, ids::ADELE, R::DynamicGroup),
        (ids::GROUP_MAIL_SECURITY, ids::ADELE, R::MailEnabledGroup),
        (ids::GROUP_DISTRIBUTION, ids::ADELE, R::MailEnabledGroup),
        (ids::GROUP_SYNCED, ids::DIEGO, R::SyncedFromOnPremises),
    ] {
        let err = e
            .graph
            .remove_group_member(group, member)
            .await
            .unwrap_err();
        assert_eq!(err.not_applicable(), Some(reason), "{group}: {err}");
        let g = e.sim.state().group(group).unwrap().clone();
        assert!(
            g.members.iter().any(|m| m == member),
            "membership unchanged"
        );
    }
}

#[tokio::test]
async fn no_mailbox_and_no_onedrive_are_not_applicable() {
    let e = env().await;
    assert_eq!(
        e.graph
            .mailbox_settings(ids::LYNNE)
            .await
            .unwrap_err()
            .not_applicable(),
        Some(R::NoMailbox)
    );
    assert_eq!(
        e.graph
            .user_drive(ids::LYNNE)
            .await
            .unwrap_err()
            .not_applicable(),
        Some(R::NoOneDrive)
    );
}

#[tokio::test]
async fn unknown_objects_are_permanent_not_found() {
    let e = env().await;
    let err = e
        .graph
        .get_user("00000000-0000-0000-0000-00000000dead")
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.code(), "Request_ResourceNotFound");
    assert!(matches!(err, GraphError::Permanent(_)));
    assert!(
        e.graph
            .retire_device("nope")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn calls_outside_the_tokens_roles_are_denied() {
    let e = env().await;
    // A token with no Graph roles at all.
    let cred = ScriptedCredential::new(vec![mint(
        &e.sim,
        "https://graph.microsoft.com",
        Some(vec![]),
    )]);
    let g = GraphClient::new(e.sim.graph_base(), cred, graph_options()).unwrap();
    let err = g.get_user(ids::ADELE).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), "Authorization_RequestDenied");
    assert!(matches!(err, GraphError::Permanent(_)));
    // Only the read permission: writes are denied and nothing changes.
    let cred = ScriptedCredential::new(vec![mint(
        &e.sim,
        "https://graph.microsoft.com",
        Some(vec!["User.Read.All".into()]),
    )]);
    let g = GraphClient::new(e.sim.graph_base(), cred, graph_options()).unwrap();
    assert!(g.get_user(ids::ADELE).await.is_ok());
    assert_eq!(
        g.set_account_enabled(ids::ADELE, false)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert!(e.sim.state().user(ids::ADELE).unwrap().account_enabled);
}

#[tokio::test]
async fn privileged_targets_need_a_stronger_directory_role() {
    let e = env().await;
    // Isaiah is an Exchange Administrator; the identity holds User Administrator only.
    let err = e
        .graph
        .set_account_enabled(ids::ISAIAH, false)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let pw = secrecy::SecretString::from("Str0ng!Passw0rd-x".to_owned());
    assert_eq!(
        e.graph
            .reset_password(ids::ISAIAH, &pw, true)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    // Without the User Administrator role even ordinary password resets are refused.
    e.sim
        .with_state(|t| t.role_assignments.retain(|a| a.id != "mi-user-admin-0001"));
    assert_eq!(
        e.graph
            .reset_password(ids::ADELE, &pw, true)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
}

#[tokio::test]
async fn wrong_audience_is_refused_after_one_fresh_token() {
    let e = env().await;
    let cred = ScriptedCredential::new(vec![mint(&e.sim, "https://outlook.office365.com", None)]);
    let g = GraphClient::new(e.sim.graph_base(), cred.clone(), graph_options()).unwrap();
    let err = g.get_user(ids::ADELE).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), "InvalidAuthenticationToken");
    assert!(err.info().message.contains("audience"));
    assert_eq!(cred.calls(), 2, "one refresh, then give up");
}

#[tokio::test]
async fn an_expired_token_is_replaced_and_the_call_retried() {
    let e = env().await;
    let stale = mint(&e.sim, "https://graph.microsoft.com", None);
    e.sim.expire_tokens();
    let fresh = mint(&e.sim, "https://graph.microsoft.com", None);
    let cred = ScriptedCredential::new(vec![stale.clone(), fresh]);
    let g = GraphClient::new(e.sim.graph_base(), cred.clone(), graph_options()).unwrap();
    let u = g.set_account_enabled(ids::ADELE, false).await.unwrap();
    assert_eq!(u.status, 204);
    assert_eq!(cred.calls(), 2);
    let log = e.sim.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![401, 204]
    );
    // Neither the error path nor the log carries the token.
    assert!(!serde_json::to_string(&log).unwrap().contains(&stale));
}
