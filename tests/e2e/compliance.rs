//! The compliance API through the local Functions host, and `offboard report` on the same
//! store: listing and paging by period, the timeline, the evidence packet with its
//! verification, the terminations report (JSON and CSV, with its meta and hash), the ledger
//! and the OpenAPI document.

use offboard_api::{
    CasePage, CaseReceipt, ClockForm, LedgerStatus, ReportFormat, ReportMeta, TerminationsReport,
    VerifiedPacket, VerifyOutcome,
};
use offboard_core::case::CaseStatus;
use offboard_core::evidence::WormStatus;
use offboard_core::evidence::verify::Finding;
use offboard_core::ids::Sha256Digest;
use offboard_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_every_backend;
use crate::tamper::{offboard, sealed_case};

on_every_backend!(
    the_timeline_shows_the_clock_every_step_the_seal_and_the_ledger,
    |app: TestApp| async move {
        let (id, period) = sealed_case(&app).await;
        // Reading the answer as offboard_api types also checks every time in it is UTC with
        // milliseconds (`2026-11-26T10:00:00.123Z`).
        let t = app.timeline(&id).await;
        assert_eq!(t.case.status, CaseStatus::Cancelled);
        let t = t.timeline;
        assert_eq!(t.clock.form, ClockForm::Instant);
        assert_eq!(period, t.clock.effective_at.format("%Y-%m").to_string());
        let steps = &t.steps;
        assert_eq!(steps.len(), 2, "{t:?}");
        assert_eq!(steps[0].step, "hr-trigger");
        assert_eq!(steps[0].target_system, "hr:generic");
        assert_eq!(steps[0].outcome, "received");
        assert_eq!(steps[1].step, "case");
        assert_eq!(t.sla.state, "no_target");
        let e = &t.evidence;
        assert!(e.indexed);
        assert_eq!(e.record_count, 2);
        assert_eq!(e.ledger_seq, Some(0));
        assert_eq!(e.seal_hash.as_ref().unwrap().len(), 64);
        assert!(e.sealed_at.is_some(), "{t:?}");
        assert!(matches!(e.worm, WormStatus::NotEnforced { .. }));
        assert!(
            e.warning
                .as_deref()
                .unwrap()
                .starts_with("WORM not enforced")
        );
        let missing = app
            .get("/api/cases/c-00000000-0000-5000-8000-000000000000")
            .await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.headers["content-type"], "application/problem+json");
        app.shutdown().await;
    }
);

crate::on_embedded!(
    the_evidence_answer_carries_the_packet_and_its_verification,
    |app: TestApp| async move {
        let (id, period) = sealed_case(&app).await;
        let a = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.headers["offboard-verification"], "ok");
        let answer: VerifiedPacket = a.body();
        let v = &answer.verification;
        assert!(v.ok, "{}", a.json);
        assert_eq!(v.records_checked, 2);
        assert_eq!(v.seals_checked, 1);
        assert!(v.warnings[0].starts_with("WORM not enforced"));
        // The packet's own fields are the evidence format (offboard-core), read raw here as
        // an auditor's tool would.
        let p = &a.json["packet"];
        assert_eq!(p["schema"], "offboard.evidence.packet/v1");
        assert_eq!(p["records"].as_array().unwrap().len(), 2);
        assert_eq!(p["seal"]["caseStatus"], "cancelled");
        assert_eq!(p["ledgerEntry"]["seq"], 0);
        assert!(
            p["warning"]
                .as_str()
                .unwrap()
                .starts_with("WORM not enforced")
        );

        // Tampered evidence: the API says so, naming the record.
        let path = app
            .data_dir()
            .join(format!("evidence/cases/{period}/{id}/records/000001.json"));
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        let mut r: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        r["reason"] = "edited".into();
        std::fs::write(&path, serde_json::to_vec(&r).unwrap()).unwrap();
        let a = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.headers["offboard-verification"], "failed");
        let answer: VerifiedPacket = a.body();
        let f = &answer.verification.findings[0];
        assert!(
            matches!(f.finding, Finding::RecordModified { seq: 1, .. }),
            "{}",
            a.json
        );
        assert!(f.description.contains("record 1 was modified"));
        app.shutdown().await;
    }
);

