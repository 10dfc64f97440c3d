//! Cases and SCIM users in SQLite, with Cosmos DB's semantics: create-if-absent, ETags.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use offboard_core::case::{Case, CaseStatus};
use offboard_core::event::Source;
use offboard_core::ids::CaseId;
use offboard_core::ports::{
    CaseQuery, CaseStore, Claim, Created, ETag, Page, ScimKey, ScimUserStore, StoreError, Versioned,
};
use offboard_core::scim::ScimUser;

use crate::db::{Embedded, store_err};
use crate::quick::{Access, CachedStatements, write_transaction};

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Permanent {
        detail: format!("cannot serialise document: {e}"),
    })
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    s: &str,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Permanent {
        detail: format!("stored {what} is unreadable: {e}"),
    })
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn subject_key(case: &Case) -> Option<String> {
    case.event
        .source_subject_id()
        .as_ref()
        .map(|s| format!("{}:{s}", case.event.source()))
}

pub(crate) fn etag(version: i64) -> ETag {
    ETag(format!("\"{version}\""))
}

pub(crate) fn version_of(tag: &ETag) -> Option<i64> {
    tag.0.trim_matches('"').parse().ok()
}

const OPEN_STATUSES: [CaseStatus; 4] = [
    CaseStatus::Received,
    CaseStatus::Scheduled,
    CaseStatus::Running,
    CaseStatus::AwaitingApproval,
];

#[async_trait]
impl CaseStore for Embedded {
    async fn create_claim(&self, claim: &Claim) -> Result<Created<Claim>, StoreError> {
        crate::claims::create(self, claim).await
    }

    async fn get_claim(&self, key: &str) -> Result<Option<Versioned<Claim>>, StoreError> {
        crate::claims::get(self, key).await
    }

    async fn replace_claim(
        &self,
        claim: &Claim,
        tag: &ETag,
    ) -> Result<Versioned<Claim>, StoreError> {
        crate::claims::replace(self, claim, tag).await
    }

