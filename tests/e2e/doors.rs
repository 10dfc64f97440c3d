//! The doors that stay open after the usual steps (issue 16), end to end: admin leavers whose
//! outcome does not depend on timing, and the delegated permission grants a leaver consented
//! to (`remove-oauth-grants`).

use std::collections::BTreeMap;
use std::time::Duration;

use offboard_core::case::CaseStatus;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_testkit::leavers::{Leaver, seed_leavers, terminate, wait_sealed};
use offboard_testkit::{Backend, SimConfig, TestApp, spawn_app_with};
use serde_json::{Value, json};
use standin_tenant::demo::{DEFAULT_GRAPH_APP_ROLES, role_ids};
use standin_tenant::demo_doors::ids as doors;
use standin_tenant::model::RoleAssignment;

use crate::helpers::event_id;
use crate::on_every_backend;
use crate::pipeline::{ADELE, finished, only_removable_groups};

/// The finished case as the API's JSON (status, plan with its steps).
async fn finished_json(app: &TestApp, id: &str) -> Value {
    serde_json::to_value(finished(app, id).await.case).unwrap()
}

/// How many admin leavers the determinism test runs.
const ADMINS: usize = 20;

/// Makes each leaver a Global Administrator: the app (a User Administrator) may then neither
/// disable nor reset them until the role is gone.
fn make_admins(app: &TestApp, leavers: &[Leaver]) -> Vec<String> {
    app.sim.with_state(|t| {
        leavers
            .iter()
            .map(|l| {
                let id = format!("ga-{}", l.id);
                t.role_assignments.push(RoleAssignment {
                    id: id.clone(),
                    principal_id: l.id.clone(),
                    role_definition_id: role_ids::GLOBAL_ADMINISTRATOR.to_owned(),
                    directory_scope_id: "/".to_owned(),
                });
                id
            })
            .collect()
    })
}

on_every_backend!(
    an_admin_leaver_ends_the_same_way_every_time,
    |app: TestApp| async move {
        let leavers = seed_leavers(&app, ADMINS, "adm").unwrap();
        let assignments = make_admins(&app, &leavers);
        // All at once, so the steps of different cases interleave as they would in a busy hour.
        let mut ids = Vec::new();
        for l in &leavers {
            ids.push(terminate(&app, l).await.unwrap().0);
        }
        // Global Administrators are protected people (the guard rails): each is held before
        // anything is changed, the inline sign-in cut included, until an operator approves.
        for id in &ids {
            crate::guardrails::approve_when_held(&app, id.as_str()).await;
        }
        let cases = wait_sealed(
            &app,
            &ids,
            Duration::from_secs(300),
            Duration::from_millis(500),
        )
        .await
        .unwrap();
        let outcome = |id| {
            let c = &cases[id];
            let steps: BTreeMap<StepKind, StepStatus> = c
                .plan
                .as_ref()
                .unwrap()
                .steps
                .iter()
                .map(|s| (s.kind, s.status))
                .collect();
            (c.status, steps)
        };
        let first = outcome(&ids[0]);
        for id in &ids {
            assert_eq!(outcome(id), first, "case {id} differs from case {}", ids[0]);
        }
        // And the same outcome is the right one: the roles go, then the account is cut.
        let (status, steps) = first;
        for k in [
            StepKind::RemoveDirectoryRoles,
            StepKind::BlockSignIn,
            StepKind::RevokeSessions,
            StepKind::ResetPassword,
        ] {
            assert_eq!(steps[&k], StepStatus::Verified, "{k}");
        }
        assert_eq!(status, CaseStatus::Completed, "{steps:?}");
        let state = app.sim.state();
        for (l, a) in leavers.iter().zip(&assignments) {
            assert!(state.roles_of(&l.id).is_empty(), "{} keeps a role", l.upn);
            assert!(!state.user(&l.id).unwrap().account_enabled, "{}", l.upn);
            // The tenant saw the role deleted before the account was changed, every time, and
            // no change to the account was refused: held at intake, the leaver was not cut
            // inline, and the plan takes the roles first.
            let log = app.sim.requests();
            let role_gone = log
                .iter()
                .position(|r| {
                    r.method == "DELETE" && r.path.ends_with(a.as_str()) && r.status == 204
                })
                .unwrap_or_else(|| panic!("{a} deleted"));
            let patches: Vec<(usize, u16)> = log
                .iter()
                .enumerate()
                .filter(|(_, r)| r.method == "PATCH" && r.path == format!("/users/{}", l.id))
                .map(|(i, r)| (i, r.status))
                .collect();
            let first_change = patches
                .iter()
                .find(|(_, s)| *s < 400)
                .unwrap_or_else(|| panic!("{} patched", l.upn))
                .0;
            assert!(
                role_gone < first_change,
                "{}: the account was changed before the role went: {patches:?}",
                l.upn
            );
            assert!(
                patches.iter().all(|(_, s)| *s < 400),
                "{}: a change to the account was refused: {patches:?}",
                l.upn
            );
        }
        app.shutdown().await;
    }
);

