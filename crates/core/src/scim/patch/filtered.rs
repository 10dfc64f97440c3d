//! Value-filtered PATCH paths: `emails[type eq "work"]` and `emails[type eq "work"].value`,
//! and the value a filter of `eq` comparisons describes when none matches.

use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::filter::Filter;
use crate::scim::resource::{normalize_single, normalize_value};
use crate::scim::schema::AttributeDef;

use super::common::{OpKind, set_member, settle_primary, value_label};

/// `emails[type eq "work"]` and `emails[type eq "work"].value`.
pub(super) fn filtered(
    container: &mut Map<String, Value>,
    kind: OpKind,
    attr: &'static AttributeDef,
    filter: &Filter,
    sub: Option<&'static AttributeDef>,
    value: Option<&Value>,
    label: &str,
) -> Result<(), ScimError> {
    let mut items = match container.remove(attr.name) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let mut matches = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if filter.matches(item, attr)? {
            matches.push(i);
        }
    }
    let mut touched = Vec::new();
    match (kind, sub) {
        (OpKind::Remove, Some(sub)) => {
            for &i in &matches {
                set_member(&mut items[i], sub, None);
            }
        }
        (OpKind::Remove, None) => {
            for &i in matches.iter().rev() {
                items.remove(i);
            }
        }
        (_, Some(sub)) => {
            let at = value_label(label, &format!("{}.{}", attr.name, sub.name));
            let new = normalize_value(sub, value.unwrap_or(&Value::Null), &at)?;
            if matches.is_empty() {
                if let Some(v) = new {
                    let mut seed = seed_for(filter, attr, label)?;
                    seed.insert(sub.name.to_owned(), v);
                    if let Some(item) = normalize_single(
                        attr,
                        &Value::Object(seed),
                        &value_label(label, attr.name),
                    )? {
                        items.push(item);
                        touched.push(items.len() - 1);
                    }
                }
            } else {
                for &i in &matches {
                    set_member(&mut items[i], sub, new.clone());
                }
                touched = matches;
            }
        }
        (_, None) => {
            let at = value_label(label, attr.name);
            let new = match value {
                Some(v @ Value::Object(_)) => normalize_single(attr, v, &at)?,
                Some(Value::Null) | None => None,
                Some(_) => {
                    return Err(ScimError::invalid_value(format!(
                        "{at}: the value for a filtered {} must be an object",
                        attr.name
                    )));
                }
            };
            let new = match new {
                Some(Value::Object(m)) => m,
                _ => Map::new(),
            };
            if matches.is_empty() {
                let mut seed = seed_for(filter, attr, label)?;
                seed.extend(new);
                if let Some(item) = normalize_single(attr, &Value::Object(seed), &at)? {
                    items.push(item);
                    touched.push(items.len() - 1);
                }
            } else {
                for &i in &matches {
                    match (kind, &mut items[i]) {
                        (OpKind::Add, Value::Object(old)) => old.extend(new.clone()),
                        (_, item) => *item = Value::Object(new.clone()),
                    }
                }
                touched = matches;
            }
        }
    }
    settle_primary(attr, &mut items, &touched, label)?;
    container.insert(attr.name.to_owned(), Value::Array(items));
    Ok(())
}

fn seed_for(
    filter: &Filter,
    attr: &AttributeDef,
    label: &str,
) -> Result<Map<String, Value>, ScimError> {
    filter.seed(attr).ok_or_else(|| {
        ScimError::no_target(format!(
            "{label}: no value of {} matches the filter, and the filter does not describe a \
             new one (use eq comparisons joined by and, as in {}[type eq \"work\"])",
            attr.name, attr.name
        ))
    })
}
