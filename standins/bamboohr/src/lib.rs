//! # standin-bamboohr
//!
//! BambooHR's custom report API as its documentation describes it, for tests and benchmarks:
//!
//! - `POST /api/gateway.php/{companyDomain}/v1/reports/custom?format=JSON&onlyCurrent=false`
//!   with a JSON body `{"title": ..., "fields": ["employeeNumber", "workEmail", ...]}`.
//! - HTTP Basic authentication with the API key as the user name and any password (`x`);
//!   a wrong or missing key answers `401`, an unknown company `404`.
//! - The answer is `{"title", "fields": [{"id", "type", "name"}], "employees": [{"id", ...}]}`
//!   with exactly the requested fields (`null` where an employee has no value; BambooHR writes
//!   an empty termination date as `0000-00-00`). `onlyCurrent` defaults to `true`, which leaves
//!   out inactive (terminated) employees — why offboard always sends `false`.
//! - `format=CSV` answers the same report as CSV.
//!
//! Seeded from a JSON file (`{"companyDomain", "apiKey", "employees": [{"id", ...fields}]}`);
//! test routes under `/_sim`: `PUT /_sim/employees` replaces the employees, `POST /_sim/faults`
//! `{"count", "status"}` answers the next requests with that status, `POST /_sim/garbage`
//! `{"count"}` answers them with a body that is not a report, `GET /_sim/requests` counts the
//! report requests served, `POST /_sim/hide` `{"fields": [...]}` leaves those fields out of
//! every answer (what BambooHR does with fields the API key's user may not see).
//!
//! It also serves a generic HR export the way Workday RaaS (and ADP, SuccessFactors exports)
//! are read — `GET /ccx/service/customreport2/{tenant}/{owner}/{report}` with HTTP Basic auth
//! (user `raas`, the API key as password) — answering whatever body `PUT /_sim/export` set
//! (a CSV or JSON report, well formed or not), so the `report` source can be tested with it.
//! The fault queue applies to it too.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq as _;
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::Response;

/// What the stand-in serves: one company's employees.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    /// The company's BambooHR subdomain.
    pub company_domain: String,
    /// The API key (Basic-auth user name).
    pub api_key: String,
    /// Every employee, current and former: `id` plus BambooHR field ids (`employeeNumber`,
    /// `firstName`, `lastName`, `workEmail`, `status` = `Active`/`Inactive`,
    /// `terminationDate`, `terminationType`, ...).
    pub employees: Vec<Map<String, Value>>,
}

impl Seed {
    /// Reads a seed file.
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Self> {
        Ok(serde_json::from_slice(&std::fs::read(path)?)?)
    }
}

#[derive(Default)]
struct State {
    seed: Seed,
    faults: Vec<u16>,
    garbage: usize,
    served: u64,
    hidden: Vec<String>,
    export: Option<(String, bytes::Bytes)>,
}

type Shared = Arc<Mutex<State>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running stand-in.
pub struct BambooHr {
    addr: SocketAddr,
    company: String,
    api_key: String,
    task: tokio::task::JoinHandle<()>,
}

