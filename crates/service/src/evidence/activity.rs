//! A person's action that belongs to no case — a report exported, a dry run, a scan asked for
//! — written as a chain of one record, sealed and appended to the ledger like a scan. The
//! ledger then says who pulled which population, or previewed whose offboarding, and when;
//! actions on a case (a retry, an approval) are records in that case's chain instead.

use chrono::{DateTime, Utc};
use serde::Serialize;

use offboard_core::actor::{ActivityBy, HumanActor};
use offboard_core::evidence::verify::ACTIVITY_STEP;
use offboard_core::evidence::{LedgerEntry, Outcome, RecordBody, millis, period_of};
use offboard_core::ids::CaseId;

use super::{Evidence, EvidenceFailure};

/// The record's `details`: what was done, by whom, with what.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Details<'a> {
    activity: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<&'a HumanActor>,
    /// Whether the caller signed in (false: a function key, which names no one).
    signed_in: bool,
    at: String,
    parameters: &'a serde_json::Value,
}

/// The chain id of an activity (`activity` and `at` and a random suffix: two exports in the
/// same millisecond are two chains).
fn chain_id(activity: &str, at: DateTime<Utc>) -> CaseId {
    CaseId::derive(
        "activity",
        &format!(
            "{activity}\n{}\n{}",
            at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            uuid::Uuid::new_v4().simple()
        ),
    )
}

impl Evidence {
    /// Records `activity` (`report-exported`, `dry-run`, `scan-requested`), described in words
    /// by `action`, done by `by` with `parameters` (never a secret: the record is checked like
    /// every other), as a sealed chain of one record and a ledger entry. Returns the entry.
    pub async fn record_activity(
        &self,
        activity: &str,
        action: impl Into<String>,
        by: ActivityBy<'_>,
        parameters: serde_json::Value,
    ) -> Result<LedgerEntry, EvidenceFailure> {
        let at = self.clock.now();
        let chain = chain_id(activity, at);
        let details = serde_json::to_value(Details {
            activity,
            by: match by {
                ActivityBy::SignedIn(a) => Some(a),
                ActivityBy::FunctionKey => None,
            },
            signed_in: matches!(by, ActivityBy::SignedIn(_)),
            at: millis::text(at),
            parameters: &parameters,
        })
        .map_err(|e| EvidenceFailure::Corrupt {
            case_id: chain.clone(),
            detail: format!("the activity's details cannot be written: {e}"),
        })?;
        let body = RecordBody {
            target_ids: vec![chain.to_string()],
            actor: by.describe(),
            details: Some(details),
            ..self.body(ACTIVITY_STEP, "offboard", action, Outcome::Noted, at)
        };
        let (_, entry) = self.seal_standalone(&period_of(at), &chain, body).await?;
        Ok(entry)
    }
}
