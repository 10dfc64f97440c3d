//! The registry, a whole leaver run step by step in plan order (and replayed), throttling and
//! transient failures handed to the engine, and the least-privilege identity refusing what it
//! was not granted.

use std::time::Duration;

use offboard_core::evidence::Outcome;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_graph::permissions;
use offboard_service::steps::{BlockSignIn, RemoveGroups, RevokeSessions, StepFailure, registry};

use standin_tenant::SimHandle;

use crate::helpers::{env, ids, leaver, run, writes};

#[tokio::test]
async fn the_registry_holds_every_cloud_step_and_no_ad_step() {
    let e = env().await;
    let r = registry(e.tenant.clone());
    for k in StepKind::ALL {
        let registered = r.get(k).is_some();
        // remove-mailbox-rights-elsewhere comes with the rights index (`with_rights_index`).
        let cloud =
            !k.is_on_prem() && k != StepKind::Seal && k != StepKind::RemoveMailboxRightsElsewhere;
        assert_eq!(registered, cloud, "{k}");
        if let Some(s) = r.get(k) {
            assert_eq!(s.kind(), k);
        }
    }
}

#[tokio::test]
async fn a_whole_cloud_only_leaver_runs_once_and_replays_as_a_no_op() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let steps = registry(e.tenant.clone());
    let planned: Vec<StepKind> = adele
        .plan
        .steps
        .iter()
        // The rights index's step is run end to end (tests/e2e/mailbox_doors.rs).
        .filter(|s| {
            s.status == StepStatus::Pending
                && s.kind != StepKind::Seal
                && s.kind != StepKind::RemoveMailboxRightsElsewhere
        })
        .map(|s| s.kind)
        .collect();
    assert_eq!(planned.len(), 19, "{planned:?}");
    for k in &planned {
        let report = run(steps.get(*k).unwrap().as_ref(), &adele).await.unwrap();
        let expected = if *k == StepKind::RemoveGroups {
            StepStatus::Exception
        } else {
            StepStatus::Verified
        };
        assert_eq!(report.status, expected, "{k}: {:?}", report.reason);
        for a in &report.actions {
            assert!(a.request.is_some(), "{k}: {}", a.action);
            assert!(
                a.service_request_id.is_some() || a.outcome == Outcome::Noted,
                "{k}: {}",
                a.action
            );
        }
    }
    let t = e.sim.state();
    let u = t.user(ids::ADELE).unwrap();
    assert!(!u.account_enabled);
    assert!(u.sign_in_sessions_valid_from_date_time >= adele.since - chrono::Duration::seconds(1));
    assert!(u.force_change_password_next_sign_in);
    assert!(u.assigned_licenses.is_empty());
    assert!(t.effective_skus(ids::ADELE).is_empty());
    assert_eq!(
        t.authentication_methods
            .iter()
            .filter(|m| m.user_id == ids::ADELE)
            .count(),
        1
    );
    assert!(
        !t.app_role_assignments
            .iter()
            .any(|a| a.principal_id == ids::ADELE)
    );
    assert!(
        !t.oauth2_permission_grants
            .iter()
            .any(|g| g.principal_id.as_deref() == Some(ids::ADELE))
    );
    let mb = t.mailbox(ids::ADELE).unwrap();
    assert_eq!(mb.recipient_type_details, "SharedMailbox");
    assert!(mb.hidden_from_address_lists_enabled);
    assert_eq!(mb.auto_reply.status, "alwaysEnabled");
    assert_eq!(mb.permissions[0].user, "MeganB@contoso.com");
    let groups: Vec<&str> = t
        .direct_groups(ids::ADELE)
        .iter()
        .map(|g| g.id.as_str())
        .collect();
    let mut groups = groups;
    groups.sort();
    let mut left = vec![
        ids::GROUP_DYNAMIC_RETAIL,
        ids::GROUP_MAIL_SECURITY,
        ids::GROUP_DISTRIBUTION,
    ];
    left.sort();
    assert_eq!(groups, left);
    // The mailbox was shared before the licences went.
    let log = e.sim.requests();
    let pos = |f: &dyn Fn(&standin_tenant::LoggedRequest) -> bool| log.iter().position(f).unwrap();
    assert!(
        pos(&|r| r.cmdlet.as_deref() == Some("Set-Mailbox"))
            < pos(&|r| r.path.ends_with("/assignLicense"))
    );

    // Every message delivered again: nothing changes twice.
    let before = writes(&e.sim);
    for k in &planned {
        let report = run(steps.get(*k).unwrap().as_ref(), &adele).await.unwrap();
        assert!(
            matches!(report.status, StepStatus::Verified | StepStatus::Exception),
            "{k}"
        );
    }
    assert_eq!(writes(&e.sim), before);
}

