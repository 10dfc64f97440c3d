//! Every human action that belongs to no case — a report exported, a dry run — is written to
//! the evidence before it is answered: a chain of one `activity` record naming the person
//! (Entra object id, UPN, roles), sealed into the ledger, which `offboard verify --ledger`
//! checks like every case; a changed activity record fails it (on the embedded store, whose
//! files a test can change; Azurite's blobs are tampered with in `crates/azure/tests`).

use offboard_api::LedgerStatus;
use offboard_testkit::{AUDITOR_UPN, Backend, OPERATOR_UPN, TestApp};
use serde_json::{Value, json};

use crate::compliance::offboard_with_settings;
use crate::on_every_backend;

/// The ledger position an answer says records its action.
fn ledger_seq(headers: &reqwest::header::HeaderMap) -> u64 {
    headers
        .get("offboard-activity-ledger-seq")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("the answer names the ledger entry that records it")
}

/// The one record of the activity chain the ledger holds at `seq`, as stored, with its
/// chain id and period.
async fn activity_at(app: &TestApp, seq: u64) -> (String, String, Value) {
    let entry = app
        .evidence
        .ledger_entry(seq)
        .await
        .expect("the ledger reads")
        .expect("the entry exists")
        .expect("the entry parses");
    let records = app
        .evidence
        .records(&entry.period, &entry.case_id)
        .await
        .expect("the chain reads");
    assert_eq!(records.len(), 1, "an activity is a chain of one record");
    let record = records[0].record.as_ref().expect("the record parses");
    assert_eq!(record.body.step, "activity");
    (
        entry.case_id.to_string(),
        entry.period,
        serde_json::to_value(record).expect("json"),
    )
}

on_every_backend!(
    exports_and_dry_runs_are_on_the_record_with_who_did_them,
    |app: TestApp| async move {
        let q = "from=2000-01-01&to=2100-12-31";
        // An auditor's export: answered with the ledger entry that records it.
        let auditor = app.token(AUDITOR_UPN, &["Offboard.Auditor"]);
        let resp = reqwest::Client::new()
            .get(format!(
                "{}/api/reports/terminations?{q}&format=csv",
                app.base_url()
            ))
            .bearer_auth(&auditor)
            .send()
            .await
            .expect("export");
        assert_eq!(resp.status().as_u16(), 200);
        let export_seq = ledger_seq(resp.headers());
        let export_sha = resp.headers()["offboard-report-sha256"]
            .to_str()
            .expect("ascii")
            .to_owned();
        // The operator's dry run: the same.
        let dry = app
            .post_offboarding(
                &json!({"employee": {"employeeId": "E1001"}, "dryRun": true, "kind": "voluntary"}),
            )
            .await;
        assert_eq!(dry.status, 200, "{}", dry.json);
        let dry_seq = ledger_seq(&dry.headers);
        assert!(dry_seq > export_seq, "{export_seq} then {dry_seq}");

        // Both are in the ledger, and the ledger verifies with them.
        let ledger: LedgerStatus = app.get("/api/ledger").await.body();
        assert!(ledger.length > dry_seq, "{ledger:?}");
        let (code, out, err) = offboard_with_settings(&app, &["verify", "--ledger"]).await;
        assert_eq!(code, 0, "{out}{err}");

        // What the records say: who, with which roles, what they pulled or previewed.
        let (export_chain, export_period, export) = activity_at(&app, export_seq).await;
        assert_eq!(export["details"]["activity"], "report-exported");
        assert_eq!(export["details"]["by"]["userPrincipalName"], AUDITOR_UPN);
        assert_eq!(
            export["details"]["by"]["roles"],
            json!(["Offboard.Auditor"])
        );
        assert_eq!(export["details"]["signedIn"], true);
        assert_eq!(export["details"]["parameters"]["format"], "csv");
        assert_eq!(export["details"]["parameters"]["sha256"], export_sha);
        assert!(
            export["actor"]
                .as_str()
                .unwrap_or_default()
                .contains(AUDITOR_UPN),
            "{export}"
        );
        let (_, _, dry) = activity_at(&app, dry_seq).await;
        assert_eq!(dry["details"]["activity"], "dry-run");
        assert_eq!(dry["details"]["by"]["userPrincipalName"], OPERATOR_UPN);
        assert_eq!(
            dry["details"]["parameters"]["employee"]["employeeId"],
            "E1001"
        );
        assert_eq!(dry["details"]["parameters"]["kind"], "voluntary");
        assert!(
            dry["details"]["parameters"]["steps"]
                .as_array()
                .is_some_and(|s| s.iter().any(|k| k == "block-sign-in")),
            "{dry}"
        );

        if matches!(app.backend(), Backend::Embedded) {
            // Someone with file access hides who pulled the population: caught.
            let path = app
                .data_dir()
                .join("evidence/cases")
                .join(&export_period)
                .join(&export_chain)
                .join("records/000000.json");
            let mut perms = std::fs::metadata(&path).expect("record").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&path, perms).expect("chmod");
            let mut changed = export.clone();
            changed["details"]["by"]["userPrincipalName"] = json!("someone.else@contoso.example");
            std::fs::write(&path, serde_json::to_vec_pretty(&changed).expect("json"))
                .expect("write");
            let (code, out, err) = offboard_with_settings(&app, &["verify", "--ledger"]).await;
            assert_eq!(
                code, 1,
                "a changed activity must fail verification:\n{out}{err}"
            );
            assert!(out.contains(&export_chain), "{out}");
        }
        app.shutdown().await;
    }
);
