//! Prints the managed identity's least-privilege set as JSON:
//! `{"graph":[...],"exchange":[...],"directoryRoles":[...],"onlyWhen":{"<switch>":{"graph":[...]}}}`
//! (`graph`: what every deployment grants; `onlyWhen`: what a deployment adds with that
//! infrastructure switch on).
//!
//! `cargo run -q -p offboard-graph --example permissions` prints names only (what infrastructure
//! grants); `-- --detailed` adds why and which calls; `-- --markdown` prints the README table.

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    match arg.as_str() {
        "--markdown" => print!("{}", offboard_graph::permissions::markdown_table()),
        "--detailed" => println!(
            "{}",
            serde_json::to_string_pretty(&offboard_graph::permissions::detailed_json())
                .unwrap_or_default()
        ),
        _ => println!("{}", offboard_graph::permissions::names_json_string()),
    }
}
