//! The README's test command on a fresh Debian 12 / Ubuntu 24.04: `./scripts/test` installs
//! what it needs (scripts/ensure-tools.sh) instead of failing on a missing `cargo-nextest` or
//! the distributions' Node.js 18. Run here with `--dry-run` against a PATH that has an old
//! Node and no cargo-nextest.

use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn the_test_command_installs_nextest_and_a_node_new_enough() {
    let bin = tempfile::tempdir().expect("temp dir");
    let node = bin.path().join("node");
    std::fs::write(
        &node,
        "#!/bin/sh\ncase \"$1\" in -p) echo 18;; *) echo v18.19.0;; esac\n",
    )
    .expect("a Node 18 stand-in");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&node, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let cache = tempfile::tempdir().expect("cache dir");
    let out = Command::new("bash")
        .arg(repo().join("scripts/ensure-tools.sh"))
        .arg("--dry-run")
        // Debian's PATH without ~/.cargo/bin (no cargo-nextest), Node 18 first.
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .expect("run ensure-tools.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("would install cargo-nextest"), "{text}");
    assert!(
        text.contains("Node.js v18.19.0 is too old or missing: would fetch Node 20."),
        "{text}"
    );

    // The README's command uses it, and CI runs exactly the README's command.
    let test = std::fs::read_to_string(repo().join("scripts/test")).expect("scripts/test");
    assert!(
        test.contains("\n. scripts/ensure-tools.sh --install\n"),
        "{test}"
    );
    let ci = std::fs::read_to_string(repo().join(".ci/run")).expect(".ci/run");
    assert_eq!(ci.trim_end().lines().last(), Some("./scripts/test"), "{ci}");
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    assert!(
        readme.contains("it installs system packages as root"),
        "the README says so"
    );
}
