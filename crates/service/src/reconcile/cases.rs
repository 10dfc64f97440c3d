//! offboard's own cases as the scan sees them, and opening a case for a missed termination
//! with HR's population snapshot as its trigger.

use chrono::{DateTime, Duration, Utc};

use offboard_core::case::{Case, CaseStatus};
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts};
use offboard_core::ids::{EmployeeIdentifiers, Sha256Digest};
use offboard_core::plan::{StepKind, StepStatus};
use offboard_core::policy::Policy;
use offboard_core::ports::{CaseQuery, CaseStore, StoreError};
use offboard_core::reconcile::{CaseView, PopulationRow, person_key};
use offboard_core::signature::Verified;

/// Every case, a page at a time.
pub async fn all(cases: &dyn CaseStore) -> Result<Vec<Case>, StoreError> {
    let mut out = Vec::new();
    let mut continuation = None;
    loop {
        let page = cases
            .list(&CaseQuery {
                limit: 500,
                continuation,
                ..CaseQuery::default()
            })
            .await?;
        out.extend(page.items);
        match page.continuation {
            Some(c) => continuation = Some(c),
            None => return Ok(out),
        }
    }
}

/// When sign-in was verified cut: the `block-sign-in` step (cloud) or `verify-cloud-disabled`
/// (synced) finishing verified.
fn sign_in_cut(case: &Case) -> Option<DateTime<Utc>> {
    let plan = case.plan.as_ref()?;
    [StepKind::BlockSignIn, StepKind::VerifyCloudDisabled]
        .into_iter()
        .filter_map(|k| plan.step(k))
        .filter(|s| s.status == StepStatus::Verified)
        .find_map(|s| s.finished_at)
}

/// A case as the scan judges it.
pub fn view(case: &Case, policy: &Policy) -> CaseView {
    let e = case.event.employee();
    let facts = case.plan.as_ref().map(|p| &p.facts);
    let mut emails: Vec<String> = [&e.user_principal_name, &e.mail]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if let Some(f) = facts {
        emails.extend(f.user.user_principal_name.iter().cloned());
        emails.extend(f.user.mail.iter().cloned());
    }
    let sla = i64::from(policy.for_kind(case.plan_kind()).sla_minutes);
    CaseView {
        case_id: case.id.clone(),
        employee_id: e
            .employee_id
            .clone()
            .or_else(|| facts.and_then(|f| f.employee_id.clone())),
        emails,
        object_id: facts.map(|f| f.user.id.clone()),
        terminal: case.status.is_final(),
        // A restored case put access back on purpose: nothing the scan should take away again.
        completed: case.status == CaseStatus::Completed && case.restored.is_none(),
        cancelled: case.status == CaseStatus::Cancelled,
        // A case opened after its effective time (a missed termination the scan found, a
        // late webhook) is judged incomplete from when offboard learned of it.
        sla_deadline: Some(case.due_at().max(case.created_at) + Duration::minutes(sla)),
        sign_in_cut: sign_in_cut(case),
        effective_at: case.event.effective_at(),
        leaver: e.display_name().to_owned(),
    }
}

/// The termination a missed leaver's case opens with: the scan as its source, HR's date as
/// the effective time, and the snapshot the row came from (its SHA-256) as what was
/// authenticated.
pub fn missed_termination(
    row: &PopulationRow,
    source: &str,
    snapshot: &Sha256Digest,
    read_at: DateTime<Utc>,
    effective: &EffectivePolicy,
) -> Result<TerminationEvent, String> {
    let hr_effective = row.terminated.clone().unwrap_or(HrEffectiveTime::Immediate);
    let (upn, mail) = match &row.email {
        Some(m) => (Some(m.clone()), Some(m.clone())),
        None => (None, None),
    };
    let employee = EmployeeIdentifiers::new(row.employee_id.clone(), upn, mail, None)
        .map_err(|e| e.to_string())?;
    let facts = TerminationFacts {
        source: Source::Reconcile,
        source_event_id: format!(
            "{source}:{}:{}",
            person_key(row),
            hr_effective.as_sent().unwrap_or("now")
        ),
        source_subject_id: row.employee_id.clone(),
        employee,
        kind: row.kind,
        hr_effective,
        reason: Some(format!(
            "HR's {source} population reports this termination; offboard never received it"
        )),
    };
    TerminationEvent::new(
        facts,
        &Verified::by_population_scan(snapshot.clone(), read_at),
        effective,
    )
    .map_err(|e| e.to_string())
}
