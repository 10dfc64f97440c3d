//! `revoke-sharing` end to end (issue 16): the leaver's anonymous and organisation-wide links
//! go, specific-people links stay, a refused deletion is a failure for a human, a replay
//! deletes nothing twice, and a leaver with nothing to remove has nothing removed; with the
//! SharePoint region in the policy, what others shared with the leaver (site libraries,
//! other people's OneDrives) stops opening for them, and what Graph cannot change is named.
//! Asserted against the tenant simulator's drives, not offboard's records.

use std::time::Duration;

use offboard_core::case::CaseStatus;
use offboard_testkit::{Backend, SimConfig, TestApp, spawn_app_with};
use serde_json::{Value, json};
use standin_tenant::demo::DEFAULT_GRAPH_APP_ROLES;
use standin_tenant::demo_doors::ids as doors;
use standin_tenant::model::{Drive, DriveItem, DrivePermission, SharingLink};

use crate::helpers::event_id;
use crate::pipeline::{ADELE, finished, only_removable_groups};

/// Lynne Robbins, the contractor (no OneDrive in the demo tenant; the test gives her one).
const LYNNE: &str = "10a1d484-cd1a-4162-a5a4-832370bac356";
const LYNNE_DRIVE: &str = "b!lynne-drive";

async fn terminate_now(app: &TestApp, employee_id: &str) -> String {
    let now = chrono::Utc::now().to_rfc3339();
    let body = json!({
        "type": "employee.terminated",
        "timestamp": now,
        "data": {"eventId": event_id(), "employee": {"employeeId": employee_id},
                 "effectiveAt": now, "kind": "voluntary"}
    });
    let a = app.post_generic(&body).await;
    assert_eq!(a.status, 202, "{}\n{}", a.json, app.handler_log());
    a.json["caseId"].as_str().unwrap().to_owned()
}

fn step<'a>(case: &'a Value, kind: &str) -> &'a Value {
    case["plan"]["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["kind"] == kind))
        .unwrap_or_else(|| panic!("no step {kind} in {}", case["plan"]))
}

/// The links left on a drive: `(item id, permission id)`.
fn links_on(app: &TestApp, drive: &str) -> Vec<(String, String)> {
    app.sim.with_state(|t| {
        t.drives
            .iter()
            .filter(|d| d.id == drive)
            .flat_map(|d| &d.items)
            .flat_map(|i| i.links.iter().map(|l| (i.id.clone(), l.id.clone())))
            .collect()
    })
}

/// The permission deletions the tenant received: `(path, status)`.
fn permission_deletes(app: &TestApp) -> Vec<(String, u16)> {
    app.sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.path.contains("/permissions/"))
        .map(|r| (r.path, r.status))
        .collect()
}

/// The identity with `Files.ReadWrite.All` swapped for the read-only `Files.Read.All`.
fn without_files_write() -> Vec<String> {
    DEFAULT_GRAPH_APP_ROLES
        .iter()
        .map(|r| {
            if *r == "Files.ReadWrite.All" {
                "Files.Read.All"
            } else {
                r
            }
        })
        .map(str::to_owned)
        .collect()
}

/// The case's `revoke-sharing` records as JSON text, once its evidence verifies.
async fn step_records(app: &TestApp, id: &str) -> String {
    let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
    assert_eq!(
        ev.json["verification"]["ok"], true,
        "{}",
        ev.json["verification"]
    );
    let ours: Vec<&Value> = ev.json["packet"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["step"] == "revoke-sharing")
        .collect();
    serde_json::to_string(&ours).unwrap()
}

async fn retry(app: &TestApp, id: &str, step: &str) {
    // The host answers 502 until it has started the handler again.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = app
            .client
            .post(format!(
                "{}/api/cases/{id}/steps/{step}/retry",
                app.base_url()
            ))
            .bearer_auth(&app.operator_token)
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            202 => return,
            502 | 503 if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await
            }
            other => panic!("retry of {step} answered {other}"),
        }
    }
}

