//! Guard rails end to end, on both backends: the blast-radius brake holds what is past its
//! limit until an operator approves, a protected person is held, the person who raised a
//! termination cannot approve it, an operator's own dismissal for cause is never held, and a
//! hold nobody decides expires to `rejected`. What did or did not change is read from the
//! tenant simulator's state and request log, not from offboard's records.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use offboard_api::CaseTimeline;
use offboard_core::case::{ActorKind, CaseStatus, HoldReason};
use offboard_service::settings;
use offboard_testkit::leavers::{seed_leavers, terminate};
use offboard_testkit::{Backend, SimConfig, TestApp, spawn_app_with};
use standin_tenant::demo::ids::{GRADY, ISAIAH};
use standin_tenant::demo::role_ids;
use standin_tenant::model::RoleAssignment;

use crate::helpers::event_id;
use crate::on_every_backend;
use crate::pipeline::{finished, only_removable_groups};

const OTTO: &str = offboard_testkit::OPERATOR_UPN;
const ADA: &str = offboard_testkit::AUDITOR_UPN;

/// Waits until case `id` is held, then approves it as the test app's operator.
pub(crate) async fn approve_when_held(app: &TestApp, id: &str) {
    held(app, id).await;
    let (status, body) = decide(app, id, "approve", None, "checked with HR").await;
    assert_eq!(status, 200, "{body}");
}

async fn held(app: &TestApp, id: &str) -> CaseTimeline {
    app.wait_case(id, Duration::from_secs(120), |c| {
        c.case.status == CaseStatus::AwaitingApproval
    })
    .await
}

/// `POST /api/cases/{id}/{verb}` with a reason, as `bearer` (the test app's operator if none).
async fn decide(
    app: &TestApp,
    id: &str,
    verb: &str,
    bearer: Option<&str>,
    reason: &str,
) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/cases/{id}/{verb}", app.base_url()))
        .header("x-functions-key", &app.function_key)
        .json(&json!({ "reason": reason }));
    // Without a named operator, the test app's own operator decides.
    req = req.bearer_auth(bearer.unwrap_or(&app.operator_token));
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

/// What the tenant holds about a user: the account, its groups, app roles, directory roles
/// and mailbox — compared before and after to show a held case changed nothing.
fn tenant_view(app: &TestApp, user: &str) -> Value {
    let t = app.sim.state();
    json!({
        "user": t.user(user),
        "groups": t.groups.iter().filter(|g| g.members.iter().any(|m| m == user)).map(|g| &g.id).collect::<Vec<_>>(),
        "appRoles": t.app_role_assignments.iter().filter(|a| a.principal_id == user).map(|a| &a.id).collect::<Vec<_>>(),
        "roles": t.role_assignments.iter().filter(|a| a.principal_id == user).map(|a| &a.id).collect::<Vec<_>>(),
        "mailbox": t.mailbox(user),
    })
}

/// Requests other than reads that named `user` in their path.
fn writes_naming(app: &TestApp, user: &str) -> Vec<String> {
    app.sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && r.path.contains(user))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn enabled(app: &TestApp, user: &str) -> bool {
    app.sim
        .state()
        .user(user)
        .expect("the user exists")
        .account_enabled
}

/// An operator termination (`POST /api/offboardings`) raised as `bearer`: accepted, its case id.
async fn raise(app: &TestApp, bearer: &str, body: Value) -> String {
    let resp = app
        .client
        .post(format!("{}/api/offboardings", app.base_url()))
        .header("x-functions-key", &app.function_key)
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 202);
    let receipt: Value = resp.json().await.expect("receipt");
    receipt["caseId"].as_str().expect("case id").to_owned()
}

fn employee_id(app: &TestApp, user: &str) -> String {
    app.sim
        .state()
        .user(user)
        .and_then(|u| u.employee_id.clone())
        .expect("the demo user has an employee id")
}

fn is_done(c: &CaseTimeline) -> bool {
    matches!(
        c.case.status,
        CaseStatus::Completed | CaseStatus::CompletedWithExceptions
    )
}

/// The built-in policy with `changes` applied, written to a file in `dir`.
pub(crate) fn policy_file(dir: &std::path::Path, changes: &[(&str, &str)]) -> String {
    let mut text = offboard_core::policy::DEFAULT_POLICY.to_owned();
    for (from, to) in changes {
        assert!(text.contains(from), "the built-in policy has `{from}`");
        text = text.replace(from, to);
    }
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).expect("policy file");
    path.display().to_string()
}