#[tokio::test]
async fn a_throttled_read_hands_the_retry_after_to_the_engine() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    e.sim.throttle_next(1, 120);
    let step = BlockSignIn::new(e.tenant.clone());
    match run(&step, &adele).await.unwrap_err() {
        StepFailure::Throttled {
            retry_after,
            detail,
        } => {
            assert_eq!(retry_after, Duration::from_secs(120));
            assert!(detail.contains("429"), "{detail}");
        }
        other => panic!("expected throttled, got {other:?}"),
    }
    assert!(writes(&e.sim).is_empty());
    assert!(e.sim.state().user(ids::ADELE).unwrap().account_enabled);
    // The engine's next delivery finishes the step.
    assert_eq!(
        run(&step, &adele).await.unwrap().status,
        StepStatus::Verified
    );
}

#[tokio::test]
async fn an_exhausted_write_quota_defers_the_write_without_losing_it() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    // A short window, so the test can wait out the Retry-After as the engine's re-enqueue does.
    e.sim.set_write_quota(0, Duration::from_secs(2));
    let step = RevokeSessions::new(e.tenant.clone());
    let wait = match run(&step, &adele).await.unwrap_err() {
        StepFailure::Throttled { retry_after, .. } => {
            assert_eq!(retry_after, Duration::from_secs(2));
            retry_after
        }
        other => panic!("expected throttled, got {other:?}"),
    };
    let revokes = |sim: &SimHandle| {
        sim.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/revokeSignInSessions"))
            .collect::<Vec<_>>()
    };
    // Graph's short Retry-After is waited out in the client a few times before the step is
    // deferred; every attempt was refused, none was lost or half-made.
    let throttled = revokes(&e.sim);
    assert!(!throttled.is_empty());
    assert!(
        throttled
            .iter()
            .all(|r| r.status == 429 && r.retry_after.as_deref() == Some("2"))
    );
    e.sim.set_write_quota(3000, Duration::from_secs(150));
    tokio::time::sleep(wait).await;
    assert_eq!(
        run(&step, &adele).await.unwrap().status,
        StepStatus::Verified
    );
    let accepted = revokes(&e.sim)
        .into_iter()
        .filter(|r| r.status == 200)
        .count();
    assert_eq!(accepted, 1, "revoked exactly once");
}

#[tokio::test]
async fn a_persistent_gateway_timeout_is_transient() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    e.sim.inject_faults(4, 504);
    match run(&BlockSignIn::new(e.tenant.clone()), &adele)
        .await
        .unwrap_err()
    {
        StepFailure::Transient { detail } => assert!(detail.contains("504"), "{detail}"),
        other => panic!("expected transient, got {other:?}"),
    }
    assert!(writes(&e.sim).is_empty());
}

#[tokio::test]
async fn a_permission_the_identity_was_not_granted_fails_for_a_human() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    // The least-privilege set without GroupMember.ReadWrite.All (and Group.ReadWrite.All,
    // held for transfer-ownerships, which would also allow the removal).
    let roles: Vec<String> = permissions::graph_names()
        .into_iter()
        .filter(|p| *p != "GroupMember.ReadWrite.All" && *p != "Group.ReadWrite.All")
        .map(str::to_owned)
        .collect();
    assert!(e.sim.issuer().set_roles(
        standin_identity::DEMO_CLIENT_ID,
        standin_identity::GRAPH_RESOURCE,
        roles
    ));
    let report = run(&RemoveGroups::new(e.tenant.clone()), &adele)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Failed);
    let failed: Vec<_> = report
        .actions
        .iter()
        .filter(|a| a.outcome == Outcome::Failed)
        .collect();
    assert_eq!(failed.len(), 3);
    for a in failed {
        assert_eq!(a.response_status, Some(403));
        assert!(a.service_request_id.is_some());
        assert!(a.reason.as_deref().unwrap().contains("permission"));
    }
    assert!(
        e.sim
            .state()
            .group(ids::GROUP_RETAIL_M365)
            .unwrap()
            .members
            .contains(&ids::ADELE.to_owned())
    );
}
