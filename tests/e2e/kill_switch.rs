//! The kill switch end to end: a signed termination due now has the leaver's sign-in cut by
//! the intake request itself — blocked (or disabled in AD through the agent) and revoked,
//! both read back — before HR gets its `202`, which says so. The queued steps then find the
//! work done and send nothing; when the cut cannot finish (throttled, over its budget) the
//! queue does it, once. A scheduled case released by the timer takes the same path.
//!
//! Every assertion reads the real systems: the tenant simulator's state and request log, AD
//! through an independent admin session, the case store and the evidence API. No timing is
//! asserted (the latency benchmark measures it).

use offboard_api::{CaseReceipt, CaseTimeline, SignInCutStatus, VerifiedPacket};
use offboard_core::case::CaseStatus;
use offboard_core::evidence::{EvidenceRecord, Outcome};
use offboard_core::ids::CaseId;
use offboard_core::plan::{Step, StepKind, StepStatus};
use offboard_testkit::{Backend, TestApp, spawn_app_with};
use serde_json::json;
use standin_tenant::SimConfig;
use std::time::Duration;

use crate::helpers::*;
use crate::hybrid::{DIEGO, UAC_BEFORE, must, rig, uac};
use crate::on_every_backend;
use crate::pipeline::{ADELE, finished, no_write_twice, only_removable_groups, upn, writes_about};

/// A signed termination of `kind` of `employee_id`, effective `effective_at`; the answer.
async fn terminate_at(
    app: &TestApp,
    employee_id: &str,
    effective_at: &str,
    kind: &str,
) -> CaseReceipt {
    let body = json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"eventId": event_id(), "employee": {"employeeId": employee_id},
                 "effectiveAt": effective_at, "kind": kind}
    });
    let a = app.post_generic(&body).await;
    assert_eq!(a.status, 202, "{}", a.json);
    a.body()
}

async fn terminate_now(app: &TestApp, employee_id: &str) -> CaseReceipt {
    terminate_at(
        app,
        employee_id,
        &chrono::Utc::now().to_rfc3339(),
        "involuntary",
    )
    .await
}

/// Successful requests to Graph whose path ends with `tail` and that sent `member` (if any).
fn successful(app: &TestApp, user: &str, method: &str, tail: &str, member: Option<&str>) -> usize {
    app.sim
        .requests()
        .iter()
        .filter(|r| (200..300).contains(&r.status) && r.method == method)
        .filter(|r| r.path.contains(user) && r.path.ends_with(tail))
        .filter(|r| member.is_none_or(|m| r.body.as_ref().is_some_and(|b| b.get(m).is_some())))
        .count()
}

/// Successful `PATCH /users/{id}` with `accountEnabled`, and `POST …/revokeSignInSessions`.
fn cut_writes(app: &TestApp, user: &str) -> (usize, usize) {
    (
        successful(app, user, "PATCH", user, Some("accountEnabled")),
        successful(app, user, "POST", "/revokeSignInSessions", None),
    )
}

/// The case as stored (its `signInCut` is not part of the API's timeline).
async fn stored(app: &TestApp, id: &CaseId) -> offboard_core::Case {
    app.cases.get(id).await.unwrap().expect("the case").value
}

fn step(case: &CaseTimeline, kind: StepKind) -> &Step {
    case.case
        .plan
        .as_ref()
        .and_then(|p| p.step(kind))
        .unwrap_or_else(|| panic!("no step {kind} in {:?}", case.case.plan))
}

fn completed(case: &CaseTimeline) {
    assert_eq!(
        case.case.status,
        CaseStatus::Completed,
        "{:?}",
        case.case.plan
    );
}

/// The case's evidence packet, which must verify.
async fn evidence(app: &TestApp, id: &str) -> VerifiedPacket {
    let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
    assert_eq!(ev.status, 200, "{}", ev.json);
    let ev: VerifiedPacket = ev.body();
    assert!(ev.verification.ok, "{:?}", ev.verification);
    ev
}

/// Whether `r` announces a change before it was sent (`engine/journal.rs`).
fn is_announcement(r: &EvidenceRecord) -> bool {
    r.body
        .details
        .as_ref()
        .is_some_and(|d| d["announced"] == true)
}

/// The records of `step` in order, without the announcements made before each change.
fn records<'a>(ev: &'a VerifiedPacket, step: &str) -> Vec<&'a EvidenceRecord> {
    ev.packet
        .as_ref()
        .expect("a packet")
        .records
        .iter()
        .filter(|r| r.body.step == step && !is_announcement(r))
        .collect()
}

