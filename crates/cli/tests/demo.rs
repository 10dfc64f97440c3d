//! The README's first command, `offboard demo`, run as a newcomer runs it: the real binary,
//! a signed termination through the local Functions host into the handler, the tenant
//! simulator as Microsoft 365. Its evidence is then verified by `offboard verify --ledger`
//! and reported by `offboard report`, as the README says one can.

use std::process::Command;

fn offboard(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_offboard"))
        .args(args)
        .output()
        .expect("run offboard");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_demo_runs_the_whole_path_and_its_evidence_verifies_afterwards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("demo");
    let data = data.to_str().expect("utf-8 path");

    let (code, out, err) = offboard(&["demo", "--data", data]);
    assert_eq!(code, 0, "offboard demo failed:\n{out}\n{err}");
    // 1. intake: accepted, the redelivery maps to the same case, the forgery is refused.
    assert!(out.contains("POST /api/hris/generic -> 202"), "{out}");
    assert!(out.contains("(same case, nothing new)"), "{out}");
    assert!(out.contains("a forged request -> 401"), "{out}");
    // 2.–3. a plan, and actions read back.
    assert!(out.contains("2. The plan for AdeleV@contoso.com"), "{out}");
    assert!(out.contains("expected -> observed"), "{out}");
    // 4. the sealed evidence verifies.
    assert!(
        out.contains("every hash, link and the seal verify"),
        "{out}"
    );
    // 6. the tenant, read from the simulator: Adele is disabled and unlicensed.
    assert!(
        out.contains("accountEnabled false  licences 0"),
        "the simulator must show Adele disabled without licences:\n{out}"
    );

    // The data the demo kept verifies on its own, and reports one leaver.
    let (code, out, err) = offboard(&["verify", "--ledger", "--data", data]);
    assert_eq!(code, 0, "offboard verify --ledger failed:\n{out}\n{err}");
    let csv = dir.path().join("terminations.csv");
    let csv_path = csv.to_str().expect("utf-8 path");
    let (code, out, err) = offboard(&[
        "report",
        "--data",
        data,
        "--from",
        "2000-01-01",
        "--to",
        "2100-12-31",
        "--format",
        "csv",
        "--out",
        csv_path,
    ]);
    assert_eq!(code, 0, "offboard report failed:\n{out}\n{err}");
    let report = std::fs::read_to_string(&csv).expect("the report file");
    let rows: Vec<&str> = report.lines().collect();
    assert_eq!(rows.len(), 2, "a header and Adele's row:\n{report}");
    assert!(rows[1].contains("E1001"), "{report}");
}
