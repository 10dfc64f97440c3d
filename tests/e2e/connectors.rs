//! Systems outside Microsoft, end to end: a connector file naming SCIM systems that are real
//! SCIM servers nobody here wrote (scim2-server from PyPI, a SCIMMY server from npm), each
//! seeded with the leaver through its own API; the handler deprovisions and reads back, and
//! the tests read the systems' own state and request log, not only offboard's. Systems that
//! Entra ID's provisioning service feeds are read from the tenant simulator's provisioning
//! logs, written by its simulated provisioning jobs.

use offboard_api::CaseTimeline;
use offboard_api::report::TerminationsReport;
use offboard_core::case::CaseStatus;
use offboard_core::plan::{Step, StepKind, StepStatus};
use offboard_testkit::{Backend, SimConfig, TestApp, spawn_app_with};
use serde_json::{Value, json};
use standin_scim_proxy::{Implementation, ScimProxy, ScimServer, user};
use std::time::Duration;

use crate::helpers::*;
use crate::pipeline::{ADELE, finished, only_removable_groups, upn};

const CRM_TOKEN: &str = "crm-connector-token-0123456789abcdef";
const CODE_TOKEN: &str = "code-connector-token-0123456789abcdef";

/// Runs `body` on both backends with the connector file `file` (written to a temporary
/// directory) and the two systems' tokens set.
macro_rules! with_connectors {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn embedded() {
                ($body)(Backend::Embedded).await;
            }
            #[tokio::test]
            async fn azure() {
                ($body)(Backend::Azure).await;
            }
        }
    };
}

async fn app_with_connectors(backend: Backend, file: String) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("connectors.toml");
    std::fs::write(&path, file).expect("connector file");
    let app = spawn_app_with(backend, SimConfig::default(), |s| {
        s.insert(
            "OFFBOARD_CONNECTORS_FILE".into(),
            path.display().to_string(),
        );
        s.insert("OFFBOARD_CONNECTOR_CRM_TOKEN".into(), CRM_TOKEN.into());
        s.insert("OFFBOARD_CONNECTOR_CODE_TOKEN".into(), CODE_TOKEN.into());
    })
    .await;
    (app, dir)
}

fn scim_connector(name: &str, base_url: &str, token_setting: &str) -> String {
    format!(
        r#"
[[connector]]
name = "{name}"
kind = "scim"
base_url = "{base_url}"
find = [{{ attribute = "userName", from = "userPrincipalName" }},
        {{ attribute = "emails", from = "mail" }}]
auth = {{ type = "bearer", token_setting = "{token_setting}" }}
"#
    )
}

async fn terminate(app: &TestApp, employee_id: &str) -> String {
    let body = json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"eventId": event_id(), "employee": {"employeeId": employee_id},
                 "effectiveAt": chrono::Utc::now().to_rfc3339(), "kind": "involuntary"}
    });
    let a = app.post_generic(&body).await;
    assert_eq!(a.status, 202, "{}", a.json);
    a.json["caseId"].as_str().expect("case id").to_owned()
}

fn step<'a>(case: &'a CaseTimeline, kind: &str) -> &'a Step {
    let kind = StepKind::parse(kind).unwrap_or_else(|| panic!("{kind} is a step kind"));
    case.case
        .plan
        .as_ref()
        .and_then(|p| p.step(kind))
        .unwrap_or_else(|| panic!("no step {kind} in {:?}", case.case.plan))
}

/// The user as the system itself holds it.
async fn in_system(server: &ScimServer, id: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/Users/{id}", server.base_url))
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("system answers")
        .json()
        .await
        .expect("a user")
}

async fn report_row(app: &TestApp, case_id: &str) -> offboard_api::report::ReportRow {
    report_row_for(app, case_id, "removed_at_crm").await
}

/// The case's row of today's terminations report, which has `column`.
async fn report_row_for(
    app: &TestApp,
    case_id: &str,
    column: &str,
) -> offboard_api::report::ReportRow {
    let today = chrono::Utc::now().date_naive();
    let q = format!(
        "from={}&to={}",
        today - chrono::Days::new(1),
        today + chrono::Days::new(1)
    );
    let (status, _, body) = app
        .get_bytes(&format!("/api/reports/terminations?{q}&format=json"))
        .await;
    assert_eq!(status, 200);
    let report: TerminationsReport = serde_json::from_slice(&body).expect("report");
    assert!(
        report.meta.columns.iter().any(|c| c == column),
        "{:?}",
        report.meta.columns
    );
    report
        .rows
        .into_iter()
        .find(|r| r.case_id == case_id)
        .expect("the case is a row")
}

