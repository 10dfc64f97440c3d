//! The compliance index in SQLite, keyed like the Cosmos container: (period, case id).
//!
//! Beside each entry's document the row keeps its [`IndexSummary`] as columns (status, kind,
//! source, SLA state, exception count, employee id, name, search text), written with the
//! entry, so the dashboard's counts and lists over every case of a year read a few columns
//! instead of parsing every entry. [`migrate`] adds them to a database made before they
//! existed and fills them from the documents.

use async_trait::async_trait;
use chrono::DateTime;
use rusqlite::{Connection, OptionalExtension, params};

use offboard_core::case::CaseStatus;
use offboard_core::event::{Source, TerminationKind};
use offboard_core::evidence::{IndexEntry, IndexSummary};
use offboard_core::ids::CaseId;
use offboard_core::ports::{CaseIndex, ETag, StoreError, Versioned};

use crate::db::{Embedded, store_err};
use crate::quick::{Access, CachedStatements};

fn etag(v: i64) -> ETag {
    ETag(format!("\"{v}\""))
}

/// The summary columns, in the order [`summary_row`] reads them.
const SUMMARY_COLUMNS: [&str; 8] = [
    "status",
    "kind",
    "source",
    "sla_state",
    "exception_count",
    "employee_id",
    "name",
    "search",
];

/// Adds the summary columns to `case_index` where they are missing and fills every row that
/// has none from its document (a database written before they existed). Idempotent.
pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let have: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('case_index')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for column in SUMMARY_COLUMNS {
        if !have.iter().any(|h| h == column) {
            let ty = if column == "exception_count" {
                "INTEGER"
            } else {
                "TEXT"
            };
            conn.execute_batch(&format!("ALTER TABLE case_index ADD COLUMN {column} {ty}"))?;
        }
    }
    // A covering index: listing a period's summaries in time order reads only this index,
    // never the rows, whose large documents SQLite would have to step over.
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS case_index_summaries ON case_index (period, effective_at, id,
             status, kind, source, sla_state, exception_count, employee_id, name, search)",
    )?;
    let stale: Vec<(String, String, String)> = conn
        .prepare("SELECT period, id, doc FROM case_index WHERE search IS NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (period, id, doc) in stale {
        // An unreadable document stays without a summary: listing it reports it.
        if let Ok(entry) = serde_json::from_str::<IndexEntry>(&doc) {
            write_summary(conn, &period, &id, &IndexSummary::of(&entry))?;
        }
    }
    Ok(())
}

fn write_summary(
    conn: &Connection,
    period: &str,
    id: &str,
    s: &IndexSummary,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE case_index SET status = ?3, kind = ?4, source = ?5, sla_state = ?6,
             exception_count = ?7, employee_id = ?8, name = ?9, search = ?10
         WHERE period = ?1 AND id = ?2",
        params![
            period,
            id,
            s.status.as_str(),
            s.kind.as_str(),
            s.source.as_str(),
            s.sla_state,
            s.exception_count as i64,
            s.employee_id,
            s.name,
            s.search
        ],
    )
}

fn unreadable(detail: impl std::fmt::Display) -> StoreError {
    StoreError::Permanent {
        detail: format!("stored index entry is unreadable: {detail}"),
    }
}

/// Marks a row whose summary columns are empty (written before they existed, and not yet
/// migrated): [`CaseIndex::summaries`] summarises its document instead.
const NO_SUMMARY: &str = "index row without summary columns";

