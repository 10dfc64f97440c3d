//! Population completeness, the auditor's first question: "HR says these people left in the
//! period; show me a case for each". A scan keeps HR's leavers as it read them ([`leavers`],
//! sealed in the scan's evidence record); the termination report matches them with offboard's
//! cases for its period ([`completeness`]) and names every difference, both ways.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use super::population::Snapshot;
use super::record::Leaver;
use super::scan::{Account, AccountIndex, CaseIndex, CaseView, norm, person_key};
use crate::effective::EffectivePolicy;
use crate::evidence::millis;
use crate::ids::CaseId;

/// Every person the snapshots report terminated with a leave time, once each (the first
/// source to list them), with the account `accounts` holds for them: what a scan keeps.
pub fn leavers(
    snapshots: &[Snapshot],
    accounts: &[Account],
    effective: &EffectivePolicy,
) -> Vec<Leaver> {
    let accounts = AccountIndex::new(accounts);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in snapshots {
        for row in &s.rows {
            let Some(left_at) = row.leave_at(effective) else {
                continue;
            };
            if !seen.insert(person_key(row)) {
                continue;
            }
            out.push(Leaver {
                source: s.source.clone(),
                row: row.clone(),
                left_at,
                object_id: accounts.for_person(row).map(|a| a.object_id.clone()),
            });
        }
    }
    out
}

/// How one person of the completeness section stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompletenessStatus {
    /// HR reports the person left in the period and offboard holds a case for them.
    Case,
    /// HR reports the person left in the period, the scan found their account, and offboard
    /// holds no case: a missed termination.
    NoCase,
    /// HR reports the person left in the period and offboard holds no case, but the scan
    /// found no account for them either (nothing was left to remove).
    NoAccount,
    /// offboard holds a case effective in the period for someone HR does not report as a
    /// leaver at all (an operator's termination, a contractor outside HR, a rescinded leave
    /// HR no longer shows).
    NotInHr,
}

impl CompletenessStatus {
    /// The name reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Case => "case",
            Self::NoCase => "no_case",
            Self::NoAccount => "no_account",
            Self::NotInHr => "not_in_hr",
        }
    }

    /// Whether the row is a difference between HR and offboard.
    pub fn is_difference(self) -> bool {
        self != Self::Case
    }
}

/// One person of the completeness section: HR's leaver and offboard's case, or the one
/// without the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletenessRow {
    /// The person.
    pub person: String,
    /// HR's employee id (or the case's, for a case HR does not report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// Work email or UPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// When HR says they left (none for `not_in_hr`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "millis::option"
    )]
    pub hr_left_at: Option<DateTime<Utc>>,
    /// The population source that reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_source: Option<String>,
    /// offboard's case for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<CaseId>,
    /// The case's effective time.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "millis::option"
    )]
    pub case_effective_at: Option<DateTime<Utc>>,
    /// How they stand.
    pub status: CompletenessStatus,
}

/// HR's leavers effective in `[from, to)` and the case offboard holds for each (matched by
/// employee id, then email, then the account; the case may be of any period), then every
/// case effective in `[from, to)` that is not cancelled and whose person HR does not report
/// as a leaver at all. Ordered by time, then person.
pub fn completeness(
    leavers: &[Leaver],
    cases: &[CaseView],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<CompletenessRow> {
    let index = CaseIndex::new(cases);
    let mut out = Vec::new();
    for l in leavers
        .iter()
        .filter(|l| l.left_at >= from && l.left_at < to)
    {
        let account = l.object_id.as_ref().map(|o| Account {
            object_id: o.clone(),
            ..Account::default()
        });
        let case = index.for_person(&l.row, account.as_ref());
        out.push(CompletenessRow {
            person: l.row.display(),
            employee_id: l.row.employee_id.clone(),
            email: l.row.email.clone(),
            hr_left_at: Some(l.left_at),
            hr_source: Some(l.source.clone()),
            case_id: case.map(|c| c.case_id.clone()),
            case_effective_at: case.map(|c| c.effective_at),
            status: match (case, &l.object_id) {
                (Some(_), _) => CompletenessStatus::Case,
                (None, Some(_)) => CompletenessStatus::NoCase,
                (None, None) => CompletenessStatus::NoAccount,
            },
        });
    }
    // The other way: cases of the period HR does not report. A person HR reports leaving at
    // another time is not a difference of this kind (their row is in that period's report).
    let ids: BTreeSet<&str> = leavers
        .iter()
        .filter_map(|l| l.row.employee_id.as_deref())
        .collect();
    let emails: BTreeSet<String> = leavers
        .iter()
        .filter_map(|l| l.row.email.as_deref())
        .map(norm)
        .collect();
    let objects: BTreeSet<&str> = leavers
        .iter()
        .filter_map(|l| l.object_id.as_deref())
        .collect();
    for c in cases
        .iter()
        .filter(|c| c.effective_at >= from && c.effective_at < to && !c.cancelled)
    {
        let known = c.employee_id.as_deref().is_some_and(|i| ids.contains(i))
            || c.emails.iter().any(|m| emails.contains(&norm(m)))
            || c.object_id.as_deref().is_some_and(|o| objects.contains(o));
        if known {
            continue;
        }
        out.push(CompletenessRow {
            person: c.leaver.clone(),
            employee_id: c.employee_id.clone(),
            email: c.emails.first().cloned(),
            hr_left_at: None,
            hr_source: None,
            case_id: Some(c.case_id.clone()),
            case_effective_at: Some(c.effective_at),
            status: CompletenessStatus::NotInHr,
        });
    }
    let at = |r: &CompletenessRow| r.hr_left_at.or(r.case_effective_at);
    out.sort_by(|a, b| {
        at(a)
            .cmp(&at(b))
            .then_with(|| a.person.cmp(&b.person))
            .then_with(|| a.case_id.cmp(&b.case_id))
    });
    out
}
