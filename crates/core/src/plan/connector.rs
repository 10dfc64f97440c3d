//! A configured connector's name, as a step of the plan knows it.
//!
//! Connectors are declared in configuration, so their number is not known when offboard is
//! built; yet a step kind is a small `Copy` value the whole engine passes around (plans,
//! queue messages, leases, the step registry). A [`ConnectorName`] keeps it so: the name is
//! checked once ([`ConnectorName::parse`]) and held inline, and every connector step runs
//! through the one `step-connector` queue and function, the name in its message
//! (`"step": "connector:salesforce"`).

use std::fmt;

/// The prefix of a connector step's name (`connector:salesforce`).
pub const CONNECTOR_STEP_PREFIX: &str = "connector:";

/// The one queue (and function) every connector step runs through.
pub const CONNECTOR_QUEUE: &str = "step-connector";

/// The longest connector name.
pub const MAX_CONNECTOR_NAME: usize = 40;

const CAPACITY: usize = CONNECTOR_STEP_PREFIX.len() + MAX_CONNECTOR_NAME;

/// The names evidence already gives Microsoft's and AD's systems: a connector may not take
/// one, or its removal times would mix with theirs in the report.
pub const RESERVED_SYSTEM_NAMES: [&str; 6] = [
    "entra",
    "exchange",
    "onedrive",
    "sharepoint",
    "intune",
    "ad",
];

/// A connector's name: 1 to 40 lower-case letters, digits and hyphens, starting with a
/// letter (`salesforce`, `github-enterprise`). It names the connector's step
/// (`connector:<name>`), its evidence's target system and its report column
/// (`removed_at_<name>`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectorName {
    /// `connector:<name>` in ASCII, then zeros.
    bytes: [u8; CAPACITY],
    len: u8,
}

impl ConnectorName {
    /// Checks `name` and holds it.
    pub fn parse(name: &str) -> Result<Self, String> {
        let well_formed = !name.is_empty()
            && name.len() <= MAX_CONNECTOR_NAME
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !well_formed {
            return Err(format!(
                "`{name}` is not a connector name: 1 to {MAX_CONNECTOR_NAME} lower-case letters, digits and hyphens, starting with a letter"
            ));
        }
        if RESERVED_SYSTEM_NAMES.contains(&name) {
            return Err(format!(
                "`{name}` is the name of a system offboard already reports on: choose another"
            ));
        }
        let mut bytes = [0u8; CAPACITY];
        let full = format!("{CONNECTOR_STEP_PREFIX}{name}");
        bytes[..full.len()].copy_from_slice(full.as_bytes());
        Ok(Self {
            bytes,
            len: full.len() as u8,
        })
    }

    /// The step's name: `connector:<name>`.
    pub fn step_name(&self) -> &str {
        // Only ever filled from a checked ASCII string.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The connector's name, as configured.
    pub fn as_str(&self) -> &str {
        &self.step_name()[CONNECTOR_STEP_PREFIX.len()..]
    }
}

impl fmt::Display for ConnectorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ConnectorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectorName({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_checked_and_kept_inline() {
        let n = ConnectorName::parse("github-enterprise").unwrap();
        assert_eq!(n.as_str(), "github-enterprise");
        assert_eq!(n.step_name(), "connector:github-enterprise");
        let longest = "a".repeat(MAX_CONNECTOR_NAME);
        assert_eq!(ConnectorName::parse(&longest).unwrap().as_str(), longest);
        for bad in [
            "",
            "Salesforce",
            "1password",
            "sales force",
            "a:b",
            "entra",
            "ad",
        ] {
            assert!(ConnectorName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ConnectorName::parse(&"a".repeat(MAX_CONNECTOR_NAME + 1)).is_err());
    }
}
