//! The Graph client's transport: managed-identity tokens, `client-request-id`, bounded retries
//! that honour `Retry-After`, one token refresh on 401, paging, and error classification. Every
//! typed call in this crate goes through the same `execute` loop.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use rand::Rng as _;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::{debug, warn};

use crate::error::{ErrorInfo, GraphError, classify};
use crate::journal::{self, WriteAnnouncement};
use crate::pace::{WriteClass, WritePacer, WriteQuota};

/// Microsoft Graph v1.0 in the global cloud.
pub const DEFAULT_GRAPH_ENDPOINT: &str = "https://graph.microsoft.com/v1.0";
/// The scope a managed identity asks for to call Graph with its application permissions.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Bounds on in-process retries. Anything longer is handed back to the caller (the step is
/// re-enqueued with the delay) instead of holding a Functions invocation.
#[derive(Clone, Debug)]
pub struct RetryOptions {
    /// Attempts per call, including the first.
    pub max_attempts: u32,
    /// First back-off delay for transient failures without `Retry-After` (doubles each time).
    pub base_delay: Duration,
    /// Upper bound of one back-off delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` waited in-process; a longer one returns
    /// [`GraphError::Throttled`] at once.
    pub max_retry_after: Duration,
    /// Random extra wait added to `Retry-After` (0..=this) so parallel workers do not return
    /// in lockstep.
    pub retry_after_jitter: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            retry_after_jitter: Duration::from_millis(250),
        }
    }
}

/// Options of a [`GraphClient`] (the Azure SDK convention: `..Default::default()`).
#[derive(Clone, Debug)]
pub struct GraphClientOptions {
    /// Retry bounds.
    pub retry: RetryOptions,
    /// Timeout of one HTTP attempt.
    pub timeout: Duration,
    /// Token scope; keep the default even when the endpoint is a local stand-in.
    pub scope: String,
    /// Most pages followed through `@odata.nextLink` in one listing.
    pub max_pages: usize,
    /// The instance's write pacer, shared by every client of the instance so that together
    /// they stay inside Graph's write quota; `None` gives the client its own, paced to
    /// [`WriteQuota::GRAPH`].
    pub pacer: Option<Arc<WritePacer>>,
    /// The longest a write waits for room in the quota; a write further away is not sent and
    /// comes back as [`GraphError::Throttled`] with the wait, so a queued step is re-enqueued
    /// instead of holding its claim.
    pub max_pace_wait: Duration,
}

impl Default for GraphClientOptions {
    fn default() -> Self {
        Self {
            retry: RetryOptions::default(),
            timeout: Duration::from_secs(30),
            scope: GRAPH_SCOPE.to_owned(),
            max_pages: 50,
            pacer: None,
            max_pace_wait: Duration::from_secs(30),
        }
    }
}

/// A successful answer with what evidence needs: the status and Graph's `request-id`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply<T> {
    /// The typed result.
    pub value: T,
    /// HTTP status.
    pub status: u16,
    /// Graph's `request-id` (of the first page for listings).
    pub request_id: Option<String>,
}

impl<T> Reply<T> {
    /// Replaces the value, keeping status and request id.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            value: f(self.value),
            status: self.status,
            request_id: self.request_id,
        }
    }
}

/// One HTTP call as the typed operations describe it.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub method: Method,
    /// Path below the endpoint (`/users/...`, segments already encoded), or an absolute
    /// `@odata.nextLink` on the same endpoint.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// Safe to repeat after an ambiguous failure (timeout, 500, 504).
    pub idempotent: bool,
    /// Operation name for logs (`getUser`, `assignLicense`…), never ids or secrets.
    pub op: &'static str,
    pub headers: Vec<(&'static str, String)>,
    /// Writes the call makes against Graph's quota (0 for reads; a batch counts its items).
    /// A call with any write can change the tenant, so it is announced to the task's journal
    /// before it is sent (`crate::journal`).
    pub writes: u32,
    /// Who goes first when writes wait for the quota.
    pub class: WriteClass,
}

