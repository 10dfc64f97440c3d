//! BambooHR field-based (global or permissioned) webhooks.
//!
//! BambooHR posts `{"employees": [{"id", "action", "timestamp", "fields": {...},
//! "changedFields": [...]}]}` with the fields the customer selected to post. offboard needs
//! these fields selected (names as BambooHR labels them; the posted key may be the label or a
//! camelCase alias, compared ignoring case, spaces and punctuation):
//!
//! | field | used for | keys accepted |
//! |---|---|---|
//! | Work Email | identifying the leaver in Entra ID | `Work Email`, `workEmail` |
//! | Employee # | identifying the leaver (Entra `employeeId`) | `Employee #`, `employeeNumber` |
//! | Employment Status | "Terminated" starts offboarding | `Employment Status`, `employmentStatus` |
//! | Termination Date | the effective date (company time zone) | `Termination Date`, `terminationDate`, `Employment Status: Date` |
//! | Termination Type | voluntary / involuntary / ... | `Termination Type`, `terminationType` |
//!
//! An entry whose employment status is "Terminated" opens (or finds) the case for that
//! employee and date. An entry whose employment status changed to anything else reinstates
//! the employee: open scheduled cases for them are cancelled. Other entries are ignored.

use serde::Deserialize;
use std::collections::BTreeMap;

use super::{PayloadError, from_json};
use crate::effective::HrEffectiveTime;
use crate::event::{Source, TerminationFacts, TerminationKind};
use crate::ids::{EmployeeIdentifiers, IdentifierError};

/// The fields the customer must select in BambooHR, for messages and the README.
pub const REQUIRED_FIELDS: &str =
    "Work Email, Employee #, Employment Status, Termination Date, Termination Type";

/// What one employee entry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BambooEntry {
    /// The employee is terminated.
    Terminated(TerminationFacts),
    /// The employee's status changed away from terminated: cancel open cases.
    Reinstated {
        /// BambooHR's employee id.
        subject_id: String,
    },
    /// Nothing for offboard to do.
    Ignored {
        /// BambooHR's employee id.
        subject_id: String,
        /// Why.
        reason: String,
    },
}

#[derive(Deserialize)]
struct Payload {
    employees: Option<Vec<Entry>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    id: serde_json::Value,
    #[serde(default)]
    fields: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    changed_fields: Vec<String>,
}

fn norm(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

struct Fields(BTreeMap<String, String>);

impl Fields {
    fn new(raw: BTreeMap<String, serde_json::Value>) -> Self {
        Self(
            raw.into_iter()
                .filter_map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    let text = text.trim().to_owned();
                    (!text.is_empty()).then(|| (norm(&k), text))
                })
                .collect(),
        )
    }

    fn get(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.0.get(*n).cloned())
    }
}

fn thin_payload() -> PayloadError {
    PayloadError::unprocessable(
        "/employees",
        format!(
            "this looks like an event-only BambooHR webhook without employee fields; \
             configure the webhook to post these fields: {REQUIRED_FIELDS}"
        ),
    )
}

