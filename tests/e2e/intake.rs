//! Intake through the local Functions host: every answer of the intake contract.

use offboard_api::{CasePage, CaseReceipt};
use offboard_core::case::CaseStatus;
use offboard_core::event::{Source, TerminationKind};
use offboard_core::ids::Sha256Digest;
use offboard_core::signature::Scheme;
use offboard_testkit::TestApp;
use serde_json::json;
use std::time::Duration;

use crate::helpers::*;
use crate::on_every_backend;

/// Writes the tenant received (anything but reads: GET, and `$batch` of reads).
fn tenant_writes(app: &TestApp) -> usize {
    app.sim
        .requests()
        .iter()
        .filter(|r| match &r.cmdlet {
            Some(cmdlet) => !cmdlet.starts_with("Get-"),
            None => r.method != "GET" && !r.path.ends_with("/$batch"),
        })
        .count()
}

async fn stored_cases(app: &TestApp) -> usize {
    let a = app.get("/api/cases").await;
    assert_eq!(a.status, 200, "{}", a.json);
    a.body::<CasePage>().items.len()
}

on_every_backend!(
    generic_termination_is_accepted_and_redelivery_is_idempotent,
    |app: TestApp| async move {
        let id = event_id();
        let body = generic_termination(&id, &in_secs(-60), "voluntary");
        let first = app.post_generic(&body).await;
        assert_eq!(first.status, 202, "{}", first.json);
        let receipt: CaseReceipt = first.body();
        let case_id = receipt.case_id.to_string();
        assert_eq!(receipt.status, CaseStatus::Received);
        assert!(!receipt.duplicate);
        assert_eq!(
            first.headers["location"],
            format!("/api/cases/{case_id}").as_str()
        );

        // HR platforms redeliver: a new webhook id and signature, the same event.
        let again = app.post_generic(&body).await;
        assert_eq!(again.status, 202);
        let again: CaseReceipt = again.body();
        assert_eq!(again.case_id, receipt.case_id);
        assert!(again.duplicate);
        assert_eq!(stored_cases(&app).await, 1);

        let case = app
            .wait_case(&case_id, Duration::from_secs(20), |c| {
                c.case.status == CaseStatus::CompletedWithExceptions
            })
            .await
            .case;
        assert_eq!(case.source, Source::Generic);
        assert_eq!(case.employee.employee_id.as_deref(), Some("1042"));
        assert_eq!(case.authenticated_by, Scheme::StandardWebhooksV1);
        assert_eq!(
            case.body_sha256,
            Sha256Digest::of(&serde_json::to_vec(&body).unwrap()),
            "the digest of the bytes HR sent"
        );
        // Employee 1042 has no account in the tenant: the planner stops and never guesses.
        let why = case.planning_exception.unwrap_or_default();
        assert!(why.contains("no account"), "{why}");
        assert_eq!(tenant_writes(&app), 0, "nothing may change in the tenant");
        app.shutdown().await;
    }
);

on_every_backend!(
    bamboohr_date_is_read_in_the_company_zone,
    |app: TestApp| async move {
        let a = app
            .post_bamboohr(&bamboohr_termination("318", "2031-03-14"))
            .await;
        assert_eq!(a.status, 202, "{}", a.json);
        let receipt: CaseReceipt = a.body();
        assert_eq!(receipt.status, CaseStatus::Scheduled);
        let case = app.timeline(receipt.case_id.as_str()).await.case;
        assert_eq!(case.hr_effective_as_sent.as_deref(), Some("2031-03-14"));
        // End of 14 March 2031 in New York (EDT, UTC-4) is 04:00 UTC on the 15th.
        assert_eq!(case.effective_at.to_rfc3339(), "2031-03-15T04:00:00+00:00");
        assert_eq!(case.kind, TerminationKind::Voluntary);
        assert_eq!(
            case.employee.mail.as_deref(),
            Some("grace.hopper@contoso.example")
        );
        app.shutdown().await;
    }
);

on_every_backend!(
    rescind_cancels_only_before_the_effective_time,
    |app: TestApp| async move {
        let future = event_id();
        let a = app
            .post_generic(&generic_termination(&future, &in_secs(86_400), "voluntary"))
            .await
            .body::<CaseReceipt>();
        assert_eq!(a.status, CaseStatus::Scheduled);
        let r = app
            .post_generic(&generic_rescind(&event_id(), &future))
            .await;
        assert_eq!(r.status, 202, "{}", r.json);
        let r: CaseReceipt = r.body();
        assert_eq!(r.status, CaseStatus::Cancelled);
        assert_eq!(r.case_id, a.case_id);

        let past = event_id();
        let b = app
            .post_generic(&generic_termination(&past, &in_secs(-10), "voluntary"))
            .await;
        assert_eq!(b.status, 202);
        let r = app.post_generic(&generic_rescind(&event_id(), &past)).await;
        assert_eq!(r.status, 409, "{}", r.json);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        assert!(
            r.json["detail"]
                .as_str()
                .unwrap()
                .contains("cannot be rescinded")
        );

        let unknown = app
            .post_generic(&generic_rescind(&event_id(), "never-sent"))
            .await;
        assert_eq!(unknown.status, 404);
        assert_eq!(
            unknown.json["errors"][0]["pointer"],
            "#/data/rescindsEventId"
        );
        app.shutdown().await;
    }
);

