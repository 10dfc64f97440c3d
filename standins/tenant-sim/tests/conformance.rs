//! Conformance: the simulator answers the requests documented in Microsoft's Graph docs with the
//! documented status and shape. Each fixture in `tests/fixtures/graph/` records the documented
//! request and response with its source; `request` is the same call adapted to the demo tenant
//! (the adaptation is stated in `adapted`).
//!
//! Shape rules: every property the docs show must be present with the same JSON type (`null`
//! matches anything, as Graph returns null for unset properties); arrays the docs show with
//! items must have items, compared element by element (matched on `@odata.type` when present).
//! `notModelled` lists documented properties the simulator deliberately omits, with why; the
//! test checks they really are absent so the list cannot go stale. `exactKeys` forbids extra
//! properties ($select answers); `expectValues` pins values (refusals); `batchById` compares
//! batch responses by id.

use std::path::Path;

use serde_json::Value;
use standin_identity::{IdentitySelector, TokenSpec};
use standin_tenant::demo::DEFAULT_GRAPH_APP_ROLES;
use standin_tenant::{SimConfig, TenantSim};

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn shape(doc: &Value, sim: &Value, path: &str, skip: &[String], errors: &mut Vec<String>) {
    if skip.iter().any(|s| s == path) {
        return;
    }
    match (doc, sim) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(d), Value::Object(s)) => {
            for (k, dv) in d {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if skip.iter().any(|x| x == &child) {
                    continue;
                }
                match s.get(k) {
                    Some(sv) => shape(dv, sv, &child, skip, errors),
                    None => errors.push(format!("missing {child}")),
                }
            }
        }
        (Value::Array(d), Value::Array(s)) => {
            if !d.is_empty() && s.is_empty() {
                errors.push(format!(
                    "{path}: the docs show items, the simulator returned none"
                ));
            }
            let child = format!("{path}[]");
            for de in d {
                // The docs show one example element: some element of the answer (of the same
                // @odata.type when typed) must have its shape.
                let wanted = de.get("@odata.type");
                let candidates: Vec<&Value> = s
                    .iter()
                    .filter(|x| wanted.is_none() || x.get("@odata.type") == wanted)
                    .collect();
                if candidates.is_empty() {
                    if !s.is_empty() {
                        errors.push(format!("{child}: no element of type {wanted:?}"));
                    }
                    continue;
                }
                let mut best: Option<Vec<String>> = None;
                for se in candidates {
                    let mut e = Vec::new();
                    shape(de, se, &child, skip, &mut e);
                    if best.as_ref().is_none_or(|b| e.len() < b.len()) {
                        best = Some(e);
                    }
                }
                errors.extend(best.unwrap_or_default());
            }
        }
        (d, s) if type_name(d) == type_name(s) => {}
        (d, s) => errors.push(format!(
            "{path}: docs have a {}, simulator a {}",
            type_name(d),
            type_name(s)
        )),
    }
}

fn absent(sim: &Value, path: &str) -> bool {
    let parts: Vec<&str> = path.split('.').collect();
    fn walk(v: &Value, parts: &[&str]) -> bool {
        let Some((first, rest)) = parts.split_first() else {
            return false;
        };
        let (key, each) = match first.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (*first, false),
        };
        let Some(next) = v.get(key) else { return true };
        if rest.is_empty() {
            return false;
        }
        if each {
            next.as_array()
                .is_none_or(|a| a.iter().all(|e| walk(e, rest)))
        } else {
            walk(next, rest)
        }
    }
    walk(sim, &parts)
}

fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