/// Lynne Robbins, the contractor who consented to nothing.
const LYNNE: &str = "10a1d484-cd1a-4162-a5a4-832370bac356";

/// Sends a signed termination of `employee_id` effective now; returns the case id.
async fn terminate_now(app: &TestApp, employee_id: &str) -> String {
    let body = json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"eventId": event_id(), "employee": {"employeeId": employee_id},
                 "effectiveAt": chrono::Utc::now().to_rfc3339(), "kind": "voluntary"}
    });
    let a = app.post_generic(&body).await;
    assert_eq!(a.status, 202, "{}\n{}", a.json, app.handler_log());
    a.json["caseId"].as_str().unwrap().to_owned()
}

fn step<'a>(case: &'a Value, kind: &str) -> &'a Value {
    case["plan"]["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["kind"] == kind))
        .unwrap_or_else(|| panic!("no step {kind} in {}", case["plan"]))
}

/// The grant deletions the tenant received: `(path, status)`.
fn grant_deletes(app: &TestApp) -> Vec<(String, u16)> {
    app.sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.path.starts_with("/oauth2PermissionGrants/"))
        .map(|r| (r.path, r.status))
        .collect()
}

fn grant_ids(app: &TestApp) -> Vec<String> {
    app.sim
        .state()
        .oauth2_permission_grants
        .iter()
        .map(|g| g.id.clone())
        .collect()
}

on_every_backend!(
    a_leaver_s_consents_are_deleted_once_and_admin_consent_stays,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        // The dry run shows the grant that will go, and changes nothing.
        let dry = app
            .post_offboarding(
                &json!({"employee": {"employeeId": "E1001"}, "dryRun": true, "kind": "voluntary"}),
            )
            .await;
        assert_eq!(dry.status, 200, "{}", dry.json);
        let preview = step(&dry.json, "remove-oauth-grants")["preview"].to_string();
        assert!(
            preview.contains(doors::GRANT_ADELE_EXPENSE_BUDDY)
                && preview.contains(doors::SP_EXPENSE_BUDDY)
                && preview.contains("Mail.Read"),
            "{preview}"
        );
        assert!(grant_deletes(&app).is_empty());

        let id = terminate_now(&app, "E1001").await;
        let case = finished_json(&app, &id).await;
        assert_eq!(case["status"], "completed", "{}", case["plan"]);
        let s = step(&case, "remove-oauth-grants");
        assert_eq!(s["status"], "verified", "{s}");
        // Sign-in is cut before the grant goes.
        assert_eq!(s["dependsOn"], json!(["block-sign-in"]), "{s}");
        // The tenant: her consent is gone, the admin consent for everyone stays, and the one
        // DELETE it received succeeded.
        assert_eq!(
            grant_ids(&app),
            vec![doors::GRANT_ALL_PRINCIPALS.to_owned()]
        );
        let deleted = grant_deletes(&app);
        assert_eq!(
            deleted,
            vec![(
                format!(
                    "/oauth2PermissionGrants/{}",
                    doors::GRANT_ADELE_EXPENSE_BUDDY
                ),
                204
            )]
        );
        // The evidence names the app and the scopes, with the read-back.
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(
            ev.json["verification"]["ok"], true,
            "{}",
            ev.json["verification"]
        );
        let records = ev.json["packet"]["records"].as_array().unwrap();
        let ours: Vec<&Value> = records
            .iter()
            .filter(|r| r["step"] == "remove-oauth-grants")
            .collect();
        // The DELETE was announced before it was sent, then recorded with its read-back.
        assert!(
            ours.iter().any(|r| r["details"]["announced"] == true),
            "{ours:?}"
        );
        let rec = ours
            .iter()
            .find(|r| r["outcome"] == "verified")
            .unwrap_or_else(|| panic!("no verified remove-oauth-grants record: {ours:?}"));
        let text = rec.to_string();
        assert!(
            text.contains(doors::SP_EXPENSE_BUDDY)
                && text.contains("Files.Read.All")
                && text.contains("readBack"),
            "{text}"
        );

        // A replayed message writes nothing again.
        app.enqueue(
            "step-remove-oauth-grants",
            &json!({"caseId": id, "step": "remove-oauth-grants", "attempt": 0}).to_string(),
        )
        .await;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while app
            .queue
            .approximate_len("step-remove-oauth-grants")
            .await
            .unwrap()
            > 0
        {
            assert!(std::time::Instant::now() < deadline, "replay not consumed");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(grant_deletes(&app), deleted, "the replay deleted again");
        assert_eq!(
            grant_ids(&app),
            vec![doors::GRANT_ALL_PRINCIPALS.to_owned()]
        );
        app.shutdown().await;
    }
);