with_connectors!(
    a_leaver_in_two_scim_systems_is_deactivated_and_verified_in_each_and_replays_change_nothing,
    |backend: Backend| async move {
        let crm = ScimServer::start(Implementation::Scim2Server, CRM_TOKEN)
            .await
            .expect("scim2-server");
        let code = ScimServer::start(Implementation::Scimmy, CODE_TOKEN)
            .await
            .expect("scimmy");
        // The code host is reached through a proxy that logs what reached it.
        let proxy = ScimProxy::start(&code.origin).await.expect("proxy");
        let file = scim_connector("crm", &crm.base_url, "OFFBOARD_CONNECTOR_CRM_TOKEN")
            + &scim_connector(
                "code",
                &code.base_url_via(&proxy.url()),
                "OFFBOARD_CONNECTOR_CODE_TOKEN",
            );
        let (app, _dir) = app_with_connectors(backend, file).await;
        only_removable_groups(&app, ADELE);
        let adele = upn(&app, ADELE);
        let in_crm = crm
            .seed(user(&adele, "E1001", &adele, true))
            .await
            .expect("seed");
        let in_code = code
            .seed(user(&adele, "E1001", &adele, true))
            .await
            .expect("seed");
        // Someone else in each system stays untouched.
        let other = code
            .seed(user(
                "someone.else@contoso.com",
                "E9",
                "someone.else@contoso.com",
                true,
            ))
            .await
            .expect("seed");
        // Throttled once on the way: the step waits as told and goes on.
        proxy.throttle_next(1, 1);

        let id = terminate(&app, "E1001").await;
        let case = finished(&app, &id).await;
        assert_eq!(
            case.case.status,
            CaseStatus::Completed,
            "{:?}",
            case.case.plan
        );
        for name in ["connector:crm", "connector:code"] {
            let s = step(&case, name);
            assert_eq!(s.status, StepStatus::Verified, "{s:?}");
            assert_eq!(s.depends_on, [StepKind::BlockSignIn], "{s:?}");
        }
        // The systems themselves show the leaver inactive, and only the leaver.
        assert_eq!(in_system(&crm, &in_crm).await["active"], false);
        assert_eq!(in_system(&code, &in_code).await["active"], false);
        assert_eq!(in_system(&code, &other).await["active"], true);
        let patches = |p: &ScimProxy| p.seen().iter().filter(|r| r.method == "PATCH").count();
        assert_eq!(patches(&proxy), 1, "{:?}", proxy.seen());
        assert!(
            proxy.seen().iter().any(|r| r.status == 429),
            "{:?}",
            proxy.seen()
        );

        // Evidence: target system = the connector's name, with the read-back.
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(
            ev.json["verification"]["ok"], true,
            "{}",
            ev.json["verification"]
        );
        let records = ev.json["packet"]["records"].as_array().expect("records");
        for system in ["crm", "code"] {
            let r = records
                .iter()
                .find(|r| r["targetSystem"] == system && r["outcome"] == "verified")
                .unwrap_or_else(|| panic!("no verified {system} record"));
            assert_eq!(r["readBack"]["observed"]["active"], false, "{r}");
            assert_eq!(r["request"]["method"], "PATCH", "{r}");
        }

        // The report: one column per system, each with its own time.
        let row = report_row(&app, &id).await;
        let crm_at = row.removed_at.get("crm").expect("removed_at_crm");
        let code_at = row.removed_at.get("code").expect("removed_at_code");
        assert!(row.removed_at.contains_key("entra"));
        assert!(row.all_access_removed_at.as_deref() >= Some(crm_at.as_str()));
        assert!(row.all_access_removed_at.as_deref() >= Some(code_at.as_str()));

        // Replays of both step messages change nothing.
        for name in ["connector:crm", "connector:code"] {
            app.enqueue(
                "step-connector",
                &json!({"caseId": id, "step": name, "attempt": 0}).to_string(),
            )
            .await;
        }
        app.wait_log(
            Duration::from_secs(60),
            "connector:code is already verified",
        )
        .await;
        app.wait_log(Duration::from_secs(60), "connector:crm is already verified")
            .await;
        assert_eq!(patches(&proxy), 1, "{:?}", proxy.seen());
        let again = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(
            again.json["packet"]["records"].as_array().map(Vec::len),
            Some(records.len()),
            "no new evidence"
        );
    }
);

