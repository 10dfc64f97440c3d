//! HR's population: every person a source reports, current and former, read from the bytes a
//! source returned. Parsing is pure (no I/O) so every source's snapshot is hashed and parsed
//! the same way, and a malformed report fails the whole source instead of loading half of it
//! (a row that did not load must never make its person look like an orphan).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::effective::{EffectivePolicy, HrEffectiveTime};
use crate::event::TerminationKind;
use crate::ids::Sha256Digest;

/// Where a person stands with the company, as HR reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Employment {
    /// Still employed (or not yet left).
    Current,
    /// HR reports the person terminated.
    Terminated,
}

/// One person in HR's population.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PopulationRow {
    /// HR's employee number (Entra `employeeId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// Work email or UPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The person's name, for people reading findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Current or terminated.
    pub employment: Employment,
    /// HR's termination date or instant, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated: Option<HrEffectiveTime>,
    /// The termination kind HR gives (unspecified when it gives none).
    pub kind: TerminationKind,
}

impl PopulationRow {
    /// How findings and reports name the person.
    pub fn display(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.email.clone())
            .or_else(|| self.employee_id.clone())
            .unwrap_or_else(|| "(unnamed)".into())
    }

    /// The UTC instant access had to go, if HR reports a termination: HR's date under the
    /// company's effective-time rule (a date ends at the company's cutoff).
    pub fn leave_at(&self, policy: &EffectivePolicy) -> Option<DateTime<Utc>> {
        if self.employment != Employment::Terminated {
            return None;
        }
        let hr = self.terminated.as_ref()?;
        // The rule needs a reception instant only for `Immediate`, which a report never gives.
        policy.effective_instant(hr, self.kind, Utc::now()).ok()
    }
}

/// Which field of a person a report column holds; the names a policy file maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    /// Column of the employee number.
    pub employee_id: String,
    /// Column of the work email / UPN.
    pub email: String,
    /// Column of the employment status.
    pub status: String,
    /// Column of the termination date (`YYYY-MM-DD` or RFC 3339).
    pub termination_date: String,
    /// Column of the termination type (optional in the report).
    #[serde(default)]
    pub termination_type: Option<String>,
    /// Column of the person's name (optional in the report).
    #[serde(default)]
    pub name: Option<String>,
    /// Status values that mean "terminated" (compared ignoring case).
    #[serde(default = "default_terminated_values")]
    pub terminated_values: Vec<String>,
}

fn default_terminated_values() -> Vec<String> {
    ["Terminated", "Inactive", "Withdrawn"]
        .map(str::to_owned)
        .to_vec()
}

impl Default for ColumnMapping {
    /// The column names of a Workday RaaS "Worker Data" style export.
    fn default() -> Self {
        Self {
            employee_id: "Employee_ID".into(),
            email: "Email".into(),
            status: "Status".into(),
            termination_date: "Termination_Date".into(),
            termination_type: Some("Termination_Type".into()),
            name: Some("Full_Name".into()),
            terminated_values: default_terminated_values(),
        }
    }
}

/// Why a source's bytes could not be read as a population. Every variant fails the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PopulationError {
    /// Not CSV / JSON of the expected shape.
    #[error("the report is malformed: {0}")]
    Malformed(String),
    /// A mapped column is not in the report.
    #[error("the report has no column `{column}` (mapped as `{field}`)")]
    MissingColumn {
        /// The column the mapping names.
        column: String,
        /// The field it is mapped to.
        field: &'static str,
    },
    /// A row's termination date does not parse.
    #[error("row {row}: {detail}")]
    BadRow {
        /// 1-based data row.
        row: usize,
        /// What was wrong.
        detail: String,
    },
}

/// A source's population as read in one scan: what it returned, hashed, and the rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// The source's name in settings (`bamboohr`, `report`, `entra`).
    pub source: String,
    /// SHA-256 of the exact bytes the source returned.
    pub sha256: Sha256Digest,
    /// The people.
    pub rows: Vec<PopulationRow>,
}

