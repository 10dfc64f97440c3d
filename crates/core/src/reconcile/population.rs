//! HR's population: every person a source reports, current and former. `super::read` reads a
//! source's report into these rows as it streams in (hashing it on the way); a malformed report
//! fails the whole source instead of loading half of it (a row that did not load must never
//! make its person look like an orphan).

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
