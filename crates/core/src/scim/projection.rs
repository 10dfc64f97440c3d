//! Partial representations: the `attributes` and `excludedAttributes` parameters
//! (RFC 7644 §3.4.2.5, §3.9), honoured on every response that carries a User.
//!
//! `attributes` replaces the default set with the attributes named (plus those returned
//! always: `id`, and `schemas`); `excludedAttributes` removes attributes from the default
//! set (never `id` or `schemas`). The two are mutually exclusive. Names may be
//! sub-attributes (`name.givenName`), URN-qualified, or a whole extension's URN. Names
//! offboard does not publish select nothing and are otherwise ignored.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::error::ScimError;
use super::path::{Resolved, resolve_text};
use super::resource::schemas_of;
use super::schema::Returned;

/// Where a selected attribute sits in the rendered resource, as a list of object keys.
type KeyPath = Vec<String>;

/// How to cut a representation down.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Projection {
    /// The default set (every attribute offboard stores).
    #[default]
    All,
    /// Only these attributes, plus `id` and `schemas`.
    Only(Vec<KeyPath>),
    /// The default set without these attributes.
    Except(Vec<KeyPath>),
}

fn key_path(text: &str) -> Option<(KeyPath, Returned)> {
    match resolve_text(text).ok()? {
        Resolved::Attribute(p) => {
            let mut keys = Vec::with_capacity(3);
            if p.schema.is_extension() {
                keys.push(p.schema.urn().to_owned());
            }
            keys.push(p.attr.name.to_owned());
            if let Some(sub) = p.sub {
                keys.push(sub.name.to_owned());
            }
            Some((keys, p.attr.returned))
        }
        Resolved::Extension(s) => Some((vec![s.urn().to_owned()], Returned::Default)),
        Resolved::Unknown => None,
    }
}

/// Splits a query parameter's comma-separated list.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Projection {
    /// Builds a projection from the two lists; naming both is a 400 `invalidValue`.
    pub fn new(attributes: &[String], excluded: &[String]) -> Result<Self, ScimError> {
        match (attributes.is_empty(), excluded.is_empty()) {
            (true, true) => Ok(Self::All),
            (false, false) => Err(ScimError::invalid_value(
                "attributes and excludedAttributes are mutually exclusive (RFC 7644 §3.9): \
                 send one of them",
            )),
            (false, true) => Ok(Self::Only(
                attributes
                    .iter()
                    .filter_map(|a| key_path(a))
                    .map(|(k, _)| k)
                    .collect(),
            )),
            (true, false) => Ok(Self::Except(
                excluded
                    .iter()
                    .filter_map(|a| key_path(a))
                    .filter(|(_, returned)| *returned != Returned::Always)
                    .map(|(k, _)| k)
                    .collect(),
            )),
        }
    }

    /// Cuts a rendered resource down, and lists in `schemas` only the extensions left.
    pub fn apply(&self, rendered: &Value) -> Value {
        let Value::Object(full) = rendered else {
            return rendered.clone();
        };
        let mut out = match self {
            Self::All => return rendered.clone(),
            Self::Only(paths) => {
                let mut tree = Selection::Fields(BTreeMap::new());
                tree.insert(&["id".to_owned()]);
                for p in paths {
                    tree.insert(p);
                }
                match tree.select(rendered) {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                }
            }
            Self::Except(paths) => {
                let mut m = full.clone();
                for p in paths {
                    remove_path(&mut m, p);
                }
                m
            }
        };
        out.remove("schemas");
        let schemas = schemas_of(&out);
        out.insert("schemas".into(), schemas);
        Value::Object(out)
    }
}

/// A tree of selected keys.
#[derive(Debug)]
enum Selection {
    All,
    Fields(BTreeMap<String, Selection>),
}

impl Selection {
    fn insert(&mut self, path: &[String]) {
        let Self::Fields(fields) = self else {
            return;
        };
        let Some((first, rest)) = path.split_first() else {
            *self = Self::All;
            return;
        };
        let child = fields
            .entry(first.clone())
            .or_insert_with(|| Self::Fields(BTreeMap::new()));
        if rest.is_empty() {
            *child = Self::All;
        } else {
            child.insert(rest);
        }
    }

