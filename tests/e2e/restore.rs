//! Undoing a mistaken termination, end to end on both backends: a BambooHR reinstatement that
//! arrives after the effective time (within the policy's days) finds the person's completed
//! case and restores a cloud-only leaver
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

use crate::guardrails::policy_file;
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
    // Notices go out as mail too (Graph sendMail, which the simulator keeps).
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = policy_file(
        dir.path(),
        &[("rescind_within_days = 0", "rescind_within_days = 7")],
    );
    let app = offboard_testkit::spawn_app_with(backend, Default::default(), |s| {
        s.insert("OFFBOARD_POLICY_FILE".into(), policy);
        s.insert(
            "OFFBOARD_NOTIFY_MAIL_FROM".into(),
            "GradyA@contoso.com".into(),
        );
        s.insert(
            "OFFBOARD_NOTIFY_MAIL_TO".into(),
            "compliance@contoso.com".into(),
        );
    })
    .await;
    only_removable_groups(&app, ADELE);
    // Adele holds a (non-privileged) directory role: it comes back only with a second approval.
    app.sim.with_state(|t| {
        t.role_assignments
            .push(standin_tenant::model::RoleAssignment {
                id: "restore-test-role".into(),
                principal_id: ADELE.into(),
                role_definition_id: COMPLIANCE_ADMIN.into(),
                directory_scope_id: "/".into(),
            })
    });
    let before = view(&app, ADELE);

    // BambooHR terminates Adele with a termination date two days ago (end of that day in the
    // company zone: already effective).
    let mail = upn(&app, ADELE);
    let date = (chrono::Utc::now() - chrono::Duration::days(2))
        .date_naive()
        .to_string();
    let t = app
        .post_bamboohr(&json!({"employees": [{
            "id": "7001", "action": "Updated", "timestamp": chrono::Utc::now().to_rfc3339(),
            "fields": {"Work Email": mail, "Employee #": "E1001",
                       "Employment Status": "Terminated", "Termination Date": date,
                       "Termination Type": "Involuntary"},
            "changedFields": ["Employment Status"]}]}))
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

    // BambooHR reinstates her after the effective time: the completed case is found by the
    // person (no case of hers is open) and restored, not refused.
    let r = app
        .post_bamboohr(&json!({"employees": [{"id": "7001", "fields": {
            "Work Email": mail, "Employment Status": "Full-Time"},
            "changedFields": ["Employment Status"]}]}))
        .await;
    assert_eq!(r.status, 202, "{}", r.json);
    assert_eq!(r.json["cancelled"][0]["caseId"], id.as_str(), "{}", r.json);
    assert_eq!(r.json["cancelled"][0]["outcome"], "restoring", "{}", r.json);
    assert_eq!(r.json["cancelled"][0]["status"], "running", "{}", r.json);
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
        record.body.actor.contains("rescind from bamboohr"),
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
    // The person and their manager are told, by mail as the simulator delivered it, what could
    // not come back and what to do; the restore record names whom it told.
    let (person, manager) = {
        let t = app.sim.state();
        let u = t.user(ADELE).expect("Adele");
        let m = t
            .user(u.manager_id.as_deref().expect("a manager"))
            .expect("the manager");
        (
            u.mail
                .clone()
                .unwrap_or_else(|| u.user_principal_name.clone()),
            m.mail
                .clone()
                .unwrap_or_else(|| m.user_principal_name.clone()),
        )
    };
    let told = wait_for_mail(&app, "Your access is back").await;
    for who in [&person, &manager] {
        assert!(
            told.to.iter().any(|t| t.eq_ignore_ascii_case(who)),
            "{who} in {:?}",
            told.to
        );
    }
    for what in [
        "MFA methods were deleted",
        "Temporary Access Pass",
        "sign in again",
    ] {
        assert!(told.body.contains(what), "{what} in {}", told.body);
    }
    let named = record.body.details.as_ref().unwrap()["toldWhatCannotComeBack"]
        .as_array()
        .expect("whom the restore told")
        .len();
    assert_eq!(named, 2);

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

    // The directory role: removed by the termination, held by the restore (not back in the
    // tenant) until a second approval by someone other than the restore's asker.
    assert!(
        !has_role(&app),
        "the restore does not give the role back by itself"
    );
    let held = twice.case.restored.as_ref().and_then(|r| r.roles.clone());
    assert!(
        held.as_ref()
            .is_some_and(|h| h.decision.is_none() && !h.roles.is_empty()),
        "{held:?}"
    );
    let path = format!("/api/cases/{id}/restore/roles/approve");
    let body = json!({"reason": "the person keeps their compliance duties"});
    let own = app.post_as(&app.operator_token, &path, &body).await;
    assert_eq!(own.status, 403, "the restore's asker: {}", own.json);
    let second = app.token(offboard_testkit::AUDITOR_UPN, &["Offboard.Operator"]);
    let ok = app.post_as(&second, &path, &body).await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    let released = app
        .wait_case(&id, Duration::from_secs(120), |c| {
            c.case
                .plan
                .as_ref()
                .and_then(|p| p.step(StepKind::Restore(RestoreAction::DirectoryRoles)))
                .is_some_and(|s| s.status.is_terminal())
                && matches!(
                    c.case.status,
                    CaseStatus::Completed | CaseStatus::CompletedWithExceptions
                )
        })
        .await;
    assert_eq!(released.case.status, CaseStatus::Completed);
    assert!(has_role(&app), "the second approval put the role back");
    let again = app
        .post_as(
            &second,
            &format!("/api/cases/{id}/restore/roles/reject"),
            &body,
        )
        .await;
    assert_eq!(again.status, 409, "decided once: {}", again.json);
    // Who released it and when, in the sealed evidence.
    let ev: VerifiedPacket = app.get(&format!("/api/cases/{id}/evidence")).await.body();
    assert!(ev.verification.ok, "{:?}", ev.verification);
    let decision = ev
        .packet
        .expect("packet")
        .records
        .into_iter()
        .find(|r| r.body.step == "restore-roles")
        .expect("the decision is recorded");
    assert!(
        decision.body.actor.contains(offboard_testkit::AUDITOR_UPN),
        "{}",
        decision.body.actor
    );
    app.shutdown().await;
}

