//! What a restore would do to a case, read from its evidence: the leaver's snapshot (the
//! `plan` record's `details.snapshot`, written before anything of the plan changed) and what
//! the case did (which steps announced a write of their own; the AD account as the agent
//! found it before the first change), handed to the pure reverse planner
//! ([`offboard_core::plan::reverse`]). Reads only: `offboard plan --restore` shows it, and the
//! engine's restore (`engine/restore.rs`) runs it.

use offboard_core::case::{Case, CaseStatus};
use offboard_core::evidence::{EvidenceRecord, period_of};
use offboard_core::plan::{AdBefore, CaseDid, Facts, ReversePlan, StepKind, reverse};

use crate::evidence::{Evidence, EvidenceFailure};

/// What a restore started.
#[derive(Debug, Clone)]
pub struct RestoreStarted {
    /// The case, reopened (or as it was, when there was nothing to put back).
    pub case: Case,
    /// The reverse plan: its steps, what needs a second approval, what cannot come back.
    pub reverse: ReversePlan,
}

/// Why a case cannot be restored.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// Nothing was taken away, or the case is still running.
    #[error("case {case} is {status}: {why}")]
    NotRestorable {
        /// The case.
        case: String,
        /// Its status.
        status: CaseStatus,
        /// Why that rules a restore out, and what to do instead.
        why: &'static str,
    },
    /// The person who raised the termination asked to undo it (four eyes).
    #[error("{who} raised this termination and cannot also restore it: another operator must")]
    SelfRestore {
        /// The person.
        who: String,
    },
    /// A restore needs a reason.
    #[error("a restore needs a reason (\"reason\": \"...\")")]
    NoReason,
    /// A decision on the directory roles a restore holds was refused.
    #[error(transparent)]
    Roles(#[from] offboard_core::case::RolesDecisionError),
    /// The evidence could not be read.
    #[error(transparent)]
    Evidence(#[from] EvidenceFailure),
}

impl RestoreError {
    /// Whether retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Evidence(e) => e.is_transient(),
            Self::NotRestorable { .. }
            | Self::SelfRestore { .. }
            | Self::NoReason
            | Self::Roles(_) => false,
        }
    }
}

/// Whether `case` can be restored now: it ended (completed, with or without exceptions)
/// after its plan ran. Anything else is refused with why.
pub fn restorable(case: &Case) -> Result<(), RestoreError> {
    let why = match (case.status, &case.plan) {
        (CaseStatus::Completed | CaseStatus::CompletedWithExceptions, Some(_)) => return Ok(()),
        (CaseStatus::Completed | CaseStatus::CompletedWithExceptions, None) => {
            "the leaver was never resolved, so nothing was changed"
        }
        (CaseStatus::Running, _) => {
            "its steps are still running: restore once it has ended (it ends within minutes; failed steps can wait)"
        }
        (CaseStatus::Received | CaseStatus::Scheduled, _) => {
            "it has not taken effect: rescind it instead, which cancels it"
        }
        (CaseStatus::AwaitingApproval, _) => {
            "it is held and nothing was changed: reject it instead"
        }
        (CaseStatus::Cancelled | CaseStatus::Rejected, _) => "nothing was changed",
    };
    Err(RestoreError::NotRestorable {
        case: case.id.to_string(),
        status: case.status,
        why,
    })
}

/// The reverse plan of `case`, from its evidence. Changes nothing.
pub async fn reverse_plan(case: &Case, evidence: &Evidence) -> Result<ReversePlan, RestoreError> {
    restorable(case)?;
    let period = period_of(case.event.effective_at());
    let records: Vec<EvidenceRecord> = evidence
        .store()
        .records(&period, &case.id)
        .await
        .map_err(EvidenceFailure::from)?
        .into_iter()
        .map(|r| {
            r.record.map_err(|detail| EvidenceFailure::Corrupt {
                case_id: case.id.clone(),
                detail,
            })
        })
        .collect::<Result<_, _>>()?;
    let plan = case
        .plan
        .as_ref()
        .ok_or_else(|| RestoreError::NotRestorable {
            case: case.id.to_string(),
            status: case.status,
            why: "it has no plan",
        })?;
    let snapshot = snapshot(&records).unwrap_or_else(|| plan.facts.clone());
    let mut did = case_did(plan, &records);
    cut_dropped_ad_disable(case, &mut did);
    Ok(reverse(&snapshot, &did))
}

