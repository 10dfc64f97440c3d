//! Hashing over RFC 8785 canonical JSON.

use serde::Serialize;

use crate::ids::Sha256Digest;

/// The `prev_hash` of the first record of a chain: 32 zero bytes.
pub const GENESIS: Sha256Digest = Sha256Digest::ZERO;

/// SHA-256 of the RFC 8785 (JCS) canonical JSON of `value` with its top-level `hash`
/// member removed. Every hash in offboard's evidence is computed this way, so any
/// implementation of JCS and SHA-256 can re-check it.
pub fn hash_of<T: Serialize>(value: &T) -> Result<Sha256Digest, serde_json::Error> {
    let mut v = serde_json::to_value(value)?;
    if let Some(obj) = v.as_object_mut() {
        obj.remove("hash");
    }
    let bytes = serde_json_canonicalizer::to_vec(&v)?;
    Ok(Sha256Digest::of(&bytes))
}

/// Timestamps in evidence: UTC with exactly three fraction digits (`2026-11-26T10:00:00.123Z`).
pub mod millis {
    use chrono::{DateTime, SubsecRound, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Truncates to whole milliseconds, so what is hashed is what is stored.
    pub fn trunc(t: DateTime<Utc>) -> DateTime<Utc> {
        t.trunc_subsecs(3)
    }

    /// The one text form of an instant in anything offboard hashes:
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`. Evidence already written was hashed over this form, so
    /// it must never change.
    pub fn text(t: DateTime<Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// Serialises as [`text`].
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text(*t))
    }

    /// Parses any RFC 3339 instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }

    /// The same for optional timestamps.
    pub mod option {
        use super::*;

        /// Serialises `Some` as a millisecond timestamp and `None` as null.
        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        /// Parses null or an RFC 3339 instant.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            let s: Option<String> = Option::deserialize(d)?;
            s.map(|s| {
                DateTime::parse_from_rfc3339(&s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(serde::de::Error::custom)
            })
            .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_ignores_member_order_and_the_hash_member() {
        let a = json!({"b": 1, "a": "x", "hash": "whatever"});
        let b = json!({"a": "x", "b": 1});
        assert_eq!(hash_of(&a).unwrap(), hash_of(&b).unwrap());
        // JCS of {"a":"x","b":1}
        assert_eq!(
            hash_of(&b).unwrap(),
            Sha256Digest::of(br#"{"a":"x","b":1}"#)
        );
    }
}
