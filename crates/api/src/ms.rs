//! Timestamps in API answers: UTC with exactly three fraction digits, like evidence
//! (`YYYY-MM-DDTHH:MM:SS.mmmZ`). Reading accepts only that form, so a client (or a test)
//! that reads an answer also checks its timestamps are written as promised.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serializer};

const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn text(t: &DateTime<Utc>) -> String {
    t.format(FORMAT).to_string()
}

/// Reads [`text`]'s form, and nothing else (no offset other than `Z`, exactly three fraction
/// digits).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    // 24 characters: chrono would also read more or fewer fraction digits.
    if s.len() != 24 || s.as_bytes()[19] != b'.' {
        return None;
    }
    NaiveDateTime::parse_from_str(s, FORMAT)
        .ok()
        .map(|t| t.and_utc())
}

/// Serialises as [`text`].
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&text(t))
}

/// Deserialises [`text`]'s form.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    parse(&s).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "`{s}` is not a UTC time with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ)"
        ))
    })
}

/// The same for optional timestamps (use with `#[serde(default)]`).
pub mod option {
    use super::*;

    /// `Some` as [`text`], `None` as null.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&text(t)),
            None => s.serialize_none(),
        }
    }

    /// Null or absent as `None`, else [`text`]'s form.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => parse(&s).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{s}` is not a UTC time with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ)"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_millisecond_utc_form_is_read_back() {
        let t = parse("2026-11-26T10:00:00.123Z").unwrap();
        assert_eq!(text(&t), "2026-11-26T10:00:00.123Z");
        for other in [
            "2026-11-26T10:00:00Z",
            "2026-11-26T10:00:00.1234Z",
            "2026-11-26T10:00:00.12Z",
            "2026-11-26T10:00:00.123+00:00",
            "2026-11-26 10:00:00.123Z",
            "",
        ] {
            assert!(parse(other).is_none(), "{other}");
        }
    }
}