    fn select(&self, value: &Value) -> Option<Value> {
        match (self, value) {
            (Self::All, v) => Some(v.clone()),
            (Self::Fields(fields), Value::Object(m)) => {
                let mut out = Map::new();
                for (k, sel) in fields {
                    if let Some(v) = m.get(k).and_then(|v| sel.select(v)) {
                        out.insert(k.clone(), v);
                    }
                }
                (!out.is_empty()).then_some(Value::Object(out))
            }
            // A sub-attribute of a multi-valued attribute selects it in every value.
            (Self::Fields(_), Value::Array(items)) => {
                let out: Vec<Value> = items.iter().filter_map(|i| self.select(i)).collect();
                (!out.is_empty()).then_some(Value::Array(out))
            }
            _ => None,
        }
    }
}

fn remove_path(m: &mut Map<String, Value>, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        m.remove(first);
        return;
    }
    let now_empty = match m.get_mut(first) {
        Some(Value::Object(child)) => {
            remove_path(child, rest);
            child.is_empty()
        }
        Some(Value::Array(items)) => {
            for item in items.iter_mut() {
                if let Value::Object(child) = item {
                    remove_path(child, rest);
                }
            }
            items.retain(|i| i.as_object().is_none_or(|o| !o.is_empty()));
            items.is_empty()
        }
        _ => false,
    };
    if now_empty {
        m.remove(first);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::{ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA, USER_SCHEMA};
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA],
            "id": "u-1",
            "externalId": "e-1",
            "userName": "ada@contoso.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@contoso.com", "type": "work"}],
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": "7"},
            OFFBOARD_USER_SCHEMA: {"terminationKind": "voluntary"},
            "meta": {"resourceType": "User", "version": "W/\"1\""},
        })
    }

    fn only(attrs: &[&str]) -> Value {
        let attrs: Vec<String> = attrs.iter().map(|s| s.to_string()).collect();
        Projection::new(&attrs, &[]).unwrap().apply(&user())
    }

    fn except(attrs: &[&str]) -> Value {
        let attrs: Vec<String> = attrs.iter().map(|s| s.to_string()).collect();
        Projection::new(&[], &attrs).unwrap().apply(&user())
    }

    #[test]
    fn attributes_keeps_what_is_named_plus_id_and_schemas() {
        assert_eq!(
            only(&["externalId"]),
            json!({"schemas": [USER_SCHEMA], "id": "u-1", "externalId": "e-1"})
        );
        assert_eq!(
            only(&["NAME.givenName", "emails.value", "title"]),
            json!({"schemas": [USER_SCHEMA], "id": "u-1",
                   "name": {"givenName": "Ada"}, "emails": [{"value": "ada@contoso.com"}]})
        );
        assert_eq!(
            only(&[
                &format!("{ENTERPRISE_USER_SCHEMA}:employeeNumber"),
                "meta.version"
            ]),
            json!({"schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], "id": "u-1",
                   ENTERPRISE_USER_SCHEMA: {"employeeNumber": "7"},
                   "meta": {"version": "W/\"1\""}})
        );
        assert_eq!(
            only(&[OFFBOARD_USER_SCHEMA, "name", "name.givenName"])["name"],
            json!({"givenName": "Ada", "familyName": "Lovelace"})
        );
    }

    #[test]
    fn excluded_attributes_removes_all_but_id() {
        let out = except(&[
            "name",
            "id",
            "schemas",
            ENTERPRISE_USER_SCHEMA,
            "emails.type",
        ]);
        assert!(out.get("name").is_none());
        assert_eq!(out["id"], "u-1");
        assert_eq!(out["schemas"], json!([USER_SCHEMA, OFFBOARD_USER_SCHEMA]));
        assert_eq!(out["emails"], json!([{"value": "ada@contoso.com"}]));
        let out = except(&[&format!("{OFFBOARD_USER_SCHEMA}:terminationKind")]);
        assert!(
            out.get(OFFBOARD_USER_SCHEMA).is_none(),
            "an emptied extension goes"
        );
        assert_eq!(except(&["nothing"]), user());
    }

    #[test]
    fn the_two_parameters_exclude_each_other() {
        let err = Projection::new(&["a".into()], &["b".into()]).unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(split_list(" a, b ,,c"), ["a", "b", "c"]);
        assert_eq!(Projection::new(&[], &[]).unwrap(), Projection::All);
    }
}
