//! The metadata check itself: Microsoft's Graph v1.0 CSDL (vendored) catches a property,
//! path, query name or body name v1.0 does not declare, and lets through what it does; with
//! `checkMetadata` on, the simulator keeps a finding for its own answers and the requests it
//! gets (the end-to-end suite's test app fails a test on any).

use serde_json::{Value, json};
use standin_identity::{IdentitySelector, TokenSpec};
use standin_tenant::csdl::{self, Model};
use standin_tenant::demo::{self, ids};
use standin_tenant::{SimConfig, TenantSim};

fn model() -> &'static Model {
    csdl::graph_v1().expect("the vendored metadata reads")
}

fn check(method: &str, path: &str, query: &str, body: Option<Value>, answer: Value) -> Vec<String> {
    csdl::check(
        model(),
        method,
        path,
        query,
        body.as_ref(),
        200,
        Some(&answer),
    )
}

#[test]
fn the_vendored_model_holds_what_offboarding_touches() {
    let m = model();
    assert_eq!(m.entity_sets["users"], "microsoft.graph.user");
    assert_eq!(
        m.entity_sets["oauth2PermissionGrants"],
        "microsoft.graph.oAuth2PermissionGrant"
    );
    assert_eq!(
        m.singletons["roleManagement"],
        "microsoft.graph.roleManagement"
    );
    assert!(
        m.property("microsoft.graph.user", "accountEnabled")
            .is_some()
    );
    assert!(
        m.navigation("microsoft.graph.user", "ownedObjects")
            .is_some()
    );
    assert!(
        m.operation("revokeSignInSessions", "microsoft.graph.user", false)
            .is_some()
    );
    assert!(m.derives_from(
        "microsoft.graph.fido2AuthenticationMethod",
        "microsoft.graph.authenticationMethod"
    ));
}

#[test]
fn a_planted_undeclared_property_in_an_answer_is_found() {
    let fido = |time_name: &str| {
        json!({"value": [{
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": "f1", "displayName": "YubiKey", time_name: "2026-01-01T00:00:00Z",
        }]})
    };
    let path = "/users/u1/authentication/methods";
    assert_eq!(
        check("GET", path, "", None, fido("createdDateTime")),
        Vec::<String>::new()
    );
    let found = check("GET", path, "", None, fido("creationDateTime"));
    assert_eq!(
        found,
        vec![
            "answer: 'creationDateTime' is not declared on microsoft.graph.fido2AuthenticationMethod"
                .to_owned()
        ]
    );
    // The beta-only role fields, nested in an expanded navigation property too.
    let found = check(
        "GET",
        "/roleManagement/directory/roleAssignments",
        "$expand=roleDefinition",
        None,
        json!({"value": [{"id": "a", "principalId": "p", "resourceScope": "/",
                          "roleDefinition": {"id": "r", "isPrivileged": true}}]}),
    );
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().any(|f| f.contains("'resourceScope'")));
    assert!(found.iter().any(|f| f.contains("'isPrivileged'")));
    // An `@odata.type` that does not derive from what the path addresses.
    let found = check(
        "GET",
        "/users/u1",
        "",
        None,
        json!({"@odata.type": "#microsoft.graph.group", "id": "u1"}),
    );
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn requests_resolve_or_are_named() {
    let ok = |method: &str, path: &str, query: &str, body: Option<Value>| {
        let found = csdl::check(model(), method, path, query, body.as_ref(), 204, None);
        assert!(found.is_empty(), "{method} {path}?{query}: {found:?}");
    };
    ok("POST", "/users/u1/revokeSignInSessions", "", None);
    ok(
        "GET",
        "/users/u1/memberOf/microsoft.graph.group",
        "$select=id,displayName,groupTypes",
        None,
    );
    ok(
        "POST",
        "/drives/d1/items/i1/invite",
        "",
        Some(
            json!({"recipients": [{"email": "m@contoso.com"}], "roles": ["read"],
                    "requireSignIn": true, "sendInvitation": false}),
        ),
    );
    ok("DELETE", "/groups/g1/members/u1/$ref", "", None);
    // The metadata declares sendMail's parameters in PascalCase; Graph's documentation (and
    // offboard) send them in camelCase, which Graph accepts.
    ok(
        "POST",
        "/users/u1/sendMail",
        "",
        Some(
            json!({"message": {"subject": "s", "body": {"contentType": "text", "content": "c"},
                    "toRecipients": [{"emailAddress": {"address": "a@contoso.com"}}]},
                    "saveToSentItems": false}),
        ),
    );
    ok(
        "POST",
        "/deviceManagement/managedDevices/d1/retire",
        "",
        None,
    );
    ok(
        "PATCH",
        "/users/u1",
        "",
        Some(json!({"accountEnabled": false})),
    );

    let found = |method: &str, path: &str, query: &str, body: Option<Value>| {
        csdl::check(model(), method, path, query, body.as_ref(), 204, None)
    };
    assert_eq!(found("GET", "/userz/u1", "", None).len(), 1);
    assert_eq!(found("GET", "/users/u1/notAThing", "", None).len(), 1);
    assert_eq!(
        found("GET", "/users/u1", "$select=id,isPrivileged", None).len(),
        1
    );
    assert_eq!(
        found("GET", "/users/u1", "$expand=accountEnabled", None).len(),
        1,
        "a structural property cannot be expanded"
    );
    assert_eq!(
        found("PATCH", "/users/u1", "", Some(json!({"enabled": false}))).len(),
        1
    );
    assert_eq!(
        found(
            "POST",
            "/drives/d1/items/i1/invite",
            "",
            Some(json!({"recipients": [{"mail": "m@contoso.com"}], "notify": true})),
        )
        .len(),
        2,
        "an unknown parameter and an unknown property of a driveRecipient"
    );
    assert_eq!(
        found(
            "POST",
            "/users/u1/sendMail",
            "",
            Some(json!({"message": {"subject": "s"}, "saveToOutbox": true})),
        )
        .len(),
        1,
        "an action's unknown parameter, whatever the case of the declared ones"
    );
    assert_eq!(
        found("GET", "/users/u1/revokeSignInSessions", "", None).len(),
        1,
        "an action is POSTed"
    );
    assert_eq!(
        found("GET", "/users/u1/memberOf/microsoft.graph.device", "", None).len(),
        0,
        "device derives from directoryObject"
    );
    assert_eq!(
        found("GET", "/users/u1/manager/microsoft.graph.drive", "", None).len(),
        1,
        "drive does not derive from directoryObject"
    );
}