/// The snapshot the `plan` record carries (the latest, should a case have several).
fn snapshot(records: &[EvidenceRecord]) -> Option<Facts> {
    records
        .iter()
        .rev()
        .filter(|r| r.body.step == "plan")
        .find_map(|r| {
            let s = r.body.details.as_ref()?.get("snapshot")?;
            serde_json::from_value(s.clone()).ok()
        })
}

/// The inline sign-in cut stops at its budget and drops the answers still in flight: an AD
/// disable the agent carried out then has no record, and the queued `ad-disable` that
/// finishes the cut finds the account already disabled. So when the cut stopped without a
/// verified `ad-disable` and the first AD state recorded shows the account disabled, the
/// disable is the case's own (its command was sent), and a restore enables it again.
fn cut_dropped_ad_disable(case: &Case, did: &mut CaseDid) {
    let Some(cut) = &case.sign_in_cut else {
        return;
    };
    let cut_sent_disable = cut.reason.is_some()
        && !cut.steps.iter().any(|s| {
            s.kind == StepKind::AdDisable && s.status == offboard_core::plan::StepStatus::Verified
        });
    if cut_sent_disable && did.ad_before.as_ref().is_some_and(|a| a.disabled) {
        did.changed.insert(StepKind::AdDisable);
    }
}

