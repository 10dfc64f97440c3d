//! The SCIM protocol over users: create, read, list and search, replace and patch,
//! conditional requests, and the store's failures.

use super::*;

#[tokio::test]
async fn creates_reads_and_lists_users() {
    let h = harness().await;
    let r = h.call("POST", "/Users", "", ada()).await;
    assert_eq!(r.status, 201);
    let body = r.body.clone().unwrap();
    let id = body["id"].as_str().unwrap();
    let loc = format!("{BASE}/Users/{id}");
    assert_eq!(r.header("Location"), Some(loc.as_str()));
    assert_eq!(r.header("Content-Location"), Some(loc.as_str()));
    assert_eq!(r.header("ETag"), Some("W/\"1\""));
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_eq!(body["meta"]["resourceType"], "User");
    assert_eq!(body["meta"]["version"], "W/\"1\"");
    assert_eq!(body["meta"]["location"], loc);
    assert_eq!(body["meta"]["created"], "2026-11-26T10:00:00.000Z");
    assert_eq!(
        body["schemas"],
        json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA])
    );

    let got = h
        .call("GET", &format!("/Users/{id}"), "", Value::Null)
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, r.body);

    let found = h
        .call(
            "GET",
            "/Users",
            "filter=userName+eq+%22ADA%40contoso.com%22",
            Value::Null,
        )
        .await;
    assert_eq!(found.status, 200);
    let found = found.body.unwrap();
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id);
    let by_ext = h
        .call(
            "GET",
            "/Users",
            "filter=externalId%20eq%20%22E-1042%22",
            Value::Null,
        )
        .await
        .body
        .unwrap();
    assert_eq!(by_ext["totalResults"], 0, "externalId is caseExact");
    let none = h
        .call(
            "GET",
            "/Users",
            "filter=userName eq \"nobody@contoso.com\"",
            Value::Null,
        )
        .await
        .body
        .unwrap();
    assert_eq!(none["totalResults"], 0);
    assert_eq!(none["Resources"], json!([]));

    let bad = h
        .call("GET", "/Users", "filter=displayName pr", Value::Null)
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body.unwrap()["scimType"], "invalidFilter");
    let missing = h.call("GET", "/Users/nope", "", Value::Null).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body.unwrap()["status"], "404");
}

#[tokio::test]
async fn pages_and_projects_lists() {
    let h = harness().await;
    for i in 0..5 {
        h.create(json!({"userName": format!("u{i}@contoso.com"), "displayName": format!("U{i}")}))
            .await;
    }
    let page = h
        .call(
            "GET",
            "/Users",
            "startIndex=2&count=2&attributes=userName",
            Value::Null,
        )
        .await
        .body
        .unwrap();
    assert_eq!(page["totalResults"], 5);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    let first = &page["Resources"][0];
    assert!(first.get("userName").is_some() && first.get("id").is_some());
    assert!(first.get("displayName").is_none() && first.get("meta").is_none());
    let counted = h
        .call("GET", "/Users", "count=0", Value::Null)
        .await
        .body
        .unwrap();
    assert_eq!(
        (
            counted["totalResults"].clone(),
            counted["itemsPerPage"].clone()
        ),
        (json!(5), json!(0))
    );

    for path in ["/Users/.search", "/.search"] {
        let r = h
            .call(
                "POST",
                path,
                "",
                json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "userName eq \"u3@contoso.com\"",
                    "excludedAttributes": ["displayName"],
                }),
            )
            .await;
        assert_eq!(r.status, 200, "{path}");
        let body = r.body.unwrap();
        assert_eq!(body["totalResults"], 1);
        assert!(body["Resources"][0].get("displayName").is_none());
        assert_eq!(body["Resources"][0]["userName"], "u3@contoso.com");
    }
}

#[tokio::test]
async fn refuses_duplicates_and_bad_bodies() {
    let h = harness().await;
    h.create(ada()).await;
    let dup = h
        .call("POST", "/Users", "", json!({"userName": "ADA@contoso.com"}))
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body.unwrap()["scimType"], "uniqueness");
    let other = h.create(json!({"userName": "grace@contoso.com"})).await;
    let rename = h
        .patch(
            &other,
            json!([{"op": "replace", "path": "userName", "value": "Ada@Contoso.com"}]),
        )
        .await;
    assert_eq!(rename.status, 409);
    let no_name = h
        .call("POST", "/Users", "", json!({"displayName": "x"}))
        .await;
    assert_eq!(no_name.status, 400);
    assert_eq!(no_name.body.unwrap()["scimType"], "invalidValue");
    let garbage = h.raw("POST", "/Users", "", b"{not json", None, None).await;
    assert_eq!(garbage.status, 400);
    assert_eq!(garbage.body.unwrap()["scimType"], "invalidSyntax");
    let empty = h
        .raw("PUT", &format!("/Users/{other}"), "", b"", None, None)
        .await;
    assert_eq!(empty.status, 400);
}