/// The announcements of `step` made by the inline cut (attempt 0).
fn announced_inline<'a>(ev: &'a VerifiedPacket, step: &str) -> Vec<&'a EvidenceRecord> {
    ev.packet
        .as_ref()
        .expect("a packet")
        .records
        .iter()
        .filter(|r| r.body.step == step && is_announcement(r))
        .filter(|r| r.body.details.as_ref().is_some_and(|d| d["attempt"] == 0))
        .collect()
}

/// The queued steps of the cut recorded it as already verified: one record each saying so,
/// pointing at the cut's own record, which is the step's evidence on the plan.
async fn queued_steps_found_it_done(app: &TestApp, receipt: &CaseReceipt, kinds: [StepKind; 2]) {
    let id = receipt.case_id.as_str();
    let case = finished(app, id).await;
    let cut = stored(app, &receipt.case_id)
        .await
        .sign_in_cut
        .expect("the case keeps the cut");
    let ev = evidence(app, id).await;
    for kind in kinds {
        let s = step(&case, kind);
        assert_eq!(s.status, StepStatus::Verified, "{kind}: {s:?}");
        let done = cut
            .steps
            .iter()
            .find(|c| c.kind == kind)
            .unwrap_or_else(|| panic!("the cut ran {kind}: {cut:?}"));
        assert_eq!(s.evidence_seq, done.evidence_seq, "{kind}");
        let recs = records(&ev, kind.as_str());
        assert_eq!(
            recs.len(),
            2,
            "{kind}: the cut's record and the step's: {recs:?}"
        );
        assert_eq!(
            recs[0].body.outcome,
            Outcome::Verified,
            "{kind}: {:?}",
            recs[0]
        );
        assert_eq!(Some(recs[0].seq), done.evidence_seq, "{kind}");
        assert_eq!(
            recs[1].body.outcome,
            Outcome::Noted,
            "{kind}: {:?}",
            recs[1]
        );
        assert!(
            recs[1]
                .body
                .action
                .contains("already verified by the sign-in cut at intake"),
            "{kind}: {:?}",
            recs[1]
        );
        if kind != StepKind::AdDisable {
            // The cut's change was in the evidence before it was sent (AD commands carry the
            // agent's own marker instead).
            let announced = announced_inline(&ev, kind.as_str());
            assert_eq!(announced.len(), 1, "{kind}: {announced:?}");
            assert!(announced[0].seq < recs[0].seq, "{kind}");
        }
    }
}

on_every_backend!(
    the_cut_is_verified_before_the_answer_and_the_queued_steps_send_nothing,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        let body = json!({
            "type": "employee.terminated",
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "data": {"eventId": event_id(), "employee": {"employeeId": "E1001"},
                     "effectiveAt": chrono::Utc::now().to_rfc3339(), "kind": "involuntary"}
        });
        let sent = chrono::Utc::now();
        let a = app.post_generic(&body).await;
        assert_eq!(a.status, 202, "{}", a.json);
        let r: CaseReceipt = a.body();
        let cut = r.sign_in_cut.clone().expect("the answer reports the cut");
        assert_eq!(cut.status, SignInCutStatus::Verified, "{cut:?}");
        assert!(cut.at.is_some() && cut.reason.is_none(), "{cut:?}");
        // When HR has its answer, the tenant already refuses the leaver.
        let u = app.sim.state().user(ADELE).unwrap().clone();
        assert!(!u.account_enabled, "blocked before the answer");
        // Entra stamps the revocation in whole seconds.
        assert!(
            u.sign_in_sessions_valid_from_date_time >= sent - chrono::Duration::seconds(1),
            "revoked before the answer"
        );
        assert_eq!(cut_writes(&app, ADELE), (1, 1));

        queued_steps_found_it_done(&app, &r, [StepKind::BlockSignIn, StepKind::RevokeSessions])
            .await;
        let case = finished(&app, r.case_id.as_str()).await;
        completed(&case);
        // The queued steps wrote nothing: still exactly one block and one revocation, and no
        // action of the whole case twice.
        assert_eq!(cut_writes(&app, ADELE), (1, 1));
        no_write_twice(&writes_about(&app, ADELE, &upn(&app, ADELE)));
        // A redelivery of the same request answers with the same cut and changes nothing.
        let again = app.post_generic(&body).await;
        assert_eq!(again.status, 202, "{}", again.json);
        let again: CaseReceipt = again.body();
        assert!(again.duplicate);
        assert_eq!(again.sign_in_cut, r.sign_in_cut);
        assert_eq!(cut_writes(&app, ADELE), (1, 1));
    }
);