async fn sharing_links_go_once_and_specific_people_links_stay(backend: Backend) {
    let mut seed = standin_tenant::demo::demo_tenant();
    if let Some(mi) = seed.identities.system_assigned.as_mut() {
        mi.graph_app_roles = without_files_write();
    }
    let app = spawn_app_with(
        backend,
        SimConfig {
            seed: Some(seed),
            ..SimConfig::default()
        },
        |_| {},
    )
    .await;
    only_removable_groups(&app, ADELE);
    let drive = standin_tenant::demo::ids::DRIVE_ADELE;
    let all_links = links_on(&app, drive);
    assert_eq!(all_links.len(), 3);

    // The dry run names the two links that will go and keeps Megan's; it changes nothing.
    let dry = app
        .post_offboarding(
            &json!({"employee": {"employeeId": "E1001"}, "dryRun": true, "kind": "voluntary"}),
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.json);
    let preview = step(&dry.json, "revoke-sharing")["preview"].to_string();
    assert!(
        preview.contains("anonymous view link on /Budget (permission")
            && preview.contains("organization edit link on /Roadmap.pptx")
            && preview.contains("keep 1 link")
            && !preview.contains(doors::LINK_ROADMAP_MEGAN),
        "{preview}"
    );

    // Refused: the identity may read files, not change their sharing.
    let id = terminate_now(&app, "E1001").await;
    let case = serde_json::to_value(finished(&app, &id).await.case).unwrap();
    assert_eq!(
        case["status"], "completed_with_exceptions",
        "{}",
        case["plan"]
    );
    let s = step(&case, "revoke-sharing");
    assert_eq!(s["status"], "failed", "{s}");
    assert_eq!(s["dependsOn"], json!(["block-sign-in"]), "{s}");
    assert_eq!(links_on(&app, drive), all_links, "nothing may be gone");
    let refused = permission_deletes(&app);
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|(_, s)| *s == 403), "{refused:?}");
    let open = app.get("/api/remediations").await;
    let item = open.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["step"] == "revoke-sharing")
        .unwrap_or_else(|| panic!("no remediation item: {}", open.json))
        .clone();
    assert!(item["reason"].as_str().unwrap().contains("403"), "{item}");

    // Granted (and the app restarted for a fresh token), the retries remove the two links.
    assert!(
        app.sim.issuer().set_roles(
            standin_identity::DEMO_CLIENT_ID,
            standin_identity::GRAPH_RESOURCE,
            DEFAULT_GRAPH_APP_ROLES
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
        )
    );
    app.host().kill_handler().await;
    retry(&app, &id, "revoke-sharing").await;
    retry(&app, &id, "onedrive-manager-access").await;
    let case = app
        .wait_case(&id, Duration::from_secs(120), |c| {
            c.case.status == CaseStatus::Completed
        })
        .await;
    let case = serde_json::to_value(case.case).unwrap();
    assert_eq!(step(&case, "revoke-sharing")["status"], "verified");
    assert_eq!(
        links_on(&app, drive),
        vec![(
            doors::ITEM_ROADMAP.to_owned(),
            doors::LINK_ROADMAP_MEGAN.to_owned()
        )]
    );
    let deleted: Vec<_> = permission_deletes(&app)
        .into_iter()
        .filter(|(_, s)| *s == 204)
        .collect();
    assert_eq!(deleted.len(), 2, "{deleted:?}");
    assert!(
        deleted.iter().any(|(p, _)| p.ends_with(&format!(
            "/items/{}/permissions/{}",
            doors::ITEM_BUDGET,
            doors::LINK_BUDGET_ANYONE
        ))),
        "{deleted:?}"
    );

    // The evidence names each link's item, scope and type with its read-back, never its URL;
    // the chain verifies across the new seal generation.
    let text = step_records(&app, &id).await;
    assert!(
        text.contains("/Roadmap.pptx")
            && text.contains("\"scope\":\"organization\"")
            && text.contains("readBack")
            && !text.contains(":f:/s/"),
        "{text}"
    );

    // A replayed message deletes nothing again.
    app.enqueue(
        "step-revoke-sharing",
        &json!({"caseId": id, "step": "revoke-sharing", "attempt": 0}).to_string(),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app
        .queue
        .approximate_len("step-revoke-sharing")
        .await
        .unwrap()
        > 0
    {
        assert!(std::time::Instant::now() < deadline, "replay not consumed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        permission_deletes(&app)
            .iter()
            .filter(|(_, s)| *s == 204)
            .count(),
        2,
        "the replay deleted again"
    );

    // Nothing to remove: Lynne shared one file with specific people only.
    app.sim.with_state(|t| {
        let root = "01LYNNEROOT".to_owned();
        t.drives.push(Drive {
            id: LYNNE_DRIVE.to_owned(),
            owner_id: LYNNE.to_owned(),
            drive_type: "business".to_owned(),
            web_url: "https://contoso-my.sharepoint.com/personal/lynner_contoso_com/Documents"
                .to_owned(),
            root_id: root.clone(),
            items: vec![DriveItem {
                id: "01LYNNEPLAN".to_owned(),
                name: "Plan.docx".to_owned(),
                parent_id: root,
                folder: false,
                links: vec![SharingLink {
                    id: "lynne-users-link".to_owned(),
                    scope: "users".to_owned(),
                    link_type: "edit".to_owned(),
                    granted_to: vec![ADELE.to_owned()],
                }],
                grants: Vec::new(),
            }],
            ..Drive::default()
        })
    });
    let before = permission_deletes(&app).len();
    let id = terminate_now(&app, "C2001").await;
    let case = serde_json::to_value(finished(&app, &id).await.case).unwrap();
    let s = step(&case, "revoke-sharing");
    assert_eq!(s["status"], "not_applicable", "{s}");
    assert!(
        s["reason"]
            .as_str()
            .unwrap()
            .contains("no sharing links of scope anonymous, organization"),
        "{s}"
    );
    assert_eq!(permission_deletes(&app).len(), before);
    assert_eq!(links_on(&app, LYNNE_DRIVE).len(), 1);
    assert!(
        !app.sim.requests().iter().any(|r| r.path == "/search/query"),
        "without [sharing] sharepoint_region nothing is searched"
    );
    app.shutdown().await;
}

mod sharing_links_go_once_and_specific_people_links_stay {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        sharing_links_go_once_and_specific_people_links_stay(Backend::Embedded).await;
    }
    #[tokio::test]
    async fn azure() {
        sharing_links_go_once_and_specific_people_links_stay(Backend::Azure).await;
    }
}

