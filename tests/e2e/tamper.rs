//! Tamper tests: cases are created and sealed through the real handler (a rescinded
//! termination is cancelled, sealed and appended to the ledger), the evidence on the embedded
//! store is then tampered with the way an insider with file access could, and the real
//! `offboard verify` binary must fail with exit code 1 and name what was done. Untouched
//! evidence must verify with exit code 0.

use offboard_api::CaseReceipt;
use offboard_core::case::CaseStatus;
use offboard_core::evidence::{Chain, EvidenceRecord, Outcome, RecordBody};
use offboard_testkit::{TestApp, offboard_executable};
use serde_json::Value;
use std::path::{Path, PathBuf};

use crate::helpers::*;
use crate::on_embedded;

/// A cancelled (so sealed and ledgered) case: (case id, evidence period).
pub async fn sealed_case(app: &TestApp) -> (String, String) {
    let id = event_id();
    let a = app
        .post_generic(&generic_termination(&id, &in_secs(86_400), "voluntary"))
        .await;
    assert_eq!(a.status, 202, "{}", a.json);
    let r = app.post_generic(&generic_rescind(&event_id(), &id)).await;
    assert_eq!(r.status, 202, "{}", r.json);
    assert_eq!(r.body::<CaseReceipt>().status, CaseStatus::Cancelled);
    let case_id = a.body::<CaseReceipt>().case_id.to_string();
    let period = app.timeline(&case_id).await.timeline.evidence.period;
    (case_id, period)
}

/// Runs the real `offboard` binary; returns its exit code and everything it printed.
pub fn offboard(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(offboard_executable().expect("offboard binary"))
        .args(args)
        .output()
        .expect("run offboard");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn data(app: &TestApp) -> String {
    app.data_dir().display().to_string()
}

/// `offboard verify --case ID --data DIR`.
pub fn verify_case(app: &TestApp, case_id: &str) -> (i32, String) {
    offboard(&["verify", "--case", case_id, "--data", &data(app)])
}

/// `offboard verify --ledger --data DIR`.
pub fn verify_ledger(app: &TestApp) -> (i32, String) {
    offboard(&["verify", "--ledger", "--data", &data(app)])
}

fn case_dir(app: &TestApp, period: &str, case_id: &str) -> PathBuf {
    app.data_dir()
        .join("evidence/cases")
        .join(period)
        .join(case_id)
}

fn record_path(app: &TestApp, period: &str, case_id: &str, seq: u64) -> PathBuf {
    case_dir(app, period, case_id)
        .join("records")
        .join(format!("{seq:06}.json"))
}

/// Evidence files are read-only: make one writable the way a tamperer would.
fn writable(path: &Path) {
    let mut perms = std::fs::metadata(path)
        .expect("evidence file")
        .permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).expect("chmod");
}

fn edit_json(path: &Path, f: impl FnOnce(&mut Value)) {
    writable(path);
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(path).expect("read")).expect("stored JSON");
    f(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).expect("json")).expect("write");
}

fn assert_fails(result: (i32, String), names: &str) {
    let (code, out) = result;
    assert_eq!(code, 1, "verify should fail (exit 1):\n{out}");
    assert!(out.contains(names), "output should say `{names}`:\n{out}");
    assert!(out.contains("FAILED"), "{out}");
}

fn assert_verifies(result: (i32, String)) {
    let (code, out) = result;
    assert_eq!(code, 0, "verify should pass (exit 0):\n{out}");
    assert!(out.contains("VERIFIED"), "{out}");
    assert!(
        out.contains("WARNING WORM not enforced"),
        "the embedded store must say it does not enforce WORM:\n{out}"
    );
}

