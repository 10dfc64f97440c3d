//! What a SCIM deactivation means to offboard: who is leaving, when, and why.
//!
//! A user goes from active to inactive when a client writes `active: false` (PATCH or PUT)
//! or deletes an active user. Each such deactivation is one termination, numbered from 1
//! per user, so its event id `"{scim id}/{n}"` is stable: a redelivered deactivation
//! maps to the same case, and a person deactivated again after a reactivation gets a new
//! one.
//!
//! - **Who**: `employeeNumber` (enterprise extension), `userName` when it looks like a user
//!   principal name (`name@domain`), and the primary — else the work — email address.
//! - **When**: the offboard extension's `terminationDateTime` if set, else at once. A time
//!   still ahead schedules the case for it.
//! - **Why**: the offboard extension's `terminationKind`; values offboard does not know are
//!   recorded as unspecified.

use serde_json::{Map, Value};

use super::schema::SchemaId;
use super::user::ScimUser;
use crate::effective::HrEffectiveTime;
use crate::event::{Source, TerminationFacts, TerminationKind};
use crate::ids::{CaseId, EmployeeIdentifiers, IdentifierError};

/// How a write changes a user's `active` state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveChange {
    /// No change.
    None,
    /// Active to inactive: a termination.
    Deactivated,
    /// Inactive to active: cancels the last termination if it has not taken effect.
    Reactivated,
}

impl ActiveChange {
    /// The change from the state `before` to what the new resource says; a resource
    /// without `active` keeps the state.
    pub fn between(before: bool, after: Option<bool>) -> Self {
        match (before, after.unwrap_or(before)) {
            (true, false) => Self::Deactivated,
            (false, true) => Self::Reactivated,
            _ => Self::None,
        }
    }
}

/// The source event id of the `n`-th deactivation of the SCIM user `id`.
pub fn event_id(id: &str, n: u32) -> String {
    format!("{id}/{n}")
}

/// The case the `n`-th deactivation of the SCIM user `id` opens.
pub fn case_id(id: &str, n: u32) -> CaseId {
    CaseId::derive(Source::Scim.as_str(), &event_id(id, n))
}

fn valid<F>(value: Option<&str>, build: F) -> Option<String>
where
    F: Fn(String) -> Result<EmployeeIdentifiers, IdentifierError>,
{
    let v = value?.trim();
    build(v.to_owned()).ok().map(|_| v.to_owned())
}

/// The primary email address, else the one typed `work`.
fn preferred_email(resource: &Map<String, Value>) -> Option<&str> {
    let emails = resource.get("emails")?.as_array()?;
    fn value(e: &Value) -> Option<&str> {
        e.get("value")?.as_str()
    }
    let primary = emails
        .iter()
        .find(|e| e.get("primary") == Some(&Value::Bool(true)));
    let work = emails.iter().find(|e| {
        e.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("work"))
    });
    primary.and_then(value).or_else(|| work.and_then(value))
}

/// The leaver's identifiers from a stored User. Values that do not have the shape offboard
/// resolves by (a `userName` that is not `name@domain`, an over-long employee number) are
/// left out rather than refused; `Missing` when nothing usable is left.
pub fn employee_identifiers(
    resource: &Map<String, Value>,
) -> Result<EmployeeIdentifiers, IdentifierError> {
    let employee_number = valid(
        resource
            .get(SchemaId::EnterpriseUser.urn())
            .and_then(|e| e.get("employeeNumber"))
            .and_then(Value::as_str),
        |v| EmployeeIdentifiers::new(Some(v), None, None, None),
    );
    let upn = valid(resource.get("userName").and_then(Value::as_str), |v| {
        EmployeeIdentifiers::new(None, Some(v), None, None)
    });
    let mail = valid(preferred_email(resource), |v| {
        EmployeeIdentifiers::new(None, None, Some(v), None)
    });
    EmployeeIdentifiers::new(employee_number, upn, mail, None)
}

