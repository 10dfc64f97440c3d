//! PIM eligibility and ownerships (issue 16), end to end on each backend, in one stack per
//! backend: the dry run shows both steps; with two permissions withheld Graph refuses part of
//! each step, which fails with a remediation item naming the 403 and changes nothing it was
//! refused; once granted, a retry finishes what is left without repeating what was done; a
//! replayed message writes nothing; a leaver with nothing eligible and nothing owned has
//! nothing written; a sole owner with no successor (no manager, no `fallback_owner`) keeps
//! each sole-owned object, recorded as an exception naming it. Every assertion about the outcome reads the simulator's state or request
//! log.

use std::time::Duration;

use offboard_core::case::CaseStatus;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_testkit::{Backend, SimConfig, TestApp, spawn_app_with};
use serde_json::json;
use standin_tenant::demo::DEFAULT_GRAPH_APP_ROLES;
use standin_tenant::demo::ids::{ALEX, GROUP_FINANCE_APPS, GROUP_RETAIL_M365, LYNNE, MEGAN};
use standin_tenant::demo_doors_pim_owners::ids as pim;

use crate::helpers::event_id;
use crate::pipeline::{finished, only_removable_groups, step};

const PIM: &str = "remove-pim-eligibility";
const OWNERS: &str = "transfer-ownerships";

/// The demo's permissions with the two that write PIM-for-Groups eligibility and app owners
/// swapped for their read-only forms.
fn withheld() -> Vec<String> {
    DEFAULT_GRAPH_APP_ROLES
        .iter()
        .map(|r| match *r {
            "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup" => {
                "PrivilegedEligibilitySchedule.Read.AzureADGroup"
            }
            "Application.ReadWrite.All" => "Application.Read.All",
            r => r,
        })
        .map(str::to_owned)
        .collect()
}

async fn terminate_now(app: &TestApp, employee_id: &str) -> String {
    let body = json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"eventId": event_id(), "employee": {"employeeId": employee_id},
                 "effectiveAt": chrono::Utc::now().to_rfc3339(), "kind": "voluntary"}
    });
    let a = app.post_generic(&body).await;
    assert_eq!(a.status, 202, "{}\n{}", a.json, app.handler_log());
    a.json["caseId"].as_str().unwrap().to_owned()
}

/// The writes the tenant received for these two steps: `(method, path, status)`.
fn writes(app: &TestApp) -> Vec<(String, String, u16)> {
    app.sim
        .requests()
        .into_iter()
        .filter(|r| {
            r.method != "GET"
                && (r.path.contains("EligibilityScheduleRequests")
                    || r.path.contains("eligibilityScheduleRequests")
                    || r.path.contains("/owners"))
        })
        .map(|r| (r.method, r.path, r.status))
        .collect()
}

/// Who owns `object`, as the simulator holds it.
fn owners(app: &TestApp, object: &str) -> Vec<String> {
    let mut o: Vec<String> = app
        .sim
        .state()
        .owners
        .iter()
        .filter(|o| o.object_id == object)
        .map(|o| o.owner_id.clone())
        .collect();
    o.sort();
    o
}

/// The eligibility schedules `user` holds (roles and groups), as the simulator holds them.
fn eligible(app: &TestApp, user: &str) -> Vec<String> {
    let t = app.sim.state();
    t.role_eligibility_schedules
        .iter()
        .filter(|e| e.principal_id == user)
        .map(|e| e.id.clone())
        .chain(
            t.group_eligibility_schedules
                .iter()
                .filter(|e| e.principal_id == user)
                .map(|e| e.id.clone()),
        )
        .collect()
}

async fn retry(app: &TestApp, id: &str, kind: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = app
            .client
            .post(format!(
                "{}/api/cases/{id}/steps/{kind}/retry",
                app.base_url()
            ))
            .bearer_auth(&app.operator_token)
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            202 => return,
            // The host answers 502 until it has started the handler again.
            502 | 503 if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await
            }
            other => panic!("retry of {kind} answered {other}"),
        }
    }
}