on_every_backend!(
    bamboohr_reinstatement_cancels_the_scheduled_case,
    |app: TestApp| async move {
        let a = app
            .post_bamboohr(&bamboohr_termination("500", "2031-01-10"))
            .await;
        let opened: CaseReceipt = a.body();
        assert_eq!(opened.status, CaseStatus::Scheduled);
        let reinstated = json!({"employees": [{"id": "500", "fields": {"Work Email": "grace.hopper@contoso.example",
        "Employment Status": "Full-Time"}, "changedFields": ["Employment Status"]}]});
        let r = app.post_bamboohr(&reinstated).await;
        assert_eq!(r.status, 202, "{}", r.json);
        assert_eq!(r.json["cancelled"][0]["caseId"], opened.case_id.as_str());
        assert_eq!(r.json["cancelled"][0]["status"], "cancelled");
        app.shutdown().await;
    }
);

on_every_backend!(
    unauthenticated_requests_store_and_enqueue_nothing,
    |app: TestApp| async move {
        let body = serde_json::to_vec(&generic_termination(&event_id(), &in_secs(-5), "voluntary"))
            .unwrap();
        let now = chrono::Utc::now().timestamp();
        // Wrong secret.
        let wrong = TestApp::generic_headers(
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "msg_1",
            now,
            &body,
        );
        let a = app
            .post_raw("/api/hris/generic", &wrong, body.clone())
            .await;
        assert_eq!(a.status, 401, "{}", a.json);
        // Stale timestamp (10 minutes old), correctly signed.
        let stale = TestApp::generic_headers(&app.secrets.generic, "msg_2", now - 600, &body);
        let a = app
            .post_raw("/api/hris/generic", &stale, body.clone())
            .await;
        assert_eq!(a.status, 401);
        assert!(
            a.json["detail"]
                .as_str()
                .unwrap()
                .contains("away from the server clock")
        );
        // No signature at all.
        let a = app
            .post_raw(
                "/api/hris/generic",
                &[("content-type", "application/json".into())],
                body.clone(),
            )
            .await;
        assert_eq!(a.status, 401);
        assert!(a.json["detail"].as_str().unwrap().contains("webhook-id"));
        // BambooHR: body tampered after signing.
        let bb = serde_json::to_vec(&bamboohr_termination("1", "2031-01-01")).unwrap();
        let headers = TestApp::bamboohr_headers(&app.secrets.bamboohr, now, &bb);
        let mut tampered = bb.clone();
        tampered[20] ^= 1;
        let a = app.post_raw("/api/hris/bamboohr", &headers, tampered).await;
        assert_eq!(a.status, 401);
        // SCIM without the token.
        let a = app.scim_unauthenticated().await;
        assert_eq!(a.status, 401);
        // Operator API without the function key: refused by the host.
        let a = app
            .post_raw(
                "/api/offboardings",
                &[("content-type", "application/json".into())],
                b"{}".to_vec(),
            )
            .await;
        assert_eq!(a.status, 401);

        assert_eq!(stored_cases(&app).await, 0);
        assert_eq!(app.queue.approximate_len("plan").await.unwrap(), 0);
        app.shutdown().await;
    }
);

on_every_backend!(
    malformed_bodies_get_problem_details_naming_the_field,
    |app: TestApp| async move {
        let mut body = generic_termination(&event_id(), &in_secs(-5), "voluntary");
        body["data"]["kind"] = json!("sabbatical");
        let a = app.post_generic(&body).await;
        assert_eq!(a.status, 400);
        assert_eq!(a.headers["content-type"], "application/problem+json");
        assert_eq!(a.json["errors"][0]["pointer"], "#/data/kind");

        let mut body = generic_termination(&event_id(), "tomorrow", "voluntary");
        body["data"]["employee"] = json!({"employeeId": "7"});
        let a = app.post_generic(&body).await;
        assert_eq!(a.status, 400);
        assert_eq!(a.json["errors"][0]["pointer"], "#/data/effectiveAt");

        // A thin, event-style BambooHR payload: 422 saying which fields to select.
        let thin = json!({"type": "employee.updated", "timestamp": "2026-01-31T18:42:00+0000",
        "data": {"companyId": "1", "employeeId": "2", "changedFields": ["status"]}});
        let a = app.post_bamboohr(&thin).await;
        assert_eq!(a.status, 422, "{}", a.json);
        assert!(
            a.json["detail"]
                .as_str()
                .unwrap()
                .contains("Termination Type")
        );

        let a = app
            .post_offboarding(&json!({"employee": {"mail": "not-an-address"}}))
            .await;
        assert_eq!(a.status, 400);
        assert_eq!(a.json["errors"][0]["pointer"], "#/employee/mail");
        assert_eq!(stored_cases(&app).await, 0);
        app.shutdown().await;
    }
);

