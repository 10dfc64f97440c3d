//! PATCH (RFC 7644 §3.5.2): a list of `add`, `remove` and `replace` operations applied to
//! a copy of the resource, all or nothing — if one fails, the stored resource is untouched.
//!
//! What identity providers really send is accepted:
//!
//! - `op` in any case (Entra ID sends `"Replace"`), booleans as `"True"`/`"False"` strings;
//! - a deactivation in any of its three shapes: `{"op":"replace","path":"active","value":false}`,
//!   the path-less `{"op":"replace","value":{"active":false}}`, and the same with `"add"`;
//! - path-less values whose keys are themselves paths (`"name.givenName"`, extension URNs,
//!   URN-qualified attributes);
//! - value filters such as `emails[type eq "work"].value`. When no value matches and the
//!   filter is made of `eq` comparisons, `add` creates the value the filter describes —
//!   and so does `replace`, because Entra ID sends either for the same change. RFC 7644
//!   §3.5.2.3 asks for `noTarget` in that `replace` case; offboard deviates on purpose, since
//!   failing the whole request would also drop a deactivation sent with it. A filter that
//!   cannot describe a value still fails with `noTarget`.
//!
//! Operations on attributes offboard does not publish are ignored, like such attributes in
//! a POST or PUT. Read-only attributes (`id`, `meta`) are refused with `mutability`.
//! Setting `primary` on one value clears it on the others (RFC 7644 §3.5.2).
//!
//! This file parses the request and applies whole attributes, sub-attributes and
//! extensions; value-filtered paths are in `filtered`, and what every shape of operation
//! shares (the operation's kind, setting a sub-attribute, settling `primary`) in `common`.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::path::PatchTarget;
use super::resource::{normalize_value, validate_user};
use super::schema::{AttrType, AttributeDef, Mutability, SchemaId};
use super::urn::PATCH_OP_SCHEMA;

mod common;
mod filtered;
#[cfg(test)]
mod tests;

pub use common::OpKind;
use common::{set_member, settle_primary, value_label};
use filtered::filtered;

/// One parsed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// What to do.
    pub kind: OpKind,
    /// The target; `None` for a path-less `add` or `replace`.
    pub target: Option<PatchTarget>,
    /// The value, for `add` and `replace` (and optionally `remove` on a multi-valued
    /// attribute: the values to remove).
    pub value: Option<Value>,
}

/// A parsed PatchOp message.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    /// The operations, in order.
    pub operations: Vec<Operation>,
}

fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

impl PatchRequest {
    /// Parses a PatchOp body. Every path is parsed here, so a malformed one fails the
    /// request before anything is applied.
    pub fn parse(body: &[u8]) -> Result<Self, ScimError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))?;
        Self::from_value(&value)
    }

    /// Reads a PatchOp message from JSON.
    pub fn from_value(body: &Value) -> Result<Self, ScimError> {
        let Value::Object(obj) = body else {
            return Err(ScimError::invalid_syntax(
                "the body must be a PatchOp message: {\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"], \"Operations\": [...]}",
            ));
        };
        if let Some(schemas) = member(obj, "schemas") {
            let ok = schemas.as_array().is_some_and(|a| {
                a.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
                })
            });
            if !ok {
                return Err(ScimError::invalid_syntax(format!(
                    "schemas must be [\"{PATCH_OP_SCHEMA}\"]"
                )));
            }
        }
        let ops = match member(obj, "Operations") {
            Some(Value::Array(ops)) if !ops.is_empty() => ops,
            _ => {
                return Err(ScimError::invalid_syntax(
                    "Operations must be a non-empty array of {\"op\", \"path\", \"value\"} objects",
                ));
            }
        };
        let mut operations = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let Value::Object(op) = op else {
                return Err(ScimError::invalid_syntax(format!(
                    "Operations[{i}] must be an object with op, path and value"
                )));
            };
            let kind = member(op, "op")
                .and_then(Value::as_str)
                .and_then(OpKind::parse)
                .ok_or_else(|| {
                    ScimError::invalid_syntax(format!(
                        "Operations[{i}].op must be \"add\", \"remove\" or \"replace\""
                    ))
                })?;
            let target = match member(op, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(PatchTarget::parse(p).map_err(|mut e| {
                    e.detail = format!("Operations[{i}].path: {}", e.detail);
                    e
                })?),
                Some(_) => {
                    return Err(ScimError::invalid_path(format!(
                        "Operations[{i}].path must be a string"
                    )));
                }
            };
            let value = member(op, "value").cloned();
            match kind {
                OpKind::Remove if target.is_none() => {
                    return Err(ScimError::no_target(format!(
                        "Operations[{i}]: remove needs a path naming what to remove"
                    )));
                }
                OpKind::Add | OpKind::Replace if value.is_none() => {
                    return Err(ScimError::invalid_syntax(format!(
                        "Operations[{i}]: {} needs a value",
                        if kind == OpKind::Add {
                            "add"
                        } else {
                            "replace"
                        }
                    )));
                }
                _ => {}
            }
            operations.push(Operation {
                kind,
                target,
                value,
            });
        }
        Ok(Self { operations })
    }

    /// Applies every operation to a copy of `resource` (in stored form) and returns the
    /// result, or the first error — in which case nothing is changed.
    pub fn apply(&self, resource: &Map<String, Value>) -> Result<Map<String, Value>, ScimError> {
        let mut out = resource.clone();
        for (i, op) in self.operations.iter().enumerate() {
            apply_op(
                &mut out,
                op.kind,
                op.target.as_ref(),
                op.value.as_ref(),
                &format!("Operations[{i}]"),
            )?;
        }
        prune(&mut out);
        if !out.contains_key("userName") {
            return Err(ScimError::invalid_value(
                "userName is required: it can be replaced but not removed",
            ));
        }
        validate_user(&out)?;
        Ok(out)
    }
}