/// What the case did, from its plan and its records: each termination step's status; the
/// steps that announced a write of their own (the journal's `announced` records, made before
/// every Graph and Exchange change) or, for the AD steps, whose agent command changed the
/// account; and the AD account before the first change.
pub(crate) fn case_did(plan: &offboard_core::plan::Plan, records: &[EvidenceRecord]) -> CaseDid {
    let mut did = CaseDid::default();
    for s in plan.steps.iter().filter(|s| s.kind.restore().is_none()) {
        did.statuses.insert(s.kind, s.status);
    }
    for r in records {
        let Some(kind) = StepKind::parse(&r.body.step).filter(|k| k.restore().is_none()) else {
            continue;
        };
        let details = r.body.details.as_ref();
        if details.and_then(|d| d.get("announced")) == Some(&serde_json::Value::Bool(true)) {
            did.changed.insert(kind);
        }
        if kind.is_on_prem() {
            let state = |key: &str| {
                details
                    .and_then(|d| d.get(key))
                    .and_then(|v| serde_json::from_value::<AdBefore>(v.clone()).ok())
            };
            // An agent action that changed the account says so (`changed`, from the agent's
            // `done`); `ad-disable` also carries the account before and after.
            let said_changed =
                details.and_then(|d| d.get("changed")) == Some(&serde_json::Value::Bool(true));
            if said_changed
                || matches!((state("before"), state("after")), (Some(b), Some(a)) if b != a)
            {
                did.changed.insert(kind);
            }
            if did.ad_before.is_none() {
                did.ad_before = state("before");
            }
        }
    }
    did
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use offboard_core::evidence::{Chain, Outcome, RecordBody};
    use offboard_core::ids::CaseId;
    use offboard_core::plan::{PersonRef, Plan, RestoreAction, StepStatus};
    use serde_json::json;

    fn facts(synced: bool) -> Facts {
        serde_json::from_value(json!({
            "user": {"id": "u1", "userPrincipalName": "ada@contoso.example"},
            "resolvedBy": "employeeId", "synced": synced, "accountEnabled": true,
            "licences": [], "groups": [], "directoryRoles": [], "appRoles": [],
            "authMethods": [], "devices": [],
            "mailbox": {"recipientType": "UserMailbox", "hidden": false},
            "manager": {"id": "m1", "userPrincipalName": "grace@contoso.example"},
        }))
        .unwrap()
    }

    fn record(
        chain: &mut Option<EvidenceRecord>,
        step: &str,
        details: serde_json::Value,
    ) -> EvidenceRecord {
        let c = chain
            .as_ref()
            .map_or_else(|| Chain::new(CaseId::derive("generic", "e1")), Chain::after);
        let now = Utc::now();
        let r = c
            .next(RecordBody {
                step: step.into(),
                target_system: "entra".into(),
                action: "x".into(),
                target_ids: vec![],
                request: None,
                response_status: None,
                service_request_id: None,
                read_back: None,
                started_at: now,
                ended_at: now,
                actor: "offboard".into(),
                outcome: Outcome::Verified,
                reason: None,
                details: Some(details),
            })
            .unwrap();
        *chain = Some(r.clone());
        r
    }

    fn plan(facts: Facts, kinds: &[StepKind]) -> Plan {
        let mut p = offboard_core::plan::build(
            facts,
            offboard_core::policy::Policy::builtin()
                .for_kind(offboard_core::event::TerminationKind::Voluntary),
            Utc::now(),
        );
        for s in &mut p.steps {
            s.status = if kinds.contains(&s.kind) {
                StepStatus::Verified
            } else {
                StepStatus::NotApplicable
            };
        }
        p
    }

    #[test]
    fn only_steps_that_announced_a_write_of_their_own_are_undone() {
        let mut chain = None;
        let mut snapshot = facts(false);
        snapshot.manager = Some(PersonRef {
            id: "m1".into(),
            user_principal_name: Some("grace@contoso.example".into()),
            display_name: None,
            mail: None,
        });
        let records = vec![
            record(&mut chain, "hr-trigger", json!({})),
            record(&mut chain, "plan", json!({"snapshot": snapshot})),
            record(
                &mut chain,
                "block-sign-in",
                json!({"announced": true, "attempt": 0}),
            ),
            record(&mut chain, "block-sign-in", json!({"changed": true})),
            // The manager already had access: read, nothing announced.
            record(
                &mut chain,
                "mailbox-manager-access",
                json!({"changed": false}),
            ),
            record(
                &mut chain,
                "restore:enable-sign-in",
                json!({"announced": true}),
            ),
        ];
        let p = plan(
            facts(false),
            &[StepKind::BlockSignIn, StepKind::MailboxManagerAccess],
        );
        let did = case_did(&p, &records);
        assert!(did.changed.contains(&StepKind::BlockSignIn));
        assert!(!did.changed.contains(&StepKind::MailboxManagerAccess));
        assert_eq!(
            did.statuses.get(&StepKind::MailboxManagerAccess),
            Some(&StepStatus::Verified)
        );
        assert_eq!(super::snapshot(&records).unwrap(), snapshot);
        let kinds: Vec<StepKind> = reverse(&snapshot, &did)
            .steps
            .iter()
            .map(|s| s.kind)
            .collect();
        assert_eq!(kinds, vec![StepKind::Restore(RestoreAction::EnableSignIn)]);
    }

    #[test]
    fn the_ad_account_before_the_first_agent_command_is_kept_and_a_change_by_the_agent_counts() {
        let mut chain = None;
        let before = json!({"dn": "CN=Ada,OU=Staff,DC=corp", "disabled": false, "memberOf": ["CN=G,DC=corp"], "userAccountControl": 512});
        let after = json!({"dn": "CN=Ada,OU=Staff,DC=corp", "disabled": true, "memberOf": ["CN=G,DC=corp"], "userAccountControl": 514});
        let records = vec![
            record(&mut chain, "hr-trigger", json!({})),
            record(
                &mut chain,
                "ad-disable",
                json!({"before": before, "after": after}),
            ),
            // A replay found it done: before = after.
            record(
                &mut chain,
                "ad-disable",
                json!({"before": after, "after": after}),
            ),
        ];
        let mut records = records;
        records.push(record(
            &mut chain,
            "ad-cleanup",
            json!({"changed": true, "agentOutcome": {"outcome": "done"}}),
        ));
        let did = case_did(
            &plan(facts(true), &[StepKind::AdDisable, StepKind::AdCleanup]),
            &records,
        );
        assert!(did.changed.contains(&StepKind::AdDisable));
        assert!(
            did.changed.contains(&StepKind::AdCleanup),
            "an agent action that changed the account"
        );
        let ad = did.ad_before.unwrap();
        assert!(!ad.disabled);
        assert_eq!(ad.member_of, vec!["CN=G,DC=corp"]);
    }
}
