//! Who may do what on the human-facing API (issue 19): an auditor reads but may not retry, an
//! operator's retry is recorded in the case's evidence with who and when, a signed-in browser's
//! change needs the session's anti-forgery token, and function keys read the compliance API
//! only under `/api/keyed/` while the setting lets them.

use chrono::Utc;
use offboard_core::case::CaseStatus;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_service::settings;
use offboard_testkit::{
    AUDITOR_UPN, Backend, OPERATOR_UPN, SimConfig, TestApp, browser, spawn_app_with,
};
use reqwest::header::COOKIE;
use serde_json::Value;
use std::time::Duration;

use crate::on_embedded;
use crate::pipeline::{finished, only_removable_groups, step, terminate};

/// A case whose password reset failed (the identity lost User Administrator) and is waiting
/// for a person; the role is given back so that a retry can succeed.
pub(crate) async fn case_with_a_failed_step(app: &TestApp) -> String {
    only_removable_groups(app, crate::pipeline::ADELE);
    let mi = app
        .sim
        .state()
        .identities
        .system_assigned
        .clone()
        .unwrap()
        .object_id;
    const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    let removed = app.sim.with_state(|t| {
        let (gone, kept): (Vec<_>, Vec<_>) = t
            .role_assignments
            .drain(..)
            .partition(|a| a.principal_id == mi && a.role_definition_id == USER_ADMINISTRATOR);
        t.role_assignments = kept;
        gone
    });
    assert!(
        !removed.is_empty(),
        "the demo tenant gives the identity User Administrator"
    );
    let id = terminate(app, "E1001").await;
    let case = finished(app, &id).await;
    assert_eq!(case.case.status, CaseStatus::CompletedWithExceptions);
    assert_eq!(
        step(&case, StepKind::ResetPassword).status,
        StepStatus::Failed
    );
    app.sim.with_state(|t| t.role_assignments.extend(removed));
    id
}

