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
//!
//! Exchange Online (`tests/fixtures/exchange/`, `exchange_answers_match_the_docs`) has its own
//! fixture format, described on that test: Microsoft documents cmdlets, not the REST endpoint
//! the V3 module calls.

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
        // A documented refusal needs a caller without the permission that would allow it.
        if let Some(drop) = fx["withoutRoles"].as_array() {
            roles.retain(|r| !drop.iter().any(|d| d.as_str() == Some(r.as_str())));
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
        let skip = not_modelled(&fx, name, &body, &mut errors);
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

/// A path into a JSON answer: `.`-separated keys, numeric segments index arrays
/// (`value.0.AccessRights`, `error.details.0.message`).
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(v, |v, k| match (v, k.parse::<usize>()) {
            (Value::Array(a), Ok(i)) => a.get(i),
            _ => v.get(k),
        })
}

/// Whether every value the docs give for an output object is the simulator's value (ignoring
/// `skip`ped keys). `null`, `[]` and `{}` stand for "present, of this type" (checked by
/// [`shape`]), not for a value.
fn documented_values_hold(doc: &Value, sim: &Value, skip: &[&str]) -> bool {
    let is_value = |v: &Value| match v {
        Value::Null => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    };
    doc.as_object().is_some_and(|d| {
        d.iter()
            .filter(|(k, v)| is_value(v) && !skip.contains(&k.as_str()))
            .all(|(k, v)| sim.get(k) == Some(v))
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Exchange conformance: the simulator's `InvokeCommand` answers against Microsoft's Exchange
/// Online cmdlet reference (`tests/fixtures/exchange/`). Microsoft documents cmdlets —
/// parameters, example command lines, output property names and values — and says the V3
/// module's cmdlets are REST-backed with the same names, parameters and output properties, but
/// it does not document that REST endpoint. So each fixture quotes the cmdlet documentation
/// (`documented.example`, `documented.output`), the call as the V3 module's REST envelope
/// carries it (`request`), and, where public observations of the envelope exist, the answer's
/// JSON (`documented.response.body`, with the observation cited).
///
/// Checks: the status (`documented.response.status`: a number or `"2xx"`; when the source
/// quotes no status line, `expectStatus` with `expectStatusWhy`); the body's shape against
/// `documented.response.body` (same rules as the Graph fixtures); each `documented.output`
/// object against some element of `value` — shape, and every documented value (`null`, `[]`
/// and `{}` only ask for a property of that type);
/// `expectValues` (paths may index arrays), `expectContains` (substrings), `expectCount`
/// (length of `value`). `knownDisagreements` lists documented values the simulator does not
/// give because product code or its tests still depend on the difference (reported, not
/// hidden): the test checks the simulator really still answers `simulator` there, so the list
/// cannot go stale. `productCompat` lists properties the simulator sends beyond the docs for
/// the same reason; the test checks they are still sent.
#[tokio::test]
async fn exchange_answers_match_the_docs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exchange");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "fixtures missing from {}", dir.display());
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    for file in &files {
        let fx: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let name = fx["name"].as_str().unwrap();
        assert!(
            fx["source"].as_str().is_some_and(|s| s.contains("http")),
            "{name}: every fixture names its source"
        );
        assert!(
            fx["documented"]["example"].is_string() || fx["documented"]["response"].is_object(),
            "{name}: every fixture quotes what is documented"
        );
        let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
        let token = sim
            .issuer()
            .mint(&TokenSpec {
                identity: IdentitySelector::SystemAssigned,
                resource: "https://outlook.office365.com".into(),
                roles: Some(vec!["Exchange.ManageAsApp".into()]),
                shift_secs: 0,
                lifetime: None,
            })
            .unwrap();
        let url = format!(
            "{}/adminapi/beta/{}/InvokeCommand",
            sim.exchange_base(),
            sim.tenant_id()
        );
        let invoke = |cmd: &Value| {
            http.post(&url)
                .bearer_auth(&token)
                .json(&serde_json::json!({ "CmdletInput": cmd }))
                .send()
        };
        let mut broken = None;
        for before in fx["before"].as_array().into_iter().flatten() {
            let rsp = invoke(before).await.unwrap();
            let st = rsp.status();
            if !st.is_success() {
                let text = rsp.text().await.unwrap_or_default();
                broken = Some(format!("precondition {before} failed with {st}: {text}"));
                break;
            }
        }
        if let Some(b) = broken {
            failures.push(format!(
                "{} ({name}):\n  {b}",
                file.file_name().unwrap().to_string_lossy()
            ));
            sim.shutdown().await;
            continue;
        }
        let rsp = invoke(&fx["request"]).await.unwrap();
        let status = rsp.status().as_u16();
        let text = rsp.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let documented = &fx["documented"]["response"];
        let mut errors = Vec::new();
        match (&documented["status"], fx["expectStatus"].as_u64()) {
            (Value::Number(n), _) => {
                if Some(u64::from(status)) != n.as_u64() {
                    errors.push(format!("status {status}, docs {n}: {text}"));
                }
            }
            (Value::String(s), _) if s == "2xx" => {
                if !(200..300).contains(&status) {
                    errors.push(format!("status {status}, docs 2xx: {text}"));
                }
            }
            (Value::Null, Some(want)) => {
                assert!(
                    fx["expectStatusWhy"].as_str().is_some_and(|w| w.len() > 20),
                    "{name}: expectStatus needs a why"
                );
                if u64::from(status) != want {
                    errors.push(format!("status {status}, expected {want}: {text}"));
                }
            }
            other => panic!("{name}: unusable documented status {other:?}"),
        }
        let skip = not_modelled(&fx, name, &body, &mut errors);
        if let Some(doc_body) = documented.get("body") {
            shape(doc_body, &body, "", &skip, &mut errors);
        }
        let disagreements = fx["knownDisagreements"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for d in &disagreements {
            let path = d["path"].as_str().unwrap();
            assert!(
                d["why"].as_str().is_some_and(|w| w.len() > 20),
                "{name}: a known disagreement needs a why"
            );
            if at(&body, path) != Some(&d["simulator"]) || d["simulator"] == d["documented"] {
                errors.push(format!(
                    "{path} = {:?}: the known disagreement (docs {}, simulator {}) no longer holds; update the fixture",
                    at(&body, path),
                    d["documented"],
                    d["simulator"]
                ));
            }
        }
        let disputed: Vec<&str> = disagreements
            .iter()
            .filter_map(|d| d["path"].as_str())
            .filter_map(|p| p.rsplit('.').next())
            .collect();
        if let Some(output) = fx["documented"]["output"].as_array() {
            let values = body["value"].as_array().cloned().unwrap_or_default();
            for (i, doc) in output.iter().enumerate() {
                let mut best: Option<Vec<String>> = None;
                for sim_obj in &values {
                    let mut e = Vec::new();
                    shape(doc, sim_obj, &format!("value[{i}]"), &skip, &mut e);
                    if !documented_values_hold(doc, sim_obj, &disputed) {
                        e.push(format!(
                            "value[{i}]: documented values {doc} differ from {sim_obj}"
                        ));
                    }
                    if best.as_ref().is_none_or(|b| e.len() < b.len()) {
                        best = Some(e);
                    }
                }
                match best {
                    Some(e) => errors.extend(e),
                    None => errors.push(format!(
                        "the docs show output {doc}, the simulator returned no objects: {text}"
                    )),
                }
            }
        }
        if let Some(expect) = fx["expectValues"].as_object() {
            for (path, want) in expect {
                if at(&body, path) != Some(want) {
                    errors.push(format!("{path} = {:?}, expected {want}", at(&body, path)));
                }
            }
        }
        if let Some(expect) = fx["expectContains"].as_object() {
            for (path, parts) in expect {
                let got = at(&body, path).and_then(Value::as_str).unwrap_or_default();
                for part in strings(parts) {
                    if !got.contains(&part) {
                        errors.push(format!("{path} = {got:?} does not contain {part:?}"));
                    }
                }
            }
        }
        if let Some(n) = fx["expectCount"].as_u64() {
            let got = body["value"].as_array().map(Vec::len);
            if got != usize::try_from(n).ok() {
                errors.push(format!("value has {got:?} objects, expected {n}"));
            }
        }
        let compat = strings(&fx["productCompat"]["keys"]);
        if !compat.is_empty() {
            assert!(
                fx["productCompat"]["why"]
                    .as_str()
                    .is_some_and(|w| w.len() > 20),
                "{name}: productCompat needs a why"
            );
            for k in &compat {
                if at(&body, k).is_none() {
                    errors.push(format!(
                        "{k} is listed as sent for product compatibility but the simulator no longer sends it; update the fixture"
                    ));
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
        "{} of {} Exchange fixtures differ from the docs:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// The fixture's `notModelled` keys (documented properties the simulator does not give),
/// each checked to be really absent so the list cannot go stale; a list needs a why.
fn not_modelled(fx: &Value, name: &str, body: &Value, errors: &mut Vec<String>) -> Vec<String> {
    let skip = strings(&fx["notModelled"]["keys"]);
    if !skip.is_empty() {
        assert!(
            fx["notModelled"]["why"]
                .as_str()
                .is_some_and(|w| w.len() > 20),
            "{name}: notModelled needs a why"
        );
        for k in &skip {
            if !absent(body, k) {
                errors.push(format!(
                    "{k} is listed as not modelled but the simulator returns it"
                ));
            }
        }
    }
    skip
}
