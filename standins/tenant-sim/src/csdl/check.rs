//! One Graph request and its answer checked against the model: the path resolves (entity
//! sets, singletons, keys, navigation and structural properties, casts, bound actions and
//! functions), `$select` / `$expand` name what the type declares, request bodies name declared
//! properties or parameters, and every property of every answered object is declared on its
//! type or on the derived type its `@odata.type` names.

use serde_json::{Map, Value};

use super::model::{Model, Operation};

/// What a path resolved to.
struct Resolved<'m> {
    /// The structured type addressed (`None` for a primitive or enum value).
    ty: Option<String>,
    /// Whether it is a collection of `ty`.
    collection: bool,
    /// The bound operation the path ends in.
    operation: Option<&'m Operation>,
    /// The path ends in `$ref` (references, not objects).
    reference: bool,
}

fn is_structured(model: &Model, name: &str) -> bool {
    model.types.contains_key(name)
}

/// Resolves the decoded path segments against the model.
fn resolve<'m>(model: &'m Model, segs: &[String]) -> Result<Resolved<'m>, String> {
    let first = segs.first().ok_or("an empty path")?;
    let (ty, collection) = if let Some(t) = model.entity_sets.get(first) {
        (t.clone(), true)
    } else if let Some(t) = model.singletons.get(first) {
        (t.clone(), false)
    } else {
        return Err(format!("no entity set or singleton '{first}'"));
    };
    let mut r = Resolved {
        ty: Some(ty),
        collection,
        operation: None,
        reference: false,
    };
    for seg in &segs[1..] {
        match seg.as_str() {
            "$ref" => {
                r.reference = true;
                continue;
            }
            "$count" | "$value" => {
                r.ty = None;
                continue;
            }
            _ => {}
        }
        let Some(ty) = r.ty.clone() else {
            return Err(format!("'{seg}' follows a value that has no segments"));
        };
        if r.operation.is_some() {
            // A segment after an operation's result: resolve on what it returned.
            r.operation = None;
        }
        if seg.contains('.') && is_structured(model, seg) {
            if !model.derives_from(seg, &ty) {
                return Err(format!("cast to {seg}, which does not derive from {ty}"));
            }
            r.ty = Some(seg.clone());
            continue;
        }
        if r.collection {
            if let Some(op) = model.operation(seg, &ty, true) {
                apply(model, &mut r, op);
            } else {
                r.collection = false;
            }
            continue;
        }
        if let Some(n) = model.navigation(&ty, seg) {
            r.ty = Some(n.name.clone());
            r.collection = n.collection;
        } else if let Some(p) = model.property(&ty, seg) {
            r.collection = p.collection;
            r.ty = is_structured(model, &p.name).then(|| p.name.clone());
        } else if let Some(op) = model.operation(seg, &ty, false) {
            apply(model, &mut r, op);
        } else {
            return Err(format!(
                "{ty} has no property, navigation property or bound operation '{seg}'"
            ));
        }
    }
    Ok(r)
}

fn apply<'m>(model: &'m Model, r: &mut Resolved<'m>, op: &'m Operation) {
    r.operation = Some(op);
    match &op.returns {
        Some(t) if is_structured(model, &t.name) => {
            r.ty = Some(t.name.clone());
            r.collection = t.collection;
        }
        _ => {
            r.ty = None;
            r.collection = false;
        }
    }
}

/// Checks one request and its answer; returns what does not resolve, one line each.
pub fn check(
    model: &Model,
    method: &str,
    segs: &[String],
    query: &str,
    request: Option<&Value>,
    status: u16,
    answer: Option<&Value>,
) -> Vec<String> {
    let mut out = Vec::new();
    let r = match resolve(model, segs) {
        Ok(r) => r,
        Err(e) => {
            out.push(format!("request path: {e}"));
            return out;
        }
    };
    if let Some(op) = r.operation {
        let wanted = if op.is_action { "POST" } else { "GET" };
        if method != wanted {
            out.push(format!(
                "request: {} is {}, called with {method}",
                op.name,
                if op.is_action {
                    "an action"
                } else {
                    "a function"
                }
            ));
        }
    }
    if let Some(ty) = &r.ty {
        check_query(model, ty, query, &mut out);
    }
    if let Some(Value::Object(body)) = request {
        match (method, r.operation, &r.ty) {
            (_, _, _) if r.reference => {}
            ("POST", Some(op), _) => check_parameters(model, op, body, &mut out),
            ("PATCH" | "PUT", None, Some(ty)) | ("POST", None, Some(ty)) => {
                check_object(model, ty, body, "request body", &mut out);
            }
            _ => {}
        }
    }
    if status >= 400 || r.reference {
        return out;
    }
    let Some(Value::Object(answer)) = answer else {
        return out;
    };
    match &r.ty {
        // OData: a POST to a collection (not an action) creates one entity and answers it.
        Some(ty) if r.collection && (method != "POST" || r.operation.is_some()) => {
            for (k, v) in answer {
                if k == "value" {
                    for item in v.as_array().into_iter().flatten() {
                        if let Value::Object(o) = item {
                            check_object(model, ty, o, "answer", &mut out);
                        }
                    }
                } else if !k.starts_with('@') {
                    out.push(format!("answer: a collection carries '{k}'"));
                }
            }
        }
        Some(ty) => check_object(model, ty, answer, "answer", &mut out),
        None => {
            for k in answer.keys() {
                if k != "value" && !k.starts_with('@') {
                    out.push(format!("answer: a value carries '{k}'"));
                }
            }
        }
    }
    out
}

