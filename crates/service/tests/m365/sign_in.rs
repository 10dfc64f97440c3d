//! Cutting sign-in: block, revoke, reset the password, and — for a synced leaver — watching
//! directory sync carry the AD disable to the cloud.

use chrono::{Duration as ChronoDuration, Utc};
use std::time::Duration;

use offboard_core::evidence::Outcome;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_service::steps::{
    BlockSignIn, PASSWORD_LENGTH, RECHECK_EVERY, ResetPassword, RevokeSessions, StepAction,
    StepFailure, VerifyCloudDisabled,
};

use crate::helpers::{env, ids, leaver, run, twice, writes};

#[tokio::test]
async fn block_sign_in_disables_a_cloud_account_once() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let step = BlockSignIn::new(e.tenant.clone());
    let (first, second) = twice(&step, &adele, &e.sim).await;

    assert_eq!(first.status, StepStatus::Verified);
    let a = &first.actions[0];
    assert_eq!(a.outcome, Outcome::Verified);
    assert_eq!(a.target_system, "entra");
    let req = a.request.as_ref().unwrap();
    assert_eq!(
        (req.method.as_str(), req.target.clone()),
        ("PATCH", format!("/users/{}", ids::ADELE))
    );
    assert_eq!(a.response_status, Some(204));
    assert!(a.service_request_id.is_some());
    let rb = a.read_back.as_ref().unwrap();
    assert!(rb.matches);
    assert_eq!(rb.observed["accountEnabled"], false);

    // The replay read the state and recorded it, changing nothing.
    assert_eq!(second.status, StepStatus::Verified);
    assert_eq!(second.actions[0].request.as_ref().unwrap().method, "GET");
    assert_eq!(writes(&e.sim), vec![format!("PATCH /users/{}", ids::ADELE)]);
    assert!(!e.sim.state().user(ids::ADELE).unwrap().account_enabled);
}

#[tokio::test]
async fn block_sign_in_of_an_already_disabled_account_writes_nothing() {
    let e = env().await;
    let pradeep = leaver(&e, ids::PRADEEP).await;
    let report = run(&BlockSignIn::new(e.tenant.clone()), &pradeep)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Verified);
    assert!(report.actions[0].read_back.as_ref().unwrap().matches);
    assert!(writes(&e.sim).is_empty());
}

#[tokio::test]
async fn block_sign_in_of_a_synced_account_records_graphs_refusal() {
    let e = env().await;
    let diego = leaver(&e, ids::DIEGO).await;
    // The planner never plans it...
    assert_eq!(
        diego.plan.step(StepKind::BlockSignIn).unwrap().status,
        StepStatus::NotApplicable
    );
    // ...and a direct call records Graph's refusal as an exception, never as done.
    let report = run(&BlockSignIn::new(e.tenant.clone()), &diego)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Exception);
    let a = &report.actions[0];
    assert_eq!(a.outcome, Outcome::Exception);
    assert_eq!(a.response_status, Some(400));
    assert!(a.service_request_id.is_some());
    assert!(a.reason.as_deref().unwrap().contains("ad-disable"));
    assert!(!a.read_back.as_ref().unwrap().matches);
    assert!(e.sim.state().user(ids::DIEGO).unwrap().account_enabled);
    let patch = e
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(patch.status, 400);
}