const COMPLIANCE_ADMIN: &str = standin_tenant::demo::role_ids::COMPLIANCE_ADMINISTRATOR;

/// Whether Adele holds the Compliance Administrator role, as the simulator holds it.
fn has_role(app: &TestApp) -> bool {
    app.sim.state().role_assignments.iter().any(|a| {
        a.principal_id == ADELE && a.role_definition_id.eq_ignore_ascii_case(COMPLIANCE_ADMIN)
    })
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

/// A synced leaver (Samba AD through the real agent, on each backend): an operator's restore
/// enables the AD account again — read from Samba — keeping every other bit, and directory
/// sync carries it to the cloud account.
mod an_operators_restore_enables_a_synced_leaver_in_ad_through_the_agent {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        synced(Backend::Embedded).await;
    }
    #[tokio::test]
    async fn azure() {
        synced(Backend::Azure).await;
    }
}

async fn synced(backend: Backend) {
    use crate::hybrid::{DIEGO, UAC_BEFORE, must, rig_with, uac};
    use offboard_testkit::samba::attr;
    let r = rig_with(
        backend,
        standin_tenant::SimConfig {
            directory_sync_delay: Some(Duration::from_secs(1)),
            ..Default::default()
        },
        &[],
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
    let cut = r.ad().await;
    assert_eq!(uac(&cut), UAC_BEFORE | 0x2, "disabled in AD");
    assert_ne!(cut.dn, r.user.dn, "moved to the disabled-users OU");
    assert!(member_of(&cut).is_empty(), "groups removed");

    // HR rescinds after the effective time, but this policy restores no rescind by itself
    // (`rescind_within_days = 0`): refused, recorded on the case and the operators told —
    // by mail, as the simulator delivered it — and nothing in AD changes.
    let rescind_id = event_id();
    let late = r
        .app
        .post_generic(&generic_rescind(&rescind_id, &ended.case.source_event_id))
        .await;
    assert_eq!(late.status, 409, "{}", late.json);
    assert_eq!(late.json["caseId"], id.as_str(), "{}", late.json);
    const LATE: &str = "Termination rescinded by HR but not restored";
    r.app.wait_log(Duration::from_secs(60), LATE).await;
    let log = r.app.handler_log();
    let told = log.lines().find(|l| l.contains(LATE)).expect("the notice");
    assert!(told.contains(&rescind_id), "{told}");
    assert!(told.contains("/restore"), "{told}");
    let recorded: VerifiedPacket = r.app.get(&format!("/api/cases/{id}/evidence")).await.body();
    assert!(recorded.verification.ok, "{:?}", recorded.verification);
    assert!(
        recorded
            .packet
            .expect("packet")
            .records
            .iter()
            .any(|rec| rec.body.step == "rescind"
                && rec
                    .body
                    .reason
                    .as_deref()
                    .is_some_and(|n| n.contains(&rescind_id))),
        "the late rescind is in the evidence"
    );
    assert_eq!(uac(&r.ad().await), UAC_BEFORE | 0x2, "still disabled in AD");

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
        "AD first: {:?}; the case: {:?}",
        accepted.restore.steps,
        r.app.timeline(&id).await.case.plan
    );
    assert_eq!(
        accepted.restore.steps[1].kind,
        StepKind::Restore(RestoreAction::AdGroupsAndOu),
        "then its OU and groups"
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
    for a in [RestoreAction::AdEnable, RestoreAction::AdGroupsAndOu] {
        let s = restored
            .case
            .plan
            .as_ref()
            .and_then(|p| p.step(StepKind::Restore(a)))
            .expect("planned");
        assert_eq!(s.status, StepStatus::Verified, "{a}: {s:?}");
    }
    // Samba says so: enabled, every other bit as before, back in its OU and its groups.
    let back = r.ad().await;
    assert_eq!(uac(&back), UAC_BEFORE);
    assert!(
        back.dn.eq_ignore_ascii_case(&r.user.dn),
        "{} back at {}",
        back.dn,
        r.user.dn
    );
    let mut want: Vec<String> = r.groups.iter().map(|g| g.to_ascii_lowercase()).collect();
    want.sort();
    assert_eq!(member_of(&back), want, "back in its AD groups");
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

    // A second restore finds everything back: Samba's update sequence number of the account
    // does not move.
    let usn = attr(&r.ad().await, "uSNChanged");
    let again = r
        .app
        .client
        .post(format!("{}/api/cases/{id}/restore", r.app.base_url()))
        .header("x-functions-key", &r.app.function_key)
        .bearer_auth(&r.app.operator_token)
        .json(&json!({"reason": "checked again"}))
        .send()
        .await
        .expect("request");
    assert_eq!(again.status().as_u16(), 202);
    done_again(&r.app, &id, 2).await;
    let still = r.ad().await;
    assert_eq!(
        attr(&still, "uSNChanged"),
        usn,
        "the second restore changed nothing in AD"
    );
    assert_eq!(member_of(&still), want);

    sync.stop().await;
    agent.stop().await;
    r.app.shutdown().await;
}

/// The account's direct AD groups (lower-case DNs, sorted), as Samba reads them.
fn member_of(e: &ldap3::SearchEntry) -> Vec<String> {
    let mut v: Vec<String> = e
        .attrs
        .get("memberOf")
        .map(|v| v.iter().map(|g| g.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The first mail the simulator accepted whose subject contains `subject`, waiting up to a
/// minute for the notify queue to deliver it.
async fn wait_for_mail(app: &TestApp, subject: &str) -> standin_tenant::model::SentMail {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(m) = app
            .sim
            .state()
            .sent_mail
            .into_iter()
            .find(|m| m.subject.contains(subject))
        {
            return m;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail about {subject:?}; the handler said: {}",
            app.handler_log()
                .lines()
                .filter(|l| l.contains("RestoreLost")
                    || l.contains("sendMail")
                    || l.contains("Your access"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