async fn replay(app: &TestApp, id: &str, kind: &str) {
    let queue = format!("step-{kind}");
    app.enqueue(
        &queue,
        &json!({"caseId": id, "step": kind, "attempt": 0}).to_string(),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.queue.approximate_len(&queue).await.unwrap() > 0 {
        assert!(std::time::Instant::now() < deadline, "replay not consumed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn eligibility_and_ownerships(backend: Backend) {
    let mut seed = standin_tenant::demo::demo_tenant();
    if let Some(mi) = seed.identities.system_assigned.as_mut() {
        mi.graph_app_roles = withheld();
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
    only_removable_groups(&app, ALEX);

    // The dry run shows what each step would change, and changes nothing.
    let dry = app
        .post_offboarding(
            &json!({"employee": {"employeeId": "E1008"}, "dryRun": true, "kind": "voluntary"}),
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.json);
    let preview = |kind: &str| {
        dry.json["plan"]["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["kind"] == kind))
            .map(|s| s["preview"].to_string())
            .unwrap_or_else(|| panic!("no {kind} in {}", dry.json))
    };
    let p = preview(PIM);
    assert!(
        p.contains("Privileged Role Administrator")
            && p.contains("member of group Helpdesk Tier 1"),
        "{p}"
    );
    let p = preview(OWNERS);
    assert!(
        p.contains("add MeganB@contoso.com as owner of group Finance Apps")
            && p.contains("remove the leaver as owner of group Retail")
            && p.contains("app registration Campaign Mailer"),
        "{p}"
    );
    assert!(writes(&app).is_empty());

    // Refused in part: the role eligibility and the groups go, the rest stays and is failed.
    let id = terminate_now(&app, "E1008").await;
    // Alex is eligible for a privileged role: a protected person, held until approved.
    crate::guardrails::approve_when_held(&app, &id).await;
    let case = finished(&app, &id).await;
    let pim_step = step(&case, StepKind::RemovePimEligibility);
    assert_eq!(pim_step.status, StepStatus::Failed, "{pim_step:?}");
    // The eligibility went before anything acted on the account.
    assert!(pim_step.depends_on.is_empty());
    assert!(
        step(&case, StepKind::BlockSignIn)
            .depends_on
            .contains(&StepKind::RemovePimEligibility)
    );
    assert_eq!(
        step(&case, StepKind::TransferOwnerships).status,
        StepStatus::Failed
    );
    assert_eq!(eligible(&app, ALEX), vec![pim::ELIGIBILITY_ALEX_HELPDESK]);
    assert_eq!(owners(&app, GROUP_FINANCE_APPS), vec![MEGAN.to_owned()]);
    assert_eq!(owners(&app, GROUP_RETAIL_M365), vec![MEGAN.to_owned()]);
    assert_eq!(
        owners(&app, pim::APP_CAMPAIGN_MAILER),
        vec![ALEX.to_owned()]
    );
    assert_eq!(owners(&app, pim::SP_CAMPAIGN_MAILER), vec![ALEX.to_owned()]);
    let refused: Vec<_> = writes(&app).into_iter().filter(|w| w.2 == 403).collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    let open = app.get("/api/remediations").await;
    let items = open.json["items"].as_array().unwrap();
    for kind in [PIM, OWNERS] {
        let item = items
            .iter()
            .find(|i| i["step"] == kind)
            .unwrap_or_else(|| panic!("no remediation for {kind}: {}", open.json));
        assert!(item["reason"].as_str().unwrap().contains("403"), "{item}");
    }

    // The evidence names each eligibility removed and each object handed over.
    let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
    let records = ev.json["packet"]["records"].to_string();
    assert!(
        records.contains("Privileged Role Administrator")
            && records.contains(pim::ELIGIBILITY_ALEX_PRA)
            && records.contains("\"requestStatus\":\"Revoked\"")
            && records.contains("hand group Finance Apps"),
        "{records}"
    );

    // A person grants the permissions and restarts the app; a retry finishes the rest.
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
    retry(&app, &id, PIM).await;
    retry(&app, &id, OWNERS).await;
    let case = app
        .wait_case(&id, Duration::from_secs(120), |c| {
            [StepKind::RemovePimEligibility, StepKind::TransferOwnerships]
                .iter()
                .all(|k| {
                    c.case
                        .plan
                        .as_ref()
                        .and_then(|p| p.step(*k))
                        .map(|s| s.status)
                        == Some(StepStatus::Verified)
                })
                && c.case.status != CaseStatus::Running
        })
        .await;
    assert_eq!(
        case.case.status,
        CaseStatus::Completed,
        "{:?}",
        case.case.plan
    );
    assert!(eligible(&app, ALEX).is_empty());
    for object in [
        GROUP_FINANCE_APPS,
        GROUP_RETAIL_M365,
        pim::APP_CAMPAIGN_MAILER,
        pim::SP_CAMPAIGN_MAILER,
    ] {
        assert_eq!(owners(&app, object), vec![MEGAN.to_owned()], "{object}");
    }
    // Each change was made once: one accepted request per eligibility, one owner added per
    // sole-owned object and one removal of Alex per object.
    let done = writes(&app);
    let ok: Vec<_> = done.iter().filter(|w| w.2 < 300).collect();
    assert_eq!(ok.len(), 2 + 3 + 4, "{done:?}");
    assert_eq!(
        ok.iter()
            .filter(|w| w.0 == "DELETE" && w.1.ends_with(&format!("/owners/{ALEX}/$ref")))
            .count(),
        4,
        "{done:?}"
    );

    // A replayed message writes nothing again.
    replay(&app, &id, PIM).await;
    replay(&app, &id, OWNERS).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(writes(&app), done, "a replay wrote again");

    // Nothing eligible, nothing owned: both not applicable, asked and nothing written.
    let lynne = terminate_now(&app, "C2001").await;
    let case = finished(&app, &lynne).await;
    for k in [StepKind::RemovePimEligibility, StepKind::TransferOwnerships] {
        assert_eq!(step(&case, k).status, StepStatus::NotApplicable, "{k}");
    }
    let asked = app.sim.requests();
    assert!(
        asked
            .iter()
            .any(|r| r.path.ends_with("roleEligibilitySchedules") && r.query.contains(LYNNE)),
        "the planner never listed Lynne's eligibility"
    );
    assert!(
        asked
            .iter()
            .any(|r| r.path == format!("/users/{LYNNE}/ownedObjects")),
        "the planner never listed what Lynne owns"
    );
    assert_eq!(writes(&app), done);
    app.shutdown().await;
}

mod eligibility_and_ownerships_refused_retried_replayed {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        eligibility_and_ownerships(Backend::Embedded).await;
    }
    #[tokio::test]
    async fn azure() {
        eligibility_and_ownerships(Backend::Azure).await;
    }
}

/// Alex alone owns "Finance Apps" and the "Campaign Mailer" app registration and service
/// principal, and shares "Retail" with Megan. Without a manager and without the policy's
/// `fallback_owner` there is nobody to hand his sole-owned objects to: each is an exception
/// naming it and what a person must do, he stays their owner (never an ownerless object), and
/// the shared group still loses him.
async fn no_successor(backend: Backend) {
    let app = spawn_app_with(backend, SimConfig::default(), |_| {}).await;
    only_removable_groups(&app, ALEX);
    app.sim.with_state(|t| {
        t.user_mut(ALEX).expect("the demo has Alex").manager_id = None;
    });
    let id = terminate_now(&app, "E1008").await;
    // Alex is eligible for a privileged role: a protected person, held until approved.
    crate::guardrails::approve_when_held(&app, &id).await;
    let case = finished(&app, &id).await;
    assert_eq!(
        case.case.status,
        CaseStatus::CompletedWithExceptions,
        "{:?}",
        case.case.plan
    );
    let owners_step = step(&case, StepKind::TransferOwnerships);
    assert_eq!(owners_step.status, StepStatus::Exception, "{owners_step:?}");
    // Sole-owned objects keep him; the shared group is Megan's alone now.
    assert_eq!(owners(&app, GROUP_FINANCE_APPS), vec![ALEX.to_owned()]);
    assert_eq!(
        owners(&app, pim::APP_CAMPAIGN_MAILER),
        vec![ALEX.to_owned()]
    );
    assert_eq!(owners(&app, pim::SP_CAMPAIGN_MAILER), vec![ALEX.to_owned()]);
    assert_eq!(owners(&app, GROUP_RETAIL_M365), vec![MEGAN.to_owned()]);
    // No owner was added anywhere.
    assert!(
        !writes(&app)
            .iter()
            .any(|(m, p, _)| m == "POST" && p.contains("/owners")),
        "{:?}",
        writes(&app)
    );
    // The evidence names each object and what to do.
    let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
    assert_eq!(ev.status, 200, "{}", ev.json);
    let packet: offboard_api::VerifiedPacket = ev.body();
    assert!(packet.verification.ok, "{:?}", packet.verification);
    let exceptions: Vec<String> = crate::hybrid::records(&packet, OWNERS)
        .into_iter()
        .filter(|b| b.outcome == offboard_core::evidence::Outcome::Exception)
        .map(|b| b.reason.clone().unwrap_or_default())
        .collect();
    assert_eq!(exceptions.len(), 3, "{exceptions:#?}");
    for name in [
        "group Finance Apps",
        "app registration Campaign Mailer",
        "service principal Campaign Mailer",
    ] {
        assert!(
            exceptions.iter().any(|r| r.contains(name)
                && r.contains("no successor")
                && r.contains("add an owner to it by hand")),
            "{name}: {exceptions:#?}"
        );
    }
    app.shutdown().await;
}

mod a_sole_owner_without_a_successor_is_an_exception_for_each_object {
    use super::*;
    #[tokio::test]
    async fn embedded() {
        no_successor(Backend::Embedded).await;
    }
    #[tokio::test]
    async fn azure() {
        no_successor(Backend::Azure).await;
    }
}
