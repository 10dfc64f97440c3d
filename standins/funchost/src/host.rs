//! The local host: HTTP front end, queue pollers and timers around one supervised handler.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use warp::Filter;
use warp::http::{HeaderMap, Method, Response, StatusCode};

use offboard_core::ports::MessageQueue;

use crate::config::{AppDefinition, AuthLevel, FunctionDef, Trigger};
use crate::request::{RequestError, body_limit, forwarded_path, normalise_path, read_body};
use crate::routes::match_route;
use crate::worker::{Worker, WorkerSpec};
use crate::{queue_trigger, timer_trigger};

/// Resolves a binding's `connection` setting name to a queue client.
pub type QueueResolver = Arc<dyn Fn(&str) -> anyhow::Result<Arc<dyn MessageQueue>> + Send + Sync>;

/// How to run the local host.
pub struct HostOptions {
    /// The app's definition (host.json and functions).
    pub app: AppDefinition,
    /// The handler: a process to start and supervise, or one already listening.
    pub handler: HandlerSpec,
    /// App settings passed to the handler as environment variables.
    pub app_settings: BTreeMap<String, String>,
    /// Port for the HTTP front end (0 picks one).
    pub port: u16,
    /// The key callers of `authLevel: function` endpoints must present.
    pub function_key: String,
    /// Storage connections for queue triggers and outputs.
    pub queues: QueueResolver,
}

/// Where the handler comes from.
pub enum HandlerSpec {
    /// Start this executable (resolved from `defaultExecutablePath`) as the Functions host
    /// does, with the app settings as environment, and restart it if it dies.
    Process {
        /// The executable.
        executable: PathBuf,
        /// Append its stdout/stderr here instead of inheriting them.
        log_file: Option<PathBuf>,
    },
    /// A handler already listening on this loopback port (run in-process by the caller).
    Attached {
        /// Its port.
        port: u16,
    },
}

/// The local Functions host.
pub struct LocalHost;

/// A running local host.
pub struct HostHandle {
    port: u16,
    worker: Arc<Worker>,
    stop: Arc<Notify>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// State shared by the HTTP front end.
#[derive(Clone)]
pub(crate) struct Front {
    pub app: Arc<AppDefinition>,
    pub worker: Arc<Worker>,
    pub client: reqwest::Client,
    pub function_key: Arc<String>,
    /// `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`, bytes.
    pub body_limit: u64,
}

impl LocalHost {
    /// Starts the handler, the HTTP front end, the queue pollers and the timers.
    pub async fn start(opts: HostOptions) -> anyhow::Result<HostHandle> {
        let app = Arc::new(opts.app);
        let body_limit = body_limit(&opts.app_settings)?;
        // Resolve every queue connection before starting, so a missing setting fails now.
        let mut queue_functions = Vec::new();
        for f in app.functions.values() {
            if let Trigger::Queue {
                queue_name,
                connection,
                ..
            } = &f.trigger
            {
                let q = (opts.queues)(connection)?;
                q.ensure_queue(queue_name)
                    .await
                    .map_err(|e| anyhow::anyhow!("function {}: queue {queue_name}: {e}", f.name))?;
                q.ensure_queue(&format!("{queue_name}-poison")).await?;
                queue_functions.push((f.clone(), q));
            }
        }
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, opts.port)))
                .await?;
        let port = listener.local_addr()?.port();
        // The platform tells the app its own host name in WEBSITE_HOSTNAME; here it is the
        // loopback address the front end listens on.
        let mut app_settings = opts.app_settings;
        app_settings
            .entry("WEBSITE_HOSTNAME".to_owned())
            .or_insert_with(|| format!("127.0.0.1:{port}"));
        let worker = Arc::new(match opts.handler {
            HandlerSpec::Process {
                executable,
                log_file,
            } => {
                Worker::start(WorkerSpec {
                    executable,
                    arguments: app.host.arguments.clone(),
                    working_directory: app.host.working_directory.as_ref().map(PathBuf::from),
                    env: app_settings,
                    log_file,
                })
                .await?
            }
            HandlerSpec::Attached { port } => Worker::attach(port),
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            // The host hands the handler's answer back as it is: a redirect is the caller's to
            // follow (the sign-in's 302 to Entra ID), never the host's.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(230))
            .build()?;
        let stop = Arc::new(Notify::new());
        let mut tasks = Vec::new();
        for (f, q) in queue_functions {
            tasks.push(tokio::spawn(queue_trigger::run(
                f,
                q,
                opts.queues.clone(),
                app.host.queues.clone(),
                worker.clone(),
                client.clone(),
                stop.clone(),
            )));
        }
        for f in app.functions.values() {
            if matches!(f.trigger, Trigger::Timer { .. }) {
                tasks.push(tokio::spawn(timer_trigger::run(
                    f.clone(),
                    worker.clone(),
                    client.clone(),
                    stop.clone(),
                )));
            }
        }
        let front = Front {
            app: app.clone(),
            worker: worker.clone(),
            client,
            function_key: Arc::new(opts.function_key),
            body_limit,
        };
        let filter = warp::any()
            .map(move || front.clone())
            .and(warp::method())
            .and(warp::path::full())
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(warp::header::headers_cloned())
            .and(warp::body::stream())
            .then(|front, method, path, query, headers, body| {
                serve_http(front, method, path, query, headers, Box::pin(body))
            });
        let stop_http = stop.clone();
        tasks.push(tokio::spawn(async move {
            warp::serve(filter)
                .incoming(listener)
                .graceful(async move { stop_http.notified().await })
                .run()
                .await;
        }));
        Ok(HostHandle {
            port,
            worker,
            stop,
            tasks,
        })
    }
}

