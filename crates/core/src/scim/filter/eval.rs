//! Evaluating a value filter against one value of a multi-valued attribute, under the
//! attribute's type and case rules, and the value an `eq` filter describes.

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::scim::attr::AttrName;
use crate::scim::error::ScimError;
use crate::scim::schema::{AttrType, AttributeDef};

use super::ast::{CompareOp, Filter};

impl Filter {
    /// Whether one value of the multi-valued complex attribute `parent` (one `emails`
    /// entry) matches this value filter. Attribute names are the parent's sub-attributes;
    /// a name the parent does not have never matches.
    pub fn matches(&self, element: &Value, parent: &AttributeDef) -> Result<bool, ScimError> {
        match self {
            Self::And(a, b) => Ok(a.matches(element, parent)? && b.matches(element, parent)?),
            Self::Or(a, b) => Ok(a.matches(element, parent)? || b.matches(element, parent)?),
            Self::Not(a) => Ok(!a.matches(element, parent)?),
            Self::Present(path) => Ok(match sub_of(parent, path) {
                Some(def) => is_present(element.get(def.name)),
                None => false,
            }),
            Self::Compare { path, op, value } => match sub_of(parent, path) {
                Some(def) => compare(def, element.get(def.name), *op, value),
                None => Ok(false),
            },
            Self::ValuePath { .. } => {
                Err(ScimError::invalid_filter("value filters cannot be nested"))
            }
        }
    }

    /// The value a filter made only of `eq` comparisons joined by `and` describes, such as
    /// `{"type": "work"}` for `type eq "work"`: what an `add` to `emails[type eq "work"].value`
    /// creates when no address of that type exists yet. `None` for any other filter.
    pub fn seed(&self, parent: &AttributeDef) -> Option<Map<String, Value>> {
        match self {
            Self::And(a, b) => {
                let mut left = a.seed(parent)?;
                for (k, v) in b.seed(parent)? {
                    if left.get(&k).is_some_and(|old| old != &v) {
                        return None;
                    }
                    left.insert(k, v);
                }
                Some(left)
            }
            Self::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if !value.is_null() => {
                let def = sub_of(parent, path)?;
                let mut m = Map::new();
                m.insert(def.name.to_owned(), value.clone());
                Some(m)
            }
            _ => None,
        }
    }
}

fn sub_of(parent: &AttributeDef, path: &AttrName) -> Option<&'static AttributeDef> {
    if path.urn.is_some() || path.sub.is_some() {
        return None;
    }
    parent.sub_attribute(&path.name)
}

fn is_present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

fn parse_instant(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s.trim()).ok()
}

fn ordered(op: CompareOp, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CompareOp::Eq => ord == Equal,
        CompareOp::Ne => ord != Equal,
        CompareOp::Gt => ord == Greater,
        CompareOp::Lt => ord == Less,
        CompareOp::Ge => ord != Less,
        CompareOp::Le => ord != Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Compares an attribute's value with a filter literal under the attribute's type and
/// case rules (RFC 7644 §3.4.2.2).
pub(super) fn compare(
    def: &AttributeDef,
    actual: Option<&Value>,
    op: CompareOp,
    expected: &Value,
) -> Result<bool, ScimError> {
    let actual = actual.filter(|v| !v.is_null());
    if expected.is_null() {
        return match op {
            CompareOp::Eq => Ok(actual.is_none()),
            CompareOp::Ne => Ok(actual.is_some()),
            _ => Err(ScimError::invalid_filter(
                "null can only be compared with eq or ne",
            )),
        };
    }
    match def.kind {
        AttrType::String => {
            let Value::String(expected) = expected else {
                return Err(ScimError::invalid_filter(format!(
                    "`{}` is a string: compare it with a quoted string",
                    def.name
                )));
            };
            let Some(Value::String(actual)) = actual else {
                return Ok(op == CompareOp::Ne);
            };
            let (a, e) = if def.case_exact {
                (actual.clone(), expected.clone())
            } else {
                (actual.to_lowercase(), expected.to_lowercase())
            };
            Ok(match op {
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                _ => ordered(op, a.cmp(&e)),
            })
        }
        AttrType::Boolean => {
            let expected = match expected {
                Value::Bool(b) => *b,
                // Entra ID writes booleans as "True"/"False" in places; read them the same.
                Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => {
                    return Err(ScimError::invalid_filter(format!(
                        "`{}` is a boolean: compare it with true or false",
                        def.name
                    )));
                }
            };
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(ScimError::invalid_filter(format!(
                    "`{}` is a boolean: only eq and ne apply",
                    def.name
                )));
            }
            let actual = actual.and_then(Value::as_bool);
            Ok((actual == Some(expected)) == (op == CompareOp::Eq))
        }
        AttrType::DateTime => {
            let expected = expected.as_str().and_then(parse_instant).ok_or_else(|| {
                ScimError::invalid_filter(format!(
                    "`{}` is a dateTime: compare it with a quoted date-time with offset, such \
                     as \"2026-11-30T17:00:00Z\"",
                    def.name
                ))
            })?;
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(ScimError::invalid_filter(format!(
                    "`{}` is a dateTime: use eq, ne, gt, lt, ge or le",
                    def.name
                )));
            }
            let Some(actual) = actual.and_then(Value::as_str).and_then(parse_instant) else {
                return Ok(op == CompareOp::Ne);
            };
            Ok(ordered(op, actual.cmp(&expected)))
        }
        AttrType::Complex => Err(ScimError::invalid_filter(format!(
            "`{}` is complex: compare one of its sub-attributes",
            def.name
        ))),
    }
}
