//! Undoing a mistaken termination: a restore adds the reverse plan's steps to the case's own
//! plan and reopens it, as the ghost-access scan's re-run does (`remediation.rs`,
//! `remediate_drift`): the steps run as any step does (lease, read first, read back, one
//! record per action), on the same chain, and the seal step seals a new generation over every
//! record. Asked by an operator (`POST /api/cases/{id}/restore`, four eyes: not the person who
//! raised the termination) or by a rescind from HR that arrives within the policy's days.

use std::time::Duration;

use offboard_core::case::{Actor, CaseStatus, Restore, RolesApproval};
use offboard_core::evidence::{Outcome, RecordBody};
use offboard_core::ids::CaseId;
use offboard_core::messages::StepMessage;
use offboard_core::notify::{Notification, NotificationKind};
use offboard_core::plan::ReversePlan;
use offboard_core::ports::Versioned;

use super::Engine;
use super::outcome::EngineError;
use crate::restore::{RestoreError, RestoreStarted, restorable, reverse_plan};

/// Why a restore cancels a scheduled `delete-account`.
const CANCELLED_BY_RESTORE: &str =
    "cancelled: the termination was restored before the account was deleted";

impl Engine {
    /// Restores the ended case `id` from its snapshot, asked by `by` for `reason`: records the
    /// request and the reverse plan in the case's evidence, adds the restore steps to the plan
    /// (or sets them pending again: a second restore runs them again, and each finds its state
    /// already back) and enqueues the first.
    pub async fn restore(
        &self,
        id: &CaseId,
        by: Actor,
        reason: &str,
    ) -> Result<RestoreStarted, EngineError> {
        if reason.trim().is_empty() {
            return Err(RestoreError::NoReason.into());
        }
        let Versioned { value: case, .. } = self.load(id).await?;
        if let Some(raiser) = &case.raised_by
            && raiser.is_same_identity(&by)
        {
            return Err(RestoreError::SelfRestore { who: by.describe() }.into());
        }
        let reverse = reverse_plan(&case, &self.evidence).await?;
        if reverse.steps.is_empty() {
            // Nothing to put back, but the account must not be deleted later either.
            self.cancel_follow_ups(id, CANCELLED_BY_RESTORE).await?;
            let Versioned { value: case, .. } = self.load(id).await?;
            return Ok(RestoreStarted { case, reverse });
        }
        let mut ready = Vec::new();
        let (case, ()) = self
            .change_case(id, |case, now| {
                restorable(case)?;
                let Some(plan) = case.plan.as_mut() else {
                    return Ok(crate::etag::Change::Keep(()));
                };
                plan.add_restore(&reverse);
                plan.cancel_follow_ups(CANCELLED_BY_RESTORE, now);
                ready = Self::take_ready(plan, now);
                let count = case.restored.as_ref().map_or(0, |r| r.count) + 1;
                case.restored = Some(Restore {
                    by: by.clone(),
                    at: now,
                    reason: reason.to_owned(),
                    count,
                    roles: held_roles(&reverse),
                });
                case.transition(
                    CaseStatus::Running,
                    format!(
                        "restore {count} asked by {}: {reason}; {} step(s) to put access back",
                        by.describe(),
                        reverse.steps.len()
                    ),
                    now,
                )
                .map_err(|e| EngineError::Refused(e.to_string()))?;
                Ok(crate::etag::Change::Write(()))
            })
            .await?;
        let told = lost_notice(&case, &reverse);
        let body = RecordBody {
            target_ids: vec![case.id.to_string()],
            actor: by.describe(),
            reason: Some(reason.to_owned()),
            details: Some(serde_json::json!({
                "caseStatus": case.status,
                "by": by,
                "restore": reverse,
                "toldWhatCannotComeBack": told.as_ref().map(|n| &n.recipients),
            })),
            ..self.evidence.body(
                "restore",
                "offboard",
                "restore requested: put back what the case took, from its snapshot",
                Outcome::Noted,
                self.clock.now(),
            )
        };
        self.evidence.append(&case, body).await?;
        if let Some(mut n) = told {
            n.at = self.clock.now();
            self.notifier.notify(&n).await.map_err(EngineError::Queue)?;
        }
        for k in ready {
            self.enqueue_step(
                &StepMessage {
                    case_id: id.clone(),
                    step: k,
                    attempt: 0,
                },
                Duration::ZERO,
            )
            .await?;
        }
        Ok(RestoreStarted { case, reverse })
    }

