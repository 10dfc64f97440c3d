//! The binaries that run in production — the Functions `handler`, the on-prem
//! `offboard-agent`, and `offboard` as operators and auditors build it
//! (`--no-default-features`) — must not contain a stand-in. This asks Cargo for each one's
//! normal and build dependency tree and fails on any `standin-*` crate in it.

use std::process::Command;

/// The `standin-*` packages in the dependency tree of `package` built with `features`.
fn standins_in(package: &str, features: &[&str]) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--locked", "--offline", "-p", package])
        .args([
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .args(features)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        tree.lines().any(|l| l.starts_with(package)),
        "cargo tree -p {package} printed no tree:\n{tree}"
    );
    let mut found: Vec<String> = tree
        .lines()
        .filter(|l| l.starts_with("standin-"))
        .map(|l| l.split_whitespace().next().unwrap_or(l).to_owned())
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn the_handler_holds_no_standin() {
    assert_eq!(standins_in("offboard-handler", &[]), Vec::<String>::new());
}

#[test]
fn the_agent_holds_no_standin() {
    assert_eq!(standins_in("offboard-agent", &[]), Vec::<String>::new());
}

#[test]
fn the_installed_cli_holds_no_standin() {
    assert_eq!(
        standins_in("offboard-cli", &["--no-default-features"]),
        Vec::<String>::new()
    );
}

/// The check can see a stand-in where there is one: the default (demo) build of the CLI
/// links the tenant simulator and the local Functions host.
#[test]
fn the_demo_build_of_the_cli_is_seen_to_hold_standins() {
    let found = standins_in("offboard-cli", &[]);
    assert!(
        found.contains(&"standin-tenant".to_owned())
            && found.contains(&"standin-funchost".to_owned()),
        "expected the demo build to list stand-ins, got {found:?}"
    );
}
