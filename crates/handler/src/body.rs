//! Reading a request body with a hard size limit, so a large body is refused with 413
//! before it is buffered, whether or not the client sent `Content-Length`.

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};

/// Largest request body offboard accepts (1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Over [`MAX_BODY`].
    #[error("request body is larger than {MAX_BODY} bytes")]
    TooLarge,
    /// The connection failed mid-body.
    #[error("request body could not be read: {0}")]
    Read(String),
}

/// Collects `stream` into one buffer, refusing more than `limit` bytes.
pub async fn collect<S, B, E>(
    content_length: Option<u64>,
    mut stream: S,
    limit: usize,
) -> Result<Bytes, BodyError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: Buf,
    E: std::fmt::Display,
{
    if content_length.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut out = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk.map_err(|e| BodyError::Read(e.to_string()))?;
        if out.len() + chunk.remaining() > limit {
            return Err(BodyError::TooLarge);
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