impl Call {
    pub fn new(method: Method, path: String, op: &'static str) -> Self {
        let idempotent = method != Method::POST;
        let writes = u32::from(method != Method::GET && method != Method::HEAD);
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
            idempotent,
            op,
            headers: Vec::new(),
            writes,
            class: WriteClass::CleanUp,
        }
    }
    /// Marks the call as part of the sign-in cut, which the pacer serves first.
    pub fn sign_in_cut(mut self) -> Self {
        self.class = WriteClass::SignInCut;
        self
    }
    /// Whether the call can change the tenant (by default: anything but a GET or HEAD); a
    /// batch sets its count of write items instead.
    pub fn writes(mut self, yes: bool) -> Self {
        self.writes = u32::from(yes);
        self
    }
    pub fn query(mut self, k: &str, v: impl Into<String>) -> Self {
        self.query.push((k.to_owned(), v.into()));
        self
    }
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }
}

/// A raw successful response.
#[derive(Clone, Debug)]
pub(crate) struct Raw {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Option<Value>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    pub endpoint: String,
    pub credential: Arc<dyn TokenCredential>,
    pub options: GraphClientOptions,
    pub pacer: Arc<WritePacer>,
}

/// Microsoft Graph v1.0 client authenticated by a managed identity (or any
/// [`TokenCredential`]). Cheap to clone. Typed operations live in the modules `users`,
/// `licenses`, `groups`, `roles`, `auth_methods`, `devices`, `onedrive`, `mail` and `batch`.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("endpoint", &self.inner.endpoint)
            .field("scope", &self.inner.options.scope)
            .finish_non_exhaustive()
    }
}

/// Characters left alone in a path segment: unreserved ones and `@` (UPNs).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Percent-encodes one path segment (an id or a UPN such as `a_b.com#EXT#@t.com`).
pub(crate) fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// Parses `Retry-After`: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs));
        }
        return None;
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Reads Graph's error body (`error.code`, `error.message`); tolerant of other shapes.
/// The message that says what went wrong. Graph puts it in `error.message`. Exchange's admin
/// API puts a generic one there ("Error executing cmdlet", "Invalid Operation") and the
/// cmdlet's own in `error.details[0].message` as `code|ExceptionType|text`
/// (`tests/fixtures/exchange/12-*.json` in the tenant simulator records observed bodies);
/// some answers carry it in `innererror.internalException.message` instead.
fn service_message(err: &Value) -> Option<String> {
    const EXCHANGE_GENERIC: [&str; 2] = ["Error executing cmdlet", "Invalid Operation"];
    let top = err.get("message").and_then(Value::as_str);
    let detail = err.pointer("/details/0/message").and_then(Value::as_str);
    let internal = err
        .pointer("/innererror/internalException/message")
        .and_then(Value::as_str);
    let generic = top.is_none_or(|t| EXCHANGE_GENERIC.contains(&t.trim()));
    let chosen = if generic {
        detail.or(internal).or(top)
    } else {
        internal.or(top)
    };
    chosen.map(without_exchange_prefix)
}

/// `Ex6F9304|Microsoft.Exchange…ManagementObjectNotFoundException|The operation…` (or with
/// an empty code) → `The operation… (Microsoft.Exchange…ManagementObjectNotFoundException)`:
/// the text first for people, the exception type kept because callers classify by it
/// (`steps::common::no_mailbox`); any other message as it is.
fn without_exchange_prefix(message: &str) -> String {
    match message.splitn(3, '|').collect::<Vec<_>>().as_slice() {
        [code, kind, text] if !code.contains(' ') && !kind.is_empty() && !kind.contains(' ') => {
            format!("{text} ({kind})")
        }
        _ => message.to_owned(),
    }
}

