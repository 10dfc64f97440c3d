//! Sharing links on the leaver's OneDrive in the plan (issue 16, `revoke-sharing`): which
//! link audiences the policy removes, what the planner found, and what the dry run says the
//! step would remove.
//!
//! A link that works for anyone (`anonymous`) or for everyone in the organisation
//! (`organization`) keeps a leaver's files open to people nobody chose, long after the
//! account is gone; a link for specific people (`users`) names who may open it and stays
//! unless the policy says otherwise.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use super::builder::Builder;
use super::facts::Facts;
use super::step::StepKind;

/// Who a sharing link lets in (Graph's `sharingLink.scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LinkScope {
    /// Anyone with the link, signed in or not.
    Anonymous,
    /// Anyone in the leaver's organisation.
    Organization,
    /// Only the people the link names.
    Users,
}

impl LinkScope {
    /// Graph's name (`anonymous`, `organization`, `users`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Organization => "organization",
            Self::Users => "users",
        }
    }

    /// Parses Graph's name; a scope Graph adds later is `None` (and never removed).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Anonymous, Self::Organization, Self::Users]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The policy's `[sharing]` section: which sharing links `revoke-sharing` removes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingPolicy {
    /// The link audiences removed from the leaver's OneDrive (default anonymous and
    /// organization; `users` also removes links for specific people; empty keeps every link).
    #[serde(default = "default_scopes")]
    pub remove_link_scopes: BTreeSet<LinkScope>,
}

fn default_scopes() -> BTreeSet<LinkScope> {
    [LinkScope::Anonymous, LinkScope::Organization].into()
}

impl Default for SharingPolicy {
    fn default() -> Self {
        Self {
            remove_link_scopes: default_scopes(),
        }
    }
}

impl SharingPolicy {
    /// Whether a link of Graph scope `scope` is removed.
    pub fn removes(&self, scope: &str) -> bool {
        LinkScope::parse(scope).is_some_and(|s| self.remove_link_scopes.contains(&s))
    }
}

/// A sharing link set directly on an item of the leaver's OneDrive (not inherited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingLinkFact {
    /// The driveItem the link opens.
    pub item_id: String,
    /// The item's path in the drive (`/Budget/Q3.xlsx`; `/` is the root).
    pub path: String,
    /// The permission that is the link.
    pub permission_id: String,
    /// `anonymous`, `organization` or `users`.
    pub scope: String,
    /// `view`, `edit`, `embed`… (Graph's `sharingLink.type`).
    pub link_type: String,
}

/// What the planner's walk of the OneDrive found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingFact {
    /// Every link set directly on an item, whatever its scope.
    pub links: Vec<SharingLinkFact>,
    /// How many items the walk read.
    pub items_checked: u32,
    /// Whether the walk read the whole drive (false: it stopped at its bound).
    pub complete: bool,
}

/// Plans `revoke-sharing` after `cut`.
pub(super) fn plan(b: &mut Builder<'_>, facts: &Facts, cut: StepKind) {
    let policy = &b.policy.sharing;
    let Some(drive) = &facts.drive else {
        return b.na(StepKind::RevokeSharing, "no OneDrive");
    };
    if policy.remove_link_scopes.is_empty() {
        return b.na(
            StepKind::RevokeSharing,
            "the policy keeps every sharing link ([sharing] remove_link_scopes = [])",
        );
    }
    let scopes = policy
        .remove_link_scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let where_ = drive.web_url.as_deref().unwrap_or(&drive.id);
    let mut preview: Vec<String> = Vec::new();
    let mut kept = 0;
    let complete = match &facts.sharing {
        None => false,
        Some(s) => {
            for l in &s.links {
                if policy.removes(&l.scope) {
                    preview.push(format!(
                        "remove the {} {} link on {} (permission {})",
                        l.scope, l.link_type, l.path, l.permission_id
                    ));
                } else {
                    kept += 1;
                }
            }
            s.complete
        }
    };
    if preview.is_empty() && complete {
        return b.na(
            StepKind::RevokeSharing,
            format!("no sharing links of scope {scopes} on the OneDrive {where_}"),
        );
    }
    if !complete {
        preview.push(format!(
            "walk the OneDrive {where_} again at run time (the planner's walk did not read it all) and remove the {scopes} links it finds"
        ));
    }
    if kept > 0 {
        preview.push(format!(
            "keep {kept} link(s) of other scopes (not in [sharing] remove_link_scopes)"
        ));
    }
    b.add(StepKind::RevokeSharing, vec![cut], preview);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_removes_anonymous_and_organisation_links_only() {
        let p = SharingPolicy::default();
        assert!(p.removes("anonymous") && p.removes("organization"));
        assert!(!p.removes("users"));
        assert!(
            !p.removes("existingAccess"),
            "an unknown scope is never removed"
        );
    }

    #[test]
    fn the_section_names_scopes_and_refuses_unknown_ones() {
        let p: SharingPolicy = toml::from_str("remove_link_scopes = [\"users\"]").unwrap();
        assert!(p.removes("users") && !p.removes("anonymous"));
        assert!(toml::from_str::<SharingPolicy>("remove_link_scopes = [\"everyone\"]").is_err());
        assert!(toml::from_str::<SharingPolicy>("scopes = []").is_err());
        let empty: SharingPolicy = toml::from_str("").unwrap();
        assert_eq!(empty, SharingPolicy::default());
    }
}
