//! What identity providers' deactivations and reactivations do to termination cases.

use super::*;

#[tokio::test]
async fn each_patch_deactivation_form_opens_one_case() {
    let forms = [
        json!([{"op": "replace", "path": "active", "value": false}]),
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
        json!([{"op": "replace", "value": {"active": false}}]),
        json!([{"op": "add", "value": {"active": false}}]),
    ];
    for form in forms {
        let h = harness().await;
        let id = h.create(ada()).await;
        let r = h.patch(&id, form.clone()).await;
        assert_eq!(r.status, 200, "{form}");
        assert_eq!(r.body.as_ref().unwrap()["active"], false);
        let case_id = case_id_of(&r);
        assert_eq!(case_id, termination::case_id(&id, 1));
        assert_eq!(r.header(CASE_STATUS_HEADER), Some("received"));
        let case = h.case(&case_id).await.expect("the case is stored");
        assert_eq!(case.status, CaseStatus::Received);
        assert_eq!(case.event.source(), Source::Scim);
        assert_eq!(case.event.source_event_id(), format!("{id}/1"));
        assert_eq!(case.event.source_subject_id(), Some(id.as_str()));
        assert_eq!(case.event.employee().employee_id.as_deref(), Some("1042"));
        assert_eq!(
            case.event.employee().user_principal_name.as_deref(),
            Some("ada@contoso.com")
        );
        assert_eq!(case.event.kind(), TerminationKind::Unspecified);
        assert_eq!(h.plan_messages().await, 1, "a due case goes to planning");

        // The identity provider sends it again: same case, nothing new.
        let again = h.patch(&id, form.clone()).await;
        assert_eq!(again.status, 200);
        assert_eq!(case_id_of(&again), case_id);
        assert_eq!(h.case_count().await, 1);
        assert_eq!(h.plan_messages().await, 1);
        assert_eq!(
            again.header("ETag"),
            r.header("ETag"),
            "an unchanged resource keeps its version"
        );
    }
}

#[tokio::test]
async fn a_future_termination_is_scheduled_and_cancelled_by_reactivation() {
    let h = harness().await;
    let mut body = ada();
    body[OFFBOARD_USER_SCHEMA] =
        json!({"terminationDateTime": "2026-11-30T17:00:00-05:00", "terminationKind": "voluntary"});
    let id = h.create(body).await;
    let r = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(r.header(CASE_STATUS_HEADER), Some("scheduled"));
    let first = case_id_of(&r);
    let case = h.case(&first).await.unwrap();
    assert_eq!(case.event.effective_at(), t("2026-11-30T22:00:00Z"));
    assert_eq!(case.event.kind(), TerminationKind::Voluntary);
    assert_eq!(h.plan_messages().await, 0, "a scheduled case waits");

    let back = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": true}]),
        )
        .await;
    assert_eq!(back.status, 200);
    assert_eq!(case_id_of(&back), first);
    assert_eq!(back.header(CASE_STATUS_HEADER), Some("cancelled"));
    assert_eq!(h.case(&first).await.unwrap().status, CaseStatus::Cancelled);

    // A second deactivation is a new termination.
    let again = h
        .call(
            "PUT",
            &format!("/Users/{id}"),
            "",
            json!({"userName": "ada@contoso.com", "active": false}),
        )
        .await;
    assert_eq!(again.status, 200);
    let second = case_id_of(&again);
    assert_ne!(second, first);
    assert_eq!(second, termination::case_id(&id, 2));
    assert_eq!(again.header(CASE_STATUS_HEADER), Some("received"));
}

#[tokio::test]
async fn a_reactivation_after_the_effective_time_is_accepted_and_noted() {
    let h = harness().await;
    let id = h.create(ada()).await;
    let r = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    let case_id = case_id_of(&r);
    h.clock.set(t("2026-11-26T11:00:00Z"));
    let back = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": true}]),
        )
        .await;
    assert_eq!(back.status, 200);
    assert_eq!(back.body.as_ref().unwrap()["active"], true);
    assert_eq!(back.header(CASE_STATUS_HEADER), Some("received"));
    let case = h.case(&case_id).await.unwrap();
    assert_eq!(case.status, CaseStatus::Received);
    assert!(
        case.history
            .last()
            .unwrap()
            .note
            .contains("after the termination took effect")
    );
}

