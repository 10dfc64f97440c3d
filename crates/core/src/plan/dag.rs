//! A leaver's plan as stored on the case: the steps in topological order, and what they
//! add up to.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::facts::{AdBefore, Facts};
use super::step::{Step, StepKind, StepStatus};
use crate::case::status::CaseStatus;

/// A leaver's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// When it was made.
    pub planned_at: DateTime<Utc>,
    /// What the planner found.
    pub facts: Facts,
    /// The steps, in a topological order.
    pub steps: Vec<Step>,
    /// For a restore of a synced leaver: the AD account as it was before the case (its OU
    /// and groups), which `restore:ad-groups-and-ou` puts back. Set by the restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_ad: Option<AdBefore>,
}

impl Plan {
    /// The step of `kind`, if planned.
    pub fn step(&self, kind: StepKind) -> Option<&Step> {
        self.steps.iter().find(|s| s.kind == kind)
    }

    /// The step of `kind`, mutably.
    pub fn step_mut(&mut self, kind: StepKind) -> Option<&mut Step> {
        self.steps.iter_mut().find(|s| s.kind == kind)
    }

    /// Steps that are pending and whose predecessors are all terminal: the ones to enqueue.
    pub fn ready(&self) -> Vec<StepKind> {
        self.steps
            .iter()
            .filter(|s| s.status == StepStatus::Pending)
            .filter(|s| {
                s.depends_on.iter().all(|d| {
                    self.step(*d)
                        .map(|p| p.status.is_terminal())
                        .unwrap_or(true)
                })
            })
            .map(|s| s.kind)
            .collect()
    }

    /// Whether every step (but the seal, and a follow-up scheduled for later) is terminal.
    pub fn is_finished(&self) -> bool {
        self.steps
            .iter()
            .filter(|s| s.kind != StepKind::Seal && s.status != StepStatus::Scheduled)
            .all(|s| s.status.is_terminal())
    }

    /// The status the case ends in: completed only when every step is verified or not
    /// applicable with a reason (a follow-up scheduled for later does not count yet).
    pub fn outcome(&self) -> CaseStatus {
        let clean = self
            .steps
            .iter()
            .filter(|s| s.kind != StepKind::Seal)
            .all(|s| {
                matches!(
                    s.status,
                    StepStatus::Verified | StepStatus::NotApplicable | StepStatus::Scheduled
                )
            });
        if clean {
            CaseStatus::Completed
        } else {
            CaseStatus::CompletedWithExceptions
        }
    }

    /// When cloud sign-in was cut and verified (block and revoke both verified, or for a
    /// synced user the cloud account seen disabled and sessions revoked).
    pub fn sign_in_cut_at(&self) -> Option<DateTime<Utc>> {
        let verified_at = |k: StepKind| {
            self.step(k)
                .filter(|s| s.status == StepStatus::Verified)
                .and_then(|s| s.finished_at)
        };
        let block = verified_at(StepKind::BlockSignIn)
            .or_else(|| verified_at(StepKind::VerifyCloudDisabled))?;
        let revoke = verified_at(StepKind::RevokeSessions)?;
        Some(block.max(revoke))
    }

    /// Checks the plan's shape: known dependencies, no cycles. Used by tests and before a
    /// plan is stored.
    pub fn validate(&self) -> Result<(), String> {
        for s in &self.steps {
            for d in &s.depends_on {
                if self.step(*d).is_none() {
                    return Err(format!("{} depends on {}, which is not planned", s.kind, d));
                }
            }
        }
        // Kahn's algorithm: every step must become ready once its predecessors are done.
        let mut done: Vec<StepKind> = Vec::new();
        while done.len() < self.steps.len() {
            let next = self
                .steps
                .iter()
                .find(|s| !done.contains(&s.kind) && s.depends_on.iter().all(|d| done.contains(d)));
            match next {
                Some(s) => done.push(s.kind),
                None => return Err("the plan has a dependency cycle".into()),
            }
        }
        Ok(())
    }
}
