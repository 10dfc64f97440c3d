//! What every shape of PATCH operation shares: the operation's kind, the label an error
//! names a value by, setting (or clearing) a sub-attribute of one value, and keeping at
//! most one value `primary`.

use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::schema::AttributeDef;

/// The kind of a PATCH operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Add a value (or values) to the target.
    Add,
    /// Remove the target.
    Remove,
    /// Replace the target's value.
    Replace,
}

impl OpKind {
    pub(super) fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "add" => Some(Self::Add),
            "remove" => Some(Self::Remove),
            "replace" => Some(Self::Replace),
            _ => None,
        }
    }
}

pub(super) fn value_label(label: &str, name: &str) -> String {
    format!("{label} ({name})")
}

pub(super) fn set_member(item: &mut Value, sub: &AttributeDef, value: Option<Value>) {
    if !item.is_object() {
        *item = Value::Object(Map::new());
    }
    if let Value::Object(m) = item {
        match value {
            Some(v) => {
                m.insert(sub.name.to_owned(), v);
            }
            None => {
                m.remove(sub.name);
            }
        }
    }
}

/// After an operation wrote the values at `touched`: if one of them is primary, no other
/// value stays primary (RFC 7644 §3.5.2); two primaries written at once are refused.
pub(super) fn settle_primary(
    attr: &AttributeDef,
    items: &mut [Value],
    touched: &[usize],
    label: &str,
) -> Result<(), ScimError> {
    if attr.sub_attribute("primary").is_none() {
        return Ok(());
    }
    let is_primary = |v: &Value| v.get("primary") == Some(&Value::Bool(true));
    let written: Vec<usize> = touched
        .iter()
        .copied()
        .filter(|&i| items.get(i).is_some_and(is_primary))
        .collect();
    if written.len() > 1 {
        return Err(ScimError::invalid_value(format!(
            "{label}: at most one value of {} may have primary true (RFC 7643 §2.4)",
            attr.name
        )));
    }
    if let Some(&keep) = written.first() {
        for (i, item) in items.iter_mut().enumerate() {
            if i != keep
                && is_primary(item)
                && let Value::Object(m) = item
            {
                m.insert("primary".into(), Value::Bool(false));
            }
        }
    }
    Ok(())
}