on_every_backend!(
    oversized_bodies_and_unknown_providers,
    |app: TestApp| async move {
        let big = vec![b' '; 1024 * 1024 + 1];
        let a = app
            .post_raw(
                "/api/hris/generic",
                &[("content-type", "application/json".into())],
                big,
            )
            .await;
        assert_eq!(a.status, 413, "{}", a.json);
        let a = app.post_raw("/api/hris/workday", &[], b"{}".to_vec()).await;
        assert_eq!(a.status, 404);
        assert!(
            a.json["detail"]
                .as_str()
                .unwrap()
                .contains("bamboohr, generic")
        );
        app.shutdown().await;
    }
);

on_every_backend!(
    operator_offboarding_and_dry_run,
    |app: TestApp| async move {
        let req = json!({"employee": {"userPrincipalName": "eve@contoso.example"}, "kind": "for_cause",
        "reason": "ticket HR-77", "requestId": "HR-77"});
        let a = app.post_offboarding(&req).await;
        assert_eq!(a.status, 202, "{}", a.json);
        let a: CaseReceipt = a.body();
        assert_eq!(a.status, CaseStatus::Received);
        let again: CaseReceipt = app.post_offboarding(&req).await.body();
        assert_eq!(again.case_id, a.case_id);
        assert!(again.duplicate);
        // A dry run for a real leaver: the plan and what each step would change, and nothing
        // changed anywhere — no case, no message, no write in the tenant.
        let tenant_before = serde_json::to_value(app.sim.state()).unwrap();
        let writes_before = tenant_writes(&app);
        let dry = app
            .post_offboarding(
                &json!({"employee": {"employeeId": "E1001"}, "dryRun": true, "kind": "voluntary"}),
            )
            .await;
        assert_eq!(dry.status, 200, "{}", dry.json);
        assert_eq!(dry.json["changed"], false);
        let steps = dry.json["plan"]["steps"].as_array().unwrap();
        let block = steps.iter().find(|s| s["kind"] == "block-sign-in").unwrap();
        assert!(
            block["preview"][0]
                .as_str()
                .unwrap()
                .contains("accountEnabled=false"),
            "{block}"
        );
        assert_eq!(
            serde_json::to_value(app.sim.state()).unwrap(),
            tenant_before
        );
        assert_eq!(tenant_writes(&app), writes_before);
        let missing = app
            .post_offboarding(&json!({"employee": {"employeeId": "E9999"}, "dryRun": true}))
            .await;
        assert_eq!(missing.status, 200);
        assert!(
            missing.json["exception"]
                .as_str()
                .unwrap()
                .contains("no account"),
            "{}",
            missing.json
        );
        assert_eq!(stored_cases(&app).await, 1);
        app.shutdown().await;
    }
);

on_every_backend!(
    future_case_is_released_by_the_timer,
    |app: TestApp| async move {
        let a = app
            // Due in 12 s: still in the future when intake answers on a loaded machine.
            .post_generic(&generic_termination(
                &event_id(),
                &in_secs(12),
                "retirement",
            ))
            .await
            .body::<CaseReceipt>();
        assert_eq!(a.status, CaseStatus::Scheduled);
        let case = app
            .wait_case(a.case_id.as_str(), Duration::from_secs(60), |c| {
                !matches!(c.case.status, CaseStatus::Scheduled | CaseStatus::Received)
            })
            .await;
        let notes: Vec<&str> = case.case.history.iter().map(|h| h.note.as_str()).collect();
        assert!(
            notes.iter().any(|n| n.contains("effective time reached")),
            "{notes:?}"
        );
        app.shutdown().await;
    }
);

on_every_backend!(
    cases_are_listed_by_period_and_status,
    |app: TestApp| async move {
        for days in [1, 40, 400] {
            let a = app
                .post_generic(&generic_termination(
                    &event_id(),
                    &in_secs(days * 86_400),
                    "voluntary",
                ))
                .await;
            assert_eq!(a.status, 202);
        }
        let from = chrono::Utc::now().date_naive();
        let to = from + chrono::Days::new(60);
        let a = app
            .get(&format!("/api/cases?from={from}&to={to}&status=scheduled"))
            .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let page: CasePage = a.body();
        assert_eq!(page.items.len(), 2);
        assert!(
            page.items.iter().all(|c| c.status == CaseStatus::Scheduled),
            "{page:?}"
        );
        let a = app.get("/api/cases?status=nonsense").await;
        assert_eq!(a.status, 400);
        app.shutdown().await;
    }
);

