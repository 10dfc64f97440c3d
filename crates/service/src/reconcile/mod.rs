//! The ghost-access scan (`reconcile` timer, `POST /api/scans`, `offboard scan`): read HR's
//! population from every configured source, the directory in pages and offboard's cases;
//! judge (`offboard_core::reconcile::reconcile`); keep the findings; open cases for missed
//! terminations; notify what is new; and seal the scan into the ledger as evidence.
//!
//! A source that fails is itself a finding and a notification naming the setting; while any
//! source is missing, the population-based judgements (orphans, missed terminations, sign-ins
//! after the cut) are neither raised nor resolved, so nobody is called an orphan because their
//! row did not load.

mod agent;
mod cases;
mod directory;
mod drift;
mod findings;
mod mailbox_rights;
mod paged;
mod sources;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use offboard_core::case::Case;
use offboard_core::effective::EffectivePolicy;
use offboard_core::evidence::{Outcome, RecordBody, period_of};
use offboard_core::ids::CaseId;
use offboard_core::plan::StepKind;
use offboard_core::policy::Policy;
use offboard_core::ports::{CaseStore, StoreError};
use offboard_core::reconcile::drift::{incomplete_id, what_returned};
use offboard_core::reconcile::population::PopulationIndex;
use offboard_core::reconcile::{
    Finding, FindingKind, FindingStore, Leaver, Observation, PopulationRow, PopulationScan,
    SCAN_STEP, ScanInput, ScanRecord, SealedScan, Snapshot, SourceSummary, person_key, remedy,
};
use offboard_graph::{ExchangeClient, GraphClient, GraphError};

use crate::clock::Clock;
use crate::engine::Engine;
use crate::evidence::{Evidence, EvidenceFailure};
use crate::intake::Intake;
use crate::notifier::Notifier;
use crate::onprem::OnPremAgent;
use crate::rights_index::RightsIndexService;
use crate::settings::{OFFBOARD_RELAY_NAMESPACE, PopulationSettings};

pub use sources::SourceFailure;

/// Why a scan could not run (a failing HR source is not one of these: it is a finding).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The directory could not be read.
    #[error("could not read the directory: {0}")]
    Directory(#[from] offboard_graph::GraphError),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The scan's evidence could not be written.
    #[error(transparent)]
    Evidence(#[from] EvidenceFailure),
}

impl ScanError {
    /// Whether running the scan again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Directory(e) => {
                matches!(e, GraphError::Transient(_) | GraphError::Throttled { .. })
            }
            Self::Store(e) => e.is_transient(),
            Self::Evidence(e) => e.is_transient(),
        }
    }
}

/// What started a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The daily timer: completed cases are re-checked at the policy's drift days.
    Timer,
    /// `POST /api/scans` or `offboard scan`: every completed case is re-checked at once.
    OnDemand(&'static str),
}

impl Trigger {
    fn name(self) -> &'static str {
        match self {
            Self::Timer => "timer",
            Self::OnDemand(by) => by,
        }
    }
}

/// What a scan did.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    /// The scan's evidence record.
    pub record: ScanRecord,
    /// Every finding the scan saw, as stored (or as it would be, in a dry run).
    pub findings: Vec<Finding>,
    /// Findings this scan resolved.
    pub resolved: Vec<Finding>,
    /// The ledger position of the scan's seal (none for a dry run).
    pub ledger_seq: Option<u64>,
}

/// The ghost-access scan over the stores, the directory and HR's sources.
#[derive(Clone)]
pub struct Reconciler {
    cases: Arc<dyn CaseStore>,
    findings: Arc<dyn FindingStore>,
    evidence: Evidence,
    intake: Intake,
    graph: GraphClient,
    notifier: Arc<dyn Notifier>,
    population: PopulationSettings,
    policy: Arc<Policy>,
    effective: EffectivePolicy,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    engine: Option<Engine>,
    agent: Option<OnPremAgent>,
    exchange: Option<ExchangeClient>,
    rights: Option<RightsIndexService>,
}

