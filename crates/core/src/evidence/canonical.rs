//! Hashing over RFC 8785 canonical JSON.

use std::cell::RefCell;

use serde::Serialize;
use serde_json::Value;

use super::canonical_ser::Writer;
use crate::ids::Sha256Digest;

/// The `prev_hash` of the first record of a chain: 32 zero bytes.
pub const GENESIS: Sha256Digest = Sha256Digest::ZERO;

/// SHA-256 of the RFC 8785 (JCS) canonical JSON of `value` with its top-level `hash`
/// member removed. Every hash in offboard's evidence is computed this way, so any
/// implementation of JCS and SHA-256 can re-check it.
///
/// The canonical text is written straight from `value` into a buffer kept per thread
/// ([`canonical_ser`](super::canonical_ser)); a value that writer does not handle exactly as
/// `serde_json::to_value` would takes [`hash_via_value`], so the bytes hashed are always
/// those of the `Value` path.
pub fn hash_of<T: Serialize>(value: &T) -> Result<Sha256Digest, serde_json::Error> {
    let direct = WRITER.try_with(|cell| {
        // Taken already only if a `Serialize` impl hashed something itself: then the slow way.
        let mut w = cell.try_borrow_mut().ok()?;
        w.clear();
        let digest = w.write(value, true).ok().map(|()| Sha256Digest::of(&w.out));
        if w.out.capacity() > KEEP_AT_MOST {
            // One huge value must not pin its buffer for the thread's lifetime.
            *w = Writer::default();
        }
        digest
    });
    match direct {
        Ok(Some(digest)) => Ok(digest),
        _ => hash_via_value(value),
    }
}

thread_local! {
    /// The buffers [`hash_of`] reuses, one set per thread.
    static WRITER: RefCell<Writer> = RefCell::new(Writer::default());
}

/// Buffers larger than this are dropped after use rather than kept.
const KEEP_AT_MOST: usize = 1 << 20;

/// [`hash_of`] the original way, through a `serde_json::Value`: the definition the direct
/// writer is tested against, and its fallback.
pub(crate) fn hash_via_value<T: Serialize>(value: &T) -> Result<Sha256Digest, serde_json::Error> {
    let mut v = serde_json::to_value(value)?;
    if let Some(obj) = v.as_object_mut() {
        obj.remove("hash");
    }
    let mut bytes = Vec::with_capacity(1024);
    write_canonical(&v, &mut bytes);
    Ok(Sha256Digest::of(&bytes))
}