impl HostHandle {
    /// The HTTP front end's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The loopback port the handler listens on (the host's side of the custom-handler
    /// protocol; not an API).
    pub fn handler_port(&self) -> u16 {
        self.worker.port
    }

    /// Kills the handler as a crash would; the host restarts it.
    pub async fn kill_handler(&self) {
        self.worker.kill().await;
    }

    /// The handler process's id (to read its resource use from `/proc`), if it runs as a
    /// process the host supervises.
    pub async fn handler_pid(&self) -> Option<u32> {
        self.worker.pid().await
    }

    /// How many times the handler was restarted.
    pub fn handler_restarts(&self) -> u32 {
        self.worker.restarts()
    }

    /// Stops everything.
    pub async fn shutdown(self) {
        self.stop.notify_waiters();
        for t in &self.tasks {
            t.abort();
        }
        self.worker.shutdown().await;
    }
}

fn empty(status: StatusCode) -> Response<warp::hyper::body::Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = status;
    r
}

/// A missing or wrong function key, refused as RFC 9457 problem JSON like the handler's own
/// refusals (Azure's host answers this 401 with an empty body; locally, the operator is told
/// what to send).
fn unauthorized() -> Response<Bytes> {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": "Function key required",
        "status": 401,
        "detail": "missing or wrong function key: send it in the x-functions-key header (or the code query parameter); `offboard local` writes it to <data>/function-key",
    });
    let mut r = Response::new(Bytes::from(body.to_string()));
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    r.headers_mut().insert(
        warp::http::header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static("application/problem+json"),
    );
    r
}

fn authorized(front: &Front, f: &FunctionDef, headers: &HeaderMap, query: &str) -> bool {
    let Trigger::Http { auth_level, .. } = &f.trigger else {
        return false;
    };
    match auth_level {
        AuthLevel::Anonymous => true,
        // The stand-in has one key for function and admin levels.
        AuthLevel::Function | AuthLevel::Admin => {
            let given = headers
                .get("x-functions-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .or_else(|| {
                    url_query(query)
                        .into_iter()
                        .find(|(k, _)| k == "code")
                        .map(|(_, v)| v)
                });
            given.is_some_and(|g| {
                use subtle::ConstantTimeEq;
                g.len() == front.function_key.len()
                    && bool::from(g.as_bytes().ct_eq(front.function_key.as_bytes()))
            })
        }
    }
}

fn url_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

async fn serve_http<S, B>(
    front: Front,
    method: Method,
    path: warp::path::FullPath,
    query: String,
    headers: HeaderMap,
    body: S,
) -> Response<Bytes>
where
    S: futures::Stream<Item = Result<B, warp::Error>> + Unpin,
    B: bytes::Buf,
{
    // Route and authorise the path the handler will be given, never the raw one.
    let segments = match normalise_path(path.as_str()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "request refused before routing");
            return empty(StatusCode::BAD_REQUEST);
        }
    };
    let forwarded = forwarded_path(&segments);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let prefix = front.app.host.route_prefix.trim_matches('/');
    let rest: &[&str] = if prefix.is_empty() {
        &segments
    } else if segments
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case(prefix))
    {
        &segments[1..]
    } else {
        return empty(StatusCode::NOT_FOUND);
    };
    let found = front.app.functions.values().find(|f| match &f.trigger {
        Trigger::Http { methods, route, .. } => {
            let method_ok = methods.is_empty() || methods.iter().any(|m| m == method.as_str());
            method_ok && match_route(route, rest).is_some()
        }
        _ => false,
    });
    let Some(f) = found else {
        return empty(StatusCode::NOT_FOUND);
    };
    if !authorized(&front, f, &headers, &query) {
        return unauthorized();
    }
    let length = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = match read_body(length, body, front.body_limit).await {
        Ok(b) => b,
        Err(e @ RequestError::TooLarge(_)) => {
            tracing::warn!(function = %f.name, error = %e, "request refused");
            return empty(StatusCode::PAYLOAD_TOO_LARGE);
        }
        Err(e) => {
            tracing::warn!(function = %f.name, error = %e, "request refused");
            return empty(StatusCode::BAD_REQUEST);
        }
    };
    if !front.worker.wait_up(Duration::from_secs(30)).await {
        return empty(StatusCode::SERVICE_UNAVAILABLE);
    }
    let invocation_id = uuid::Uuid::new_v4().to_string();
    if front.app.host.forward_http && f.is_http_only() {
        let mut url = format!("http://127.0.0.1:{}{forwarded}", front.worker.port);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        let mut req = front
            .client
            .request(method, &url)
            .header("x-azure-functions-invocationid", &invocation_id)
            .body(body);
        for (k, v) in headers.iter() {
            if !HOP_BY_HOP.contains(&k.as_str()) {
                req = req.header(k, v);
            }
        }
        return match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                let bytes = resp.bytes().await.unwrap_or_default();
                let mut out = Response::new(bytes);
                *out.status_mut() = status;
                for (k, v) in headers.iter() {
                    if !HOP_BY_HOP.contains(&k.as_str()) {
                        out.headers_mut().append(k, v.clone());
                    }
                }
                out
            }
            Err(e) => {
                tracing::error!(function = %f.name, error = %e, "handler did not answer");
                empty(StatusCode::BAD_GATEWAY)
            }
        };
    }
    crate::invoke::http_invocation(
        &front,
        f,
        &method,
        &forwarded,
        &query,
        &headers,
        &body,
        &invocation_id,
    )
    .await
}
