//! Every Graph operation offboarding uses, with a read-back of what changed.

use offboard_graph::{
    AuthMethodKind, AutoReplyStatus, AutomaticReplies, DriveRole, ExternalAudience, GroupKind,
    MailMessage, Membership, UserLookup,
};
use secrecy::SecretString;

use crate::helpers::{env, ids};

#[tokio::test]
async fn finds_the_leaver_by_employee_id_upn_and_mail() {
    let e = env().await;
    for lookup in [
        UserLookup::EmployeeId("E1001".into()),
        UserLookup::Upn("adelev@contoso.com".into()),
        UserLookup::Mail("AdeleV@contoso.com".into()),
    ] {
        let found = e.graph.find_users(&lookup).await.unwrap();
        assert_eq!(found.status, 200);
        assert!(found.request_id.is_some());
        assert_eq!(found.value.len(), 1, "{lookup:?}");
        assert_eq!(found.value[0].id, ids::ADELE);
    }
    assert!(
        e.graph
            .find_users(&UserLookup::EmployeeId("nobody".into()))
            .await
            .unwrap()
            .value
            .is_empty()
    );
    // An apostrophe is escaped, not injected into the filter.
    assert!(
        e.graph
            .find_users(&UserLookup::Mail("o'brien@contoso.com".into()))
            .await
            .unwrap()
            .value
            .is_empty()
    );

    let diego = e.graph.get_user(ids::DIEGO).await.unwrap().value;
    assert!(diego.is_synced());
    assert_eq!(
        diego.on_premises_sam_account_name.as_deref(),
        Some("DiegoS")
    );
    assert_eq!(diego.account_enabled, Some(true));
    let states = &diego.license_assignment_states;
    assert_eq!(states.len(), 1);
    assert_eq!(
        states[0].assigned_by_group.as_deref(),
        Some(ids::GROUP_LICENSING_E3)
    );
}

#[tokio::test]
async fn counts_the_enabled_accounts_for_the_brake() {
    let e = env().await;
    let expected = e
        .sim
        .state()
        .users
        .iter()
        .filter(|u| u.account_enabled)
        .count() as u64;
    let counted = e.graph.count_enabled_users().await.unwrap();
    assert_eq!(counted.value, expected);
    assert!(counted.request_id.is_some());
    e.graph
        .set_account_enabled(ids::ADELE, false)
        .await
        .unwrap();
    assert_eq!(
        e.graph.count_enabled_users().await.unwrap().value,
        expected - 1
    );
    let asked = e
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/users" && r.query.contains("%24count=true"))
        .count();
    assert_eq!(asked, 2, "one request per count, a page of one");
}

#[tokio::test]
async fn blocks_sign_in_and_revokes_sessions() {
    let e = env().await;
    let before = e.graph.get_user(ids::ADELE).await.unwrap().value;
    let r = e
        .graph
        .set_account_enabled(ids::ADELE, false)
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    assert!(r.request_id.is_some());
    let revoked = e.graph.revoke_sign_in_sessions(ids::ADELE).await.unwrap();
    assert!(revoked.value);
    let after = e.graph.get_user(ids::ADELE).await.unwrap().value;
    assert_eq!(after.account_enabled, Some(false));
    assert!(
        after.sign_in_sessions_valid_from_date_time > before.sign_in_sessions_valid_from_date_time
    );
    assert!(!e.sim.state().user(ids::ADELE).unwrap().account_enabled);
    // Every call asked the credential (which caches in production) for its token.
    assert_eq!(e.cred.calls(), 4);
}

