//! The mailbox and OneDrive: shared mailbox, the manager's access, the automatic reply,
//! address lists; and what happens without a mailbox, a OneDrive or a manager.

use offboard_core::evidence::Outcome;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_service::steps::{
    AutoReply, ConvertMailbox, HideFromAddressLists, MailboxManagerAccess, OnedriveManagerAccess,
    StepAction,
};

use crate::helpers::{env, ids, leaver, run, twice, writes};

#[tokio::test]
async fn the_mailbox_becomes_shared_once() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let (first, second) = twice(&ConvertMailbox::new(e.tenant.clone()), &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    let a = &first.actions[0];
    assert_eq!(a.target_system, "exchange");
    assert!(
        a.request
            .as_ref()
            .unwrap()
            .target
            .contains("Set-Mailbox -Identity AdeleV@contoso.com -Type Shared")
    );
    assert_eq!(a.response_status, Some(200));
    assert!(a.service_request_id.is_some());
    assert_eq!(
        a.read_back.as_ref().unwrap().observed["RecipientTypeDetails"],
        "SharedMailbox"
    );
    assert_eq!(writes(&e.sim), vec!["Set-Mailbox"]);
    assert_eq!(
        e.sim
            .state()
            .mailbox(ids::ADELE)
            .unwrap()
            .recipient_type_details,
        "SharedMailbox"
    );
    assert_eq!(second.status, StepStatus::Verified);
}

#[tokio::test]
async fn without_a_mailbox_the_mailbox_steps_do_not_apply() {
    let e = env().await;
    let lynne = leaver(&e, ids::LYNNE).await;
    for step in [
        Box::new(ConvertMailbox::new(e.tenant.clone())) as Box<dyn StepAction>,
        Box::new(MailboxManagerAccess::new(e.tenant.clone())),
        Box::new(AutoReply::new(e.tenant.clone())),
        Box::new(HideFromAddressLists::new(e.tenant.clone())),
        Box::new(OnedriveManagerAccess::new(e.tenant.clone())),
    ] {
        assert_eq!(
            lynne.plan.step(step.kind()).unwrap().status,
            StepStatus::NotApplicable,
            "{}",
            step.kind()
        );
        let report = run(step.as_ref(), &lynne).await.unwrap();
        assert_eq!(report.status, StepStatus::NotApplicable, "{}", step.kind());
        let a = &report.actions[0];
        assert_eq!(a.outcome, Outcome::NotApplicable);
        assert_eq!(a.response_status, Some(404), "{}", step.kind());
        assert!(a.service_request_id.is_some(), "{}", step.kind());
        assert!(
            a.reason.as_deref().unwrap().contains("no "),
            "{}",
            step.kind()
        );
    }
    assert!(writes(&e.sim).is_empty());
}

#[tokio::test]
async fn the_manager_gets_full_access_once() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let (first, second) = twice(&MailboxManagerAccess::new(e.tenant.clone()), &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    let a = &first.actions[0];
    assert!(
        a.request
            .as_ref()
            .unwrap()
            .target
            .contains("-User MeganB@contoso.com -AccessRights FullAccess")
    );
    assert!(a.read_back.as_ref().unwrap().matches);
    assert_eq!(writes(&e.sim), vec!["Add-MailboxPermission"]);
    let perms = e
        .sim
        .state()
        .mailbox(ids::ADELE)
        .unwrap()
        .permissions
        .clone();
    assert_eq!(perms.len(), 1);
    assert_eq!(perms[0].user, "MeganB@contoso.com");
    assert_eq!(perms[0].access_rights, vec!["FullAccess"]);
    assert_eq!(second.status, StepStatus::Verified);
}