#[tokio::test]
async fn blocking_a_privileged_admin_needs_a_role_offboard_does_not_hold() {
    let e = env().await;
    let isaiah = leaver(&e, ids::ISAIAH).await;
    let err = run(&BlockSignIn::new(e.tenant.clone()), &isaiah)
        .await
        .unwrap_err();
    match err {
        StepFailure::Permanent { detail, action } => {
            assert!(detail.contains("403"), "{detail}");
            assert!(detail.contains("request-id"), "{detail}");
            let a = action.unwrap();
            assert_eq!(a.outcome, Outcome::Failed);
            assert_eq!(a.response_status, Some(403));
            assert!(a.service_request_id.is_some());
            assert!(a.reason.as_deref().unwrap().contains("by hand"));
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    assert!(e.sim.state().user(ids::ISAIAH).unwrap().account_enabled);
}

#[tokio::test]
async fn revoke_sessions_revokes_once_per_step() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let before = e
        .sim
        .state()
        .user(ids::ADELE)
        .unwrap()
        .sign_in_sessions_valid_from_date_time;
    let step = RevokeSessions::new(e.tenant.clone());
    let (first, second) = twice(&step, &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    assert_eq!(second.status, StepStatus::Verified);
    let a = &first.actions[0];
    assert_eq!(a.request.as_ref().unwrap().method, "POST");
    assert_eq!(a.response_status, Some(200));
    assert!(a.service_request_id.is_some());
    assert!(a.read_back.as_ref().unwrap().matches);
    assert_eq!(
        writes(&e.sim),
        vec![format!("POST /users/{}/revokeSignInSessions", ids::ADELE)]
    );
    let after = e
        .sim
        .state()
        .user(ids::ADELE)
        .unwrap()
        .sign_in_sessions_valid_from_date_time;
    assert!(after > before && after >= adele.since - ChronoDuration::seconds(1));
}

#[tokio::test]
async fn a_revocation_from_before_the_step_does_not_count() {
    let e = env().await;
    let mut diego = leaver(&e, ids::DIEGO).await;
    // Someone revoked yesterday; this step started now, so it revokes again.
    e.sim.with_state(|t| {
        t.user_mut(ids::DIEGO)
            .unwrap()
            .sign_in_sessions_valid_from_date_time = Utc::now() - ChronoDuration::days(1);
    });
    diego.since = Utc::now();
    let report = run(&RevokeSessions::new(e.tenant.clone()), &diego)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Verified);
    assert_eq!(writes(&e.sim).len(), 1);
}

#[tokio::test]
async fn reset_password_sets_an_unrecorded_random_password_once() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let step = ResetPassword::new(e.tenant.clone());
    let (first, second) = twice(&step, &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    assert_eq!(second.status, StepStatus::Verified);
    let a = &first.actions[0];
    assert_eq!(a.response_status, Some(204));
    assert!(a.service_request_id.is_some());
    assert!(a.read_back.as_ref().unwrap().matches);
    // The evidence describes the password; it does not hold it.
    let details = a.details.as_ref().unwrap();
    assert_eq!(
        details["body"]["passwordProfile"]["password"],
        format!("(random, {PASSWORD_LENGTH} characters, not recorded)")
    );
    assert_eq!(
        details["body"]["passwordProfile"]["forceChangePasswordNextSignIn"],
        true
    );
    // What reached Graph was a password (the simulator checked its complexity, then
    // redacted it in its log), sent once.
    let patches: Vec<_> = e
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].status, 204);
    let u = e.sim.state().user(ids::ADELE).unwrap().clone();
    assert!(u.force_change_password_next_sign_in);
    assert!(u.last_password_change_date_time.unwrap() >= adele.since - ChronoDuration::seconds(1));
}

#[tokio::test]
async fn reset_password_of_a_synced_account_is_an_exception() {
    let e = env().await;
    let diego = leaver(&e, ids::DIEGO).await;
    assert_eq!(
        diego.plan.step(StepKind::ResetPassword).unwrap().status,
        StepStatus::NotApplicable
    );
    let before = e
        .sim
        .state()
        .user(ids::DIEGO)
        .unwrap()
        .last_password_change_date_time;
    let report = run(&ResetPassword::new(e.tenant.clone()), &diego)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Exception);
    assert!(
        report.actions[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("ad-reset-password")
    );
    assert_eq!(report.actions[0].response_status, Some(400));
    assert_eq!(
        e.sim
            .state()
            .user(ids::DIEGO)
            .unwrap()
            .last_password_change_date_time,
        before
    );
}