#[tokio::test]
async fn resets_the_password_without_logging_it() {
    let e = env().await;
    let password = SecretString::from("N3w-Sup3r-Secret!pass".to_owned());
    let r = e
        .graph
        .reset_password(ids::ADELE, &password, true)
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let u = e.sim.state().user(ids::ADELE).unwrap().clone();
    assert!(u.force_change_password_next_sign_in);
    assert!(
        u.last_password_change_date_time.unwrap()
            > chrono::Utc::now() - chrono::Duration::minutes(1)
    );
    let log = serde_json::to_string(&e.sim.requests()).unwrap();
    assert!(
        !log.contains("N3w-Sup3r-Secret"),
        "the simulator's request log must redact passwords"
    );
    // A weak password is refused by policy, as Entra does.
    let weak = SecretString::from("short".to_owned());
    let err = e
        .graph
        .reset_password(ids::ADELE, &weak, true)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(!format!("{err:?}").contains("short\""));
}

#[tokio::test]
async fn reads_and_removes_direct_licences() {
    let e = env().await;
    let details = e.graph.license_details(ids::ADELE).await.unwrap().value;
    let mut parts: Vec<_> = details.iter().map(|d| d.sku_part_number.clone()).collect();
    parts.sort();
    assert_eq!(parts, vec!["SPE_E3", "VISIOCLIENT"]);
    assert!(details.iter().all(|d| !d.service_plans.is_empty()));
    let skus: Vec<String> = details.iter().map(|d| d.sku_id.clone()).collect();
    let user = e.graph.remove_licenses(ids::ADELE, &skus).await.unwrap();
    assert_eq!(user.status, 200);
    assert_eq!(user.value.id, ids::ADELE);
    assert!(
        e.graph
            .license_details(ids::ADELE)
            .await
            .unwrap()
            .value
            .is_empty()
    );
    // The request carried both arrays, as Graph requires.
    let body = e
        .sim
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/assignLicense"))
        .unwrap()
        .body
        .unwrap();
    assert_eq!(body["addLicenses"], serde_json::json!([]));
}

#[tokio::test]
async fn lists_memberships_with_group_kinds_and_removes_cloud_groups() {
    let e = env().await;
    let groups = e.graph.member_of_groups(ids::ADELE).await.unwrap().value;
    let kind = |id: &str| groups.iter().find(|g| g.id == id).map(|g| g.kind());
    assert_eq!(kind(ids::GROUP_RETAIL_M365), Some(GroupKind::Microsoft365));
    assert_eq!(kind(ids::GROUP_FINANCE_APPS), Some(GroupKind::Security));
    assert_eq!(kind(ids::GROUP_DYNAMIC_RETAIL), Some(GroupKind::Dynamic));
    assert_eq!(
        kind(ids::GROUP_MAIL_SECURITY),
        Some(GroupKind::MailEnabledSecurity)
    );
    assert_eq!(kind(ids::GROUP_DISTRIBUTION), Some(GroupKind::Distribution));
    assert_eq!(kind(ids::GROUP_ROLE_ASSIGNABLE), Some(GroupKind::Security));
    assert_eq!(groups.len(), 6);

    for g in [
        ids::GROUP_RETAIL_M365,
        ids::GROUP_FINANCE_APPS,
        ids::GROUP_ROLE_ASSIGNABLE,
    ] {
        assert_eq!(
            e.graph
                .remove_group_member(g, ids::ADELE)
                .await
                .unwrap()
                .status,
            204
        );
    }
    let left: Vec<String> = e
        .graph
        .member_of_groups(ids::ADELE)
        .await
        .unwrap()
        .value
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(left.len(), 3);
    assert!(!left.contains(&ids::GROUP_RETAIL_M365.to_owned()));
    // Removing again: the membership no longer exists.
    let again = e
        .graph
        .remove_group_member(ids::GROUP_RETAIL_M365, ids::ADELE)
        .await
        .unwrap_err();
    assert!(again.is_not_found());
    // Every removal used /$ref (never the member-deleting form).
    assert!(
        e.sim
            .requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .all(|r| r.path.ends_with("/$ref"))
    );

    // Memberships include directory roles; transitive ones include nested groups.
    let isaiah = e.graph.member_of(ids::ISAIAH).await.unwrap().value;
    assert!(isaiah.iter().any(|m| matches!(m, Membership::DirectoryRole(r) if r.display_name.as_deref() == Some("Exchange Administrator"))));
    let lee = e
        .graph
        .transitive_member_of_groups(ids::LEE)
        .await
        .unwrap()
        .value;
    assert!(
        lee.iter().any(|g| g.id == ids::GROUP_LICENSING_E3),
        "Lee is in the licensing group through SG-Engineering"
    );
    assert_eq!(
        e.graph
            .get_group(ids::GROUP_SYNCED)
            .await
            .unwrap()
            .value
            .kind(),
        GroupKind::SyncedFromOnPremises
    );
}