fn apply_op(
    res: &mut Map<String, Value>,
    kind: OpKind,
    target: Option<&PatchTarget>,
    value: Option<&Value>,
    label: &str,
) -> Result<(), ScimError> {
    match target {
        None => {
            let Some(Value::Object(values)) = value else {
                return Err(ScimError::invalid_value(format!(
                    "{label}: without a path, value must be an object of attributes, such as \
                     {{\"active\": false}}"
                )));
            };
            for (key, v) in values {
                let t = PatchTarget::parse(key).map_err(|mut e| {
                    e.detail = format!("{label}: value key {}", e.detail);
                    e
                })?;
                apply_op(res, kind, Some(&t), Some(v), label)?;
            }
            Ok(())
        }
        Some(PatchTarget::Unknown) => Ok(()),
        Some(PatchTarget::Extension(schema)) => extension_op(res, kind, *schema, value, label),
        Some(PatchTarget::Attribute {
            schema,
            attr,
            filter,
            sub,
        }) => {
            if attr.mutability == Mutability::ReadOnly {
                return Err(ScimError::mutability(format!(
                    "{label}: {} is read-only; offboard assigns it",
                    attr.name
                )));
            }
            with_container(res, *schema, |container| match (filter, sub) {
                (None, None) => whole_attribute(container, kind, attr, value, label),
                (None, Some(sub)) => sub_attribute(container, kind, attr, sub, value, label),
                (Some(filter), sub) => filtered(container, kind, attr, filter, *sub, value, label),
            })
        }
    }
}

/// Runs `f` on the object an attribute of `schema` lives in: the resource itself for the
/// core schema, the extension's object otherwise (created when absent; pruned later if left
/// empty).
fn with_container<T>(
    res: &mut Map<String, Value>,
    schema: SchemaId,
    f: impl FnOnce(&mut Map<String, Value>) -> T,
) -> T {
    if !schema.is_extension() {
        return f(res);
    }
    let mut ext = match res.remove(schema.urn()) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let out = f(&mut ext);
    res.insert(schema.urn().to_owned(), Value::Object(ext));
    out
}

fn extension_op(
    res: &mut Map<String, Value>,
    kind: OpKind,
    schema: SchemaId,
    value: Option<&Value>,
    label: &str,
) -> Result<(), ScimError> {
    match (kind, value) {
        (OpKind::Remove, _) | (_, None | Some(Value::Null)) => {
            res.remove(schema.urn());
            Ok(())
        }
        (_, Some(Value::Object(values))) => {
            // Like a complex attribute, an extension is merged: attributes not named are
            // left as they are (RFC 7644 §3.5.2.1, §3.5.2.3).
            for (key, v) in values {
                let Some(attr) = schema.attribute(key) else {
                    continue;
                };
                with_container(res, schema, |container| {
                    whole_attribute(container, kind, attr, Some(v), label)
                })?;
            }
            Ok(())
        }
        (_, Some(_)) => Err(ScimError::invalid_value(format!(
            "{label}: the value for {} must be an object of its attributes",
            schema.urn()
        ))),
    }
}

