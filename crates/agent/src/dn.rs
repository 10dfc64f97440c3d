//! Distinguished names, compared the way AD compares them (case-insensitive, spaces around
//! separators ignored), to decide whether an object lies under an OU.

/// A DN split into normalised RDNs, leaf first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dn {
    rdns: Vec<String>,
}

/// Splits at unescaped commas (a backslash escapes the next character; quotes are honoured).
fn split_rdns(dn: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    let mut quoted = false;
    for (i, c) in dn.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' | ';' if !quoted => {
                parts.push(&dn[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&dn[start..]);
    parts
}

fn normalise_rdn(rdn: &str) -> String {
    // Multi-valued RDNs (a+b) are rare in AD; normalise each part and keep the order.
    rdn.split('+')
        .map(|ava| match ava.split_once('=') {
            Some((t, v)) => format!(
                "{}={}",
                t.trim().to_ascii_lowercase(),
                v.trim().to_lowercase()
            ),
            None => ava.trim().to_lowercase(),
        })
        .collect::<Vec<_>>()
        .join("+")
}

impl Dn {
    /// Parses a DN string.
    pub fn parse(dn: &str) -> Self {
        let rdns = if dn.trim().is_empty() {
            Vec::new()
        } else {
            split_rdns(dn).into_iter().map(normalise_rdn).collect()
        };
        Self { rdns }
    }

    /// True when `self` lies strictly below `ancestor`.
    pub fn is_under(&self, ancestor: &Dn) -> bool {
        self.rdns.len() > ancestor.rdns.len() && self.rdns.ends_with(&ancestor.rdns)
    }

    /// True when `self`'s parent is `parent`.
    pub fn is_child_of(&self, parent: &Dn) -> bool {
        self.rdns.len() == parent.rdns.len() + 1 && self.rdns.ends_with(&parent.rdns)
    }
}

/// The leaf RDN of a DN exactly as written (`CN=Jane Doe` of `CN=Jane Doe,OU=Staff,...`).
pub fn leaf_rdn(dn: &str) -> &str {
    split_rdns(dn).into_iter().next().unwrap_or(dn).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_like_ad() {
        let ou = Dn::parse("OU=Offboard Users, DC=offboard,DC=test");
        let user = Dn::parse("cn=Jane Doe,ou=offboard users,dc=OFFBOARD,dc=test");
        assert!(user.is_under(&ou));
        assert!(user.is_child_of(&ou));
        assert!(!ou.is_under(&ou));
        let sibling = Dn::parse("CN=x,OU=Offboard Users Extra,DC=offboard,DC=test");
        assert!(!sibling.is_under(&ou));
        let escaped = Dn::parse(r"CN=Doe\, Jane,OU=Offboard Users,DC=offboard,DC=test");
        assert!(escaped.is_child_of(&ou));
        assert_eq!(leaf_rdn(r"CN=Doe\, Jane,OU=x"), r"CN=Doe\, Jane");
    }
}
