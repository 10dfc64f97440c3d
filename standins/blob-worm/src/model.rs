//! The immutability contract of one container in an account with version-level immutability,
//! as the Blob REST reference and the storage resource provider describe it. No HTTP here: each
//! operation takes the caller's granted actions and answers what the service answers.
//!
//! Sources (summarised in shared/reference/platform-facts.md §5):
//! - Put Blob: `If-None-Match: *` on an existing name → 409 `BlobAlreadyExists`; creating a new
//!   blob needs `blobs/add/action` *or* `blobs/write`; writing over an existing name needs
//!   `blobs/write` and, with versioning, keeps the old version and makes a new current one.
//! - Delete Blob (or one version): `blobs/delete` (`blobs/deleteBlobVersion/action` for a
//!   version); a version under a legal hold or a retention that has not expired → 409
//!   `BlobImmutableDueToLegalHold` / `BlobImmutableDueToPolicy`.
//! - Set Blob Legal Hold, Set / Delete Blob Immutability Policy: the data action
//!   `blobs/immutableStorage/runAsSuperUser/action` (Microsoft's RBAC table names
//!   `containers/write` for the legal hold; the ABAC page names `runAsSuperUser`: this model
//!   requires `runAsSuperUser` for every hold and policy change, the reading that grants less).
//!   A locked policy — the blob's own, or the account's locked default the version inherits —
//!   can only be extended: a shorter date, an unlocked mode or deleting it → 409
//!   `BlobImmutableDueToPolicy`. An unlocked one can be shortened or deleted.
//! - The account's default policy (ARM `immutableStorageWithVersioning.immutabilityPolicy`) is
//!   created `Unlocked` and can be locked once; every version without a policy of its own is
//!   protected by it for `immutabilityPeriodSinceCreationInDays` from the version's creation.
//! - Any call the caller's role does not cover → 403 `AuthorizationPermissionMismatch`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

/// `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/` + the suffix: the data
/// actions each call needs.
pub mod actions {
    /// Read a blob, its properties, its versions; list blobs.
    pub const READ: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
    /// Create a new blob (never overwrite).
    pub const ADD: &str =
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action";
    /// Create or overwrite a blob.
    pub const WRITE: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write";
    /// Delete a blob.
    pub const DELETE: &str =
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete";
    /// Delete a blob version.
    pub const DELETE_VERSION: &str =
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/deleteBlobVersion/action";
    /// Set or clear legal holds, set or delete blob immutability policies.
    pub const RUN_AS_SUPER_USER: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/immutableStorage/runAsSuperUser/action";
    /// Get Container Properties (a control-plane action).
    pub const CONTAINER_READ: &str =
        "Microsoft.Storage/storageAccounts/blobServices/containers/read";
    /// Read the account's properties through ARM, its immutability policy included.
    pub const ACCOUNT_READ: &str = "Microsoft.Storage/storageAccounts/read";
}

/// The state of a time-based retention policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyState {
    /// Can be shortened, extended or removed (by `runAsSuperUser`).
    Unlocked,
    /// Can only be extended.
    Locked,
}

impl PolicyState {
    /// As ARM writes it (`Unlocked`, `Locked`).
    pub fn arm(self) -> &'static str {
        match self {
            Self::Unlocked => "Unlocked",
            Self::Locked => "Locked",
        }
    }
    /// As the blob service writes `x-ms-immutability-policy-mode` (lower case).
    pub fn header(self) -> &'static str {
        match self {
            Self::Unlocked => "unlocked",
            Self::Locked => "locked",
        }
    }
}

/// The account's default policy, inherited by every version without one of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultPolicy {
    /// Days from each version's creation.
    pub days: u32,
    /// Unlocked or locked.
    pub state: PolicyState,
}

/// A policy set on one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobPolicy {
    /// Retain until.
    pub until: DateTime<Utc>,
    /// Unlocked or locked.
    pub state: PolicyState,
}

/// One version of a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The `x-ms-version-id` (an opaque timestamp).
    pub id: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// Content type.
    pub content_type: Option<String>,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Legal hold.
    pub legal_hold: bool,
    /// The version's own policy, if one was set.
    pub policy: Option<BlobPolicy>,
}

/// What the service answers when it refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// `x-ms-error-code`.
    pub code: &'static str,
    /// The message.
    pub message: String,
}

impl Refusal {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
    fn forbidden(action: &str) -> Self {
        Self::new(
            403,
            "AuthorizationPermissionMismatch",
            format!(
                "This request is not authorized to perform this operation using this permission. (needs {action})"
            ),
        )
    }
    fn not_found() -> Self {
        Self::new(404, "BlobNotFound", "The specified blob does not exist.")
    }
    fn held() -> Self {
        Self::new(
            409,
            "BlobImmutableDueToLegalHold",
            "This operation is not permitted as the blob is immutable due to one or more legal holds.",
        )
    }
    fn retained() -> Self {
        Self::new(
            409,
            "BlobImmutableDueToPolicy",
            "This operation is not permitted as the blob is immutable due to a policy.",
        )
    }
}

