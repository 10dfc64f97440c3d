//! What `--help` and the argument errors say agree with what the commands accept.

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
fn the_help_names_every_command_in_its_summary() {
    let (code, out, _) = offboard(&["--help"]);
    assert_eq!(code, 0);
    let summary = out.lines().next().unwrap_or_default();
    for command in ["plan", "verify", "report", "rebuild-index"] {
        assert!(summary.contains(command), "{command} in: {summary}");
    }
}

#[test]
fn a_wrong_kind_is_answered_with_the_kinds_the_help_lists() {
    let (_, help, _) = offboard(&["plan", "--help"]);
    let (code, _, err) = offboard(&["plan", "--user", "a@b.c", "--kind", "fired"]);
    assert_eq!(code, 2, "{err}");
    let listed = err
        .split_once("[possible values: ")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(values, _)| values.to_owned())
        .unwrap_or_else(|| panic!("the kinds are listed: {err}"));
    assert!(help.contains(&listed), "help lists {listed}:\n{help}");
    assert!(!listed.contains("unspecified"), "{listed}");
}
