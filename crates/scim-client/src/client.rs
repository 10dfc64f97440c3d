//! The client: one method per request offboard makes of a system (find, read, deactivate,
//! delete), each answering with the HTTP status and the system's request id for evidence.

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::json;
use std::time::Duration;
use url::Url;

use crate::auth::{Authenticator, Credential};
use crate::error::{ScimError, quote};
use crate::model::{ListResponse, ScimUser, UserFilter};

/// The media type of SCIM requests and answers (RFC 7644 §3.1).
const SCIM_JSON: &str = "application/scim+json";
/// `Retry-After` when a throttling answer gives none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Response headers systems put their request id in, in the order they are read.
const REQUEST_ID_HEADERS: [&str; 4] = [
    "x-request-id",
    "request-id",
    "x-github-request-id",
    "x-correlation-id",
];

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ScimClientOptions {
    /// One request's time limit.
    pub timeout: Duration,
    /// Attempts for a transient failure (`5xx`, no connection) before it is returned.
    pub attempts: u32,
    /// The first pause between those attempts (doubled each time).
    pub backoff: Duration,
    /// Wait in-process for a `Retry-After` up to this long; a longer one is returned as
    /// [`ScimError::Throttled`]. Queue workers use zero: the step is re-enqueued with the
    /// delay instead, so no worker sleeps on a throttled system.
    pub wait_for_retry_after: Duration,
}

impl Default for ScimClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            attempts: 3,
            backoff: Duration::from_millis(250),
            wait_for_retry_after: Duration::from_secs(10),
        }
    }
}

impl ScimClientOptions {
    /// For queue workers: never sleep on `Retry-After` (the engine re-enqueues the step),
    /// three quick attempts on a transient failure.
    pub fn for_queue_workers() -> Self {
        Self {
            wait_for_retry_after: Duration::ZERO,
            ..Self::default()
        }
    }
}

/// An answer, with what evidence records about the request that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<T> {
    /// What the system answered.
    pub value: T,
    /// The HTTP status.
    pub status: u16,
    /// The system's request id, when it sends one.
    pub request_id: Option<String>,
}

/// A SCIM 2.0 service provider's `/Users` endpoint.
pub struct ScimClient {
    http: reqwest::Client,
    base: Url,
    auth: Authenticator,
    options: ScimClientOptions,
}

