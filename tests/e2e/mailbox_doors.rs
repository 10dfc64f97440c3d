//! The mailbox's doors (issue 17), end to end on both backends against the tenant simulator:
//! forwarding stopped (and flagged when it leaves the organisation) right after the cut and
//! before the conversion; the mailbox held before any licence goes. Each step: something to
//! do, nothing to do, a refusal, and a replay that writes nothing twice — asserted from the
//! simulator's state and request log.

use offboard_testkit::TestApp;
use serde_json::{Value, json};
use std::time::Duration;

use standin_tenant::mailbox_doors::MessageRule;

use crate::helpers::*;
use crate::on_every_backend;
use crate::pipeline::{ADELE, finished, no_write_twice, only_removable_groups, upn, writes_about};

const PERSONAL: &str = "ada.personal@gmail.example";

async fn terminate(app: &TestApp, employee_id: &str) -> String {
    let body = json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"eventId": event_id(), "employee": {"employeeId": employee_id},
                 "effectiveAt": chrono::Utc::now().to_rfc3339(), "kind": "involuntary"}
    });
    let a = app.post_generic(&body).await;
    assert_eq!(a.status, 202, "{}", a.json);
    a.json["caseId"].as_str().unwrap().to_owned()
}

/// `TestApp::wait_case` on the case's JSON (the mailbox tests read steps by kind).
async fn wait_json(
    app: &TestApp,
    id: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let t = app
        .wait_case(id, within, |c| {
            serde_json::to_value(c).is_ok_and(|v| done(&v))
        })
        .await;
    serde_json::to_value(t).unwrap()
}

fn step<'a>(case: &'a Value, kind: &str) -> &'a Value {
    case["plan"]["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["kind"] == kind))
        .unwrap_or_else(|| panic!("no step {kind} in {}", case["plan"]))
}

fn rule(id: &str, name: &str, enabled: bool, actions: Value) -> MessageRule {
    MessageRule {
        id: id.to_owned(),
        display_name: name.to_owned(),
        sequence: id.len() as i64,
        is_enabled: enabled,
        conditions: json!({"senderContains": ["invoices"]}),
        actions,
    }
}

/// Adele forwards everything to a personal address, has a rule forwarding invoices outside,
/// one redirecting to her manager, one that only files mail, and a disabled one.
fn forwarding_adele(app: &TestApp) {
    only_removable_groups(app, ADELE);
    app.sim.with_state(|t| {
        let m = t.mailbox_mut(ADELE).unwrap();
        m.doors.forwarding_smtp_address = Some(PERSONAL.to_owned());
        m.doors.deliver_to_mailbox_and_forward = true;
        m.doors.message_rules = vec![
            rule("AQAAAJ5dZp8=", "Invoices to home", true,
                json!({"forwardTo": [{"emailAddress": {"name": "Ada", "address": PERSONAL}}], "stopProcessingRules": true})),
            rule("AQAAAJ5dZp9=", "To Megan", true,
                json!({"redirectTo": [{"emailAddress": {"name": "Megan Bowen", "address": "MeganB@contoso.com"}}]})),
            rule("AQAAAJ5dZqA=", "File newsletters", true,
                json!({"moveToFolder": "AAMkAGI2TGuLAAA=", "markAsRead": true})),
            rule("AQAAAJ5dZqB=", "Old attachment rule", false,
                json!({"forwardAsAttachmentTo": [{"emailAddress": {"address": "someone@fabrikam.example"}}]})),
        ];
    });
}

/// Position in the request log of the first successful cmdlet whose parameters name `param`.
fn first_cmdlet(app: &TestApp, cmdlet: &str, param: &str) -> Option<usize> {
    app.sim.requests().iter().position(|r| {
        (200..300).contains(&r.status)
            && r.cmdlet.as_deref() == Some(cmdlet)
            && r.body.as_ref().is_some_and(|b| {
                b["CmdletInput"]["Parameters"]
                    .as_object()
                    .is_some_and(|p| p.contains_key(param))
            })
    })
}

fn first_path(app: &TestApp, method: &str, suffix: &str) -> Option<usize> {
    app.sim.requests().iter().position(|r| {
        (200..300).contains(&r.status) && r.method == method && r.path.ends_with(suffix)
    })
}

