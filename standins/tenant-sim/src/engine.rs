//! The request pipeline shared by every endpoint: injected latency and faults, token
//! validation, Graph's write quota, routing, JSON `$batch`, and the request log.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use standin_identity::{EXCHANGE_RESOURCE, GRAPH_RESOURCE, TokenIssuer, ValidatedToken};

use crate::csdl::{self, MetadataFinding};
use crate::exchange::{self, EXCHANGE_READ_ROLES, EXCHANGE_ROLES, ExoError};
use crate::graph::{self, Ctx};
use crate::http::{ApiError, SimRequest, SimResponse};
use crate::model::Tenant;
use crate::sync::DirectorySync;

/// Graph's documented maximum number of requests in one JSON batch.
pub const MAX_BATCH: usize = 20;

/// Behaviour knobs that tests and the command line change (`/_sim/settings`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Writes (POST/PATCH/PUT/DELETE) allowed per app and tenant per window. Graph's identity
    /// and access write quota is 3,000 per 2 min 30 s.
    pub write_quota: u32,
    /// The quota window in milliseconds (150,000 on Graph).
    pub quota_window_ms: u64,
    /// Fraction (0..1) of requests answered with a random status from `fault_statuses`.
    pub fault_rate: f64,
    /// Statuses used for injected faults (Graph's transient ones: 503, 504).
    pub fault_statuses: Vec<u16>,
    /// `Retry-After` seconds sent with injected 503s (none when `None`).
    pub fault_retry_after_secs: Option<u64>,
    /// Latency added to every request, in milliseconds.
    pub latency_ms: u64,
    /// Page size of collections when the request has no `$top`.
    pub page_size: usize,
    /// Check every Graph request and answer against Microsoft's v1.0 metadata and keep what
    /// does not resolve ([`crate::csdl`]); the end-to-end suite turns it on.
    pub check_metadata: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            write_quota: 3_000,
            quota_window_ms: 150_000,
            fault_rate: 0.0,
            fault_statuses: vec![503, 504],
            fault_retry_after_secs: Some(1),
            latency_ms: 0,
            page_size: 100,
            check_metadata: false,
        }
    }
}

/// One entry of the request log (`/_sim/requests`). Passwords in bodies are redacted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// Order of arrival (batch items follow their batch).
    pub seq: u64,
    /// When it was answered.
    pub time: DateTime<Utc>,
    /// `graph` or `exchange`.
    pub service: String,
    /// Method.
    pub method: String,
    /// Path below the service root (`/users/…`, `/$batch`, `/adminapi/beta/{t}/InvokeCommand`).
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Request body with passwords redacted.
    pub body: Option<Value>,
    /// Status answered.
    pub status: u16,
    /// Calling app (`appid` claim), when the token was valid.
    pub app_id: Option<String>,
    /// `request-id` answered.
    pub request_id: String,
    /// The `client-request-id` the caller sent (a batch item carries its batch's), if any:
    /// what a caller can know of its request before the answer arrives.
    #[serde(default)]
    pub client_request_id: Option<String>,
    /// For a `$batch` item: the `request-id` of its batch.
    pub batch_id: Option<String>,
    /// For Exchange: the cmdlet.
    pub cmdlet: Option<String>,
    /// `Retry-After` answered, if any.
    pub retry_after: Option<String>,
}

pub(crate) struct Engine {
    pub tenant: Tenant,
    pub settings: Settings,
    pub log: Vec<LoggedRequest>,
    /// What the metadata check found (when `settings.check_metadata`).
    pub metadata_findings: Vec<MetadataFinding>,
    writes: HashMap<String, VecDeque<Instant>>,
    pub throttle_next: VecDeque<u64>,
    pub fault_next: VecDeque<u16>,
    seq: u64,
    pub sync: Box<dyn DirectorySync>,
}

impl Engine {
    pub fn new(tenant: Tenant, settings: Settings, sync: Box<dyn DirectorySync>) -> Self {
        Self {
            tenant,
            settings,
            log: Vec::new(),
            metadata_findings: Vec::new(),
            writes: HashMap::new(),
            throttle_next: VecDeque::new(),
            fault_next: VecDeque::new(),
            seq: 0,
            sync,
        }
    }