impl std::fmt::Debug for ScimClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl ScimClient {
    /// A client of the service provider at `base` (the URL `/Users` is under, e.g.
    /// `https://api.github.com/scim/v2/enterprises/contoso`).
    pub fn new(
        base: Url,
        credential: Credential,
        options: ScimClientOptions,
    ) -> Result<Self, ScimError> {
        if base.cannot_be_a_base() {
            return Err(ScimError::Invalid {
                detail: format!("{base} cannot be a base URL"),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .build()
            .map_err(|e| ScimError::Invalid {
                detail: format!("the HTTP client could not be built: {e}"),
            })?;
        Ok(Self {
            http,
            base,
            auth: Authenticator::new(credential),
            options,
        })
    }

    /// The base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `GET /Users?filter=…`: every user the filter matches (a well-kept system has at most
    /// one; the caller decides what several mean).
    pub async fn find(&self, filter: &UserFilter) -> Result<Answer<Vec<ScimUser>>, ScimError> {
        let mut url = self.users_url(None);
        url.query_pairs_mut()
            .append_pair("filter", &filter.expression())
            // Two are enough to see that the filter is ambiguous.
            .append_pair("count", "2");
        let (status, request_id, body) = self.send(Method::GET, url, None).await?;
        if status == StatusCode::NOT_FOUND {
            // Some systems answer an empty search with 404 instead of an empty list.
            return Ok(Answer {
                value: Vec::new(),
                status: status.as_u16(),
                request_id,
            });
        }
        let list: ListResponse = parse(&body, "a ListResponse")?;
        if list
            .total_results
            .is_some_and(|n| n > list.resources.len() as u64)
            && list.resources.len() < 2
        {
            return Err(ScimError::Invalid {
                detail: format!(
                    "the search {filter} reported {} results but returned {}",
                    list.total_results.unwrap_or_default(),
                    list.resources.len()
                ),
            });
        }
        Ok(Answer {
            value: list.resources,
            status: status.as_u16(),
            request_id,
        })
    }

    /// `GET /Users/{id}`: the user, or none when the system no longer has it (`404`).
    pub async fn get(&self, id: &str) -> Result<Answer<Option<ScimUser>>, ScimError> {
        let (status, request_id, body) = self
            .send(Method::GET, self.users_url(Some(id)), None)
            .await?;
        let value = if status == StatusCode::NOT_FOUND {
            None
        } else {
            Some(parse(&body, "a User")?)
        };
        Ok(Answer {
            value,
            status: status.as_u16(),
            request_id,
        })
    }

    /// `PATCH /Users/{id}` replacing `active` with `false` (RFC 7644 §3.5.2.3). The value
    /// is true when the system still had the user, false when it answered `404` (already
    /// gone). Read the user back with [`ScimClient::get`]: many systems answer `204`.
    pub async fn deactivate(&self, id: &str) -> Result<Answer<bool>, ScimError> {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": false}],
        });
        let (status, request_id, _) = self
            .send(Method::PATCH, self.users_url(Some(id)), Some(body))
            .await?;
        Ok(Answer {
            value: status != StatusCode::NOT_FOUND,
            status: status.as_u16(),
            request_id,
        })
    }

    /// `DELETE /Users/{id}`. The value is true when the system deleted the user, false when
    /// it answered `404` (already gone).
    pub async fn delete(&self, id: &str) -> Result<Answer<bool>, ScimError> {
        let (status, request_id, _) = self
            .send(Method::DELETE, self.users_url(Some(id)), None)
            .await?;
        Ok(Answer {
            value: status != StatusCode::NOT_FOUND,
            status: status.as_u16(),
            request_id,
        })
    }

    /// `{base}/Users` or `{base}/Users/{id}`, the id as one path segment.
    fn users_url(&self, id: Option<&str>) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("Users");
            if let Some(id) = id {
                segments.push(id);
            }
        }
        url
    }

    /// Sends one request, retrying transient failures and short throttling pauses, and
    /// answers a success or `404` with its body; every other answer is a [`ScimError`].
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<(StatusCode, Option<String>, String), ScimError> {
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let result = self
                .send_once(method.clone(), url.clone(), body.as_ref())
                .await;
            match result {
                Err(ScimError::Transient { .. }) if attempt < self.options.attempts => {
                    let pause = self.options.backoff * 2u32.saturating_pow(attempt - 1);
                    tracing::debug!(%method, path = url.path(), attempt, "SCIM request failed, retrying in {pause:?}");
                    tokio::time::sleep(pause).await;
                }
                Err(ScimError::Throttled { retry_after, .. })
                    if retry_after <= self.options.wait_for_retry_after
                        && attempt < self.options.attempts =>
                {
                    tracing::debug!(%method, path = url.path(), "SCIM request throttled, again in {retry_after:?}");
                    tokio::time::sleep(retry_after).await;
                }
                Err(ScimError::Unauthorized { status: 401, .. })
                    if !renewed && self.auth.forget().await =>
                {
                    // An OAuth access token can be revoked before it expires: one new one.
                    renewed = true;
                }
                other => return other,
            }
        }
    }

    async fn send_once(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<(StatusCode, Option<String>, String), ScimError> {
        let mut authorization = reqwest::header::HeaderValue::from_str(
            self.auth.header(&self.http).await?.expose_secret(),
        )
        .map_err(|_| ScimError::Invalid {
            detail: "the credential holds characters an HTTP header cannot carry".into(),
        })?;
        // Kept out of every Debug print of the request.
        authorization.set_sensitive(true);
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header("Authorization", authorization)
            .header("Accept", SCIM_JSON);
        if let Some(body) = body {
            request = request
                .header("Content-Type", SCIM_JSON)
                .body(body.to_string());
        }
        let path = url.path().to_owned();
        let response = request.send().await.map_err(|e| ScimError::Transient {
            status: None,
            // reqwest's error names the URL (never a header); the query holds only the filter.
            detail: format!("{method} {path}: no answer: {}", without_url(&e)),
        })?;
        let status = response.status();
        let request_id = REQUEST_ID_HEADERS.iter().find_map(|h| {
            response
                .headers()
                .get(*h)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response.text().await.map_err(|e| ScimError::Transient {
            status: Some(status.as_u16()),
            detail: format!("{method} {path}: the answer broke off: {}", without_url(&e)),
        })?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            return Ok((status, request_id, text));
        }
        let (scim_type, said) = quote(&text);
        let detail = format!("{method} {path}: {said}");
        let code = status.as_u16();
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => ScimError::Throttled {
                retry_after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
                status: code,
                detail,
            },
            StatusCode::SERVICE_UNAVAILABLE if retry_after.is_some() => ScimError::Throttled {
                retry_after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
                status: code,
                detail,
            },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ScimError::Unauthorized {
                status: code,
                detail,
            },
            StatusCode::REQUEST_TIMEOUT => ScimError::Transient {
                status: Some(code),
                detail,
            },
            s if s.is_server_error() => ScimError::Transient {
                status: Some(code),
                detail,
            },
            _ => ScimError::Refused {
                status: code,
                scim_type,
                detail,
            },
        })
    }
}

/// A reqwest error without the URL it carries (the caller names the path itself).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the body could not be read"
    } else {
        "the request failed"
    };
    match std::error::Error::source(e) {
        Some(source) => format!("{kind} ({source})"),
        None => kind.to_owned(),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &str, what: &str) -> Result<T, ScimError> {
    serde_json::from_str(body).map_err(|e| ScimError::Invalid {
        detail: format!("the system's answer is not {what}: {e}"),
    })
}
