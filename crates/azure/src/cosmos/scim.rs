//! The SCIM user store on Cosmos DB.
//!
//! Users live in the `scimUsers` container (partition key `/id`, the server-assigned id):
//!
//! ```json
//! { "id": "…", "schemaVersion": 1, "userNameKey": "jane.doe@example.com",
//!   "externalId": "00u1…", "user": { …the ScimUser… } }
//! ```
//!
//! SCIM says `userName` is unique, compared case-insensitively (RFC 7643 §4.1.1). Cosmos DB
//! unique keys only hold inside one logical partition, so uniqueness across users needs a guard:
//! the `scimUserNames` container holds one document per lower-cased `userName`, whose id is
//! `n-` + SHA-256 of that name (any `userName` becomes a valid id) and which names the user that
//! owns it. Whoever creates the guard owns the name; the create-if-absent (409) is atomic.
//!
//! - create: claim the name, then create the user; if that fails, give the name back.
//! - replace: when the name changes, claim the new one first, replace the user with If-Match,
//!   then release the old one (or the new one, if the replace lost).
//! - delete: delete the user, then release its name.
//!
//! A crash between two of these steps can leave a guard whose user does not exist or no
//! longer has that name. Such an orphan is taken over by the next claim once it is older than
//! [`ORPHAN_AFTER_SECS`] — long after any step still in flight would have finished — so a
//! name is never blocked for good and never owned twice.
//!
//! Lookups by `userName` read the guard and then the user (two point reads, no query); lookups
//! by `externalId` query across partitions; listings page over ids sorted in Rust (the SDK
//! refuses cross-partition aggregates, so the total is counted here).

use async_trait::async_trait;
use azure_data_cosmos::clients::ContainerClient;
use azure_data_cosmos::options::{ItemWriteOptions, Precondition};
use chrono::Utc;
use futures::{StreamExt as _, TryStreamExt as _};
use offboard_core::ports::{ETag, ScimKey, ScimUserStore, StoreError, Versioned};
use offboard_core::scim::ScimUser;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::{instant_text, query, query_all};
use crate::error::{corrupt, store_error};

/// The version of the document layout; a reader refuses documents from a newer one.
const SCHEMA_VERSION: u32 = 1;
/// Age after which a guard whose user is gone or renamed may be taken over.
pub const ORPHAN_AFTER_SECS: i64 = 60;
/// Point reads in flight at once when a listing fetches its page.
const READ_CONCURRENCY: usize = 8;

/// What is written for a user.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserDocument<'a> {
    id: &'a str,
    schema_version: u32,
    user_name_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<&'a str>,
    user: &'a ScimUser,
}

impl<'a> UserDocument<'a> {
    fn of(user: &'a ScimUser) -> Self {
        Self {
            id: &user.id,
            schema_version: SCHEMA_VERSION,
            user_name_key: name_lower(&user.user_name),
            external_id: user.external_id.as_deref(),
            user,
        }
    }
}

/// What is read back for a user.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredUser {
    schema_version: u32,
    user: ScimUser,
    #[serde(rename = "_etag")]
    etag: Option<String>,
}

/// The guard that owns one `userName`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameGuard {
    id: String,
    /// The lower-cased userName (for people reading the container).
    user_name: String,
    /// The id of the user that owns the name.
    user_id: String,
    /// When the guard was claimed (`%Y-%m-%dT%H:%M:%S%.3fZ`).
    claimed_at: String,
    #[serde(rename = "_etag", default, skip_serializing)]
    etag: Option<String>,
}

fn name_lower(user_name: &str) -> String {
    user_name.to_lowercase()
}

fn name_key(user_name: &str) -> String {
    format!(
        "n-{}",
        hex::encode(Sha256::digest(name_lower(user_name).as_bytes()))
    )
}

/// Cosmos DB ids cannot hold `/`, `\`, `?` or `#` and are at most 255 characters; such an id
/// names no stored user.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && !id.contains(['/', '\\', '?', '#'])
}