/// What a caller may do: the actions and data actions of its role assignments on the container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants(pub Vec<String>);

impl Grants {
    fn require(&self, action: &str) -> Result<(), Refusal> {
        if self.0.iter().any(|a| a == action) {
            Ok(())
        } else {
            Err(Refusal::forbidden(action))
        }
    }
    fn has(&self, action: &str) -> bool {
        self.0.iter().any(|a| a == action)
    }
}

/// The account: its default policy and one container's blobs (name → versions, oldest first).
#[derive(Debug, Clone)]
pub struct Account {
    /// The default policy (`None`: immutability with versioning is on but no default policy).
    pub default_policy: Option<DefaultPolicy>,
    /// Blobs by name, every version kept.
    pub blobs: BTreeMap<String, Vec<Version>>,
    clock: u64,
}

impl Account {
    /// An account with version-level immutability and `default_policy`.
    pub fn new(default_policy: Option<DefaultPolicy>) -> Self {
        Self {
            default_policy,
            blobs: BTreeMap::new(),
            clock: 0,
        }
    }

    fn next_version_id(&mut self, now: DateTime<Utc>) -> String {
        // Unique and increasing even within one clock tick, in the service's format.
        self.clock += 1;
        let t = now + Duration::microseconds(i64::try_from(self.clock).unwrap_or(0) % 1_000_000);
        // Seven fractional digits (100 ns ticks), as the service writes version ids.
        format!(
            "{}.{:07}Z",
            t.format("%Y-%m-%dT%H:%M:%S"),
            t.timestamp_subsec_nanos() / 100
        )
    }

    /// The effective protection of a version now: (until, locked), from its own policy or the
    /// account default; `None` if nothing retains it.
    pub fn effective(&self, v: &Version) -> Option<(DateTime<Utc>, bool)> {
        match (v.policy, self.default_policy) {
            (Some(p), _) => Some((p.until, p.state == PolicyState::Locked)),
            (None, Some(d)) => Some((
                v.created + Duration::days(i64::from(d.days)),
                d.state == PolicyState::Locked,
            )),
            (None, None) => None,
        }
    }

    fn version_mut(&mut self, name: &str, version: Option<&str>) -> Result<&mut Version, Refusal> {
        let versions = self.blobs.get_mut(name).ok_or_else(Refusal::not_found)?;
        match version {
            None => versions.last_mut().ok_or_else(Refusal::not_found),
            Some(id) => versions
                .iter_mut()
                .find(|v| v.id == id)
                .ok_or_else(Refusal::not_found),
        }
    }

    /// A version (the current one when `version` is `None`).
    pub fn get(
        &self,
        who: &Grants,
        name: &str,
        version: Option<&str>,
    ) -> Result<&Version, Refusal> {
        who.require(actions::READ)?;
        let versions = self.blobs.get(name).ok_or_else(Refusal::not_found)?;
        match version {
            None => versions.last().ok_or_else(Refusal::not_found),
            Some(id) => versions
                .iter()
                .find(|v| v.id == id)
                .ok_or_else(Refusal::not_found),
        }
    }

    /// Put Blob. Returns the new version's id.
    pub fn put(
        &mut self,
        who: &Grants,
        name: &str,
        bytes: Vec<u8>,
        content_type: Option<String>,
        if_none_match_any: bool,
        now: DateTime<Utc>,
    ) -> Result<String, Refusal> {
        let exists = self.blobs.get(name).is_some_and(|v| !v.is_empty());
        if exists {
            if if_none_match_any {
                // A create-only request never overwrites, whatever the role.
                if !(who.has(actions::ADD) || who.has(actions::WRITE)) {
                    return Err(Refusal::forbidden(actions::ADD));
                }
                return Err(Refusal::new(
                    409,
                    "BlobAlreadyExists",
                    "The specified blob already exists.",
                ));
            }
            who.require(actions::WRITE)?;
        } else if !(who.has(actions::ADD) || who.has(actions::WRITE)) {
            return Err(Refusal::forbidden(actions::ADD));
        }
        let id = self.next_version_id(now);
        self.blobs
            .entry(name.to_owned())
            .or_default()
            .push(Version {
                id: id.clone(),
                bytes,
                content_type,
                created: now,
                legal_hold: false,
                policy: None,
            });
        Ok(id)
    }

    /// Delete Blob (the current version, or the version named).
    pub fn delete(
        &mut self,
        who: &Grants,
        name: &str,
        version: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        who.require(if version.is_some() {
            actions::DELETE_VERSION
        } else {
            actions::DELETE
        })?;
        let v = self.version_mut(name, version)?.clone();
        if v.legal_hold {
            return Err(Refusal::held());
        }
        if self.effective(&v).is_some_and(|(until, _)| until > now) {
            return Err(Refusal::retained());
        }
        if let Some(versions) = self.blobs.get_mut(name) {
            versions.retain(|x| x.id != v.id);
            if versions.is_empty() {
                self.blobs.remove(name);
            }
        }
        Ok(())
    }

