//! The binaries that run in production — the Functions `handler`, the on-prem
//! `offboard-agent`, and `offboard` as operators and auditors build it
//! (`--no-default-features`) — must not contain a stand-in. This asks Cargo for each one's
//! normal and build dependency tree and fails on any `standin-*` crate in it. The installed
//! `offboard` never serves HTTP, so it must not link the handler or its HTTP server either.

use std::process::Command;

/// The packages in the dependency tree of `package` built with `features`, by name.
fn packages_in(package: &str, features: &[&str]) -> Vec<String> {
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
        .map(|l| l.split_whitespace().next().unwrap_or(l).to_owned())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The `standin-*` packages in the dependency tree of `package` built with `features`.
fn standins_in(package: &str, features: &[&str]) -> Vec<String> {
    packages_in(package, features)
        .into_iter()
        .filter(|p| p.starts_with("standin-"))
        .collect()
}

/// The packages that serve HTTP: the handler and the server it runs on.
const HTTP_SERVER: [&str; 2] = ["offboard-handler", "warp"];

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

#[test]
fn the_installed_cli_links_no_http_server() {
    let found: Vec<String> = packages_in("offboard-cli", &["--no-default-features"])
        .into_iter()
        .filter(|p| HTTP_SERVER.contains(&p.as_str()))
        .collect();
    assert_eq!(found, Vec::<String>::new());
}

/// The same check sees the handler where it is: the demo build runs it in-process.
#[test]
fn the_demo_build_of_the_cli_is_seen_to_link_the_handler() {
    let found = packages_in("offboard-cli", &[]);
    assert!(
        found.contains(&"offboard-handler".to_owned()) && found.contains(&"warp".to_owned()),
        "expected the demo build to list the handler and warp, got {found:?}"
    );
}