with_connectors!(
    a_leaver_absent_from_one_system_is_not_applicable_and_a_down_system_leaves_a_remediation_item,
    |backend: Backend| async move {
        let crm = ScimServer::start(Implementation::Scim2Server, CRM_TOKEN)
            .await
            .expect("scim2-server");
        let code = ScimServer::start(Implementation::Scimmy, CODE_TOKEN)
            .await
            .expect("scimmy");
        // A port nothing listens on: the ticketing system is down.
        let down = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port");
        let file = scim_connector("crm", &crm.base_url, "OFFBOARD_CONNECTOR_CRM_TOKEN")
            + &scim_connector("code", &code.base_url, "OFFBOARD_CONNECTOR_CODE_TOKEN")
            + &scim_connector(
                "ticketing",
                &format!("http://{down}/scim/v2"),
                "OFFBOARD_CONNECTOR_CRM_TOKEN",
            );
        let (app, _dir) = app_with_connectors(backend, file).await;
        only_removable_groups(&app, ADELE);
        let adele = upn(&app, ADELE);
        crm.seed(user(&adele, "E1001", &adele, true))
            .await
            .expect("seed");
        code.seed(user(
            "someone.else@contoso.com",
            "E9",
            "someone.else@contoso.com",
            true,
        ))
        .await
        .expect("seed");

        // The dry run lists each system and what would change there.
        let dry = app
            .post_offboarding(&json!({"dryRun": true, "employee": {"employeeId": "E1001"}, "kind": "involuntary"}))
            .await;
        let dry_text = dry.json.to_string();
        for name in ["connector:crm", "connector:code", "connector:ticketing"] {
            assert!(dry_text.contains(name), "{name} in {dry_text}");
        }
        assert!(
            dry_text.contains(&format!("userName eq \\\"{adele}\\\"")),
            "{dry_text}"
        );

        let id = terminate(&app, "E1001").await;
        let case = app
            .wait_case(&id, Duration::from_secs(240), |c| {
                matches!(
                    c.case.status,
                    CaseStatus::Completed | CaseStatus::CompletedWithExceptions
                )
            })
            .await;
        assert_eq!(step(&case, "connector:crm").status, StepStatus::Verified);
        let code_step = step(&case, "connector:code");
        assert_eq!(code_step.status, StepStatus::NotApplicable, "{code_step:?}");
        assert!(
            code_step
                .reason
                .as_deref()
                .unwrap_or_default()
                .contains("no account in code matches"),
            "{code_step:?}"
        );
        // Down: retried, then failed — never done — with a remediation item and a notice.
        let t = step(&case, "connector:ticketing");
        assert_eq!(t.status, StepStatus::Failed, "{t:?}");
        assert!(t.attempts > 1, "{t:?}");
        assert_eq!(case.case.status, CaseStatus::CompletedWithExceptions);
        let open = app.get("/api/remediations").await;
        let items = open.json["items"].as_array().expect("items");
        assert!(
            items.iter().any(|i| i["step"] == "connector:ticketing"),
            "{}",
            open.json
        );
        app.wait_log(Duration::from_secs(30), "step connector:ticketing failed")
            .await;
        let row = report_row(&app, &id).await;
        assert!(row.removed_at.contains_key("crm"));
        assert!(!row.removed_at.contains_key("ticketing"));
        assert_eq!(row.all_access_removed_at, None, "exceptions remain");
    }
);

/// A connector for a system Entra ID's provisioning service feeds.
fn provisioned(name: &str, service_principal_id: &str, wait_minutes: Option<u32>) -> String {
    let wait = wait_minutes
        .map(|m| format!("wait_minutes = {m}\n"))
        .unwrap_or_default();
    format!(
        r#"
[[connector]]
name = "{name}"
kind = "entra-provisioning"
service_principal_id = "{service_principal_id}"
display_name = "{name} (provisioned)"
{wait}"#
    )
}