fn what(id: &str) -> String {
    format!("SCIM user {id}")
}

fn taken(user_name: &str) -> StoreError {
    StoreError::Conflict {
        what: format!("a SCIM user with userName {user_name}"),
    }
}

/// [`ScimUserStore`] on two Cosmos DB containers partitioned by `/id`. Built by
/// [`super::CosmosDb::scim_user_store`].
#[derive(Clone)]
pub struct CosmosScimUserStore {
    users: ContainerClient,
    names: ContainerClient,
}

impl std::fmt::Debug for CosmosScimUserStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosScimUserStore")
            .finish_non_exhaustive()
    }
}

impl CosmosScimUserStore {
    pub(super) fn new(users: ContainerClient, names: ContainerClient) -> Self {
        Self { users, names }
    }

    async fn read_user(&self, id: &str) -> Result<Option<Versioned<ScimUser>>, StoreError> {
        if !valid_id(id) {
            return Ok(None);
        }
        let response = match self.users.read_item(id.to_owned(), id, None).await {
            Ok(r) => r,
            Err(e) => {
                return match store_error(&what(id), &e) {
                    StoreError::NotFound { .. } => Ok(None),
                    other => Err(other),
                };
            }
        };
        let header = response.headers().etag().map(|e| e.to_string());
        let stored: StoredUser = response.into_model().map_err(|e| corrupt(&what(id), e))?;
        decode(id, stored, header).map(Some)
    }