/// The termination facts of `user`'s latest deactivation (`user.deactivations` already
/// counts it), read from the resource as the deactivating request left it. When that
/// resource carries no identifier offboard can resolve the leaver by (a PUT that dropped
/// them along with `active`), the identifiers of `previous` — the resource before the
/// change — are used. `Missing` when neither has one.
pub fn termination_facts(
    user: &ScimUser,
    previous: Option<&Value>,
) -> Result<TerminationFacts, IdentifierError> {
    let empty = Map::new();
    let resource = user.resource.as_object().unwrap_or(&empty);
    let employee = match employee_identifiers(resource) {
        Ok(ids) => ids,
        Err(e) => match previous.and_then(Value::as_object) {
            Some(prev) => employee_identifiers(prev)?,
            None => return Err(e),
        },
    };
    let ext = resource.get(SchemaId::OffboardUser.urn());
    // Writes are validated, so a stored terminationDateTime parses; should one not, the
    // termination takes effect at once — removing access early is the safe side.
    let hr_effective = ext
        .and_then(|e| e.get("terminationDateTime"))
        .and_then(Value::as_str)
        .and_then(|t| HrEffectiveTime::instant(t).ok())
        .unwrap_or(HrEffectiveTime::Immediate);
    let kind = ext
        .and_then(|e| e.get("terminationKind"))
        .and_then(Value::as_str)
        .and_then(TerminationKind::parse)
        .unwrap_or(TerminationKind::Unspecified);
    Ok(TerminationFacts {
        source: Source::Scim,
        source_event_id: event_id(&user.id, user.deactivations),
        source_subject_id: Some(user.id.clone()),
        employee,
        kind,
        hr_effective,
        reason: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::{ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA};
    use chrono::{DateTime, Utc};
    use serde_json::json;

    fn user(resource: Value, deactivations: u32) -> ScimUser {
        let at: DateTime<Utc> = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        ScimUser {
            id: "2819c223".into(),
            user_name: resource["userName"].as_str().unwrap_or("").into(),
            external_id: None,
            active: false,
            deactivations,
            resource,
            created: at,
            last_modified: at,
            version: 1,
        }
    }

    #[test]
    fn active_changes_follow_explicit_values_only() {
        assert_eq!(
            ActiveChange::between(true, Some(false)),
            ActiveChange::Deactivated
        );
        assert_eq!(
            ActiveChange::between(false, Some(true)),
            ActiveChange::Reactivated
        );
        assert_eq!(ActiveChange::between(true, None), ActiveChange::None);
        assert_eq!(ActiveChange::between(false, None), ActiveChange::None);
        assert_eq!(
            ActiveChange::between(false, Some(false)),
            ActiveChange::None
        );
    }

    #[test]
    fn identifiers_prefer_employee_number_upn_and_primary_mail() {
        let r = json!({
            "userName": "ada@contoso.com",
            "emails": [{"value": "ada@home.example", "type": "home"},
                       {"value": "a.lovelace@contoso.com", "type": "work"},
                       {"value": "ada.l@contoso.com", "primary": true}],
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": " 1042 "},
        });
        let ids = employee_identifiers(r.as_object().unwrap()).unwrap();
        assert_eq!(ids.employee_id.as_deref(), Some("1042"));
        assert_eq!(ids.user_principal_name.as_deref(), Some("ada@contoso.com"));
        assert_eq!(ids.mail.as_deref(), Some("ada.l@contoso.com"));
        assert_eq!(ids.on_premises_sam_account_name, None);

        // No primary: the work address. A userName that is not name@domain is left out.
        let r = json!({"userName": "alovelace",
                       "emails": [{"value": "h@home.example", "type": "home"},
                                  {"value": "w@contoso.com", "type": "Work"}]});
        let ids = employee_identifiers(r.as_object().unwrap()).unwrap();
        assert_eq!(ids.user_principal_name, None);
        assert_eq!(ids.mail.as_deref(), Some("w@contoso.com"));

        let r = json!({"userName": "0b6f2d6e-8f7a-4c4e-9d55-1f0b8b8e0c11",
                       "emails": [{"value": "h@home.example", "type": "home"}]});
        assert_eq!(
            employee_identifiers(r.as_object().unwrap()),
            Err(IdentifierError::Missing)
        );
    }

    #[test]
    fn facts_number_the_deactivation_and_read_the_extension() {
        let u = user(
            json!({"userName": "ada@contoso.com",
                   OFFBOARD_USER_SCHEMA: {"terminationDateTime": "2026-11-30T17:00:00-05:00",
                                          "terminationKind": "Contract End"}}),
            2,
        );
        let f = termination_facts(&u, None).unwrap();
        assert_eq!(f.source, Source::Scim);
        assert_eq!(f.source_event_id, "2819c223/2");
        assert_eq!(f.source_subject_id.as_deref(), Some("2819c223"));
        assert_eq!(f.kind, TerminationKind::ContractEnd);
        assert_eq!(f.hr_effective.as_sent(), Some("2026-11-30T17:00:00-05:00"));
        assert_eq!(case_id("2819c223", 2), CaseId::derive("scim", "2819c223/2"));
        assert_ne!(case_id("2819c223", 1), case_id("2819c223", 2));

        let u = user(
            json!({"userName": "ada@contoso.com",
                   OFFBOARD_USER_SCHEMA: {"terminationKind": "sabbatical"}}),
            1,
        );
        let f = termination_facts(&u, None).unwrap();
        assert_eq!(f.kind, TerminationKind::Unspecified);
        assert_eq!(f.hr_effective, HrEffectiveTime::Immediate);
    }

    #[test]
    fn identifiers_fall_back_to_the_resource_before_the_change() {
        let u = user(json!({"userName": "jdoe", "active": false}), 1);
        assert_eq!(termination_facts(&u, None), Err(IdentifierError::Missing));
        let before = json!({"userName": "jdoe", ENTERPRISE_USER_SCHEMA: {"employeeNumber": "77"}});
        let f = termination_facts(&u, Some(&before)).unwrap();
        assert_eq!(f.employee.employee_id.as_deref(), Some("77"));
        assert_eq!(
            termination_facts(&u, Some(&json!({"userName": "x"}))),
            Err(IdentifierError::Missing)
        );
    }
}
