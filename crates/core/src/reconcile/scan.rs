//! The reconciliation itself, with no I/O: HR's population, the directory and offboard's
//! cases in; observations out. The service reads the three and stores what this returns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::finding::{FindingKind, Observation};
use super::policy::ReconcilePolicy;
use super::population::{PopulationIndex, PopulationRow, Snapshot};
use crate::effective::EffectivePolicy;
use crate::ids::CaseId;

/// An account as the directory read shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Entra object id (or the AD object's GUID for an AD-only account).
    pub object_id: String,
    /// UPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// Mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Entra `employeeId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// Sign-in allowed.
    pub enabled: bool,
    /// `userType` is `Member` (guests are not employees).
    pub member: bool,
    /// Entra `employeeType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_type: Option<String>,
    /// Entra `employeeLeaveDateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_at: Option<DateTime<Utc>>,
    /// The AD distinguished name of a synced or AD-only account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_premises_dn: Option<String>,
    /// `signInActivity.lastSuccessfulSignInDateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_sign_in: Option<DateTime<Utc>>,
    /// Member of a group the policy excludes.
    #[serde(default)]
    pub in_excluded_group: bool,
    /// Where it was read (`entra`, `ad`).
    pub directory: String,
}

impl Account {
    /// How findings name the account.
    pub fn display(&self) -> String {
        self.upn
            .clone()
            .or_else(|| self.mail.clone())
            .or_else(|| self.display_name.clone())
            .unwrap_or_else(|| self.object_id.clone())
    }
}

/// A case as the scan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseView {
    /// The case.
    pub case_id: CaseId,
    /// HR's employee id, as the case was opened.
    pub employee_id: Option<String>,
    /// Emails / UPN the case names (as opened, and as resolved).
    pub emails: Vec<String>,
    /// The resolved Entra object id.
    pub object_id: Option<String>,
    /// Whether the case is final (completed, with exceptions, cancelled).
    pub terminal: bool,
    /// Whether it completed (access verified removed).
    pub completed: bool,
    /// Whether it was cancelled (a rescinded termination).
    pub cancelled: bool,
    /// The SLA deadline.
    pub sla_deadline: Option<DateTime<Utc>>,
    /// When sign-in was verified cut, if it was.
    pub sign_in_cut: Option<DateTime<Utc>>,
    /// Effective time.
    pub effective_at: DateTime<Utc>,
    /// The leaver's name.
    pub leaver: String,
}

/// Everything one scan judges over.
pub struct ScanInput<'a> {
    /// Each source's snapshot (only sources that loaded).
    pub snapshots: &'a [Snapshot],
    /// Whether every configured source loaded.
    pub population_complete: bool,
    /// Every account read.
    pub accounts: &'a [Account],
    /// offboard's cases.
    pub cases: &'a [CaseView],
    /// The scan policy.
    pub policy: &'a ReconcilePolicy,
    /// The company's effective-time rule (HR dates end at its cutoff).
    pub effective: &'a EffectivePolicy,
    /// Now.
    pub now: DateTime<Utc>,
}

pub(super) fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

pub(super) struct CaseIndex<'a> {
    by_employee_id: BTreeMap<&'a str, &'a CaseView>,
    by_email: BTreeMap<String, &'a CaseView>,
    by_object: BTreeMap<&'a str, &'a CaseView>,
}

impl<'a> CaseIndex<'a> {
    pub(super) fn new(cases: &'a [CaseView]) -> Self {
        let mut ix = Self {
            by_employee_id: BTreeMap::new(),
            by_email: BTreeMap::new(),
            by_object: BTreeMap::new(),
        };
        // Later cases win: the most recent case speaks for the person.
        for c in cases {
            if let Some(id) = &c.employee_id {
                ix.by_employee_id.insert(id.as_str(), c);
            }
            for m in &c.emails {
                ix.by_email.insert(norm(m), c);
            }
            if let Some(o) = &c.object_id {
                ix.by_object.insert(o.as_str(), c);
            }
        }
        ix
    }

    pub(super) fn for_person(
        &self,
        row: &PopulationRow,
        account: Option<&Account>,
    ) -> Option<&'a CaseView> {
        row.employee_id
            .as_deref()
            .and_then(|id| self.by_employee_id.get(id).copied())
            .or_else(|| {
                row.email
                    .as_deref()
                    .and_then(|m| self.by_email.get(&norm(m)).copied())
            })
            .or_else(|| account.and_then(|a| self.by_object.get(a.object_id.as_str()).copied()))
    }
}

pub(super) struct AccountIndex<'a> {
    by_employee_id: BTreeMap<&'a str, &'a Account>,
    by_email: BTreeMap<String, &'a Account>,
}

impl<'a> AccountIndex<'a> {
    pub(super) fn new(accounts: &'a [Account]) -> Self {
        let mut ix = Self {
            by_employee_id: BTreeMap::new(),
            by_email: BTreeMap::new(),
        };
        for a in accounts.iter().filter(|a| a.directory == "entra") {
            if let Some(id) = &a.employee_id {
                ix.by_employee_id.insert(id.as_str(), a);
            }
            for m in [&a.upn, &a.mail].into_iter().flatten() {
                ix.by_email.insert(norm(m), a);
            }
        }
        ix
    }

    pub(super) fn for_person(&self, row: &PopulationRow) -> Option<&'a Account> {
        row.employee_id
            .as_deref()
            .and_then(|id| self.by_employee_id.get(id).copied())
            .or_else(|| {
                row.email
                    .as_deref()
                    .and_then(|m| self.by_email.get(&norm(m)).copied())
            })
    }
}

