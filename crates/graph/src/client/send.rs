//! The retry loop shared by Graph and Exchange calls: a managed-identity token (refreshed
//! once on 401), write pacing, the journal announcement before a write, `Retry-After` and
//! backoff with jitter, and error classification.

use std::time::Duration;

use azure_core::credentials::TokenCredential;
use rand::Rng as _;
use tracing::{debug, warn};

use crate::error::{ErrorInfo, GraphError, classify};
use crate::journal::{self, WriteAnnouncement};
use crate::pace::WritePacer;

use super::call::{Call, Raw, RetryOptions};
use super::error_body::{decode_error, error_info};

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
