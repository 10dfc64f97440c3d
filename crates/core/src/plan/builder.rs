//! The plan under construction: the steps so far and the policy that decides which run.
//! A leaf below `build` and the modules it delegates to (`mailbox_doors`).

use super::step::{Step, StepKind, StepStatus};
use crate::policy::KindPolicy;

/// A step that will not run, with the reason.
pub(super) fn not_applicable(kind: StepKind, reason: impl Into<String>) -> Step {
    let reason = reason.into();
    let mut s = Step::pending(kind, Vec::new(), vec![reason.clone()]);
    s.status = StepStatus::NotApplicable;
    s.reason = Some(reason);
    s
}

/// The steps planned so far, under the policy for the termination kind.
pub(super) struct Builder<'a> {
    pub(super) steps: Vec<Step>,
    pub(super) policy: &'a KindPolicy,
}

impl Builder<'_> {
    /// Plans `kind` unless the policy leaves it out.
    pub(super) fn add(&mut self, kind: StepKind, depends_on: Vec<StepKind>, preview: Vec<String>) {
        if self.policy.skip.contains(&kind) {
            self.na(kind, "left out by the policy for this termination kind");
        } else {
            self.steps.push(Step::pending(kind, depends_on, preview));
        }
    }

    /// Records `kind` as not applicable.
    pub(super) fn na(&mut self, kind: StepKind, reason: impl Into<String>) {
        self.steps.push(not_applicable(kind, reason));
    }
}