pub(crate) fn error_info(
    status: u16,
    body: &[u8],
    request_id: Option<String>,
    client_request_id: &str,
) -> ErrorInfo {
    let v: Option<Value> = serde_json::from_slice(body).ok();
    let err = v.as_ref().and_then(|v| v.get("error"));
    let code = err
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("Http{status}"));
    let mut message = err
        .and_then(service_message)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned());
    if message.chars().count() > 2_000 {
        message = message.chars().take(2_000).collect();
    }
    let request_id = request_id.or_else(|| {
        err.and_then(|e| e.pointer("/innerError/request-id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    ErrorInfo {
        status: Some(status),
        code,
        message,
        request_id,
        client_request_id: Some(client_request_id.to_owned()),
    }
}

impl GraphClient {
    /// A client for `endpoint` (`https://graph.microsoft.com/v1.0`, or the tenant simulator's
    /// `http://127.0.0.1:P/v1.0`), authenticating with `credential` — in production
    /// `azure_identity::ManagedIdentityCredential`, system- or user-assigned.
    pub fn new(
        endpoint: impl Into<String>,
        credential: Arc<dyn TokenCredential>,
        options: GraphClientOptions,
    ) -> Result<Self, GraphError> {
        let endpoint = endpoint.into().trim_end_matches('/').to_owned();
        let parsed = url::Url::parse(&endpoint).map_err(|e| {
            GraphError::Permanent(ErrorInfo {
                status: None,
                code: "InvalidEndpoint".to_owned(),
                message: format!("the Graph endpoint '{endpoint}' is not a URL: {e}"),
                request_id: None,
                client_request_id: None,
            })
        })?;
        if parsed.scheme() != "https" && !is_loopback(&parsed) {
            return Err(GraphError::Permanent(ErrorInfo {
                status: None,
                code: "InvalidEndpoint".to_owned(),
                message: format!(
                    "the Graph endpoint '{endpoint}' must use https (plain http is allowed only on loopback for local stand-ins)"
                ),
                request_id: None,
                client_request_id: None,
            }));
        }
        let http = build_http(options.timeout)?;
        let pacer = options
            .pacer
            .clone()
            .unwrap_or_else(|| Arc::new(WritePacer::new(WriteQuota::GRAPH)));
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                endpoint,
                credential,
                options,
                pacer,
            }),
        })
    }

    /// The endpoint this client calls.
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// The write pacer this client's writes go through.
    pub fn pacer(&self) -> &Arc<WritePacer> {
        &self.inner.pacer
    }

    fn url_for(&self, path: &str) -> Result<String, GraphError> {
        if path.starts_with("http://") || path.starts_with("https://") {
            // An @odata.nextLink: never send the token anywhere but the configured endpoint.
            if !path.starts_with(&format!("{}/", self.inner.endpoint)) {
                return Err(GraphError::Permanent(ErrorInfo {
                    status: None,
                    code: "UntrustedNextLink".to_owned(),
                    message: "the service returned a nextLink outside the configured Graph endpoint; refusing to follow it".to_owned(),
                    request_id: None,
                    client_request_id: None,
                }));
            }
            return Ok(path.to_owned());
        }
        Ok(format!("{}{}", self.inner.endpoint, path))
    }

    /// Sends one call with retries; the heart of the client.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Raw, GraphError> {
        let url = self.url_for(&call.path)?;
        send_with_retries(
            &self.inner.http,
            &*self.inner.credential,
            &self.inner.options.scope,
            &self.inner.options.retry,
            Some(Pace {
                pacer: &self.inner.pacer,
                max_wait: self.inner.options.max_pace_wait,
            }),
            &url,
            call,
        )
        .await
    }

    /// Executes and deserialises the body.
    pub(crate) async fn execute_json<T: DeserializeOwned>(
        &self,
        call: &Call,
    ) -> Result<Reply<T>, GraphError> {
        let raw = self.execute(call).await?;
        let body = raw.body.unwrap_or(Value::Null);
        let value =
            serde_json::from_value(body).map_err(|e| decode_error(call.op, e, &raw.request_id))?;
        Ok(Reply {
            value,
            status: raw.status,
            request_id: raw.request_id,
        })
    }

    /// Executes a call without a meaningful body (204/202).
    pub(crate) async fn execute_empty(&self, call: &Call) -> Result<Reply<()>, GraphError> {
        let raw = self.execute(call).await?;
        Ok(Reply {
            value: (),
            status: raw.status,
            request_id: raw.request_id,
        })
    }

    /// Lists a collection, following `@odata.nextLink` up to `max_pages`.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        call: Call,
    ) -> Result<Reply<Vec<T>>, GraphError> {
        let mut items = Vec::new();
        let mut call = call;
        let mut first: Option<(u16, Option<String>)> = None;
        for _ in 0..self.inner.options.max_pages.max(1) {
            let raw = self.execute(&call).await?;
            if first.is_none() {
                first = Some((raw.status, raw.request_id.clone()));
            }
            let body = raw.body.unwrap_or(Value::Null);
            let next = body
                .get("@odata.nextLink")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let Some(values) = body.get("value").and_then(Value::as_array) {
                for v in values {
                    items.push(
                        serde_json::from_value(v.clone())
                            .map_err(|e| decode_error(call.op, e, &raw.request_id))?,
                    );
                }
            }
            match next {
                Some(n) => {
                    call = Call {
                        path: n,
                        query: Vec::new(),
                        ..call
                    };
                }
                None => {
                    let (status, request_id) = first.unwrap_or((200, None));
                    return Ok(Reply {
                        value: items,
                        status,
                        request_id,
                    });
                }
            }
        }
        Err(GraphError::Permanent(ErrorInfo {
            status: None,
            code: "TooManyPages".to_owned(),
            message: format!(
                "{} returned more than {} pages; raise GraphClientOptions::max_pages",
                call.op, self.inner.options.max_pages
            ),
            request_id: first.and_then(|f| f.1),
            client_request_id: None,
        }))
    }
}

