//! Decoding what arrives in the URL: query strings (`application/x-www-form-urlencoded`,
//! so `+` is a space) and percent-encoded path segments (a schema URN may arrive as
//! `urn%3Aietf%3A…`).

use super::error::ScimError;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Splits and decodes a raw query string into name/value pairs, in order.
pub fn parse_query(raw: &str) -> Result<Vec<(String, String)>, ScimError> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    let mut out = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name, true);
        let value = decode(value, true);
        match (name, value) {
            (Some(n), Some(v)) => out.push((n, v)),
            _ => {
                return Err(ScimError::invalid_value(
                    "the query string is not valid percent-encoded UTF-8",
                ));
            }
        }
    }
    Ok(out)
}

/// The value of the query parameter `name` (compared without regard to case); the last
/// one wins when it is repeated.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Decodes one percent-encoded path segment (`+` stays a `+`).
pub fn decode_segment(segment: &str) -> Result<String, ScimError> {
    decode(segment, false)
        .ok_or_else(|| ScimError::not_found("the URL path is not valid percent-encoded UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_encoded_queries() {
        let q = parse_query("?filter=userName+eq+%22ada%40contoso.com%22&count=10&flag&x=a%2Bb")
            .unwrap();
        assert_eq!(param(&q, "FILTER"), Some("userName eq \"ada@contoso.com\""));
        assert_eq!(param(&q, "count"), Some("10"));
        assert_eq!(param(&q, "flag"), Some(""));
        assert_eq!(param(&q, "x"), Some("a+b"));
        assert_eq!(param(&q, "missing"), None);
        assert!(parse_query("filter=%zz").is_err());
        assert!(parse_query("filter=%c3%28").is_err());
        assert!(parse_query("").unwrap().is_empty());
    }

    #[test]
    fn decodes_path_segments() {
        assert_eq!(
            decode_segment("urn%3Aietf%3Aparams").unwrap(),
            "urn:ietf:params"
        );
        assert_eq!(decode_segment("a+b").unwrap(), "a+b");
        assert_eq!(decode_segment("%").unwrap_err().status, 404);
    }
}
