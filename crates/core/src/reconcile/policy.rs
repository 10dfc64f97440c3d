//! The `[reconcile]` section of the policy file: what the scan does on its own and which
//! accounts are service or shared accounts rather than people.

use serde::{Deserialize, Serialize};

use super::population::ColumnMapping;

/// What the reconciliation scan may do and what it leaves alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcilePolicy {
    /// Open a case for a missed termination, with the population snapshot as its trigger.
    pub auto_open: bool,
    /// Re-run the steps whose removal came back, on the same case (new records, new seal).
    pub auto_remediate: bool,
    /// Days after sealing at which the timer re-checks a completed case (an on-demand scan
    /// re-checks every sealed case in its period at once).
    pub drift_days: Vec<u32>,
    /// Object ids of groups whose members are service or shared accounts.
    pub exclude_groups: Vec<String>,
    /// `employeeType` values of service or shared accounts (compared ignoring case).
    pub exclude_employee_types: Vec<String>,
    /// Distinguished-name suffixes of AD OUs holding service accounts (synced accounts under
    /// them are never orphans).
    pub exclude_ous: Vec<String>,
    /// Format of the `report` source: `csv` or `json`.
    pub report_format: ReportFormat,
    /// OAuth scope asked for when the report is read with client credentials.
    pub report_oauth_scope: Option<String>,
    /// Column mapping of the `report` source.
    pub report_columns: ColumnMapping,
}

/// How the `report` source is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// CSV with a header row.
    Csv,
    /// JSON rows.
    Json,
}

impl Default for ReconcilePolicy {
    fn default() -> Self {
        Self {
            auto_open: true,
            auto_remediate: false,
            drift_days: vec![1, 7, 30],
            exclude_groups: Vec::new(),
            exclude_employee_types: vec!["Service".into(), "Shared".into()],
            exclude_ous: Vec::new(),
            report_format: ReportFormat::Csv,
            report_oauth_scope: None,
            report_columns: ColumnMapping::default(),
        }
    }
}

impl ReconcilePolicy {
    /// Why an account is not a person (the policy rule that excludes it), if it is excluded.
    pub fn exclusion(
        &self,
        employee_type: Option<&str>,
        in_excluded_group: bool,
        on_premises_dn: Option<&str>,
    ) -> Option<String> {
        if in_excluded_group {
            return Some("member of an excluded group".into());
        }
        if let Some(t) = employee_type
            && self
                .exclude_employee_types
                .iter()
                .any(|x| x.eq_ignore_ascii_case(t))
        {
            return Some(format!("employeeType `{t}` is excluded"));
        }
        if let Some(dn) = on_premises_dn {
            let dn = dn.to_ascii_lowercase();
            if let Some(ou) = self
                .exclude_ous
                .iter()
                .find(|ou| dn.ends_with(&ou.to_ascii_lowercase()))
            {
                return Some(format!("in excluded OU `{ou}`"));
            }
        }
        None
    }
}