#[tokio::test]
async fn follows_next_links_across_pages() {
    let e = env().await;
    let mut s = e.sim.settings();
    s.page_size = 2;
    e.sim.set_settings(s);
    e.sim.clear_requests();
    let groups = e.graph.member_of_groups(ids::ADELE).await.unwrap().value;
    assert_eq!(groups.len(), 6);
    assert_eq!(e.sim.requests().len(), 3, "three pages of two");
}

#[tokio::test]
async fn reads_the_manager() {
    let e = env().await;
    let m = e.graph.manager(ids::ADELE).await.unwrap().value.unwrap();
    assert_eq!(m.id, ids::MEGAN);
    assert_eq!(m.mail.as_deref(), Some("MeganB@contoso.com"));
    let none = e.graph.manager(ids::GRADY).await.unwrap();
    assert!(none.value.is_none());
    assert_eq!(none.status, 404);
}

#[tokio::test]
async fn removes_directory_roles_and_app_roles() {
    let e = env().await;
    let roles = e
        .graph
        .role_assignments_of(ids::ISAIAH)
        .await
        .unwrap()
        .value;
    assert_eq!(roles.len(), 1);
    let def = roles[0].role_definition.as_ref().unwrap();
    assert_eq!(def.display_name.as_deref(), Some("Exchange Administrator"));
    assert_eq!(
        def.id,
        standin_tenant::demo::role_ids::EXCHANGE_ADMINISTRATOR
    );
    assert_eq!(
        e.graph
            .remove_role_assignment(&roles[0].id)
            .await
            .unwrap()
            .status,
        204
    );
    assert!(
        e.graph
            .role_assignments_of(ids::ISAIAH)
            .await
            .unwrap()
            .value
            .is_empty()
    );

    let apps = e
        .graph
        .app_role_assignments(ids::ADELE)
        .await
        .unwrap()
        .value;
    assert_eq!(apps.len(), 2);
    assert!(
        apps.iter()
            .any(|a| a.resource_display_name.as_deref() == Some("Salesforce"))
    );
    for a in &apps {
        assert_eq!(
            e.graph
                .remove_app_role_assignment(ids::ADELE, &a.id)
                .await
                .unwrap()
                .status,
            204
        );
    }
    assert!(
        e.graph
            .app_role_assignments(ids::ADELE)
            .await
            .unwrap()
            .value
            .is_empty()
    );
}

#[tokio::test]
async fn deletes_mfa_methods_but_not_the_password() {
    let e = env().await;
    let methods = e
        .graph
        .authentication_methods(ids::ADELE)
        .await
        .unwrap()
        .value;
    let kinds: Vec<AuthMethodKind> = methods.iter().map(|m| m.kind).collect();
    assert!(kinds.contains(&AuthMethodKind::Password));
    assert!(kinds.contains(&AuthMethodKind::MicrosoftAuthenticator));
    assert!(kinds.contains(&AuthMethodKind::Phone));
    assert!(kinds.contains(&AuthMethodKind::Fido2));
    assert!(kinds.contains(&AuthMethodKind::WindowsHelloForBusiness));
    let before = e.sim.requests().len();
    for m in &methods {
        match e.graph.delete_authentication_method(ids::ADELE, m).await {
            Ok(r) => assert_eq!(r.status, 204),
            Err(err) => {
                assert_eq!(m.kind, AuthMethodKind::Password);
                assert_eq!(
                    err.not_applicable(),
                    Some(offboard_graph::NotApplicableReason::PasswordMethod)
                );
            }
        }
    }
    assert_eq!(
        e.sim.requests().len() - before,
        4,
        "no request is sent for the password method"
    );
    let left = e
        .graph
        .authentication_methods(ids::ADELE)
        .await
        .unwrap()
        .value;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kind, AuthMethodKind::Password);
}