on_every_backend!(
    cases_are_paged_from_the_index_with_an_opaque_continuation,
    |app: TestApp| async move {
        let mut ids = Vec::new();
        for days in [3, 1, 2] {
            let a = app
                .post_generic(&generic_termination(
                    &event_id(),
                    &in_secs(days * 86_400),
                    "voluntary",
                ))
                .await;
            ids.push((days, a.body::<CaseReceipt>().case_id.to_string()));
        }
        ids.sort();
        let first = app.get("/api/cases?limit=2").await;
        assert_eq!(first.status, 200, "{}", first.json);
        let page: CasePage = first.body();
        let items = &page.items;
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].case_id.as_str(), ids[0].1);
        assert_eq!(items[1].case_id.as_str(), ids[1].1);
        let cont = page.continuation.as_deref().expect("continuation");
        let second = app
            .get(&format!("/api/cases?limit=2&continuation={cont}"))
            .await;
        let page: CasePage = second.body();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].case_id.as_str(), ids[2].1);
        assert!(page.continuation.is_none(), "{}", second.json);

        let (cancelled, _) = sealed_case(&app).await;
        let c: CasePage = app.get("/api/cases?status=cancelled").await.body();
        assert_eq!(c.items.len(), 1);
        assert_eq!(c.items[0].case_id.as_str(), cancelled);
        assert_eq!(c.items[0].seal_hash.as_ref().unwrap().len(), 64);

        for (query, names) in [
            ("continuation=garbage", "`continuation`"),
            ("limit=0", "`limit`"),
            ("from=yesterday", "`from`"),
            ("from=2030-01-02&to=2030-01-01", "`to` must be after `from`"),
        ] {
            let a = app.get(&format!("/api/cases?{query}")).await;
            assert_eq!(a.status, 400, "{query}: {}", a.json);
            assert_eq!(a.headers["content-type"], "application/problem+json");
            assert!(
                a.json["detail"].as_str().unwrap().contains(names),
                "{}",
                a.json
            );
        }
        app.shutdown().await;
    }
);