#[tokio::test]
async fn store_failures_answer_503_without_internals() {
    let h = harness().await;
    let id = h.create(ada()).await;
    h.users.down.store(true, Ordering::SeqCst);
    for (method, path) in [("GET", format!("/Users/{id}")), ("GET", "/Users".into())] {
        let r = h.call(method, &path, "", Value::Null).await;
        assert_eq!(r.status, 503);
        let text = r.body.unwrap().to_string();
        assert!(
            !text.contains("internal.example") && !text.contains("cosmos"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_concurrent_change_is_retried() {
    let h = harness().await;
    let id = h.create(ada()).await;
    *lock(&h.users.conflicts_to_inject) = 2;
    let r = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(h.case_count().await, 1);
    assert_eq!(r.header("ETag"), Some("W/\"2\""));
    *lock(&h.users.conflicts_to_inject) = 10;
    let r = h
        .patch(
            &id,
            json!([{"op": "replace", "path": "displayName", "value": "A"}]),
        )
        .await;
    assert_eq!(r.status, 503);
}

#[tokio::test]
async fn patch_is_atomic() {
    let h = harness().await;
    let id = h.create(ada()).await;
    let r = h
        .patch(
            &id,
            json!([
                {"op": "replace", "path": "active", "value": false},
                {"op": "replace", "path": "id", "value": "mine"},
            ]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body.unwrap()["scimType"], "mutability");
    assert_eq!(h.case_count().await, 0);
    let got = h
        .call("GET", &format!("/Users/{id}"), "", Value::Null)
        .await;
    assert_eq!(got.header("ETag"), Some("W/\"1\""));
    assert_eq!(got.body.unwrap()["active"], true);
}

#[tokio::test]
async fn entra_style_patch_updates_the_work_email() {
    let h = harness().await;
    let id = h.create(ada()).await;
    let r = h
        .patch(&id, json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada@fabrikam.com"},
            {"op": "Replace", "path": "name.familyName", "value": "King"},
            {"op": "Add", "path": "title", "value": "Countess"},
        ]))
        .await;
    assert_eq!(r.status, 200);
    let body = r.body.unwrap();
    assert_eq!(body["emails"][0]["value"], "ada@fabrikam.com");
    assert_eq!(body["name"]["familyName"], "King");
    assert!(body.get("title").is_none());
    assert_eq!(body["meta"]["version"], "W/\"2\"");
    assert_eq!(body["meta"]["lastModified"], "2026-11-26T10:00:00.000Z");
}

#[tokio::test]
async fn conditional_requests_follow_etags() {
    let h = harness().await;
    let id = h.create(ada()).await;
    let path = format!("/Users/{id}");
    let not_modified = h.raw("GET", &path, "", b"", None, Some("W/\"1\"")).await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_none());
    let body = br#"{"Operations":[{"op":"replace","path":"displayName","value":"A"}]}"#;
    let stale = h.raw("PATCH", &path, "", body, Some("W/\"7\""), None).await;
    assert_eq!(stale.status, 412);
    let fresh = h.raw("PATCH", &path, "", body, Some("W/\"1\""), None).await;
    assert_eq!(fresh.status, 200);
    let any = h.raw("DELETE", &path, "", b"", Some("*"), None).await;
    assert_eq!(any.status, 204);
}

#[tokio::test]
async fn discovery_endpoints_answer_get_only() {
    let h = harness().await;
    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/ResourceTypes/User",
        "/Schemas",
        &format!("/Schemas/{USER_SCHEMA}"),
        "/Schemas/urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Aextension%3Aoffboard%3A2.0%3AUser",
    ] {
        let r = h.call("GET", path, "", Value::Null).await;
        assert_eq!(r.status, 200, "{path}");
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let r = h.call(method, path, "", Value::Null).await;
            assert_eq!(r.status, 405, "{method} {path}");
            assert_eq!(r.header("Allow"), Some("GET"));
            assert_eq!(r.body.unwrap()["status"], "405");
        }
    }
    let spc = h
        .call("GET", "/ServiceProviderConfig", "", Value::Null)
        .await
        .body
        .unwrap();
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(
        h.call("GET", "/Schemas", "filter=id eq \"x\"", Value::Null)
            .await
            .status,
        403
    );
    for missing in [
        "/ResourceTypes/Group",
        "/Schemas/urn:nope",
        "/Groups",
        "/",
        "/Users/a/b",
    ] {
        let r = h.call("GET", missing, "", Value::Null).await;
        assert_eq!(r.status, 404, "{missing}");
        assert_eq!(
            r.body.unwrap()["schemas"][0],
            offboard_core::scim::ERROR_SCHEMA
        );
    }
    assert_eq!(h.call("GET", "/Me", "", Value::Null).await.status, 501);
    assert_eq!(h.call("POST", "/Bulk", "", json!({})).await.status, 501);
    assert_eq!(h.call("GET", "/.search", "", Value::Null).await.status, 405);
    assert_eq!(h.call("PUT", "/Users", "", Value::Null).await.status, 405);
}

#[tokio::test]
async fn the_handle_shape_answers_like_handle_request() {
    let h = harness().await;
    let verified = verify_bearer("tok", Some("Bearer tok"), b"", h.clock.now()).unwrap();
    let r = h
        .service
        .handle("GET", "/ResourceTypes/User", "", b"", BASE, verified)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.unwrap()["endpoint"], "/Users");
}