#[tokio::test]
async fn the_simulator_keeps_a_finding_for_what_v1_does_not_declare() {
    let mut config = SimConfig::default();
    config.settings.check_metadata = true;
    let sim = TenantSim::spawn(config).await.unwrap();
    let token = sim
        .issuer()
        .mint(&TokenSpec {
            identity: IdentitySelector::SystemAssigned,
            resource: standin_identity::GRAPH_RESOURCE.into(),
            roles: Some(
                demo::DEFAULT_GRAPH_APP_ROLES
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            ),
            shift_secs: 0,
            lifetime: None,
        })
        .unwrap();
    let http = reqwest::Client::new();
    let get = |path: String| http.get(path).bearer_auth(&token).send();
    // The provisioning service disabled Adele in Salesforce: its log entry is declared too.
    sim.start_provisioning_job(standin_tenant::model::ProvisioningJob {
        service_principal_id: ids::SP_SALESFORCE.into(),
        ..Default::default()
    });
    sim.with_state(|t| t.user_mut(ids::ADELE).unwrap().account_enabled = false);
    let logs = format!(
        "/auditLogs/provisioning?$filter=servicePrincipal/id eq '{}' and sourceIdentity/id eq '{}'",
        ids::SP_SALESFORCE,
        ids::ADELE
    );
    let answer: Value = get(format!("{}{logs}", sim.graph_base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["value"][0]["provisioningAction"], "disable",
        "{answer}"
    );
    assert_eq!(
        answer["value"][0]["provisioningStatusInfo"]["status"],
        "success"
    );
    assert_eq!(answer["value"][0]["sourceIdentity"]["id"], ids::ADELE);
    // Everything the demo tenant answers about its people is declared.
    for path in [
        logs,
        format!("/users/{}", ids::ADELE),
        format!("/users/{}/authentication/methods", ids::ADELE),
        format!("/users/{}/drive", ids::ADELE),
        format!(
            "/roleManagement/directory/roleAssignments?$filter=principalId eq '{}'&$expand=roleDefinition",
            ids::ISAIAH
        ),
    ] {
        let status = get(format!("{}{path}", sim.graph_base()))
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "{path}: {status}");
    }
    assert_eq!(sim.metadata_findings(), Vec::new());
    // A request that names a beta-only property is kept, with where it came from.
    get(format!(
        "{}/users/{}?$select=id,isPrivileged",
        sim.graph_base(),
        ids::ADELE
    ))
    .await
    .unwrap();
    let findings = sim.metadata_findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].path, format!("/users/{}", ids::ADELE));
    assert!(findings[0].what.contains("'isPrivileged'"), "{findings:?}");
}

#[tokio::test]
async fn a_deleted_user_is_answered_from_deleted_items_as_v1_declares_it() {
    let mut config = SimConfig::default();
    config.settings.check_metadata = true;
    let sim = TenantSim::spawn(config).await.unwrap();
    let token = sim
        .issuer()
        .mint(&TokenSpec {
            identity: IdentitySelector::SystemAssigned,
            resource: standin_identity::GRAPH_RESOURCE.into(),
            roles: Some(
                demo::DEFAULT_GRAPH_APP_ROLES
                    .iter()
                    .chain(demo::ACCOUNT_DELETION_GRAPH_APP_ROLES)
                    .map(|s| (*s).to_owned())
                    .collect(),
            ),
            shift_secs: 0,
            lifetime: None,
        })
        .unwrap();
    let http = reqwest::Client::new();
    let base = sim.graph_base();
    let send = |method: reqwest::Method, path: String| {
        http.request(method, format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
    };
    use reqwest::Method;
    // A synced user: Graph refuses, AD is its source of authority.
    let r = send(Method::DELETE, format!("/users/{}", ids::DIEGO))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(sim.state().user(ids::DIEGO).is_some());
    // Not deleted yet: not in deleted items.
    let r = send(
        Method::GET,
        format!("/directory/deletedItems/{}", ids::ADELE),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let r = send(Method::DELETE, format!("/users/{}", ids::ADELE))
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = send(Method::GET, format!("/users/{}", ids::ADELE))
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "gone from users");
    let item: Value = send(
        Method::GET,
        format!("/directory/deletedItems/{}", ids::ADELE),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(item["@odata.type"], "#microsoft.graph.user", "{item}");
    assert_eq!(item["id"], ids::ADELE);
    assert!(item["deletedDateTime"].as_str().is_some(), "{item}");
    assert!(
        item["userPrincipalName"]
            .as_str()
            .unwrap()
            .starts_with(&ids::ADELE.replace('-', "")),
        "{item}"
    );
    let list: Value = send(
        Method::GET,
        "/directory/deletedItems/microsoft.graph.user".to_owned(),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 1, "{list}");
    // A second DELETE finds no user.
    let r = send(Method::DELETE, format!("/users/{}", ids::ADELE))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(sim.metadata_findings(), Vec::new());
}
