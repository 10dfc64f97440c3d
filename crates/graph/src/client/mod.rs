//! The Graph client's transport: managed-identity tokens, `client-request-id`, bounded retries
//! that honour `Retry-After`, one token refresh on 401, paging, and error classification. Every
//! typed call in this crate goes through the same `execute` loop.
//!
//! This file holds the client, its options and the typed calls' entry points (`execute`,
//! paging); what one call is lives in the leaf `call`, reading an error body in the leaf
//! `error_body`, and the retry loop every call goes through in `send`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ErrorInfo, GraphError};
use crate::pace::{WritePacer, WriteQuota};

mod call;
mod error_body;
mod send;

pub use call::RetryOptions;
pub(crate) use call::{Call, Raw};
pub(crate) use error_body::{decode_error, error_info};
pub(crate) use send::{Pace, parse_retry_after, send_with_retries};

/// Microsoft Graph v1.0 in the global cloud.
pub const DEFAULT_GRAPH_ENDPOINT: &str = "https://graph.microsoft.com/v1.0";
/// The scope a managed identity asks for to call Graph with its application permissions.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

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
