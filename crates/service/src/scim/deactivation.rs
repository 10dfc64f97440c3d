//! What a deactivation or a reactivation does to termination cases: a deactivation opens
//! the case of the user's n-th deactivation (event id `"{scim id}/{n}"`, so a redelivery
//! lands on the same case); a reactivation cancels it before it takes effect, and after
//! that only notes it on the case.

use serde_json::Value;

use offboard_core::case::CaseStatus;
use offboard_core::event::TerminationEvent;
use offboard_core::ids::CaseId;
use offboard_core::ports::{StoreError, Versioned};
use offboard_core::scim::ScimUser;
use offboard_core::scim::termination;
use offboard_core::signature::Verified;

use super::{CASE_ID_HEADER, CASE_STATUS_HEADER, MAX_WRITE_ATTEMPTS, ScimError, ScimService};
use crate::intake::{IntakeError, RescindOutcome};

fn intake_failure(e: IntakeError) -> ScimError {
    if e.is_transient() {
        tracing::warn!(error = %e, "intake temporarily unavailable for a SCIM deactivation");
        ScimError::unavailable(
            "offboard could not record the termination right now and did not change the user; \
             retry the request",
        )
    } else {
        tracing::error!(error = %e, "intake failed for a SCIM deactivation");
        ScimError::internal(
            "offboard could not record the termination and did not change the user; retry \
             later, and tell the offboard operator if it persists",
        )
    }
}

fn case_headers(id: &CaseId, status: CaseStatus) -> Vec<(String, String)> {
    vec![
        (CASE_ID_HEADER.into(), id.to_string()),
        (CASE_STATUS_HEADER.into(), status.to_string()),
    ]
}

impl ScimService {
    /// Opens the case of `user`'s latest deactivation (already counted in `user`);
    /// `previous` is the resource before the change, whose identifiers stand in if the
    /// change removed them.
    pub(super) async fn open_case(
        &self,
        user: &ScimUser,
        previous: Option<&Value>,
        verified: &Verified,
    ) -> Result<Vec<(String, String)>, ScimError> {
        let facts = match termination::termination_facts(user, previous) {
            Ok(facts) => facts,
            Err(e) => {
                // Refused, so the deactivation stays pending in the identity provider (which
                // shows the error and retries) instead of vanishing here without a case.
                tracing::warn!(
                    scim_id = %user.id,
                    reason = %e,
                    "SCIM deactivation refused: offboard cannot identify the leaver"
                );
                return Err(ScimError::invalid_value(format!(
                    "offboard cannot identify this leaver ({e}), so the deactivation was not \
                     accepted and nothing changed: map employeeNumber \
                     ({}:employeeNumber), a userName of the form name@domain, or a primary or \
                     work email in the identity provider, then deactivate again",
                    offboard_core::scim::ENTERPRISE_USER_SCHEMA
                )));
            }
        };
        let event = TerminationEvent::new(facts, verified, &self.policy).map_err(|e| {
            ScimError::invalid_value(format!(
                "{}:terminationDateTime: {e}",
                offboard_core::scim::OFFBOARD_USER_SCHEMA
            ))
        })?;
        let receipt = self.intake.open(event).await.map_err(intake_failure)?;
        tracing::info!(
            scim_id = %user.id,
            case_id = %receipt.case_id,
            status = %receipt.status,
            created = receipt.created,
            "SCIM deactivation opened a termination case"
        );
        Ok(case_headers(&receipt.case_id, receipt.status))
    }

    /// Cancels the case of `user`'s last deactivation, if it has not taken effect.
    pub(super) async fn cancel_case(
        &self,
        user: &ScimUser,
    ) -> Result<Vec<(String, String)>, ScimError> {
        if user.deactivations == 0 {
            return Ok(Vec::new());
        }
        let case_id = termination::case_id(&user.id, user.deactivations);
        match self
            .intake
            .rescind(
                &case_id,
                "the identity provider reactivated the user over SCIM before the termination \
                 took effect",
            )
            .await
        {
            Ok(
                RescindOutcome::Cancelled(receipt)
                | RescindOutcome::Restoring(receipt)
                | RescindOutcome::Recorded(receipt, _),
            ) => {
                tracing::info!(scim_id = %user.id, case_id = %case_id, status = %receipt.status, "SCIM reactivation cancelled (or is restoring) the case");
                Ok(case_headers(&receipt.case_id, receipt.status))
            }
            Ok(RescindOutcome::NoSuchCase(_)) => Ok(Vec::new()),
            Err(IntakeError::Transition(e)) => {
                tracing::warn!(
                    scim_id = %user.id,
                    case_id = %case_id,
                    reason = %e,
                    "SCIM reactivation after the termination took effect: the case goes on"
                );
                let status = self
                    .note_on_case(
                        &case_id,
                        "the identity provider reactivated the user over SCIM after the \
                         termination took effect; the case goes on — reinstate the person \
                         through onboarding",
                    )
                    .await;
                Ok(status
                    .map(|s| case_headers(&case_id, s))
                    .unwrap_or_default())
            }
            Err(e) => Err(intake_failure(e)),
        }
    }

    /// Adds a note to a case, best effort (the SCIM answer does not depend on it); returns
    /// the case's status.
    pub(super) async fn note_on_case(&self, id: &CaseId, note: &str) -> Option<CaseStatus> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Versioned {
                value: mut case,
                etag,
            } = match self.intake.cases().get(id).await {
                Ok(Some(v)) => v,
                Ok(None) => return None,
                Err(e) => {
                    tracing::warn!(case_id = %id, error = %e, "could not read the case to add a note");
                    return None;
                }
            };
            case.note(note, self.intake.clock().now());
            match self.intake.cases().replace(&case, &etag).await {
                Ok(stored) => return Some(stored.value.status),
                Err(StoreError::PreconditionFailed { .. }) => continue,
                Err(e) => {
                    tracing::warn!(case_id = %id, error = %e, "could not add a note to the case");
                    return Some(case.status);
                }
            }
        }
        None
    }

    /// For a repeated deactivation: the case the user's last deactivation opened, if any.
    pub(super) async fn existing_case_headers(&self, user: &ScimUser) -> Vec<(String, String)> {
        if user.deactivations == 0 {
            return Vec::new();
        }
        let id = termination::case_id(&user.id, user.deactivations);
        match self.intake.cases().get(&id).await {
            Ok(Some(v)) => case_headers(&id, v.value.status),
            _ => Vec::new(),
        }
    }
}
