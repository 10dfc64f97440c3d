//! Claims ([`Claim`]) on Cosmos DB: one small document per key in the `claims` container,
//! partitioned by `/id`. The create is a `create_item` (409 when the key exists: the other
//! instance won), the replace carries `If-Match`, so two handler instances sharing the
//! account decide the same way a single one would.

use azure_data_cosmos::clients::ContainerClient;
use azure_data_cosmos::options::{ItemWriteOptions, Precondition};
use offboard_core::ports::{Claim, Created, ETag, StoreError, Versioned};
use serde::{Deserialize, Serialize};

use crate::error::{corrupt, store_error};

/// The version of the document layout; a reader refuses documents from a newer one.
const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClaimDocument<'a> {
    id: &'a str,
    schema_version: u32,
    claim: &'a Claim,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredClaim {
    schema_version: u32,
    claim: Claim,
    #[serde(rename = "_etag")]
    etag: Option<String>,
}

fn what(key: &str) -> String {
    format!("claim {key}")
}

fn document(claim: &Claim) -> ClaimDocument<'_> {
    ClaimDocument {
        id: &claim.key,
        schema_version: SCHEMA_VERSION,
        claim,
    }
}

pub(super) async fn read(
    container: &ContainerClient,
    key: &str,
) -> Result<Option<Versioned<Claim>>, StoreError> {
    let response = match container.read_item(key.to_owned(), key, None).await {
        Ok(r) => r,
        Err(e) => {
            return match store_error(&what(key), &e) {
                StoreError::NotFound { .. } => Ok(None),
                other => Err(other),
            };
        }
    };
    let header = response.headers().etag().map(|e| e.to_string());
    let stored: StoredClaim = response.into_model().map_err(|e| corrupt(&what(key), e))?;
    if stored.schema_version > SCHEMA_VERSION {
        return Err(corrupt(
            &what(key),
            format!(
                "document schema version {} is newer than this offboard ({SCHEMA_VERSION}): upgrade offboard",
                stored.schema_version
            ),
        ));
    }
    let etag = header
        .or(stored.etag)
        .ok_or_else(|| StoreError::Permanent {
            detail: format!("{}: Cosmos DB returned no ETag", what(key)),
        })?;
    Ok(Some(Versioned {
        value: stored.claim,
        etag: ETag(etag),
    }))
}

/// The ETag of a write, read back when a gateway left it out of a minimal response.
async fn written_etag(
    container: &ContainerClient,
    key: &str,
    header: Option<String>,
) -> Result<ETag, StoreError> {
    match header {
        Some(e) => Ok(ETag(e)),
        None => match read(container, key).await? {
            Some(v) => Ok(v.etag),
            None => Err(StoreError::Unavailable {
                detail: format!("{} was written but cannot be read yet; retry", what(key)),
            }),
        },
    }
}

pub(super) async fn create(
    container: &ContainerClient,
    claim: &Claim,
) -> Result<Created<Claim>, StoreError> {
    let key = claim.key.as_str();
    match container
        .create_item(key.to_owned(), key, document(claim), None)
        .await
    {
        Ok(response) => {
            let header = response.headers().etag().map(|e| e.to_string());
            Ok(Created::New(Versioned {
                value: claim.clone(),
                etag: written_etag(container, key, header).await?,
            }))
        }
        // Another intake (perhaps on another instance) claimed the key first.
        Err(e) if e.status().is_conflict() => match read(container, key).await? {
            Some(existing) => Ok(Created::Existing(existing)),
            None => Err(StoreError::Unavailable {
                detail: format!(
                    "{} was reported as existing but was not found; retry",
                    what(key)
                ),
            }),
        },
        Err(e) => Err(store_error(&what(key), &e)),
    }
}

pub(super) async fn replace(
    container: &ContainerClient,
    claim: &Claim,
    etag: &ETag,
) -> Result<Versioned<Claim>, StoreError> {
    let key = claim.key.as_str();
    let options =
        ItemWriteOptions::default().with_precondition(Precondition::if_match(etag.0.as_str()));
    let response = container
        .replace_item(key.to_owned(), key, document(claim), Some(options))
        .await
        .map_err(|e| store_error(&what(key), &e))?;
    let header = response.headers().etag().map(|e| e.to_string());
    Ok(Versioned {
        value: claim.clone(),
        etag: written_etag(container, key, header).await?,
    })
}