on_every_backend!(
    forwarding_outside_is_flagged_notified_and_stopped_before_the_conversion,
    |app: TestApp| async move {
        forwarding_adele(&app);
        let id = terminate(&app, "E1001").await;
        let case = serde_json::to_value(finished(&app, &id).await).unwrap();
        assert_eq!(case["status"], "completed", "{}", case["plan"]);
        assert_eq!(step(&case, "stop-forwarding")["status"], "verified");
        assert_eq!(step(&case, "hold-mailbox")["status"], "verified");

        // The tenant: forwarding off, forwarding rules disabled, the filing rule untouched.
        let t = app.sim.state();
        let m = t.mailbox(ADELE).unwrap();
        assert_eq!(m.doors.forwarding_smtp_address, None);
        assert!(!m.doors.deliver_to_mailbox_and_forward);
        let enabled: Vec<&str> = m
            .doors
            .message_rules
            .iter()
            .filter(|r| r.is_enabled)
            .map(|r| r.display_name.as_str())
            .collect();
        assert_eq!(enabled, vec!["File newsletters"]);
        assert!(m.litigation_hold_enabled);
        assert_eq!(m.doors.litigation_hold_days, None, "unlimited by default");

        // The flag on the case names both ways out, and the notification went.
        let view = app.get(&format!("/api/cases/{id}")).await.json;
        let flags = view["case"]["flags"]
            .as_array()
            .or(view["flags"].as_array())
            .cloned()
            .unwrap_or_default();
        assert_eq!(flags.len(), 1, "{view}");
        assert_eq!(flags[0]["kind"], "possible_exfiltration");
        let detail = flags[0]["detail"].as_str().unwrap();
        assert!(
            detail.contains("mailbox forwarding to ada.personal@gmail.example")
                && detail.contains("Invoices to home"),
            "{detail}"
        );
        assert!(
            !detail.contains("MeganB"),
            "an internal redirect is not exfiltration: {detail}"
        );
        app.wait_log(
            Duration::from_secs(30),
            "stop-forwarding: mailbox forwarding to ada.personal@gmail.example",
        )
        .await;

        // The evidence recorded what was forwarded before the change.
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(
            ev.json["verification"]["ok"], true,
            "{}",
            ev.json["verification"]
        );
        let text = ev.json.to_string();
        for needle in [
            PERSONAL,
            "Invoices to home",
            "To Megan",
            "invoices",
            "Old attachment rule",
        ] {
            assert!(text.contains(needle), "evidence lacks {needle}");
        }

        // Order, from the simulator's log: forwarding stopped before the conversion, rules
        // disabled before it too; the hold before any licence or licensing group goes.
        let forwarding = first_cmdlet(&app, "Set-Mailbox", "ForwardingSmtpAddress").unwrap();
        let rules = first_path(&app, "PATCH", "/messageRules/AQAAAJ5dZp8=").unwrap();
        let shared = first_cmdlet(&app, "Set-Mailbox", "Type").unwrap();
        assert!(
            forwarding < shared && rules < shared,
            "{forwarding} {rules} {shared}"
        );
        let block = first_path(&app, "PATCH", &format!("/users/{ADELE}")).unwrap();
        assert!(block < forwarding, "sign-in is cut first");
        let hold = first_cmdlet(&app, "Set-Mailbox", "LitigationHoldEnabled").unwrap();
        let licence = first_path(&app, "POST", "/assignLicense").unwrap();
        let group = first_path(&app, "DELETE", "/$ref").unwrap();
        assert!(hold < licence && hold < group, "{hold} {licence} {group}");

        // A replay of both steps writes nothing twice.
        let before = writes_about(&app, ADELE, &upn(&app, ADELE));
        for s in ["stop-forwarding", "hold-mailbox"] {
            app.enqueue(
                &format!("step-{s}"),
                &json!({"caseId": id, "step": s, "attempt": 0}).to_string(),
            )
            .await;
        }
        tokio::time::sleep(Duration::from_secs(6)).await;
        for s in ["stop-forwarding", "hold-mailbox"] {
            assert_eq!(
                app.queue
                    .approximate_len(&format!("step-{s}"))
                    .await
                    .unwrap(),
                0,
                "{s} message not consumed"
            );
        }
        let after = writes_about(&app, ADELE, &upn(&app, ADELE));
        assert_eq!(after, before, "a replay must change nothing");
        no_write_twice(&after);
        app.shutdown().await;
    }
);

on_every_backend!(
    nothing_forwards_and_the_hold_is_already_on,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        app.sim.with_state(|t| {
            t.mailbox_mut(ADELE).unwrap().litigation_hold_enabled = true;
        });
        let id = terminate(&app, "E1001").await;
        let case = serde_json::to_value(finished(&app, &id).await).unwrap();
        assert_eq!(case["status"], "completed", "{}", case["plan"]);
        assert_eq!(step(&case, "stop-forwarding")["status"], "verified");
        assert_eq!(step(&case, "hold-mailbox")["status"], "verified");
        assert!(first_cmdlet(&app, "Set-Mailbox", "ForwardingSmtpAddress").is_none());
        assert!(first_cmdlet(&app, "Set-Mailbox", "LitigationHoldEnabled").is_none());
        assert!(
            app.sim
                .requests()
                .iter()
                .all(|r| !r.path.contains("/messageRules/")),
            "no rule existed, so none was patched"
        );
        let view = app.get(&format!("/api/cases/{id}")).await.json;
        assert!(
            view["flags"].is_null() && view["case"]["flags"].is_null(),
            "{view}"
        );
        // No phone: nothing wiped. No meeting: nothing cancelled.
        assert_eq!(step(&case, "wipe-mobile-mail")["status"], "verified");
        assert_eq!(step(&case, "cancel-meetings")["status"], "verified");
        assert!(first_path(&app, "POST", "/cancel").is_none());
        assert!(cmdlets(&app, "Clear-MobileDevice").is_empty());
        app.shutdown().await;
    }
);

