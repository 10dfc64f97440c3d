//! Appending to a case's chain: HR's trigger as the first record, every later record at
//! the next free position (retried on a position race), the bodies of records offboard
//! writes itself, and folding each record into the compliance index.

use std::sync::PoisonError;

use chrono::{DateTime, Utc};

use offboard_core::case::Case;
use offboard_core::evidence::{
    Chain, EvidenceRecord, IndexEntry, Outcome, RecordBody, WormStatus, hr_trigger_body, period_of,
};
use offboard_core::ids::CaseId;
use offboard_core::ports::{EvidenceStoreError, StoredRecord, Versioned};

use crate::etag::{self, Change};

use super::{Evidence, EvidenceFailure, RETRIES};

impl Evidence {
    pub(super) async fn head(
        &self,
        period: &str,
        case_id: &CaseId,
    ) -> Result<Option<EvidenceRecord>, EvidenceFailure> {
        match self.store.last_record(period, case_id).await? {
            None => Ok(None),
            Some(StoredRecord { record: Ok(r), .. }) => Ok(Some(r)),
            Some(StoredRecord {
                record: Err(e),
                position,
            }) => Err(EvidenceFailure::Corrupt {
                case_id: case_id.clone(),
                detail: format!("record {position}: {e}"),
            }),
        }
    }

    /// Records HR's trigger as the case's first record. Idempotent: if the case already has
    /// evidence, nothing is written.
    pub async fn record_trigger(&self, case: &Case) -> Result<(), EvidenceFailure> {
        self.write_trigger(case, true).await
    }

    /// [`Self::record_trigger`] for a case this delivery has just created, without first
    /// reading the chain's head (a listing on Blob storage): the record is written
    /// create-only, so finding it already there counts as recorded all the same.
    pub async fn record_trigger_of_new_case(&self, case: &Case) -> Result<(), EvidenceFailure> {
        self.write_trigger(case, false).await
    }

