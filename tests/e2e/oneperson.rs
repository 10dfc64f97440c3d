//! One person, one active offboarding, end to end: terminations of the same person from
//! several senders at once, and an event id reused for someone else. Both read the tenant
//! simulator's request log: nothing may be written twice, and a refused event writes nothing.

use offboard_core::case::CaseStatus;
use offboard_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_every_backend;
use crate::pipeline::{
    ADELE, JOHANNA, finished, no_write_twice, only_removable_groups, upn, writes_about,
};

/// A generic termination of the person HR numbers `employee_id`.
fn generic(event_id: &str, employee_id: &str, effective_at: &str, kind: &str) -> Value {
    json!({
        "type": "employee.terminated",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"eventId": event_id, "employee": {"employeeId": employee_id},
                 "effectiveAt": effective_at, "kind": kind}
    })
}

on_every_backend!(
    terminations_of_one_person_from_several_senders_make_one_case,
    |app: TestApp| async move {
        only_removable_groups(&app, ADELE);
        let adele_upn = upn(&app, ADELE);
        // HR first schedules a resignation for next week...
        let first = app
            .post_generic(&generic(
                &event_id(),
                "E1001",
                &in_secs(7 * 86_400),
                "voluntary",
            ))
            .await;
        assert_eq!(first.status, 202, "{}", first.json);
        assert_eq!(first.json["status"], "scheduled", "{}", first.json);
        let case_id = first.json["caseId"].as_str().unwrap().to_owned();
        // ...then HR, the identity provider and an operator all report her dismissal now,
        // twelve requests at once with their own event ids, some by her UPN only.
        let now = chrono::Utc::now().to_rfc3339();
        let redelivered = generic(&event_id(), "E1001", &now, "involuntary");
        let mut sends = Vec::new();
        for i in 0..12 {
            let app = &app;
            let now = now.clone();
            let adele_upn = adele_upn.clone();
            let redelivered = &redelivered;
            sends.push(async move {
                if i == 0 {
                    app.post_generic(redelivered).await
                } else if i % 3 == 2 {
                    app.post_offboarding(&json!({
                        "employee": {"userPrincipalName": adele_upn},
                        "kind": "for_cause", "requestId": format!("op-{}", event_id()),
                        "reason": "escorted out",
                    }))
                    .await
                } else {
                    app.post_generic(&generic(&event_id(), "E1001", &now, "involuntary"))
                        .await
                }
            });
        }
        let answers = futures::future::join_all(sends).await;
        for a in &answers {
            assert_eq!(a.status, 202, "{}", a.json);
            // Every sender is told which case its termination joined.
            assert_eq!(a.json["caseId"], case_id.as_str(), "{}", a.json);
            assert_eq!(a.json["attachedTo"], case_id.as_str(), "{}", a.json);
            assert_eq!(a.json["duplicate"], false, "{}", a.json);
        }
        // A redelivery of an attached termination gets the same answer.
        let again = app.post_generic(&redelivered).await;
        assert_eq!(again.status, 202, "{}", again.json);
        assert_eq!(again.json["attachedTo"], case_id.as_str(), "{}", again.json);
        assert_eq!(again.json["duplicate"], true, "{}", again.json);
        // The earlier, harsher terminations tightened the scheduled case: it runs now, as
        // for cause, once.
        let case = finished(&app, &case_id).await.case;
        assert_eq!(case.status, CaseStatus::Completed, "{:?}", case.plan);
        assert_eq!(case.attached.len(), 12, "{:?}", case.attached);
        assert!(
            case.attached.iter().all(|a| a.recorded),
            "{:?}",
            case.attached
        );
        // Nothing in the tenant was done twice, and it was done.
        let writes = writes_about(&app, ADELE, &adele_upn);
        assert!(!writes.is_empty());
        no_write_twice(&writes);
        assert!(!app.sim.state().user(ADELE).unwrap().account_enabled);
        // Only one case exists (this app holds no other).
        let listed = app.get("/api/cases?limit=100").await;
        assert_eq!(listed.status, 200, "{}", listed.json);
        let items = listed.json["items"].as_array().expect("a case list");
        assert_eq!(items.len(), 1, "{}", listed.json);
    }
);

on_every_backend!(
    a_reused_event_id_for_another_person_is_a_conflict,
    |app: TestApp| async move {
        let id = event_id();
        let later = in_secs(7 * 86_400);
        let first = app
            .post_generic(&generic(&id, "E1001", &later, "voluntary"))
            .await;
        assert_eq!(first.status, 202, "{}", first.json);
        let case_id = first.json["caseId"].as_str().unwrap().to_owned();
        // The same id naming Johanna: refused, naming the case of the first use.
        let reused = app
            .post_generic(&generic(&id, "E1006", &in_secs(0), "involuntary"))
            .await;
        assert_eq!(reused.status, 409, "{}", reused.json);
        assert_eq!(
            reused.json["type"],
            "https://offboard.dev/problems/event-id-conflict"
        );
        assert_eq!(reused.json["caseId"], case_id.as_str(), "{}", reused.json);
        // The same id with the same termination stays an idempotent redelivery.
        let same = app
            .post_generic(&generic(&id, "E1001", &later, "voluntary"))
            .await;
        assert_eq!(same.status, 202, "{}", same.json);
        assert_eq!(same.json["caseId"], case_id.as_str());
        assert_eq!(same.json["duplicate"], true);
        // Johanna was not touched, and no case was opened for her.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let johanna_upn = upn(&app, JOHANNA);
        assert_eq!(writes_about(&app, JOHANNA, &johanna_upn), Vec::new());
        let case = app.get(&format!("/api/cases/{case_id}")).await;
        assert_eq!(
            case.json["employee"]["employeeId"], "E1001",
            "{}",
            case.json
        );
        assert_eq!(case.json["status"], "scheduled", "{}", case.json);
    }
);