/// Parses a BambooHR webhook body into one entry per employee.
pub fn parse(body: &[u8]) -> Result<Vec<BambooEntry>, PayloadError> {
    let payload: Payload = from_json(body)?;
    let entries = payload.employees.ok_or_else(thin_payload)?;
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let base = format!("/employees/{i}");
        let subject_id = match &entry.id {
            serde_json::Value::String(s) if !s.trim().is_empty() => s.trim().to_owned(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => {
                return Err(PayloadError::malformed(
                    format!("{base}/id"),
                    "required: BambooHR's employee id",
                ));
            }
        };
        let Some(raw) = entry.fields else {
            return Err(thin_payload());
        };
        let fields = Fields::new(raw);
        let status = fields.get(&["employmentstatus"]).ok_or_else(|| {
            PayloadError::unprocessable(
                format!("{base}/fields"),
                format!("the Employment Status field is not posted; select these fields: {REQUIRED_FIELDS}"),
            )
        })?;
        if !status.eq_ignore_ascii_case("terminated") {
            let changed = entry
                .changed_fields
                .iter()
                .any(|f| norm(f) == "employmentstatus");
            out.push(if changed {
                BambooEntry::Reinstated { subject_id }
            } else {
                BambooEntry::Ignored {
                    subject_id,
                    reason: format!("employment status is `{status}`, not Terminated"),
                }
            });
            continue;
        }
        let date = fields
            .get(&["terminationdate", "employmentstatusdate"])
            .ok_or_else(|| {
                PayloadError::unprocessable(
                    format!("{base}/fields"),
                    format!("the Termination Date field is not posted; select these fields: {REQUIRED_FIELDS}"),
                )
            })?;
        let hr_effective = HrEffectiveTime::date(&date, None).map_err(|e| {
            PayloadError::malformed(format!("{base}/fields/Termination Date"), e.to_string())
        })?;
        let kind = match fields.get(&["terminationtype"]) {
            None => {
                return Err(PayloadError::unprocessable(
                    format!("{base}/fields"),
                    format!(
                        "the Termination Type field is not posted; select these fields: {REQUIRED_FIELDS}"
                    ),
                ));
            }
            Some(t) => TerminationKind::parse(&t).unwrap_or(TerminationKind::Unspecified),
        };
        let employee = EmployeeIdentifiers::new(
            fields.get(&["employeenumber", "employee"]),
            None,
            fields.get(&["workemail"]),
            None,
        )
        .map_err(|e| match e {
            IdentifierError::Missing => PayloadError::unprocessable(
                format!("{base}/fields"),
                format!("neither Work Email nor Employee # is posted; select these fields: {REQUIRED_FIELDS}"),
            ),
            IdentifierError::Invalid { .. } => {
                PayloadError::malformed(format!("{base}/fields"), e.to_string())
            }
        })?;
        out.push(BambooEntry::Terminated(TerminationFacts {
            source: Source::Bamboohr,
            // One case per employee and termination date, however many updates BambooHR
            // sends about it.
            source_event_id: format!("{subject_id}:{}", hr_effective.as_sent().unwrap_or("")),
            source_subject_id: Some(subject_id),
            employee,
            kind,
            hr_effective,
            reason: None,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminated_entry_becomes_facts() {
        let body = br#"{"employees":[{"id":"123","action":"Updated","timestamp":"2026-11-26T09:00:00+00:00",
          "fields":{"Work Email":"ada@contoso.com","Employee #":"1042","Employment Status":"Terminated",
                    "Termination Date":"2026-11-30","Termination Type":"Voluntary"},
          "changedFields":["Employment Status"]}]}"#;
        let entries = parse(body).unwrap();
        let BambooEntry::Terminated(f) = &entries[0] else {
            panic!("expected a termination")
        };
        assert_eq!(f.source_event_id, "123:2026-11-30");
        assert_eq!(f.employee.employee_id.as_deref(), Some("1042"));
        assert_eq!(f.kind, TerminationKind::Voluntary);
    }

    #[test]
    fn camel_case_keys_and_reinstatement() {
        let body = br#"{"employees":[
          {"id":7,"fields":{"workEmail":"b@contoso.com","employmentStatus":"Full-Time"},"changedFields":["employmentStatus"]},
          {"id":8,"fields":{"workEmail":"c@contoso.com","employmentStatus":"Full-Time"},"changedFields":["Job Title"]}]}"#;
        let entries = parse(body).unwrap();
        assert_eq!(
            entries[0],
            BambooEntry::Reinstated {
                subject_id: "7".into()
            }
        );
        assert!(matches!(entries[1], BambooEntry::Ignored { .. }));
    }

    #[test]
    fn thin_payload_says_which_fields_to_select() {
        let body = br#"{"type":"employee.updated","timestamp":"2026-01-31T18:42:00+0000","data":{"companyId":"1","employeeId":"2","changedFields":["status"]}}"#;
        let err = parse(body).unwrap_err();
        assert!(err.unprocessable);
        assert!(err.detail.contains("Termination Date"));
        let missing_date = br#"{"employees":[{"id":"1","fields":{"Work Email":"a@b.co","Employment Status":"Terminated","Termination Type":"Voluntary"}}]}"#;
        let err = parse(missing_date).unwrap_err();
        assert!(err.unprocessable && err.detail.contains("Termination Date"));
    }
}
