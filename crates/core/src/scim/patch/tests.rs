//! Tests of PATCH: parsing, every shape of operation, and what identity providers send.

use super::*;
use crate::scim::{ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA, ScimType};
use serde_json::json;

fn base() -> Map<String, Value> {
    match json!({
        "userName": "ada@contoso.com",
        "active": true,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [
            {"value": "ada@contoso.com", "type": "work", "primary": true},
            {"value": "ada@home.example", "type": "home"}
        ],
    }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn patch(ops: Value) -> Result<Map<String, Value>, ScimError> {
    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops});
    PatchRequest::from_value(&body)?.apply(&base())
}

#[test]
fn every_deactivation_shape_sets_active_false() {
    for ops in [
        json!([{"op": "replace", "path": "active", "value": false}]),
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
        json!([{"op": "replace", "value": {"active": false}}]),
        json!([{"op": "add", "value": {"active": false}}]),
        json!([{"op": "Add", "path": "active", "value": "false"}]),
        json!([{"op": "REPLACE", "path": format!("{}:active", crate::scim::USER_SCHEMA), "value": false}]),
    ] {
        let out = patch(ops.clone()).unwrap();
        assert_eq!(out["active"], json!(false), "{ops}");
    }
}

#[test]
fn path_less_values_may_use_paths_and_extension_urns() {
    let out = patch(json!([{"op": "replace", "value": {
        "name.givenName": "Augusta",
        "displayName": "Ada L.",
        ENTERPRISE_USER_SCHEMA: {"employeeNumber": "1042"},
        format!("{OFFBOARD_USER_SCHEMA}:terminationKind"): "voluntary",
        "title": "ignored",
    }}]))
    .unwrap();
    assert_eq!(
        out["name"],
        json!({"givenName": "Augusta", "familyName": "Lovelace"})
    );
    assert_eq!(out["displayName"], "Ada L.");
    assert_eq!(
        out[ENTERPRISE_USER_SCHEMA],
        json!({"employeeNumber": "1042"})
    );
    assert_eq!(
        out[OFFBOARD_USER_SCHEMA],
        json!({"terminationKind": "voluntary"})
    );
    assert!(!out.contains_key("title"));
}

#[test]
fn entra_work_email_paths_update_or_create_the_work_address() {
    let out = patch(json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada@fabrikam.com"}]))
        .unwrap();
    assert_eq!(out["emails"][0]["value"], "ada@fabrikam.com");
    assert_eq!(out["emails"][1]["value"], "ada@home.example");

    // No "other" address yet: add creates it from the filter...
    let out = patch(
        json!([{"op": "Add", "path": "emails[type eq \"other\"].value", "value": "a@o.example"}]),
    )
    .unwrap();
    assert_eq!(
        out["emails"][2],
        json!({"type": "other", "value": "a@o.example"})
    );
    // ...and so does replace, as Entra ID sends either.
    let out = patch(json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "a@o.example"}]))
        .unwrap();
    assert_eq!(out["emails"].as_array().unwrap().len(), 3);
    // A filter that describes no value cannot create one.
    let err = patch(json!([{"op": "replace", "path": "emails[type ne \"work\" and type ne \"home\"].value", "value": "x@y.z"}]))
        .unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::NoTarget));
}

#[test]
fn primary_moves_to_the_value_that_was_set() {
    let out = patch(
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": "True"}]),
    )
    .unwrap();
    assert_eq!(out["emails"][0]["primary"], false);
    assert_eq!(out["emails"][1]["primary"], true);
    let out = patch(json!([{"op": "add", "path": "emails", "value": [{"value": "new@contoso.com", "primary": true}]}]))
        .unwrap();
    assert_eq!(out["emails"][0]["primary"], false);
    assert_eq!(out["emails"][2]["primary"], true);
    let err = patch(json!([{"op": "replace", "path": "emails", "value": [
        {"value": "a@b.c", "primary": true}, {"value": "d@e.f", "primary": true}]}]))
    .unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
}