    async fn read_guard(&self, key: &str) -> Result<Option<NameGuard>, StoreError> {
        match self.names.read_item(key.to_owned(), key, None).await {
            Ok(response) => {
                let header = response.headers().etag().map(|e| e.to_string());
                let mut guard: NameGuard = response
                    .into_model()
                    .map_err(|e| corrupt("userName guard", e))?;
                if header.is_some() {
                    guard.etag = header;
                }
                Ok(Some(guard))
            }
            Err(e) => match store_error("userName guard", &e) {
                StoreError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Makes `user_id` the owner of `user_name`, or fails with `Conflict` if another user
    /// owns it.
    async fn claim_name(&self, user_name: &str, user_id: &str) -> Result<(), StoreError> {
        let key = name_key(user_name);
        let guard = NameGuard {
            id: key.clone(),
            user_name: name_lower(user_name),
            user_id: user_id.to_owned(),
            claimed_at: instant_text(Utc::now()),
            etag: None,
        };
        // Two rounds: a guard that vanishes between our create and our read is claimed again.
        for _ in 0..2 {
            match self
                .names
                .create_item(key.to_owned(), &key, &guard, None)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if e.status().is_conflict() => {}
                Err(e) => return Err(store_error("userName guard", &e)),
            }
            let Some(existing) = self.read_guard(&key).await? else {
                continue;
            };
            if existing.user_id == user_id {
                return Ok(());
            }
            if !self.is_orphan(&existing).await? {
                return Err(taken(user_name));
            }
            // Take the orphan over, only if nobody else changed it meanwhile.
            let Some(etag) = existing.etag.clone() else {
                return Err(taken(user_name));
            };
            let options =
                ItemWriteOptions::default().with_precondition(Precondition::if_match(etag));
            return match self
                .names
                .replace_item(key.to_owned(), &key, &guard, Some(options))
                .await
            {
                Ok(_) => {
                    tracing::warn!(
                        previous_owner = %existing.user_id,
                        "took over an orphaned SCIM userName guard"
                    );
                    Ok(())
                }
                Err(e) if e.status().is_precondition_failed() || e.status().is_not_found() => {
                    Err(taken(user_name))
                }
                Err(e) => Err(store_error("userName guard", &e)),
            };
        }
        Err(StoreError::Unavailable {
            detail: "the userName guard changed twice while being claimed; retry".into(),
        })
    }

    /// A guard is an orphan when it is old and its user is gone or carries another name.
    async fn is_orphan(&self, guard: &NameGuard) -> Result<bool, StoreError> {
        let old = chrono::DateTime::parse_from_rfc3339(&guard.claimed_at)
            .map(|t| (Utc::now() - t.with_timezone(&Utc)).num_seconds() > ORPHAN_AFTER_SECS)
            // An unreadable claim time cannot prove the guard is in flight.
            .unwrap_or(true);
        if !old {
            return Ok(false);
        }
        Ok(match self.read_user(&guard.user_id).await? {
            None => true,
            Some(owner) => name_lower(&owner.value.user_name) != guard.user_name,
        })
    }

    /// Gives `user_name` back if `user_id` owns it. Best effort: a guard left behind is an
    /// orphan that the next claim takes over.
    async fn release_name(&self, user_name: &str, user_id: &str) {
        let key = name_key(user_name);
        let result = async {
            let Some(guard) = self.read_guard(&key).await? else {
                return Ok(());
            };
            if guard.user_id != user_id {
                return Ok(());
            }
            let mut options = ItemWriteOptions::default();
            if let Some(etag) = guard.etag {
                options = options.with_precondition(Precondition::if_match(etag));
            }
            match self
                .names
                .delete_item(key.to_owned(), &key, Some(options))
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.status().is_not_found() || e.status().is_precondition_failed() => {
                    Ok(())
                }
                Err(e) => Err(store_error("userName guard", &e)),
            }
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not release a SCIM userName guard; it will be taken over as an orphan");
        }
    }
}

fn decode(
    id: &str,
    stored: StoredUser,
    etag: Option<String>,
) -> Result<Versioned<ScimUser>, StoreError> {
    super::versioned(
        &what(id),
        stored.schema_version,
        SCHEMA_VERSION,
        stored.user,
        etag.or(stored.etag),
    )
}

#[async_trait]
impl ScimUserStore for CosmosScimUserStore {
    #[tracing::instrument(skip_all, fields(scim_user_id = %user.id))]
    async fn create(&self, user: &ScimUser) -> Result<Versioned<ScimUser>, StoreError> {
        if !valid_id(&user.id) {
            return Err(StoreError::Permanent {
                detail: format!(
                    "SCIM user id `{}` cannot be stored: ids are at most 255 characters without / \\ ? #",
                    user.id
                ),
            });
        }
        self.claim_name(&user.user_name, &user.id).await?;
        match self
            .users
            .create_item(user.id.to_owned(), &user.id, UserDocument::of(user), None)
            .await
        {
            Ok(response) => {
                let etag = match response.headers().etag() {
                    Some(etag) => ETag(etag.to_string()),
                    None => match self.read_user(&user.id).await? {
                        Some(v) => v.etag,
                        None => {
                            return Err(StoreError::Unavailable {
                                detail: format!(
                                    "{} was created but cannot be read yet; retry",
                                    what(&user.id)
                                ),
                            });
                        }
                    },
                };
                Ok(Versioned {
                    value: user.clone(),
                    etag,
                })
            }
            Err(e) => {
                // Ids are server-assigned UUIDs; a 409 here is a retried create or a bug.
                let err = store_error(&what(&user.id), &e);
                let owned_by_existing = matches!(err, StoreError::Conflict { .. })
                    && self
                        .read_user(&user.id)
                        .await
                        .ok()
                        .flatten()
                        .is_some_and(|u| {
                            name_lower(&u.value.user_name) == name_lower(&user.user_name)
                        });
                if !owned_by_existing {
                    self.release_name(&user.user_name, &user.id).await;
                }
                Err(err)
            }
        }
    }

    async fn get(&self, id: &str) -> Result<Option<Versioned<ScimUser>>, StoreError> {
        self.read_user(id).await
    }