on_every_backend!(
    a_throttled_cut_is_left_to_the_queue_which_does_it_once,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        // No write admitted: reads (the resolution, the account) pass, the block is refused.
        app.sim.set_write_quota(0, Duration::from_secs(2));
        let r = terminate_now(&app, "E1001").await;
        let cut = r.sign_in_cut.clone().expect("the answer reports the cut");
        assert_eq!(cut.status, SignInCutStatus::Queued, "{cut:?}");
        let why = cut.reason.unwrap_or_default();
        assert!(why.contains("throttled"), "{why}");
        assert!(app.sim.state().user(ADELE).unwrap().account_enabled);
        assert_eq!(cut_writes(&app, ADELE), (0, 0));
        let refused = app
            .sim
            .requests()
            .iter()
            .filter(|q| q.status == 429 && q.path.ends_with(ADELE) && q.method == "PATCH")
            .count();
        assert!(refused >= 1, "the cut's block was throttled");

        app.sim.set_write_quota(3_000, Duration::from_secs(150));
        let case = finished(&app, r.case_id.as_str()).await;
        completed(&case);
        assert!(!app.sim.state().user(ADELE).unwrap().account_enabled);
        assert_eq!(cut_writes(&app, ADELE), (1, 1), "done once, by the queue");
        no_write_twice(&writes_about(&app, ADELE, &upn(&app, ADELE)));
        // Nothing throttled was recorded as an action; the queued step's record verified.
        let ev = evidence(&app, r.case_id.as_str()).await;
        let block = records(&ev, "block-sign-in");
        assert_eq!(block.len(), 1, "{block:?}");
        assert_eq!(block[0].body.outcome, Outcome::Verified);
    }
);

/// The cut may take 100 ms; every Graph answer takes 150 ms.
async fn slow_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, SimConfig::default(), |s| {
        s.insert("OFFBOARD_SIGN_IN_CUT_BUDGET_MS".into(), "100".into());
    })
    .await
}

async fn over_budget(app: TestApp) {
    only_removable_groups(&app, ADELE);
    let mut slow = app.sim.settings();
    slow.latency_ms = 150;
    app.sim.set_settings(slow.clone());
    let r = terminate_now(&app, "E1001").await;
    let cut = r.sign_in_cut.clone().expect("the answer reports the cut");
    assert_eq!(cut.status, SignInCutStatus::Queued, "{cut:?}");
    let why = cut.reason.unwrap_or_default();
    assert!(why.contains("100 ms budget"), "{why}");

    slow.latency_ms = 0;
    app.sim.set_settings(slow);
    let case = finished(&app, r.case_id.as_str()).await;
    completed(&case);
    assert!(!app.sim.state().user(ADELE).unwrap().account_enabled);
    assert_eq!(cut_writes(&app, ADELE), (1, 1), "done once");
    no_write_twice(&writes_about(&app, ADELE, &upn(&app, ADELE)));
    let stored = stored(&app, &r.case_id).await;
    let kept = stored.sign_in_cut.expect("the case keeps the cut");
    assert!(
        kept.finished_at.is_some() && kept.lease_until.is_none(),
        "{kept:?}"
    );
}

mod a_cut_over_its_budget_is_left_to_the_queue_and_nothing_is_done_twice {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        over_budget(slow_app(Backend::Embedded).await).await;
    }
    #[tokio::test]
    async fn azure() {
        over_budget(slow_app(Backend::Azure).await).await;
    }
}

on_every_backend!(
    a_scheduled_case_released_by_the_timer_is_cut_the_same_way,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        // A resignation follows HR's time (an involuntary termination is effective at once).
        // Due in 12 s: still in the future when intake answers on a loaded machine.
        let r = terminate_at(&app, "E1001", &in_secs(12), "voluntary").await;
        let cut = r.sign_in_cut.clone().expect("the answer reports the cut");
        assert_eq!(cut.status, SignInCutStatus::Scheduled, "{cut:?}");
        assert!(app.sim.state().user(ADELE).unwrap().account_enabled);
        assert_eq!(cut_writes(&app, ADELE), (0, 0));

        // The scheduler timer (every two seconds here) releases it when due.
        queued_steps_found_it_done(&app, &r, [StepKind::BlockSignIn, StepKind::RevokeSessions])
            .await;
        let case = stored(&app, &r.case_id).await;
        let cut = case.sign_in_cut.as_ref().unwrap();
        assert!(cut.verified_at().is_some(), "{cut:?}");
        assert!(
            case.history
                .iter()
                .any(|h| h.note.starts_with("sign-in cut inline and verified")),
            "{:?}",
            case.history
        );
        assert_eq!(cut_writes(&app, ADELE), (1, 1));
        no_write_twice(&writes_about(&app, ADELE, &upn(&app, ADELE)));
    }
);