    /// Injected faults, deterministic ones first.
    fn fault(&mut self) -> Option<ApiError> {
        let status = match self.fault_next.pop_front() {
            Some(s) => s,
            None => {
                if self.settings.fault_rate <= 0.0 || self.settings.fault_statuses.is_empty() {
                    return None;
                }
                let mut rng = rand::rng();
                if rng.random::<f64>() >= self.settings.fault_rate {
                    return None;
                }
                let i = rng.random_range(0..self.settings.fault_statuses.len());
                self.settings.fault_statuses[i]
            }
        };
        let mut e = match status {
            503 => ApiError::new(
                503,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
            ),
            504 => ApiError::new(
                504,
                "gatewayTimeout",
                "The request timed out at the gateway.",
            ),
            500 => ApiError::new(500, "generalException", "An unexpected error occurred."),
            other => ApiError::new(other, "UnknownError", "Injected fault."),
        };
        if status == 503
            && let Some(secs) = self.settings.fault_retry_after_secs
        {
            e = e.with_header("Retry-After", secs.to_string());
        }
        Some(e)
    }

    /// Graph's write quota per app and tenant, plus deterministic throttling for tests.
    fn admit(&mut self, app_id: &str, tenant_id: &str, write: bool) -> Result<(), ApiError> {
        let scope = format!("Tenant_Application/ReadWrite/{app_id}/{tenant_id}");
        let throttled = |secs: u64, info: &str| {
            ApiError::new(429, "TooManyRequests", "Too many requests.")
                .with_header("Retry-After", secs.to_string())
                .with_header("x-ms-throttle-scope", scope.clone())
                .with_header("x-ms-throttle-information", info)
        };
        if let Some(secs) = self.throttle_next.pop_front() {
            return Err(throttled(secs, "ResourceUnitLimitExceeded"));
        }
        if !write {
            return Ok(());
        }
        let window = Duration::from_millis(self.settings.quota_window_ms);
        let quota = self.settings.write_quota as usize;
        let now = Instant::now();
        let q = self
            .writes
            .entry(format!("{app_id}/{tenant_id}"))
            .or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        if q.len() >= quota {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = window.saturating_sub(now.duration_since(oldest));
            let secs = wait.as_millis().div_ceil(1000).max(1) as u64;
            return Err(throttled(secs, "WriteLimitExceeded"));
        }
        q.push_back(now);
        Ok(())
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Clears the write-quota history (used when settings change).
    pub fn reset_quota(&mut self) {
        self.writes.clear();
    }

    /// Checks a Graph request and its answer against the v1.0 metadata, when asked to.
    fn check_metadata(&mut self, seq: u64, req: &SimRequest, resp: &SimResponse) {
        if !self.settings.check_metadata {
            return;
        }
        let finding = |what: String| MetadataFinding {
            seq,
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            what,
        };
        match csdl::graph_v1() {
            Ok(model) => {
                let found = csdl::check(
                    model,
                    &req.method,
                    &req.path,
                    &req.query,
                    req.body.as_ref(),
                    resp.status,
                    resp.body.as_ref(),
                );
                self.metadata_findings
                    .extend(found.into_iter().map(finding));
            }
            Err(e) => self.metadata_findings.push(finding(e.to_string())),
        }
    }
}

/// Replaces every `password` property (any depth) with `<redacted>`.
pub fn redact(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    if k.eq_ignore_ascii_case("password") {
                        (k.clone(), Value::String("<redacted>".to_owned()))
                    } else {
                        (k.clone(), redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        other => other.clone(),
    }
}

/// State shared by every request of one simulator.
pub struct Shared {
    pub(crate) engine: Mutex<Engine>,
    /// Issues and validates the tokens (the identity endpoint mounted at `/msi/token`).
    pub issuer: TokenIssuer,
    /// `http://127.0.0.1:P/v1.0`.
    pub graph_base: String,
}

fn date() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn unauthorized(message: String) -> ApiError {
    ApiError::new(401, "InvalidAuthenticationToken", message).with_header(
        "WWW-Authenticate",
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
    )
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn delay(&self) {
        let ms = self.lock().settings.latency_ms;
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    fn authenticate(&self, req: &SimRequest, resource: &str) -> Result<ValidatedToken, String> {
        self.issuer
            .validator()
            .verify_header(req.header("authorization"), resource)
            .map_err(|e| e.to_string())
    }

    /// Answers a request to `/v1.0/...`.
    pub async fn graph(&self, req: SimRequest) -> SimResponse {
        self.delay().await;
        let mut guard = self.lock();
        let eng = &mut *guard;
        let now = Utc::now();
        eng.sync.before_request(&mut eng.tenant, now);
        crate::provisioning::run(&mut eng.tenant, now);
        let request_id = uuid::Uuid::new_v4().to_string();
        let sent_client_request_id = req.header("client-request-id").map(str::to_owned);
        let client_request_id = sent_client_request_id
            .clone()
            .unwrap_or_else(|| request_id.clone());
        let seq = eng.next_seq();
        // Batch items are logged while the batch runs; the batch itself goes before them.
        let log_pos = eng.log.len();
        let mut app_id = None;
        let result = (|| {
            if let Some(f) = eng.fault() {
                return Err(f);
            }
            let token = self
                .authenticate(&req, GRAPH_RESOURCE)
                .map_err(unauthorized)?;
            app_id = Some(token.app_id.clone());
            if req.path == "/$batch" {
                if req.method != "POST" {
                    return Err(ApiError::new(
                        405,
                        "BadRequest",
                        "Specified HTTP method is not allowed for the request target.",
                    ));
                }
                return self.batch(eng, &token, &req, &request_id, now);
            }
            eng.admit(&token.app_id, &token.tenant_id, req.is_write())?;
            let ctx = Ctx {
                roles: &token.roles,
                caller_object_id: &token.object_id,
                base: &self.graph_base,
                page_size: eng.settings.page_size,
                now,
            };
            graph::route(&mut eng.tenant, &ctx, &req)
        })();
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => e.render(&request_id, &client_request_id, &date()),
        };
        resp.headers
            .push(("request-id".to_owned(), request_id.clone()));
        resp.headers
            .push(("client-request-id".to_owned(), client_request_id));
        if req.path != "/$batch" {
            eng.check_metadata(seq, &req, &resp);
        }
        eng.log.insert(
            log_pos,
            LoggedRequest {
                seq,
                time: Utc::now(),
                service: "graph".to_owned(),
                method: req.method.clone(),
                path: req.path.clone(),
                query: req.query.clone(),
                body: req.body.as_ref().map(redact),
                status: resp.status,
                app_id,
                request_id,
                client_request_id: sent_client_request_id,
                batch_id: None,
                cmdlet: None,
                retry_after: resp.header("Retry-After").map(str::to_owned),
            },
        );
        resp
    }

    fn batch(
        &self,
        eng: &mut Engine,
        token: &ValidatedToken,
        req: &SimRequest,
        batch_id: &str,
        now: DateTime<Utc>,
    ) -> Result<SimResponse, ApiError> {
        let invalid =
            |m: &str| ApiError::new(400, "BadRequest", format!("Invalid batch payload: {m}"));
        let items = req
            .body
            .as_ref()
            .and_then(|b| b.get("requests"))
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("the body must be an object with a 'requests' array."))?;
        if items.is_empty() {
            return Err(invalid("the 'requests' array is empty."));
        }
        if items.len() > MAX_BATCH {
            return Err(invalid(&format!(
                "{} requests exceed the limit of {MAX_BATCH} requests in one batch.",
                items.len()
            )));
        }
        struct Item {
            id: String,
            method: String,
            url: String,
            headers: BTreeMap<String, String>,
            body: Option<Value>,
            depends_on: Vec<String>,
        }
        let mut parsed: Vec<Item> = Vec::new();
        for it in items {
            let id = it
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("every request needs an 'id'."))?;
            if parsed.iter().any(|p| p.id.eq_ignore_ascii_case(id)) {
                return Err(invalid(&format!("the request id '{id}' is not unique.")));
            }
            let method = it
                .get("method")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(&format!("request '{id}' has no 'method'.")))?;
            let url = it
                .get("url")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(&format!("request '{id}' has no 'url'.")))?;
            let headers: BTreeMap<String, String> = it
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| {
                    h.iter()
                        .filter_map(|(k, v)| {
                            v.as_str().map(|v| (k.to_ascii_lowercase(), v.to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let body = it.get("body").cloned();
            if body.is_some() && !headers.contains_key("content-type") {
                return Err(invalid(&format!(
                    "request '{id}' has a body but no Content-Type header."
                )));
            }
            let depends_on: Vec<String> = it
                .get("dependsOn")
                .and_then(Value::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            parsed.push(Item {
                id: id.to_owned(),
                method: method.to_ascii_uppercase(),
                url: url.to_owned(),
                headers,
                body,
                depends_on,
            });
        }
        for p in &parsed {
            for d in &p.depends_on {
                if !parsed.iter().any(|q| q.id.eq_ignore_ascii_case(d)) {
                    return Err(invalid(&format!(
                        "request '{}' depends on unknown request '{d}'.",
                        p.id
                    )));
                }
            }
        }
        // Run in dependency order, document order among the ready ones.
        let mut done: Vec<(String, u16)> = Vec::new();
        let mut responses: Vec<Value> = Vec::new();
        let mut remaining: Vec<usize> = (0..parsed.len()).collect();
        while !remaining.is_empty() {
            let ready = remaining.iter().position(|&i| {
                parsed[i]
                    .depends_on
                    .iter()
                    .all(|d| done.iter().any(|(id, _)| id.eq_ignore_ascii_case(d)))
            });
            let Some(pos) = ready else {
                return Err(invalid("the dependsOn references form a cycle."));
            };
            let i = remaining.remove(pos);
            let item = &parsed[i];
            let failed_dep = item.depends_on.iter().any(|d| {
                done.iter()
                    .any(|(id, s)| id.eq_ignore_ascii_case(d) && *s >= 400)
            });
            let request_id = uuid::Uuid::new_v4().to_string();
            let (path, query) = match item.url.split_once('?') {
                Some((p, q)) => (p.to_owned(), q.to_owned()),
                None => (item.url.clone(), String::new()),
            };
            let path = if path.starts_with('/') {
                path
            } else {
                format!("/{path}")
            };
            let sub = SimRequest {
                method: item.method.clone(),
                path,
                query,
                headers: item.headers.clone(),
                body: item.body.clone(),
            };
            let result = if failed_dep {
                Err(ApiError::new(
                    424,
                    "FailedDependency",
                    "The request could not be processed because a request it depends on failed.",
                ))
            } else if sub.path == "/$batch" {
                Err(ApiError::new(
                    400,
                    "BadRequest",
                    "A batch request cannot contain another batch.",
                ))
            } else {
                eng.admit(&token.app_id, &token.tenant_id, sub.is_write())
                    .and_then(|_| {
                        let ctx = Ctx {
                            roles: &token.roles,
                            caller_object_id: &token.object_id,
                            base: &self.graph_base,
                            page_size: eng.settings.page_size,
                            now,
                        };
                        graph::route(&mut eng.tenant, &ctx, &sub)
                    })
            };
            let resp = match result {
                Ok(r) => r,
                Err(e) => e.render(&request_id, &request_id, &date()),
            };
            let mut headers = Map::new();
            for (k, v) in &resp.headers {
                headers.insert(k.clone(), Value::String(v.clone()));
            }
            headers.insert("Cache-Control".to_owned(), json!("no-cache"));
            headers.insert("x-ms-resource-unit".to_owned(), json!("1"));
            if resp.body.is_some() {
                headers.insert("OData-Version".to_owned(), json!("4.0"));
                headers.insert(
                    "Content-Type".to_owned(),
                    json!("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
                );
            }
            let mut entry = Map::new();
            entry.insert("id".to_owned(), json!(item.id));
            entry.insert("status".to_owned(), json!(resp.status));
            entry.insert("headers".to_owned(), Value::Object(headers));
            if let Some(b) = &resp.body {
                entry.insert("body".to_owned(), b.clone());
            }
            responses.push(Value::Object(entry));
            done.push((item.id.clone(), resp.status));
            let seq = eng.next_seq();
            eng.check_metadata(seq, &sub, &resp);
            eng.log.push(LoggedRequest {
                seq,
                time: Utc::now(),
                service: "graph".to_owned(),
                method: sub.method.clone(),
                path: sub.path.clone(),
                query: sub.query.clone(),
                body: sub.body.as_ref().map(redact),
                status: resp.status,
                app_id: Some(token.app_id.clone()),
                request_id,
                client_request_id: req.header("client-request-id").map(str::to_owned),
                batch_id: Some(batch_id.to_owned()),
                cmdlet: None,
                retry_after: resp.header("Retry-After").map(str::to_owned),
            });
        }
        Ok(SimResponse::ok(json!({ "responses": responses })))
    }

    /// Answers `POST /adminapi/beta/{tenant}/InvokeCommand`.
    pub async fn exchange(&self, tenant_segment: &str, req: SimRequest) -> SimResponse {
        self.delay().await;
        let mut guard = self.lock();
        let eng = &mut *guard;
        let now = Utc::now();
        eng.sync.before_request(&mut eng.tenant, now);
        crate::provisioning::run(&mut eng.tenant, now);
        let request_id = uuid::Uuid::new_v4().to_string();
        let seq = eng.next_seq();
        let cmdlet = req
            .body
            .as_ref()
            .and_then(|b| b.pointer("/CmdletInput/CmdletName"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut app_id = None;
        let result: Result<SimResponse, ExoError> = (|| {
            if let Some(f) = eng.fault() {
                return Err(ExoError {
                    status: f.status,
                    exception: "System.Net.WebException".to_owned(),
                    message: f.message,
                });
            }
            let token = self
                .authenticate(&req, EXCHANGE_RESOURCE)
                .map_err(|m| ExoError {
                    status: 401,
                    exception: "System.UnauthorizedAccessException".to_owned(),
                    message: m,
                })?;
            app_id = Some(token.app_id.clone());
            let t = &eng.tenant;
            if !(tenant_segment.eq_ignore_ascii_case(&t.tenant_id)
                || tenant_segment.eq_ignore_ascii_case(&t.domain))
            {
                return Err(ExoError {
                    status: 401,
                    exception: "System.UnauthorizedAccessException".to_owned(),
                    message: format!(
                        "The tenant '{tenant_segment}' in the URL doesn't match the token's tenant."
                    ),
                });
            }
            if !token.has_role("Exchange.ManageAsApp") {
                return Err(ExoError {
                    status: 401,
                    exception: "System.UnauthorizedAccessException".to_owned(),
                    message: "The access token doesn't have the Exchange.ManageAsApp role; grant it to the app's service principal.".to_owned(),
                });
            }
            let reader = !t.has_role_named(&token.object_id, EXCHANGE_ROLES)
                && t.has_role_named(&token.object_id, EXCHANGE_READ_ROLES);
            if reader {
                exchange::view_only(&req)?;
            } else if !t.has_role_named(&token.object_id, EXCHANGE_ROLES) {
                return Err(ExoError {
                    status: 403,
                    exception: "System.UnauthorizedAccessException".to_owned(),
                    message: format!(
                        "The role assigned to application {} isn't supported in this scenario. Please check online documentation for assigning correct Directory Roles to Azure AD Application for EXO App-Only Authentication.",
                        token.app_id
                    ),
                });
            }
            crate::exchange_doors::authorise(&eng.tenant, &req, &token.object_id)?;
            exchange::invoke(&mut eng.tenant, &req)
        })();
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => e.render(&request_id),
        };
        if resp.header("request-id").is_none() {
            resp.headers
                .push(("request-id".to_owned(), request_id.clone()));
        }
        eng.log.push(LoggedRequest {
            seq,
            time: Utc::now(),
            service: "exchange".to_owned(),
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            body: req.body.as_ref().map(redact),
            status: resp.status,
            app_id,
            request_id,
            client_request_id: req.header("client-request-id").map(str::to_owned),
            batch_id: None,
            cmdlet,
            retry_after: resp.header("Retry-After").map(str::to_owned),
        });
        resp
    }
}
