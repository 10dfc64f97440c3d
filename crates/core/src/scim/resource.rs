//! A User resource in and out: reading what a client sends into offboard's stored form
//! (RFC 7644 §3.3 create, §3.5.1 replace), and rendering the stored form back with `id`,
//! `schemas` and `meta` (RFC 7643 §3).
//!
//! The stored form is normalised so that everything downstream can rely on it:
//! attribute names spelled as the schema spells them (clients may use any case), booleans
//! as JSON booleans (Entra ID sends `"True"`/`"False"` strings), no `null`s, no empty
//! objects or arrays, attributes offboard does not publish dropped, read-only attributes
//! (`id`, `meta`) ignored as RFC 7644 §3.3 requires.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::error::ScimError;
use super::schema::{AttrType, AttributeDef, Mutability, SchemaId};
use super::urn::USER_SCHEMA;
use super::user::ScimUser;

/// Parses an xsd:dateTime as offboard accepts it: RFC 3339 with a UTC offset. A date-time
/// without an offset is refused, because the instant a person's access goes must not
/// depend on a guess about the zone.
pub fn parse_date_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text.trim()).ok()
}

/// Normalises a value written to `attr` (a whole attribute, or one sub-attribute).
/// `Ok(None)` means unassigned: `null`, an empty array or an empty object (RFC 7643 §2.5).
/// `at` names the value in error details (`emails[0].primary`).
pub fn normalize_value(
    attr: &AttributeDef,
    value: &Value,
    at: &str,
) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    if attr.multi_valued {
        // A single value where an array is expected is read as an array of one.
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            if item.is_array() {
                return Err(ScimError::invalid_value(format!(
                    "{at}[{i}] must be a single value, not an array"
                )));
            }
            if let Some(v) = normalize_single(attr, item, &format!("{at}[{i}]"))? {
                out.push(v);
            }
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    if value.is_array() {
        return Err(ScimError::invalid_value(format!(
            "{at} takes a single value, not an array"
        )));
    }
    normalize_single(attr, value, at)
}