#[tokio::test]
async fn retires_managed_devices() {
    let e = env().await;
    let devices = e.graph.managed_devices(ids::ADELE).await.unwrap().value;
    assert_eq!(devices.len(), 2);
    assert!(devices.iter().all(|d| !d.retire_requested()));
    for d in &devices {
        assert_eq!(e.graph.retire_device(&d.id).await.unwrap().status, 204);
        let back = e.graph.get_managed_device(&d.id).await.unwrap().value;
        assert!(back.retire_requested());
        assert_eq!(back.device_action_results[0].action_state, "pending");
    }
}

#[tokio::test]
async fn gives_the_manager_access_to_onedrive() {
    let e = env().await;
    let drive = e.graph.user_drive(ids::ADELE).await.unwrap().value;
    assert_eq!(drive.drive_type.as_deref(), Some("business"));
    let granted = e
        .graph
        .grant_drive_access(
            &drive.id,
            "MeganB@contoso.com",
            DriveRole::Write,
            false,
            "Adele's files",
        )
        .await
        .unwrap()
        .value;
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0].user_id(), Some(ids::MEGAN));
    assert_eq!(granted[0].roles, vec!["write".to_owned()]);
    let perms = e
        .graph
        .drive_root_permissions(&drive.id)
        .await
        .unwrap()
        .value;
    assert!(
        perms
            .iter()
            .any(|p| p.user_id() == Some(ids::MEGAN) && p.roles.contains(&"write".to_owned()))
    );
    // App-only calls cannot invite guests.
    let guest = e
        .graph
        .grant_drive_access(
            &drive.id,
            "someone@fabrikam.com",
            DriveRole::Read,
            false,
            "",
        )
        .await
        .unwrap_err();
    assert_eq!(guest.status(), Some(400));
}

#[tokio::test]
async fn sets_automatic_replies_and_sends_mail() {
    let e = env().await;
    let before = e.graph.mailbox_settings(ids::ADELE).await.unwrap().value;
    assert_eq!(
        before.automatic_replies_setting.unwrap().status,
        AutoReplyStatus::Disabled
    );
    let replies = AutomaticReplies {
        status: AutoReplyStatus::AlwaysEnabled,
        external_audience: ExternalAudience::All,
        internal_reply_message: "Adele has left; contact Megan.".into(),
        external_reply_message: "Adele has left Contoso.".into(),
        scheduled_start_date_time: None,
        scheduled_end_date_time: None,
    };
    let set = e
        .graph
        .set_automatic_replies(ids::ADELE, &replies)
        .await
        .unwrap()
        .value;
    assert_eq!(set.status, AutoReplyStatus::AlwaysEnabled);
    let after = e
        .graph
        .mailbox_settings(ids::ADELE)
        .await
        .unwrap()
        .value
        .automatic_replies_setting
        .unwrap();
    assert_eq!(after.internal_reply_message, replies.internal_reply_message);

    let msg = MailMessage {
        subject: "Offboarding done".into(),
        body: "Adele Vance: verified.".into(),
        to: vec!["MeganB@contoso.com".into()],
    };
    assert_eq!(
        e.graph.send_mail(ids::GRADY, &msg).await.unwrap().status,
        202
    );
    let sent = e.sim.state().sent_mail;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, vec!["MeganB@contoso.com".to_owned()]);
    assert_eq!(sent[0].subject, "Offboarding done");
}