#[tokio::test]
async fn put_and_delete_deactivate_too() {
    let h = harness().await;
    let id = h.create(ada()).await;
    let mut inactive = ada();
    inactive["active"] = json!(false);
    let r = h.call("PUT", &format!("/Users/{id}"), "", inactive).await;
    assert_eq!(r.status, 200);
    assert_eq!(case_id_of(&r), termination::case_id(&id, 1));
    // Deleting the inactive user opens nothing new.
    let del = h
        .call("DELETE", &format!("/Users/{id}"), "", Value::Null)
        .await;
    assert_eq!(del.status, 204);
    assert!(del.header(CASE_ID_HEADER).is_none());
    assert_eq!(h.case_count().await, 1);
    let gone = h
        .call("GET", &format!("/Users/{id}"), "", Value::Null)
        .await;
    assert_eq!(gone.status, 404);

    let other = h.create(json!({"userName": "grace@contoso.com"})).await;
    let del = h
        .call("DELETE", &format!("/Users/{other}"), "", Value::Null)
        .await;
    assert_eq!(del.status, 204);
    assert!(del.body.is_none());
    let case = h.case(&case_id_of(&del)).await.unwrap();
    assert_eq!(case.event.source_event_id(), format!("{other}/1"));
    assert_eq!(h.case_count().await, 2);
}

#[tokio::test]
async fn a_put_that_drops_the_identifiers_still_names_the_leaver() {
    let h = harness().await;
    let id = h.create(ada()).await;
    let r = h
        .call(
            "PUT",
            &format!("/Users/{id}"),
            "",
            json!({"userName": "alovelace", "active": false}),
        )
        .await;
    assert_eq!(r.status, 200);
    let case = h.case(&case_id_of(&r)).await.unwrap();
    assert_eq!(case.event.employee().employee_id.as_deref(), Some("1042"));
}

#[tokio::test]
async fn creating_an_inactive_user_opens_no_case() {
    let h = harness().await;
    let id = h
        .create(json!({"userName": "prehire@contoso.com", "active": false}))
        .await;
    let r = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert!(r.header(CASE_ID_HEADER).is_none());
    assert_eq!(h.case_count().await, 0);
}

#[tokio::test]
async fn a_deactivation_offboard_cannot_identify_is_refused_and_changes_nothing() {
    let h = harness().await;
    let id = h
        .create(json!({"userName": "0b6f2d6e-8f7a-4c4e-9d55"}))
        .await;
    let r = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(r.status, 400);
    let body = r.body.as_ref().unwrap();
    assert_eq!(body["scimType"], "invalidValue");
    assert!(
        body["detail"].as_str().unwrap().contains("employeeNumber"),
        "{body}"
    );
    assert!(r.header(CASE_ID_HEADER).is_none());
    assert_eq!(h.case_count().await, 0);
    // The user is still active: the identity provider's deactivation is still pending.
    let got = h
        .call("GET", &format!("/Users/{id}"), "", Value::Null)
        .await;
    assert_eq!(got.status, 200);
    assert_ne!(got.body.as_ref().unwrap()["active"], false);
    // Once the identity provider sends an identifier, the deactivation goes through.
    let r = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "userName", "value": "lee@contoso.com"},
                   {"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header(CASE_ID_HEADER).is_some());
    assert_eq!(h.case_count().await, 1);
}

#[tokio::test]
async fn a_failed_enqueue_changes_nothing_and_the_retry_lands_on_the_same_case() {
    let h = harness().await;
    let id = h.create(ada()).await;
    h.queue.down.store(true, Ordering::SeqCst);
    let r = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("Retry-After"), Some("5"));
    let body = r.body.unwrap();
    assert_eq!(body["status"], "503");
    assert!(!body["detail"].as_str().unwrap().contains("queue down"));
    let still = h
        .call("GET", &format!("/Users/{id}"), "", Value::Null)
        .await;
    assert_eq!(
        still.body.unwrap()["active"],
        true,
        "the user was not stored inactive"
    );

    h.queue.down.store(false, Ordering::SeqCst);
    let retry = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(retry.status, 200);
    assert_eq!(case_id_of(&retry), termination::case_id(&id, 1));
    assert_eq!(h.case_count().await, 1);
    assert_eq!(h.plan_messages().await, 1);
}

#[tokio::test]
async fn the_case_records_the_scim_request_digest() {
    let h = harness().await;
    let id = h.create(ada()).await;
    let body = br#"{"Operations":[{"op":"replace","path":"active","value":false}]}"#;
    let r = h
        .raw("PATCH", &format!("/Users/{id}"), "", body, None, None)
        .await;
    let case = h.case(&case_id_of(&r)).await.unwrap();
    assert_eq!(
        case.event.body_sha256(),
        &offboard_core::ids::Sha256Digest::of(body)
    );
    assert_eq!(
        case.event.authenticated_by(),
        offboard_core::signature::Scheme::ScimBearer
    );
    assert!(case.event.received_at() <= h.clock.now() + Duration::seconds(1));
}