    /// Records on the ended (or still running) case `id` that HR rescinded its termination
    /// but the case is not restored, and why (`why`: the rescind came after the policy's
    /// days, or a restore could not start), and notifies the operators: a late rescind is
    /// never dropped in silence. An ended case is sealed again (a new generation over the
    /// added record); a running one is sealed when it ends.
    pub async fn rescind_not_restored(
        &self,
        id: &CaseId,
        by: Actor,
        note: &str,
        why: &str,
    ) -> Result<offboard_core::case::Case, EngineError> {
        let Versioned { value: case, .. } = self.load(id).await?;
        let body = RecordBody {
            target_ids: vec![case.id.to_string()],
            actor: by.describe(),
            reason: Some(note.to_owned()),
            details: Some(serde_json::json!({
                "caseStatus": case.status,
                "by": by,
                "restored": false,
                "why": why,
            })),
            ..self.evidence.body(
                "rescind",
                "offboard",
                "rescind received after the termination took effect: not restored, an operator decides",
                Outcome::Noted,
                self.clock.now(),
            )
        };
        // A redelivered rescind (the same note names the same HR message) is recorded once.
        let period = offboard_core::evidence::period_of(case.event.effective_at());
        let recorded = self
            .evidence
            .store()
            .records(&period, &case.id)
            .await
            .map_err(crate::evidence::EvidenceFailure::from)?
            .into_iter()
            .filter_map(|r| r.record.ok())
            .any(|r| r.body.step == "rescind" && r.body.reason.as_deref() == Some(note));
        if !recorded {
            self.evidence.append(&case, body).await?;
        }
        // Whoever decides, the account is not deleted while they do.
        self.cancel_follow_ups(
            id,
            "cancelled: HR rescinded the termination before the account was deleted",
        )
        .await?;
        let Versioned { value: case, .. } = self.load(id).await?;
        if matches!(
            case.status,
            CaseStatus::Completed | CaseStatus::CompletedWithExceptions
        ) {
            self.evidence.reseal(&case).await?;
        }
        self.notify(
            &case,
            NotificationKind::RescindNotRestored,
            &format!("HR rescinded the termination ({note}), but access was not put back: {why}"),
            &format!(
                "Check with HR that the person still works here. If so, restore the case with POST /api/cases/{}/restore {{\"reason\": \"...\"}} (another operator than the one who raised it; preview it with offboard plan --restore {}); if not, nothing to do.",
                case.id, case.id
            ),
            &format!("rescind:{note}"),
        )
        .await?;
        Ok(case)
    }
}

/// The directory roles a restore holds for a second approval (`None` when it holds none).
fn held_roles(reverse: &ReversePlan) -> Option<RolesApproval> {
    let roles: Vec<String> = reverse
        .second_approval
        .iter()
        .flat_map(|s| s.items.iter().cloned())
        .collect();
    (!roles.is_empty()).then_some(RolesApproval {
        roles,
        decision: None,
    })
}

/// The notice telling the person and their manager what the restore could not put back and
/// what each of them does (`None` when nothing is lost, nobody has an address, or the case was
/// restored before).
fn lost_notice(case: &offboard_core::case::Case, reverse: &ReversePlan) -> Option<Notification> {
    let facts = &case.plan.as_ref()?.facts;
    let address = |p: &offboard_core::plan::PersonRef| {
        p.mail.clone().or_else(|| p.user_principal_name.clone())
    };
    let recipients: Vec<String> = std::iter::once(address(&facts.user))
        .chain(std::iter::once(facts.manager.as_ref().and_then(address)))
        .flatten()
        .collect();
    // Told once: a second restore of the same case puts nothing new back and loses nothing
    // more, so it mails nobody again.
    let count = case.restored.as_ref().map_or(0, |r| r.count);
    if reverse.lost.is_empty() || recipients.is_empty() || count > 1 {
        return None;
    }
    let list = |f: &dyn Fn(&offboard_core::plan::Lost) -> String| {
        reverse.lost.iter().map(f).collect::<Vec<_>>().join("; ")
    };
    Some(Notification {
        kind: NotificationKind::RestoreLost,
        case_id: case.id.clone(),
        leaver: facts
            .user
            .display_name
            .clone()
            .or_else(|| facts.user.user_principal_name.clone())
            .unwrap_or_else(|| facts.user.id.clone()),
        what: format!(
            "The account's access was put back after a mistaken termination. What could not come back: {}",
            list(&|l| if l.items.is_empty() {
                l.what.clone()
            } else {
                format!("{} ({})", l.what, l.items.join(", "))
            })
        ),
        action: format!(
            "The person: {}. The manager: {}.",
            list(&|l| l.for_person.clone()),
            list(&|l| l.for_manager.clone())
        ),
        at: chrono::Utc::now(),
        key: format!("{}:RestoreLost:{count}", case.id),
        recipients,
    })
}
