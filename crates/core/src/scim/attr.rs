//! Attribute names as written in a path or a filter (`[URI ":"] ATTRNAME *1subAttr`), before
//! they are checked against offboard's schema. Both [`super::path`] and [`super::filter`]
//! read them, so they live here, below both.

use super::schema::SchemaId;

/// An attribute path as written: an optional schema URN, a name and an optional
/// sub-attribute name, not yet checked against offboard's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrName {
    /// The schema URN the path is qualified with, if any.
    pub urn: Option<String>,
    /// The attribute name (empty when the path is a bare URN).
    pub name: String,
    /// The sub-attribute name, if any.
    pub sub: Option<String>,
}

pub(crate) fn is_attr_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        // `$ref` is the one attribute name RFC 7643 allows to start with `$`.
        Some(c) if c.is_ascii_alphabetic() || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl AttrName {
    /// Parses `[URI ":"] ATTRNAME ["." ATTRNAME]`, or a bare schema URN. Known schema URNs
    /// are recognised whatever their case (they contain dots, as in `2.0`, so they are
    /// matched before the rest is split); an unknown URN ends at its last colon.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("an attribute path must not be empty".into());
        }
        let (urn, rest) = if text
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        {
            let known = SchemaId::ALL.into_iter().find_map(|s| {
                let urn = s.urn();
                if text.eq_ignore_ascii_case(urn) {
                    Some((urn, ""))
                } else if text.len() > urn.len() + 1
                    && text.is_char_boundary(urn.len())
                    && text[..urn.len()].eq_ignore_ascii_case(urn)
                    && text[urn.len()..].starts_with(':')
                {
                    Some((urn, &text[urn.len() + 1..]))
                } else {
                    None
                }
            });
            match known {
                Some((urn, rest)) => (Some(urn.to_owned()), rest),
                None => match text.rsplit_once(':') {
                    Some((urn, rest)) if !rest.contains('.') || is_dotted_name(rest) => {
                        (Some(urn.to_owned()), rest)
                    }
                    _ => (Some(text.to_owned()), ""),
                },
            }
        } else {
            (None, text)
        };
        if rest.is_empty() {
            return match urn {
                Some(urn) => Ok(Self {
                    urn: Some(urn),
                    name: String::new(),
                    sub: None,
                }),
                None => Err("an attribute path must not be empty".into()),
            };
        }
        let (name, sub) = match rest.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (rest, None),
        };
        if !is_attr_name(name) || sub.is_some_and(|s| !is_attr_name(s)) {
            return Err(format!(
                "`{}` is not an attribute path: use a name such as userName, name.givenName or \
                 urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                truncate(text)
            ));
        }
        Ok(Self {
            urn,
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }
}

fn is_dotted_name(s: &str) -> bool {
    match s.split_once('.') {
        Some((a, b)) => is_attr_name(a) && is_attr_name(b),
        None => is_attr_name(s),
    }
}

/// Shortens user-supplied text quoted in an error.
pub(crate) fn truncate(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}