/// The built-in policy with the inline cut off for involuntary terminations.
fn policy_without_inline_cut(dir: &std::path::Path) -> String {
    let builtin = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/policy.toml"),
    )
    .expect("config/policy.toml");
    assert!(builtin.contains("[kinds.involuntary]\n"));
    let text = builtin.replace(
        "[kinds.involuntary]\n",
        "[kinds.involuntary]\ninline_sign_in_cut = false\n",
    );
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn the_policy_can_leave_the_cut_to_the_queued_steps_per_kind() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_without_inline_cut(dir.path());
    let app = spawn_app_with(Backend::Embedded, SimConfig::default(), |s| {
        s.insert("OFFBOARD_POLICY_FILE".into(), policy);
    })
    .await;
    only_removable_groups(&app, ADELE);
    let r = terminate_now(&app, "E1001").await;
    let cut = r.sign_in_cut.clone().expect("the answer reports the cut");
    assert_eq!(cut.status, SignInCutStatus::Off, "{cut:?}");
    assert!(cut.reason.unwrap_or_default().contains("involuntary"));
    let case = finished(&app, r.case_id.as_str()).await;
    completed(&case);
    assert!(stored(&app, &r.case_id).await.sign_in_cut.is_none());
    assert_eq!(cut_writes(&app, ADELE), (1, 1), "done by the queued steps");
    let ev = evidence(&app, r.case_id.as_str()).await;
    let block = records(&ev, "block-sign-in");
    assert_eq!(block.len(), 1, "{block:?}");
    assert_eq!(block[0].body.outcome, Outcome::Verified);
}

#[tokio::test]
async fn a_synced_leaver_is_disabled_in_ad_through_the_agent_before_the_answer() {
    let r = rig(
        SimConfig {
            directory_sync_delay: Some(Duration::from_secs(1)),
            ..Default::default()
        },
        None,
    )
    .await;
    let _agent = must(r.hybrid.spawn_agent().await);
    let _sync = r.sync().await;
    assert_eq!(uac(&r.ad().await), UAC_BEFORE);

    let body = json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"eventId": event_id(), "employee": {"employeeId": r.user.employee_id},
                 "effectiveAt": chrono::Utc::now().to_rfc3339(), "kind": "for_cause"}
    });
    let a = r.app.post_generic(&body).await;
    assert_eq!(a.status, 202, "{}", a.json);
    let receipt: CaseReceipt = a.body();
    let cut = receipt
        .sign_in_cut
        .clone()
        .expect("the answer reports the cut");
    assert_eq!(cut.status, SignInCutStatus::Verified, "{cut:?}");
    // When HR has its answer, AD (read by the domain admin) has the account disabled and the
    // cloud sessions are revoked; the cloud account itself is never patched.
    assert_eq!(
        uac(&r.ad().await),
        UAC_BEFORE | 0x2,
        "disabled before the answer"
    );
    assert_eq!(cut_writes(&r.app, DIEGO), (0, 1));

    queued_steps_found_it_done(
        &r.app,
        &receipt,
        [StepKind::AdDisable, StepKind::RevokeSessions],
    )
    .await;
    let id = receipt.case_id.as_str();
    let case = r.finished(id, Duration::from_secs(240)).await;
    completed(&case);
    assert_eq!(
        step(&case, StepKind::VerifyCloudDisabled).status,
        StepStatus::Verified
    );
    assert_eq!(cut_writes(&r.app, DIEGO), (0, 1), "revoked once");
    // The AD disable was done once: the cut's record says it changed the account, and no
    // other AD record of the case disabled anything.
    let ev = evidence(&r.app, id).await;
    let disable = records(&ev, "ad-disable");
    assert_eq!(
        disable[0].body.outcome,
        Outcome::Verified,
        "{:?}",
        disable[0]
    );
    assert_eq!(disable[1].body.outcome, Outcome::Noted, "{:?}", disable[1]);
    assert_eq!(uac(&r.ad().await), UAC_BEFORE | 0x2);
}
