//! The simulator's default tenant grants exactly the declared least-privilege set, so tests fail
//! when code needs more than production will have.

use offboard_graph::permissions;
use standin_tenant::demo;

#[test]
fn the_demo_tenant_grants_exactly_the_declared_set() {
    let tenant = demo::demo_tenant();
    let mi = tenant.identities.system_assigned.clone().unwrap();
    let mut granted = mi.graph_app_roles.clone();
    granted.sort();
    let mut declared: Vec<String> = permissions::graph_names_always()
        .into_iter()
        .map(str::to_owned)
        .collect();
    declared.sort();
    assert_eq!(granted, declared);
    // With account deletion on, exactly what that switch adds.
    let with = demo::demo_tenant_with_account_deletion();
    let mut granted = with.identities.system_assigned.unwrap().graph_app_roles;
    granted.sort();
    let mut declared: Vec<String> = permissions::graph_names_always()
        .into_iter()
        .chain(permissions::graph_names_when(
            &permissions::ACCOUNT_DELETION,
        ))
        .map(str::to_owned)
        .collect();
    declared.sort();
    assert_eq!(granted, declared);
    assert_eq!(
        demo::ACCOUNT_DELETION_GRAPH_APP_ROLES,
        permissions::graph_names_when(&permissions::ACCOUNT_DELETION).as_slice()
    );
    assert_eq!(mi.exchange_app_roles, permissions::exchange_names());
    let mut roles: Vec<String> = tenant
        .roles_of(&mi.object_id)
        .iter()
        .map(|d| d.display_name.clone())
        .collect();
    roles.sort();
    let mut declared_roles: Vec<String> = permissions::directory_role_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    declared_roles.sort();
    assert_eq!(roles, declared_roles);
}

#[test]
fn every_declared_permission_says_why() {
    for p in permissions::GRAPH
        .iter()
        .chain(permissions::EXCHANGE)
        .chain(permissions::DIRECTORY_ROLES)
    {
        assert!(p.why.len() > 20, "{} needs a reason", p.name);
        assert!(!p.calls.is_empty(), "{} needs its calls", p.name);
    }
    let json = permissions::names_json();
    let conditional = permissions::GRAPH
        .iter()
        .filter(|p| p.only_when.is_some())
        .count();
    assert!(conditional >= 1);
    assert_eq!(
        json["graph"].as_array().unwrap().len(),
        permissions::GRAPH.len() - conditional
    );
    let text: serde_json::Value = serde_json::from_str(&permissions::names_json_string()).unwrap();
    assert_eq!(text, json);
    assert!(permissions::names_json_string().starts_with("{\"graph\":["));
    assert!(
        permissions::markdown_table()
            .contains("| Graph application permission | `User.RevokeSessions.All` |")
    );
}

#[test]
fn user_write_is_granted_only_with_account_deletion_on() {
    let json = permissions::names_json();
    let always: Vec<&str> = json["graph"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!always.contains(&"User.ReadWrite.All"), "{always:?}");
    assert!(always.contains(&"User.Read.All"), "{always:?}");
    assert_eq!(
        json["onlyWhen"]["enable_account_deletion"]["graph"],
        serde_json::json!(["User.ReadWrite.All"])
    );
    assert_eq!(
        permissions::graph_names_when(&permissions::ACCOUNT_DELETION),
        vec!["User.ReadWrite.All"]
    );
    assert_eq!(permissions::switches(), vec![permissions::ACCOUNT_DELETION]);
    // Every permission is either always granted or granted by one switch, never both.
    assert_eq!(
        permissions::graph_names_always().len()
            + permissions::graph_names_when(&permissions::ACCOUNT_DELETION).len(),
        permissions::graph_names().len()
    );
    assert!(permissions::markdown_table().contains(
        "| Graph application permission | `User.ReadWrite.All` (only with `enable_account_deletion`) |"
    ));
}

#[test]
fn the_readme_tables_are_the_declared_set() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    // The crate README holds the generated table verbatim (`--example permissions -- --markdown`).
    let crate_readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        crate_readme.contains(&permissions::markdown_table()),
        "crates/graph/README.md: paste the output of `cargo run -q -p offboard-graph --example permissions -- --markdown`"
    );
    // The top-level README's table names every declared permission once, each conditional one
    // with its switch.
    let readme = std::fs::read_to_string(root.join("../../README.md")).unwrap();
    let start = readme
        .find("## Least privilege")
        .expect("a least-privilege section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    for p in permissions::GRAPH
        .iter()
        .chain(permissions::EXCHANGE)
        .chain(permissions::DIRECTORY_ROLES)
    {
        let row = format!("| `{}`", p.name);
        assert_eq!(
            section.matches(&row).count(),
            1,
            "README.md: one row for {}",
            p.name
        );
        if let Some(sw) = p.only_when {
            let line = section
                .lines()
                .find(|l| l.contains(&row))
                .unwrap_or_default();
            assert!(
                line.contains(sw.infra) && line.contains(sw.bicep),
                "README.md: the row of {} names its switch: {line}",
                p.name
            );
        }
    }
}