    #[tracing::instrument(skip_all, fields(scim_user_id = %user.id))]
    async fn replace(
        &self,
        user: &ScimUser,
        etag: &ETag,
    ) -> Result<Versioned<ScimUser>, StoreError> {
        let Some(current) = self.read_user(&user.id).await? else {
            return Err(StoreError::NotFound {
                what: what(&user.id),
            });
        };
        if current.etag != *etag {
            return Err(StoreError::PreconditionFailed {
                what: what(&user.id),
            });
        }
        let old_name = current.value.user_name;
        let renamed = name_lower(&old_name) != name_lower(&user.user_name);
        if renamed {
            self.claim_name(&user.user_name, &user.id).await?;
        }
        let options =
            ItemWriteOptions::default().with_precondition(Precondition::if_match(etag.0.as_str()));
        match self
            .users
            .replace_item(
                user.id.to_owned(),
                &user.id,
                UserDocument::of(user),
                Some(options),
            )
            .await
        {
            Ok(response) => {
                if renamed {
                    self.release_name(&old_name, &user.id).await;
                }
                let etag = match response.headers().etag() {
                    Some(etag) => ETag(etag.to_string()),
                    None => match self.read_user(&user.id).await? {
                        Some(v) => v.etag,
                        None => {
                            return Err(StoreError::NotFound {
                                what: what(&user.id),
                            });
                        }
                    },
                };
                Ok(Versioned {
                    value: user.clone(),
                    etag,
                })
            }
            Err(e) => {
                if renamed {
                    self.release_name(&user.user_name, &user.id).await;
                }
                Err(store_error(&what(&user.id), &e))
            }
        }
    }

    #[tracing::instrument(skip_all, fields(scim_user_id = %id))]
    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let Some(current) = self.read_user(id).await? else {
            return Err(StoreError::NotFound { what: what(id) });
        };
        self.users
            .delete_item(id.to_owned(), id, None)
            .await
            .map_err(|e| store_error(&what(id), &e))?;
        self.release_name(&current.value.user_name, id).await;
        Ok(())
    }

    async fn find(&self, attribute: ScimKey, value: &str) -> Result<Vec<ScimUser>, StoreError> {
        match attribute {
            ScimKey::UserName => {
                let Some(guard) = self.read_guard(&name_key(value)).await? else {
                    return Ok(Vec::new());
                };
                // The guard says who owns the name; the user document says whether it still
                // carries it (a rename or delete may be half done).
                Ok(match self.read_user(&guard.user_id).await? {
                    Some(user) if name_lower(&user.value.user_name) == name_lower(value) => {
                        vec![user.value]
                    }
                    _ => Vec::new(),
                })
            }
            ScimKey::ExternalId => {
                let text = "SELECT * FROM c WHERE c.externalId = @externalId".to_owned();
                let rows: Vec<serde_json::Value> = query_all(
                    &self.users,
                    query(text, vec![("@externalId", json!(value))])?,
                    "SCIM users by externalId",
                )
                .await?;
                let mut users = Vec::with_capacity(rows.len());
                for row in rows {
                    let id = row
                        .get("id")
                        .and_then(|v| v.as_str())
                        .unwrap_or("(no id)")
                        .to_owned();
                    let stored: StoredUser =
                        serde_json::from_value(row).map_err(|e| corrupt(&what(&id), e))?;
                    users.push(decode(&id, stored, None)?.value);
                }
                users.sort_by(|a, b| a.id.cmp(&b.id));
                Ok(users)
            }
        }
    }

    async fn list(&self, start: u32, count: u32) -> Result<(Vec<ScimUser>, u32), StoreError> {
        // Ids only (small), sorted and counted here; then point reads for the page.
        let text = "SELECT VALUE c.id FROM c".to_owned();
        let mut ids: Vec<String> =
            query_all(&self.users, query(text, Vec::new())?, "SCIM user ids").await?;
        ids.sort();
        let total = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        let page: Vec<String> = ids
            .into_iter()
            .skip(start as usize)
            .take(count as usize)
            .collect();
        let users: Vec<Option<Versioned<ScimUser>>> = futures::stream::iter(page)
            .map(|id| async move { self.read_user(&id).await })
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        // A user deleted between the two steps is simply not in the page.
        Ok((
            users.into_iter().flatten().map(|v| v.value).collect(),
            total,
        ))
    }
}
