//! offboard's own termination JSON, delivered in the Standard Webhooks envelope.
//!
//! ```json
//! {"type": "employee.terminated", "timestamp": "2026-11-26T09:30:00Z",
//!  "data": {"eventId": "wd-88213", "employee": {"employeeId": "1042", "userPrincipalName": "ada@contoso.com"},
//!           "effectiveDate": "2026-11-30", "timeZone": "Europe/London", "kind": "voluntary"}}
//! ```
//! A rescind names the event it cancels:
//! `{"type": "employee.termination_rescinded", "timestamp": ..., "data": {"eventId": "wd-88299", "rescindsEventId": "wd-88213"}}`.
//! Unknown fields are ignored so the format can grow without breaking senders.

use serde::Deserialize;

use super::{PayloadError, from_json};
use crate::effective::HrEffectiveTime;
use crate::event::{Source, TerminationFacts, TerminationKind};
use crate::ids::{EmployeeIdentifiers, IdentifierError};

/// What a generic webhook asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenericEvent {
    /// A termination.
    Terminated(TerminationFacts),
    /// A rescind of an earlier termination event.
    Rescinded {
        /// This message's event id.
        event_id: String,
        /// The `eventId` of the termination it cancels.
        rescinds_event_id: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[allow(dead_code)]
    timestamp: String,
    data: Data,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EmployeeJson {
    pub employee_id: Option<String>,
    pub user_principal_name: Option<String>,
    pub mail: Option<String>,
    pub on_premises_sam_account_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    event_id: String,
    employee: Option<EmployeeJson>,
    effective_at: Option<String>,
    effective_date: Option<String>,
    time_zone: Option<String>,
    kind: Option<String>,
    rescinds_event_id: Option<String>,
    reason: Option<String>,
}

/// The termination types this endpoint accepts.
pub const TERMINATED: &str = "employee.terminated";
/// The rescind type.
pub const RESCINDED: &str = "employee.termination_rescinded";

pub(crate) fn identifiers(
    employee: Option<EmployeeJson>,
    pointer: &str,
) -> Result<EmployeeIdentifiers, PayloadError> {
    let e = employee
        .ok_or_else(|| PayloadError::malformed(pointer, "required: the leaver's identifiers"))?;
    EmployeeIdentifiers::new(
        e.employee_id,
        e.user_principal_name,
        e.mail,
        e.on_premises_sam_account_name,
    )
    .map_err(|err| match err {
        IdentifierError::Missing => PayloadError::malformed(pointer, err.to_string()),
        IdentifierError::Invalid { field, .. } => {
            PayloadError::malformed(format!("{pointer}/{field}"), err.to_string())
        }
    })
}

pub(crate) fn effective(
    at: Option<String>,
    date: Option<String>,
    zone: Option<String>,
    base: &str,
) -> Result<HrEffectiveTime, PayloadError> {
    match (at, date) {
        (Some(_), Some(_)) => Err(PayloadError::malformed(
            format!("{base}/effectiveAt"),
            "give either effectiveAt or effectiveDate, not both",
        )),
        (Some(at), None) => HrEffectiveTime::instant(&at)
            .map_err(|e| PayloadError::malformed(format!("{base}/effectiveAt"), e.to_string())),
        (None, Some(date)) => {
            let zone = zone.ok_or_else(|| {
                PayloadError::malformed(
                    format!("{base}/timeZone"),
                    "required with effectiveDate: the IANA time zone the date is meant in",
                )
            })?;
            HrEffectiveTime::date(&date, Some(&zone)).map_err(|e| {
                let field = if matches!(e, crate::effective::EffectiveTimeError::BadTimeZone(_)) {
                    "timeZone"
                } else {
                    "effectiveDate"
                };
                PayloadError::malformed(format!("{base}/{field}"), e.to_string())
            })
        }
        (None, None) => Err(PayloadError::malformed(
            format!("{base}/effectiveAt"),
            "required: effectiveAt (RFC 3339 with offset) or effectiveDate with timeZone",
        )),
    }
}

pub(crate) fn kind(value: Option<String>, pointer: &str) -> Result<TerminationKind, PayloadError> {
    let value = value.ok_or_else(|| {
        PayloadError::malformed(
            pointer,
            "required: one of voluntary, involuntary, for_cause, retirement, contract_end, death",
        )
    })?;
    TerminationKind::parse(&value)
        .filter(|k| *k != TerminationKind::Unspecified)
        .ok_or_else(|| {
            PayloadError::malformed(
                pointer,
                format!(
                    "`{value}` is not a termination kind: use voluntary, involuntary, for_cause, retirement, contract_end or death"
                ),
            )
        })
}

/// Parses a generic webhook body.
pub fn parse(body: &[u8]) -> Result<GenericEvent, PayloadError> {
    let env: Envelope = from_json(body)?;
    let d = env.data;
    if d.event_id.trim().is_empty() {
        return Err(PayloadError::malformed(
            "/data/eventId",
            "must not be empty",
        ));
    }
    match env.kind.as_str() {
        TERMINATED => {
            let facts = TerminationFacts {
                source: Source::Generic,
                source_event_id: d.event_id.trim().to_owned(),
                source_subject_id: None,
                employee: identifiers(d.employee, "/data/employee")?,
                kind: kind(d.kind, "/data/kind")?,
                hr_effective: effective(d.effective_at, d.effective_date, d.time_zone, "/data")?,
                reason: d.reason,
            };
            Ok(GenericEvent::Terminated(facts))
        }
        RESCINDED => {
            let rescinds = d
                .rescinds_event_id
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    PayloadError::malformed(
                        "/data/rescindsEventId",
                        "required for a rescind: the eventId of the termination it cancels",
                    )
                })?;
            Ok(GenericEvent::Rescinded {
                event_id: d.event_id.trim().to_owned(),
                rescinds_event_id: rescinds.trim().to_owned(),
            })
        }
        other => Err(PayloadError::malformed(
            "/type",
            format!("`{other}` is not supported: use {TERMINATED} or {RESCINDED}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_dated_termination() {
        let body = br#"{"type":"employee.terminated","timestamp":"2026-11-26T09:30:00Z","extra":1,
          "data":{"eventId":"wd-1","employee":{"employeeId":"1042","mail":"ada@contoso.com"},
          "effectiveDate":"2026-11-30","timeZone":"Europe/London","kind":"voluntary"}}"#;
        let GenericEvent::Terminated(f) = parse(body).unwrap() else {
            panic!("expected a termination")
        };
        assert_eq!(f.source_event_id, "wd-1");
        assert_eq!(f.kind, TerminationKind::Voluntary);
        assert_eq!(f.employee.mail.as_deref(), Some("ada@contoso.com"));
    }

    #[test]
    fn names_the_bad_field() {
        let no_kind = br#"{"type":"employee.terminated","timestamp":"t","data":{"eventId":"e","employee":{"employeeId":"1"},"effectiveAt":"2026-11-30T17:00:00Z"}}"#;
        assert_eq!(parse(no_kind).unwrap_err().pointer, "/data/kind");
        let bad_upn = br#"{"type":"employee.terminated","timestamp":"t","data":{"eventId":"e","employee":{"userPrincipalName":"x"},"effectiveAt":"2026-11-30T17:00:00Z","kind":"death"}}"#;
        assert_eq!(
            parse(bad_upn).unwrap_err().pointer,
            "/data/employee/userPrincipalName"
        );
        let no_zone = br#"{"type":"employee.terminated","timestamp":"t","data":{"eventId":"e","employee":{"employeeId":"1"},"effectiveDate":"2026-11-30","kind":"death"}}"#;
        assert_eq!(parse(no_zone).unwrap_err().pointer, "/data/timeZone");
        let wrong_type = br#"{"type":"employee.hired","timestamp":"t","data":{"eventId":"e"}}"#;
        assert_eq!(parse(wrong_type).unwrap_err().pointer, "/type");
        let not_json = b"{";
        assert_eq!(parse(not_json).unwrap_err().pointer, "");
        let bad_type = br#"{"type":"employee.terminated","timestamp":"t","data":{"eventId":5}}"#;
        assert_eq!(parse(bad_type).unwrap_err().pointer, "/data/eventId");
    }

    #[test]
    fn reads_a_rescind() {
        let body = br#"{"type":"employee.termination_rescinded","timestamp":"t","data":{"eventId":"wd-2","rescindsEventId":"wd-1"}}"#;
        assert_eq!(
            parse(body).unwrap(),
            GenericEvent::Rescinded {
                event_id: "wd-2".into(),
                rescinds_event_id: "wd-1".into()
            }
        );
    }
}