/// Normalises one value of `attr` (one element of a multi-valued attribute).
pub fn normalize_single(
    attr: &AttributeDef,
    value: &Value,
    at: &str,
) -> Result<Option<Value>, ScimError> {
    match (attr.kind, value) {
        (_, Value::Null) => Ok(None),
        (AttrType::String, Value::String(s)) => Ok(Some(Value::String(s.clone()))),
        // Some HR systems send numbers for identifiers such as employeeNumber.
        (AttrType::String, Value::Number(n)) => Ok(Some(Value::String(n.to_string()))),
        (AttrType::String, _) => Err(ScimError::invalid_value(format!("{at} must be a string"))),
        (AttrType::Boolean, Value::Bool(b)) => Ok(Some(Value::Bool(*b))),
        (AttrType::Boolean, Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => {
            Ok(Some(Value::Bool(true)))
        }
        (AttrType::Boolean, Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => {
            Ok(Some(Value::Bool(false)))
        }
        (AttrType::Boolean, _) => Err(ScimError::invalid_value(format!(
            "{at} must be true or false"
        ))),
        (AttrType::DateTime, Value::String(s)) if parse_date_time(s).is_some() => {
            Ok(Some(Value::String(s.trim().to_owned())))
        }
        (AttrType::DateTime, _) => Err(ScimError::invalid_value(format!(
            "{at} must be an xsd:dateTime with a UTC offset, such as 2026-11-30T17:00:00Z or \
             2026-11-30T17:00:00-05:00"
        ))),
        (AttrType::Complex, Value::Object(map)) => normalize_complex(attr, map, at),
        (AttrType::Complex, _) => Err(ScimError::invalid_value(format!(
            "{at} must be an object with the sub-attributes {}",
            sub_names(attr)
        ))),
    }
}

fn sub_names(attr: &AttributeDef) -> String {
    attr.sub_attributes
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn normalize_complex(
    attr: &AttributeDef,
    map: &Map<String, Value>,
    at: &str,
) -> Result<Option<Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in map {
        let Some(sub) = attr.sub_attribute(key) else {
            continue;
        };
        if sub.mutability == Mutability::ReadOnly {
            continue;
        }
        if let Some(v) = normalize_value(sub, value, &format!("{at}.{}", sub.name))? {
            out.insert(sub.name.to_owned(), v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// Checks the `schemas` member of a request: when present, a list of URN strings.
pub fn check_schemas_member(body: &Map<String, Value>) -> Result<(), ScimError> {
    let Some((_, schemas)) = body.iter().find(|(k, _)| k.eq_ignore_ascii_case("schemas")) else {
        return Ok(());
    };
    match schemas {
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(()),
        _ => Err(ScimError::invalid_syntax(
            "schemas must be an array of schema URNs, such as \
             [\"urn:ietf:params:scim:schemas:core:2.0:User\"]",
        )),
    }
}

/// Reads a User from a POST or PUT body into the stored form, and checks it: `userName`
/// present and not blank, at most one primary email.
pub fn normalize_user(body: &Value) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(obj) = body else {
        return Err(ScimError::invalid_syntax(
            "the body must be a JSON object: a SCIM User resource",
        ));
    };
    check_schemas_member(obj)?;
    let mut out = Map::new();
    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(schema) = SchemaId::from_urn(key) {
            if !schema.is_extension() || value.is_null() {
                continue;
            }
            let Value::Object(ext) = value else {
                return Err(ScimError::invalid_value(format!(
                    "{} must be an object holding the extension's attributes",
                    schema.urn()
                )));
            };
            let mut ext_out = Map::new();
            for (k, v) in ext {
                let Some(attr) = schema.attribute(k) else {
                    continue;
                };
                if attr.mutability == Mutability::ReadOnly {
                    continue;
                }
                let at = format!("{}:{}", schema.urn(), attr.name);
                if let Some(v) = normalize_value(attr, v, &at)? {
                    ext_out.insert(attr.name.to_owned(), v);
                }
            }
            if !ext_out.is_empty() {
                out.insert(schema.urn().to_owned(), Value::Object(ext_out));
            }
            continue;
        }
        let Some(attr) = SchemaId::User.attribute(key) else {
            continue;
        };
        if attr.mutability == Mutability::ReadOnly {
            continue;
        }
        if let Some(v) = normalize_value(attr, value, attr.name)? {
            out.insert(attr.name.to_owned(), v);
        }
    }
    validate_user(&out)?;
    Ok(out)
}

/// Checks the rules a stored User must satisfy after any write.
pub fn validate_user(resource: &Map<String, Value>) -> Result<(), ScimError> {
    match resource.get("userName") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        _ => {
            return Err(ScimError::invalid_value(
                "userName is required and must not be blank: send the person's sign-in name, \
                 typically their user principal name (name@domain)",
            ));
        }
    }
    for attr in SchemaId::User.def().attributes {
        if attr.is_multi_complex() && attr.sub_attribute("primary").is_some() {
            let primaries = resource
                .get(attr.name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter(|v| v["primary"] == Value::Bool(true))
                        .count()
                })
                .unwrap_or(0);
            if primaries > 1 {
                return Err(ScimError::invalid_value(format!(
                    "{}: at most one value may have primary true (RFC 7643 §2.4)",
                    attr.name
                )));
            }
        }
    }
    Ok(())
}

/// The stored `userName`.
pub fn user_name(resource: &Map<String, Value>) -> Option<&str> {
    resource.get("userName").and_then(Value::as_str)
}

/// The stored `externalId`.
pub fn external_id(resource: &Map<String, Value>) -> Option<&str> {
    resource.get("externalId").and_then(Value::as_str)
}

/// The `active` value the resource states, if it states one.
pub fn explicit_active(resource: &Map<String, Value>) -> Option<bool> {
    resource.get("active").and_then(Value::as_bool)
}

/// An attribute of an extension, from the stored form.
pub fn extension_value<'a>(
    resource: &'a Map<String, Value>,
    schema: SchemaId,
    name: &str,
) -> Option<&'a Value> {
    resource.get(schema.urn())?.get(name)
}

/// The resource's `meta.location`: `{base_url}/Users/{id}`.
pub fn location(base_url: &str, id: &str) -> String {
    format!("{}/Users/{id}", base_url.trim_end_matches('/'))
}

/// The weak entity tag of a version: `W/"<version>"` (RFC 7644 §3.14).
pub fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The `schemas` a representation lists: the core schema and each extension present.
pub fn schemas_of(resource: &Map<String, Value>) -> Value {
    let mut schemas = vec![Value::String(USER_SCHEMA.into())];
    for ext in SchemaId::EXTENSIONS {
        if resource.contains_key(ext.urn()) {
            schemas.push(Value::String(ext.urn().into()));
        }
    }
    Value::Array(schemas)
}

