//! The dashboard in a real browser (issue 19): Debian's chromium driven by playwright-core
//! (`tests/browser/dashboard.js`) against this app, filled with a completed case, a cancelled
//! one and one whose password reset failed. The script signs in on the Entra ID stand-in's page
//! as the auditor and as the operator, renders every page, runs axe-core on each (no serious or
//! critical violation), checks that the CSP blocked nothing, uses a filter and the keyboard,
//! runs the in-browser verifier on the served packet (passes) and on a tampered file (fails),
//! checks the auditor has no retry button and gets 403 from the retry API, retries as the
//! operator, finds no approve button for the auditor on the held cases (and a 403 from the
//! approve API) and approves a held case as the operator, renders the findings, and takes the
//! README's screenshots (kept in `docs/screenshots/` when run with
//! `OFFBOARD_UPDATE_SCREENSHOTS=1`). Here the operator's retry and approval are then read back
//! from the evidence and the case. Chromium and the npm packages are installed by
//! `scripts/ensure-tools.sh`; their absence fails the test.

use offboard_core::case::CaseStatus;
use offboard_testkit::{AUDITOR_UPN, OPERATOR_UPN, TestApp};
use serde_json::{Value, json};
use standin_tenant::demo::ids::ISAIAH;
use standin_tenant::demo::role_ids;
use standin_tenant::model::RoleAssignment;
use std::path::Path;
use std::time::Duration;

use crate::on_embedded;
use crate::pipeline::{ALEX, finished, terminate, upn};
use crate::roles::case_with_a_failed_step;
use crate::tamper::sealed_case;

/// A termination of Isaiah, made a Helpdesk Administrator (a privileged role, so he is a
/// protected person), raised by Ada as an operator with a reason that is markup: held for
/// approval, which Otto may give (he did not raise it).
async fn held_case(app: &TestApp) -> String {
    app.sim.with_state(|t| {
        t.role_assignments.push(RoleAssignment {
            id: "helpdesk-isaiah".to_owned(),
            principal_id: ISAIAH.to_owned(),
            role_definition_id: role_ids::HELPDESK_ADMINISTRATOR.to_owned(),
            directory_scope_id: "/".to_owned(),
        })
    });
    let employee_id = app
        .sim
        .state()
        .user(ISAIAH)
        .and_then(|u| u.employee_id.clone())
        .expect("Isaiah has an employee id");
    let ada = app.token(AUDITOR_UPN, &["Offboard.Operator"]);
    let a = app
        .post_as(
            &ada,
            "/api/offboardings",
            &json!({"employee": {"employeeId": employee_id}, "kind": "involuntary", "reason": "<script>alert('held')</script>"}),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.json);
    let id = a.json["caseId"].as_str().expect("a case id").to_owned();
    app.wait_case(&id, Duration::from_secs(120), |c| {
        c.case.status == CaseStatus::AwaitingApproval
    })
    .await;
    id
}

on_embedded!(
    the_dashboard_works_in_chromium_for_auditor_and_operator,
    |app: TestApp| async move {
        let failed = case_with_a_failed_step(&app).await;
        let done = terminate(&app, "E1005").await;
        finished(&app, &done).await;
        let _ = sealed_case(&app).await;
        let held = held_case(&app).await;
        let dir = tempfile::tempdir().unwrap();
        let answer = app.get(&format!("/api/cases/{done}/evidence")).await;
        let mut bad = answer.json["packet"].clone();
        bad["records"][1]["action"] = "nothing happened".into();
        let tampered = dir.path().join("tampered-packet.json");
        std::fs::write(&tampered, serde_json::to_vec_pretty(&bad).unwrap()).unwrap();

        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        // The README's screenshots are replaced only when asked (OFFBOARD_UPDATE_SCREENSHOTS=1),
        // so a test run leaves the tree as it was.
        let shots = if std::env::var("OFFBOARD_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
            root.join("docs/screenshots")
        } else {
            dir.path().join("screenshots")
        };
        // Async: the Entra ID stand-in and the tenant simulator serve from this test's runtime
        // while the browser runs.
        let out = tokio::process::Command::new("node")
            .arg(root.join("tests/browser/dashboard.js"))
            .env("OFFBOARD_BASE_URL", app.base_url())
            .env("OFFBOARD_CASE", &done)
            .env("OFFBOARD_FAILED_CASE", &failed)
            .env("OFFBOARD_HELD_CASE", &held)
            .env("OFFBOARD_TAMPERED", &tampered)
            .env("OFFBOARD_PLAN_FOR", upn(&app, ALEX))
            .env("OFFBOARD_SCREENSHOTS", &shots)
            .output()
            .await
            .expect("node is on PATH (`. scripts/ensure-tools.sh` puts Node 20 there)");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
            panic!(
                "the browser script printed no report:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert!(
            out.status.success() && report["failures"].as_array().is_some_and(Vec::is_empty),
            "the browser checks failed: {:#}",
            report["failures"]
        );
        let pages = report["pages"].as_array().unwrap();
        assert!(pages.len() >= 11, "every page was audited: {pages:#?}");
        for p in pages {
            println!(
                "{} {}: {} axe violations (none serious or critical) {}",
                p["who"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["violations"].as_array().unwrap().len(),
                p["violations"]
            );
        }

        // The operator's click was a retry recorded with who they are.
        app.wait_case(&failed, Duration::from_secs(120), |c| {
            c.case.status == CaseStatus::Completed
        })
        .await;
        let ev = app.get(&format!("/api/cases/{failed}/evidence")).await;
        let retry: Vec<_> = ev.json["packet"]["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["step"] == "human-action")
            .collect();
        assert_eq!(retry.len(), 1);
        assert_eq!(retry[0]["details"]["by"]["userPrincipalName"], OPERATOR_UPN);
        assert_eq!(retry[0]["details"]["by"]["signedInWith"], "session");
        // The operator's approval through the held page is the case's decision, with his name.
        let approved = app
            .wait_case(&held, Duration::from_secs(120), |c| {
                c.case.status != CaseStatus::AwaitingApproval
            })
            .await
            .case;
        let decision = approved
            .approval
            .and_then(|a| a.decision)
            .expect("a decision");
        assert!(decision.approved);
        assert_eq!(decision.by.name.as_deref(), Some(OPERATOR_UPN));
        assert_eq!(decision.reason, "confirmed with HR");
        for shot in [
            "overview", "cases", "case", "verify", "reports", "plan", "held", "findings",
        ] {
            assert!(shots.join(format!("{shot}.png")).exists(), "{shot}");
        }
        app.shutdown().await;
    }
);
