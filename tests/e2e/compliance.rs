//! The compliance API through the local Functions host, and `offboard report` on the same
//! store: listing and paging by period, the timeline, the evidence packet with its
//! verification, the terminations report (JSON and CSV, with its meta and hash), the ledger
//! and the OpenAPI document.

use offboard_core::ids::Sha256Digest;
use offboard_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_every_backend;
use crate::tamper::{offboard, sealed_case};

fn ms_time(v: &Value) -> bool {
    // `2026-11-26T10:00:00.123Z`
    v.as_str()
        .is_some_and(|s| s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.')
}

on_every_backend!(
    the_timeline_shows_the_clock_every_step_the_seal_and_the_ledger,
    |app: TestApp| async move {
        let (id, period) = sealed_case(&app).await;
        let t = app.get(&format!("/api/cases/{id}")).await.json;
        assert_eq!(t["status"], "cancelled");
        assert_eq!(t["clock"]["form"], "instant");
        assert!(ms_time(&t["clock"]["effectiveAt"]), "{t}");
        assert!(ms_time(&t["clock"]["receivedAt"]), "{t}");
        assert_eq!(period, &t["clock"]["effectiveAt"].as_str().unwrap()[..7]);
        let steps = t["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 2, "{t}");
        assert_eq!(steps[0]["step"], "hr-trigger");
        assert_eq!(steps[0]["targetSystem"], "hr:generic");
        assert_eq!(steps[0]["outcome"], "received");
        assert_eq!(steps[1]["step"], "case");
        assert!(ms_time(&steps[1]["startedAt"]) && ms_time(&steps[1]["endedAt"]));
        assert_eq!(t["sla"]["state"], "no_target");
        let e = &t["evidence"];
        assert_eq!(e["indexed"], true);
        assert_eq!(e["recordCount"], 2);
        assert_eq!(e["ledgerSeq"], 0);
        assert_eq!(e["sealHash"].as_str().unwrap().len(), 64);
        assert!(ms_time(&e["sealedAt"]), "{t}");
        assert_eq!(e["worm"]["mode"], "not_enforced");
        assert!(
            e["warning"]
                .as_str()
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
        let v = &a.json["verification"];
        assert_eq!(v["ok"], true, "{}", a.json);
        assert_eq!(v["recordsChecked"], 2);
        assert_eq!(v["sealsChecked"], 1);
        assert!(
            v["warnings"][0]
                .as_str()
                .unwrap()
                .starts_with("WORM not enforced")
        );
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
        let f = &a.json["verification"]["findings"][0];
        assert_eq!(f["kind"], "record_modified", "{}", a.json);
        assert_eq!(f["seq"], 1);
        assert!(
            f["description"]
                .as_str()
                .unwrap()
                .contains("record 1 was modified")
        );
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
            ids.push((days, a.json["caseId"].as_str().unwrap().to_owned()));
        }
        ids.sort();
        let first = app.get("/api/cases?limit=2").await;
        assert_eq!(first.status, 200, "{}", first.json);
        let items = first.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["caseId"], ids[0].1.as_str());
        assert_eq!(items[1]["caseId"], ids[1].1.as_str());
        assert!(ms_time(&items[0]["effectiveAt"]));
        let cont = first.json["continuation"].as_str().expect("continuation");
        let second = app
            .get(&format!("/api/cases?limit=2&continuation={cont}"))
            .await;
        let items = second.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["caseId"], ids[2].1.as_str());
        assert!(second.json.get("continuation").is_none(), "{}", second.json);

        let (cancelled, _) = sealed_case(&app).await;
        let c = app.get("/api/cases?status=cancelled").await.json;
        let items = c["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["caseId"], cancelled.as_str());
        assert_eq!(items[0]["sealHash"].as_str().unwrap().len(), 64);

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
        let meta = &v["meta"];
        assert_eq!(meta["rowCount"], 2, "{v}");
        assert_eq!(meta["parameters"]["from"], from.to_string());
        assert_eq!(meta["parameters"]["format"], "json");
        assert!(meta["query"].as_str().unwrap().contains("one row per case"));
        assert!(
            meta["warning"]
                .as_str()
                .unwrap()
                .starts_with("WORM not enforced")
        );
        let canonical = serde_json_canonicalizer::to_vec(&v["rows"]).unwrap();
        assert_eq!(meta["sha256"], Sha256Digest::of(&canonical).to_hex());
        assert_eq!(
            headers["offboard-report-sha256"],
            meta["sha256"].as_str().unwrap()
        );
        let row = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["caseId"] == sealed.as_str())
            .expect("the sealed case is a row");
        assert_eq!(row["caseStatus"], "cancelled");
        assert_eq!(row["sla"], "no_target");
        assert_eq!(row["sealHash"].as_str().unwrap().len(), 64);
        assert_eq!(row["employeeId"], "1042");

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
        let meta: Value = serde_json::from_slice(
            &std::fs::read(dir.path().join("terminations.csv.meta.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(meta["sha256"], Sha256Digest::of(&file).to_hex());
        assert_eq!(meta["rowCount"], 2);
        assert_eq!(meta["parameters"]["to"], to.to_string());
        assert!(meta["generatedAt"].as_str().unwrap().ends_with('Z'));
        // Same rows as the API: the body differs from the API's only if the data changed.
        assert_eq!(
            file, body,
            "the CLI and the API render the same report from the same store"
        );

        let bad = app.get("/api/reports/terminations?from=2026-01-01").await;
        assert_eq!(bad.status, 400);
        assert!(
            bad.json["detail"]
                .as_str()
                .unwrap()
                .contains("`to` is required")
        );
        let bad = app
            .get(&format!("/api/reports/terminations?{q}&format=xlsx"))
            .await;
        assert_eq!(bad.status, 400);
        assert!(bad.json["detail"].as_str().unwrap().contains("`format`"));
        app.shutdown().await;
    }
);

on_every_backend!(
    the_ledger_shows_its_length_and_head,
    |app: TestApp| async move {
        let empty = app.get("/api/ledger").await;
        assert_eq!(empty.status, 200);
        assert_eq!(empty.json["length"], 0);
        assert!(empty.json.get("head").is_none());
        sealed_case(&app).await;
        let (second, period) = sealed_case(&app).await;
        let l = app.get("/api/ledger").await.json;
        assert_eq!(l["length"], 2);
        assert_eq!(l["head"]["seq"], 1);
        assert_eq!(l["head"]["caseId"], second.as_str());
        assert_eq!(l["head"]["period"], period.as_str());
        assert_eq!(l["head"]["hash"].as_str().unwrap().len(), 64);
        assert!(
            l["warning"]
                .as_str()
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
async fn offboard_with_settings(app: &TestApp, args: &[&str]) -> (i32, String, String) {
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
        let v: Value = serde_json::from_str(&out).expect("--json prints JSON only");
        assert_eq!(v["verification"]["ok"], true, "{v}");
        assert_eq!(v["verification"]["recordsChecked"], 2, "{v}");
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
        let r: Value = serde_json::from_str(&out).expect("report JSON");
        let rows = r["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{r}");
        assert_eq!(rows[0]["caseId"], id.as_str());
        assert_eq!(rows[0]["caseStatus"], "cancelled");
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