    async fn create(&self, case: &Case) -> Result<Created<Case>, StoreError> {
        let case = case.clone();
        let doc = to_json(&case)?;
        self.quick(Access::Write, move |conn| {
            let tx = write_transaction(conn).map_err(store_err)?;
            let existing: Option<(i64, String)> = tx
                .row_cached(
                    "SELECT version, doc FROM cases WHERE id = ?1",
                    params![case.id.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(store_err)?;
            if let Some((version, doc)) = existing {
                return Ok(Created::Existing(Versioned {
                    value: from_json(&doc, "case")?,
                    etag: etag(version),
                }));
            }
            tx.exec_cached(
                "INSERT INTO cases (id, version, status, effective_at, updated_at, subject_key, doc, follow_up_at)
                 VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    case.id.as_str(),
                    case.status.as_str(),
                    millis(case.due_at()),
                    millis(case.updated_at),
                    subject_key(&case),
                    doc,
                    case.follow_up_at().map(millis)
                ],
            )
            .map_err(store_err)?;
            tx.commit().map_err(store_err)?;
            Ok(Created::New(Versioned {
                value: case,
                etag: etag(1),
            }))
        })
        .await
    }

    async fn get(&self, id: &CaseId) -> Result<Option<Versioned<Case>>, StoreError> {
        let id = id.clone();
        self.quick(Access::Read, move |conn| {
            let row: Option<(i64, String)> = conn
                .row_cached(
                    "SELECT version, doc FROM cases WHERE id = ?1",
                    params![id.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(store_err)?;
            row.map(|(version, doc)| {
                Ok(Versioned {
                    value: from_json(&doc, "case")?,
                    etag: etag(version),
                })
            })
            .transpose()
        })
        .await
    }

    async fn replace(&self, case: &Case, tag: &ETag) -> Result<Versioned<Case>, StoreError> {
        let case = case.clone();
        let doc = to_json(&case)?;
        let expected = version_of(tag);
        self.quick(Access::Write, move |conn| {
            let what = format!("case {}", case.id);
            let Some(expected) = expected else {
                return Err(StoreError::PreconditionFailed { what });
            };
            let changed = conn
                .exec_cached(
                    "UPDATE cases SET version = version + 1, status = ?2, effective_at = ?3,
                       updated_at = ?4, subject_key = ?5, doc = ?6, follow_up_at = ?8
                     WHERE id = ?1 AND version = ?7",
                    params![
                        case.id.as_str(),
                        case.status.as_str(),
                        millis(case.due_at()),
                        millis(case.updated_at),
                        subject_key(&case),
                        doc,
                        expected,
                        case.follow_up_at().map(millis)
                    ],
                )
                .map_err(store_err)?;
            if changed == 1 {
                return Ok(Versioned {
                    value: case,
                    etag: etag(expected + 1),
                });
            }
            let exists: bool = conn
                .row_cached(
                    "SELECT 1 FROM cases WHERE id = ?1",
                    params![case.id.as_str()],
                    |_| Ok(true),
                )
                .optional()
                .map_err(store_err)?
                .unwrap_or(false);
            Err(if exists {
                StoreError::PreconditionFailed { what }
            } else {
                StoreError::NotFound { what }
            })
        })
        .await
    }

    async fn list(&self, query: &CaseQuery) -> Result<Page<Case>, StoreError> {
        let q = query.clone();
        self.with(move |conn| {
            let offset: i64 = match &q.continuation {
                None => 0,
                Some(c) => c.parse().map_err(|_| StoreError::Permanent {
                    detail: "invalid continuation token".into(),
                })?,
            };
            let limit = i64::from(q.limit.clamp(1, 1000));
            // With a status, say `status = ?3` plainly so SQLite reads `cases_by_status` (the
            // held cases among ten thousand); `?3 IS NULL OR ...` would scan every case.
            let sql = if q.status.is_some() {
                "SELECT doc FROM cases
                 WHERE status = ?3
                   AND (?1 IS NULL OR effective_at >= ?1)
                   AND (?2 IS NULL OR effective_at < ?2)
                 ORDER BY effective_at, id LIMIT ?4 OFFSET ?5"
            } else {
                "SELECT doc FROM cases
                 WHERE (?1 IS NULL OR effective_at >= ?1)
                   AND (?2 IS NULL OR effective_at < ?2)
                   AND ?3 IS NULL
                 ORDER BY effective_at, id LIMIT ?4 OFFSET ?5"
            };
            let mut stmt = conn.prepare_cached(sql).map_err(store_err)?;
            let rows = stmt
                .query_map(
                    params![
                        q.effective_from.map(millis),
                        q.effective_to.map(millis),
                        q.status.map(|s| s.as_str()),
                        limit + 1,
                        offset
                    ],
                    |r| r.get::<_, String>(0),
                )
                .map_err(store_err)?;
            let mut items = Vec::new();
            for row in rows {
                items.push(from_json::<Case>(&row.map_err(store_err)?, "case")?);
            }
            let continuation = if items.len() as i64 > limit {
                items.truncate(limit as usize);
                Some((offset + limit).to_string())
            } else {
                None
            };
            Ok(Page {
                items,
                continuation,
            })
        })
        .await
    }

    async fn due_scheduled(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id FROM cases WHERE status = 'scheduled' AND effective_at <= ?1
                     ORDER BY effective_at, id LIMIT ?2",
                )
                .map_err(store_err)?;
            let rows = stmt
                .query_map(params![millis(now), i64::from(limit)], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(store_err)?;
            let mut out = Vec::new();
            for row in rows {
                let id = row.map_err(store_err)?;
                out.push(CaseId::parse(&id).map_err(|e| StoreError::Permanent {
                    detail: e.to_string(),
                })?);
            }
            Ok(out)
        })
        .await
    }

    async fn due_follow_ups(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(crate::follow_ups::DUE)
                .map_err(store_err)?;
            let rows = stmt
                .query_map(params![millis(now), i64::from(limit)], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(store_err)?;
            let mut out = Vec::new();
            for row in rows {
                let id = row.map_err(store_err)?;
                out.push(CaseId::parse(&id).map_err(|e| StoreError::Permanent {
                    detail: e.to_string(),
                })?);
            }
            Ok(out)
        })
        .await
    }

