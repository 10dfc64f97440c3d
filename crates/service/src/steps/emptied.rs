//! The shape of a step that empties a collection (group memberships, app role assignments,
//! directory role assignments, authentication methods, managed devices): list the members,
//! remove each, list them again. Every removal sent must be absent from the second listing;
//! a member the planner saw that the first listing no longer holds was removed by an
//! earlier attempt (or outside offboard) and is recorded as such; and when there was
//! nothing to remove, the listing itself is the evidence. A step file keeps only what is
//! its own: how to list, how to remove one member, and what a member is called.

use serde_json::{Value, json};

use offboard_graph::{GraphError, Reply};

use super::common::{Attempt, gone_counts_as_sent, read_back};
use crate::attempt::{ActionEvidence, StepFailure, StepReport, TargetSystem};

/// A removal Graph accepted (or found already done), waiting for the second listing.
struct Sent {
    attempt: Attempt,
    member: String,
    status: u16,
    request_id: Option<String>,
    details: Value,
}

/// One run of a step that empties a collection.
pub(crate) struct Emptying {
    read: Attempt,
    list_outline: String,
    member_key: &'static str,
    count_key: &'static str,
    absent_note: &'static str,
    sent: Vec<Sent>,
    /// The evidence so far, in order.
    pub(crate) actions: Vec<ActionEvidence>,
}

impl Emptying {
    /// A run whose listing is `read` (a GET of `list_outline`). `member_key` names one
    /// member's state in the read-back (`{"assigned": false}`), `count_key` the size of the
    /// collection (`{"assignments": 0}`), `absent_note` why a member the planner saw was
    /// already gone.
    pub(crate) fn new(
        read: Attempt,
        list_outline: String,
        member_key: &'static str,
        count_key: &'static str,
        absent_note: &'static str,
    ) -> Self {
        Self {
            read,
            list_outline,
            member_key,
            count_key,
            absent_note,
            sent: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// The listing's attempt, to fail with when a listing cannot be read.
    pub(crate) fn read(&self) -> &Attempt {
        &self.read
    }

    /// The listing's request target.
    pub(crate) fn list_outline(&self) -> &str {
        &self.list_outline
    }

    /// Keeps a removal Graph accepted (or found gone) to check against the second listing;
    /// `details` are added to its evidence with the listing's request id.
    pub(crate) fn sent(
        &mut self,
        attempt: Attempt,
        member: &str,
        reply: Reply<()>,
        details: Value,
    ) {
        self.sent.push(Sent {
            attempt,
            member: member.to_owned(),
            status: reply.status,
            request_id: reply.request_id,
            details,
        });
    }

    /// Sends one removal: accepted or already gone is kept for the check, a refusal is
    /// recorded as failed, and a temporary failure ends this attempt of the step.
    pub(crate) fn remove(
        &mut self,
        attempt: Attempt,
        member: &str,
        result: Result<Reply<()>, GraphError>,
    ) -> Result<(), StepFailure> {
        match gone_counts_as_sent(result) {
            Ok(reply) => self.sent(attempt, member, reply, json!({})),
            Err(e @ (GraphError::Permanent(_) | GraphError::NotApplicable { .. })) => {
                self.actions.push(attempt.failed(&e))
            }
            Err(e) => return Err(attempt.fail(&e)),
        }
        Ok(())
    }

    /// Whether any removal was sent, so the collection must be listed again.
    pub(crate) fn sent_any(&self) -> bool {
        !self.sent.is_empty()
    }

    /// Checks every removal sent against the second listing: `present` says whether a
    /// member is still there.
    pub(crate) fn check<T>(&mut self, after: &Reply<T>, present: impl Fn(&str) -> bool) {
        for s in self.sent.drain(..) {
            let mut details = s.details;
            details["readBackRequestId"] = json!(after.request_id);
            self.actions.push(s.attempt.checked(
                s.status,
                s.request_id,
                read_back(
                    json!({ self.member_key: false }),
                    json!({ self.member_key: present(&s.member) }),
                ),
                Some(details),
            ));
        }
    }

    /// A member the planner saw that the first listing (`before`) no longer holds.
    pub(crate) fn already_absent<T>(
        &mut self,
        system: TargetSystem,
        action: String,
        target_ids: Vec<String>,
        before: &Reply<T>,
    ) {
        self.actions.push(
            Attempt::new(system, action, target_ids)
                .request("GET", self.list_outline.clone())
                .checked(
                    before.status,
                    before.request_id.clone(),
                    read_back(
                        json!({ self.member_key: false }),
                        json!({ self.member_key: false }),
                    ),
                    Some(json!({ "note": self.absent_note })),
                ),
        );
    }

    /// The step's report; when nothing was acted on, the listing (`last`) is the evidence.
    pub(crate) fn report<T>(mut self, last: &Reply<Vec<T>>) -> StepReport {
        if self.actions.is_empty() {
            self.actions.push(self.read.checked(
                last.status,
                last.request_id.clone(),
                read_back(
                    json!({ self.count_key: 0 }),
                    json!({ self.count_key: last.value.len() }),
                ),
                None,
            ));
        }
        StepReport::from_actions(self.actions)
    }
}