    /// Set Blob Legal Hold.
    pub fn set_legal_hold(
        &mut self,
        who: &Grants,
        name: &str,
        version: Option<&str>,
        hold: bool,
    ) -> Result<bool, Refusal> {
        who.require(actions::RUN_AS_SUPER_USER)?;
        let v = self.version_mut(name, version)?;
        v.legal_hold = hold;
        Ok(hold)
    }

    /// Set Blob Immutability Policy: a locked protection (own or inherited) can only be
    /// extended and stay locked.
    pub fn set_policy(
        &mut self,
        who: &Grants,
        name: &str,
        version: Option<&str>,
        policy: BlobPolicy,
        now: DateTime<Utc>,
    ) -> Result<BlobPolicy, Refusal> {
        who.require(actions::RUN_AS_SUPER_USER)?;
        if policy.until <= now {
            return Err(Refusal::new(
                400,
                "InvalidHeaderValue",
                "The value for x-ms-immutability-policy-until-date must be in the future.",
            ));
        }
        let current = self.version_mut(name, version)?.clone();
        if let Some((until, true)) = self.effective(&current)
            && (policy.until < until || policy.state != PolicyState::Locked)
        {
            return Err(Refusal::retained());
        }
        self.version_mut(name, version)?.policy = Some(policy);
        Ok(policy)
    }

    /// Delete Blob Immutability Policy: only an unlocked policy of the version's own.
    pub fn delete_policy(
        &mut self,
        who: &Grants,
        name: &str,
        version: Option<&str>,
    ) -> Result<(), Refusal> {
        who.require(actions::RUN_AS_SUPER_USER)?;
        let current = self.version_mut(name, version)?.clone();
        if self.effective(&current).is_some_and(|(_, locked)| locked) {
            return Err(Refusal::retained());
        }
        self.version_mut(name, version)?.policy = None;
        Ok(())
    }

    /// Locks the default policy (the deployment's lock step). `false` if there is none.
    pub fn lock_default(&mut self) -> bool {
        match &mut self.default_policy {
            Some(p) => {
                p.state = PolicyState::Locked;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(list: &[&str]) -> Grants {
        Grants(list.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn a_locked_default_can_only_be_extended_and_nothing_under_it_deleted() {
        let now = Utc::now();
        let mut a = Account::new(Some(DefaultPolicy {
            days: 10,
            state: PolicyState::Locked,
        }));
        let app = grants(&[actions::READ, actions::ADD]);
        let admin = grants(&[
            actions::READ,
            actions::WRITE,
            actions::DELETE,
            actions::DELETE_VERSION,
            actions::RUN_AS_SUPER_USER,
        ]);
        a.put(&app, "x", b"1".to_vec(), None, true, now).unwrap();
        assert_eq!(
            a.put(&app, "x", b"2".to_vec(), None, true, now)
                .unwrap_err()
                .code,
            "BlobAlreadyExists"
        );
        assert_eq!(
            a.put(&app, "x", b"2".to_vec(), None, false, now)
                .unwrap_err()
                .status,
            403
        );
        assert_eq!(a.delete(&app, "x", None, now).unwrap_err().status, 403);
        assert_eq!(
            a.delete(&admin, "x", None, now).unwrap_err().code,
            "BlobImmutableDueToPolicy"
        );
        let shorter = BlobPolicy {
            until: now + Duration::days(1),
            state: PolicyState::Unlocked,
        };
        assert_eq!(
            a.set_policy(&admin, "x", None, shorter, now)
                .unwrap_err()
                .code,
            "BlobImmutableDueToPolicy"
        );
        let longer = BlobPolicy {
            until: now + Duration::days(20),
            state: PolicyState::Locked,
        };
        a.set_policy(&admin, "x", None, longer, now).unwrap();
        assert_eq!(
            a.delete_policy(&admin, "x", None).unwrap_err().code,
            "BlobImmutableDueToPolicy"
        );
        // After the period, deletion is allowed.
        a.delete(&admin, "x", None, now + Duration::days(21))
            .unwrap();
    }

    #[test]
    fn an_unlocked_default_lets_a_super_user_shorten_and_delete() {
        let now = Utc::now();
        let mut a = Account::new(Some(DefaultPolicy {
            days: 10,
            state: PolicyState::Unlocked,
        }));
        let admin = grants(&[
            actions::READ,
            actions::ADD,
            actions::DELETE,
            actions::RUN_AS_SUPER_USER,
        ]);
        a.put(&admin, "x", b"1".to_vec(), None, true, now).unwrap();
        let soon = BlobPolicy {
            until: now + Duration::seconds(1),
            state: PolicyState::Unlocked,
        };
        a.set_policy(&admin, "x", None, soon, now).unwrap();
        a.delete(&admin, "x", None, now + Duration::seconds(2))
            .unwrap();
        assert!(a.blobs.is_empty());
    }
}