#[tokio::test]
async fn verify_cloud_disabled_waits_for_directory_sync_then_verifies() {
    let e = env().await;
    let diego = leaver(&e, ids::DIEGO).await;
    let step = VerifyCloudDisabled::new(e.tenant.clone(), 60);
    // The agent disabled the AD account; directory sync has not run yet.
    assert!(e.sim.set_on_premises_enabled(ids::DIEGO, false));
    match run(&step, &diego).await.unwrap_err() {
        StepFailure::Throttled {
            retry_after,
            detail,
        } => {
            assert_eq!(retry_after, RECHECK_EVERY);
            assert!(detail.contains("waiting for directory sync"), "{detail}");
        }
        other => panic!("expected to wait, got {other:?}"),
    }
    e.sim.run_directory_sync();
    let report = run(&step, &diego).await.unwrap();
    assert_eq!(report.status, StepStatus::Verified);
    let a = &report.actions[0];
    assert_eq!(a.request.as_ref().unwrap().method, "GET");
    assert!(a.service_request_id.is_some());
    assert_eq!(
        a.read_back.as_ref().unwrap().observed["accountEnabled"],
        false
    );
    // It only ever reads.
    assert!(writes(&e.sim).is_empty());
}

#[tokio::test]
async fn verify_cloud_disabled_rechecks_just_after_a_closing_window() {
    let e = env().await;
    let diego = leaver(&e, ids::DIEGO).await;
    let step = VerifyCloudDisabled::new(e.tenant.clone(), 60);
    let ctx = diego.ctx_at(
        StepKind::VerifyCloudDisabled,
        diego.since + ChronoDuration::seconds(59 * 60 + 30),
    );
    match step.run(&ctx).await.unwrap_err() {
        StepFailure::Throttled { retry_after, .. } => {
            assert!(retry_after <= Duration::from_secs(31), "{retry_after:?}")
        }
        other => panic!("expected to wait, got {other:?}"),
    }
}

#[tokio::test]
async fn verify_cloud_disabled_past_the_window_is_an_exception() {
    let e = env().await;
    let diego = leaver(&e, ids::DIEGO).await;
    let step = VerifyCloudDisabled::new(e.tenant.clone(), 60);
    let ctx = diego.ctx_at(
        StepKind::VerifyCloudDisabled,
        diego.since + ChronoDuration::minutes(61),
    );
    let report = step.run(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::Exception);
    let reason = report.reason.unwrap();
    assert!(
        reason.contains(
            "cloud account still enabled 61 minutes after the AD disable: check directory sync"
        ),
        "{reason}"
    );
    assert!(!report.actions[0].read_back.as_ref().unwrap().matches);
    assert!(writes(&e.sim).is_empty());
}

#[tokio::test]
async fn verify_cloud_disabled_names_a_refused_ad_disable_instead_of_blaming_sync() {
    let e = env().await;
    let mut diego = leaver(&e, ids::DIEGO).await;
    let ad = diego.plan.step_mut(StepKind::AdDisable).unwrap();
    ad.status = StepStatus::Failed;
    ad.reason =
        Some("the agent refused: the account is protected (member of CN=Tier0,DC=corp)".into());
    let step = VerifyCloudDisabled::new(e.tenant.clone(), 60);
    // Straight after the AD step failed: no waiting for a sync that has nothing to carry.
    let report = run(&step, &diego).await.unwrap();
    assert_eq!(report.status, StepStatus::Failed, "{report:?}");
    let reason = report.reason.unwrap();
    assert!(
        reason.contains("never disabled") && reason.contains("CN=Tier0,DC=corp"),
        "{reason}"
    );
    assert!(!reason.contains("check directory sync"), "{reason}");
    let a = &report.actions[0];
    assert_eq!(a.outcome, Outcome::Failed);
    assert_eq!(a.details.as_ref().unwrap()["adDisableStatus"], "failed");
    assert!(writes(&e.sim).is_empty());
}
