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
    let mut declared: Vec<String> = permissions::graph_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    declared.sort();
    assert_eq!(granted, declared);
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
    assert_eq!(
        json["graph"].as_array().unwrap().len(),
        permissions::GRAPH.len()
    );
    let text: serde_json::Value = serde_json::from_str(&permissions::names_json_string()).unwrap();
    assert_eq!(text, json);
    assert!(permissions::names_json_string().starts_with("{\"graph\":["));
    assert!(
        permissions::markdown_table()
            .contains("| Graph application permission | `User.RevokeSessions.All` |")
    );
}