/// The Finance site's library, where Adele was given access, and Diego's OneDrive item shared
/// with her.
const FINANCE: &str = "b!finance-shared-documents";
const FINANCE_SITE: &str = "contoso.sharepoint.com,5a58bb09-1fba-41c1-8125-69da264370a0,9f2ec1da-0be4-4a74-9254-973f0add78fd";

fn grant(id: &str, user: &str, role: &str) -> DrivePermission {
    DrivePermission {
        id: id.to_owned(),
        roles: vec![role.to_owned()],
        user_id: user.to_owned(),
        invited: false,
        expiration_date_time: None,
    }
}

fn file(
    id: &str,
    name: &str,
    parent: &str,
    links: Vec<SharingLink>,
    grants: Vec<DrivePermission>,
) -> DriveItem {
    DriveItem {
        id: id.to_owned(),
        name: name.to_owned(),
        parent_id: parent.to_owned(),
        folder: false,
        links,
        grants,
    }
}

fn users_link(id: &str, people: &[&str]) -> SharingLink {
    SharingLink {
        id: id.to_owned(),
        scope: "users".to_owned(),
        link_type: "edit".to_owned(),
        granted_to: people.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// A file of Diego's OneDrive that he granted Adele access to (`perm-diego-adele`).
fn share_diegos_notes_with_adele(t: &mut standin_tenant::model::Tenant) {
    let diego = t
        .drives
        .iter_mut()
        .find(|d| d.id == standin_tenant::demo::ids::DRIVE_DIEGO)
        .expect("Diego's OneDrive");
    let root = diego.root_id.clone();
    diego.items.push(file(
        "01DIEGONOTES",
        "Notes.docx",
        &root,
        vec![],
        vec![grant("perm-diego-adele", ADELE, "write")],
    ));
}

/// Every permission left on the simulator's drives: `(drive, item, permission)`.
fn permissions_left(app: &TestApp) -> Vec<(String, String, String)> {
    app.sim.with_state(|t| {
        t.drives
            .iter()
            .flat_map(|d| {
                d.items.iter().flat_map(move |i| {
                    i.links
                        .iter()
                        .map(|l| l.id.clone())
                        .chain(i.grants.iter().map(|g| g.id.clone()))
                        .map(move |p| (d.id.clone(), i.id.clone(), p))
                })
            })
            .collect()
    })
}

async fn what_others_shared_with_the_leaver_stops_opening_for_them(backend: Backend) {
    use standin_tenant::demo::ids::MEGAN;
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = crate::guardrails::policy_file(
        dir.path(),
        &[(
            "# sharepoint_region = \"NAM\"",
            "sharepoint_region = \"nam\"",
        )],
    );
    let app = spawn_app_with(backend, SimConfig::default(), |s| {
        s.insert("OFFBOARD_POLICY_FILE".into(), policy);
    })
    .await;
    only_removable_groups(&app, ADELE);
    app.sim.with_state(|t| {
        let root = "01FINANCEROOT".to_owned();
        t.drives.push(Drive {
            id: FINANCE.to_owned(),
            owner_id: FINANCE_SITE.to_owned(),
            drive_type: "documentLibrary".to_owned(),
            web_url: "https://contoso.sharepoint.com/sites/Finance/Shared%20Documents".to_owned(),
            root_id: root.clone(),
            site_id: Some(FINANCE_SITE.to_owned()),
            items: vec![
                // Granted to Adele on the folder; the file in it inherits.
                DriveItem {
                    folder: true,
                    ..file(
                        "01BOARD",
                        "Board",
                        &root,
                        vec![],
                        vec![grant("perm-board-adele", ADELE, "read")],
                    )
                },
                file("01MINUTES", "Minutes.docx", "01BOARD", vec![], vec![]),
                // A link for Adele alone; a link for Adele and Megan; Megan's own access.
                file(
                    "01FORECAST",
                    "Forecast.xlsx",
                    &root,
                    vec![users_link("link-forecast-adele", &[ADELE])],
                    vec![],
                ),
                file(
                    "01PLAN",
                    "Plan.pptx",
                    &root,
                    vec![users_link("link-plan-both", &[ADELE, MEGAN])],
                    vec![],
                ),
                file(
                    "01OTHER",
                    "Other.docx",
                    &root,
                    vec![],
                    vec![grant("perm-other-megan", MEGAN, "write")],
                ),
            ],
            ..Drive::default()
        });
        share_diegos_notes_with_adele(t);
    });

    // The dry run says the step searches, in the policy's region.
    let dry = app
        .post_offboarding(
            &json!({"employee": {"employeeId": "E1001"}, "dryRun": true, "kind": "voluntary"}),
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.json);
    let preview = step(&dry.json, "revoke-sharing")["preview"].to_string();
    assert!(preview.contains("(region NAM)"), "{preview}");

    let id = terminate_now(&app, "E1001").await;
    let case = serde_json::to_value(finished(&app, &id).await.case).unwrap();
    assert_eq!(
        case["status"], "completed_with_exceptions",
        "{}",
        case["plan"]
    );
    let s = step(&case, "revoke-sharing");
    assert_eq!(s["status"], "exception", "{s}");

    // Adele's own permissions are gone; the shared link and Megan's access stay.
    let left = permissions_left(&app);
    let has = |p: &str| left.iter().any(|(_, _, q)| q == p);
    assert!(
        !has("perm-board-adele") && !has("link-forecast-adele") && !has("perm-diego-adele"),
        "{left:?}"
    );
    assert!(has("link-plan-both") && has("perm-other-megan"), "{left:?}");
    let searches: Vec<_> = app
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/search/query")
        .collect();
    assert!(!searches.is_empty());
    let body = searches[0].body.clone().unwrap_or_default().to_string();
    assert!(
        body.contains("\"region\":\"NAM\"") && body.contains("SharedWithUsersOWSUSER"),
        "{body}"
    );
    assert!(searches.iter().all(|r| r.status == 200), "{searches:?}");
    let deleted: Vec<_> = permission_deletes(&app)
        .into_iter()
        .filter(|(p, s)| *s == 204 && !p.contains(standin_tenant::demo::ids::DRIVE_ADELE))
        .collect();
    assert_eq!(deleted.len(), 3, "{deleted:?}");

    // The evidence: SharePoint as the system, each item's address, the exception saying what
    // to do with the shared link.
    let text = step_records(&app, &id).await;
    assert!(
        text.contains("\"sharepoint\"")
            && text.contains("/sites/Finance/Shared%20Documents/Board")
            && text.contains("Plan.pptx: a edit link for specific people lets in")
            && text.contains("Manage access"),
        "{text}"
    );

    // A person takes Adele off the shared link in SharePoint and retries: the step searches
    // again, finds nothing of Adele's left (the index still lists the items), deletes nothing
    // more and verifies.
    let open = app.get("/api/remediations").await;
    assert!(
        open.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["step"] == "revoke-sharing" && i["caseId"] == id.as_str()),
        "a remediation item for the person: {}",
        open.json
    );
    app.sim.with_state(|t| {
        for d in t.drives.iter_mut().filter(|d| d.id == FINANCE) {
            for l in d.items.iter_mut().flat_map(|i| i.links.iter_mut()) {
                l.granted_to.retain(|u| u != ADELE);
            }
        }
    });
    let before = permission_deletes(&app).len();
    let searched = searches.len();
    retry(&app, &id, "revoke-sharing").await;
    let again = app
        .wait_case(&id, Duration::from_secs(120), |c| {
            c.case.status == CaseStatus::Completed
        })
        .await;
    let again = serde_json::to_value(again.case).unwrap();
    assert_eq!(step(&again, "revoke-sharing")["status"], "verified");
    assert!(
        app.sim
            .requests()
            .iter()
            .filter(|r| r.path == "/search/query")
            .count()
            > searched,
        "searched again"
    );
    assert_eq!(
        permission_deletes(&app).len(),
        before,
        "the second run deleted again"
    );
    assert!(
        permissions_left(&app)
            .iter()
            .any(|(_, _, p)| p == "link-plan-both"),
        "the link itself stays, for Megan"
    );
    app.shutdown().await;
}

mod what_others_shared_with_the_leaver_stops_opening_for_them {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        what_others_shared_with_the_leaver_stops_opening_for_them(Backend::Embedded).await;
    }
    #[tokio::test]
    async fn azure() {
        what_others_shared_with_the_leaver_stops_opening_for_them(Backend::Azure).await;
    }
}