fn blank_to_none(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty() && *s != "0000-00-00")
        .map(str::to_owned)
}

fn termination(
    row: usize,
    status: Option<&str>,
    date: Option<&str>,
    kind: Option<&str>,
    terminated_values: &[String],
) -> Result<(Employment, Option<HrEffectiveTime>, TerminationKind), PopulationError> {
    let date = blank_to_none(date);
    let by_status = status.is_some_and(|s| {
        terminated_values
            .iter()
            .any(|t| t.eq_ignore_ascii_case(s.trim()))
    });
    let employment = if by_status {
        Employment::Terminated
    } else {
        Employment::Current
    };
    let terminated = match (&employment, date) {
        (Employment::Terminated, Some(d)) => Some(HrEffectiveTime::parse_any(&d, None).map_err(
            |e| PopulationError::BadRow {
                row,
                detail: e.to_string(),
            },
        )?),
        _ => None,
    };
    let kind = kind
        .and_then(TerminationKind::parse)
        .unwrap_or(TerminationKind::Unspecified);
    Ok((employment, terminated, kind))
}

/// Reads a CSV report with a header row under `map`.
pub fn parse_csv(bytes: &[u8], map: &ColumnMapping) -> Result<Vec<PopulationRow>, PopulationError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| PopulationError::Malformed(e.to_string()))?
        .clone();
    let col = |name: &str, field: &'static str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| PopulationError::MissingColumn {
                column: name.to_owned(),
                field,
            })
    };
    let id = col(&map.employee_id, "employee_id")?;
    let email = col(&map.email, "email")?;
    let status = col(&map.status, "status")?;
    let date = col(&map.termination_date, "termination_date")?;
    let kind = map
        .termination_type
        .as_deref()
        .map(|c| col(c, "termination_type"))
        .transpose()?;
    let name = map.name.as_deref().map(|c| col(c, "name")).transpose()?;
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| PopulationError::Malformed(e.to_string()))?;
        let (employment, terminated, k) = termination(
            i + 1,
            rec.get(status),
            rec.get(date),
            kind.and_then(|k| rec.get(k)),
            &map.terminated_values,
        )?;
        rows.push(PopulationRow {
            employee_id: blank_to_none(rec.get(id)),
            email: blank_to_none(rec.get(email)),
            name: blank_to_none(name.and_then(|n| rec.get(n))),
            employment,
            terminated,
            kind: k,
        });
    }
    Ok(rows)
}

fn text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn json_rows(
    items: &[serde_json::Value],
    map: &ColumnMapping,
) -> Result<Vec<PopulationRow>, PopulationError> {
    // Every mapped column must be present in the first row: a renamed column in the export
    // fails the source instead of reading every person as "no status".
    if let Some(first) = items.first().and_then(|v| v.as_object()) {
        for (column, field) in [
            (&map.employee_id, "employee_id"),
            (&map.email, "email"),
            (&map.status, "status"),
            (&map.termination_date, "termination_date"),
        ] {
            if !first.contains_key(column) {
                return Err(PopulationError::MissingColumn {
                    column: column.clone(),
                    field,
                });
            }
        }
    }
    let mut rows = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let obj = item
            .as_object()
            .ok_or_else(|| PopulationError::Malformed(format!("row {} is not an object", i + 1)))?;
        let get = |c: &str| text(obj.get(c));
        let (employment, terminated, kind) = termination(
            i + 1,
            get(&map.status).as_deref(),
            get(&map.termination_date).as_deref(),
            map.termination_type.as_deref().and_then(get).as_deref(),
            &map.terminated_values,
        )?;
        rows.push(PopulationRow {
            employee_id: blank_to_none(get(&map.employee_id).as_deref()),
            email: blank_to_none(get(&map.email).as_deref()),
            name: map
                .name
                .as_deref()
                .and_then(|n| blank_to_none(get(n).as_deref())),
            employment,
            terminated,
            kind,
        });
    }
    Ok(rows)
}