on_every_backend!(
    a_hold_without_its_licence_is_an_exception_and_without_its_role_a_failure,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        // Adele: E3 without its Exchange Online (Plan 2) plan, so no licence allows a hold.
        app.sim.with_state(|t| {
            let plan = t
                .skus
                .iter()
                .flat_map(|s| s.service_plans.iter())
                .find(|p| p.service_plan_name == "EXCHANGE_S_ENTERPRISE")
                .unwrap()
                .service_plan_id
                .clone();
            for l in t.user_mut(ADELE).unwrap().assigned_licenses.iter_mut() {
                l.disabled_plans.push(plan.clone());
            }
        });
        let id = terminate(&app, "E1001").await;
        let case = serde_json::to_value(finished(&app, &id).await).unwrap();
        assert_eq!(case["status"], "completed_with_exceptions");
        let hold = step(&case, "hold-mailbox");
        assert_eq!(hold["status"], "exception", "{hold}");
        assert!(
            hold["reason"]
                .as_str()
                .unwrap()
                .contains("Exchange Online (Plan 2)"),
            "{hold}"
        );
        assert!(
            !app.sim
                .state()
                .mailbox(ADELE)
                .unwrap()
                .litigation_hold_enabled
        );
        assert!(first_cmdlet(&app, "Set-Mailbox", "LitigationHoldEnabled").is_none());

        // Diego's case: the identity has lost the role that carries Legal Hold; Exchange
        // refuses, the step fails with a remediation item, and nothing was held.
        let mi = app
            .sim
            .state()
            .identities
            .system_assigned
            .clone()
            .unwrap()
            .object_id;
        app.sim.with_state(|t| {
            t.role_assignments.retain(|a| {
                !(a.principal_id == mi
                    && a.role_definition_id
                        == standin_tenant::demo::role_ids::COMPLIANCE_ADMINISTRATOR)
            })
        });
        let diego = standin_tenant::demo::ids::DIEGO;
        let emp = app
            .sim
            .state()
            .user(diego)
            .unwrap()
            .employee_id
            .clone()
            .unwrap();
        let d = terminate(&app, &emp).await;
        let case = wait_json(&app, &d, Duration::from_secs(180), |c| {
            c["plan"]["steps"]
                .as_array()
                .and_then(|s| s.iter().find(|s| s["kind"] == "hold-mailbox"))
                .is_some_and(|s| s["status"] == "failed")
        })
        .await;
        let hold = step(&case, "hold-mailbox");
        assert!(hold["reason"].as_str().unwrap().contains("403"), "{hold}");
        assert!(
            !app.sim
                .state()
                .mailbox(diego)
                .unwrap()
                .litigation_hold_enabled
        );
        // The plan put the hold before anything that can take a licence away.
        let deps = step(&case, "remove-groups")["dependsOn"]
            .as_array()
            .unwrap()
            .clone();
        assert!(deps.contains(&json!("hold-mailbox")), "{deps:?}");
        let open = app.get("/api/remediations").await.json;
        assert!(open.to_string().contains("hold-mailbox"), "{open}");
        app.shutdown().await;
    }
);

fn phone(
    id: &str,
    client: &str,
    model: &str,
    online: bool,
) -> standin_tenant::mailbox_doors::MobileDevice {
    standin_tenant::mailbox_doors::MobileDevice {
        device_id: id.to_owned(),
        client_type: client.to_owned(),
        device_model: model.to_owned(),
        device_os: if model.contains("iPhone") {
            "iOS 18.1"
        } else {
            "Android 15"
        }
        .to_owned(),
        first_sync_time: chrono::Utc::now() - chrono::Duration::days(200),
        online,
        ..Default::default()
    }
}

fn cmdlets(app: &TestApp, name: &str) -> Vec<Value> {
    app.sim
        .requests()
        .into_iter()
        .filter(|r| (200..300).contains(&r.status) && r.cmdlet.as_deref() == Some(name))
        .map(|r| r.body.unwrap_or_default()["CmdletInput"]["Parameters"].clone())
        .collect()
}

