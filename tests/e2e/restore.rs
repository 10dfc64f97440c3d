//! Undoing a mistaken termination, end to end on both backends: a rescind from HR that
//! arrives after the effective time (within the policy's days) restores a cloud-only leaver
//! to their snapshot — read back from the tenant simulator's state, not from offboard's
//! records — and the case's evidence lists what could not come back; a second restore, asked
//! by an operator, changes nothing (the simulator's request log shows no new write). The
//! synced leaver's AD restore is in `hybrid.rs`.

use std::time::Duration;

use serde_json::{Value, json};

use offboard_api::{CaseReceipt, CaseTimeline, RestoreAccepted, VerifiedPacket};
use offboard_core::case::CaseStatus;
use offboard_core::plan::{RestoreAction, StepKind, StepStatus};
use offboard_testkit::{Backend, TestApp};

use crate::guardrails::app_with;
use crate::helpers::{event_id, generic_rescind};
use crate::pipeline::{ADELE, finished, only_removable_groups, upn, writes_about};

/// What the tenant holds of the leaver that a restore puts back.
fn view(app: &TestApp, user: &str) -> Value {
    let t = app.sim.state();
    let u = t.user(user).expect("the user exists");
    let mut licences: Vec<Value> = u
        .assigned_licenses
        .iter()
        .map(|l| json!([l.sku_id.to_ascii_lowercase(), l.disabled_plans]))
        .collect();
    licences.sort_by_key(|v| v.to_string());
    let mut groups: Vec<String> = t.direct_groups(user).iter().map(|g| g.id.clone()).collect();
    groups.sort();
    let mut app_roles: Vec<(String, String)> = t
        .app_role_assignments
        .iter()
        .filter(|a| a.principal_id == user)
        .map(|a| (a.resource_id.clone(), a.app_role_id.clone()))
        .collect();
    app_roles.sort();
    let m = t.mailbox(user).expect("a mailbox");
    let mut delegates: Vec<String> = m.permissions.iter().map(|p| p.user.clone()).collect();
    delegates.sort();
    json!({
        "accountEnabled": u.account_enabled,
        "licences": licences,
        "groups": groups,
        "appRoles": app_roles,
        "mailbox": m.recipient_type_details,
        "hidden": m.hidden_from_address_lists_enabled,
        "delegates": delegates,
        "autoReply": m.auto_reply.status,
    })
}

async fn done_again(app: &TestApp, id: &str, restores: u32) -> CaseTimeline {
    app.wait_case(id, Duration::from_secs(180), |c| {
        c.case
            .restored
            .as_ref()
            .is_some_and(|r| r.count == restores)
            && matches!(
                c.case.status,
                CaseStatus::Completed | CaseStatus::CompletedWithExceptions
            )
    })
    .await
}

async fn run(backend: Backend) {
    let (app, _dir) = app_with(
        backend,
        &[("rescind_within_days = 0", "rescind_within_days = 7")],
    )
    .await;
    only_removable_groups(&app, ADELE);
    let before = view(&app, ADELE);

    let evt = event_id();
    let t = app
        .post_generic(&json!({
            "type": "employee.terminated",
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "data": {"eventId": evt, "employee": {"employeeId": "E1001"},
                     "effectiveAt": chrono::Utc::now().to_rfc3339(), "kind": "involuntary"}
        }))
        .await;
    assert_eq!(t.status, 202, "{}", t.json);
    let id = t.body::<CaseReceipt>().case_id.to_string();
    let ended = finished(&app, &id).await;
    assert_eq!(ended.case.status, CaseStatus::Completed);
    let cut = view(&app, ADELE);
    assert_eq!(cut["accountEnabled"], false);
    assert_ne!(cut, before, "the termination changed the tenant");

    // `offboard plan --restore` shows the reverse plan from the case's evidence, changing
    // nothing (the embedded store's directory is readable by the CLI).
    if backend == Backend::Embedded {
        let (code, out) = crate::tamper::offboard(&[
            "plan",
            "--restore",
            &id,
            "--data",
            &app.data_dir().display().to_string(),
            "--json",
        ]);
        assert_eq!(code, 0, "{out}");
        let doc: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(doc["changed"], false);
        let steps: Vec<&str> = doc["restore"]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s["kind"].as_str())
            .collect();
        assert_eq!(steps[0], "restore:enable-sign-in", "{steps:?}");
        assert!(
            doc["restore"]["lost"]
                .as_array()
                .is_some_and(|l| !l.is_empty())
        );
        assert_eq!(view(&app, ADELE), cut, "the preview changed nothing");
    }

    // HR rescinds after the effective time: the case is restored, not refused.
    let r = app.post_generic(&generic_rescind(&event_id(), &evt)).await;
    assert_eq!(r.status, 202, "{}", r.json);
    assert_eq!(r.body::<CaseReceipt>().status, CaseStatus::Running);
    let restored = done_again(&app, &id, 1).await;
    assert_eq!(
        restored.case.status,
        CaseStatus::Completed,
        "{:?}",
        restored.case.plan
    );
    let plan = restored.case.plan.as_ref().expect("plan");
    for a in [
        RestoreAction::EnableSignIn,
        RestoreAction::Groups,
        RestoreAction::Licences,
        RestoreAction::AppRoles,
        RestoreAction::UserMailbox,
        RestoreAction::AutoReplyOff,
        RestoreAction::Unhide,
        RestoreAction::ManagerAccessRemoved,
    ] {
        let s = plan.step(StepKind::Restore(a)).expect("planned");
        assert_eq!(s.status, StepStatus::Verified, "{a}: {s:?}");
    }
    // The tenant is back to the snapshot, as the simulator holds it.
    let after = view(&app, ADELE);
    assert_eq!(after, before);

    // The evidence: one chain, a new seal generation, the restore record listing what could
    // not come back.
    let ev: VerifiedPacket = app.get(&format!("/api/cases/{id}/evidence")).await.body();
    assert!(ev.verification.ok, "{:?}", ev.verification);
    let packet = ev.packet.expect("packet");
    assert!(packet.seal.as_ref().expect("sealed").generation >= 1);
    let record = packet
        .records
        .iter()
        .find(|r| r.body.step == "restore")
        .expect("the restore record");
    assert!(
        record.body.actor.contains("rescind from generic"),
        "{}",
        record.body.actor
    );
    let lost: Vec<&str> = record.body.details.as_ref().unwrap()["restore"]["lost"]
        .as_array()
        .expect("what could not come back")
        .iter()
        .filter_map(|l| l["step"].as_str())
        .collect();
    for k in ["revoke-sessions", "reset-password", "remove-auth-methods"] {
        assert!(lost.contains(&k), "{k} in {lost:?}");
    }

    // A second restore, asked by an operator: every step finds its state back, no write.
    let writes = writes_about(&app, ADELE, &upn(&app, ADELE)).len();
    let again = app
        .client
        .post(format!("{}/api/cases/{id}/restore", app.base_url()))
        .header("x-functions-key", &app.function_key)
        .bearer_auth(&app.operator_token)
        .json(&json!({"reason": "HR confirmed the rescind"}))
        .send()
        .await
        .expect("request");
    assert_eq!(again.status().as_u16(), 202);
    let accepted: RestoreAccepted = again.json().await.expect("typed answer");
    assert_eq!(accepted.status, CaseStatus::Running);
    let twice = done_again(&app, &id, 2).await;
    assert_eq!(twice.case.status, CaseStatus::Completed);
    assert_eq!(
        writes_about(&app, ADELE, &upn(&app, ADELE)).len(),
        writes,
        "the second restore wrote nothing"
    );
    assert_eq!(view(&app, ADELE), before);
    app.shutdown().await;
}

