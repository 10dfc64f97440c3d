//! Appending to a case's chain: HR's trigger as the first record, every later record at
//! the next free position (retried on a position race), the bodies of records offboard
//! writes itself, and folding each record into the compliance index.

use chrono::{DateTime, Utc};

use offboard_core::case::Case;
use offboard_core::evidence::{
    Chain, EvidenceRecord, IndexEntry, Outcome, RecordBody, WormStatus, hr_trigger_body, period_of,
};
use offboard_core::ids::CaseId;
use offboard_core::ports::{EvidenceStoreError, StoredRecord};

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
        if known.is_some() || (look_first && self.head(&period, &case.id).await?.is_some()) {
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
        *known = Some(record.clone());
        self.index_record(&period, &record).await
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
                match known.take() {
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
                    *known = Some(record.clone());
                    self.index_record(&period, &record).await?;
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

    async fn index_record(
        &self,
        period: &str,
        record: &EvidenceRecord,
    ) -> Result<(), EvidenceFailure> {
        let worm = matches!(self.store.worm(), WormStatus::Enforced { .. });
        etag::update(
            RETRIES,
            || async move {
                match self.index.get(period, &record.case_id).await? {
                    None if record.seq != 0 => {
                        // The trigger's index write was lost: rebuild the entry from the
                        // store (the rebuilt entry already holds this record).
                        self.rebuild_entry(period, &record.case_id).await?;
                        Ok(self.index.get(period, &record.case_id).await?)
                    }
                    found => Ok::<_, EvidenceFailure>(found),
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
            |entry, etag| self.put_index(entry, etag),
        )
        .await?
        .map(|_| ())
        .ok_or_else(|| EvidenceFailure::Contended(record.case_id.clone()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use offboard_core::case::Case;
    use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
    use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
    use offboard_core::ids::EmployeeIdentifiers;
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