on_every_backend!(
    phones_get_an_account_only_wipe_then_lose_the_partnership,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        app.sim.with_state(|t| {
            t.mailbox_mut(ADELE).unwrap().doors.mobile_devices = vec![
                phone(
                    "5eec4e941e0748a264512fd83770d5ac",
                    "REST",
                    "Outlook for iOS and Android iPhone",
                    true,
                ),
                phone("ANDROIDC1A2B3C4D5E6F7", "EAS", "Pixel 8", true),
            ];
        });
        let id = terminate(&app, "E1001").await;
        let case = serde_json::to_value(finished(&app, &id).await).unwrap();
        assert_eq!(case["status"], "completed", "{}", case["plan"]);
        assert_eq!(step(&case, "wipe-mobile-mail")["status"], "verified");
        assert!(
            app.sim
                .state()
                .mailbox(ADELE)
                .unwrap()
                .doors
                .mobile_devices
                .is_empty()
        );
        // Each phone got an account-only wipe, and only then lost its partnership.
        let clears = cmdlets(&app, "Clear-MobileDevice");
        assert_eq!(clears.len(), 2, "{clears:?}");
        assert!(
            clears.iter().all(|p| p["AccountOnly"] == true),
            "{clears:?}"
        );
        let log = app.sim.requests();
        for device in ["5eec4e941e0748a264512fd83770d5ac", "ANDROIDC1A2B3C4D5E6F7"] {
            let at = |c: &str| {
                log.iter().position(|r| {
                    r.cmdlet.as_deref() == Some(c)
                        && r.body
                            .as_ref()
                            .is_some_and(|b| b.to_string().contains(device))
                })
            };
            assert!(at("Clear-MobileDevice").unwrap() < at("Remove-MobileDevice").unwrap());
        }
        // A replay finds nothing left and writes nothing.
        let before = writes_about(&app, ADELE, &upn(&app, ADELE));
        app.enqueue(
            "step-wipe-mobile-mail",
            &json!({"caseId": id, "step": "wipe-mobile-mail", "attempt": 0}).to_string(),
        )
        .await;
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert_eq!(writes_about(&app, ADELE, &upn(&app, ADELE)), before);
        assert_eq!(cmdlets(&app, "Clear-MobileDevice").len(), 2);
        app.shutdown().await;
    }
);

on_every_backend!(
    a_phone_that_never_picks_up_the_wipe_keeps_its_partnership,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        app.sim.with_state(|t| {
            t.mailbox_mut(ADELE).unwrap().doors.mobile_devices =
                vec![phone("OFFLINE9F8E7D6C", "EAS", "Galaxy S23", false)];
        });
        let id = terminate(&app, "E1001").await;
        // The wipe is sent once; the step keeps waiting for the phone and never removes the
        // partnership it would drop the wipe with.
        let case = wait_json(&app, &id, Duration::from_secs(120), |c| {
            c["plan"]["steps"].as_array().is_some_and(|s| {
                s.iter()
                    .filter(|s| s["kind"] != "wipe-mobile-mail" && s["kind"] != "seal")
                    .all(|s| matches!(s["status"].as_str(), Some("verified" | "not_applicable")))
            })
        })
        .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let s = step(&case, "wipe-mobile-mail");
        assert!(
            !matches!(s["status"].as_str(), Some("verified" | "failed")),
            "{s}"
        );
        let t = app.sim.state();
        let d = &t.mailbox(ADELE).unwrap().doors.mobile_devices;
        assert_eq!(d.len(), 1);
        assert!(d[0].wipe_requested_at.is_some() && d[0].wipe_account_only);
        assert!(cmdlets(&app, "Remove-MobileDevice").is_empty());
        assert_eq!(
            cmdlets(&app, "Clear-MobileDevice").len(),
            1,
            "the wipe is sent once"
        );
        assert_ne!(case["status"], "completed");
        app.shutdown().await;
    }
);