with_connectors!(
    a_provisioned_app_is_verified_at_the_provisioning_service_time_and_a_failed_or_absent_one_is_an_exception,
    |backend: Backend| async move {
        use standin_tenant::demo::ids::{SP_SALESFORCE, SP_SERVICENOW};
        use standin_tenant::model::{ProvisioningJob, ProvisioningLogEntry, ProvisioningOutcome};
        // An app whose provisioning job nobody configured: nothing will ever be logged.
        const UNPROVISIONED: &str = "0b4f1c3e-8f0b-4f55-9a55-1f0a2b3c4d5e";
        let file = provisioned("salesforce", SP_SALESFORCE, None)
            + &provisioned("servicenow", SP_SERVICENOW, Some(0))
            + &provisioned("wiki", UNPROVISIONED, Some(0));
        let (app, _dir) = app_with_connectors(backend, file).await;
        only_removable_groups(&app, ADELE);
        // Entra's provisioning service: Salesforce's job disables her there; ServiceNow's
        // target refuses.
        app.sim.start_provisioning_job(ProvisioningJob {
            service_principal_id: SP_SALESFORCE.into(),
            ..Default::default()
        });
        app.sim.start_provisioning_job(ProvisioningJob {
            service_principal_id: SP_SERVICENOW.into(),
            outcome: ProvisioningOutcome::Failure,
            ..Default::default()
        });

        let id = terminate(&app, "E1001").await;
        let case = finished(&app, &id).await;
        assert_eq!(case.case.status, CaseStatus::CompletedWithExceptions);
        let sf = step(&case, "connector:salesforce");
        assert_eq!(sf.status, StepStatus::Verified, "{sf:?}");
        assert_eq!(sf.depends_on, [StepKind::BlockSignIn], "{sf:?}");

        // What the provisioning service logged, as the tenant holds it.
        let logs = app.sim.state().provisioning_logs;
        let by_app = |sp: &str| -> Vec<ProvisioningLogEntry> {
            logs.iter()
                .filter(|e| e.service_principal_id == sp && e.source_id == ADELE)
                .cloned()
                .collect()
        };
        let [sf_entry] = by_app(SP_SALESFORCE).try_into().expect("one Salesforce entry");
        assert_eq!(
            (sf_entry.provisioning_action.as_str(), sf_entry.status.as_str()),
            ("disable", "success")
        );
        let [sn_entry] = by_app(SP_SERVICENOW).try_into().expect("one ServiceNow entry");
        assert_eq!(sn_entry.status, "failure");
        // offboard asked Graph for the app's and the leaver's entries.
        let asked = app.sim.requests();
        assert!(
            asked.iter().any(|r| r.path == "/auditLogs/provisioning"
                && r.status == 200
                && r.query.contains("servicePrincipal")
                && r.query.contains(ADELE)),
            "no provisioning log read"
        );

        // The report's Salesforce time is the provisioning service's own.
        let service_time = offboard_core::evidence::millis::text(sf_entry.activity_date_time);
        let row = report_row_for(&app, &id, "removed_at_salesforce").await;
        assert_eq!(row.removed_at.get("salesforce"), Some(&service_time));
        assert!(!row.removed_at.contains_key("servicenow"));
        assert_eq!(row.all_access_removed_at, None, "exceptions remain");

        // A refused or absent deprovisioning is an exception that says so, with a
        // remediation item.
        let sn = step(&case, "connector:servicenow");
        assert_eq!(sn.status, StepStatus::Exception, "{sn:?}");
        let why = sn.reason.as_deref().unwrap_or_default();
        assert!(
            why.contains("failed") && why.contains(standin_tenant::provisioning::FAILURE_REASON),
            "{why}"
        );
        let wiki = step(&case, "connector:wiki");
        assert_eq!(wiki.status, StepStatus::Exception, "{wiki:?}");
        assert!(
            wiki.reason.as_deref().unwrap_or_default().contains(
                "no disable or delete of the leaver in wiki (provisioned) in Entra ID's provisioning logs"
            ),
            "{wiki:?}"
        );
        let open = app.get("/api/remediations").await;
        let items = open.json["items"].as_array().expect("items");
        for s in ["connector:servicenow", "connector:wiki"] {
            assert!(items.iter().any(|i| i["step"] == s), "{s}: {}", open.json);
        }

        // Replaying the verified step changes nothing.
        let records = |ev: &offboard_testkit::Answer| {
            ev.json["packet"]["records"].as_array().map(Vec::len)
        };
        let before = records(&app.get(&format!("/api/cases/{id}/evidence")).await);
        app.enqueue(
            "step-connector",
            &json!({"caseId": id, "step": "connector:salesforce", "attempt": 0}).to_string(),
        )
        .await;
        app.wait_log(Duration::from_secs(60), "connector:salesforce is already verified")
            .await;
        assert_eq!(
            records(&app.get(&format!("/api/cases/{id}/evidence")).await),
            before
        );

        // The service's retry succeeds in ServiceNow after the fix; the operator's retry of
        // the exception reads the logs again and verifies it at that time.
        let fixed_at = chrono::Utc::now();
        app.sim.with_state(|t| {
            t.provisioning_logs.push(ProvisioningLogEntry {
                id: "7c0b1f2e-1111-4a6c-9d7e-0f1a2b3c4d5e".into(),
                activity_date_time: fixed_at,
                status: "success".into(),
                error_reason: None,
                ..sn_entry.clone()
            })
        });
        let r = app.retry(&id, "connector:servicenow").await;
        assert!(r.status < 300, "{} {}", r.status, r.json);
        let case = app
            .wait_case(&id, Duration::from_secs(60), |c| {
                c.case
                    .plan
                    .as_ref()
                    .and_then(|p| p.step(StepKind::parse("connector:servicenow").unwrap()))
                    .is_some_and(|s| s.status == StepStatus::Verified)
            })
            .await;
        assert_eq!(step(&case, "connector:wiki").status, StepStatus::Exception);
    }
);
