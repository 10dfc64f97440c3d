//! What the direct writer gives up on, shared by its parts: the error that sends a value to
//! the `Value` path, and the names that always do.

use std::fmt;

use serde::ser;

/// The fast path cannot serialise this value exactly as `serde_json::to_value` would; take
/// the `Value` path instead.
#[derive(Debug)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not supported by the direct canonical writer")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Unsupported
    }
}

pub(super) type Result<T> = std::result::Result<T, Unsupported>;

/// serde_json's private marker names (`RawValue`, arbitrary-precision `Number`): what they
/// serialise to is only known to serde_json, so those values take the `Value` path.
pub(super) fn is_private(name: &str) -> bool {
    name.starts_with("$serde_json::private::")
}