    async fn open_for_subject(
        &self,
        source: Source,
        subject_id: &str,
    ) -> Result<Vec<CaseId>, StoreError> {
        let key = format!("{source}:{subject_id}");
        self.quick(Access::Read, move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, status FROM cases WHERE subject_key = ?1 ORDER BY effective_at, id",
                )
                .map_err(store_err)?;
            let rows = stmt
                .query_map(params![key], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(store_err)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, status) = row.map_err(store_err)?;
                let open = CaseStatus::parse(&status).is_some_and(|s| OPEN_STATUSES.contains(&s));
                if open {
                    out.push(CaseId::parse(&id).map_err(|e| StoreError::Permanent {
                        detail: e.to_string(),
                    })?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn latest_ended_for_subject(
        &self,
        source: Source,
        subject_id: &str,
    ) -> Result<Option<CaseId>, StoreError> {
        let key = format!("{source}:{subject_id}");
        self.quick(Access::Read, move |conn| {
            let id: Option<String> = conn
                .row_cached(
                    "SELECT id FROM cases WHERE subject_key = ?1 AND status IN (?2, ?3)
                     ORDER BY effective_at DESC, id DESC LIMIT 1",
                    params![
                        key,
                        CaseStatus::Completed.as_str(),
                        CaseStatus::CompletedWithExceptions.as_str()
                    ],
                    |r| r.get(0),
                )
                .optional()
                .map_err(store_err)?;
            id.map(|id| {
                CaseId::parse(&id).map_err(|e| StoreError::Permanent {
                    detail: e.to_string(),
                })
            })
            .transpose()
        })
        .await
    }
}

#[async_trait]
impl ScimUserStore for Embedded {
    async fn create(&self, user: &ScimUser) -> Result<Versioned<ScimUser>, StoreError> {
        let user = user.clone();
        let doc = to_json(&user)?;
        self.with(move |conn| {
            let res = conn.execute(
                "INSERT INTO scim_users (id, version, user_name_lower, external_id, doc)
                 VALUES (?1, 1, ?2, ?3, ?4)",
                params![
                    user.id,
                    user.user_name.to_lowercase(),
                    user.external_id,
                    doc
                ],
            );
            match res {
                Ok(_) => Ok(Versioned {
                    value: user,
                    etag: etag(1),
                }),
                Err(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) =>
                {
                    Err(StoreError::Conflict {
                        what: format!("a SCIM user with userName {}", user.user_name),
                    })
                }
                Err(e) => Err(store_err(e)),
            }
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<Versioned<ScimUser>>, StoreError> {
        let id = id.to_owned();
        self.with(move |conn| {
            let row: Option<(i64, String)> = conn
                .query_row(
                    "SELECT version, doc FROM scim_users WHERE id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(store_err)?;
            row.map(|(v, doc)| {
                Ok(Versioned {
                    value: from_json(&doc, "SCIM user")?,
                    etag: etag(v),
                })
            })
            .transpose()
        })
        .await
    }

    async fn replace(
        &self,
        user: &ScimUser,
        tag: &ETag,
    ) -> Result<Versioned<ScimUser>, StoreError> {
        let user = user.clone();
        let doc = to_json(&user)?;
        let expected = version_of(tag);
        self.with(move |conn| {
            let what = format!("SCIM user {}", user.id);
            let Some(expected) = expected else {
                return Err(StoreError::PreconditionFailed { what });
            };
            let res = conn.execute(
                "UPDATE scim_users SET version = version + 1, user_name_lower = ?2,
                   external_id = ?3, doc = ?4 WHERE id = ?1 AND version = ?5",
                params![
                    user.id,
                    user.user_name.to_lowercase(),
                    user.external_id,
                    doc,
                    expected
                ],
            );
            match res {
                Ok(1) => Ok(Versioned {
                    value: user,
                    etag: etag(expected + 1),
                }),
                Ok(_) => {
                    let exists = conn
                        .query_row(
                            "SELECT 1 FROM scim_users WHERE id = ?1",
                            params![user.id],
                            |_| Ok(()),
                        )
                        .optional()
                        .map_err(store_err)?
                        .is_some();
                    Err(if exists {
                        StoreError::PreconditionFailed { what }
                    } else {
                        StoreError::NotFound { what }
                    })
                }
                Err(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) =>
                {
                    Err(StoreError::Conflict {
                        what: format!("a SCIM user with userName {}", user.user_name),
                    })
                }
                Err(e) => Err(store_err(e)),
            }
        })
        .await
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.with(move |conn| {
            let n = conn
                .execute("DELETE FROM scim_users WHERE id = ?1", params![id])
                .map_err(store_err)?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: format!("SCIM user {id}"),
                });
            }
            Ok(())
        })
        .await
    }

    async fn find(&self, attribute: ScimKey, value: &str) -> Result<Vec<ScimUser>, StoreError> {
        let value = value.to_owned();
        self.with(move |conn| {
            let (sql, arg) = match attribute {
                ScimKey::UserName => (
                    "SELECT doc FROM scim_users WHERE user_name_lower = ?1 ORDER BY id",
                    value.to_lowercase(),
                ),
                ScimKey::ExternalId => (
                    "SELECT doc FROM scim_users WHERE external_id = ?1 ORDER BY id",
                    value,
                ),
            };
            let mut stmt = conn.prepare_cached(sql).map_err(store_err)?;
            let rows = stmt
                .query_map(params![arg], |r| r.get::<_, String>(0))
                .map_err(store_err)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(from_json(&row.map_err(store_err)?, "SCIM user")?);
            }
            Ok(out)
        })
        .await
    }

    async fn list(&self, start: u32, count: u32) -> Result<(Vec<ScimUser>, u32), StoreError> {
        self.with(move |conn| {
            let total: i64 = conn
                .query_row("SELECT COUNT(*) FROM scim_users", [], |r| r.get(0))
                .map_err(store_err)?;
            let mut stmt = conn
                .prepare_cached("SELECT doc FROM scim_users ORDER BY id LIMIT ?1 OFFSET ?2")
                .map_err(store_err)?;
            let rows = stmt
                .query_map(params![i64::from(count), i64::from(start)], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(store_err)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(from_json(&row.map_err(store_err)?, "SCIM user")?);
            }
            Ok((out, u32::try_from(total).unwrap_or(u32::MAX)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
    use offboard_core::event::{TerminationEvent, TerminationFacts, TerminationKind};
    use offboard_core::ids::EmployeeIdentifiers;
    use offboard_core::signature::Verified;

    fn case(event_id: &str, effective: &str, now: DateTime<Utc>) -> Case {
        let facts = TerminationFacts {
            source: Source::Bamboohr,
            source_event_id: event_id.into(),
            source_subject_id: Some("77".into()),
            employee: EmployeeIdentifiers::new(Some("77".into()), None, None, None).unwrap(),
            kind: TerminationKind::Voluntary,
            hr_effective: HrEffectiveTime::instant(effective).unwrap(),
            reason: None,
        };
        let ev = TerminationEvent::new(
            facts,
            &Verified::by_function_key(b"{}", now),
            &EffectivePolicy::default(),
        )
        .unwrap();
        Case::open(ev, now)
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[tokio::test]
    async fn create_is_idempotent_and_replace_checks_the_etag() {
        let dir = tempfile::tempdir().unwrap();
        let store = Embedded::open(dir.path()).unwrap();
        let now = t("2026-11-26T10:00:00Z");
        let c = case("e1", "2026-12-01T00:00:00Z", now);
        let first = CaseStore::create(&store, &c).await.unwrap();
        assert!(first.is_new());
        let second = CaseStore::create(&store, &c).await.unwrap();
        assert!(!second.is_new());
        let v = second.into_inner();

        let mut changed = v.value.clone();
        changed.note("hello", now);
        let v2 = CaseStore::replace(&store, &changed, &v.etag).await.unwrap();
        assert_ne!(v2.etag, v.etag);
        assert!(matches!(
            CaseStore::replace(&store, &changed, &v.etag).await,
            Err(StoreError::PreconditionFailed { .. })
        ));
        // A second handle on the same file (another process) sees the change.
        let other = Embedded::open(dir.path()).unwrap();
        let read = CaseStore::get(&other, &c.id).await.unwrap().unwrap();
        assert_eq!(read.value.history.len(), 2);
    }

    #[tokio::test]
    async fn listing_due_and_subject_queries() {
        let store = Embedded::in_memory().unwrap();
        let now = t("2026-11-26T10:00:00Z");
        for (id, eff) in [
            ("a", "2026-11-27T00:00:00Z"),
            ("b", "2026-11-28T00:00:00Z"),
            ("c", "2026-11-20T00:00:00Z"),
        ] {
            CaseStore::create(&store, &case(id, eff, now))
                .await
                .unwrap();
        }
        let page = CaseStore::list(
            &store,
            &CaseQuery {
                limit: 2,
                ..CaseQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].event.source_event_id(), "c");
        let rest = CaseStore::list(
            &store,
            &CaseQuery {
                limit: 2,
                continuation: page.continuation,
                ..CaseQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rest.items.len(), 1);
        assert!(rest.continuation.is_none());

        let scheduled = CaseStore::list(
            &store,
            &CaseQuery {
                status: Some(CaseStatus::Scheduled),
                effective_from: Some(t("2026-11-27T12:00:00Z")),
                limit: 10,
                ..CaseQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(scheduled.items.len(), 1);

        let due = store
            .due_scheduled(t("2026-11-27T00:00:00Z"), 10)
            .await
            .unwrap();
        assert_eq!(due, vec![CaseId::derive("bamboohr", "a")]);
        assert_eq!(
            store
                .open_for_subject(Source::Bamboohr, "77")
                .await
                .unwrap()
                .len(),
            3
        );
        assert!(
            store
                .open_for_subject(Source::Generic, "77")
                .await
                .unwrap()
                .is_empty()
        );
    }
}
