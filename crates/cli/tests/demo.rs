//! The README's first command, `offboard demo`, run as a newcomer runs it: the real binary,
//! a signed termination through the local Functions host into the handler, the tenant
//! simulator as Microsoft 365. Its evidence is then verified by `offboard verify --ledger`
//! and reported by `offboard report`, as the README says one can.

use std::process::Command;

fn offboard(args: &[&str]) -> (i32, String, String) {
    let out = installed(Command::new(env!("CARGO_BIN_EXE_offboard")))
        .args(args)
        .output()
        .expect("run offboard");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// As a user runs the built binary: without the variables `cargo test` sets, which would make
/// offboard suggest `cargo run --` commands (right under `cargo run`, not here).
fn installed(mut c: Command) -> Command {
    c.env_remove("CARGO").env_remove("CARGO_MANIFEST_DIR");
    c
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

    // Not a terminal: every line is whole, nothing is cut with an ellipsis.
    let cut: Vec<&str> = out.lines().filter(|l| l.ends_with('…')).collect();
    assert!(cut.is_empty(), "lines cut short:\n{}", cut.join("\n"));
    assert!(
        out.contains("-Member 'AdeleV@contoso.com'"),
        "the exception's what-to-do is printed whole:\n{out}"
    );
    // The report row names the leaver as resolved, though HR sent only the employee id.
    assert!(
        out.contains("leaver          Adele Vance (AdeleV@contoso.com), Entra object id "),
        "{out}"
    );
    // The closing count counts what the report row lists.
    let listed = out
        .lines()
        .filter(|l| l.starts_with("   exception "))
        .count();
    assert_eq!(listed, 3, "{out}");
    assert!(
        out.contains(&format!(
            "{listed} actions recorded as exceptions (listed under 5."
        )),
        "{out}"
    );

    // The demo says where its data went and what to run next; each command it names works.
    let next: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("The demo's data is kept in "))
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(next.len(), 2, "two commands to run next:\n{out}");
    for command in &next {
        let run = installed(Command::new("sh"))
            .args(["-c", command])
            .output()
            .expect("run the suggested command");
        assert!(
            run.status.success(),
            "`{command}` failed:\n{}\n{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }

    // The data the demo kept verifies on its own, and reports one leaver.
    let (code, out, err) = offboard(&["verify", "--ledger", "--data", data]);
    assert_eq!(code, 0, "offboard verify --ledger failed:\n{out}\n{err}");
    // One sealed case: one case, one ledger entry (each counted once).
    assert!(out.contains("  cases checked:          1\n"), "{out}");
    assert!(out.contains("  seals checked:          1\n"), "{out}");
    assert!(
        out.contains("  ledger entries checked: 1 (the whole ledger, each entry once)"),
        "{out}"
    );

    // A backwards range is an error; a period without cases is not "verified".
    let (code, out, err) = offboard(&[
        "verify", "--ledger", "--data", data, "--from", "2100-12", "--to", "2100-01",
    ]);
    assert_eq!(code, 2, "a backwards range could not run:\n{out}\n{err}");
    assert!(err.contains("the period runs backwards"), "{err}");
    let (code, out, err) = offboard(&[
        "verify", "--ledger", "--data", data, "--from", "2000-01", "--to", "2000-12",
    ]);
    assert_eq!(
        code, 3,
        "nothing to verify has its own exit code:\n{out}\n{err}"
    );
    assert!(
        out.contains("nothing to verify in 2000-01..2000-12"),
        "{out}"
    );
    assert!(!out.contains("VERIFIED"), "{out}");

    // verify and report agree on the exit code for a store that is not there.
    let missing = dir.path().join("no-store");
    let missing = missing.to_str().expect("utf-8 path");
    let (verify_code, _, _) = offboard(&["verify", "--ledger", "--data", missing]);
    let (report_code, _, err) = offboard(&[
        "report",
        "--data",
        missing,
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
    ]);
    assert_eq!(verify_code, 2);
    assert_eq!(report_code, verify_code, "{err}");
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
    let mut reader = csv::Reader::from_reader(report.as_bytes());
    let headers = reader.headers().expect("a header").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), 1, "Adele's row:\n{report}");
    let cell = |name: &str| {
        let i = headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {headers:?}"));
        rows[0][i].to_owned()
    };
    assert_eq!(cell("employee_id"), "E1001", "as HR sent it");
    assert_eq!(cell("user_principal_name"), "", "HR sent no UPN");
    assert_eq!(cell("leaver_user_principal_name"), "AdeleV@contoso.com");
    assert_eq!(cell("leaver_display_name"), "Adele Vance");
    assert_eq!(cell("leaver_employee_id"), "E1001");
    assert!(!cell("leaver_object_id").is_empty(), "{report}");
    assert!(cell("sign_in_cut_at").ends_with('Z'), "{report}");
    assert!(
        !cell("offboard_time_to_sign_in_cut_seconds").is_empty(),
        "{report}"
    );
}