/// Reads a JSON report: an array of objects, or an object holding one under `Report_Entry`
/// (Workday RaaS), `value`, `data` or `employees`.
pub fn parse_json(
    bytes: &[u8],
    map: &ColumnMapping,
) -> Result<Vec<PopulationRow>, PopulationError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| PopulationError::Malformed(e.to_string()))?;
    let items = match &v {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => ["Report_Entry", "value", "data", "employees"]
            .iter()
            .find_map(|k| o.get(*k).and_then(|x| x.as_array()))
            .ok_or_else(|| {
                PopulationError::Malformed(
                    "expected an array of rows, or an object with `Report_Entry`, `value`, `data` or `employees`".into(),
                )
            })?,
        _ => return Err(PopulationError::Malformed("expected JSON rows".into())),
    };
    json_rows(items, map)
}

/// The fields offboard asks BambooHR's custom report for (`POST /v1/reports/custom`).
pub const BAMBOOHR_REPORT_FIELDS: &[&str] = &[
    "employeeNumber",
    "firstName",
    "lastName",
    "workEmail",
    "status",
    "employmentHistoryStatus",
    "terminationDate",
    "terminationType",
];

/// Reads BambooHR's custom report JSON (`{"title", "fields": [...], "employees": [...]}`):
/// `status` is `Active` or `Inactive`; an inactive employee with a termination date left.
pub fn parse_bamboohr(bytes: &[u8]) -> Result<Vec<PopulationRow>, PopulationError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| PopulationError::Malformed(e.to_string()))?;
    let employees = v
        .get("employees")
        .and_then(|e| e.as_array())
        .ok_or_else(|| {
            PopulationError::Malformed("a BambooHR report has an `employees` array".into())
        })?;
    let mut rows = Vec::new();
    for (i, e) in employees.iter().enumerate() {
        let obj = e.as_object().ok_or_else(|| {
            PopulationError::Malformed(format!("employee {} is not an object", i + 1))
        })?;
        if !obj.contains_key("status") {
            return Err(PopulationError::MissingColumn {
                column: "status".into(),
                field: "status",
            });
        }
        let get = |c: &str| text(obj.get(c));
        let status = get("status").unwrap_or_default();
        let history = get("employmentHistoryStatus").unwrap_or_default();
        let inactive =
            status.eq_ignore_ascii_case("inactive") || history.eq_ignore_ascii_case("terminated");
        let (employment, terminated, kind) = termination(
            i + 1,
            Some(if inactive { "terminated" } else { "active" }),
            get("terminationDate").as_deref(),
            get("terminationType").as_deref(),
            &["terminated".to_owned()],
        )?;
        let name = match (get("firstName"), get("lastName")) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (f, l) => f.or(l),
        };
        rows.push(PopulationRow {
            employee_id: blank_to_none(get("employeeNumber").as_deref()),
            email: blank_to_none(get("workEmail").as_deref()),
            name,
            employment,
            terminated,
            kind,
        });
    }
    Ok(rows)
}

/// Rows keyed for matching: by employee id and by lower-cased email.
#[derive(Debug, Default)]
pub struct PopulationIndex<'a> {
    /// By employee id.
    pub by_employee_id: BTreeMap<&'a str, &'a PopulationRow>,
    /// By lower-cased email / UPN.
    pub by_email: BTreeMap<String, &'a PopulationRow>,
}

impl<'a> PopulationIndex<'a> {
    /// Indexes every row of every snapshot. A person listed twice (two sources, or a rehire)
    /// is current if any listing says current.
    pub fn new(snapshots: &'a [Snapshot]) -> Self {
        let mut ix = Self::default();
        for row in snapshots.iter().flat_map(|s| &s.rows) {
            let keep = |old: &&PopulationRow| old.employment == Employment::Current;
            if let Some(id) = &row.employee_id {
                let slot = ix.by_employee_id.entry(id.as_str()).or_insert(row);
                if !keep(slot) {
                    *slot = row;
                }
            }
            if let Some(mail) = &row.email {
                let slot = ix.by_email.entry(mail.to_lowercase()).or_insert(row);
                if !keep(slot) {
                    *slot = row;
                }
            }
        }
        ix
    }