/// offboard with sign-in (the Entra ID stand-in) and a policy changed by `changes`.
pub(crate) async fn app_with(
    backend: Backend,
    changes: &[(&str, &str)],
) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = policy_file(dir.path(), changes);
    let app = spawn_app_with(backend, SimConfig::default(), |s| {
        s.insert(settings::OFFBOARD_POLICY_FILE.into(), policy);
    })
    .await;
    (app, dir)
}

const BRAKE_NOTICE: &str = "Terminations held: blast-radius brake";

on_every_backend!(
    thirty_terminations_at_once_trip_the_brake_and_run_only_after_approval,
    |app: TestApp| async move {
        // The built-in policy: at most 25 terminations per source in 60 minutes.
        let leavers = seed_leavers(&app, 30, "brake").expect("leavers");
        let before: Vec<Value> = leavers.iter().map(|l| tenant_view(&app, &l.id)).collect();
        let sent = std::time::Instant::now();
        let ids: Vec<String> = join_all(leavers.iter().map(|l| terminate(&app, l)))
            .await
            .into_iter()
            .map(|r| r.expect("accepted").0.to_string())
            .collect();
        println!("30 terminations sent in {:?}", sent.elapsed());
        let settled = join_all(ids.iter().map(|id| {
            // A ceiling, not a timing: on a shared machine the Azure run of thirty can be slow.
            app.wait_case(id, Duration::from_secs(900), |c| {
                is_done(c) || c.case.status == CaseStatus::AwaitingApproval
            })
        }))
        .await;
        let held: Vec<usize> = (0..30)
            .filter(|i| settled[*i].case.status == CaseStatus::AwaitingApproval)
            .collect();
        assert_eq!(held.len(), 5, "25 run, 5 are held");
        for &i in &held {
            let c = &settled[i].case;
            assert_eq!(
                c.approval.as_ref().expect("a hold").hold.reason,
                HoldReason::Brake
            );
            assert!(c.plan.is_none(), "nothing planned for a held case");
            assert_eq!(
                tenant_view(&app, &leavers[i].id),
                before[i],
                "the tenant is unchanged for a held leaver"
            );
            assert!(
                writes_naming(&app, &leavers[i].id).is_empty(),
                "{:?}",
                writes_naming(&app, &leavers[i].id)
            );
        }
        for i in (0..30).filter(|i| !held.contains(i)) {
            assert!(!enabled(&app, &leavers[i].id), "an admitted leaver is cut");
        }
        // Operators are told once, with the cases that already started in the window.
        app.wait_log(Duration::from_secs(30), BRAKE_NOTICE).await;
        let log = app.handler_log();
        assert_eq!(
            log.matches(BRAKE_NOTICE).count(),
            1,
            "one notice per window"
        );
        let notice = log
            .lines()
            .find(|l| l.contains(BRAKE_NOTICE))
            .expect("the notice");
        let started = (0..30)
            .filter(|i| !held.contains(i))
            .filter(|i| notice.contains(&ids[*i]))
            .count();
        assert!(
            started >= 10,
            "the notice names a sample of the started cases: {notice}"
        );

        // Approved, they run.
        for &i in &held {
            let (status, body) = decide(
                &app,
                &ids[i],
                "approve",
                None,
                "bulk leavers confirmed by HR",
            )
            .await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["approval"]["decision"]["by"]["kind"], "person");
            assert_eq!(
                body["approval"]["decision"]["by"]["name"],
                offboard_testkit::OPERATOR_UPN
            );
        }
        for &i in &held {
            let c = app
                .wait_case(&ids[i], Duration::from_secs(600), is_done)
                .await;
            assert!(c.case.approval.unwrap().decision.unwrap().approved);
            assert!(
                !enabled(&app, &leavers[i].id),
                "approved, the leaver is cut"
            );
        }
        app.shutdown().await;
    }
);