#[tokio::test]
async fn without_a_manager_nobody_is_given_access() {
    let e = env().await;
    let grady = leaver(&e, ids::GRADY).await;
    assert_eq!(
        grady
            .plan
            .step(StepKind::MailboxManagerAccess)
            .unwrap()
            .status,
        StepStatus::NotApplicable
    );
    e.sim.clear_requests();
    for step in [
        Box::new(MailboxManagerAccess::new(e.tenant.clone())) as Box<dyn StepAction>,
        Box::new(OnedriveManagerAccess::new(e.tenant.clone())),
    ] {
        let report = run(step.as_ref(), &grady).await.unwrap();
        assert_eq!(report.status, StepStatus::NotApplicable);
        assert!(report.reason.unwrap().contains("no manager"));
    }
    assert!(e.sim.requests().is_empty(), "nothing to ask the tenant");
}

#[tokio::test]
async fn the_automatic_reply_names_the_manager_and_is_set_once() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let (first, second) = twice(&AutoReply::new(e.tenant.clone()), &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    let a = &first.actions[0];
    assert_eq!(a.request.as_ref().unwrap().method, "PATCH");
    assert_eq!(a.response_status, Some(200));
    assert!(a.read_back.as_ref().unwrap().matches);
    assert_eq!(
        writes(&e.sim),
        vec![format!("PATCH /users/{}/mailboxSettings", ids::ADELE)]
    );
    let reply = e
        .sim
        .state()
        .mailbox(ids::ADELE)
        .unwrap()
        .auto_reply
        .clone();
    assert_eq!(reply.status, "alwaysEnabled");
    assert_eq!(reply.external_audience, "all");
    assert!(
        reply.internal_reply_message.contains("Adele Vance"),
        "{}",
        reply.internal_reply_message
    );
    assert!(reply.internal_reply_message.contains("MeganB@contoso.com"));
    assert_eq!(reply.internal_reply_message, reply.external_reply_message);
    assert_eq!(second.status, StepStatus::Verified);
}

#[tokio::test]
async fn the_mailbox_is_hidden_from_address_lists_once() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let (first, second) = twice(&HideFromAddressLists::new(e.tenant.clone()), &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    assert_eq!(writes(&e.sim), vec!["Set-Mailbox"]);
    assert!(
        e.sim
            .state()
            .mailbox(ids::ADELE)
            .unwrap()
            .hidden_from_address_lists_enabled
    );
    assert_eq!(second.status, StepStatus::Verified);
}

#[tokio::test]
async fn hiding_a_synced_mailbox_is_an_exception_for_ad() {
    let e = env().await;
    let diego = leaver(&e, ids::DIEGO).await;
    assert_eq!(
        diego
            .plan
            .step(StepKind::HideFromAddressLists)
            .unwrap()
            .status,
        StepStatus::NotApplicable
    );
    let report = run(&HideFromAddressLists::new(e.tenant.clone()), &diego)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Exception);
    let a = &report.actions[0];
    assert!(
        a.reason
            .as_deref()
            .unwrap()
            .contains("msExchHideFromAddressLists")
    );
    assert_eq!(a.response_status, Some(400));
    assert!(
        !e.sim
            .state()
            .mailbox(ids::DIEGO)
            .unwrap()
            .hidden_from_address_lists_enabled
    );
}

#[tokio::test]
async fn the_manager_gets_write_access_to_the_onedrive_once() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let (first, second) = twice(
        &OnedriveManagerAccess::new(e.tenant.clone()),
        &adele,
        &e.sim,
    )
    .await;
    assert_eq!(first.status, StepStatus::Verified);
    let a = &first.actions[0];
    assert_eq!(a.target_system, "onedrive");
    assert_eq!(
        a.request.as_ref().unwrap().target,
        format!("/drives/{}/root/invite", ids::DRIVE_ADELE)
    );
    assert!(a.read_back.as_ref().unwrap().matches);
    assert_eq!(
        writes(&e.sim),
        vec![format!("POST /drives/{}/root/invite", ids::DRIVE_ADELE)]
    );
    let drive = e
        .sim
        .state()
        .drives
        .iter()
        .find(|d| d.id == ids::DRIVE_ADELE)
        .unwrap()
        .clone();
    let grant = drive
        .root_permissions
        .iter()
        .find(|p| p.user_id == ids::MEGAN)
        .unwrap();
    assert_eq!(grant.roles, vec!["write"]);
    assert_eq!(second.status, StepStatus::Verified);
}
