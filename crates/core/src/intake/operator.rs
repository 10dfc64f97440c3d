//! An operator's offboarding request (`POST /api/offboardings`): immediate or scheduled.
//!
//! ```json
//! {"employee": {"userPrincipalName": "ada@contoso.com"}, "kind": "for_cause",
//!  "effectiveAt": "2026-11-26T15:00:00Z", "reason": "ticket HR-1234", "requestId": "HR-1234", "dryRun": false}
//! ```
//! `effectiveAt`/`effectiveDate` are optional (default: now); `kind` defaults to involuntary
//! (an operator acting is an involuntary separation unless told otherwise). `requestId` is
//! the idempotency key: the same request id always means the same case; without one, an
//! identical body is the same request.

use serde::Deserialize;

use super::generic::{EmployeeJson, effective, identifiers, kind};
use super::{PayloadError, from_json};
use crate::effective::HrEffectiveTime;
use crate::event::{Source, TerminationFacts, TerminationKind};
use crate::ids::Sha256Digest;

/// A parsed operator request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRequest {
    /// The termination it asks for.
    pub facts: TerminationFacts,
    /// Only show what would happen.
    pub dry_run: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    employee: Option<EmployeeJson>,
    effective_at: Option<String>,
    effective_date: Option<String>,
    time_zone: Option<String>,
    kind: Option<String>,
    reason: Option<String>,
    request_id: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// Parses an operator request.
pub fn parse(body: &[u8]) -> Result<OperatorRequest, PayloadError> {
    let b: Body = from_json(body)?;
    let hr_effective = if b.effective_at.is_none() && b.effective_date.is_none() {
        HrEffectiveTime::Immediate
    } else {
        effective(b.effective_at, b.effective_date, b.time_zone, "")?
    };
    let kind = match b.kind {
        None => TerminationKind::Involuntary,
        some => kind(some, "/kind")?,
    };
    if let Some(reason) = &b.reason
        && reason.chars().count() > 500
    {
        return Err(PayloadError::malformed("/reason", "at most 500 characters"));
    }
    let source_event_id = match b.request_id.map(|s| s.trim().to_owned()) {
        Some(id) if !id.is_empty() && id.len() <= 128 => id,
        Some(_) => {
            return Err(PayloadError::malformed(
                "/requestId",
                "must be 1 to 128 characters",
            ));
        }
        None => format!("body-{}", Sha256Digest::of(body).to_hex()),
    };
    Ok(OperatorRequest {
        facts: TerminationFacts {
            source: Source::Operator,
            source_event_id,
            source_subject_id: None,
            employee: identifiers(b.employee, "/employee")?,
            kind,
            hr_effective,
            reason: b.reason,
        },
        dry_run: b.dry_run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_immediate_involuntary() {
        let r = parse(br#"{"employee":{"userPrincipalName":"ada@contoso.com"}}"#).unwrap();
        assert_eq!(r.facts.kind, TerminationKind::Involuntary);
        assert_eq!(r.facts.hr_effective, HrEffectiveTime::Immediate);
        assert!(r.facts.source_event_id.starts_with("body-"));
        assert!(!r.dry_run);
    }

    #[test]
    fn request_id_is_the_idempotency_key() {
        let r = parse(br#"{"employee":{"employeeId":"7"},"requestId":"HR-1","dryRun":true,"kind":"for_cause"}"#)
            .unwrap();
        assert_eq!(r.facts.source_event_id, "HR-1");
        assert!(r.dry_run);
        assert_eq!(parse(br#"{}"#).unwrap_err().pointer, "/employee");
    }
}
