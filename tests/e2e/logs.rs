//! No secret, token or signature ever reaches the logs.

use offboard_testkit::TestApp;

use crate::helpers::*;
use crate::on_every_backend;

on_every_backend!(
    secrets_and_signatures_never_reach_the_logs,
    |app: TestApp| async move {
        let body = serde_json::to_vec(&generic_termination(&event_id(), &in_secs(-5), "voluntary"))
            .unwrap();
        let now = chrono::Utc::now().timestamp();
        let good = TestApp::generic_headers(&app.secrets.generic, "msg_ok", now, &body);
        let bad = TestApp::generic_headers(
            "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",
            "msg_bad",
            now,
            &body,
        );
        let mut signatures: Vec<String> = Vec::new();
        for h in [&good, &bad] {
            signatures.push(
                h.iter()
                    .find(|(k, _)| *k == "webhook-signature")
                    .unwrap()
                    .1
                    .clone(),
            );
        }
        assert_eq!(
            app.post_raw("/api/hris/generic", &good, body.clone())
                .await
                .status,
            202
        );
        assert_eq!(
            app.post_raw("/api/hris/generic", &bad, body.clone())
                .await
                .status,
            401
        );
        let bb = serde_json::to_vec(&bamboohr_termination("9", "2031-01-01")).unwrap();
        let bh = TestApp::bamboohr_headers(&app.secrets.bamboohr, now, &bb);
        signatures.push(
            bh.iter()
                .find(|(k, _)| *k == "x-bamboohr-signature")
                .unwrap()
                .1
                .clone(),
        );
        assert_eq!(
            app.post_raw("/api/hris/bamboohr", &bh, bb).await.status,
            202
        );
        let wrong_bh = TestApp::bamboohr_headers("not-the-key", now, b"{}");
        signatures.push(
            wrong_bh
                .iter()
                .find(|(k, _)| *k == "x-bamboohr-signature")
                .unwrap()
                .1
                .clone(),
        );
        assert_eq!(
            app.post_raw("/api/hris/bamboohr", &wrong_bh, b"{}".to_vec())
                .await
                .status,
            401
        );
        let _ = app.scim(reqwest::Method::GET, "/Users", None).await;
        let _ = app.scim_with_token("wrong-token").await;

        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let log = app.handler_log();
        assert!(
            log.contains("refused an unauthenticated intake request"),
            "the handler logged nothing useful:\n{log}"
        );
        let generic_key = app.secrets.generic.trim_start_matches("whsec_");
        for secret in [
            generic_key,
            &app.secrets.bamboohr,
            &app.secrets.scim,
            &app.function_key,
            &app.operator_token,
            "wrong-token",
        ] {
            assert!(!log.contains(secret), "a secret reached the handler log");
        }
        for sig in &signatures {
            let b64 = sig.trim_start_matches("v1,");
            assert!(!log.contains(b64), "a signature reached the handler log");
        }
        app.shutdown().await;
    }
);
