//! The sign-in cut made inline at intake (the kill switch): the leaver's sign-in blocked (or
//! their AD account disabled) and their sessions revoked by the intake invocation itself,
//! before any queue hop.
//!
//! The cut is claimed on the case (ETag-checked, as a step's lease is) before anything is
//! sent to Microsoft 365, and only while the case has no plan: the planner and the queued
//! steps come after it. A queued `block-sign-in`, `revoke-sessions` or `ad-disable` step that
//! finds its kind verified here records it as already verified and sends nothing; one that
//! finds the cut still held waits for it; one that finds it finished without that kind
//! verified does the work itself, reading first as every step does.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::plan::{StepKind, StepStatus};

/// The inline sign-in cut of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInCut {
    /// When the intake invocation claimed it: a change Entra stamps after this instant was
    /// made by the cut (or by the step that finishes it).
    pub started_at: DateTime<Utc>,
    /// While the cut runs, the invocation holds it until this instant; a queued step waits
    /// until then, and a crashed invocation's claim simply expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<DateTime<Utc>>,
    /// When it ended (verified or not); `None` while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// What each step of the cut came to, in the order they were run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<CutStep>,
    /// Why the cut is not verified, when it is not (the queued steps finish it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One step the inline cut ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CutStep {
    /// `block-sign-in`, `revoke-sessions` or `ad-disable`.
    pub kind: StepKind,
    /// What it came to (a failure here is retried by the queued step).
    pub status: StepStatus,
    /// The evidence record of its last action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_seq: Option<u64>,
    /// When its read-back ended.
    pub at: DateTime<Utc>,
}

impl SignInCut {
    /// A cut claimed at `now`, held until `lease_until`.
    pub fn claimed(now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Self {
        Self {
            started_at: now,
            lease_until: Some(lease_until),
            finished_at: None,
            steps: Vec::new(),
            reason: None,
        }
    }

    /// Whether an invocation is running the cut at `now` (claimed, not finished, lease not
    /// expired).
    pub fn is_held(&self, now: DateTime<Utc>) -> bool {
        self.finished_at.is_none() && self.lease_until.is_some_and(|until| until > now)
    }

    /// The step of `kind`, when the cut ran it.
    pub fn step(&self, kind: StepKind) -> Option<&CutStep> {
        self.steps.iter().find(|s| s.kind == kind)
    }

    /// The step of `kind`, when the cut ran and verified it.
    pub fn verified(&self, kind: StepKind) -> Option<&CutStep> {
        self.step(kind).filter(|s| s.status == StepStatus::Verified)
    }

    /// When sign-in was cut and verified: every step of a finished cut verified (at least
    /// two: the block or AD disable, and the revocation), at the last read-back.
    pub fn verified_at(&self) -> Option<DateTime<Utc>> {
        self.finished_at?;
        if self.steps.len() < 2 || self.steps.iter().any(|s| s.status != StepStatus::Verified) {
            return None;
        }
        self.steps.iter().map(|s| s.at).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_cut_is_held_only_while_unfinished_and_inside_its_lease() {
        let mut cut = SignInCut::claimed(at("2026-12-01T10:00:00Z"), at("2026-12-01T10:02:00Z"));
        assert!(cut.is_held(at("2026-12-01T10:01:59Z")));
        assert!(!cut.is_held(at("2026-12-01T10:02:00Z")));
        cut.finished_at = Some(at("2026-12-01T10:00:01Z"));
        assert!(!cut.is_held(at("2026-12-01T10:00:02Z")));
    }

    #[test]
    fn verified_only_when_both_steps_verified_and_finished() {
        let mut cut = SignInCut::claimed(at("2026-12-01T10:00:00Z"), at("2026-12-01T10:02:00Z"));
        let step = |kind, status, t| CutStep {
            kind,
            status,
            evidence_seq: Some(1),
            at: at(t),
        };
        cut.steps = vec![step(
            StepKind::BlockSignIn,
            StepStatus::Verified,
            "2026-12-01T10:00:00.300Z",
        )];
        cut.finished_at = Some(at("2026-12-01T10:00:01Z"));
        assert_eq!(cut.verified_at(), None, "the revocation is missing");
        cut.steps.push(step(
            StepKind::RevokeSessions,
            StepStatus::Failed,
            "2026-12-01T10:00:00.600Z",
        ));
        assert_eq!(cut.verified_at(), None);
        assert!(cut.verified(StepKind::BlockSignIn).is_some());
        assert!(cut.verified(StepKind::RevokeSessions).is_none());
        cut.steps[1].status = StepStatus::Verified;
        assert_eq!(cut.verified_at(), Some(at("2026-12-01T10:00:00.600Z")));
        cut.finished_at = None;
        assert_eq!(cut.verified_at(), None, "still running");
    }
}
