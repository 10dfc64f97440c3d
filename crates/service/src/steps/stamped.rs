//! The shape of a step whose change Entra stamps with a time on the user: a password reset
//! moves `lastPasswordChangeDateTime`, a revocation `signInSessionsValidFromDateTime`. The
//! value has reached its target when the stamp is at or after the step's first start, so
//! a replayed step that finds it there changes nothing; after acting, the stamp is read
//! back until it moves. A step file keeps only what is its own: the call that acts and
//! what its evidence says about it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use offboard_graph::{GraphClient, User};

use super::common::{Attempt, at_or_after, instant, read_back_if, read_until, started};
use crate::attempt::{StepContext, StepFailure, StepReport};

/// One run of a stamped step.
pub(crate) struct Stamped {
    field: &'static str,
    stamp: fn(&User) -> Option<DateTime<Utc>>,
    from: DateTime<Utc>,
}

impl Stamped {
    /// A run for `ctx`, where `field` is the stamp's name on the user and `stamp` reads it.
    pub(crate) fn new(
        ctx: &StepContext<'_>,
        field: &'static str,
        stamp: fn(&User) -> Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            field,
            stamp,
            from: started(ctx),
        }
    }

    fn expected(&self) -> Value {
        json!({ self.field: format!(">= {}", instant(Some(self.from)).as_str().unwrap_or_default()) })
    }

    /// Reads the user first (`read` is that attempt): `Ok(Err(report))` when an earlier
    /// attempt of this step already made the change, else `Ok(Ok(stamp))` with the stamp as
    /// found, for the evidence.
    pub(crate) async fn read_first(
        &self,
        graph: &GraphClient,
        id: &str,
        read: Attempt,
    ) -> Result<Result<Option<DateTime<Utc>>, StepReport>, StepFailure> {
        let before = graph
            .get_user(id)
            .await
            .map_err(|e| read.clone().fail(&e))?;
        let found = (self.stamp)(&before.value);
        if !at_or_after(found, self.from) {
            return Ok(Ok(found));
        }
        Ok(Err(StepReport::from_actions(vec![read.checked(
            before.status,
            before.request_id,
            read_back_if(self.expected(), json!({ self.field: instant(found) }), true),
            Some(json!({ "changed": false })),
        )])))
    }

    /// Reads the user back after `act` (answered with `status` and `request_id`) until the
    /// stamp moves, and records the attempt with `details` and the read's request id.
    pub(crate) async fn read_back(
        &self,
        graph: &GraphClient,
        id: &str,
        act: Attempt,
        (status, request_id): (u16, Option<String>),
        mut details: Value,
    ) -> Result<StepReport, StepFailure> {
        let after = read_until(
            || graph.get_user(id),
            |u| at_or_after((self.stamp)(u), self.from),
        )
        .await
        .map_err(|e| act.clone().fail(&e))?;
        let observed = (self.stamp)(&after.value);
        details["readBackRequestId"] = json!(after.request_id);
        Ok(StepReport::from_actions(vec![act.checked(
            status,
            request_id,
            read_back_if(
                self.expected(),
                json!({ self.field: instant(observed) }),
                at_or_after(observed, self.from),
            ),
            Some(details),
        )]))
    }
}