async fn protected_person_held_and_four_eyes(backend: Backend) {
    let (app, _dir) = app_with(backend, &[]).await;
    only_removable_groups(&app, ISAIAH);
    // Isaiah is also a Helpdesk Administrator, a role Microsoft labels privileged (his Exchange
    // Administrator role is not labelled).
    app.sim.with_state(|t| {
        t.role_assignments.push(RoleAssignment {
            id: "helpdesk-isaiah".to_owned(),
            principal_id: ISAIAH.to_owned(),
            role_definition_id: role_ids::HELPDESK_ADMINISTRATOR.to_owned(),
            directory_scope_id: "/".to_owned(),
        })
    });
    let otto = app.token(OTTO, &["Offboard.Operator"]);
    let ada = app.token(ADA, &["Offboard.Operator"]);
    let before = tenant_view(&app, ISAIAH);

    // Otto raises a termination of Isaiah, a Helpdesk Administrator (a privileged role).
    let id = raise(&app, &otto, json!({"employee": {"employeeId": employee_id(&app, ISAIAH)}, "kind": "involuntary", "requestId": event_id()})).await;
    let c = held(&app, &id).await.case;
    let hold = c.approval.expect("a hold").hold;
    assert_eq!(hold.reason, HoldReason::Protected);
    assert!(
        hold.detail.contains("Helpdesk Administrator"),
        "{}",
        hold.detail
    );
    assert_eq!(c.raised_by.expect("raised by").name.as_deref(), Some(OTTO));
    assert_eq!(tenant_view(&app, ISAIAH), before, "held: nothing changed");
    assert!(writes_naming(&app, ISAIAH).is_empty());

    // Four eyes: Otto cannot approve his own request; Ada can.
    let (status, body) = decide(&app, &id, "approve", Some(&otto), "he is leaving").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        app.timeline(&id).await.case.status,
        CaseStatus::AwaitingApproval
    );
    let (status, body) = decide(
        &app,
        &id,
        "approve",
        Some(&ada),
        "confirmed with his manager",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let c = finished(&app, &id).await.case;
    let decision = c.approval.unwrap().decision.unwrap();
    assert_eq!(decision.by.kind, ActorKind::Person);
    assert_eq!(decision.by.name.as_deref(), Some(ADA));
    // Approved, the case ran: his role is gone. (Sign-in stays: the app's User Administrator
    // role cannot disable a privileged admin, and the case says so with an exception.)
    assert!(app.sim.state().roles_of(ISAIAH).is_empty());
    assert!(!writes_naming(&app, ISAIAH).is_empty());

    // The kill switch: Otto's own dismissal for cause of a Global Administrator is not held.
    only_removable_groups(&app, GRADY);
    let kill = finished(&app, &raise(&app, &otto, json!({"employee": {"employeeId": employee_id(&app, GRADY)}, "kind": "for_cause", "reason": "ticket SEC-9", "requestId": event_id()})).await).await;
    assert!(
        kill.case
            .history
            .iter()
            .all(|h| h.status != CaseStatus::AwaitingApproval),
        "never held"
    );
    assert!(kill.case.plan.is_some());
    assert!(!writes_naming(&app, GRADY).is_empty(), "it ran at once");
    app.shutdown().await;
}

/// Johanna, given what `seed` adds to the tenant, is terminated by an operator: the case is
/// held as a protected person `because`, nothing is planned and nothing in the tenant changes.
async fn johanna_held_as_protected(
    backend: Backend,
    seed: impl FnOnce(&mut standin_tenant::Tenant),
    because: &str,
) {
    use crate::pipeline::JOHANNA;
    let (app, _dir) = app_with(backend, &[]).await;
    only_removable_groups(&app, JOHANNA);
    assert!(
        app.sim.state().roles_of(JOHANNA).is_empty(),
        "no active role"
    );
    app.sim.with_state(seed);
    let before = tenant_view(&app, JOHANNA);
    let id = raise(&app, &app.operator_token, json!({"employee": {"employeeId": employee_id(&app, JOHANNA)}, "kind": "involuntary", "requestId": event_id()})).await;
    let c = held(&app, &id).await.case;
    let hold = c.approval.expect("a hold").hold;
    assert_eq!(hold.reason, HoldReason::Protected);
    assert!(hold.detail.contains(because), "{}", hold.detail);
    assert!(c.plan.is_none(), "nothing planned for a held case");
    assert_eq!(tenant_view(&app, JOHANNA), before, "held: nothing changed");
    assert!(writes_naming(&app, JOHANNA).is_empty());
    app.shutdown().await;
}

/// A leaver who holds no privileged role but is PIM-eligible for one (Johanna, eligible for
/// Helpdesk Administrator) can activate it in minutes: she is held as a protected person,
/// and nothing in the tenant changes.
async fn eligible_only_held(backend: Backend) {
    johanna_held_as_protected(
        backend,
        |t| {
            t.role_eligibility_schedules
                .push(standin_tenant::model::RoleEligibility {
                    id: "eligible-helpdesk-johanna".to_owned(),
                    principal_id: crate::pipeline::JOHANNA.to_owned(),
                    role_definition_id: role_ids::HELPDESK_ADMINISTRATOR.to_owned(),
                    directory_scope_id: "/".to_owned(),
                    created_date_time: chrono::Utc::now(),
                })
        },
        "eligible (PIM) for privileged role Helpdesk Administrator",
    )
    .await;
}

