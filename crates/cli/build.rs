//! Embeds `host.json` and every `handlers/<function>/function.json` into the CLI, so
//! `offboard demo` and `offboard local` run the same function definitions as the deployed
//! app without needing a checkout.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read at run time: a build script compiled in another checkout (a copied target/) would
    // otherwise keep embedding that checkout's functions.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("../..");
    let host = root.join("host.json");
    let handlers = root.join("handlers");
    println!("cargo:rerun-if-changed={}", host.display());
    println!("cargo:rerun-if-changed={}", handlers.display());
    let mut out = String::new();
    let host_text = std::fs::read_to_string(&host).expect("host.json at the workspace root");
    writeln!(
        out,
        "/// host.json\npub const HOST_JSON: &str = {host_text:?};"
    )
    .unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&handlers)
        .expect("handlers/ at the workspace root")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("function.json").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    writeln!(
        out,
        "/// Every function: (name, function.json).\npub const FUNCTIONS: &[(&str, &str)] = &["
    )
    .unwrap();
    for name in names {
        let path = handlers.join(&name).join("function.json");
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("function.json");
        writeln!(out, "    ({name:?}, {text:?}),").unwrap();
    }
    writeln!(out, "];").unwrap();
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("app_definition.rs");
    std::fs::write(dest, out).expect("write app_definition.rs");
}
