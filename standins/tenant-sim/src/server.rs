//! HTTP wiring: warp filters that turn requests into [`SimRequest`]s for the engine, the
//! identity endpoint, and the test-only `/_sim` routes.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use warp::Filter as _;
use warp::http::{HeaderMap, HeaderValue, Method, StatusCode};
use warp::reply::Response;

use crate::engine::{Settings, Shared};
use crate::http::SimResponse;
use crate::model::Tenant;
use crate::sync;

const GRAPH_CONTENT_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

fn to_reply(resp: SimResponse, content_type: &str) -> Response {
    let mut r = match &resp.body {
        Some(b) => Response::new(serde_json::to_vec(b).unwrap_or_default().into()),
        None => Response::new(Vec::new().into()),
    };
    *r.status_mut() =
        StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    if resp.body.is_some()
        && let Ok(v) = HeaderValue::from_str(content_type)
    {
        h.insert("content-type", v);
    }
    for (k, v) in &resp.headers {
        if let (Ok(name), Ok(value)) = (
            warp::http::header::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.append(name, value);
        }
    }
    r
}

fn json_reply(status: StatusCode, body: &Value) -> Response {
    let mut r = Response::new(serde_json::to_vec(body).unwrap_or_default().into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn headers_map(h: &HeaderMap) -> BTreeMap<String, String> {
    h.iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned()))
        })
        .collect()
}

fn parse_body(bytes: &Bytes) -> Result<Option<Value>, ()> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes).map(Some).map_err(|_| ())
}