/// `$select` and `$expand` name properties of `ty` or of a type derived from it.
fn check_query(model: &Model, ty: &str, query: &str, out: &mut Vec<String>) {
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let expand = match k.as_ref() {
            "$select" => false,
            "$expand" => true,
            _ => continue,
        };
        for item in top_level(&v) {
            let name = item.split('(').next().unwrap_or_default().trim();
            let name = name.rsplit('/').next().unwrap_or(name);
            if name.is_empty() || name == "*" {
                continue;
            }
            let found = model.derived(ty).any(|d| {
                model.navigation(d, name).is_some()
                    || (!expand && model.property(d, name).is_some())
            });
            if !found {
                out.push(format!(
                    "request: {} '{name}' is not {} of {ty}",
                    if expand { "$expand" } else { "$select" },
                    if expand {
                        "a navigation property"
                    } else {
                        "a property"
                    }
                ));
            }
        }
    }
}

/// Splits at commas outside parentheses (`a,b($select=c,d)`).
fn top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn check_parameters(
    model: &Model,
    op: &Operation,
    body: &Map<String, Value>,
    out: &mut Vec<String>,
) {
    // Action parameter names are matched without case: the metadata declares a few in
    // PascalCase (`sendMail`'s `Message`, `SaveToSentItems`) that Graph accepts, and its
    // documentation sends, in camelCase. Property names stay case-sensitive.
    for (k, v) in body {
        match op
            .parameters
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
        {
            Some((_, t)) if is_structured(model, &t.name) => {
                check_value(model, &t.name, v, &format!("request {k}"), out);
            }
            Some(_) => {}
            None => out.push(format!("request body: {} has no parameter '{k}'", op.name)),
        }
    }
}

fn check_value(model: &Model, ty: &str, v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => check_object(model, ty, o, at, out),
        Value::Array(items) => {
            for item in items {
                check_value(model, ty, item, at, out);
            }
        }
        _ => {}
    }
}

/// Every property of `obj` is declared on `ty`, or on the type its `@odata.type` names
/// (which must derive from `ty`); nested complex values and expanded navigation properties
/// are checked the same way.
fn check_object(
    model: &Model,
    ty: &str,
    obj: &Map<String, Value>,
    at: &str,
    out: &mut Vec<String>,
) {
    let mut actual = ty.to_owned();
    if let Some(named) = obj.get("@odata.type").and_then(Value::as_str) {
        let named = named.trim_start_matches('#');
        if !is_structured(model, named) {
            out.push(format!(
                "{at}: @odata.type {named} is not a Graph v1.0 type"
            ));
            return;
        }
        if !model.derives_from(named, ty) {
            out.push(format!(
                "{at}: @odata.type {named} does not derive from {ty}"
            ));
            return;
        }
        named.clone_into(&mut actual);
    }
    for (key, v) in obj {
        if key.starts_with('@') {
            continue;
        }
        // `members@odata.bind`, `value@odata.nextLink`: an annotation of a property.
        let name = key.split('@').next().unwrap_or(key);
        if let Some(p) = model.property(&actual, name) {
            if is_structured(model, &p.name) {
                check_value(model, &p.name, v, &format!("{at} {name}"), out);
            }
        } else if let Some(n) = model.navigation(&actual, name) {
            if !key.contains('@') {
                check_value(model, &n.name, v, &format!("{at} {name}"), out);
            }
        } else if !(model.is_open(&actual) && name.starts_with("extension_")) {
            out.push(format!("{at}: '{name}' is not declared on {actual}"));
        }
    }
}
