//! Every change a step sends is in the evidence before it is sent, and a later attempt that
//! finds the change made says which attempt made it.
//!
//! A step records its actions when it ends. An attempt that changes something and then
//! ends early — a temporary failure on a later call, or the handler killed — would leave a
//! change in the tenant that no record names: its retry finds the change made and records
//! only what it read. So while a step runs, the Graph and Exchange clients announce every
//! request that can change the tenant to a [`StepJournal`] first
//! ([`offboard_graph::with_journal`]), which appends an *announcement* record (outcome
//! `noted`: the step, the attempt, the request in outline and the `client-request-id` the
//! request carries — Graph's own correlation id, echoed in its answer and kept in
//! Microsoft's request logs); the request is sent only once that record is stored.
//!
//! When a retry verifies a change by reading alone, [`Engine::attribute_earlier_changes`]
//! finds the announcement of an earlier attempt for the same object and adds it to the
//! retry's record as `details.changedBy`: an auditor reads "announced and sent by attempt 1
//! (record 12, client-request-id …), verified by attempt 2".

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use offboard_core::case::Case;
use offboard_core::evidence::{Outcome, RecordBody, RequestOutline, millis, period_of};
use offboard_core::plan::StepKind;
use offboard_graph::{WriteAnnouncement, WriteJournal};

use super::Engine;
use super::outcome::EngineError;
use super::sign_in_cut::is_cut_kind;
use crate::attempt::{ActionEvidence, StepReport, TargetSystem};
use crate::evidence::{Evidence, EvidenceFailure};
use crate::steps::INVOKE_COMMAND;

/// Why an announcement record exists, in its `reason`.
const ANNOUNCED: &str = "recorded before the request was sent, so the change it makes is in the evidence even if this attempt ends before its own record; the step's later record (of this attempt or the next) shows the outcome";

/// Records each change of one attempt of one step before it is sent.
pub(super) struct StepJournal {
    evidence: Evidence,
    case: Case,
    step: StepKind,
    attempt: u32,
}

impl StepJournal {
    /// The journal of attempt `attempt` of `step` on `case`.
    pub(super) fn new(evidence: Evidence, case: Case, step: StepKind, attempt: u32) -> Arc<Self> {
        Arc::new(Self {
            evidence,
            case,
            step,
            attempt,
        })
    }

    fn body(&self, w: &WriteAnnouncement<'_>, now: DateTime<Utc>) -> RecordBody {
        let (system, target) = if w.service == "exchange" {
            (
                TargetSystem::Exchange,
                format!("{INVOKE_COMMAND} {}", w.operation),
            )
        } else {
            (graph_system(w.path), w.path.to_owned())
        };
        let leaver = self
            .case
            .plan
            .as_ref()
            .map(|p| p.facts.user.id.clone())
            .into_iter()
            .collect();
        RecordBody {
            target_ids: leaver,
            request: Some(RequestOutline {
                method: w.method.to_owned(),
                target,
            }),
            reason: Some(ANNOUNCED.to_owned()),
            details: Some(json!({
                "announced": true,
                "attempt": self.attempt,
                "operation": w.operation,
                "clientRequestId": w.client_request_id,
            })),
            ..self.evidence.body(
                self.step.as_str(),
                system.as_str(),
                format!("about to send {}", w.operation),
                Outcome::Noted,
                now,
            )
        }
    }
}

/// The system a Graph path acts on, as evidence names it.
fn graph_system(path: &str) -> TargetSystem {
    if path.starts_with("/deviceManagement/") {
        TargetSystem::Intune
    } else if path.starts_with("/drives/") {
        TargetSystem::Onedrive
    } else {
        TargetSystem::Entra
    }
}

#[async_trait]
impl WriteJournal for StepJournal {
    async fn before_write(&self, w: WriteAnnouncement<'_>) -> Result<(), String> {
        let body = self.body(&w, Utc::now());
        self.evidence
            .append(&self.case, body)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// An earlier attempt's announcement, as a later record cites it.
struct Announced {
    seq: u64,
    attempt: u64,
    at: DateTime<Utc>,
    request: RequestOutline,
    client_request_id: Value,
}

impl Announced {
    /// Whether it concerns every object of `target_ids` (a Graph path names them; an
    /// Exchange cmdlet's outline does not, and each Exchange step sends one kind of change).
    fn concerns(&self, target_ids: &[String]) -> bool {
        self.request.target.starts_with(INVOKE_COMMAND)
            || target_ids
                .iter()
                .all(|id| self.request.target.split('/').any(|segment| segment == id))
    }
}

/// Whether an action verified its goal by reading only (it found the change made).
fn verified_by_reading(a: &ActionEvidence) -> bool {
    a.outcome == Outcome::Verified
        && a.request
            .as_ref()
            .is_some_and(|r| r.method == "GET" || r.target.contains(" Get-"))
}

impl Engine {
    /// Adds to each action of `report` that found its change already made the earlier
    /// attempt of this step that announced it (`details.changedBy`). Reads the case's
    /// records only when this is a retry (or a queued step of the sign-in cut after intake's
    /// inline cut, whose announcements are attempt 0) and some action verified by reading
    /// alone.
    pub(super) async fn attribute_earlier_changes(
        &self,
        case: &Case,
        kind: StepKind,
        attempt: u32,
        report: &mut StepReport,
    ) -> Result<(), EngineError> {
        let after_inline_cut = is_cut_kind(kind) && case.sign_in_cut.is_some();
        if (attempt <= 1 && !after_inline_cut) || !report.actions.iter().any(verified_by_reading) {
            return Ok(());
        }
        let period = period_of(case.event.effective_at());
        let records = self
            .evidence
            .store()
            .records(&period, &case.id)
            .await
            .map_err(EvidenceFailure::from)?;
        let announced: Vec<Announced> = records
            .into_iter()
            .filter_map(|r| r.record.ok())
            .filter(|r| r.body.step == kind.as_str())
            .filter_map(|r| {
                let d = r.body.details.as_ref()?;
                let earlier = d["attempt"].as_u64()?;
                let request = r.body.request.clone()?;
                (d["announced"] == true && earlier < u64::from(attempt)).then(|| Announced {
                    seq: r.seq,
                    attempt: earlier,
                    at: r.body.started_at,
                    client_request_id: d["clientRequestId"].clone(),
                    request,
                })
            })
            .collect();
        for a in report.actions.iter_mut().filter(|a| verified_by_reading(a)) {
            // The latest announcement for the object is the request that can have made it.
            let Some(by) = announced.iter().rev().find(|n| n.concerns(&a.target_ids)) else {
                continue;
            };
            let details = a.details.get_or_insert_with(|| json!({}));
            if let Some(map) = details.as_object_mut() {
                map.insert(
                    "changedBy".to_owned(),
                    json!({
                        "attempt": by.attempt,
                        "announcementSeq": by.seq,
                        "announcedAt": millis::text(by.at),
                        "request": format!("{} {}", by.request.method, by.request.target),
                        "clientRequestId": by.client_request_id,
                        "verifiedByAttempt": attempt,
                    }),
                );
            }
        }
        Ok(())
    }
}