#[tokio::test]
async fn the_simulator_answers_documented_requests_with_documented_shapes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "fixtures missing from {}", dir.display());
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    for file in &files {
        let fx: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let name = fx["name"].as_str().unwrap();
        assert!(
            fx["source"].as_str().is_some_and(|s| s.contains("http")),
            "{name}: every fixture names its source"
        );
        // A fresh tenant per fixture: each documented call starts from the same state.
        let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
        let mut roles: Vec<String> = DEFAULT_GRAPH_APP_ROLES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        if let Some(extra) = fx["roles"].as_array() {
            roles.extend(extra.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        let token = sim
            .issuer()
            .mint(&TokenSpec {
                identity: IdentitySelector::SystemAssigned,
                resource: "https://graph.microsoft.com".into(),
                roles: Some(roles),
                shift_secs: 0,
                lifetime: None,
            })
            .unwrap();
        // Documented preconditions (e.g. a retire before listing devices, so the answer has
        // the deviceActionResults the docs show).
        for before in fx["before"].as_array().into_iter().flatten() {
            let method =
                reqwest::Method::from_bytes(before["method"].as_str().unwrap().as_bytes()).unwrap();
            let url = format!("{}{}", sim.graph_base(), before["url"].as_str().unwrap());
            let st = http
                .request(method, url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status();
            assert!(
                st.is_success(),
                "{name}: precondition {before} failed with {st}"
            );
        }
        let req = &fx["request"];
        let method =
            reqwest::Method::from_bytes(req["method"].as_str().unwrap().as_bytes()).unwrap();
        let url = format!("{}{}", sim.graph_base(), req["url"].as_str().unwrap());
        let mut rb = http.request(method, url).bearer_auth(&token);
        if let Some(b) = req.get("body").filter(|b| !b.is_null()) {
            rb = rb.json(b);
        }
        let rsp = rb.send().await.unwrap();
        let status = rsp.status().as_u16();
        let text = rsp.text().await.unwrap();
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        let documented = &fx["documented"]["response"];
        let mut errors = Vec::new();
        if status != documented["status"].as_u64().unwrap() as u16 {
            errors.push(format!(
                "status {status}, docs {}: {text}",
                documented["status"]
            ));
        }
        let skip: Vec<String> = fx["notModelled"]["keys"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if !skip.is_empty() {
            assert!(
                fx["notModelled"]["why"]
                    .as_str()
                    .is_some_and(|w| w.len() > 20),
                "{name}: notModelled needs a why"
            );
            for k in &skip {
                if !absent(&body, k) {
                    errors.push(format!(
                        "{k} is listed as not modelled but the simulator returns it"
                    ));
                }
            }
        }
        if let Some(doc_body) = documented.get("body") {
            if fx["batchById"].as_bool() == Some(true) {
                for dr in doc_body["responses"].as_array().unwrap() {
                    let id = &dr["id"];
                    match body["responses"]
                        .as_array()
                        .and_then(|a| a.iter().find(|r| &r["id"] == id))
                    {
                        Some(sr) => {
                            if sr["status"] != dr["status"] {
                                errors.push(format!(
                                    "item {id}: status {} vs docs {}",
                                    sr["status"], dr["status"]
                                ));
                            }
                            shape(dr, sr, &format!("responses[{id}]"), &skip, &mut errors);
                        }
                        None => errors.push(format!("no response for item {id}")),
                    }
                }
            } else {
                shape(doc_body, &body, "", &skip, &mut errors);
            }
            if fx["exactKeys"].as_bool() == Some(true) {
                let dk: Vec<&String> = doc_body.as_object().unwrap().keys().collect();
                let sk: Vec<&String> = body
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                for k in &sk {
                    if !dk.contains(k) {
                        errors.push(format!(
                            "extra property {k} (the docs answer has exactly {dk:?})"
                        ));
                    }
                }
            }
        } else if !body.is_null() {
            errors.push(format!("docs answer without a body, simulator sent {text}"));
        }
        if let Some(expect) = fx["expectValues"].as_object() {
            for (path, want) in expect {
                if get_path(&body, path) != Some(want) {
                    errors.push(format!(
                        "{path} = {:?}, expected {want}",
                        get_path(&body, path)
                    ));
                }
            }
        }
        if body.get("error").is_some() {
            for k in ["date", "request-id", "client-request-id"] {
                if body["error"]["innerError"].get(k).is_none() {
                    errors.push(format!("error.innerError.{k} missing"));
                }
            }
        }
        if !errors.is_empty() {
            failures.push(format!(
                "{} ({name}):\n  {}",
                file.file_name().unwrap().to_string_lossy(),
                errors.join("\n  ")
            ));
        }
        sim.shutdown().await;
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ from the docs:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