fn human_actions(evidence: &Value) -> Vec<Value> {
    evidence["packet"]["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["step"] == "human-action")
        .cloned()
        .collect()
}

on_embedded!(
    an_auditor_reads_but_gets_403_on_retry_and_an_operators_retry_is_recorded_with_who_and_when,
    |app: TestApp| async move {
        let id = case_with_a_failed_step(&app).await;
        let auditor = app.token(AUDITOR_UPN, &["Offboard.Auditor"]);

        // The auditor reads every compliance resource.
        for path in [
            "/api/cases".to_owned(),
            format!("/api/cases/{id}"),
            format!("/api/cases/{id}/evidence"),
            "/api/remediations".to_owned(),
            "/api/ledger".to_owned(),
            "/api/reports/terminations?from=2000-01-01&to=2100-01-01&format=csv".to_owned(),
        ] {
            let a = app.get_as(&auditor, &path).await;
            assert_eq!(a.status, 200, "auditor GET {path}: {}", a.json);
        }
        // Nobody: 401, for reads and changes alike.
        assert_eq!(app.get_anonymous("/api/cases").await.status, 401);
        let anon = app
            .post_raw(
                &format!("/api/cases/{id}/steps/reset-password/retry"),
                &[],
                Vec::new(),
            )
            .await;
        assert_eq!(anon.status, 401, "{}", anon.json);

        // The auditor may not retry, nor start an offboarding: 403 naming the role.
        let retry = format!("/api/cases/{id}/steps/reset-password/retry");
        let refused = app.post_as(&auditor, &retry, &Value::Null).await;
        assert_eq!(refused.status, 403, "{}", refused.json);
        assert!(
            refused.json["detail"]
                .as_str()
                .unwrap()
                .contains("Offboard.Operator"),
            "{}",
            refused.json
        );
        let refused = app
            .post_as(
                &auditor,
                "/api/offboardings",
                &serde_json::json!({"employee": {"userPrincipalName": "eve@contoso.example"}}),
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.json);
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert!(
            human_actions(&ev.json).is_empty(),
            "a refused retry records nothing"
        );
        let case = app.get(&format!("/api/cases/{id}")).await;
        assert_eq!(case.json["status"], "completed_with_exceptions");

        // The operator retries: the evidence names them, with the time, before the step runs.
        let before = Utc::now();
        let done = app.retry(&id, "reset-password").await;
        assert_eq!(done.status, 202, "{}", done.json);
        let case = app
            .wait_case(&id, Duration::from_secs(120), |c| {
                c.case.status == CaseStatus::Completed
            })
            .await;
        assert_eq!(
            step(&case, StepKind::ResetPassword).status,
            StepStatus::Verified
        );
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(
            ev.json["verification"]["ok"], true,
            "{}",
            ev.json["verification"]
        );
        let actions = human_actions(&ev.json);
        assert_eq!(actions.len(), 1, "{actions:?}");
        let otto = app.entra.person(OPERATOR_UPN).unwrap().object_id.clone();
        let by = &actions[0]["details"]["by"];
        assert_eq!(by["objectId"], otto.as_str());
        assert_eq!(by["userPrincipalName"], OPERATOR_UPN);
        assert_eq!(by["signedInWith"], "bearer");
        assert_eq!(actions[0]["details"]["retriedStep"], "reset-password");
        assert_eq!(actions[0]["action"], "retry reset-password");
        assert_eq!(
            actions[0]["actor"],
            format!("{OPERATOR_UPN} ({otto})").as_str()
        );
        let at: chrono::DateTime<Utc> = actions[0]["startedAt"].as_str().unwrap().parse().unwrap();
        assert!(at >= before - chrono::Duration::milliseconds(1) && at <= Utc::now());
        app.shutdown().await;
    }
);

on_embedded!(
    a_signed_in_browsers_change_needs_the_sessions_anti_forgery_token,
    |app: TestApp| async move {
        let id = case_with_a_failed_step(&app).await;
        let retry = format!(
            "{}/api/cases/{id}/steps/reset-password/retry",
            app.base_url()
        );
        let auditor = app
            .sign_in(AUDITOR_UPN, &["Offboard.Auditor"])
            .await
            .unwrap();
        let operator = app
            .sign_in(OPERATOR_UPN, &["Offboard.Operator"])
            .await
            .unwrap();
        let b = browser();
        // A session reads without a token.
        let r = b
            .get(format!("{}/api/cases/{id}", app.base_url()))
            .header(COOKIE, &auditor.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // The auditor's session may not retry, token or not.
        let r = b
            .post(&retry)
            .header(COOKIE, &auditor.cookie)
            .form(&[("csrf", auditor.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // A cross-site form carries the cookie but not the token: refused, nothing recorded.
        for token in [None, Some("forged"), Some(auditor.csrf.as_str())] {
            let mut req = b.post(&retry).header(COOKIE, &operator.cookie);
            if let Some(t) = token {
                req = req.form(&[("csrf", t)]);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 403, "token {token:?}");
            let body: Value = r.json().await.unwrap();
            assert!(body["type"].as_str().unwrap().ends_with("/csrf"), "{body}");
        }
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert!(human_actions(&ev.json).is_empty());
        // With the session's token (a script's header): accepted and recorded as a session.
        let r = b
            .post(&retry)
            .header(COOKIE, &operator.cookie)
            .header("x-csrf-token", &operator.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        let actions = human_actions(&ev.json);
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0]["details"]["by"]["signedInWith"], "session");
        assert_eq!(
            actions[0]["details"]["by"]["userPrincipalName"],
            OPERATOR_UPN
        );
        app.shutdown().await;
    }
);

on_embedded!(
    function_keys_read_the_compliance_api_only_under_keyed_and_only_when_switched_on,
    |app: TestApp| async move {
        // Off (the default): the keyed twin refuses, and a key opens nothing else.
        let keyed = |path: &str| {
            app.client
                .get(format!("{}/api/keyed{path}", app.base_url()))
                .header("x-functions-key", &app.function_key)
                .send()
        };
        let r = keyed("/cases").await.unwrap();
        assert_eq!(r.status(), 403);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains(settings::OFFBOARD_COMPLIANCE_FUNCTION_KEYS)
        );
        let r = app
            .client
            .get(format!("{}/api/cases", app.base_url()))
            .header("x-functions-key", &app.function_key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "a key is not a caller on the human API");
        app.shutdown().await;

        // On: reads are served under /api/keyed/ to the key holder; the host still checks
        // the key; nothing that changes a case is reachable with it.
        let app = spawn_app_with(Backend::Embedded, SimConfig::default(), |s| {
            s.insert(
                settings::OFFBOARD_COMPLIANCE_FUNCTION_KEYS.into(),
                "on".into(),
            );
        })
        .await;
        let r = app
            .client
            .get(format!("{}/api/keyed/cases", app.base_url()))
            .header("x-functions-key", &app.function_key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = app
            .client
            .get(format!("{}/api/keyed/ledger", app.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "the host refuses a missing key");
        let r = app
            .client
            .post(format!(
                "{}/api/keyed/cases/c-00000000000000000000000000000000/steps/reset-password/retry",
                app.base_url()
            ))
            .header("x-functions-key", &app.function_key)
            .send()
            .await
            .unwrap();
        assert!(
            r.status() == 404 || r.status() == 405,
            "a key never changes a case: {}",
            r.status()
        );
        app.shutdown().await;
    }
);
