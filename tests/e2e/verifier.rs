//! The dashboard's in-browser verifier (`assets/verify.js`: WebCrypto SHA-256 over RFC 8785
//! canonical JSON) against `offboard verify` on the same packets (issue 19): packets the suite
//! produces — a completed case through every step and a cancelled one, each with its seal and
//! ledger entry — and tampered copies of them, one kind of tampering each. Both verifiers must
//! pass every untouched packet and fail every tampered one. The verifier runs under Node 20
//! (the same WebCrypto the browser has); Node is on PATH after `. scripts/ensure-tools.sh`,
//! which `./scripts/test` runs, and its absence fails the test.

use offboard_core::ids::Sha256Digest;
use offboard_testkit::TestApp;
use serde_json::Value;
use std::path::{Path, PathBuf};

use crate::on_embedded;
use crate::pipeline::{ADELE, finished, only_removable_groups, terminate};
use crate::tamper::{offboard, sealed_case};

/// A record's (or seal's, or ledger entry's) hash as offboard computes it: SHA-256 of the
/// canonical JSON without `hash`, so a tampering can be made consistent with itself.
fn rehash(v: &mut Value) {
    let mut copy = v.clone();
    copy.as_object_mut().unwrap().remove("hash");
    let bytes = serde_json_canonicalizer::to_vec(&copy).unwrap();
    v["hash"] = Value::String(Sha256Digest::of(&bytes).to_hex());
}

/// Each tampering of a sealed packet, by name.
fn tamperings(good: &Value) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let mut t = |name, f: &dyn Fn(&mut Value)| {
        let mut p = good.clone();
        f(&mut p);
        out.push((name, p));
    };
    t("record-modified", &|p| {
        p["records"][1]["action"] = "nothing happened".into();
    });
    t("record-modified-and-rehashed", &|p| {
        p["records"][1]["action"] = "nothing happened".into();
        rehash(&mut p["records"][1]);
    });
    t("record-deleted", &|p| {
        p["records"].as_array_mut().unwrap().remove(1);
    });
    t("records-reordered", &|p| {
        p["records"].as_array_mut().unwrap().swap(0, 1);
    });
    t("record-inserted", &|p| {
        let recs = p["records"].as_array_mut().unwrap();
        let mut extra = recs.last().unwrap().clone();
        extra["seq"] = (recs.len() as u64).into();
        extra["prevHash"] = recs.last().unwrap()["hash"].clone();
        rehash(&mut extra);
        recs.push(extra);
    });
    t("trigger-reattributed", &|p| {
        p["records"][0]["details"]["bodySha256"] = "00".repeat(32).into();
        rehash(&mut p["records"][0]);
    });
    t("seal-altered", &|p| {
        p["seal"]["sealedAt"] = "2000-01-01T00:00:00.000Z".into();
    });
    t("seal-removed", &|p| {
        p.as_object_mut().unwrap().remove("seal");
    });
    t("ledger-entry-altered", &|p| {
        p["ledgerEntry"]["period"] = "1999-01".into();
    });
    t("ledger-entry-rehashed-for-another-seal", &|p| {
        p["ledgerEntry"]["sealHash"] = "11".repeat(32).into();
        rehash(&mut p["ledgerEntry"]);
    });
    t("not-a-packet", &|p| {
        *p = serde_json::json!({"hello": "world"});
    });
    out
}

/// What `offboard verify FILE --json` says: (ok, records checked).
fn offboard_says(file: &Path) -> (bool, u64) {
    let (code, out) = offboard(&["verify", file.to_str().unwrap(), "--json"]);
    let json: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    let ok = json["verification"]["ok"].as_bool() == Some(true);
    assert_eq!(ok, code == 0, "exit code and JSON agree: {code} {out}");
    (
        ok,
        json["verification"]["recordsChecked"].as_u64().unwrap_or(0),
    )
}

/// What the in-browser verifier says, per file: (ok, finding kinds, records checked).
fn browser_verifier_says(files: &[PathBuf]) -> Vec<(bool, Vec<String>, u64)> {
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/js/verify-runner.js");
    let out = std::process::Command::new("node")
        .arg(&runner)
        .args(files)
        .output()
        .expect("node is on PATH (`. scripts/ensure-tools.sh` puts Node 20 there)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["ok"].as_bool().unwrap(),
                v["kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_str().unwrap().to_owned())
                    .collect(),
                v["recordsChecked"].as_u64().unwrap(),
            )
        })
        .collect()
}

on_embedded!(
    the_browser_verifier_agrees_with_offboard_verify_on_good_and_tampered_packets,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        let done = terminate(&app, "E1001").await;
        finished(&app, &done).await;
        let (cancelled, _) = sealed_case(&app).await;
        let dir = tempfile::tempdir().unwrap();
        let mut vectors: Vec<(String, bool, PathBuf)> = Vec::new();
        for id in [&done, &cancelled] {
            let answer = app.get(&format!("/api/cases/{id}/evidence")).await;
            assert_eq!(answer.status, 200);
            // The API's whole answer, and the packet alone: both are what an auditor downloads.
            let whole = dir.path().join(format!("{id}-answer.json"));
            std::fs::write(&whole, serde_json::to_vec(&answer.json).unwrap()).unwrap();
            vectors.push((format!("{id} answer"), true, whole));
            let good = answer.json["packet"].clone();
            let file = dir.path().join(format!("{id}-good.json"));
            std::fs::write(&file, serde_json::to_vec_pretty(&good).unwrap()).unwrap();
            vectors.push((format!("{id} good"), true, file));
            for (name, bad) in tamperings(&good) {
                let file = dir.path().join(format!("{id}-{name}.json"));
                std::fs::write(&file, serde_json::to_vec_pretty(&bad).unwrap()).unwrap();
                vectors.push((format!("{id} {name}"), false, file));
            }
        }
        let files: Vec<PathBuf> = vectors.iter().map(|(_, _, f)| f.clone()).collect();
        let browser = browser_verifier_says(&files);
        assert_eq!(browser.len(), vectors.len());
        for ((name, expect_ok, file), (b_ok, kinds, b_records)) in vectors.iter().zip(&browser) {
            let (o_ok, o_records) = offboard_says(file);
            assert_eq!(o_ok, *expect_ok, "offboard verify on {name}");
            assert_eq!(
                b_ok, expect_ok,
                "the browser verifier on {name} (offboard says {o_ok}): {kinds:?}"
            );
            if name.ends_with("good") || name.ends_with("answer") {
                assert_eq!(*b_records, o_records, "records checked on {name}");
                assert!(o_records > 1);
            }
        }
        println!(
            "{} packets, {} tampered: the browser verifier and offboard verify agree on all",
            vectors.len(),
            vectors.iter().filter(|v| !v.1).count()
        );
        app.shutdown().await;
    }
);
