//! What the sign-in cut at intake came to, and which steps it is: shared by the cut
//! (`kill_switch.rs`), the engine's callers (intake answers with it) and the queued steps.

use chrono::{DateTime, Utc};

use offboard_core::case::SignInCut;
use offboard_core::plan::StepKind;

/// What the inline sign-in cut came to, as intake answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInCutOutcome {
    /// Blocked (or disabled in AD) and revoked, both read back and recorded, at `at`.
    Verified {
        /// The last read-back.
        at: DateTime<Utc>,
    },
    /// Not verified: the queued steps cut sign-in.
    Queued {
        /// Why.
        reason: String,
    },
    /// The termination takes effect later; sign-in is cut when it falls due.
    Scheduled {
        /// When it falls due.
        due_at: DateTime<Utc>,
    },
    /// The policy leaves the cut to the queued steps for this kind.
    Off {
        /// Which kind.
        reason: String,
    },
}

impl SignInCutOutcome {
    /// The outcome a finished cut stored on the case stands for.
    pub fn of(cut: &SignInCut) -> Self {
        match cut.verified_at() {
            Some(at) => Self::Verified { at },
            None => Self::Queued {
                reason: cut.reason.clone().unwrap_or_else(|| {
                    "the inline cut is still running; the queued steps finish it if it does not"
                        .to_owned()
                }),
            },
        }
    }
}

/// The steps of the cut: a cloud-only leaver is blocked, then revoked (a revoked session
/// could otherwise be re-established); a synced one is disabled in AD and revoked at once.
pub fn cut_kinds(synced: bool) -> [StepKind; 2] {
    if synced {
        [StepKind::AdDisable, StepKind::RevokeSessions]
    } else {
        [StepKind::BlockSignIn, StepKind::RevokeSessions]
    }
}

/// Whether a step of `kind` may have been done by the inline cut.
pub fn is_cut_kind(kind: StepKind) -> bool {
    matches!(
        kind,
        StepKind::BlockSignIn | StepKind::RevokeSessions | StepKind::AdDisable
    )
}