    /// The row for an account with these identifiers, employee id first.
    pub fn find(
        &self,
        employee_id: Option<&str>,
        emails: &[Option<&str>],
    ) -> Option<&'a PopulationRow> {
        employee_id
            .and_then(|id| self.by_employee_id.get(id).copied())
            .or_else(|| {
                emails
                    .iter()
                    .flatten()
                    .find_map(|m| self.by_email.get(&m.to_lowercase()).copied())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_maps_columns_and_reads_leavers() {
        let csv = "Employee_ID,Email,Status,Termination_Date,Termination_Type,Full_Name\n\
                   E1,a@x.test,Active,,,Ann A\n\
                   E2,b@x.test,Terminated,2026-11-20,Voluntary,Bob B\n";
        let rows = parse_csv(csv.as_bytes(), &ColumnMapping::default()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].employment, Employment::Current);
        assert_eq!(rows[1].employment, Employment::Terminated);
        assert_eq!(rows[1].kind, TerminationKind::Voluntary);
        assert_eq!(rows[1].name.as_deref(), Some("Bob B"));
        let p = EffectivePolicy::new("UTC", "end-of-day").unwrap();
        assert!(rows[1].leave_at(&p).is_some());
        assert!(rows[0].leave_at(&p).is_none());
    }

    #[test]
    fn a_missing_column_or_a_ragged_row_fails_the_whole_report() {
        let missing = "Employee_ID,Email,Termination_Date\nE1,a@x.test,\n";
        assert!(matches!(
            parse_csv(missing.as_bytes(), &ColumnMapping::default()),
            Err(PopulationError::MissingColumn {
                field: "status",
                ..
            })
        ));
        let ragged =
            "Employee_ID,Email,Status,Termination_Date,Termination_Type,Full_Name\nE1,a@x.test\n";
        assert!(matches!(
            parse_csv(ragged.as_bytes(), &ColumnMapping::default()),
            Err(PopulationError::Malformed(_))
        ));
        let bad_date = "Employee_ID,Email,Status,Termination_Date,Termination_Type,Full_Name\nE1,a@x.test,Terminated,20/11/2026,,A\n";
        assert!(matches!(
            parse_csv(bad_date.as_bytes(), &ColumnMapping::default()),
            Err(PopulationError::BadRow { row: 1, .. })
        ));
    }

    #[test]
    fn json_reports_and_bamboohr_reports_read_the_same_people() {
        let json = br#"{"Report_Entry":[{"Employee_ID":"E2","Email":"b@x.test","Status":"Terminated","Termination_Date":"2026-11-20"}]}"#;
        let map = ColumnMapping {
            termination_type: None,
            name: None,
            ..ColumnMapping::default()
        };
        let rows = parse_json(json, &map).unwrap();
        assert_eq!(rows[0].employment, Employment::Terminated);
        let bamboo = br#"{"title":"offboard","fields":[],"employees":[
            {"id":"7","employeeNumber":"E2","firstName":"Bob","lastName":"B","workEmail":"b@x.test","status":"Inactive","terminationDate":"2026-11-20","terminationType":"Voluntary"},
            {"id":"8","employeeNumber":"E1","workEmail":"a@x.test","status":"Active","terminationDate":"0000-00-00"}]}"#;
        let rows = parse_bamboohr(bamboo).unwrap();
        assert_eq!(rows[0].employment, Employment::Terminated);
        assert_eq!(rows[0].name.as_deref(), Some("Bob B"));
        assert_eq!(rows[1].employment, Employment::Current);
        assert!(rows[1].terminated.is_none());
        assert!(parse_json(br#"[{"Employee_ID":"E1"}]"#, &map).is_err());
    }
}
