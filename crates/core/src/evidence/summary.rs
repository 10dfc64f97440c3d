//! What the dashboard's lists and counts need of a case's index entry, and nothing more: the
//! overview counts cases by status and SLA state, the cases list filters, searches, orders and
//! shows them. A store can keep these few fields beside the entry (the embedded store keeps
//! them as columns) so that counting and listing every case of a year reads no JSON; a store
//! that does not derives them from the entries ([`IndexSummary::of`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::index::IndexEntry;
use crate::case::CaseStatus;
use crate::event::{Source, TerminationKind};
use crate::ids::CaseId;

/// Separates the searchable values in [`IndexSummary::search`] (a control character no name,
/// UPN, mail or id holds).
pub const SEARCH_SEPARATOR: char = '\u{1f}';

/// One case, as the lists and counts see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexSummary {
    /// The case.
    pub id: CaseId,
    /// Its evidence period.
    pub period: String,
    /// HR's effective time, computed.
    pub effective_at: DateTime<Utc>,
    /// The status the evidence shows.
    pub status: CaseStatus,
    /// Termination kind.
    pub kind: TerminationKind,
    /// Where the termination came from.
    pub source: Source,
    /// `met`, `breached`, `no_target` or `pending` ([`IndexEntry::sla_state`]).
    pub sla_state: String,
    /// How many exceptions the case has.
    pub exception_count: usize,
    /// HR's employee number.
    pub employee_id: Option<String>,
    /// How a list names the leaver: the resolved account's display name, else HR's UPN, else
    /// the employee id.
    pub name: String,
    /// The values a search looks in (employee id, UPN, mail as HR sent them; the resolved
    /// account's display name, UPN and employee id; the case id), lower-cased, joined by
    /// [`SEARCH_SEPARATOR`].
    pub search: String,
}

impl IndexSummary {
    /// The summary of `e`.
    pub fn of(e: &IndexEntry) -> Self {
        let leaver = e.leaver.as_ref();
        let mut fields: Vec<&str> = [
            &e.employee.employee_id,
            &e.employee.user_principal_name,
            &e.employee.mail,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
        if let Some(l) = leaver {
            fields.extend(
                [&l.display_name, &l.user_principal_name, &l.employee_id]
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            );
        }
        fields.push(e.id.as_str());
        let search = fields
            .iter()
            .map(|f| f.to_lowercase())
            .collect::<Vec<_>>()
            .join(&SEARCH_SEPARATOR.to_string());
        Self {
            id: e.id.clone(),
            period: e.period.clone(),
            effective_at: e.effective_at,
            status: e.status,
            kind: e.kind,
            source: e.source,
            sla_state: e.sla_state().to_owned(),
            exception_count: e.exceptions.len(),
            employee_id: e.employee.employee_id.clone(),
            name: leaver
                .and_then(|l| l.display_name.clone())
                .or_else(|| e.employee.user_principal_name.clone())
                .or_else(|| e.employee.employee_id.clone())
                .unwrap_or_else(|| "(unnamed)".to_owned()),
            search,
        }
    }

    /// Whether `query` (any case) is in one of the searchable values.
    pub fn matches(&self, query: &str) -> bool {
        let q = query.to_lowercase();
        self.search.split(SEARCH_SEPARATOR).any(|f| f.contains(&q))
    }
}
