//! What the two HTTP sinks share: one client without redirects, the reading of an answer as
//! success, transient or permanent failure, and error text that never holds the URL.

use std::error::Error as _;
use std::time::Duration;

use super::sink::SinkError;

/// Timeout of one POST. Standard Webhooks recommends giving receivers 15 to 30 s; Teams answers
/// in well under that.
pub(crate) const POST_TIMEOUT: Duration = Duration::from_secs(20);

/// An HTTP client that does not follow redirects: a 3xx is an error to fix in the settings
/// (Standard Webhooks: "3xx: Failure"), and following one would send a signed body, or a body
/// meant for a secret URL, to a host nobody configured.
pub(crate) fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("offboard-notify/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("could not build the HTTP client: {}", e.without_url()))
}

/// Reads a non-success status as a [`SinkError`]: 408, 425, 429 and 5xx may pass (transient,
/// honouring `Retry-After`); 3xx and other 4xx will not (permanent), with what to do.
pub(crate) fn status_error(
    sink: &str,
    host: &str,
    status: u16,
    retry_after: Option<Duration>,
    permanent_hint: &str,
) -> SinkError {
    match status {
        408 | 425 | 429 | 500..=599 => SinkError::Transient {
            sink: sink.to_owned(),
            detail: format!("{host} answered HTTP {status}"),
            retry_after,
        },
        300..=399 => SinkError::Permanent {
            sink: sink.to_owned(),
            detail: format!(
                "{host} answered HTTP {status} (a redirect, not followed): set the final URL"
            ),
        },
        410 => SinkError::Permanent {
            sink: sink.to_owned(),
            detail: format!(
                "{host} answered HTTP 410 Gone: the receiver no longer accepts messages; remove the setting or set a new URL"
            ),
        },
        _ => SinkError::Permanent {
            sink: sink.to_owned(),
            detail: format!("{host} answered HTTP {status}: {permanent_hint}"),
        },
    }
}

/// `Retry-After` in delay-seconds (the form throttling receivers use); an HTTP date is ignored.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs = v.trim().parse::<f64>().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3_600.0)))
}

/// A transport failure (no answer) as a [`SinkError`]: always transient (the receiver may be
/// back on the retry), and described without the URL, which may be a secret.
pub(crate) fn transport_error(sink: &str, host: &str, e: reqwest::Error) -> SinkError {
    let what = if e.is_timeout() {
        format!(
            "no answer from {host} within {} s (it may have received the message; the retry can deliver it twice)",
            POST_TIMEOUT.as_secs()
        )
    } else if e.is_connect() {
        format!("could not connect to {host}")
    } else {
        format!("the request to {host} failed")
    };
    let e = e.without_url();
    let mut causes = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    let detail = if causes.is_empty() {
        format!("{what}: {e}")
    } else {
        format!("{what}: {e}: {}", causes.join(": "))
    };
    SinkError::Transient {
        sink: sink.to_owned(),
        detail,
        retry_after: None,
    }
}

/// Removes `secret` from `text` wherever it occurs (belt and braces over errors from libraries
/// that might quote a URL).
pub(crate) fn redact(text: String, secret: &str) -> String {
    if secret.is_empty() || !text.contains(secret) {
        return text;
    }
    text.replace(secret, "[redacted]")
}

/// Applies [`redact`] to a [`SinkError`]'s detail.
pub(crate) fn redact_error(e: SinkError, secret: &str) -> SinkError {
    match e {
        SinkError::Transient {
            sink,
            detail,
            retry_after,
        } => SinkError::Transient {
            sink,
            detail: redact(detail, secret),
            retry_after,
        },
        SinkError::Permanent { sink, detail } => SinkError::Permanent {
            sink,
            detail: redact(detail, secret),
        },
    }
}