fn is_loopback(u: &url::Url) -> bool {
    matches!(
        u.host_str(),
        Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
    )
}

pub(crate) fn build_http(timeout: Duration) -> Result<reqwest::Client, GraphError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("offboard-graph/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            GraphError::Permanent(ErrorInfo {
                status: None,
                code: "HttpClient".to_owned(),
                message: format!("could not build the HTTP client: {e}"),
                request_id: None,
                client_request_id: None,
            })
        })
}

pub(crate) fn decode_error(
    op: &str,
    e: serde_json::Error,
    request_id: &Option<String>,
) -> GraphError {
    GraphError::Permanent(ErrorInfo {
        status: None,
        code: "UnexpectedResponse".to_owned(),
        message: format!("{op}: the response did not have the documented shape: {e}"),
        request_id: request_id.clone(),
        client_request_id: None,
    })
}

pub(crate) async fn token_for(
    credential: &dyn TokenCredential,
    scope: &str,
) -> Result<azure_core::credentials::AccessToken, GraphError> {
    credential.get_token(&[scope], None).await.map_err(|e| {
        // The credential's message names the failing source; it never contains a token.
        GraphError::Transient(ErrorInfo {
            status: None,
            code: "CredentialUnavailable".to_owned(),
            message: format!("could not get a token for {scope}: {e}"),
            request_id: None,
            client_request_id: None,
        })
    })
}

fn backoff(retry: &RetryOptions, attempt: u32) -> Duration {
    let exp = retry
        .base_delay
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    let capped = exp.min(retry.max_delay);
    // Equal jitter: half fixed, half random, so waits spread but never collapse to zero.
    let half = capped / 2;
    let extra = rand::rng().random_range(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
    half + Duration::from_millis(extra)
}

fn jitter(max: Duration) -> Duration {
    let ms = max.as_millis().min(u128::from(u64::MAX)) as u64;
    if ms == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(rand::rng().random_range(0..=ms))
}

/// The write pacing a call goes through (Graph's writes; Exchange has no such quota).
pub(crate) struct Pace<'a> {
    pub pacer: &'a WritePacer,
    pub max_wait: Duration,
}