/// A leaver eligible under PIM for Groups for a role-assignable group that holds a privileged
/// role (Johanna, eligible for membership of "Helpdesk Tier 1", which holds Helpdesk
/// Administrator) can take the role by activating the membership: she is held too.
async fn group_eligible_held(backend: Backend) {
    use standin_tenant::demo::ids::GROUP_ROLE_ASSIGNABLE;
    johanna_held_as_protected(
        backend,
        |t| {
            t.role_assignments.push(RoleAssignment {
                id: "tier1-helpdesk".to_owned(),
                principal_id: GROUP_ROLE_ASSIGNABLE.to_owned(),
                role_definition_id: role_ids::HELPDESK_ADMINISTRATOR.to_owned(),
                directory_scope_id: "/".to_owned(),
            });
            t.group_eligibility_schedules
                .push(standin_tenant::model::GroupEligibility {
                    id: format!("{GROUP_ROLE_ASSIGNABLE}_member_johanna"),
                    principal_id: crate::pipeline::JOHANNA.to_owned(),
                    group_id: GROUP_ROLE_ASSIGNABLE.to_owned(),
                    access_id: "member".to_owned(),
                    created_date_time: chrono::Utc::now(),
                })
        },
        "eligible (PIM) for member of group Helpdesk Tier 1, which holds privileged role Helpdesk Administrator",
    )
    .await;
}

#[tokio::test]
async fn a_leaver_eligible_for_a_group_holding_a_privileged_role_is_held_embedded() {
    group_eligible_held(Backend::Embedded).await;
}

#[tokio::test]
async fn a_leaver_eligible_for_a_group_holding_a_privileged_role_is_held_azure() {
    group_eligible_held(Backend::Azure).await;
}

#[tokio::test]
async fn a_leaver_only_eligible_for_a_privileged_role_is_held_embedded() {
    eligible_only_held(Backend::Embedded).await;
}

#[tokio::test]
async fn a_leaver_only_eligible_for_a_privileged_role_is_held_azure() {
    eligible_only_held(Backend::Azure).await;
}

#[tokio::test]
async fn a_protected_person_is_held_and_the_raiser_cannot_approve_embedded() {
    protected_person_held_and_four_eyes(Backend::Embedded).await;
}

#[tokio::test]
async fn a_protected_person_is_held_and_the_raiser_cannot_approve_azure() {
    protected_person_held_and_four_eyes(Backend::Azure).await;
}

async fn a_hold_expires(backend: Backend) {
    let (app, _dir) = app_with(
        backend,
        &[("expire_after_minutes = 4320", "expire_after_minutes = 1")],
    )
    .await;
    let before = tenant_view(&app, GRADY);
    let body = json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"eventId": event_id(), "employee": {"employeeId": employee_id(&app, GRADY)},
                 "effectiveAt": chrono::Utc::now().to_rfc3339(), "kind": "involuntary"}
    });
    let a = app.post_generic(&body).await;
    assert_eq!(a.status, 202, "{}", a.json);
    let id = a.json["caseId"].as_str().expect("case id").to_owned();
    held(&app, &id).await;
    let c = app
        .wait_case(&id, Duration::from_secs(150), |c| {
            c.case.status == CaseStatus::Rejected && c.timeline.evidence.seal_hash.is_some()
        })
        .await;
    let decision = c.case.approval.unwrap().decision.unwrap();
    assert!(!decision.approved);
    assert_eq!(decision.by.kind, ActorKind::Offboard);
    assert!(c.case.plan.is_none());
    assert_eq!(tenant_view(&app, GRADY), before, "expired: nothing changed");
    assert!(writes_naming(&app, GRADY).is_empty());
    app.wait_log(
        Duration::from_secs(30),
        "Held termination expired and was rejected",
    )
    .await;
    // Too late to approve.
    let (status, body) = decide(&app, &id, "approve", None, "sorry, was away").await;
    assert_eq!(status, 409, "{body}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_held_case_expires_to_rejected_embedded() {
    a_hold_expires(Backend::Embedded).await;
}

#[tokio::test]
async fn a_held_case_expires_to_rejected_azure() {
    a_hold_expires(Backend::Azure).await;
}