/// A summary from its columns (`period, id, effective_at`, then [`SUMMARY_COLUMNS`]).
fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<IndexSummary, StoreError>> {
    let search: Option<String> = r.get(10)?;
    let Some(search) = search else {
        return Ok(Err(StoreError::Unavailable {
            detail: NO_SUMMARY.into(),
        }));
    };
    let (period, id, millis): (String, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
    let (status, kind, source): (String, String, String) = (r.get(3)?, r.get(4)?, r.get(5)?);
    let (sla_state, count): (String, i64) = (r.get(6)?, r.get(7)?);
    let (employee_id, name): (Option<String>, String) = (r.get(8)?, r.get(9)?);
    Ok(
        match (
            CaseId::parse(&id),
            DateTime::from_timestamp_millis(millis),
            CaseStatus::parse(&status),
            TerminationKind::parse(&kind),
            Source::parse(&source),
        ) {
            (Ok(id), Some(effective_at), Some(status), Some(kind), Some(source)) => {
                Ok(IndexSummary {
                    id,
                    period,
                    effective_at,
                    status,
                    kind,
                    source,
                    sla_state,
                    exception_count: usize::try_from(count).unwrap_or_default(),
                    employee_id,
                    name,
                    search,
                })
            }
            _ => Err(unreadable(format!(
                "the summary of case `{id}` (effective time {millis}, status `{status}`, kind `{kind}`, source `{source}`)"
            ))),
        },
    )
}

#[async_trait]
impl CaseIndex for Embedded {
    async fn get(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<Versioned<IndexEntry>>, StoreError> {
        let (period, id) = (period.to_owned(), case_id.to_string());
        self.quick(Access::Read, move |conn| {
            let row: Option<(i64, String)> = conn
                .row_cached(
                    "SELECT version, doc FROM case_index WHERE period = ?1 AND id = ?2",
                    params![period, id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(store_err)?;
            row.map(|(v, doc)| {
                serde_json::from_str(&doc)
                    .map(|value| Versioned {
                        value,
                        etag: etag(v),
                    })
                    .map_err(|e| StoreError::Permanent {
                        detail: format!("stored index entry is unreadable: {e}"),
                    })
            })
            .transpose()
        })
        .await
    }

    async fn put(
        &self,
        entry: &IndexEntry,
        tag: Option<&ETag>,
    ) -> Result<Versioned<IndexEntry>, StoreError> {
        let entry = entry.clone();
        let doc = serde_json::to_string(&entry).map_err(|e| StoreError::Permanent {
            detail: e.to_string(),
        })?;
        let expected: Option<Option<i64>> = tag.map(|t| t.0.trim_matches('"').parse().ok());
        let sum = IndexSummary::of(&entry);
        self.quick(Access::Write, move |conn| {
            let what = format!("index entry for case {}", entry.id);
            match expected {
                None => {
                    // The summary columns are written in the same statement as the document,
                    // so no reader sees one without the other.
                    let r = conn.exec_cached(
                        "INSERT INTO case_index (period, id, version, effective_at, doc,
                             status, kind, source, sla_state, exception_count, employee_id, name, search)
                         VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                        params![
                            entry.period, entry.id.as_str(), entry.effective_at.timestamp_millis(), doc,
                            sum.status.as_str(), sum.kind.as_str(), sum.source.as_str(), sum.sla_state,
                            sum.exception_count as i64, sum.employee_id, sum.name, sum.search
                        ],
                    );
                    match r {
                        Ok(_) => Ok(Versioned { value: entry, etag: etag(1) }),
                        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
                            Err(StoreError::Conflict { what })
                        }
                        Err(e) => Err(store_err(e)),
                    }
                }
                Some(None) => Err(StoreError::PreconditionFailed { what }),
                Some(Some(v)) => {
                    let n = conn
                        .exec_cached(
                            "UPDATE case_index SET version = version + 1, effective_at = ?3, doc = ?4,
                                 status = ?6, kind = ?7, source = ?8, sla_state = ?9, exception_count = ?10,
                                 employee_id = ?11, name = ?12, search = ?13
                             WHERE period = ?1 AND id = ?2 AND version = ?5",
                            params![
                                entry.period, entry.id.as_str(), entry.effective_at.timestamp_millis(), doc, v,
                                sum.status.as_str(), sum.kind.as_str(), sum.source.as_str(), sum.sla_state,
                                sum.exception_count as i64, sum.employee_id, sum.name, sum.search
                            ],
                        )
                        .map_err(store_err)?;
                    if n == 1 {
                        Ok(Versioned { value: entry, etag: etag(v + 1) })
                    } else {
                        Err(StoreError::PreconditionFailed { what })
                    }
                }
            }
        })
        .await
    }

    async fn list_period(&self, period: &str) -> Result<Vec<IndexEntry>, StoreError> {
        let period = period.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT doc FROM case_index WHERE period = ?1 ORDER BY effective_at, id",
                )
                .map_err(store_err)?;
            let rows = stmt
                .query_map(params![period], |r| r.get::<_, String>(0))
                .map_err(store_err)?;
            let mut out = Vec::new();
            for row in rows {
                let doc = row.map_err(store_err)?;
                out.push(
                    serde_json::from_str(&doc).map_err(|e| StoreError::Permanent {
                        detail: format!("stored index entry is unreadable: {e}"),
                    })?,
                );
            }
            Ok(out)
        })
        .await
    }

    async fn summaries(&self, period: &str) -> Result<Vec<IndexSummary>, StoreError> {
        let period = period.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT period, id, effective_at, status, kind, source, sla_state,
                            exception_count, employee_id, name, search
                     FROM case_index WHERE period = ?1 ORDER BY effective_at, id",
                )
                .map_err(store_err)?;
            let rows: Vec<(String, Result<IndexSummary, StoreError>)> = stmt
                .query_map(params![period], |r| Ok((r.get(1)?, summary_row(r)?)))
                .map_err(store_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(store_err)?;
            drop(stmt);
            let mut out = Vec::with_capacity(rows.len());
            for (id, row) in rows {
                match row {
                    Err(StoreError::Unavailable { detail }) if detail == NO_SUMMARY => {
                        let doc: String = conn
                            .query_row(
                                "SELECT doc FROM case_index WHERE period = ?1 AND id = ?2",
                                params![period, id],
                                |r| r.get(0),
                            )
                            .map_err(store_err)?;
                        let entry: IndexEntry = serde_json::from_str(&doc).map_err(unreadable)?;
                        out.push(IndexSummary::of(&entry));
                    }
                    row => out.push(row?),
                }
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
    use offboard_core::event::{TerminationEvent, TerminationFacts};
    use offboard_core::evidence::{Chain, ResolvedLeaver, hr_trigger_body, period_of};
    use offboard_core::ids::EmployeeIdentifiers;
    use offboard_core::signature::Verified;

    fn entry() -> IndexEntry {
        let at = Utc.with_ymd_and_hms(2026, 6, 1, 17, 0, 0).unwrap();
        let facts = TerminationFacts {
            source: Source::Generic,
            source_event_id: "evt-1".into(),
            source_subject_id: None,
            employee: EmployeeIdentifiers::new(
                Some("E1042".into()),
                Some("Ada@Contoso.example".into()),
                None,
                None,
            )
            .unwrap(),
            kind: TerminationKind::Voluntary,
            hr_effective: HrEffectiveTime::instant(&at.to_rfc3339()).unwrap(),
            reason: None,
        };
        let event = TerminationEvent::new(
            facts,
            &Verified::by_function_key(b"{}", at),
            &EffectivePolicy::new("UTC", "end-of-day").unwrap(),
        )
        .unwrap();
        let trigger = Chain::new(event.case_id())
            .push(hr_trigger_body(&event, "test", "received"))
            .unwrap();
        IndexEntry::from_trigger(&period_of(at), &trigger, false).unwrap()
    }

    /// The summary columns are written with the entry and read back as the summary the entry
    /// gives; a row without them (a database from before they existed) is summarised from its
    /// document, and `migrate` fills them in.
    #[tokio::test]
    async fn summaries_are_kept_with_the_entry_and_migrated_into_old_rows() {
        let db = Embedded::in_memory().unwrap();
        let mut e = entry();
        let v = db.put(&e, None).await.unwrap();
        e.status = CaseStatus::CompletedWithExceptions;
        e.exceptions = vec!["remove-groups (entra): 403".into()];
        e.leaver = Some(ResolvedLeaver {
            object_id: "obj-1".into(),
            display_name: Some("Ada <script>".into()),
            ..Default::default()
        });
        db.put(&e, Some(&v.etag)).await.unwrap();
        let want = IndexSummary::of(&e);
        assert_eq!(want.name, "Ada <script>");
        assert!(want.matches("ADA@contoso") && want.matches("e1042") && !want.matches("bob"));
        assert_eq!(db.summaries(&e.period).await.unwrap(), vec![want.clone()]);

        db.conn
            .lock()
            .unwrap()
            .execute_batch(
                "UPDATE case_index SET status = NULL, kind = NULL, source = NULL, sla_state = NULL,
                 exception_count = NULL, employee_id = NULL, name = NULL, search = NULL",
            )
            .unwrap();
        assert_eq!(db.summaries(&e.period).await.unwrap(), vec![want.clone()]);
        migrate(&db.conn.lock().unwrap()).unwrap();
        let missing: i64 = db
            .conn
            .lock()
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM case_index WHERE search IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(missing, 0);
        assert_eq!(db.summaries(&e.period).await.unwrap(), vec![want]);
        // Listing summaries reads the covering index alone, never the rows' documents.
        let plan: String = db
            .conn
            .lock()
            .unwrap()
            .query_row(
                "EXPLAIN QUERY PLAN SELECT period, id, effective_at, status, kind, source, sla_state,
                     exception_count, employee_id, name, search
                 FROM case_index WHERE period = ?1 ORDER BY effective_at, id",
                ["2026-06"],
                |r| r.get(3),
            )
            .unwrap();
        assert!(
            plan.contains("COVERING INDEX case_index_summaries"),
            "{plan}"
        );
    }
}