/// What a write held back by the pacer reports: nothing was sent.
fn paced(call: &Call, pacer: &WritePacer, wait: Duration, client_request_id: &str) -> GraphError {
    GraphError::Throttled {
        retry_after: wait,
        info: ErrorInfo {
            status: None,
            code: "PacedByClient".to_owned(),
            message: format!(
                "{}: not sent; the instance's writes are paced to Graph's write quota ({} writes per {} s) and the next free slot is {} ms away",
                call.op,
                pacer.quota().writes,
                pacer.quota().window.as_secs_f64(),
                wait.as_millis()
            ),
            request_id: None,
            client_request_id: Some(client_request_id.to_owned()),
        },
    }
}

/// Announces a change to the task's journal before it is sent; a journal that cannot record
/// it keeps it from being sent (a transient failure: the caller retries later).
async fn announce(call: &Call, client_request_id: &str) -> Result<(), GraphError> {
    let exchange = call.path.is_empty();
    let write = WriteAnnouncement {
        service: if exchange { "exchange" } else { "graph" },
        method: call.method.as_str(),
        path: call.path.split('?').next().unwrap_or_default(),
        operation: call.op,
        client_request_id,
    };
    journal::announce(write).await.map_err(|why| {
        GraphError::Transient(ErrorInfo {
            status: None,
            code: "NotAnnounced".to_owned(),
            message: format!(
                "{}: not sent, because it could not be recorded first: {why}",
                call.op
            ),
            request_id: None,
            client_request_id: Some(client_request_id.to_owned()),
        })
    })
}