impl Reconciler {
    /// A scan over these parts.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cases: Arc<dyn CaseStore>,
        findings: Arc<dyn FindingStore>,
        evidence: Evidence,
        intake: Intake,
        graph: GraphClient,
        notifier: Arc<dyn Notifier>,
        population: PopulationSettings,
        policy: Arc<Policy>,
        effective: EffectivePolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            cases,
            findings,
            evidence,
            intake,
            graph,
            notifier,
            population,
            policy,
            effective,
            clock,
            http: sources::http_client(),
            engine: None,
            agent: None,
            exchange: None,
            rights: None,
        }
    }

    /// Exchange Online: the drift re-check reads a converted mailbox's type through it.
    /// Without it the mailbox type is not re-read.
    pub fn with_exchange(mut self, exchange: ExchangeClient) -> Self {
        self.exchange = Some(exchange);
        self
    }

    /// The rights index: with Exchange, the drift re-check reads the leaver's rights on other
    /// mailboxes (what `remove-mailbox-rights-elsewhere` removed) through it. Without it
    /// those rights are not re-read.
    pub fn with_rights_index(mut self, rights: RightsIndexService) -> Self {
        self.rights = Some(rights);
        self
    }

    /// The on-prem agent: the scan lists the enabled accounts in its managed OUs (judged for
    /// orphans like Entra ID's) and re-reads synced leavers' AD accounts (drift). Without it AD
    /// is seen only through Entra ID's synced accounts.
    pub fn with_agent(mut self, agent: OnPremAgent) -> Self {
        self.agent = Some(agent);
        self
    }

    /// The engine that re-runs the steps whose removal came back (policy `auto_remediate`);
    /// without it, access that returned is only reported.
    pub fn with_engine(mut self, engine: Engine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// The findings store.
    pub fn findings(&self) -> &Arc<dyn FindingStore> {
        &self.findings
    }

    /// Runs one scan. A dry run reads everything and judges, but stores, opens, notifies and
    /// seals nothing.
    pub async fn scan(&self, trigger: Trigger, dry_run: bool) -> Result<ScanOutcome, ScanError> {
        let started_at = self.clock.now();
        let scan_id = format!(
            "scan-{}-{}",
            started_at.format("%Y%m%dT%H%M%S%.3fZ"),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let rp = &self.policy.reconcile;
        let wants_entra = self.population.sources.iter().any(|s| s.name() == "entra");
        let mut dir = directory::read(&self.graph, wants_entra, &rp.exclude_groups).await?;
        let mut graph_requests = dir.requests;
        let mut observations: Vec<Observation> = Vec::new();
        // AD's own accounts under the agent's managed OUs: a failure is a finding, and until
        // the agent answers no AD account is judged (or cleared) as an orphan.
        let ad_listed = match &self.agent {
            None => None,
            Some(a) => match agent::enabled_accounts(a, &scan_id).await {
                Ok(accounts) => {
                    dir.accounts.extend(accounts);
                    Some(true)
                }
                Err(e) => {
                    tracing::error!("the AD accounts could not be listed through the agent: {e}");
                    observations.push(Observation {
                        id: "source_failed:ad".into(),
                        kind: FindingKind::SourceFailed,
                        subject: "AD through the on-prem agent".into(),
                        object_id: None,
                        case_id: None,
                        what: format!("the enabled accounts in the agent's managed OUs could not be listed: {e}"),
                        since: Some(started_at),
                        action: format!(
                            "check that the agent runs (a version that lists accounts) and that {OFFBOARD_RELAY_NAMESPACE} reaches it, then run the scan again; until then no AD account is judged an orphan"
                        ),
                    });
                    Some(false)
                }
            },
        };

        // HR's population, source by source: a failure is a finding, never half a source.
        let mut summaries = Vec::new();
        let mut snapshots: Vec<Snapshot> = Vec::new();
        for source in &self.population.sources {
            match sources::read(&self.http, source, rp, &dir.accounts).await {
                Ok(snapshot) => {
                    summaries.push(SourceSummary {
                        source: source.name().into(),
                        setting: source.setting().into(),
                        sha256: Some(snapshot.sha256.clone()),
                        rows: snapshot.rows.len() as u64,
                        error: None,
                    });
                    snapshots.push(snapshot);
                }
                Err(e) => {
                    tracing::error!(
                        source = source.name(),
                        setting = e.setting,
                        "population source failed: {}",
                        e.detail
                    );
                    summaries.push(SourceSummary {
                        source: source.name().into(),
                        setting: e.setting.into(),
                        sha256: None,
                        rows: 0,
                        error: Some(e.to_string()),
                    });
                    observations.push(Observation {
                        id: format!("source_failed:{}", source.name()),
                        kind: FindingKind::SourceFailed,
                        subject: format!("population source `{}`", source.name()),
                        object_id: None,
                        case_id: None,
                        what: e.to_string(),
                        since: Some(started_at),
                        action: format!(
                            "fix {} and run the scan again; until then no account is judged an orphan or a missed termination",
                            e.setting
                        ),
                    });
                }
            }
        }
        let population_complete =
            !self.population.sources.is_empty() && summaries.iter().all(|s| s.error.is_none());

        // Sign-in activity, only for suspects: accounts of leavers HR reports, and of cases.
        let all_cases = cases::all(&*self.cases).await?;
        let views: Vec<_> = all_cases
            .iter()
            .map(|c| cases::view(c, &self.policy))
            .collect();
        if population_complete {
            let population = PopulationIndex::new(&snapshots);
            let mut suspects = BTreeSet::new();
            for a in dir.accounts.iter().filter(|a| a.directory == "entra") {
                if population
                    .find(
                        a.employee_id.as_deref(),
                        &[a.upn.as_deref(), a.mail.as_deref()],
                    )
                    .and_then(|r| r.leave_at(&self.effective))
                    .is_some_and(|t| t <= started_at)
                {
                    suspects.insert(a.object_id.clone());
                }
            }
            suspects.extend(views.iter().filter_map(|v| v.object_id.clone()));
            graph_requests +=
                directory::sign_ins(&self.graph, &mut dir.accounts, &suspects).await?;
        }

        observations.extend(offboard_core::reconcile::reconcile(&ScanInput {
            snapshots: &snapshots,
            population_complete,
            accounts: &dir.accounts,
            cases: &views,
            policy: rp,
            effective: &self.effective,
            now: started_at,
        }));

        // What the verified removals of completed cases established, re-read for the cases
        // due a drift check. A restored case put access back on purpose: it is not re-checked.
        let due: Vec<&Case> = all_cases
            .iter()
            .filter(|c| {
                c.status == offboard_core::case::CaseStatus::Completed && c.restored.is_none()
            })
            .filter(|c| match trigger {
                Trigger::OnDemand(_) => true,
                Trigger::Timer => drift_due(c, &rp.drift_days, started_at),
            })
            .collect();
        let drift = drift::recheck(
            &self.graph,
            drift::Sources {
                exchange: self.exchange.as_ref(),
                rights: self.rights.as_ref(),
                agent: self.agent.as_ref(),
                policy: &self.policy,
                max_pages: paged::MAX_PAGES,
            },
            &due,
        )
        .await;
        graph_requests += drift.graph_requests;
        observations.extend(drift.observations);
        let checked = drift.checked;
        observations.sort_by(|a, b| a.id.cmp(&b.id));

        let found = findings::counts(observations.iter().map(|o| o.kind));
        let chain = ScanRecord::chain_id(&scan_id);
        let judged = |f: &Finding| -> bool {
            let o = &f.observation;
            match o.kind {
                FindingKind::SourceFailed => true,
                FindingKind::OrphanedAccount if o.id.starts_with("orphaned_account:ad:") => {
                    population_complete && ad_listed == Some(true)
                }
                k if k.needs_population() => population_complete,
                // The account enabled again is judged on every scan, from the listing; every
                // other regression only where this scan re-read it.
                FindingKind::AccessReturned => match what_returned(&o.id) {
                    Some("account-enabled") | None => true,
                    Some(what) => o
                        .case_id
                        .as_ref()
                        .is_some_and(|c| checked.iter().any(|(id, w)| id == c && *w == what)),
                },
                // A listing read in part stays so until a scan reads it whole.
                FindingKind::RecheckIncomplete => checked
                    .iter()
                    .any(|(case, what)| incomplete_id(case, what) == o.id),
                _ => true,
            }
        };
        let (mut stored, resolved, raised) = if dry_run {
            let seen = observations
                .iter()
                .map(|o| Finding {
                    observation: o.clone(),
                    status: offboard_core::reconcile::FindingStatus::Open,
                    first_scan: scan_id.clone(),
                    first_seen: started_at,
                    last_scan: scan_id.clone(),
                    last_seen: started_at,
                    resolved_at: None,
                    handled: None,
                })
                .collect();
            (seen, Vec::new(), BTreeSet::new())
        } else {
            let applied =
                findings::apply(&*self.findings, &scan_id, started_at, observations, judged)
                    .await?;
            (applied.seen, applied.resolved, applied.raised)
        };

        // Missed terminations: open a case from the scan (policy auto_open).
        let mut cases_opened = Vec::new();
        if rp.auto_open && !dry_run {
            let rows = rows_by_person(&snapshots);
            for f in stored.iter_mut().filter(|f| {
                f.observation.kind == FindingKind::MissedTermination && f.handled.is_none()
            }) {
                let key = f.observation.id.trim_start_matches("missed_termination:");
                let Some((snapshot, row)) = rows.get(key) else {
                    continue;
                };
                let opened = match cases::missed_termination(
                    row,
                    &snapshot.source,
                    &snapshot.sha256,
                    started_at,
                    &self.effective,
                ) {
                    Ok(event) => self.intake.open(event).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                f.handled = Some(match opened {
                    Ok(receipt) => {
                        cases_opened.push(receipt.case_id.clone());
                        f.observation.case_id = Some(receipt.case_id.clone());
                        format!(
                            "case {} opened by the scan ({})",
                            receipt.case_id,
                            receipt.status.as_str()
                        )
                    }
                    Err(e) => format!("could not open a case: {e}"),
                });
                self.findings.put(f).await?;
            }
        }

        // Access that came back: re-run just the affected steps on the same case.
        if rp.auto_remediate
            && !dry_run
            && let Some(engine) = &self.engine
        {
            self.remediate(engine, &mut stored).await?;
        }

        if !dry_run {
            for f in stored.iter().filter(|f| raised.contains(f.id())) {
                if let Err(e) = self
                    .notifier
                    .notify(&findings::notification(f, &chain))
                    .await
                {
                    tracing::warn!(
                        finding = f.id(),
                        "could not queue the finding's notification: {e}"
                    );
                }
            }
        }

        let ended_at = self.clock.now();
        let record = ScanRecord {
            scan_id: scan_id.clone(),
            trigger: trigger.name().into(),
            dry_run,
            parameters: json!({
                "autoOpen": rp.auto_open,
                "autoRemediate": rp.auto_remediate,
                "driftDays": rp.drift_days,
                "excludeGroups": rp.exclude_groups,
                "excludeEmployeeTypes": rp.exclude_employee_types,
                "excludeOus": rp.exclude_ous,
                "sources": self.population.sources.iter().map(|s| s.name()).collect::<Vec<_>>(),
                "populationComplete": population_complete,
                "adAccounts": match ad_listed {
                    None => "no agent configured",
                    Some(true) => "listed through the agent",
                    Some(false) => "the agent could not list them",
                },
                "casesChecked": views.len(),
                "completedCasesRechecked": due.len(),
                "driftReadsFailed": drift.failed,
                "driftListingsTruncated": drift.truncated,
                "driftPageLimit": paged::MAX_PAGES,
            }),
            sources: summaries,
            accounts: dir.accounts.iter().fold(BTreeMap::new(), |mut m, a| {
                *m.entry(a.directory.clone()).or_insert(0) += 1;
                m
            }),
            graph_requests,
            found,
            raised: findings::counts(
                stored
                    .iter()
                    .filter(|f| raised.contains(f.id()))
                    .map(|f| f.observation.kind),
            ),
            resolved: findings::counts(resolved.iter().map(|f| f.observation.kind)),
            cases_opened,
            started_at,
            ended_at,
        };
        // HR's leavers as this scan read them, sealed with it: the termination report's
        // completeness section reads them (only from a scan that read every source).
        let leavers = population_complete
            .then(|| offboard_core::reconcile::leavers(&snapshots, &dir.accounts, &self.effective));
        let ledger_seq = if dry_run {
            None
        } else {
            let seq = self
                .seal(&record, &chain, &stored, leavers.as_deref())
                .await?;
            if let Some(leavers) = &leavers {
                self.findings
                    .put_population_scan(&PopulationScan {
                        scan_id: scan_id.clone(),
                        period: period_of(record.started_at),
                        ledger_seq: seq,
                        ended_at: record.ended_at,
                        sources: record.sources.clone(),
                        leavers: leavers.len() as u64,
                    })
                    .await?;
            }
            Some(seq)
        };
        Ok(ScanOutcome {
            record,
            findings: stored,
            resolved,
            ledger_seq,
        })
    }

    /// For each case with unhandled `access_returned` findings, re-runs the steps that
    /// established what came back (`offboard_core::reconcile::remedy`: `block-sign-in` for an
    /// enabled account, `remove-groups` for a group, `remove-licences` for a licence, ...) and
    /// notes on each finding what was done.
    async fn remediate(&self, engine: &Engine, stored: &mut [Finding]) -> Result<(), ScanError> {
        let mut by_case: BTreeMap<CaseId, BTreeSet<StepKind>> = BTreeMap::new();
        for f in stored
            .iter()
            .filter(|f| f.observation.kind == FindingKind::AccessReturned && f.handled.is_none())
        {
            if let (Some(case), Some(step)) = (&f.observation.case_id, remedy(&f.observation.id)) {
                by_case.entry(case.clone()).or_default().insert(step);
            }
        }
        for (case, steps) in by_case {
            let steps: Vec<StepKind> = steps.into_iter().collect();
            let handled = match engine
                .remediate_drift(
                    &case,
                    &steps,
                    "the ghost-access scan found access that came back",
                )
                .await
            {
                Ok(rerun) if rerun.is_empty() => {
                    format!("case {case} is not sealed with these steps verified; nothing re-run")
                }
                Ok(rerun) => format!(
                    "re-running {} on case {case} (auto_remediate)",
                    rerun
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Err(e) => {
                    tracing::warn!(case = %case, "could not re-run the steps: {e}");
                    format!("could not re-run the steps on case {case}: {e}")
                }
            };
            for f in stored.iter_mut().filter(|f| {
                f.observation.kind == FindingKind::AccessReturned
                    && f.handled.is_none()
                    && f.observation.case_id.as_ref() == Some(&case)
                    && remedy(&f.observation.id).is_some()
            }) {
                f.handled = Some(handled.clone());
                self.findings.put(f).await?;
            }
        }
        Ok(())
    }

    /// Seals the scan's record into the ledger (its own chain, in the month it started), with
    /// the ids of the findings it saw and HR's leavers when every source loaded.
    async fn seal(
        &self,
        record: &ScanRecord,
        chain: &CaseId,
        seen: &[Finding],
        leavers: Option<&[Leaver]>,
    ) -> Result<u64, ScanError> {
        let details = serde_json::to_value(SealedScan {
            record: record.clone(),
            finding_ids: seen.iter().map(|f| f.id().to_owned()).collect(),
            leavers: leavers.map(<[Leaver]>::to_vec),
        })
        .unwrap_or_default();
        let body = RecordBody {
            step: SCAN_STEP.into(),
            target_system: "offboard:reconcile".into(),
            action: "ghost-access scan: HR population reconciled with every account".into(),
            target_ids: vec![record.scan_id.clone()],
            request: None,
            response_status: None,
            service_request_id: None,
            read_back: None,
            started_at: record.started_at,
            ended_at: record.ended_at,
            actor: self.evidence.actor().to_owned(),
            outcome: if record.complete() {
                Outcome::Verified
            } else {
                Outcome::Failed
            },
            reason: (!record.complete()).then(|| {
                "a population source failed; population-based findings were not judged".into()
            }),
            details: Some(details),
        };
        let (_, entry) = self
            .evidence
            .seal_standalone(&period_of(record.started_at), chain, body)
            .await?;
        Ok(entry.seq)
    }
}

/// Whether a completed case is due its drift re-check today: its last step finished d days
/// ago, for a d in the policy's drift days.
fn drift_due(case: &Case, drift_days: &[u32], now: DateTime<Utc>) -> bool {
    let Some(done) = case
        .plan
        .as_ref()
        .and_then(|p| p.step(StepKind::Seal))
        .and_then(|s| s.finished_at)
    else {
        return false;
    };
    drift_days.iter().any(|d| {
        let at = done + Duration::days(i64::from(*d));
        at <= now && now < at + Duration::days(1)
    })
}

/// Each leaver's row and the snapshot it came from, by the key findings use.
fn rows_by_person(snapshots: &[Snapshot]) -> BTreeMap<String, (&Snapshot, &PopulationRow)> {
    let mut out = BTreeMap::new();
    for s in snapshots {
        for r in &s.rows {
            out.entry(person_key(r)).or_insert((s, r));
        }
    }
    out
}