on_embedded!(
    untouched_evidence_verifies_in_the_store_and_as_a_packet,
    |app: TestApp| async move {
        let (a, _) = sealed_case(&app).await;
        let (b, _) = sealed_case(&app).await;
        // An open case too: verified as open, no seal expected.
        let open = app
            .post_generic(&generic_termination(
                &event_id(),
                &in_secs(7 * 86_400),
                "voluntary",
            ))
            .await;
        let open = open.json["caseId"].as_str().unwrap().to_owned();
        for id in [&a, &b, &open] {
            assert_verifies(verify_case(&app, id));
        }
        let (code, out) = verify_ledger(&app);
        assert_verifies((code, out.clone()));
        assert!(out.contains("seals checked:          2"), "{out}");
        assert_eq!(app.get("/api/ledger").await.json["length"], 2);

        let dir = tempfile::tempdir().unwrap();
        let (status, _, body) = app.get_bytes(&format!("/api/cases/{a}/evidence")).await;
        assert_eq!(status, 200);
        let file = dir.path().join("packet.json");
        std::fs::write(&file, &body).unwrap();
        assert_verifies(offboard(&["verify", file.to_str().unwrap()]));
        // Just the packet, without the API's wrapper, verifies the same.
        let v: Value = serde_json::from_slice(&body).unwrap();
        std::fs::write(&file, serde_json::to_vec(&v["packet"]).unwrap()).unwrap();
        let (code, out) = offboard(&["verify", file.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{out}");
        let json: Value = serde_json::from_str(&out).expect("--json prints JSON only");
        assert_eq!(json["verification"]["ok"], true);
        assert_eq!(json["verification"]["recordsChecked"], 2);
        assert!(
            json["verification"]["warnings"][0]
                .as_str()
                .unwrap()
                .starts_with("WORM not enforced")
        );
        app.shutdown().await;
    }
);

on_embedded!(a_modified_record_is_named, |app: TestApp| async move {
    let (id, period) = sealed_case(&app).await;
    edit_json(&record_path(&app, &period, &id, 1), |r| {
        r["reason"] = Value::String("nothing to see here".into());
    });
    assert_fails(
        verify_case(&app, &id),
        &format!("case {id}: record 1 was modified"),
    );
    assert_fails(verify_ledger(&app), "record 1 was modified");
    let (code, out) = offboard(&["verify", "--case", &id, "--data", &data(&app), "--json"]);
    assert_eq!(code, 1, "{out}");
    let json: Value = serde_json::from_str(&out).expect("--json prints JSON only");
    assert_eq!(json["verification"]["ok"], false);
    assert_eq!(
        json["verification"]["findings"][0]["kind"],
        "record_modified"
    );
    assert_eq!(json["verification"]["findings"][0]["seq"], 1);
    // Periods that hold no case: the ledger itself is still checked, the tampered case is
    // outside the range, and there is nothing to verify (exit code 3, never "verified").
    let (code, out) = offboard(&[
        "verify",
        "--ledger",
        "--from",
        "2000-01",
        "--to",
        "2000-12",
        "--data",
        &data(&app),
    ]);
    assert_eq!(code, 3, "nothing to verify is not verified: {out}");
    assert!(out.contains("records checked:        0"), "{out}");
    assert!(out.contains("periods 2000-01 to 2000-12"), "{out}");
    assert!(
        out.contains("nothing to verify in 2000-01..2000-12"),
        "{out}"
    );
    let (code, out) = offboard(&[
        "verify",
        "--ledger",
        "--from",
        "2026-13",
        "--data",
        &data(&app),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("`2026-13` is not a period: use YYYY-MM"),
        "{out}"
    );
    app.shutdown().await;
});

on_embedded!(a_deleted_record_is_named, |app: TestApp| async move {
    let (id, period) = sealed_case(&app).await;
    std::fs::remove_file(record_path(&app, &period, &id, 1)).unwrap();
    assert_fails(
        verify_case(&app, &id),
        &format!("case {id}: record 1 was deleted"),
    );
    assert_fails(verify_ledger(&app), "record 1 was deleted");
    app.shutdown().await;
});

on_embedded!(reordered_records_are_named, |app: TestApp| async move {
    let (id, period) = sealed_case(&app).await;
    let (p0, p1) = (
        record_path(&app, &period, &id, 0),
        record_path(&app, &period, &id, 1),
    );
    writable(&p0);
    writable(&p1);
    let (b0, b1) = (std::fs::read(&p0).unwrap(), std::fs::read(&p1).unwrap());
    std::fs::write(&p0, b1).unwrap();
    std::fs::write(&p1, b0).unwrap();
    assert_fails(verify_case(&app, &id), "records were reordered");
    assert_fails(verify_ledger(&app), "records were reordered");
    app.shutdown().await;
});

on_embedded!(an_inserted_record_is_named, |app: TestApp| async move {
    let (id, period) = sealed_case(&app).await;
    // A correctly chained record, as someone who knows the format would forge it: only the
    // seal, which does not list it, gives it away.
    let last: EvidenceRecord =
        serde_json::from_slice(&std::fs::read(record_path(&app, &period, &id, 1)).unwrap())
            .unwrap();
    let now = chrono::Utc::now();
    let forged = Chain::after(&last)
        .next(RecordBody {
            step: "block-sign-in".into(),
            target_system: "entra".into(),
            action: "set accountEnabled=false".into(),
            target_ids: vec!["u-1".into()],
            request: None,
            response_status: Some(204),
            service_request_id: None,
            read_back: None,
            started_at: now,
            ended_at: now,
            actor: "someone".into(),
            outcome: Outcome::Verified,
            reason: None,
            details: None,
        })
        .unwrap();
    std::fs::write(
        record_path(&app, &period, &id, 2),
        serde_json::to_vec_pretty(&forged).unwrap(),
    )
    .unwrap();
    assert_fails(
        verify_case(&app, &id),
        &format!("case {id}: record 2 was inserted"),
    );
    assert_fails(verify_ledger(&app), "record 2 was inserted");
    app.shutdown().await;
});

on_embedded!(a_missing_seal_is_named, |app: TestApp| async move {
    let (id, period) = sealed_case(&app).await;
    std::fs::remove_file(case_dir(&app, &period, &id).join("seal.json")).unwrap();
    assert_fails(
        verify_case(&app, &id),
        &format!("case {id}: the seal is missing"),
    );
    assert_fails(verify_ledger(&app), "the seal is missing");
    app.shutdown().await;
});

on_embedded!(an_altered_seal_is_named, |app: TestApp| async move {
    let (id, period) = sealed_case(&app).await;
    edit_json(&case_dir(&app, &period, &id).join("seal.json"), |s| {
        s["caseStatus"] = Value::String("completed".into());
    });
    assert_fails(
        verify_case(&app, &id),
        &format!("case {id}: the seal was altered"),
    );
    assert_fails(verify_ledger(&app), "the seal was altered");
    app.shutdown().await;
});

on_embedded!(a_removed_case_is_named, |app: TestApp| async move {
    let (first, period) = sealed_case(&app).await;
    let (second, _) = sealed_case(&app).await;
    std::fs::remove_dir_all(case_dir(&app, &period, &first)).unwrap();
    let gone = format!("case {first} is in the ledger but its evidence is gone");
    assert_fails(verify_ledger(&app), &gone);
    assert_fails(verify_case(&app, &first), &gone);
    // The other case is untouched and still verifies on its own.
    assert_verifies(verify_case(&app, &second));
    app.shutdown().await;
});

on_embedded!(a_removed_ledger_entry_is_named, |app: TestApp| async move {
    let (first, _) = sealed_case(&app).await;
    sealed_case(&app).await;
    std::fs::remove_file(app.data_dir().join("evidence/ledger/000000000000.json")).unwrap();
    let (code, out) = verify_ledger(&app);
    assert_fails(
        (code, out.clone()),
        "ledger entry 0 is missing: a whole case was removed",
    );
    assert!(
        out.contains(&format!("case {first}: sealed but absent from the ledger")),
        "{out}"
    );
    app.shutdown().await;
});

on_embedded!(
    index_and_store_disagreement_is_named,
    |app: TestApp| async move {
        let (id, period) = sealed_case(&app).await;
        let case_id = offboard_core::CaseId::parse(&id).unwrap();
        let v = app
            .index
            .get(&period, &case_id)
            .await
            .unwrap()
            .expect("index entry");
        let mut entry = v.value;
        // The index claims one more record than the store holds, and another chain head.
        entry.record_count += 1;
        entry.chain_head = offboard_core::ids::Sha256Digest::of(b"forged");
        app.index.put(&entry, Some(&v.etag)).await.unwrap();
        let (code, out) = verify_case(&app, &id);
        assert_fails(
            (code, out.clone()),
            "the index disagrees with the evidence store",
        );
        assert!(
            out.contains("index counts 3 records, the store holds 2"),
            "{out}"
        );
        assert_fails(
            verify_ledger(&app),
            "the index disagrees with the evidence store",
        );
        app.shutdown().await;
    }
);

/// A change made to a packet.
type Tamper = Box<dyn FnOnce(&mut Value)>;

/// Downloads a sealed case's packet to a file; returns the file and the packet JSON.
async fn packet_file(app: &TestApp, dir: &Path) -> (PathBuf, Value, String) {
    let (id, _) = sealed_case(app).await;
    let (status, _, body) = app.get_bytes(&format!("/api/cases/{id}/evidence")).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["verification"]["ok"], true, "{v}");
    (dir.join("packet.json"), v, id)
}

fn verify_tampered_packet(file: &Path, v: &Value, f: impl FnOnce(&mut Value)) -> (i32, String) {
    let mut v = v.clone();
    f(&mut v["packet"]);
    std::fs::write(file, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    offboard(&["verify", file.to_str().unwrap()])
}

on_embedded!(
    a_tampered_packet_file_fails_offline_naming_the_tampering,
    |app: TestApp| async move {
        let dir = tempfile::tempdir().unwrap();
        let (file, v, id) = packet_file(&app, dir.path()).await;
        // The API's own verdict in the file is ignored: only the packet is checked.
        let cases: [(&str, Tamper); 7] = [
            (
                "record 1 was modified",
                Box::new(|p| p["records"][1]["action"] = "case completed".into()),
            ),
            (
                "record 1 was deleted",
                Box::new(|p| {
                    p["records"].as_array_mut().unwrap().remove(1);
                }),
            ),
            (
                "records were reordered",
                Box::new(|p| p["records"].as_array_mut().unwrap().swap(0, 1)),
            ),
            (
                "record 1 was inserted",
                Box::new(|p| {
                    let dup = p["records"][1].clone();
                    p["records"].as_array_mut().unwrap().push(dup);
                }),
            ),
            (
                "the seal is missing",
                Box::new(|p| {
                    p.as_object_mut().unwrap().remove("seal");
                }),
            ),
            (
                "the seal was altered",
                Box::new(|p| p["seal"]["caseStatus"] = "completed".into()),
            ),
            (
                "ledger entry 0 was altered",
                Box::new(|p| p["ledgerEntry"]["period"] = "1999-01".into()),
            ),
        ];
        for (names, tamper) in cases {
            let (code, out) = verify_tampered_packet(&file, &v, tamper);
            assert_eq!(code, 1, "{names}:\n{out}");
            assert!(out.contains(names), "should name `{names}`:\n{out}");
            assert!(out.contains(&format!("case {id}")), "{out}");
        }
        // A seal removed together with the ledger entry still shows: the last record says
        // the case is cancelled, so it must be sealed.
        let (code, out) = verify_tampered_packet(&file, &v, |p| {
            let o = p.as_object_mut().unwrap();
            o.remove("seal");
            o.remove("ledgerEntry");
        });
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("the seal is missing"), "{out}");
        // JSON that is not a packet fails as tampering; a file that is not JSON, or that is
        // not there, could not be verified (exit 2).
        let (code, out) = verify_tampered_packet(&file, &v, |p| {
            p["records"][0]["hash"] = "not a hash".into();
        });
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("not well-formed at `records[0].hash`"),
            "{out}"
        );
        std::fs::write(&file, b"not json").unwrap();
        let (code, out) = offboard(&["verify", file.to_str().unwrap()]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("is not JSON"), "{out}");
        let (code, out) = offboard(&["verify", "/nonexistent/packet.json"]);
        assert_eq!(code, 2, "{out}");
        assert!(
            out.contains("cannot read /nonexistent/packet.json"),
            "{out}"
        );
        let (code, out) = offboard(&["verify", "--ledger", "--data", "/nonexistent"]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("no embedded store at /nonexistent"), "{out}");
        app.shutdown().await;
    }
);