on_every_backend!(
    a_leaver_who_consented_to_nothing_has_nothing_deleted,
    |app: TestApp| async move {
        let before = grant_ids(&app);
        let id = terminate_now(&app, "C2001").await;
        let case = finished_json(&app, &id).await;
        let s = step(&case, "remove-oauth-grants");
        assert_eq!(s["status"], "not_applicable", "{s}");
        assert!(
            s["reason"]
                .as_str()
                .unwrap()
                .contains("no delegated permission grants"),
            "{s}"
        );
        // The planner asked the tenant (by Lynne's id) and the tenant deleted nothing.
        assert!(
            app.sim
                .requests()
                .iter()
                .any(|r| r.path == "/oauth2PermissionGrants" && r.query.contains(LYNNE)),
            "the planner never listed Lynne's grants"
        );
        assert!(grant_deletes(&app).is_empty());
        assert_eq!(grant_ids(&app), before);
        app.shutdown().await;
    }
);

/// The demo's least-privilege set with `DelegatedPermissionGrant.ReadWrite.All` swapped for the
/// read-only `Directory.Read.All`: grants can be listed, not deleted.
fn without_grant_write() -> Vec<String> {
    DEFAULT_GRAPH_APP_ROLES
        .iter()
        .map(|r| {
            if *r == "DelegatedPermissionGrant.ReadWrite.All" {
                "Directory.Read.All"
            } else {
                r
            }
        })
        .map(str::to_owned)
        .collect()
}

/// Graph refuses the deletion (the identity was granted read only): the step fails with a
/// remediation item naming the 403, the grant stays and nothing is reported as done; once the
/// permission is granted, a retry deletes it and the case is sealed again.
async fn a_refused_deletion_is_a_failure_for_a_human(backend: Backend) {
    let mut seed = standin_tenant::demo::demo_tenant();
    if let Some(mi) = seed.identities.system_assigned.as_mut() {
        mi.graph_app_roles = without_grant_write();
    }
    let app = spawn_app_with(
        backend,
        SimConfig {
            seed: Some(seed),
            ..SimConfig::default()
        },
        |_| {},
    )
    .await;
    only_removable_groups(&app, ADELE);
    let id = terminate_now(&app, "E1001").await;
    let case = finished_json(&app, &id).await;
    assert_eq!(
        case["status"], "completed_with_exceptions",
        "{}",
        case["plan"]
    );
    let s = step(&case, "remove-oauth-grants");
    assert_eq!(s["status"], "failed", "{s}");
    assert!(
        grant_ids(&app).contains(&doors::GRANT_ADELE_EXPENSE_BUDDY.to_owned()),
        "the grant must still be there"
    );
    assert_eq!(
        grant_deletes(&app),
        vec![(
            format!(
                "/oauth2PermissionGrants/{}",
                doors::GRANT_ADELE_EXPENSE_BUDDY
            ),
            403
        )]
    );
    let open = app.get("/api/remediations").await;
    let items = open.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", open.json);
    assert_eq!(items[0]["step"], "remove-oauth-grants");
    assert!(
        items[0]["reason"].as_str().unwrap().contains("403"),
        "{}",
        items[0]
    );

    // A person grants the permission and restarts the app: a managed identity's token is
    // cached (in Entra ID for up to a day), so a new grant reaches a fresh token only.
    assert!(
        app.sim.issuer().set_roles(
            standin_identity::DEMO_CLIENT_ID,
            standin_identity::GRAPH_RESOURCE,
            DEFAULT_GRAPH_APP_ROLES
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
        )
    );
    app.host().kill_handler().await;
    // The host answers 502 until it has started the handler again.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = app
            .client
            .post(format!(
                "{}/api/cases/{id}/steps/remove-oauth-grants/retry",
                app.base_url()
            ))
            .bearer_auth(&app.operator_token)
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            202 => break,
            502 | 503 if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await
            }
            other => panic!("retry answered {other}"),
        }
    }
    let case = app
        .wait_case(&id, Duration::from_secs(120), |c| {
            c.case.status == CaseStatus::Completed
        })
        .await;
    let case = serde_json::to_value(case.case).unwrap();
    assert_eq!(step(&case, "remove-oauth-grants")["status"], "verified");
    assert_eq!(
        grant_ids(&app),
        vec![doors::GRANT_ALL_PRINCIPALS.to_owned()]
    );
    let deletes = grant_deletes(&app);
    assert_eq!(
        deletes.iter().filter(|(_, s)| *s == 204).count(),
        1,
        "{deletes:?}"
    );
    app.shutdown().await;
}

mod a_refused_grant_deletion_is_a_failure_for_a_human {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        a_refused_deletion_is_a_failure_for_a_human(Backend::Embedded).await;
    }
    #[tokio::test]
    async fn azure() {
        a_refused_deletion_is_a_failure_for_a_human(Backend::Azure).await;
    }
}
