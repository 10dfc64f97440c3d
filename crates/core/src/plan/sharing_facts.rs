//! The data of sharing on the leaver's OneDrive and beyond (issue 16, `revoke-sharing`): link
//! audiences, the policy's `[sharing]` section and what the planner's walk found. A leaf: the
//! facts and the policy read these types, and the planning in `sharing.rs` reads both.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The most items one walk of a OneDrive reads (the planner's and the `revoke-sharing` step's).
pub const WALK_MAX_ITEMS: u32 = 5_000;

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

/// The most hits one search for what was shared with the leaver reads (`revoke-sharing`).
pub const SEARCH_MAX_HITS: u32 = 5_000;

/// The policy's `[sharing]` section: which sharing links `revoke-sharing` removes, and where
/// it looks for what others shared with the leaver.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingPolicy {
    /// The link audiences removed from the leaver's OneDrive (default anonymous and
    /// organization; `users` also removes links for specific people; empty keeps every link).
    #[serde(default = "default_scopes")]
    pub remove_link_scopes: BTreeSet<LinkScope>,
    /// The tenant's SharePoint region (`GET /sites/root?$select=siteCollection` →
    /// `dataLocationCode`, e.g. `NAM`). Set, `revoke-sharing` searches SharePoint and other
    /// people's OneDrives for items shared with the leaver and removes the leaver's own
    /// permissions on them (an app-only search must name the region); unset, it does not look.
    #[serde(default, deserialize_with = "region")]
    pub sharepoint_region: Option<String>,
}

fn default_scopes() -> BTreeSet<LinkScope> {
    [LinkScope::Anonymous, LinkScope::Organization].into()
}

/// A region code: three letters (`NAM`, `EUR`, `GBR`…), kept in capitals.
fn region<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let code = String::deserialize(d)?;
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(Some(code.to_ascii_uppercase()))
    } else {
        Err(serde::de::Error::custom(format!(
            "sharepoint_region = \"{code}\" is not a region code: use the three letters of the root site's siteCollection.dataLocationCode (GET /sites/root?$select=siteCollection), e.g. \"NAM\""
        )))
    }
}

impl Default for SharingPolicy {
    fn default() -> Self {
        Self {
            remove_link_scopes: default_scopes(),
            sharepoint_region: None,
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