/// A provider whose secret is not configured — or is a Key Vault reference Azure could not
/// resolve, which arrives as its literal text — refuses with 503 naming the setting, even for
/// a correctly signed request, and stores nothing (fail closed).
async fn unconfigured_providers_fail_closed(backend: offboard_testkit::Backend) {
    let app = offboard_testkit::spawn_app_with(
        backend,
        offboard_testkit::SimConfig::default(),
        |s| {
            s.remove("OFFBOARD_BAMBOOHR_SECRET");
            s.remove("OFFBOARD_SCIM_TOKEN");
            s.insert(
                "OFFBOARD_GENERIC_WEBHOOK_SECRET".into(),
                "@Microsoft.KeyVault(SecretUri=https://kv-offboard.vault.azure.net/secrets/generic-webhook-secret/)".into(),
            );
        },
    )
    .await;
    let bamboo = app
        .post_bamboohr(&bamboohr_termination("4711", "2026-12-31"))
        .await;
    let generic = app
        .post_generic(&generic_termination(
            &event_id(),
            &in_secs(-60),
            "voluntary",
        ))
        .await;
    let scim = app.scim(reqwest::Method::GET, "/Users", None).await;
    for (answer, setting) in [
        (&bamboo, "OFFBOARD_BAMBOOHR_SECRET"),
        (&generic, "OFFBOARD_GENERIC_WEBHOOK_SECRET"),
        (&scim, "OFFBOARD_SCIM_TOKEN"),
    ] {
        assert_eq!(answer.status, 503, "{}", answer.json);
        let detail = answer.json["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(setting), "{setting}: {}", answer.json);
        assert!(
            !detail.contains("KeyVault") && !detail.contains("vault.azure.net"),
            "the setting's value is not repeated: {detail}"
        );
    }
    assert_eq!(stored_cases(&app).await, 0);
    assert!(
        app.queue
            .receive("plan", 32, Duration::from_secs(1))
            .await
            .unwrap()
            .is_empty(),
        "nothing enqueued"
    );
    app.shutdown().await;
}

mod unconfigured_providers_fail_closed {
    #[tokio::test]
    async fn embedded() {
        super::unconfigured_providers_fail_closed(offboard_testkit::Backend::Embedded).await;
    }
    #[tokio::test]
    async fn azure() {
        super::unconfigured_providers_fail_closed(offboard_testkit::Backend::Azure).await;
    }
}

/// The local Cosmos server's wrapper counts what the app asks of its database, by operation —
/// what the mass benchmark prints per leaver — and the embedded backend has none to count.
#[tokio::test]
async fn the_cosmos_server_counts_the_apps_operations_by_kind() {
    let embedded = offboard_testkit::spawn_app(offboard_testkit::Backend::Embedded).await;
    assert!(embedded.cosmos_operations().await.unwrap().is_none());
    embedded.shutdown().await;

    let app = offboard_testkit::spawn_app(offboard_testkit::Backend::Azure).await;
    let counted = || async { app.cosmos_operations().await.unwrap().expect("Cosmos DB") };
    let of = |ops: &offboard_testkit::cost::CosmosOperations, kind: &str| {
        ops.get(kind).cloned().unwrap_or_default()
    };
    let before = counted().await;
    // A day ahead: the case is scheduled, so only intake touches the database.
    let body = generic_termination(&event_id(), &in_secs(86_400), "voluntary");
    let first = app.post_generic(&body).await;
    assert_eq!(first.status, 202, "{}", first.json);
    let opened = counted().await;
    assert!(
        of(&opened, "create").ok >= of(&before, "create").ok + 2,
        "the case and its index entry are created: {before:?} → {opened:?}"
    );
    assert!(
        of(&opened, "read").all() > of(&before, "read").all(),
        "intake looks for the case first: {opened:?}"
    );
    // A redelivery finds the case: a refused create at most, nothing new stored.
    let again = app.post_generic(&body).await;
    assert_eq!(again.status, 202, "{}", again.json);
    let redelivered = counted().await;
    assert_eq!(
        of(&redelivered, "create").ok,
        of(&opened, "create").ok,
        "{opened:?} → {redelivered:?}"
    );
    assert!(of(&redelivered, "read").ok > of(&opened, "read").ok);
    let conflicts = |ops| {
        of(ops, "create")
            .refused_by
            .get("409")
            .copied()
            .unwrap_or(0)
    };
    assert!(
        conflicts(&redelivered) > conflicts(&opened),
        "the second create of the case finds the first (409): {redelivered:?}"
    );
    app.shutdown().await;
}