fn bad_json() -> SimResponse {
    let id = uuid::Uuid::new_v4().to_string();
    crate::http::ApiError::new(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
        .render(&id, &id, &chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string())
}

fn raw_query() -> impl warp::Filter<Extract = (String,), Error = std::convert::Infallible> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CountStatus {
    count: usize,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    retry_after: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OnPrem {
    account_enabled: bool,
}

/// All routes of one simulator.
pub fn routes(shared: Arc<Shared>) -> warp::filters::BoxedFilter<(Response,)> {
    let with = {
        let s = shared.clone();
        move || {
            let s = s.clone();
            warp::any().map(move || s.clone())
        }
    };
    // No content-length limit: GETs carry no Content-Length, which the limit filter rejects.
    let body = warp::body::bytes();

    let identity = shared.issuer.filter();

    let graph = warp::path("v1.0")
        .and(warp::path::tail())
        .and(warp::method())
        .and(raw_query())
        .and(warp::header::headers_cloned())
        .and(body)
        .and(with())
        .then(
            |tail: warp::path::Tail,
             method: Method,
             query: String,
             headers: HeaderMap,
             bytes: Bytes,
             s: Arc<Shared>| async move {
                let path = format!(
                    "/{}",
                    percent_encoding::percent_decode_str(tail.as_str()).decode_utf8_lossy()
                );
                let Ok(body) = parse_body(&bytes) else {
                    return to_reply(bad_json(), GRAPH_CONTENT_TYPE);
                };
                let req = crate::http::SimRequest {
                    method: method.as_str().to_owned(),
                    path,
                    query,
                    headers: headers_map(&headers),
                    body,
                };
                to_reply(s.graph(req).await, GRAPH_CONTENT_TYPE)
            },
        );

    let exchange =
        warp::post()
            .and(warp::path!("adminapi" / "beta" / String / "InvokeCommand"))
            .and(raw_query())
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .and(with())
            .then(
                |tenant: String,
                 query: String,
                 headers: HeaderMap,
                 bytes: Bytes,
                 s: Arc<Shared>| async move {
                    let Ok(body) = parse_body(&bytes) else {
                        return to_reply(bad_json(), "application/json");
                    };
                    let req = crate::http::SimRequest {
                        method: "POST".to_owned(),
                        path: format!("/adminapi/beta/{tenant}/InvokeCommand"),
                        query,
                        headers: headers_map(&headers),
                        body,
                    };
                    to_reply(
                        s.exchange(&tenant, req).await,
                        "application/json;odata.metadata=minimal;charset=utf-8",
                    )
                },
            );

    let requests_get = warp::get()
        .and(warp::path!("_sim" / "requests"))
        .and(with())
        .map(|s: Arc<Shared>| {
            let log = s.lock().log.clone();
            json_reply(
                StatusCode::OK,
                &serde_json::to_value(log).unwrap_or_default(),
            )
        });
    let requests_delete = warp::delete()
        .and(warp::path!("_sim" / "requests"))
        .and(with())
        .map(|s: Arc<Shared>| {
            s.lock().log.clear();
            json_reply(StatusCode::OK, &json!({"cleared": true}))
        });
    let state_get = warp::get()
        .and(warp::path!("_sim" / "state"))
        .and(with())
        .map(|s: Arc<Shared>| {
            let t = s.lock().tenant.clone();
            json_reply(StatusCode::OK, &serde_json::to_value(t).unwrap_or_default())
        });
    let state_put = warp::put()
        .and(warp::path!("_sim" / "state"))
        .and(warp::body::content_length_limit(32 * 1024 * 1024).and(warp::body::json()))
        .and(with())
        .map(|t: Tenant, s: Arc<Shared>| {
            s.lock().tenant = t;
            json_reply(StatusCode::OK, &json!({"replaced": true}))
        });
    let settings_get = warp::get()
        .and(warp::path!("_sim" / "settings"))
        .and(with())
        .map(|s: Arc<Shared>| {
            let st = s.lock().settings.clone();
            json_reply(
                StatusCode::OK,
                &serde_json::to_value(st).unwrap_or_default(),
            )
        });
    let settings_put = warp::put()
        .and(warp::path!("_sim" / "settings"))
        .and(warp::body::json())
        .and(with())
        .map(|st: Settings, s: Arc<Shared>| {
            let mut e = s.lock();
            e.settings = st;
            e.reset_quota();
            json_reply(
                StatusCode::OK,
                &serde_json::to_value(&e.settings).unwrap_or_default(),
            )
        });
    let faults = warp::post()
        .and(warp::path!("_sim" / "faults"))
        .and(warp::body::json())
        .and(with())
        .map(|c: CountStatus, s: Arc<Shared>| {
            let status = c.status.unwrap_or(503);
            s.lock()
                .fault_next
                .extend(std::iter::repeat_n(status, c.count));
            json_reply(
                StatusCode::OK,
                &json!({"queued": c.count, "status": status}),
            )
        });
    let throttle = warp::post()
        .and(warp::path!("_sim" / "throttle"))
        .and(warp::body::json())
        .and(with())
        .map(|c: CountStatus, s: Arc<Shared>| {
            let secs = c.retry_after.unwrap_or(1);
            s.lock()
                .throttle_next
                .extend(std::iter::repeat_n(secs, c.count));
            json_reply(
                StatusCode::OK,
                &json!({"queued": c.count, "retryAfter": secs}),
            )
        });
    let expire = warp::post()
        .and(warp::path!("_sim" / "tokens" / "expire"))
        .and(with())
        .map(|s: Arc<Shared>| {
            s.issuer.expire_issued_tokens();
            json_reply(StatusCode::OK, &json!({"expired": true}))
        });
    let dirsync = warp::post()
        .and(warp::path!("_sim" / "directory-sync"))
        .and(with())
        .map(|s: Arc<Shared>| {
            sync::sync_now(&mut s.lock().tenant, chrono::Utc::now());
            json_reply(StatusCode::OK, &json!({"synced": true}))
        });
    let onprem = warp::patch()
        .and(warp::path!("_sim" / "users" / String / "on-premises"))
        .and(warp::body::json())
        .and(with())
        .map(|user: String, o: OnPrem, s: Arc<Shared>| {
            let ok = sync::set_on_premises_enabled(
                &mut s.lock().tenant,
                &user,
                o.account_enabled,
                chrono::Utc::now(),
            );
            if ok {
                json_reply(StatusCode::OK, &json!({"pending": true}))
            } else {
                json_reply(
                    StatusCode::NOT_FOUND,
                    &json!({"error": "unknown or cloud-only user"}),
                )
            }
        });

    let provisioning_job = warp::post()
        .and(warp::path!("_sim" / "provisioning-jobs"))
        .and(warp::body::json())
        .and(with())
        .map(|job: crate::model::ProvisioningJob, s: Arc<Shared>| {
            let sp = job.service_principal_id.clone();
            crate::provisioning::start_job(&mut s.lock().tenant, job);
            json_reply(StatusCode::OK, &json!({"started": sp}))
        });

    let fallback = warp::any().map(|| {
        json_reply(
            StatusCode::NOT_FOUND,
            &json!({"error": {"code": "NotFound", "message": "No such endpoint on the tenant simulator, or its body was not valid JSON."}}),
        )
    });

    // Boxed in groups: the full chain's future type is deep enough to overflow the compiler's
    // recursion limit in crates that spawn the simulator (release builds especially).
    let services = identity.or(graph).unify().or(exchange).unify().boxed();
    let sim_reads = requests_get
        .or(requests_delete)
        .unify()
        .or(state_get)
        .unify()
        .or(state_put)
        .unify()
        .or(settings_get)
        .unify()
        .or(settings_put)
        .unify()
        .boxed();
    let sim_knobs = faults
        .or(throttle)
        .unify()
        .or(expire)
        .unify()
        .or(dirsync)
        .unify()
        .or(onprem)
        .unify()
        .or(provisioning_job)
        .unify()
        .boxed();
    services
        .or(sim_reads)
        .unify()
        .or(sim_knobs)
        .unify()
        .or(fallback)
        .unify()
        .boxed()
}