    async fn write_trigger(&self, case: &Case, look_first: bool) -> Result<(), EvidenceFailure> {
        let period = period_of(case.event.effective_at());
        let slot = self.heads.slot(&case.id);
        let mut known = slot.lock().await;
        if known.head.is_some() || (look_first && self.head(&period, &case.id).await?.is_some()) {
            return Ok(());
        }
        let record = Chain::new(case.id.clone()).next(hr_trigger_body(
            &case.event,
            &self.actor,
            case.status.as_str(),
        ))?;
        match self.store.put_record(&period, &record).await {
            Ok(()) => {}
            // A concurrent delivery recorded it first.
            Err(EvidenceStoreError::Conflict { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        known.head = Some(record.clone());
        self.index_record(&period, &record, &mut known.entry).await
    }

    /// Appends a record to the case's chain and folds it into the index. Appends to one case
    /// in this instance take turns, each from the head the last one left; a position another
    /// instance took first is a `Conflict`, after which the head is read from the store again.
    pub async fn append(
        &self,
        case: &Case,
        body: RecordBody,
    ) -> Result<EvidenceRecord, EvidenceFailure> {
        let period = period_of(case.event.effective_at());
        let slot = self.heads.slot(&case.id);
        let mut known = slot.lock().await;
        for _ in 0..RETRIES {
            let last =
                match known.head.take() {
                    Some(last) => last,
                    None => self.head(&period, &case.id).await?.ok_or_else(|| {
                        EvidenceFailure::Corrupt {
                            case_id: case.id.clone(),
                            detail: "the case has no HR trigger record".into(),
                        }
                    })?,
                };
            let record = Chain::after(&last).next(body.clone())?;
            match self.store.put_record(&period, &record).await {
                Ok(()) => {
                    known.head = Some(record.clone());
                    self.index_record(&period, &record, &mut known.entry)
                        .await?;
                    return Ok(record);
                }
                // Another instance took the position: the head is read again.
                Err(EvidenceStoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EvidenceFailure::Contended(case.id.clone()))
    }

    /// The body of a record of something offboard itself did or found (not a call to an
    /// outside service, so no request, response or read-back), acted by this service's
    /// actor at `at`. Callers add what they know with struct update syntax.
    pub fn body(
        &self,
        step: &str,
        target_system: &str,
        action: impl Into<String>,
        outcome: Outcome,
        at: DateTime<Utc>,
    ) -> RecordBody {
        RecordBody::plain(step, target_system, action, &self.actor, outcome, at)
    }

    /// A record of what happened to the case itself (cancelled, completed), which also
    /// sets the status the index shows.
    pub fn case_status_body(
        &self,
        case: &Case,
        action: &str,
        reason: Option<String>,
    ) -> RecordBody {
        RecordBody {
            target_ids: vec![case.id.to_string()],
            reason,
            details: Some(serde_json::json!({"caseStatus": case.status})),
            ..self.body("case", "offboard", action, Outcome::Noted, self.clock.now())
        }
    }

    /// Records a person's (or GRC application's) action on the case — a retry, a remediation —
    /// with who did it (Entra object id, UPN, how they signed in, their roles) and when, so the
    /// chain says who did what. The record also carries the case's status for the index.
    pub async fn record_human_action(
        &self,
        case: &Case,
        action: &str,
        by: &offboard_core::actor::HumanActor,
        details: serde_json::Value,
    ) -> Result<EvidenceRecord, EvidenceFailure> {
        let mut all = serde_json::json!({
            "caseStatus": case.status,
            "by": by,
        });
        if let (Some(all), serde_json::Value::Object(more)) = (all.as_object_mut(), details) {
            all.extend(more);
        }
        let body = RecordBody {
            target_ids: vec![case.id.to_string()],
            actor: by.describe(),
            details: Some(all),
            ..self.body(
                "human-action",
                "offboard",
                action,
                Outcome::Noted,
                self.clock.now(),
            )
        };
        self.append(case, body).await
    }

    /// Records that the case moved to its current status (`note` says why), so the index
    /// and the evidence show every transition.
    pub async fn record_status(
        &self,
        case: &Case,
        note: &str,
    ) -> Result<EvidenceRecord, EvidenceFailure> {
        let body = self.case_status_body(
            case,
            &format!("case {}", case.status),
            Some(note.to_owned()),
        );
        self.append(case, body).await
    }

    /// Folds `record` into the case's index entry. `remembered` is the entry as this instance
    /// last wrote it (see [`super::heads`]): the first try starts from it instead of a read,
    /// and it is left holding what this write stored (`None` when the write did not happen).
    async fn index_record(
        &self,
        period: &str,
        record: &EvidenceRecord,
        remembered: &mut Option<Versioned<IndexEntry>>,
    ) -> Result<(), EvidenceFailure> {
        let worm = matches!(self.store.worm(), WormStatus::Enforced { .. });
        let mut first = remembered.take();
        let stored = std::sync::Mutex::new(None);
        let stored_ref = &stored;
        let updated = etag::update(
            RETRIES,
            || {
                let first = first.take();
                async move {
                    if first.is_some() {
                        return Ok(first);
                    }
                    match self.index.get(period, &record.case_id).await? {
                        None if record.seq != 0 => {
                            // The trigger's index write was lost: rebuild the entry from the
                            // store (the rebuilt entry already holds this record).
                            self.rebuild_entry(period, &record.case_id).await?;
                            Ok(self.index.get(period, &record.case_id).await?)
                        }
                        found => Ok::<_, EvidenceFailure>(found),
                    }
                }
            },
            |slot: &mut Option<IndexEntry>| match slot {
                Some(entry) => {
                    entry.apply(record);
                    Ok(Change::Write(()))
                }
                None if record.seq == 0 => {
                    let entry = IndexEntry::from_trigger(period, record, worm).map_err(|e| {
                        EvidenceFailure::Corrupt {
                            case_id: record.case_id.clone(),
                            detail: e.to_string(),
                        }
                    })?;
                    *slot = Some(entry);
                    Ok(Change::Write(()))
                }
                None => Ok(Change::ReadAgain),
            },
            |entry, etag| async move {
                let written = self.index.put(&entry, etag.as_ref()).await?;
                *stored_ref.lock().unwrap_or_else(PoisonError::into_inner) = Some(written);
                Ok(())
            },
        )
        .await?;
        if updated.is_none() {
            return Err(EvidenceFailure::Contended(record.case_id.clone()));
        }
        *remembered = stored.into_inner().unwrap_or_else(PoisonError::into_inner);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use offboard_core::case::Case;
    use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
    use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
    use offboard_core::evidence::{IndexEntry, Outcome, RecordBody};
    use offboard_core::ids::{CaseId, EmployeeIdentifiers};
    use offboard_core::ports::{CaseIndex, ETag, StoreError, Versioned};
    use offboard_core::signature::Verified;
    use offboard_embedded::{Embedded, FileEvidenceStore};

    use crate::SystemClock;
    use crate::evidence::Evidence;

    fn case() -> Case {
        let now = chrono::Utc::now();
        let event = TerminationEvent::new(
            TerminationFacts {
                source: Source::Generic,
                source_event_id: "evt-trigger".into(),
                source_subject_id: None,
                employee: EmployeeIdentifiers::new(
                    None,
                    Some("ann@contoso.example".into()),
                    None,
                    None,
                )
                .unwrap(),
                kind: TerminationKind::Voluntary,
                hr_effective: HrEffectiveTime::instant(&now.to_rfc3339()).unwrap(),
                reason: None,
            },
            &Verified::by_function_key(b"{}", now),
            &EffectivePolicy::default(),
        )
        .unwrap();
        Case::open(event, now)
    }

    /// The compliance index, counting its reads.
    struct CountedIndex {
        db: Arc<Embedded>,
        reads: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl CaseIndex for CountedIndex {
        async fn get(
            &self,
            period: &str,
            case_id: &CaseId,
        ) -> Result<Option<Versioned<IndexEntry>>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.db.get(period, case_id).await
        }
        async fn put(
            &self,
            entry: &IndexEntry,
            etag: Option<&ETag>,
        ) -> Result<Versioned<IndexEntry>, StoreError> {
            self.db.put(entry, etag).await
        }
        async fn list_period(&self, period: &str) -> Result<Vec<IndexEntry>, StoreError> {
            self.db.list_period(period).await
        }
    }

    fn note(evidence: &Evidence, n: usize) -> RecordBody {
        evidence.body(
            "test",
            "offboard",
            format!("note {n}"),
            Outcome::Noted,
            chrono::Utc::now(),
        )
    }

    #[tokio::test]
    async fn appends_fold_into_the_entry_they_wrote_and_a_stale_one_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Embedded::open(dir.path()).unwrap());
        let index = Arc::new(CountedIndex {
            db: db.clone(),
            reads: AtomicUsize::new(0),
        });
        let store = Arc::new(FileEvidenceStore::open(&dir.path().join("evidence")).unwrap());
        let evidence = Evidence::new(store, index.clone(), "test", Arc::new(SystemClock));
        let case = case();
        let period = offboard_core::evidence::period_of(case.event.effective_at());
        evidence.record_trigger_of_new_case(&case).await.unwrap();
        assert_eq!(
            index.reads.load(Ordering::SeqCst),
            1,
            "the trigger looks once"
        );
        for n in 0..5 {
            evidence.append(&case, note(&evidence, n)).await.unwrap();
        }
        assert_eq!(
            index.reads.load(Ordering::SeqCst),
            1,
            "each append folds into the entry the last one wrote, without reading it"
        );
        // Another instance appends: the entry this one remembers is now stale.
        let other = evidence.as_new_instance();
        other.append(&case, note(&other, 5)).await.unwrap();
        let before = index.reads.load(Ordering::SeqCst);
        evidence.append(&case, note(&evidence, 6)).await.unwrap();
        assert!(
            index.reads.load(Ordering::SeqCst) > before,
            "the refused write on a stale ETag is followed by a fresh read"
        );
        let entry = db.get(&period, &case.id).await.unwrap().unwrap().value;
        assert_eq!(entry.record_count, 8, "trigger and seven notes, none lost");
        let seqs: Vec<u64> = entry.timeline.iter().map(|t| t.seq).collect();
        assert_eq!(seqs, (0..8).collect::<Vec<u64>>());
    }

    /// A fresh instance each time: nothing remembered of the chain's head.
    fn evidence(dir: &std::path::Path) -> Evidence {
        let db = Arc::new(Embedded::open(dir).unwrap());
        let store = Arc::new(FileEvidenceStore::open(&dir.join("evidence")).unwrap());
        Evidence::new(store, db, "test", Arc::new(SystemClock))
    }

    #[tokio::test]
    async fn a_new_cases_trigger_found_already_on_file_counts_as_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let case = case();
        let period = offboard_core::evidence::period_of(case.event.effective_at());
        evidence(dir.path())
            .record_trigger_of_new_case(&case)
            .await
            .unwrap();
        // The same event id delivered again to an instance that has not seen it (its case
        // document created anew, say): the record is there, nothing is written twice.
        evidence(dir.path())
            .record_trigger_of_new_case(&case)
            .await
            .unwrap();
        evidence(dir.path()).record_trigger(&case).await.unwrap();
        let packet = evidence(dir.path())
            .packet(&period, &case.id)
            .await
            .unwrap();
        assert_eq!(packet.records.len(), 1, "one trigger record");
        assert_eq!(packet.records[0].seq, 0, "the first position");
    }
}