/// The retry loop shared by Graph and Exchange calls.
pub(crate) async fn send_with_retries(
    http: &reqwest::Client,
    credential: &dyn TokenCredential,
    scope: &str,
    retry: &RetryOptions,
    pace: Option<Pace<'_>>,
    url: &str,
    call: &Call,
) -> Result<Raw, GraphError> {
    let client_request_id = uuid::Uuid::new_v4().to_string();
    let mut announced = false;
    let mut attempt: u32 = 0;
    let mut refreshed = false;
    loop {
        attempt += 1;
        let permit = match &pace {
            Some(p) if call.writes > 0 => {
                match p.pacer.acquire(call.class, call.writes, p.max_wait).await {
                    Ok(permit) => Some(permit),
                    Err(wait) => return Err(paced(call, p.pacer, wait, &client_request_id)),
                }
            }
            _ => None,
        };
        // Announced once the pacer lets it go (a write the pacer holds back was not sent and
        // is not announced), and once for all in-client retries, which carry the same id.
        if call.writes > 0 && !announced {
            announce(call, &client_request_id).await?;
            announced = true;
        }
        let token = token_for(credential, scope).await?;
        let mut rb = http
            .request(call.method.clone(), url)
            .bearer_auth(token.token.secret())
            .header("client-request-id", &client_request_id)
            .header("Accept", "application/json");
        for (k, v) in &call.headers {
            rb = rb.header(*k, v);
        }
        if !call.query.is_empty() {
            rb = rb.query(&call.query);
        }
        if let Some(b) = &call.body {
            rb = rb.json(b);
        }
        let result = rb.send().await;
        let (err, retry_after) = match result {
            Err(e) => {
                let info = ErrorInfo {
                    status: None,
                    code: "Transport".to_owned(),
                    message: format!("{}: {}", call.op, e.without_url()),
                    request_id: None,
                    client_request_id: Some(client_request_id.clone()),
                };
                (classify(info, None), None)
            }
            Ok(resp) => {
                let status = resp.status().as_u16();
                let header = |n: &str| {
                    resp.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let request_id = header("request-id");
                let retry_after = header("retry-after").as_deref().and_then(parse_retry_after);
                if let Some(permit) = permit {
                    if status == 429 {
                        permit
                            .throttled(call.writes, retry_after.unwrap_or(Duration::from_secs(1)));
                    } else {
                        permit.sent();
                    }
                }
                let bytes = resp.bytes().await.unwrap_or_default();
                if (200..300).contains(&status) {
                    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
                        None
                    } else {
                        Some(
                            serde_json::from_slice(&bytes)
                                .map_err(|e| decode_error(call.op, e, &request_id))?,
                        )
                    };
                    debug!(
                        op = call.op,
                        status,
                        request_id = request_id.as_deref(),
                        attempt,
                        "graph call succeeded"
                    );
                    return Ok(Raw {
                        status,
                        request_id,
                        body,
                    });
                }
                let info = error_info(status, &bytes, request_id, &client_request_id);
                if status == 401 && !refreshed {
                    // The token was refused (expired, revoked or skewed): get a fresh one from
                    // the credential and try once more.
                    refreshed = true;
                    warn!(op = call.op, code = %info.code, request_id = info.request_id.as_deref(), "token refused; fetching a fresh token and retrying once");
                    continue;
                }
                (classify(info, retry_after), retry_after)
            }
        };
        let wait = match &err {
            GraphError::Throttled { retry_after, .. } if *retry_after <= retry.max_retry_after => {
                Some(*retry_after + jitter(retry.retry_after_jitter))
            }
            GraphError::Transient(info) => {
                // 503 means the request was not processed; other transient failures are
                // ambiguous and are repeated only for idempotent calls.
                let safe = call.idempotent || info.status == Some(503);
                match retry_after {
                    Some(ra) if safe && ra <= retry.max_retry_after => Some(ra),
                    None if safe => Some(backoff(retry, attempt)),
                    _ => None,
                }
            }
            _ => None,
        };
        match wait {
            Some(w) if attempt < retry.max_attempts => {
                warn!(op = call.op, attempt, wait_ms = w.as_millis() as u64, error = %err.info(), "retrying graph call");
                tokio::time::sleep(w).await;
            }
            _ => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_error_says_what_the_cmdlet_said_not_the_generic_envelope() {
        let body = br#"{"error":{"code":"NotFound","message":"Error executing cmdlet","details":[{"code":"Context","target":"","message":"Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'x@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM'."}]}}"#;
        let info = error_info(404, body, None, "c");
        assert_eq!(info.code, "NotFound");
        assert_eq!(
            info.message,
            "The operation couldn't be performed because object 'x@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM'. (Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException)"
        );
    }

    #[test]
    fn an_exchange_detail_without_the_code_prefix_is_taken_whole() {
        let body = br#"{"error":{"code":"BadRequest","message":"Invalid Operation","details":[{"message":"A parameter cannot be found that matches parameter name 'Foo'."}]}}"#;
        let info = error_info(400, body, None, "c");
        assert_eq!(
            info.message,
            "A parameter cannot be found that matches parameter name 'Foo'."
        );
    }

    #[test]
    fn a_graph_error_keeps_its_own_message_over_details() {
        let body = br#"{"error":{"code":"Request_BadRequest","message":"Cannot Update a mail-enabled security groups and or distribution list.","details":[{"code":"x","message":"something narrower"}],"innerError":{"request-id":"r-1"}}}"#;
        let info = error_info(400, body, None, "c");
        assert_eq!(
            info.message,
            "Cannot Update a mail-enabled security groups and or distribution list."
        );
        assert_eq!(info.request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn a_body_that_is_not_json_is_quoted() {
        let info = error_info(502, b"Bad Gateway", None, "c");
        assert_eq!(info.code, "Http502");
        assert_eq!(info.message, "Bad Gateway");
    }
}
