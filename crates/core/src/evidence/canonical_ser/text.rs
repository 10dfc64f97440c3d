//! The text of JSON strings and numbers as RFC 8785 writes them.

/// Appends a JSON string with exactly the escapes RFC 8785 asks for.
pub(super) fn write_str(s: &str, out: &mut Vec<u8>) {
    write_escaped(s.as_bytes(), out);
}

/// Whether JSON requires `b` escaped: `"`, `\\` and the controls below U+0020.
pub(super) fn must_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether any of the eight bytes of `word` [`must_escape`] (exact: a word-at-a-time test
/// that has neither false positives nor false negatives for the answer as a whole).
pub(super) fn any_must_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    below_space | zero_byte(quote) | zero_byte(backslash) != 0
}

/// [`write_str`] over the UTF-8 bytes of a string (escapes are all ASCII, so bytes of
/// multi-byte characters pass through as they are).
pub(super) fn write_escaped(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs escaping (most text).
        if let Some(word) = bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            && !any_must_escape(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        if must_escape(b) {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                _ => &[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xf) as usize],
                ],
            };
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(escape);
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends a number as ECMAScript prints the double `v` (every JSON number is a double to
/// RFC 8785).
pub(super) fn write_f64(v: f64, out: &mut Vec<u8>) {
    if v.is_finite() {
        out.extend_from_slice(ryu_js::Buffer::new().format_finite(v).as_bytes());
    } else {
        // `serde_json::to_value` turns NaN and the infinities into null.
        out.extend_from_slice(b"null");
    }
}

/// The largest integer every smaller one of which a double holds exactly (2^53): up to it
/// ECMAScript prints an integer's decimal digits.
pub(super) const EXACT: u64 = 1 << 53;

pub(super) fn write_u64(v: u64, out: &mut Vec<u8>) {
    if v > EXACT {
        return write_f64(v as f64, out);
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

pub(super) fn write_i64(v: i64, out: &mut Vec<u8>) {
    if v < 0 {
        let m = v.unsigned_abs();
        if m > EXACT {
            return write_f64(v as f64, out);
        }
        out.push(b'-');
        write_u64(m, out);
    } else {
        write_u64(v as u64, out);
    }
}
