//! Invoking the handler with the custom-handler JSON payload, and writing output bindings.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use warp::http::{HeaderMap, Method, Response, StatusCode};

use crate::config::{Binding, FunctionDef};
use crate::host::{Front, QueueResolver};
use crate::worker::Worker;

/// What a successful invocation returned.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub outputs: Map<String, Value>,
    pub return_value: Value,
}

/// POSTs `{Data, Metadata}` to `/{function}`. Like the host, anything but a 2xx with a
/// valid JSON body fails the invocation.
pub(crate) async fn call(
    worker: &Worker,
    client: &reqwest::Client,
    function: &str,
    data: Value,
    metadata: Value,
) -> Result<Outcome, String> {
    let url = format!("http://127.0.0.1:{}/{function}", worker.port);
    let resp = client
        .post(&url)
        .header(
            "x-azure-functions-invocationid",
            uuid::Uuid::new_v4().to_string(),
        )
        .json(&json!({"Data": data, "Metadata": metadata}))
        .send()
        .await
        .map_err(|e| format!("handler unreachable: {e}"))?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "handler answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(500)])
        ));
    }
    let v: Value =
        serde_json::from_slice(&body).map_err(|e| format!("invalid invocation response: {e}"))?;
    let get = |k: &str| {
        v.as_object()
            .and_then(|o| o.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)))
            .map(|(_, v)| v.clone())
    };
    let outputs = match get("Outputs") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err("invocation response: Outputs must be an object".into()),
    };
    let logs = match get("Logs") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|l| {
                l.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| l.to_string())
            })
            .collect(),
        _ => Vec::new(),
    };
    // The handler logs each invocation's outcome itself, inside the case's span (case id and
    // leaver); the host's copy of the same line is kept at debug so a console shows it once.
    for line in &logs {
        tracing::debug!(function, "{line}");
    }
    Ok(Outcome {
        outputs,
        return_value: get("ReturnValue").unwrap_or(Value::Null),
    })
}

/// Writes queue output bindings from a successful invocation.
pub(crate) async fn write_outputs(
    f: &FunctionDef,
    outcome: &Outcome,
    queues: &QueueResolver,
    base64: bool,
) -> Result<(), String> {
    for b in &f.outputs {
        let Binding::Queue {
            name,
            queue_name,
            connection,
        } = b
        else {
            continue;
        };
        let value = if name == "$return" {
            outcome.return_value.clone()
        } else {
            outcome
                .outputs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null)
        };
        let items = match value {
            Value::Null => continue,
            Value::Array(a) => a,
            other => vec![other],
        };
        let q = (queues)(connection).map_err(|e| e.to_string())?;
        q.ensure_queue(queue_name)
            .await
            .map_err(|e| e.to_string())?;
        for item in items {
            let text = match item {
                Value::String(s) => s,
                other => other.to_string(),
            };
            let text = if base64 { BASE64.encode(text) } else { text };
            q.send(queue_name, &text, std::time::Duration::ZERO)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn headers_json(headers: &HeaderMap) -> Value {
    let mut map = Map::new();
    for (k, v) in headers.iter() {
        let entry = map
            .entry(k.as_str().to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = entry {
            a.push(Value::String(v.to_str().unwrap_or_default().to_owned()));
        }
    }
    Value::Object(map)
}

/// An HTTP trigger that is not forwarded (it has other bindings, or forwarding is off):
/// the request goes to the handler inside the invocation payload and the `res` output
/// becomes the response.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn http_invocation(
    front: &Front,
    f: &FunctionDef,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &Bytes,
    invocation_id: &str,
) -> Response<Bytes> {
    let crate::config::Trigger::Http { name, route, .. } = &f.trigger else {
        return status_only(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let prefix = front.app.host.route_prefix.trim_matches('/');
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = if prefix.is_empty() {
        &segs[..]
    } else {
        &segs[1.min(segs.len())..]
    };
    let params = crate::routes::match_route(route, rest).unwrap_or_default();
    let query_map: Map<String, Value> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), Value::String(v.to_owned()))
        })
        .collect();
    let data = json!({
        name.as_str(): {
            "Url": format!("http://127.0.0.1{path}{}", if query.is_empty() { String::new() } else { format!("?{query}") }),
            "Method": method.as_str(),
            "Query": Value::Object(query_map).to_string(),
            "Headers": headers_json(headers),
            "Params": params,
            "Body": String::from_utf8_lossy(body),
        }
    });
    let metadata = json!({"sys": {"MethodName": f.name, "UtcNow": chrono::Utc::now().to_rfc3339(), "RandGuid": invocation_id}});
    match call(&front.worker, &front.client, &f.name, data, metadata).await {
        Ok(outcome) => {
            let http_name = f.outputs.iter().find_map(|b| match b {
                Binding::Http { name } => Some(name.clone()),
                _ => None,
            });
            let res = match http_name.as_deref() {
                Some("$return") => outcome.return_value.clone(),
                Some(n) => outcome.outputs.get(n).cloned().unwrap_or(Value::Null),
                None => Value::Null,
            };
            let status = res
                .get("statusCode")
                .or_else(|| res.get("StatusCode"))
                .and_then(|s| {
                    s.as_u64()
                        .or_else(|| s.as_str().and_then(|x| x.parse().ok()))
                })
                .and_then(|s| u16::try_from(s).ok())
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            let body = match res.get("body").or_else(|| res.get("Body")) {
                Some(Value::String(s)) => Bytes::from(s.clone()),
                Some(Value::Null) | None => Bytes::new(),
                Some(other) => Bytes::from(other.to_string()),
            };
            let mut out = Response::new(body);
            *out.status_mut() = status;
            if let Some(Value::Object(h)) = res.get("headers").or_else(|| res.get("Headers")) {
                for (k, v) in h {
                    if let (Ok(name), Some(val)) = (
                        warp::http::HeaderName::from_bytes(k.as_bytes()),
                        v.as_str()
                            .and_then(|s| warp::http::HeaderValue::from_str(s).ok()),
                    ) {
                        out.headers_mut().insert(name, val);
                    }
                }
            }
            out
        }
        Err(e) => {
            tracing::error!(function = %f.name, error = %e, "HTTP invocation failed");
            status_only(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

fn status_only(status: StatusCode) -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = status;
    r
}
