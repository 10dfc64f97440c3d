//! The blast-radius brake: each source may start at most so many terminations in any window
//! of the policy's length; the ones past it are held for approval before anything changes.
//!
//! The window is counted with slots in the case store: `brake-{source}-{n}` for `n` in
//! `1..=limit`, each a [`Claim`] naming the case that took it and when. A case is admitted
//! when it creates a slot, or replaces (under the slot's ETag) one taken longer ago than the
//! window; so no `limit + 1` cases start within any one window, whichever instances plan them
//! and however they race — the store's create-if-absent and ETag decide, as for the person
//! claim. The scan goes in slot order (a burst fills the first slots), so a case that took a
//! slot when intake cut its sign-in inline finds that slot again at planning.

use chrono::{DateTime, Duration as ChronoDuration, Utc};

use offboard_core::case::Case;
use offboard_core::ids::CaseId;
use offboard_core::policy::BrakeLimits;
use offboard_core::ports::{Claim, Created, StoreError};

use super::{Engine, EngineError};
use crate::attempt::StepFailure;

/// A case that already started in the window (for the brake's notice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Started {
    /// Its case.
    pub case_id: CaseId,
    /// The leaver, as its source named them.
    pub leaver: String,
    /// When it took its slot.
    pub at: DateTime<Utc>,
}

/// What the brake decided for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Admission {
    /// Below the limit (or no brake for its source): plan it.
    Admitted,
    /// Past the limit: hold it.
    Held {
        /// Terminations the window admits.
        limit: u32,
        /// The window, in minutes.
        window_minutes: u32,
        /// The cases that hold the window's slots.
        started: Vec<Started>,
    },
}

fn slot_key(case: &Case, n: u32) -> String {
    format!("brake-{}-{n}", case.event.source())
}

impl Engine {
    /// Takes a brake slot for `case`, or says why it must be held.
    pub(super) async fn brake(&self, case: &Case) -> Result<Admission, EngineError> {
        let Some(limits) = self.policy.brake.for_source(case.event.source()) else {
            return Ok(Admission::Admitted);
        };
        let Some(limit) = self.admitted_by(&limits).await? else {
            return Ok(Admission::Admitted);
        };
        let window = ChronoDuration::minutes(i64::from(limits.window_minutes));
        let mut started = Vec::new();
        // Slots are scanned in order, so a case that took one at intake (the inline cut)
        // finds it again at planning before any free slot, and never takes two.
        for n in 1..=limit {
            let now = self.clock.now();
            let claim = Claim {
                key: slot_key(case, n),
                case_id: case.id.clone(),
                event: case.event.clone(),
                claimed_at: now,
            };
            let existing = match self.cases.create_claim(&claim).await? {
                Created::New(_) => return Ok(Admission::Admitted),
                Created::Existing(v) => v,
            };
            if existing.value.case_id == case.id {
                // A redelivered plan message: this case took the slot before.
                return Ok(Admission::Admitted);
            }
            if now - existing.value.claimed_at >= window {
                match self.cases.replace_claim(&claim, &existing.etag).await {
                    Ok(_) => return Ok(Admission::Admitted),
                    // Another case took the freed slot first: it counts in the window.
                    Err(StoreError::PreconditionFailed { .. }) => {
                        if let Some(now_held) = self.cases.get_claim(&claim.key).await? {
                            started.push(started_of(&now_held.value));
                        }
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            started.push(started_of(&existing.value));
        }
        started.sort_by_key(|s| s.at);
        Ok(Admission::Held {
            limit,
            window_minutes: limits.window_minutes,
            started,
        })
    }

    /// The number of terminations the window admits: the policy's count, and its share of the
    /// enabled accounts when one is set (read from the tenant now). A tenant that cannot be
    /// counted for good (permission refused) admits none: holding is the safe side.
    async fn admitted_by(&self, limits: &BrakeLimits) -> Result<Option<u32>, EngineError> {
        if limits.max_percent_hundredths.is_none() {
            return Ok(limits.admitted(None));
        }
        match self.directory.enabled_accounts().await {
            Ok(n) => Ok(limits.admitted(Some(n))),
            Err(StepFailure::Throttled { detail, .. } | StepFailure::Transient { detail }) => {
                Err(EngineError::Unavailable(format!(
                    "could not count the tenant's enabled accounts for the brake: {detail}"
                )))
            }
            Err(StepFailure::Permanent { detail, .. }) => {
                tracing::warn!(%detail, "the brake could not count enabled accounts; holding");
                Ok(Some(0))
            }
        }
    }

    /// Whether this brake trip is the first of its window for `case`'s source (the notice
    /// goes out once per window): a `brake-notice-{source}` claim, taken again only after a
    /// window has passed since the last notice.
    pub(super) async fn first_trip_in_window(
        &self,
        case: &Case,
        window_minutes: u32,
    ) -> Result<bool, EngineError> {
        let now = self.clock.now();
        let claim = Claim {
            key: format!("brake-notice-{}", case.event.source()),
            case_id: case.id.clone(),
            event: case.event.clone(),
            claimed_at: now,
        };
        let existing = match self.cases.create_claim(&claim).await? {
            Created::New(_) => return Ok(true),
            Created::Existing(v) => v,
        };
        if existing.value.case_id == case.id {
            return Ok(true);
        }
        if now - existing.value.claimed_at < ChronoDuration::minutes(i64::from(window_minutes)) {
            return Ok(false);
        }
        match self.cases.replace_claim(&claim, &existing.etag).await {
            Ok(_) => Ok(true),
            Err(StoreError::PreconditionFailed { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

fn started_of(claim: &Claim) -> Started {
    Started {
        case_id: claim.case_id.clone(),
        leaver: claim.event.employee().display_name().to_owned(),
        at: claim.claimed_at,
    }
}