impl BambooHr {
    /// Starts on `127.0.0.1` (a free port).
    pub async fn start(seed: Seed) -> anyhow::Result<Self> {
        let company = seed.company_domain.clone();
        let api_key = seed.api_key.clone();
        let state: Shared = Arc::new(Mutex::new(State {
            seed,
            ..State::default()
        }));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(warp::serve(routes(state)).incoming(listener).run());
        Ok(Self {
            addr,
            company,
            api_key,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API base offboard is configured with:
    /// `http://127.0.0.1:PORT/api/gateway.php/{companyDomain}`.
    pub fn api_base(&self) -> String {
        format!("{}/api/gateway.php/{}", self.base(), self.company)
    }

    /// The seeded API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }
}

impl Drop for BambooHr {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Deserialize)]
struct ReportRequest {
    #[serde(default)]
    title: Option<String>,
    fields: Vec<String>,
}

#[derive(Deserialize)]
struct Hide {
    fields: Vec<String>,
}

#[derive(Deserialize)]
struct Fault {
    count: usize,
    #[serde(default)]
    status: Option<u16>,
}

fn reply(status: StatusCode, body: &Value) -> Response {
    let mut r = warp::reply::json(body).into_response();
    *r.status_mut() = status;
    r
}

use warp::Reply as _;

fn authorised(header: Option<&str>, key: &str) -> bool {
    let Some(b64) = header.and_then(|h| h.strip_prefix("Basic ")) else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    let user = raw.split(|b| *b == b':').next().unwrap_or_default();
    user.ct_eq(key.as_bytes()).into()
}

fn field_type(id: &str) -> &'static str {
    match id {
        "terminationDate" | "hireDate" => "date",
        "workEmail" => "email",
        "status" | "terminationType" | "employmentHistoryStatus" => "list",
        _ => "text",
    }
}

fn csv_cell(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn report(state: &Shared, company: &str, query: &str, auth: Option<&str>, body: &[u8]) -> Response {
    let mut st = lock(state);
    if let Some(status) = (!st.faults.is_empty()).then(|| st.faults.remove(0)) {
        return reply(
            StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            &json!({"error": "injected fault"}),
        );
    }
    if company != st.seed.company_domain {
        return reply(StatusCode::NOT_FOUND, &json!({"error": "unknown company"}));
    }
    if !authorised(auth, &st.seed.api_key) {
        return reply(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "invalid API key"}),
        );
    }
    if st.garbage > 0 {
        st.garbage -= 1;
        let mut r = warp::reply::html("<html>maintenance</html>").into_response();
        *r.status_mut() = StatusCode::OK;
        return r;
    }
    let Ok(req) = serde_json::from_slice::<ReportRequest>(body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            &json!({"error": "expected {\"fields\": [...]}"}),
        );
    };
    st.served += 1;
    let req = ReportRequest {
        title: req.title,
        fields: req
            .fields
            .into_iter()
            .filter(|f| !st.hidden.contains(f))
            .collect(),
    };
    let params: Vec<(String, String)> = url_pairs(query);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let only_current = get("onlyCurrent").is_none_or(|v| v != "false");
    let csv = get("format").is_some_and(|f| f.eq_ignore_ascii_case("csv"));
    let employees: Vec<Map<String, Value>> = st
        .seed
        .employees
        .iter()
        .filter(|e| !only_current || e.get("status").and_then(Value::as_str) != Some("Inactive"))
        .map(|e| {
            let mut out = Map::new();
            out.insert("id".into(), e.get("id").cloned().unwrap_or(Value::Null));
            for f in &req.fields {
                let v = match (f.as_str(), e.get(f)) {
                    ("terminationDate", None | Some(Value::Null)) => json!("0000-00-00"),
                    (_, v) => v.cloned().unwrap_or(Value::Null),
                };
                out.insert(f.clone(), v);
            }
            out
        })
        .collect();
    if csv {
        let mut text = req.fields.join(",");
        text.push('\n');
        for e in &employees {
            let row: Vec<String> = req.fields.iter().map(|f| csv_cell(&e[f])).collect();
            text.push_str(&row.join(","));
            text.push('\n');
        }
        let mut r = text.into_response();
        r.headers_mut().insert(
            "content-type",
            warp::http::HeaderValue::from_static("text/csv"),
        );
        return r;
    }
    let fields: Vec<Value> = req
        .fields
        .iter()
        .map(|f| json!({"id": f, "type": field_type(f), "name": f}))
        .collect();
    reply(
        StatusCode::OK,
        &json!({
            "title": req.title.unwrap_or_else(|| "Custom report".into()),
            "fields": fields,
            "employees": employees,
        }),
    )
}

/// The generic HR export: Basic auth `raas` + the API key, the body `PUT /_sim/export` set.
fn export(state: &Shared, auth: Option<&str>) -> Response {
    let mut st = lock(state);
    if let Some(status) = (!st.faults.is_empty()).then(|| st.faults.remove(0)) {
        return reply(
            StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            &json!({"error": "injected fault"}),
        );
    }
    if !basic_is(auth, "raas", &st.seed.api_key) {
        return reply(StatusCode::UNAUTHORIZED, &json!({"error": "unauthorized"}));
    }
    let Some((content_type, body)) = st.export.clone() else {
        return reply(StatusCode::NOT_FOUND, &json!({"error": "no export set"}));
    };
    st.served += 1;
    let mut r = Response::new(body.into());
    if let Ok(v) = warp::http::HeaderValue::from_str(&content_type) {
        r.headers_mut().insert("content-type", v);
    }
    r
}

/// Whether `header` is HTTP Basic with exactly this user and password (constant time).
fn basic_is(header: Option<&str>, user: &str, password: &str) -> bool {
    let Some(b64) = header.and_then(|h| h.strip_prefix("Basic ")) else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    let expected = format!("{user}:{password}");
    decoded.len() == expected.len() && bool::from(decoded.ct_eq(expected.as_bytes()))
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (p.to_owned(), String::new()),
        })
        .collect()
}