/// Refused: an identity that may read files but not change their sharing finds what was shared
/// with the leaver, is refused each deletion (403), and the step fails for a person with Graph's
/// answer; nothing is removed.
async fn a_refused_removal_of_what_was_shared_with_the_leaver_is_a_failure_for_a_person(
    backend: Backend,
) {
    use standin_tenant::demo::ids::DRIVE_DIEGO;
    let mut seed = standin_tenant::demo::demo_tenant();
    if let Some(mi) = seed.identities.system_assigned.as_mut() {
        mi.graph_app_roles = without_files_write();
    }
    share_diegos_notes_with_adele(&mut seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = crate::guardrails::policy_file(
        dir.path(),
        &[(
            "# sharepoint_region = \"NAM\"",
            "sharepoint_region = \"NAM\"",
        )],
    );
    let app = spawn_app_with(
        backend,
        SimConfig {
            seed: Some(seed),
            ..SimConfig::default()
        },
        |s| {
            s.insert("OFFBOARD_POLICY_FILE".into(), policy);
        },
    )
    .await;
    only_removable_groups(&app, ADELE);
    let id = terminate_now(&app, "E1001").await;
    let case = serde_json::to_value(finished(&app, &id).await.case).unwrap();
    let s = step(&case, "revoke-sharing");
    assert_eq!(s["status"], "failed", "{s}");
    let refused: Vec<_> = permission_deletes(&app)
        .into_iter()
        .filter(|(p, _)| p.contains(DRIVE_DIEGO))
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].1, 403, "{refused:?}");
    assert!(
        permissions_left(&app)
            .iter()
            .any(|(_, _, p)| p == "perm-diego-adele"),
        "nothing may be gone"
    );
    let text = step_records(&app, &id).await;
    assert!(
        text.contains("\"sharepoint\"") && text.contains("403"),
        "{text}"
    );
    app.shutdown().await;
}

mod a_refused_removal_of_what_was_shared_with_the_leaver_is_a_failure_for_a_person {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        a_refused_removal_of_what_was_shared_with_the_leaver_is_a_failure_for_a_person(
            Backend::Embedded,
        )
        .await;
    }
    #[tokio::test]
    async fn azure() {
        a_refused_removal_of_what_was_shared_with_the_leaver_is_a_failure_for_a_person(
            Backend::Azure,
        )
        .await;
    }
}