/// The full representation of a stored user, as GET returns it.
pub fn render(user: &ScimUser, base_url: &str) -> Value {
    let mut out = match &user.resource {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    out.insert("schemas".into(), schemas_of(&out));
    out.insert("id".into(), Value::String(user.id.clone()));
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": timestamp(user.created),
            "lastModified": timestamp(user.last_modified),
            "location": location(base_url, &user.id),
            "version": etag(user.version),
        }),
    );
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::{ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA, ScimType};

    #[test]
    fn normalises_names_booleans_and_drops_what_offboard_does_not_publish() {
        let body = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, "urn:acme:custom"],
            "id": "client-chosen",
            "meta": {"resourceType": "User"},
            "USERNAME": "ada@contoso.com",
            "Active": "False",
            "title": "Engineer",
            "password": "hunter2",
            "name": {"GivenName": "Ada", "middleName": "K", "familyName": null},
            "emails": [{"value": "ada@contoso.com", "type": "work", "Primary": "true", "display": "x"}],
            "externalId": "e-1",
            "displayName": null,
            ENTERPRISE_USER_SCHEMA: {"EmployeeNumber": 1042, "department": "R&D"},
            "urn:acme:custom": {"x": 1},
            OFFBOARD_USER_SCHEMA: {"terminationKind": "voluntary"},
        });
        let out = normalize_user(&body).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({
                "userName": "ada@contoso.com",
                "active": false,
                "name": {"givenName": "Ada"},
                "emails": [{"value": "ada@contoso.com", "type": "work", "primary": true}],
                "externalId": "e-1",
                ENTERPRISE_USER_SCHEMA: {"employeeNumber": "1042"},
                OFFBOARD_USER_SCHEMA: {"terminationKind": "voluntary"},
            })
        );
    }

    #[test]
    fn refuses_what_the_schema_forbids() {
        let cases = [
            (json!({"displayName": "x"}), ScimType::InvalidValue),
            (json!({"userName": "  "}), ScimType::InvalidValue),
            (json!({"userName": true}), ScimType::InvalidValue),
            (
                json!({"userName": "a", "active": "maybe"}),
                ScimType::InvalidValue,
            ),
            (
                json!({"userName": "a", "name": "Ada"}),
                ScimType::InvalidValue,
            ),
            (
                json!({"userName": "a", "displayName": ["a"]}),
                ScimType::InvalidValue,
            ),
            (
                json!({"userName": "a", "emails": [{"value": "a@b.c", "primary": true}, {"value": "d@e.f", "primary": true}]}),
                ScimType::InvalidValue,
            ),
            (
                json!({"userName": "a", OFFBOARD_USER_SCHEMA: {"terminationDateTime": "2026-11-30"}}),
                ScimType::InvalidValue,
            ),
            (
                json!({"userName": "a", OFFBOARD_USER_SCHEMA: {"terminationDateTime": "2026-11-30T17:00:00"}}),
                ScimType::InvalidValue,
            ),
            (
                json!({"userName": "a", ENTERPRISE_USER_SCHEMA: "x"}),
                ScimType::InvalidValue,
            ),
            (
                json!({"userName": "a", "schemas": "x"}),
                ScimType::InvalidSyntax,
            ),
            (json!(["userName"]), ScimType::InvalidSyntax),
        ];
        for (body, want) in cases {
            let err = normalize_user(&body).unwrap_err();
            assert_eq!(err.scim_type, Some(want), "{body}");
        }
    }

    #[test]
    fn accepts_date_times_with_offsets_and_single_values_for_arrays() {
        let out = normalize_user(&json!({
            "userName": "a",
            "emails": {"value": "a@b.c"},
            OFFBOARD_USER_SCHEMA: {"terminationDateTime": "2026-11-30T17:00:00.5-05:00"},
        }))
        .unwrap();
        assert_eq!(out["emails"], json!([{"value": "a@b.c"}]));
        assert_eq!(
            extension_value(&out, SchemaId::OffboardUser, "terminationDateTime"),
            Some(&json!("2026-11-30T17:00:00.5-05:00"))
        );
    }

    #[test]
    fn renders_id_schemas_and_meta() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let user = ScimUser {
            id: "u-1".into(),
            user_name: "ada@contoso.com".into(),
            external_id: None,
            active: true,
            deactivations: 0,
            resource: json!({"userName": "ada@contoso.com", ENTERPRISE_USER_SCHEMA: {"employeeNumber": "7"}}),
            created: at,
            last_modified: at,
            version: 3,
        };
        let doc = render(&user, "https://h/api/scim/v2/");
        assert_eq!(doc["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]));
        assert_eq!(doc["id"], "u-1");
        assert_eq!(
            doc["meta"],
            json!({
                "resourceType": "User",
                "created": "2026-11-26T10:00:00.000Z",
                "lastModified": "2026-11-26T10:00:00.000Z",
                "location": "https://h/api/scim/v2/Users/u-1",
                "version": "W/\"3\"",
            })
        );
        assert_eq!(etag(3), "W/\"3\"");
    }
}