fn whole_attribute(
    container: &mut Map<String, Value>,
    kind: OpKind,
    attr: &'static AttributeDef,
    value: Option<&Value>,
    label: &str,
) -> Result<(), ScimError> {
    let at = value_label(label, attr.name);
    if kind == OpKind::Remove {
        match value.filter(|v| !v.is_null() && attr.multi_valued) {
            // `remove` with a value on a multi-valued attribute removes those values.
            Some(v) => {
                let Some(Value::Array(doomed)) = normalize_value(attr, v, &at)? else {
                    return Ok(());
                };
                if let Some(Value::Array(items)) = container.get_mut(attr.name) {
                    items.retain(|item| !doomed.iter().any(|d| same_value(attr, item, d)));
                }
            }
            None => {
                container.remove(attr.name);
            }
        }
        return Ok(());
    }
    let Some(new) = normalize_value(attr, value.unwrap_or(&Value::Null), &at)? else {
        // null or empty: the attribute becomes unassigned (RFC 7643 §2.5).
        container.remove(attr.name);
        return Ok(());
    };
    if attr.multi_valued {
        let Value::Array(new_items) = new else {
            return Ok(());
        };
        let mut items = match (kind, container.remove(attr.name)) {
            (OpKind::Add, Some(Value::Array(old))) => old,
            _ => Vec::new(),
        };
        let mut touched = Vec::with_capacity(new_items.len());
        for item in new_items {
            // A value that is already there (same `value`) is updated in place rather than
            // added twice; re-adding it unchanged changes nothing (RFC 7644 §3.5.2.1).
            match items.iter().position(|old| same_value(attr, old, &item)) {
                Some(i) => {
                    match (&mut items[i], item) {
                        (Value::Object(old), Value::Object(new)) => old.extend(new),
                        (old, new) => *old = new,
                    }
                    touched.push(i);
                }
                None => {
                    items.push(item);
                    touched.push(items.len() - 1);
                }
            }
        }
        settle_primary(attr, &mut items, &touched, label)?;
        container.insert(attr.name.to_owned(), Value::Array(items));
    } else if attr.kind == AttrType::Complex {
        // Sub-attributes not named are left unchanged, for add and replace alike
        // (RFC 7644 §3.5.2.1, §3.5.2.3).
        let Value::Object(new) = new else {
            return Ok(());
        };
        let entry = container
            .entry(attr.name.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(old) = entry {
            old.extend(new);
        } else {
            *entry = Value::Object(new);
        }
    } else {
        container.insert(attr.name.to_owned(), new);
    }
    Ok(())
}

/// `name.givenName` (a sub-attribute of a single complex attribute) or `emails.value`
/// (the sub-attribute of every value of a multi-valued one).
fn sub_attribute(
    container: &mut Map<String, Value>,
    kind: OpKind,
    attr: &'static AttributeDef,
    sub: &'static AttributeDef,
    value: Option<&Value>,
    label: &str,
) -> Result<(), ScimError> {
    let new = match kind {
        OpKind::Remove => None,
        _ => normalize_value(
            sub,
            value.unwrap_or(&Value::Null),
            &value_label(label, &format!("{}.{}", attr.name, sub.name)),
        )?,
    };
    if attr.multi_valued {
        let mut items = match container.remove(attr.name) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        if items.is_empty() {
            if let Some(v) = new.filter(|_| kind != OpKind::Remove) {
                let mut item = Map::new();
                item.insert(sub.name.to_owned(), v);
                items.push(Value::Object(item));
            }
        } else {
            for item in items.iter_mut() {
                set_member(item, sub, new.clone());
            }
        }
        let touched: Vec<usize> = (0..items.len()).collect();
        settle_primary(attr, &mut items, &touched, label)?;
        container.insert(attr.name.to_owned(), Value::Array(items));
    } else {
        let entry = container
            .entry(attr.name.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        set_member(entry, sub, new);
    }
    Ok(())
}

/// Whether two values of a multi-valued attribute are the same value: compared on their
/// `value` sub-attribute when they have one (case rules applied), else as a whole.
fn same_value(attr: &AttributeDef, a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value"), attr.sub_attribute("value")) {
        (Some(Value::String(x)), Some(Value::String(y)), Some(def)) => {
            if def.case_exact {
                x == y
            } else {
                x.to_lowercase() == y.to_lowercase()
            }
        }
        _ => a == b,
    }
}

/// Drops what RFC 7643 §2.5 calls unassigned: empty objects (a `name` or an extension with
/// nothing left), empty values in arrays, empty arrays, and nulls.
fn prune(res: &mut Map<String, Value>) {
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Object(m) => m.is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => false,
        }
    }
    fn prune_value(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for child in m.values_mut() {
                    prune_value(child);
                }
                m.retain(|_, child| !empty(child));
            }
            Value::Array(a) => {
                for child in a.iter_mut() {
                    prune_value(child);
                }
                a.retain(|child| !empty(child));
            }
            _ => {}
        }
    }
    for v in res.values_mut() {
        prune_value(v);
    }
    res.retain(|_, v| !empty(v));
}
