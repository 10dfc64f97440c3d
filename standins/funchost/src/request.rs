//! What the host does to an HTTP request before it routes it: the path is decoded and
//! normalised, and the body is read against the request size limit.
//!
//! The real host runs on Kestrel, which percent-decodes the path (all but `%2F`) and resolves
//! dot segments *before* routing, then authorises the function the normalised path names and
//! forwards that path. A host that matched the raw path and forwarded a normalised one would
//! let `/api/scim/v2/../../cases` (an anonymous route, by its raw path) reach `/api/cases`
//! (a function-key route) without a key. This stand-in decodes the same way and refuses any
//! `.` or `..` segment, raw or percent-encoded, with `400`: stricter than Kestrel, which
//! resolves them, so nothing reaches a function here that would not reach it in Azure, and no
//! client of offboard sends them (HTTP clients resolve dot segments before sending).
//!
//! The body limit is the `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` app setting (bytes; 100 MB when
//! unset, as in Azure). Like Kestrel, the host refuses a `Content-Length` over the limit before
//! reading a byte, and counts the bytes of a body without one while it reads them, answering
//! `413` as soon as the limit is passed: no body over the limit is ever held in memory.

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use percent_encoding::percent_decode_str;

/// The app setting that sets the request body limit, in bytes.
pub const BODY_LIMIT_SETTING: &str = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT";

/// The request body limit of the Functions host when [`BODY_LIMIT_SETTING`] is unset (100 MB).
pub const DEFAULT_BODY_LIMIT: u64 = 104_857_600;

/// Reads [`BODY_LIMIT_SETTING`] from the app settings; a value that is not a positive number
/// of bytes is refused at start rather than ignored.
pub fn body_limit(
    settings: &std::collections::BTreeMap<String, String>,
) -> Result<u64, RequestError> {
    match settings.get(BODY_LIMIT_SETTING) {
        None => Ok(DEFAULT_BODY_LIMIT),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| RequestError::BadLimit(v.clone())),
    }
}

/// Why a request was refused before routing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    /// A `.` or `..` segment, raw or percent-encoded.
    #[error("the path has a dot segment")]
    DotSegment,
    /// A segment that does not decode to UTF-8 text, or decodes to a `/`.
    #[error("the path has a segment that does not decode to a path segment")]
    BadSegment,
    /// The body is larger than the limit.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(u64),
    /// The body could not be read.
    #[error("the request body could not be read: {0}")]
    Read(String),
    /// The limit setting is not a positive number of bytes.
    #[error("{BODY_LIMIT_SETTING} must be a positive number of bytes, not {0:?}")]
    BadLimit(String),
}

/// The path's segments, percent-decoded, without empty segments; refuses dot segments.
pub fn normalise_path(raw: &str) -> Result<Vec<String>, RequestError> {
    let mut out = Vec::new();
    for seg in raw.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode_str(seg)
            .decode_utf8()
            .map_err(|_| RequestError::BadSegment)?;
        if decoded == "." || decoded == ".." {
            return Err(RequestError::DotSegment);
        }
        // Kestrel leaves `%2F` encoded; a decoded slash would change the route's shape.
        if decoded.contains('/') {
            return Err(RequestError::BadSegment);
        }
        out.push(decoded.into_owned());
    }
    Ok(out)
}

/// The path as the host forwards it: the normalised segments, percent-encoded again where a
/// path segment needs it.
pub fn forwarded_path(segments: &[String]) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    // RFC 3986 pchar: unreserved / sub-delims / ":" / "@" pass; everything else is encoded.
    const SEGMENT: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'/')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'[')
        .add(b'\\')
        .add(b']')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}');
    let mut path = String::new();
    for s in segments {
        path.push('/');
        path.extend(utf8_percent_encode(s, SEGMENT));
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

/// Reads `stream` whole, refusing a declared or counted length over `limit` bytes as soon as
/// it is known.
pub async fn read_body<S, B, E>(
    content_length: Option<u64>,
    mut stream: S,
    limit: u64,
) -> Result<Bytes, RequestError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: Buf,
    E: std::fmt::Display,
{
    if content_length.is_some_and(|n| n > limit) {
        return Err(RequestError::TooLarge(limit));
    }
    let mut out = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk.map_err(|e| RequestError::Read(e.to_string()))?;
        if (out.len() + chunk.remaining()) as u64 > limit {
            return Err(RequestError::TooLarge(limit));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            out.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_refused_raw_and_encoded() {
        for p in [
            "/api/scim/v2/../../cases",
            "/api/scim/v2/%2e%2e/%2E%2E/cases",
            "/api/scim/v2/.%2e/cases",
            "/api/./cases",
            "/api/%2e/cases",
        ] {
            assert_eq!(normalise_path(p), Err(RequestError::DotSegment), "{p}");
        }
        assert_eq!(
            normalise_path("/api/scim/v2/Users%2F..%2F..%2Fcases"),
            Err(RequestError::BadSegment)
        );
        assert_eq!(
            normalise_path("/api/%ff"),
            Err(RequestError::BadSegment),
            "not UTF-8"
        );
    }

    #[test]
    fn ordinary_paths_decode_and_forward_unchanged() {
        let s = normalise_path("/api/scim/v2/Users/a%20b//x").unwrap();
        assert_eq!(s, ["api", "scim", "v2", "Users", "a b", "x"]);
        assert_eq!(forwarded_path(&s), "/api/scim/v2/Users/a%20b/x");
        let s = normalise_path("/api/scim/v2/Users/.search").unwrap();
        assert_eq!(forwarded_path(&s), "/api/scim/v2/Users/.search");
        assert_eq!(forwarded_path(&[]), "/");
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused_while_reading() {
        let chunks = |n: usize| {
            futures::stream::iter(
                (0..n).map(|_| Ok::<_, std::convert::Infallible>(Bytes::from(vec![0u8; 1000]))),
            )
        };
        assert_eq!(
            read_body(Some(10_001), chunks(0), 10_000).await,
            Err(RequestError::TooLarge(10_000)),
            "declared length"
        );
        assert_eq!(
            read_body(None, chunks(11), 10_000).await,
            Err(RequestError::TooLarge(10_000)),
            "counted length"
        );
        assert_eq!(
            read_body(None, chunks(10), 10_000).await.unwrap().len(),
            10_000
        );
    }

    #[test]
    fn the_limit_setting_is_read_or_refused() {
        let mut s = std::collections::BTreeMap::new();
        assert_eq!(body_limit(&s), Ok(DEFAULT_BODY_LIMIT));
        s.insert(BODY_LIMIT_SETTING.to_owned(), "1048576".to_owned());
        assert_eq!(body_limit(&s), Ok(1_048_576));
        s.insert(BODY_LIMIT_SETTING.to_owned(), "1MB".to_owned());
        assert!(body_limit(&s).is_err());
    }
}