fn routes(state: Shared) -> warp::filters::BoxedFilter<(Response,)> {
    let with = move || {
        let s = state.clone();
        warp::any().map(move || s.clone())
    };
    let report_route = warp::post()
        .and(warp::path!(
            "api" / "gateway.php" / String / "v1" / "reports" / "custom"
        ))
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::body::bytes())
        .and(with())
        .map(
            |company: String,
             query: String,
             auth: Option<String>,
             body: bytes::Bytes,
             s: Shared| { report(&s, &company, &query, auth.as_deref(), &body) },
        );
    let employees = warp::put()
        .and(warp::path!("_sim" / "employees"))
        .and(warp::body::content_length_limit(256 * 1024 * 1024).and(warp::body::json()))
        .and(with())
        .map(|e: Vec<Map<String, Value>>, s: Shared| {
            let n = e.len();
            lock(&s).seed.employees = e;
            reply(StatusCode::OK, &json!({"employees": n}))
        });
    let faults = warp::post()
        .and(warp::path!("_sim" / "faults"))
        .and(warp::body::json())
        .and(with())
        .map(|f: Fault, s: Shared| {
            let status = f.status.unwrap_or(503);
            lock(&s).faults.extend(std::iter::repeat_n(status, f.count));
            reply(
                StatusCode::OK,
                &json!({"queued": f.count, "status": status}),
            )
        });
    let garbage = warp::post()
        .and(warp::path!("_sim" / "garbage"))
        .and(warp::body::json())
        .and(with())
        .map(|f: Fault, s: Shared| {
            lock(&s).garbage += f.count;
            reply(StatusCode::OK, &json!({"queued": f.count}))
        });
    let export_route = warp::get()
        .and(warp::path!(
            "ccx" / "service" / "customreport2" / String / String / String
        ))
        .and(warp::header::optional::<String>("authorization"))
        .and(with())
        .map(
            |_: String, _: String, _: String, auth: Option<String>, s: Shared| {
                export(&s, auth.as_deref())
            },
        );
    let set_export = warp::put()
        .and(warp::path!("_sim" / "export"))
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::content_length_limit(256 * 1024 * 1024).and(warp::body::bytes()))
        .and(with())
        .map(|ct: Option<String>, body: bytes::Bytes, s: Shared| {
            let n = body.len();
            lock(&s).export = Some((ct.unwrap_or_else(|| "text/csv".into()), body));
            reply(StatusCode::OK, &json!({"bytes": n}))
        });
    let hide = warp::post()
        .and(warp::path!("_sim" / "hide"))
        .and(warp::body::json())
        .and(with())
        .map(|h: Hide, s: Shared| {
            let n = h.fields.len();
            lock(&s).hidden = h.fields;
            reply(StatusCode::OK, &json!({"hidden": n}))
        });
    let requests = warp::get()
        .and(warp::path!("_sim" / "requests"))
        .and(with())
        .map(|s: Shared| reply(StatusCode::OK, &json!({"served": lock(&s).served})));
    report_route
        .or(employees)
        .unify()
        .or(faults)
        .unify()
        .or(garbage)
        .unify()
        .or(requests)
        .unify()
        .or(export_route)
        .unify()
        .or(set_export)
        .unify()
        .or(hide)
        .unify()
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> Seed {
        serde_json::from_value(json!({
            "companyDomain": "acme",
            "apiKey": "key-123",
            "employees": [
                {"id": "1", "employeeNumber": "E1", "workEmail": "a@x.test", "status": "Active"},
                {"id": "2", "employeeNumber": "E2", "workEmail": "b@x.test", "status": "Inactive", "terminationDate": "2026-11-20"}
            ]
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn the_report_includes_former_employees_only_when_asked_and_needs_the_key() {
        let b = BambooHr::start(seed()).await.unwrap();
        let http = reqwest::Client::new();
        let url = format!("{}/v1/reports/custom", b.api_base());
        let body = json!({"title": "t", "fields": ["employeeNumber", "status", "terminationDate"]});
        let all: Value = http
            .post(format!("{url}?format=JSON&onlyCurrent=false"))
            .basic_auth("key-123", Some("x"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(all["employees"].as_array().unwrap().len(), 2);
        assert_eq!(all["employees"][0]["terminationDate"], "0000-00-00");
        assert_eq!(all["fields"][2]["type"], "date");
        let current: Value = http
            .post(format!("{url}?format=JSON"))
            .basic_auth("key-123", Some("x"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(current["employees"].as_array().unwrap().len(), 1);
        let refused = http
            .post(format!("{url}?format=JSON"))
            .basic_auth("wrong", Some("x"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
    }
}