#[test]
fn add_appends_and_skips_duplicates_replace_swaps_the_whole_array() {
    let out = patch(json!([{"op": "add", "path": "emails", "value": [{"value": "ada@home.example", "type": "home"}]}]))
        .unwrap();
    assert_eq!(out["emails"].as_array().unwrap().len(), 2);
    assert_eq!(out, base(), "re-adding a value unchanged changes nothing");
    let out = patch(json!([{"op": "add", "path": "emails", "value": [{"value": "ADA@home.example", "primary": true}]}]))
        .unwrap();
    assert_eq!(
        out["emails"].as_array().unwrap().len(),
        2,
        "the same address is updated"
    );
    assert_eq!(out["emails"][1]["primary"], true);
    assert_eq!(out["emails"][0]["primary"], false);
    let out =
        patch(json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x.example"}]}]))
            .unwrap();
    assert_eq!(out["emails"], json!([{"value": "only@x.example"}]));
}

#[test]
fn removes_attributes_values_and_sub_attributes() {
    let out = patch(json!([
        {"op": "remove", "path": "emails[type eq \"home\"]"},
        {"op": "remove", "path": "name.familyName"},
        {"op": "remove", "path": "displayName"},
        {"op": "remove", "path": "emails[type eq \"nothing\"]"},
    ]))
    .unwrap();
    assert_eq!(out["emails"].as_array().unwrap().len(), 1);
    assert_eq!(out["name"], json!({"givenName": "Ada"}));
    let out = patch(
        json!([{"op": "remove", "path": "emails", "value": [{"value": "ADA@home.example"}]}]),
    )
    .unwrap();
    assert_eq!(out["emails"].as_array().unwrap().len(), 1);
    let out = patch(json!([
        {"op": "remove", "path": "name.givenName"},
        {"op": "remove", "path": "name.familyName"},
        {"op": "remove", "path": "emails"},
    ]))
    .unwrap();
    assert!(
        !out.contains_key("name"),
        "an empty complex attribute is unassigned"
    );
    assert!(!out.contains_key("emails"));
}

#[test]
fn extension_paths_add_replace_and_remove() {
    let out = patch(json!([
        {"op": "add", "path": ENTERPRISE_USER_SCHEMA, "value": {"employeeNumber": "7"}},
        {"op": "add", "path": format!("{OFFBOARD_USER_SCHEMA}:terminationDateTime"), "value": "2026-11-30T17:00:00Z"},
    ]))
    .unwrap();
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "7");
    assert_eq!(
        out[OFFBOARD_USER_SCHEMA]["terminationDateTime"],
        "2026-11-30T17:00:00Z"
    );
    let body = json!({"Operations": [
        {"op": "remove", "path": format!("{ENTERPRISE_USER_SCHEMA}:employeeNumber")},
        {"op": "remove", "path": OFFBOARD_USER_SCHEMA},
    ]});
    let out = PatchRequest::from_value(&body)
        .unwrap()
        .apply(&out)
        .unwrap();
    assert!(
        !out.contains_key(ENTERPRISE_USER_SCHEMA),
        "an empty extension is dropped"
    );
    assert!(!out.contains_key(OFFBOARD_USER_SCHEMA));
}

#[test]
fn null_or_empty_values_unassign() {
    let out = patch(json!([
        {"op": "replace", "path": "displayName", "value": null},
        {"op": "replace", "path": "emails", "value": []},
    ]))
    .unwrap();
    assert!(!out.contains_key("emails"));
}

#[test]
fn is_atomic_and_refuses_what_rfc7644_refuses() {
    let cases = [
        (
            json!([{"op": "replace", "path": "active", "value": false}, {"op": "replace", "path": "id", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
            ScimType::Mutability,
        ),
        (json!([{"op": "remove"}]), ScimType::NoTarget),
        (
            json!([{"op": "replace", "path": "active"}]),
            ScimType::InvalidSyntax,
        ),
        (
            json!([{"op": "merge", "path": "active", "value": false}]),
            ScimType::InvalidSyntax,
        ),
        (json!([]), ScimType::InvalidSyntax),
        (
            json!([{"op": "replace", "path": "active", "value": "nope"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "value": false}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "remove", "path": "userName"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq work].value", "value": "x"}]),
            ScimType::InvalidFilter,
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "replace", "path": 5, "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "emails[primary gt true]", "value": {"value": "x"}}]),
            ScimType::InvalidFilter,
        ),
    ];
    for (ops, want) in cases {
        let err = patch(ops.clone()).unwrap_err();
        assert_eq!(err.status, 400, "{ops}");
        assert_eq!(err.scim_type, Some(want), "{ops}");
    }
    let wrong_schema = json!({"schemas": ["urn:x"], "Operations": [{"op": "add", "path": "active", "value": true}]});
    assert!(PatchRequest::from_value(&wrong_schema).is_err());
    assert!(PatchRequest::parse(b"{").is_err());
}

#[test]
fn unknown_attributes_are_ignored() {
    let out = patch(json!([
        {"op": "replace", "path": "title", "value": "Engineer"},
        {"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555"},
        {"op": "remove", "path": "urn:acme:scim:1.0:User:badge"},
    ]))
    .unwrap();
    assert_eq!(out, base());
}