/// Appends the RFC 8785 canonical form of `v` to `out`: members sorted by their names' UTF-16
/// code units, no whitespace, strings with only the escapes JSON requires (`\b \f \n \r \t`,
/// `\"`, `\\`, other controls as lowercase `\u00xx`), numbers as ECMAScript prints a double.
///
/// The same bytes as `serde_json_canonicalizer::to_vec` (the tests compare them), written
/// straight into one buffer: that crate re-parses every member name and buffers every member
/// separately, which made canonicalisation most of an auditor's verification time.
pub fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            // Every JSON number is a double to JCS; serde_json's are always finite.
            let f = n.as_f64().unwrap_or(0.0);
            out.extend_from_slice(ryu_js::Buffer::new().format_finite(f).as_bytes());
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            // serde_json keeps names in byte order, which is UTF-16 order unless a name mixes
            // characters above U+FFFF with ones in U+E000..U+FFFF: sort only then.
            let astral = sorted
                .iter()
                .any(|(k, _)| k.chars().any(|c| c > '\u{FFFF}'));
            if astral {
                sorted.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            } else if !sorted.is_sorted_by(|a, b| a.0 <= b.0) {
                sorted.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push(b'{');
            for (i, (k, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// JSON values whose canonical form is easy to get wrong (members in UTF-16 order, escapes,
/// numbers at the edges of a double): both writers' tests check them.
#[cfg(test)]
pub(crate) fn tricky_values() -> Vec<Value> {
    use serde_json::json;
    vec![
        json!(null),
        json!([true, false, null, [], {}]),
        json!({"b": 1, "a": "x", "é": 2, "z": {"y": [1, 2.5, -0.0]}}),
        json!({"\u{10000}": 1, "\u{FB33}": 2, "a": 3, "\u{e000}": 4}),
        json!({"s": "quote \" backslash \\ slash / nl \n cr \r tab \t bs \u{8} ff \u{c} nul \u{0} us \u{1f} del \u{7f} é 𝄞 \u{2028}"}),
        json!([
            0,
            1,
            -1,
            9007199254740991_i64,
            9007199254740993_u64,
            u64::MAX,
            i64::MIN
        ]),
        json!([
            0.1,
            1e21,
            1e-7,
            123456789.125,
            5e-324,
            1.7976931348623157e308,
            -1.5e-10,
            100.0
        ]),
        json!({"details": {"attempt": 1, "bodySha256": "ab", "nested": [{"k": "v", "a": [1]}]}}),
    ]
}

/// Timestamps in evidence: UTC with exactly three fraction digits (`2026-11-26T10:00:00.123Z`).
pub mod millis {
    use chrono::{DateTime, Datelike, SubsecRound, Timelike, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Truncates to whole milliseconds, so what is hashed is what is stored.
    pub fn trunc(t: DateTime<Utc>) -> DateTime<Utc> {
        t.trunc_subsecs(3)
    }

    /// The one text form of an instant in anything offboard hashes:
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`. Evidence already written was hashed over this form, so
    /// it must never change.
    pub fn text(t: DateTime<Utc>) -> String {
        let mut buf = [0u8; 24];
        match fast(t, &mut buf) {
            Some(s) => s.to_owned(),
            None => by_pattern(t),
        }
    }

    /// [`text`] into `buf`, for years 0 to 9999 outside a leap second (else `None`): the
    /// offline verifier formats every timestamp of every record, and a `String` each, or
    /// parsing a pattern each time, showed in its profile. The pattern stays the definition,
    /// and the fallback; the tests compare the two.
    fn fast(t: DateTime<Utc>, buf: &mut [u8; 24]) -> Option<&str> {
        let year = t.year();
        let nanos = t.nanosecond();
        if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
            return None;
        }
        fn put(buf: &mut [u8], at: usize, digits: usize, mut v: u32) {
            for i in (at..at + digits).rev() {
                buf[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        *buf = *b"0000-00-00T00:00:00.000Z";
        put(buf, 0, 4, year as u32);
        put(buf, 5, 2, t.month());
        put(buf, 8, 2, t.day());
        put(buf, 11, 2, t.hour());
        put(buf, 14, 2, t.minute());
        put(buf, 17, 2, t.second());
        put(buf, 20, 3, nanos / 1_000_000);
        std::str::from_utf8(buf).ok()
    }

    /// The definition of [`text`]'s form.
    fn by_pattern(t: DateTime<Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use chrono::{NaiveDate, TimeZone};

        #[derive(serde::Serialize)]
        struct Wrapped(#[serde(with = "super")] DateTime<Utc>);

        /// The fast form is the pattern's, byte for byte: 200,000 instants scattered over
        /// years 0 to 9999 at millisecond precision, the ends of that range, a leap second and
        /// years outside it (which take the pattern).
        #[test]
        fn the_fast_form_is_the_patterns() {
            let first = Utc
                .with_ymd_and_hms(0, 1, 1, 0, 0, 0)
                .unwrap()
                .timestamp_millis();
            let last = Utc
                .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
                .unwrap()
                .timestamp_millis()
                + 999;
            let span = (last - first) as u64;
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            let mut instants = vec![first, last];
            for _ in 0..200_000 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                instants.push(first + ((x >> 11) % span) as i64);
            }
            for ms in instants {
                let t = DateTime::from_timestamp_millis(ms).unwrap();
                assert_eq!(text(t), by_pattern(t), "{ms}");
                // Sub-millisecond digits are cut, not rounded, as the pattern does.
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let t = t + chrono::Duration::nanoseconds(((x >> 33) % 1_000_000) as i64);
                assert_eq!(text(t), by_pattern(t), "{ms} + ns");
                assert_eq!(
                    serde_json::to_string(&Wrapped(t)).unwrap(),
                    format!("\"{}\"", by_pattern(t))
                );
            }
            let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_milli_opt(23, 59, 59, 1_500)
                .unwrap()
                .and_utc();
            assert_eq!(text(leap), by_pattern(leap));
            for y in [-1, 10_000] {
                let t = Utc.with_ymd_and_hms(y, 6, 1, 12, 0, 0).unwrap();
                assert_eq!(text(t), by_pattern(t));
            }
            assert_eq!(
                text(Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()),
                "2026-11-26T10:00:00.000Z"
            );
        }
    }

    /// Serialises as [`text`].
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 24];
        match fast(*t, &mut buf) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_str(&by_pattern(*t)),
        }
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

    /// The fast writer must give the reference implementation's bytes exactly: evidence
    /// already written was hashed over them.
    #[test]
    fn the_canonical_writer_matches_the_reference_implementation_byte_for_byte() {
        let values = tricky_values();
        for v in values {
            let mut ours = Vec::new();
            write_canonical(&v, &mut ours);
            let reference = serde_json_canonicalizer::to_vec(&v).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&reference),
                "{v}"
            );
        }
    }
}