/// Asks the `rights-index` function for a refresh and waits until it is done.
async fn refresh_rights_index(app: &TestApp) {
    let before = app.handler_logs().matches("rights index refreshed").count();
    app.enqueue(
        "rights-index",
        &json!({"requestedAt": chrono::Utc::now(), "by": "test"}).to_string(),
    )
    .await;
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while app.handler_logs().matches("rights index refreshed").count() == before {
        assert!(
            std::time::Instant::now() < until,
            "no refresh: {}",
            app.handler_logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Adele holds FullAccess on Lee's mailbox, made a shared mailbox (the finance mailbox), and
/// SendAs and SendOnBehalf on Megan's.
fn adele_with_rights_elsewhere(app: &TestApp) -> String {
    use standin_tenant::demo::ids::{LEE, MEGAN};
    only_removable_groups(app, ADELE);
    let adele = upn(app, ADELE);
    app.sim.with_state(|t| {
        let lee = t.mailbox_mut(LEE).unwrap();
        lee.recipient_type_details = "SharedMailbox".to_owned();
        lee.permissions
            .push(standin_tenant::model::MailboxPermission {
                user: adele.clone(),
                access_rights: vec!["FullAccess".to_owned()],
                auto_mapping: true,
            });
        let megan = t.mailbox_mut(MEGAN).unwrap();
        megan.doors.send_as.push(adele.clone());
        megan.doors.grant_send_on_behalf_to.push(adele.clone());
    });
    adele
}

fn holds_anything(app: &TestApp, adele: &str) -> Vec<String> {
    use standin_tenant::demo::ids::{LEE, MEGAN};
    let t = app.sim.state();
    let mut out = Vec::new();
    let lee = t.mailbox(LEE).unwrap();
    if lee
        .permissions
        .iter()
        .any(|p| p.user.eq_ignore_ascii_case(adele))
    {
        out.push("FullAccess on Lee".to_owned());
    }
    let megan = t.mailbox(MEGAN).unwrap();
    if megan
        .doors
        .send_as
        .iter()
        .any(|x| x.eq_ignore_ascii_case(adele))
    {
        out.push("SendAs on Megan".to_owned());
    }
    if megan
        .doors
        .grant_send_on_behalf_to
        .iter()
        .any(|x| x.eq_ignore_ascii_case(adele))
    {
        out.push("SendOnBehalf on Megan".to_owned());
    }
    out
}

on_every_backend!(
    rights_on_other_mailboxes_go_shared_first_found_in_the_index,
    |app: TestApp| async move {
        let adele = adele_with_rights_elsewhere(&app);
        refresh_rights_index(&app).await;
        let refresh_calls = cmdlets(&app, "Get-MailboxPermission").len();
        assert!(refresh_calls >= 9, "the refresh asks every mailbox once");
        let id = terminate(&app, "E1001").await;
        let case = serde_json::to_value(finished(&app, &id).await).unwrap();
        assert_eq!(case["status"], "completed", "{}", case["plan"]);
        let s = step(&case, "remove-mailbox-rights-elsewhere");
        assert_eq!(s["status"], "verified", "{s}");
        assert!(holds_anything(&app, &adele).is_empty());

        // Finding them cost one index read and one tenant-wide SendAs call, not one call per
        // mailbox: a mailbox the leaver holds nothing on (Diego's) was asked only by the
        // refreshes.
        let refreshes = app.handler_logs().matches("rights index refreshed").count();
        let diego = cmdlets(&app, "Get-MailboxPermission")
            .into_iter()
            .filter(|p| {
                p["Identity"]
                    .as_str()
                    .is_some_and(|i| i.eq_ignore_ascii_case("DiegoS@contoso.com"))
            })
            .count();
        assert_eq!(
            diego, refreshes,
            "{refresh_calls} calls in the first refresh"
        );
        let by_trustee = cmdlets(&app, "Get-RecipientPermission")
            .into_iter()
            .filter(|p| p.get("Trustee").is_some())
            .count();
        assert_eq!(by_trustee, 1);

        // Shared mailboxes first: Lee's FullAccess went before Megan's SendAs.
        let log = app.sim.requests();
        let at = |c: &str| {
            log.iter()
                .position(|r| r.cmdlet.as_deref() == Some(c) && (200..300).contains(&r.status))
                .unwrap()
        };
        assert!(at("Remove-MailboxPermission") < at("Remove-RecipientPermission"));
        let behalf = first_cmdlet(&app, "Set-Mailbox", "GrantSendOnBehalfTo").unwrap();
        assert!(at("Remove-RecipientPermission") < behalf);

        // The evidence names each mailbox, what was held and the refresh it relied on.
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(ev.json["verification"]["ok"], true);
        let text = ev.json.to_string();
        for needle in ["indexRefreshedAt", "FullAccess", "SendOnBehalf", "SendAs"] {
            assert!(text.contains(needle), "evidence lacks {needle}");
        }

        // A replay writes nothing: the index still lists both mailboxes, the live reads find
        // nothing left.
        let before = writes_about(&app, ADELE, &adele);
        app.enqueue(
            "step-remove-mailbox-rights-elsewhere",
            &json!({"caseId": id, "step": "remove-mailbox-rights-elsewhere", "attempt": 0})
                .to_string(),
        )
        .await;
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert_eq!(
            app.queue
                .approximate_len("step-remove-mailbox-rights-elsewhere")
                .await
                .unwrap(),
            0
        );
        let after = writes_about(&app, ADELE, &adele);
        assert_eq!(after, before, "a replay must change nothing");
        no_write_twice(&after);
        app.shutdown().await;
    }
);

on_every_backend!(
    no_rights_elsewhere_found_in_the_first_refresh,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        // No refresh was asked for by the test: the first one (the timer's, or the step's own
        // request when it finds no index) finds nothing on Adele.
        let id = terminate(&app, "E1001").await;
        let case = serde_json::to_value(finished(&app, &id).await).unwrap();
        assert_eq!(case["status"], "completed", "{}", case["plan"]);
        let s = step(&case, "remove-mailbox-rights-elsewhere");
        assert_eq!(s["status"], "verified", "{s}");
        assert!(app.handler_logs().contains("rights index refreshed"));
        assert!(cmdlets(&app, "Remove-MailboxPermission").is_empty());
        assert!(cmdlets(&app, "Remove-RecipientPermission").is_empty());
        assert!(first_cmdlet(&app, "Set-Mailbox", "GrantSendOnBehalfTo").is_none());
        app.shutdown().await;
    }
);

on_every_backend!(
    rights_elsewhere_refused_by_exchange_fail_with_a_remediation_item,
    |app: TestApp| async move {
        let adele = adele_with_rights_elsewhere(&app);
        // Megan's mailbox sits in an exclusive management scope the app's role does not cover.
        app.sim.with_state(|t| {
            t.mailbox_mut(standin_tenant::demo::ids::MEGAN)
                .unwrap()
                .doors
                .exclusive_scope = true;
        });
        refresh_rights_index(&app).await;
        let id = terminate(&app, "E1001").await;
        let case = wait_json(&app, &id, Duration::from_secs(180), |c| {
            c["plan"]["steps"]
                .as_array()
                .and_then(|s| {
                    s.iter()
                        .find(|s| s["kind"] == "remove-mailbox-rights-elsewhere")
                })
                .is_some_and(|s| s["status"] == "failed")
        })
        .await;
        let s = step(&case, "remove-mailbox-rights-elsewhere");
        assert!(s["reason"].as_str().unwrap().contains("write scope"), "{s}");
        // The shared mailbox came first and lost Adele's FullAccess; Megan's keep both.
        assert_eq!(
            holds_anything(&app, &adele),
            vec![
                "SendAs on Megan".to_owned(),
                "SendOnBehalf on Megan".to_owned()
            ]
        );
        let open = app.get("/api/remediations").await.json;
        assert!(
            open.to_string().contains("remove-mailbox-rights-elsewhere"),
            "{open}"
        );
        app.shutdown().await;
    }
);

fn meeting(
    id: &str,
    subject: &str,
    start: chrono::DateTime<chrono::Utc>,
    organizer: bool,
    weekly: bool,
) -> standin_tenant::mailbox_doors::Event {
    standin_tenant::mailbox_doors::Event {
        id: id.to_owned(),
        subject: subject.to_owned(),
        start,
        end: start + chrono::Duration::minutes(30),
        is_organizer: organizer,
        attendees: vec!["MeganB@contoso.com".to_owned(), "LeeG@contoso.com".to_owned()],
        event_type: if weekly { "seriesMaster" } else { "singleInstance" }.to_owned(),
        recurrence: weekly.then(|| {
            json!({
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": [start.format("%A").to_string().to_lowercase()]},
                "range": {"type": "noEnd", "startDate": start.date_naive().to_string()}
            })
        }),
        ..Default::default()
    }
}

fn adele_with_meetings(app: &TestApp) {
    only_removable_groups(app, ADELE);
    let now = chrono::Utc::now();
    let day = chrono::Duration::days(1);
    app.sim.with_state(|t| {
        t.mailbox_mut(ADELE).unwrap().doors.events = vec![
            meeting("AAMkAGE1=", "Quarterly review", now + day, true, false),
            meeting("AAMkAGE2=", "Last week's retro", now - day * 7, true, false),
            meeting("AAMkAGE3=", "Megan's all-hands", now + day, false, false),
            meeting(
                "AAMkAGE4=",
                "Weekly sync",
                now - day * 28 - chrono::Duration::hours(1),
                true,
                true,
            ),
            meeting("AAMkAGE5=", "New-year planning", now + day * 8, true, true),
        ];
    });
}

on_every_backend!(
    future_meetings_are_cancelled_and_series_end_at_the_effective_time,
    |app: TestApp| async move {
        adele_with_meetings(&app);
        let id = terminate(&app, "E1001").await;
        let case = serde_json::to_value(finished(&app, &id).await).unwrap();
        assert_eq!(case["status"], "completed", "{}", case["plan"]);
        let s = step(&case, "cancel-meetings");
        assert_eq!(s["status"], "verified", "{s}");

        let t = app.sim.state();
        let events = &t.mailbox(ADELE).unwrap().doors.events;
        let by = |id: &str| events.iter().find(|e| e.id == id).unwrap().clone();
        let review = by("AAMkAGE1=");
        assert!(review.is_cancelled);
        assert!(
            review
                .cancel_comment
                .as_deref()
                .is_some_and(|c| c.contains("has left")),
            "{review:?}"
        );
        assert!(!by("AAMkAGE2=").is_cancelled, "the past stays as it was");
        assert!(!by("AAMkAGE3=").is_cancelled, "not hers to cancel");
        assert!(
            by("AAMkAGE5=").is_cancelled,
            "a series that starts later goes whole"
        );
        let sync = by("AAMkAGE4=");
        assert!(!sync.is_cancelled);
        let range = &sync.recurrence.as_ref().unwrap()["range"];
        assert_eq!(range["type"], "endDate", "{range}");
        let effective: chrono::DateTime<chrono::Utc> =
            case["effectiveAt"].as_str().unwrap().parse().unwrap();
        let end = chrono::NaiveDate::parse_from_str(range["endDate"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
        // The series ends on the last day whose occurrence starts before the effective time.
        let last_occurrence = end.and_time(sync.start.time()).and_utc();
        assert!(last_occurrence < effective, "{end} {effective}");
        assert!(
            last_occurrence + chrono::Duration::days(1) >= effective,
            "{end} {effective}"
        );

        // Read back and recorded; before any licence went.
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(ev.json["verification"]["ok"], true);
        let text = ev.json.to_string();
        for needle in [
            "Quarterly review",
            "Weekly sync",
            "New-year planning",
            "endDate",
        ] {
            assert!(text.contains(needle), "evidence lacks {needle}");
        }
        assert!(!text.contains("Megan's all-hands"));
        let cancel = first_path(&app, "POST", "/cancel").unwrap();
        let licence = first_path(&app, "POST", "/assignLicense").unwrap();
        assert!(cancel < licence, "{cancel} {licence}");

        // A replay writes nothing.
        let before = writes_about(&app, ADELE, &upn(&app, ADELE));
        app.enqueue(
            "step-cancel-meetings",
            &json!({"caseId": id, "step": "cancel-meetings", "attempt": 0}).to_string(),
        )
        .await;
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert_eq!(
            app.queue
                .approximate_len("step-cancel-meetings")
                .await
                .unwrap(),
            0
        );
        let after = writes_about(&app, ADELE, &upn(&app, ADELE));
        assert_eq!(after, before, "a replay must change nothing");
        no_write_twice(&after);
        app.shutdown().await;
    }
);

/// Waits until every one of `kinds` has failed.
async fn wait_failed(app: &TestApp, id: &str, kinds: &[&str]) -> Value {
    wait_json(app, id, Duration::from_secs(180), |c| {
        kinds.iter().all(|k| {
            c["plan"]["steps"]
                .as_array()
                .and_then(|s| s.iter().find(|s| s["kind"] == *k))
                .is_some_and(|s| s["status"] == "failed")
        })
    })
    .await
}

/// The open remediation item of each of `kinds`, with Exchange's or Graph's 403 in its reason.
async fn remediation_items_name_a_403(app: &TestApp, kinds: &[&str]) {
    let open = app.get("/api/remediations").await.json;
    for k in kinds {
        let item = open["items"]
            .as_array()
            .and_then(|i| i.iter().find(|i| i["step"] == *k))
            .unwrap_or_else(|| panic!("no remediation item for {k}: {open}"));
        assert!(
            item["reason"].as_str().is_some_and(|r| r.contains("403")),
            "{item}"
        );
    }
}

/// Every request of the log that `matches`, as its status: the refused write was sent once,
/// not retried.
fn statuses(app: &TestApp, matches: impl Fn(&standin_tenant::LoggedRequest) -> bool) -> Vec<u16> {
    app.sim
        .requests()
        .iter()
        .filter(|r| matches(r))
        .map(|r| r.status)
        .collect()
}

on_every_backend!(
    a_view_only_exchange_role_leaves_forwarding_and_phones_as_they_were_and_fails,
    |app: TestApp| async move {
        forwarding_adele(&app);
        app.sim.with_state(|t| {
            t.mailbox_mut(ADELE).unwrap().doors.mobile_devices =
                vec![phone("ANDROIDC1A2B3C4D5E6F7", "EAS", "Pixel 8", true)];
        });
        // The identity holds Global Reader instead of Exchange Recipient Administrator:
        // Exchange answers its Get- cmdlets and refuses every change.
        let mi = app
            .sim
            .state()
            .identities
            .system_assigned
            .clone()
            .unwrap()
            .object_id;
        app.sim.with_state(|t| {
            for a in t.role_assignments.iter_mut().filter(|a| {
                a.principal_id == mi
                    && a.role_definition_id
                        == standin_tenant::demo::role_ids::EXCHANGE_RECIPIENT_ADMINISTRATOR
            }) {
                a.role_definition_id = standin_tenant::demo::role_ids::GLOBAL_READER.to_owned();
            }
        });
        let id = terminate(&app, "E1001").await;
        let case = wait_failed(&app, &id, &["stop-forwarding", "wipe-mobile-mail"]).await;
        for k in ["stop-forwarding", "wipe-mobile-mail"] {
            let s = step(&case, k);
            assert!(s["reason"].as_str().unwrap().contains("403"), "{s}");
        }
        remediation_items_name_a_403(&app, &["stop-forwarding", "wipe-mobile-mail"]).await;

        // The tenant: forwarding still set and every rule as it was (the rules come after the
        // refused Set-Mailbox); the phone neither wiped nor unpaired.
        let t = app.sim.state();
        let m = t.mailbox(ADELE).unwrap();
        assert_eq!(m.doors.forwarding_smtp_address.as_deref(), Some(PERSONAL));
        assert!(m.doors.deliver_to_mailbox_and_forward);
        assert_eq!(
            m.doors
                .message_rules
                .iter()
                .filter(|r| r.is_enabled)
                .count(),
            3
        );
        assert_eq!(m.doors.mobile_devices.len(), 1);
        assert!(m.doors.mobile_devices[0].wipe_requested_at.is_none());

        // From the log: each refused write went once and was answered 403; nothing else wrote.
        let set_forwarding = |r: &standin_tenant::LoggedRequest| {
            r.cmdlet.as_deref() == Some("Set-Mailbox")
                && r.body.as_ref().is_some_and(|b| {
                    b["CmdletInput"]["Parameters"]
                        .as_object()
                        .is_some_and(|p| p.contains_key("ForwardingSmtpAddress"))
                })
        };
        assert_eq!(statuses(&app, set_forwarding), vec![403]);
        assert_eq!(
            statuses(&app, |r| r.cmdlet.as_deref() == Some("Clear-MobileDevice")),
            vec![403]
        );
        assert!(statuses(&app, |r| r.cmdlet.as_deref() == Some("Remove-MobileDevice")).is_empty());
        assert!(statuses(&app, |r| r.path.contains("/messageRules/")).is_empty());
        assert_ne!(case["status"], "completed");
        app.shutdown().await;
    }
);

/// Gives the app's Graph token `swap`'s permissions instead of the default ones. A managed
/// identity's token is cached, so the handler is restarted and fetches a fresh one.
async fn graph_permissions_swapped(app: &TestApp, swap: &[(&str, &str)]) {
    let roles = standin_tenant::demo::DEFAULT_GRAPH_APP_ROLES
        .iter()
        .map(|r| {
            swap.iter()
                .find(|(from, _)| from == r)
                .map_or(*r, |(_, to)| *to)
                .to_owned()
        })
        .collect();
    assert!(app.sim.issuer().set_roles(
        standin_identity::DEMO_CLIENT_ID,
        standin_identity::GRAPH_RESOURCE,
        roles
    ));
    app.host().kill_handler().await;
    // The host answers 502 until it has started the handler again.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = app.get("/api/remediations").await;
        if r.status == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", r.status);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

on_every_backend!(
    graph_without_write_permissions_leaves_rules_and_meetings_as_they_were_and_fails,
    |app: TestApp| async move {
        forwarding_adele(&app);
        adele_with_meetings(&app);
        app.sim.with_state(|t| {
            let d = &mut t.mailbox_mut(ADELE).unwrap().doors;
            d.forwarding_smtp_address = None;
            d.deliver_to_mailbox_and_forward = false;
        });
        // Read, not write: Graph answers the rules and events and refuses every change.
        graph_permissions_swapped(
            &app,
            &[
                ("MailboxSettings.ReadWrite", "MailboxSettings.Read"),
                ("Calendars.ReadWrite", "Calendars.Read"),
            ],
        )
        .await;
        let before = app.sim.state().mailbox(ADELE).unwrap().doors.events.clone();
        let id = terminate(&app, "E1001").await;
        let case = wait_failed(&app, &id, &["stop-forwarding", "cancel-meetings"]).await;
        for k in ["stop-forwarding", "cancel-meetings"] {
            let s = step(&case, k);
            assert!(s["reason"].as_str().unwrap().contains("403"), "{s}");
        }
        remediation_items_name_a_403(&app, &["stop-forwarding", "cancel-meetings"]).await;

        // The tenant: every rule as it was, every meeting as it was (none cancelled, the
        // weekly series still without an end).
        let t = app.sim.state();
        let m = t.mailbox(ADELE).unwrap();
        assert_eq!(
            m.doors
                .message_rules
                .iter()
                .filter(|r| r.is_enabled)
                .count(),
            3
        );
        assert_eq!(m.doors.events, before);
        assert!(m.doors.events.iter().all(|e| !e.is_cancelled));

        // From the log: the first write of each step went once and was answered 403
        // (ErrorAccessDenied); nothing was written after it.
        let rule_writes = statuses(&app, |r| {
            r.method == "PATCH" && r.path.contains("/messageRules/")
        });
        assert_eq!(rule_writes, vec![403]);
        let event_writes = statuses(&app, |r| {
            r.path.contains("/events/") && (r.method == "PATCH" || r.path.ends_with("/cancel"))
        });
        assert_eq!(event_writes, vec![403]);
        assert_ne!(case["status"], "completed");
        app.shutdown().await;
    }
);
