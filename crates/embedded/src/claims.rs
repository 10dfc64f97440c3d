//! Claims ([`Claim`]) in SQLite: a person's active offboarding and the events attached to it.
//! Created if absent inside an immediate transaction, so of two processes sharing the file
//! exactly one creates a key; replaced only at the version read (the ETag).

use rusqlite::{OptionalExtension, params};

use offboard_core::ports::{Claim, Created, ETag, StoreError, Versioned};

use crate::db::{Embedded, store_err};
use crate::quick::{Access, CachedStatements, write_transaction};
use crate::store::{etag, from_json, to_json, version_of};

pub(crate) async fn create(db: &Embedded, claim: &Claim) -> Result<Created<Claim>, StoreError> {
    let claim = claim.clone();
    let doc = to_json(&claim)?;
    db.quick(Access::Write, move |conn| {
        let tx = write_transaction(conn).map_err(store_err)?;
        let existing: Option<(i64, String)> = tx
            .row_cached(
                "SELECT version, doc FROM claims WHERE key = ?1",
                params![claim.key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(store_err)?;
        if let Some((version, doc)) = existing {
            return Ok(Created::Existing(Versioned {
                value: from_json(&doc, "claim")?,
                etag: etag(version),
            }));
        }
        tx.exec_cached(
            "INSERT INTO claims (key, version, doc) VALUES (?1, 1, ?2)",
            params![claim.key, doc],
        )
        .map_err(store_err)?;
        tx.commit().map_err(store_err)?;
        Ok(Created::New(Versioned {
            value: claim,
            etag: etag(1),
        }))
    })
    .await
}

pub(crate) async fn get(db: &Embedded, key: &str) -> Result<Option<Versioned<Claim>>, StoreError> {
    let key = key.to_owned();
    db.quick(Access::Read, move |conn| {
        let row: Option<(i64, String)> = conn
            .row_cached(
                "SELECT version, doc FROM claims WHERE key = ?1",
                params![key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(store_err)?;
        row.map(|(version, doc)| {
            Ok(Versioned {
                value: from_json(&doc, "claim")?,
                etag: etag(version),
            })
        })
        .transpose()
    })
    .await
}

pub(crate) async fn replace(
    db: &Embedded,
    claim: &Claim,
    tag: &ETag,
) -> Result<Versioned<Claim>, StoreError> {
    let claim = claim.clone();
    let doc = to_json(&claim)?;
    let expected = version_of(tag);
    db.quick(Access::Write, move |conn| {
        let what = format!("claim {}", claim.key);
        let Some(expected) = expected else {
            return Err(StoreError::PreconditionFailed { what });
        };
        let changed = conn
            .exec_cached(
                "UPDATE claims SET version = version + 1, doc = ?2 WHERE key = ?1 AND version = ?3",
                params![claim.key, doc, expected],
            )
            .map_err(store_err)?;
        if changed == 1 {
            Ok(Versioned {
                value: claim,
                etag: etag(expected + 1),
            })
        } else {
            Err(StoreError::PreconditionFailed { what })
        }
    })
    .await
}