/// The key a person is known by across scans: employee id, else lower-cased email, else name.
pub fn person_key(row: &PopulationRow) -> String {
    row.employee_id
        .clone()
        .or_else(|| row.email.as_deref().map(norm))
        .unwrap_or_else(|| row.display())
}

/// What one scan finds. Population-based kinds are judged only when `population_complete`.
pub fn reconcile(input: &ScanInput<'_>) -> Vec<Observation> {
    let mut out = Vec::new();
    let cases = CaseIndex::new(input.cases);
    let accounts = AccountIndex::new(input.accounts);
    if input.population_complete {
        let mut seen_leavers = std::collections::BTreeSet::new();
        for row in input.snapshots.iter().flat_map(|s| &s.rows) {
            let Some(leave_at) = row.leave_at(input.effective) else {
                continue;
            };
            if leave_at > input.now || !seen_leavers.insert(person_key(row)) {
                continue;
            }
            let account = accounts.for_person(row);
            let case = cases.for_person(row, account);
            match (case, account) {
                (None, Some(a)) => out.push(Observation {
                    id: format!("missed_termination:{}", person_key(row)),
                    kind: FindingKind::MissedTermination,
                    subject: row.display(),
                    object_id: Some(a.object_id.clone()),
                    case_id: None,
                    what: format!(
                        "HR reports {} left at {}; offboard holds no case for them and their account {} is {}",
                        row.display(),
                        crate::evidence::millis::text(leave_at),
                        a.display(),
                        if a.enabled { "enabled" } else { "disabled" },
                    ),
                    since: Some(leave_at),
                    action: "open an offboarding for them (auto_open does it on its own)".into(),
                }),
                // No account at all: nothing can be used; the completeness report lists them.
                (None, None) => {}
                (Some(_), _) => {}
            }
            if let Some(a) = account
                && let Some(signed_in) = a.last_successful_sign_in
            {
                let cut = case.and_then(|c| c.sign_in_cut).unwrap_or(leave_at);
                if signed_in > cut {
                    out.push(Observation {
                        id: format!("signin_after_termination:{}", a.object_id),
                        kind: FindingKind::SigninAfterTermination,
                        subject: a.display(),
                        object_id: Some(a.object_id.clone()),
                        case_id: case.map(|c| c.case_id.clone()),
                        what: format!(
                            "a successful sign-in at {} after the sign-in cut at {}",
                            crate::evidence::millis::text(signed_in),
                            crate::evidence::millis::text(cut)
                        ),
                        since: Some(signed_in),
                        action: "treat as a possible compromise: check the sign-in logs for this account, block it and revoke its sessions".into(),
                    });
                }
            }
        }
        let population = PopulationIndex::new(input.snapshots);
        // An AD account synced to Entra ID is judged once, as its cloud account (which carries
        // its DN, so an excluded OU still excludes it).
        let synced: std::collections::BTreeSet<String> = input
            .accounts
            .iter()
            .filter(|a| a.directory == "entra")
            .filter_map(|a| a.on_premises_dn.as_deref().map(norm))
            .collect();
        for a in input.accounts.iter().filter(|a| {
            a.enabled
                && a.member
                && !(a.directory == "ad"
                    && a.on_premises_dn
                        .as_deref()
                        .is_some_and(|dn| synced.contains(&norm(dn))))
        }) {
            if population
                .find(
                    a.employee_id.as_deref(),
                    &[a.upn.as_deref(), a.mail.as_deref()],
                )
                .is_some()
                || input
                    .policy
                    .exclusion(
                        a.employee_type.as_deref(),
                        a.in_excluded_group,
                        a.on_premises_dn.as_deref(),
                    )
                    .is_some()
            {
                continue;
            }
            out.push(Observation {
                id: format!("orphaned_account:{}:{}", a.directory, a.object_id),
                kind: FindingKind::OrphanedAccount,
                subject: a.display(),
                object_id: Some(a.object_id.clone()),
                case_id: None,
                what: format!(
                    "enabled member account in {} that matches no one in HR's population",
                    if a.directory == "ad" { "AD (managed OUs)" } else { "Entra ID" }
                ),
                since: None,
                action: "find its owner: offboard it, or exclude it by policy as a service or shared account (group, employeeType, OU)".into(),
            });
        }
    }
    for c in input.cases.iter().filter(|c| !c.terminal) {
        if let Some(deadline) = c.sla_deadline
            && deadline < input.now
        {
            out.push(Observation {
                id: format!("incomplete_case:{}", c.case_id),
                kind: FindingKind::IncompleteCase,
                subject: c.leaver.clone(),
                object_id: c.object_id.clone(),
                case_id: Some(c.case_id.clone()),
                what: "the case is past its SLA and not finished".into(),
                since: Some(deadline),
                action: "open the case's timeline and its remediation items, fix what blocks it and retry the step".into(),
            });
        }
    }
    // Access that came back: a completed case whose account is enabled again.
    let by_object: BTreeMap<&str, &Account> = input
        .accounts
        .iter()
        .filter(|a| a.directory == "entra")
        .map(|a| (a.object_id.as_str(), a))
        .collect();
    for c in input.cases.iter().filter(|c| c.completed) {
        if let Some(a) = c.object_id.as_deref().and_then(|o| by_object.get(o))
            && a.enabled
        {
            out.push(Observation {
                id: format!("access_returned:{}:account-enabled", c.case_id),
                kind: FindingKind::AccessReturned,
                subject: a.display(),
                object_id: Some(a.object_id.clone()),
                case_id: Some(c.case_id.clone()),
                what: "the account is enabled again after the case verified sign-in blocked"
                    .into(),
                since: None,
                action: "find who re-enabled it (audit log); re-run the case's steps (auto_remediate does it on its own)".into(),
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    out
}