mod a_rescind_after_the_effective_time_restores_the_snapshot_and_a_second_restore_changes_nothing {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        run(Backend::Embedded).await;
    }
    #[tokio::test]
    async fn azure() {
        run(Backend::Azure).await;
    }
}

/// A synced leaver (Samba AD through the real agent, Azure backend as every hybrid test): an
/// operator's restore enables the AD account again — read from Samba — keeping every other
/// bit, and directory sync carries it to the cloud account.
#[tokio::test]
async fn an_operators_restore_enables_a_synced_leaver_in_ad_through_the_agent() {
    use crate::hybrid::{DIEGO, UAC_BEFORE, must, rig, uac};
    let r = rig(
        standin_tenant::SimConfig {
            directory_sync_delay: Some(Duration::from_secs(1)),
            ..Default::default()
        },
        None,
    )
    .await;
    let agent = must(r.hybrid.spawn_agent().await);
    let sync = r.sync().await;
    assert_eq!(uac(&r.ad().await), UAC_BEFORE);
    let id = r.terminate().await;
    let ended = r.finished(&id, Duration::from_secs(240)).await;
    assert_eq!(
        ended.case.status,
        CaseStatus::Completed,
        "{:?}",
        ended.case.plan
    );
    assert_eq!(uac(&r.ad().await), UAC_BEFORE | 0x2, "disabled in AD");

    let answer = r
        .app
        .client
        .post(format!("{}/api/cases/{id}/restore", r.app.base_url()))
        .header("x-functions-key", &r.app.function_key)
        .bearer_auth(&r.app.operator_token)
        .json(&json!({"reason": "terminated by mistake: HR keyed the wrong person"}))
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status().as_u16(), 202);
    let accepted: RestoreAccepted = answer.json().await.expect("typed answer");
    assert_eq!(
        accepted.restore.steps[0].kind,
        StepKind::Restore(RestoreAction::AdEnable),
        "AD first"
    );
    assert!(
        accepted
            .restore
            .lost
            .iter()
            .any(|l| l.step == StepKind::AdResetPassword),
        "the AD password reset is listed as not coming back"
    );
    let restored = done_again(&r.app, &id, 1).await;
    let s = restored
        .case
        .plan
        .as_ref()
        .and_then(|p| p.step(StepKind::Restore(RestoreAction::AdEnable)))
        .expect("planned");
    assert_eq!(s.status, StepStatus::Verified, "{s:?}");
    // Samba says so: enabled, every other bit as before.
    assert_eq!(uac(&r.ad().await), UAC_BEFORE);
    // And directory sync carries it to the cloud account. The simulator runs its sync cycle
    // before it answers a request; once the restore is done nothing may ask it anything, so
    // the test runs the cycle itself, as Entra Connect's schedule would.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !r
        .app
        .sim
        .state()
        .user(DIEGO)
        .is_some_and(|u| u.account_enabled)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "directory sync never enabled the cloud account"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        r.app.sim.run_directory_sync();
    }
    sync.stop().await;
    agent.stop().await;
    r.app.shutdown().await;
}
