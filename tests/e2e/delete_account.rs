//! `delete-account` end to end on both backends, with a policy of 0 days so nothing waits: the
//! case ends and is sealed, the scheduler timer (every two seconds here) releases the
//! follow-up on the same case, the cloud account is deleted exactly once (the simulator's
//! request log) and read back from deleted items, the case is sealed a new generation, and
//! `offboard verify` checks the whole case and the ledger offline. A replayed step message
//! deletes nothing again.

use std::time::Duration;

use offboard_api::{CaseTimeline, VerifiedPacket, VerifyOutcome};
use offboard_core::case::CaseStatus;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_testkit::{Backend, TestApp};
use serde_json::json;

use crate::compliance::offboard_with_settings;
use crate::guardrails::policy_file;
use crate::pipeline::{ADELE, only_removable_groups, step, terminate};

/// The DELETEs of the user the simulator answered.
fn user_deletes(app: &TestApp) -> Vec<u16> {
    app.sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.path == format!("/users/{ADELE}"))
        .map(|r| r.status)
        .collect()
}

async fn deleted(app: &TestApp, id: &str) -> CaseTimeline {
    app.wait_case(id, Duration::from_secs(180), |c| {
        c.case
            .plan
            .as_ref()
            .and_then(|p| p.step(StepKind::DeleteAccount))
            .is_some_and(|s| s.status.is_terminal())
            && matches!(
                c.case.status,
                CaseStatus::Completed | CaseStatus::CompletedWithExceptions
            )
    })
    .await
}

async fn run(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = policy_file(
        dir.path(),
        &[(
            "enabled = false\nafter_days = 30",
            "enabled = true\nafter_days = 0",
        )],
    );
    let app = offboard_testkit::spawn_app_with(backend, Default::default(), |s| {
        s.insert("OFFBOARD_POLICY_FILE".into(), policy);
    })
    .await;
    only_removable_groups(&app, ADELE);

    // The dry run shows the follow-up and what it will do.
    let dry = app
        .post_offboarding(
            &json!({"dryRun": true, "employee": {"employeeId": "E1001"}, "kind": "involuntary"}),
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.json);
    let planned = dry.json["plan"]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("steps in {}", dry.json))
        .iter()
        .find(|s| s["kind"] == "delete-account")
        .cloned()
        .expect("delete-account in the dry run");
    assert_eq!(planned["status"], "scheduled", "{planned}");
    assert!(
        planned["preview"][0]
            .as_str()
            .unwrap()
            .contains("delete the cloud account"),
        "{planned}"
    );
    assert!(
        app.sim.state().user(ADELE).is_some(),
        "the dry run changed nothing"
    );

    let id = terminate(&app, "E1001").await;
    let done = deleted(&app, &id).await;
    assert_eq!(
        done.case.status,
        CaseStatus::Completed,
        "{:?}",
        done.case.plan
    );
    let s = step(&done, StepKind::DeleteAccount);
    assert_eq!(s.status, StepStatus::Verified, "{s:?}");
    assert!(
        done.case
            .history
            .iter()
            .any(|h| h.note.starts_with("follow-up due")),
        "reopened by the scheduler: {:?}",
        done.case.history
    );

    // The tenant: exactly one DELETE, the user in deleted items.
    assert_eq!(user_deletes(&app), vec![204]);
    {
        let t = app.sim.state();
        assert!(t.user(ADELE).is_none());
        assert!(t.deleted_users.iter().any(|u| u.id == ADELE));
    }

    // The evidence: the new records on the same chain, a new seal generation, verified.
    let ev: VerifiedPacket = app.get(&format!("/api/cases/{id}/evidence")).await.body();
    assert!(ev.verification.ok, "{:?}", ev.verification);
    let packet = ev.packet.expect("packet");
    let seal = packet.seal.as_ref().expect("sealed");
    assert!(seal.generation >= 1, "sealed again: {}", seal.generation);
    assert_eq!(
        seal.records.len(),
        packet.records.len(),
        "the seal covers every record"
    );
    let ours: Vec<_> = packet
        .records
        .iter()
        .filter(|r| r.body.step == "delete-account")
        .collect();
    assert!(
        ours.iter().any(|r| r
            .body
            .details
            .as_ref()
            .is_some_and(|d| d["announced"] == true)),
        "the DELETE was announced before it was sent: {ours:?}"
    );
    let rec = ours
        .iter()
        .find(|r| r.body.outcome == offboard_core::evidence::Outcome::Verified)
        .expect("a verified delete-account record");
    let details = rec.body.details.as_ref().expect("details");
    assert!(details["deletedDateTime"].is_string(), "{details}");
    assert!(details["goneForGoodAt"].is_string(), "{details}");
    assert!(rec.body.read_back.as_ref().is_some_and(|r| r.matches));

    // A replayed message deletes nothing again.
    app.enqueue(
        "step-delete-account",
        &json!({"caseId": id, "step": "delete-account", "attempt": 0}).to_string(),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app
        .queue
        .approximate_len("step-delete-account")
        .await
        .unwrap()
        > 0
    {
        assert!(std::time::Instant::now() < deadline, "replay not consumed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(user_deletes(&app), vec![204], "the replay deleted again");

    // Offline: the whole case and the ledger, every seal generation.
    let (code, out, err) = offboard_with_settings(&app, &["verify", "--case", &id, "--json"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let v: VerifyOutcome = serde_json::from_str(&out).expect("JSON");
    assert!(v.verification.ok, "{out}");
    let (code, out, err) = offboard_with_settings(&app, &["verify", "--ledger"]).await;
    assert_eq!(code, 0, "{out}{err}");
    app.shutdown().await;
}

mod a_leavers_account_is_deleted_by_a_follow_up_on_the_same_case {
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
