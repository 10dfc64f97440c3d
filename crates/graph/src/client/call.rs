//! What one call is: the bounds on its retries, the call as the typed operations describe
//! it, and its raw successful answer. A leaf: the client and the retry loop both read it.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::pace::WriteClass;

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
