//! `delete-account` end to end on both backends, with a policy of 0 days so nothing waits: the
//! case ends and is sealed, the scheduler timer (every two seconds here) releases the
//! follow-up on the same case, the cloud account is deleted exactly once (the simulator's
//! request log) and read back from deleted items, the case is sealed a new generation, and
//! `offboard verify` checks the whole case and the ledger offline. A replayed step message
//! deletes nothing again.
//!
//! A synced leaver (hybrid: the real agent on Samba through the local relay, as `hybrid.rs`):
//! Graph refuses to delete a synced account, so with `synced_via_ad = true` and an agent whose
//! configuration allows deleting, the agent deletes the AD account (an independent admin LDAPS
//! search finds it no more) and the case is sealed a new generation; with `synced_via_ad =
//! false`, or an agent that does not allow deleting, the step is an exception naming what a
//! person must do, and the AD account stays.

use std::time::Duration;

use offboard_api::{CaseTimeline, VerifiedPacket, VerifyOutcome};
use offboard_core::case::CaseStatus;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_testkit::{Backend, TestApp};
use serde_json::json;

use crate::compliance::offboard_with_settings;
use crate::guardrails::policy_file;
use crate::hybrid::{DIEGO, Rig, UAC_BEFORE, details, must, read_back, records, rig_with, uac};
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
    // A deployment with account deletion on: its identity also holds User.ReadWrite.All.
    let sim = standin_tenant::SimConfig {
        seed: Some(standin_tenant::demo::demo_tenant_with_account_deletion()),
        ..Default::default()
    };
    let app = offboard_testkit::spawn_app_with(backend, sim, |s| {
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

// ---------------------------------------------------------------------------------------------
// A synced leaver, through the agent
// ---------------------------------------------------------------------------------------------

/// The built-in policy's `[delete_account]` turned on at 0 days, with `synced_via_ad`.
fn synced_policy(via_ad: bool) -> Vec<(&'static str, String)> {
    vec![
        (
            "enabled = false\nafter_days = 30",
            "enabled = true\nafter_days = 0".to_owned(),
        ),
        ("synced_via_ad = false", format!("synced_via_ad = {via_ad}")),
    ]
}

/// Diego (synced from the rig's AD account) terminated with an agent whose configuration has
/// `scope.allow_delete = allow_delete`, the directory-sync stand-in running: waits until the
/// case has ended with `delete-account` done, then stops the agent and the sync.
async fn synced_leaver_case(
    backend: Backend,
    via_ad: bool,
    allow_delete: bool,
) -> (Rig, String, CaseTimeline) {
    let r = rig_with(
        backend,
        standin_tenant::SimConfig {
            directory_sync_delay: Some(Duration::from_secs(2)),
            ..Default::default()
        },
        &synced_policy(via_ad),
    )
    .await;
    let agent = must(r.hybrid.spawn_agent_with(allow_delete).await);
    let sync = r.sync().await;
    assert_eq!(uac(&r.ad().await), UAC_BEFORE);
    let id = r.terminate().await;
    let done = deleted(&r.app, &id).await;
    sync.stop().await;
    agent.stop().await;
    (r, id, done)
}

/// How many accounts with the rig's sAMAccountName the domain admin finds anywhere under the
/// base DN (a deleted object is not returned without the show-deleted control).
async fn ad_accounts(r: &Rig) -> usize {
    let mut admin = must(r.samba.admin().await);
    let (entries, _) = admin
        .search(
            &r.samba.base_dn,
            ldap3::Scope::Subtree,
            &format!(
                "(&(objectClass=user)(sAMAccountName={}))",
                ldap3::ldap_escape(&r.user.sam)
            ),
            vec!["distinguishedName"],
        )
        .await
        .expect("LDAP search")
        .success()
        .expect("the search succeeds");
    let _ = admin.unbind().await;
    entries.len()
}

/// No DELETE of Diego's cloud account was sent: Graph refuses synced accounts, and offboard
/// never tries.
fn no_graph_delete_of_diego(r: &Rig) {
    let sent: Vec<_> = r
        .app
        .sim
        .requests()
        .into_iter()
        .filter(|q| q.method == "DELETE" && q.path == format!("/users/{DIEGO}"))
        .collect();
    assert!(sent.is_empty(), "{sent:?}");
}

async fn a_synced_leaver_is_deleted_in_ad(backend: Backend) {
    let (r, id, done) = synced_leaver_case(backend, true, true).await;
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

    // AD, read by the domain admin: the account is gone.
    assert_eq!(ad_accounts(&r).await, 0, "the AD account is deleted");
    no_graph_delete_of_diego(&r);

    // The evidence: the agent's delete with its read-back, on the same chain, sealed again.
    let ev = r.evidence(&id).await;
    let packet = ev.packet.as_ref().expect("packet");
    let seal = packet.seal.as_ref().expect("sealed");
    assert!(seal.generation >= 1, "sealed again: {}", seal.generation);
    assert_eq!(seal.records.len(), packet.records.len());
    let ours = records(&ev, "delete-account");
    let rec = ours
        .iter()
        .find(|b| b.outcome == offboard_core::evidence::Outcome::Verified)
        .unwrap_or_else(|| panic!("a verified delete-account record: {ours:?}"));
    assert_eq!(rec.target_system, "ad", "{rec:?}");
    assert_eq!(
        rec.request.as_ref().map(|q| q.method.as_str()),
        Some("LDAP delete"),
        "{rec:?}"
    );
    assert!(read_back(rec).matches, "{rec:?}");
    assert_eq!(read_back(rec).observed["adAccount"], "absent");
    let d = details(rec);
    assert_eq!(d["agent"]["name"], "e2e-agent", "{d}");
    let dn = d["adObject"].as_str().unwrap_or_default();
    assert!(
        dn.ends_with(&format!(",{}", r.samba.disabled_ou)),
        "the account deleted from where ad-cleanup moved it: {d}"
    );
    r.no_secrets_in("the evidence", &serde_json::to_string(&ev).unwrap());
    r.no_secrets_in("the handler's log", &r.app.handler_log());
    r.app.shutdown().await;
}

mod a_synced_leavers_ad_account_is_deleted_through_the_agent {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        a_synced_leaver_is_deleted_in_ad(Backend::Embedded).await;
    }
    #[tokio::test]
    async fn azure() {
        a_synced_leaver_is_deleted_in_ad(Backend::Azure).await;
    }
}

/// The step is an exception saying `says`, the AD account is still there (disabled, moved), and
/// nothing was deleted anywhere.
async fn kept_with_an_exception(r: &Rig, id: &str, done: &CaseTimeline, says: &[&str]) {
    assert_eq!(
        done.case.status,
        CaseStatus::CompletedWithExceptions,
        "{:?}",
        done.case.plan
    );
    let s = step(done, StepKind::DeleteAccount);
    assert_eq!(s.status, StepStatus::Exception, "{s:?}");
    assert_eq!(ad_accounts(r).await, 1, "the AD account is kept");
    let ad = r.ad().await;
    assert_eq!(uac(&ad), UAC_BEFORE | 0x2, "still disabled, nothing else");
    no_graph_delete_of_diego(r);
    let ev = r.evidence(id).await;
    let ours = records(&ev, "delete-account");
    let rec = ours
        .iter()
        .find(|b| b.outcome == offboard_core::evidence::Outcome::Exception)
        .unwrap_or_else(|| panic!("an exception record: {ours:?}"));
    let reason = rec.reason.as_deref().unwrap_or_default();
    for want in says {
        assert!(reason.contains(want), "`{want}` in {reason}");
    }
    r.no_secrets_in("the evidence", &serde_json::to_string(&ev).unwrap());
}

#[tokio::test]
async fn a_synced_leaver_is_an_exception_naming_the_ad_object_without_synced_via_ad() {
    // The agent would allow it; the policy does not ask it to.
    let (r, id, done) = synced_leaver_case(Backend::Embedded, false, true).await;
    // The object as Entra ID knows it (onPremisesDistinguishedName, which directory sync keeps).
    let dn = r
        .app
        .sim
        .state()
        .user(DIEGO)
        .and_then(|u| u.on_premises_distinguished_name.clone())
        .expect("Diego's onPremisesDistinguishedName");
    kept_with_an_exception(
        &r,
        &id,
        &done,
        &["synced_via_ad = false", "Delete the AD object", &dn],
    )
    .await;
    let ev = r.evidence(&id).await;
    let rec = records(&ev, "delete-account")
        .into_iter()
        .find(|b| b.outcome == offboard_core::evidence::Outcome::Exception)
        .expect("the exception record");
    assert_eq!(details(rec)["adObject"], dn.as_str());
    r.app.shutdown().await;
}

#[tokio::test]
async fn a_synced_leaver_is_an_exception_when_the_agent_does_not_allow_deleting() {
    let (r, id, done) = synced_leaver_case(Backend::Embedded, true, false).await;
    kept_with_an_exception(
        &r,
        &id,
        &done,
        &[
            "scope.allow_delete = false",
            "delete the AD object in Active Directory by hand",
        ],
    )
    .await;
    let ev = r.evidence(&id).await;
    let rec = records(&ev, "delete-account")
        .into_iter()
        .find(|b| b.outcome == offboard_core::evidence::Outcome::Exception)
        .expect("the exception record");
    assert_eq!(rec.target_system, "ad");
    assert_eq!(
        details(rec)["agentOutcome"]["outcome"],
        "refused",
        "{rec:?}"
    );
    r.app.shutdown().await;
}
