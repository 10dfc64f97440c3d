//! Keeping a step's lease while it runs, and giving the step up before the lease could
//! pass to another invocation.
//!
//! A claim holds the step for [`STEP_LEASE`]; while the step runs its invocation renews the
//! lease every [`RENEW_EVERY`]. A holder that dies stops renewing, so its lease ends at
//! most [`STEP_LEASE`] after it last showed life (and at once, on the same host, once its
//! process is known dead: `holder.rs`). A holder that cannot renew (the case store is
//! unreachable, the case contended) stops its step while the lease still has
//! [`RENEW_MARGIN`] to run — longer than one Graph request may take in a queue worker —
//! so the step is never in flight in two invocations at once.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::future::Future;
use std::time::Duration;

use offboard_core::messages::StepMessage;

use super::outcome::EngineError;
use super::{Engine, STEP_DEADLINE, STEP_LEASE};
use crate::attempt::{StepFailure, StepReport};
use crate::etag::Change;

/// How often a running step renews its lease.
pub const RENEW_EVERY: Duration = Duration::from_secs(10);

/// A step whose lease could not be renewed stops once less than this is left of it: more
/// than a queue worker's Graph request timeout (20 s), so a request it sent has been
/// answered or abandoned before another invocation may take the step.
pub const RENEW_MARGIN: ChronoDuration = ChronoDuration::seconds(25);

impl Engine {
    /// Extends the lease of `claim` on the step of `msg`; `None` when the claim no longer
    /// holds it.
    async fn renew(
        &self,
        msg: &StepMessage,
        claim: &str,
    ) -> Result<Option<DateTime<Utc>>, EngineError> {
        self.change_case(&msg.case_id, |case, now| {
            let Some(s) = case.plan.as_mut().and_then(|p| p.step_mut(msg.step)) else {
                return Ok(Change::Keep(None));
            };
            if s.lease_holder.as_ref().is_none_or(|h| h.claim != claim) {
                return Ok(Change::Keep(None));
            }
            let until = now + STEP_LEASE;
            s.lease_until = Some(until);
            Ok(Change::Write(Some(until)))
        })
        .await
        .map(|(_, until)| until)
    }

    /// Runs `work` (the step) under the lease `claim` took until `lease_until`: renewed every
    /// [`RENEW_EVERY`], given up at [`STEP_DEADLINE`] or when it can no longer be kept. A
    /// step given up is dropped where it stands (no further call is made) and retried from
    /// a new message, which re-reads the state.
    pub(super) async fn run_leased(
        &self,
        msg: &StepMessage,
        claim: &str,
        mut lease_until: DateTime<Utc>,
        work: impl Future<Output = Result<StepReport, StepFailure>>,
    ) -> Result<StepReport, StepFailure> {
        let work = std::pin::pin!(work);
        let mut work = work;
        let deadline = tokio::time::sleep(STEP_DEADLINE);
        let mut deadline = std::pin::pin!(deadline);
        let mut renew_at = tokio::time::Instant::now() + RENEW_EVERY;
        loop {
            tokio::select! {
                result = &mut work => return result,
                _ = &mut deadline => {
                    return Err(StepFailure::Transient {
                        detail: format!(
                            "the step did not finish within {} s",
                            STEP_DEADLINE.as_secs()
                        ),
                    });
                }
                _ = tokio::time::sleep_until(renew_at) => {
                    renew_at += RENEW_EVERY;
                    match self.renew(msg, claim).await {
                        Ok(Some(until)) => lease_until = until,
                        Ok(None) => {
                            return Err(StepFailure::Transient {
                                detail: "the step's lease is no longer this invocation's".into(),
                            });
                        }
                        Err(e) if self.clock.now() + RENEW_MARGIN >= lease_until => {
                            return Err(StepFailure::Transient {
                                detail: format!("the step's lease could not be renewed: {e}"),
                            });
                        }
                        Err(e) => {
                            tracing::warn!(step = %msg.step, error = %e, "could not renew the step's lease; trying again");
                        }
                    }
                }
            }
        }
    }
}