crate::on_embedded!(
    the_terminations_report_is_hashed_neutralised_and_the_same_from_the_cli,
    |app: TestApp| async move {
        let (sealed, _) = sealed_case(&app).await;
        // An employee id that a spreadsheet would run as a formula.
        let formula = app
            .post_generic(&json!({
                "type": "employee.terminated",
                "timestamp": chrono::Utc::now().to_rfc3339(),
                "data": {"eventId": event_id(),
                         "employee": {"employeeId": "=HYPERLINK(\"http://x\",\"y\")"},
                         "effectiveAt": in_secs(86_400 + 60), "kind": "voluntary"}
            }))
            .await;
        assert_eq!(formula.status, 202, "{}", formula.json);
        let today = chrono::Utc::now().date_naive();
        let from = today;
        let to = today + chrono::Days::new(3);
        let q = format!("from={from}&to={to}");

        let (status, headers, body) = app
            .get_bytes(&format!("/api/reports/terminations?{q}&format=json"))
            .await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_slice(&body).unwrap();
        let report: TerminationsReport = serde_json::from_value(v.clone()).unwrap();
        let meta = &report.meta;
        assert_eq!(meta.row_count, 2, "{v}");
        assert_eq!(meta.parameters.from, from.to_string());
        assert_eq!(meta.parameters.format, ReportFormat::Json);
        assert!(meta.query.contains("one row per case"));
        assert!(
            meta.warning
                .as_deref()
                .unwrap()
                .starts_with("WORM not enforced")
        );
        // The hash is over the rows exactly as delivered, not as re-read.
        let canonical = serde_json_canonicalizer::to_vec(&v["rows"]).unwrap();
        assert_eq!(meta.sha256, Sha256Digest::of(&canonical).to_hex());
        assert_eq!(headers["offboard-report-sha256"], meta.sha256.as_str());
        let row = report
            .rows
            .iter()
            .find(|r| r.case_id == sealed)
            .expect("the sealed case is a row");
        assert_eq!(row.case_status, CaseStatus::Cancelled);
        assert_eq!(row.sla, "no_target");
        assert_eq!(row.seal_hash.as_ref().unwrap().len(), 64);
        assert_eq!(row.employee_id.as_deref(), Some("1042"));
        // No scan has read HR's population here: the completeness section says so.
        assert!(report.completeness.scan.is_none() && report.completeness.rows.is_empty());
        assert!(
            report
                .completeness
                .note
                .as_deref()
                .is_some_and(|n| n.contains("OFFBOARD_POPULATION_SOURCES")),
            "{:?}",
            report.completeness
        );

        let (status, headers, body) = app
            .get_bytes(&format!("/api/reports/terminations?{q}&format=csv"))
            .await;
        assert_eq!(status, 200);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert_eq!(headers["offboard-report-rows"], "2");
        assert_eq!(
            headers["offboard-report-sha256"],
            Sha256Digest::of(&body).to_hex().as_str()
        );
        assert!(
            headers["offboard-worm"]
                .to_str()
                .unwrap()
                .starts_with("WORM not enforced")
        );
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(
            text.starts_with("case_id,source,source_event_id,employee_id,"),
            "{text}"
        );
        assert!(text.contains("\r\n"), "RFC 4180 lines end with CRLF");
        assert!(
            text.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
            "the formula cell is neutralised and quoted:\n{text}"
        );

        // The same report from the command line, on the same store.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("terminations.csv");
        let (code, printed) = offboard(&[
            "report",
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
            "--data",
            app.data_dir().to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{printed}");
        let file = std::fs::read(&out).unwrap();
        let meta: ReportMeta = serde_json::from_slice(
            &std::fs::read(dir.path().join("terminations.csv.meta.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(meta.sha256, Sha256Digest::of(&file).to_hex());
        assert_eq!(meta.row_count, 2);
        assert_eq!(meta.parameters.to, to.to_string());
        assert!(offboard_api::ms::parse(&meta.generated_at).is_some());
        // Same rows as the API: the body differs from the API's only if the data changed.
        assert_eq!(
            file, body,
            "the CLI and the API render the same report from the same store"
        );

        // The completeness table, from the API and from the command line.
        let (status, headers, api_section) = app
            .get_bytes(&format!(
                "/api/reports/terminations?{q}&format=csv&section=completeness"
            ))
            .await;
        assert_eq!(status, 200);
        assert!(headers.contains_key("offboard-report-note"));
        let section = dir.path().join("completeness.csv");
        let (code, printed) = offboard(&[
            "report",
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
            "--format",
            "csv",
            "--section",
            "completeness",
            "--out",
            section.to_str().unwrap(),
            "--data",
            app.data_dir().to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{printed}");
        assert_eq!(std::fs::read(&section).unwrap(), api_section);
        assert!(printed.contains("NOTE no ghost-access scan"), "{printed}");

        let bad = app.get("/api/reports/terminations?from=2026-01-01").await;
        assert_eq!(bad.status, 400);
        assert!(
            bad.json["detail"]
                .as_str()
                .unwrap()
                .contains("`to` is required")
        );
        let bad = app
            .get(&format!("/api/reports/terminations?{q}&format=pdf"))
            .await;
        assert_eq!(bad.status, 400);
        assert!(bad.json["detail"].as_str().unwrap().contains("`format`"));
        let bad = app
            .get(&format!("/api/reports/terminations?{q}&section=people"))
            .await;
        assert_eq!(bad.status, 400);
        assert!(bad.json["detail"].as_str().unwrap().contains("`section`"));
        app.shutdown().await;
    }
);

on_every_backend!(
    the_ledger_shows_its_length_and_head,
    |app: TestApp| async move {
        let empty = app.get("/api/ledger").await;
        assert_eq!(empty.status, 200);
        let empty: LedgerStatus = empty.body();
        assert_eq!(empty.length, 0);
        assert!(empty.head.is_none());
        sealed_case(&app).await;
        let (second, period) = sealed_case(&app).await;
        let l: LedgerStatus = app.get("/api/ledger").await.body();
        assert_eq!(l.length, 2);
        let head = l.head.expect("a head");
        assert_eq!(head.seq, 1);
        assert_eq!(head.case_id.as_str(), second);
        assert_eq!(head.period, period);
        assert_eq!(head.hash.len(), 64);
        assert!(
            l.warning
                .as_deref()
                .unwrap()
                .starts_with("WORM not enforced")
        );
        app.shutdown().await;
    }
);

/// Runs the real `offboard` binary with the deployment's settings in its environment and no
/// `--data`: how an operator points it at the running system.
/// Returns the exit code, standard output and standard error. Asynchronous, because the
/// managed-identity endpoint the command asks for tokens is served by this test's runtime.
pub(crate) async fn offboard_with_settings(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(offboard_testkit::offboard_executable().unwrap())
        .args(args)
        .envs(&app.settings)
        .output()
        .await
        .expect("run offboard");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

on_every_backend!(
    the_cli_verifies_and_reports_on_the_store_the_settings_name,
    |app: TestApp| async move {
        let (id, _) = sealed_case(&app).await;
        let (code, out, err) =
            offboard_with_settings(&app, &["verify", "--case", &id, "--json"]).await;
        assert_eq!(code, 0, "{out}{err}");
        let v: VerifyOutcome = serde_json::from_str(&out).expect("--json prints JSON only");
        assert!(v.verification.ok, "{out}");
        assert_eq!(v.verification.records_checked, 2, "{out}");
        let (code, out, err) = offboard_with_settings(&app, &["verify", "--ledger"]).await;
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("seals checked:          1"), "{out}");
        let (code, out, err) = offboard_with_settings(
            &app,
            &[
                "report",
                "--from",
                "2000-01-01",
                "--to",
                "2100-12-31",
                "--format",
                "json",
            ],
        )
        .await;
        assert_eq!(code, 0, "{out}{err}");
        let r: TerminationsReport = serde_json::from_str(&out).expect("report JSON");
        assert_eq!(r.rows.len(), 1, "{out}");
        assert_eq!(r.rows[0].case_id, id);
        assert_eq!(r.rows[0].case_status, CaseStatus::Cancelled);
        app.shutdown().await;
    }
);

on_every_backend!(
    the_openapi_document_is_public_and_the_compliance_api_is_not,
    |app: TestApp| async move {
        let doc = app.get_anonymous("/api/openapi.json").await;
        assert_eq!(doc.status, 200);
        assert_eq!(doc.json["openapi"], "3.1.0");
        for path in [
            "/api/cases",
            "/api/cases/{caseId}",
            "/api/cases/{caseId}/evidence",
            "/api/reports/terminations",
            "/api/ledger",
        ] {
            assert!(doc.json["paths"][path]["get"].is_object(), "{path}");
        }
        for path in [
            "/api/cases",
            "/api/cases/c-00000000-0000-5000-8000-000000000000",
            "/api/cases/c-00000000-0000-5000-8000-000000000000/evidence",
            "/api/reports/terminations?from=2026-01-01&to=2026-02-01",
            "/api/ledger",
        ] {
            assert_eq!(
                app.get_anonymous(path).await.status,
                401,
                "{path} must need the function key"
            );
        }
        app.shutdown().await;
    }
);

on_every_backend!(
    a_damaged_index_is_rebuilt_from_the_evidence,
    |app: TestApp| async move {
        let (id, period) = sealed_case(&app).await;
        let case_id = offboard_core::CaseId::parse(&id).unwrap();
        // Someone with write access to the index rewrites the entry: it now claims more
        // records and no seal.
        let stored = app.index.get(&period, &case_id).await.unwrap().unwrap();
        let mut damaged = stored.value.clone();
        damaged.record_count = 7;
        damaged.seal_hash = None;
        app.index.put(&damaged, Some(&stored.etag)).await.unwrap();
        let (code, out, err) = offboard_with_settings(&app, &["verify", "--ledger"]).await;
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            out.contains("the index disagrees with the evidence store"),
            "{out}"
        );

        let (code, out, err) =
            offboard_with_settings(&app, &["rebuild-index", "--from", &period, "--to", &period])
                .await;
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("rebuilt the index entries of 1 case(s)"),
            "{out}"
        );
        let rebuilt = app.index.get(&period, &case_id).await.unwrap().unwrap();
        assert_eq!(
            rebuilt.value, stored.value,
            "the entry is the evidence's fold again"
        );
        let (code, out, err) = offboard_with_settings(&app, &["verify", "--ledger"]).await;
        assert_eq!(code, 0, "{out}{err}");

        let (code, _, err) =
            offboard_with_settings(&app, &["rebuild-index", "--from", "2026-13"]).await;
        assert_eq!(code, 1);
        assert!(err.contains("--from `2026-13` is not a period"), "{err}");
        app.shutdown().await;
    }
);
