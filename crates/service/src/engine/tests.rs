//! The engine against the embedded backend with scripted steps: ordering, idempotency,
//! throttling, failure, remediation and re-sealing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use offboard_core::case::{Case, CaseStatus};
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::evidence::Outcome;
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::messages::{self, StepMessage};
use offboard_core::plan::{self, Facts, PersonRef, StepKind, StepStatus};
use offboard_core::policy::Policy;
use offboard_core::ports::{
    CaseStore, MessageQueue, Remediation, RemediationStatus, RemediationStore, StoreError,
};
use offboard_core::signature::Verified;
use offboard_embedded::{Embedded, FileEvidenceStore};

use super::*;
use crate::clock::ManualClock;
use crate::steps::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};

mod holds;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

struct FixedDirectory(Facts);

/// The embedded remediation store, counting lookups by id.
struct CountedRemediations {
    db: Arc<Embedded>,
    lookups: Arc<AtomicUsize>,
}

#[async_trait]
impl RemediationStore for CountedRemediations {
    async fn put(&self, item: &Remediation) -> Result<(), StoreError> {
        self.db.put(item).await
    }
    async fn get(&self, id: &str) -> Result<Option<Remediation>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        RemediationStore::get(&*self.db, id).await
    }
    async fn list(
        &self,
        status: Option<RemediationStatus>,
    ) -> Result<Vec<Remediation>, StoreError> {
        RemediationStore::list(&*self.db, status).await
    }
}

#[async_trait]
impl Directory for FixedDirectory {
    async fn resolve(&self, who: &EmployeeIdentifiers) -> Result<Resolution, StepFailure> {
        Ok(match who.employee_id.as_deref() {
            Some("missing") => Resolution::NotFound {
                tried: vec!["employeeId=missing".into()],
            },
            _ => Resolution::Found {
                user_id: self.0.user.id.clone(),
                by: "employeeId".into(),
            },
        })
    }
    async fn facts(&self, _: &str, _: &str) -> Result<Facts, StepFailure> {
        Ok(self.0.clone())
    }
    async fn enabled_accounts(&self) -> Result<u64, StepFailure> {
        Ok(1_000)
    }
}

/// A step whose behaviour the test scripts: a queue of results, then success.
struct Scripted {
    kind: StepKind,
    script: Mutex<Vec<Result<Outcome, StepFailure>>>,
    runs: Arc<Mutex<HashMap<StepKind, u32>>>,
}

#[async_trait]
impl StepAction for Scripted {
    fn kind(&self) -> StepKind {
        self.kind
    }
    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        *self.runs.lock().unwrap().entry(self.kind).or_default() += 1;
        let next = {
            let mut s = self.script.lock().unwrap();
            if s.is_empty() {
                Ok(Outcome::Verified)
            } else {
                s.remove(0)
            }
        };
        let outcome = next?;
        Ok(StepReport::from_actions(vec![ActionEvidence {
            target_system: crate::attempt::TargetSystem::Entra,
            action: format!("{} action", self.kind),
            target_ids: vec![ctx.facts.user.id.clone()],
            request: None,
            response_status: Some(204),
            service_request_id: Some("req-1".into()),
            read_back: None,
            outcome,
            reason: (outcome != Outcome::Verified).then(|| "scripted".to_owned()),
            details: None,
            started_at: ctx.now,
            ended_at: ctx.now,
        }]))
    }
}

pub(super) struct Harness {
    pub(super) engine: Engine,
    pub(super) db: Arc<Embedded>,
    /// Lookups of remediation items by id (the engine's remediation store counts them).
    pub(super) remediation_lookups: Arc<AtomicUsize>,
    pub(super) runs: Arc<Mutex<HashMap<StepKind, u32>>>,
    pub(super) clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

pub(super) fn facts() -> Facts {
    Facts {
        user: PersonRef {
            id: "u-ada".into(),
            user_principal_name: Some("ada@contoso.com".into()),
            display_name: Some("Ada".into()),
            mail: None,
        },
        resolved_by: "employeeId".into(),
        synced: false,
        employee_id: None,
        on_premises_sam_account_name: None,
        account_enabled: true,
        licences: vec![plan::LicenceFact {
            sku_id: "e3".into(),
            sku_part_number: None,
            direct: true,
            via_groups: vec![],
            disabled_plans: vec![],
        }],
        groups: vec![],
        directory_roles: vec![],
        app_roles: vec![],
        oauth_grants: vec![],
        pim_eligibilities: Vec::new(),
        owned_objects: Vec::new(),
        auth_methods: vec![],
        devices: vec![],
        mailbox: Some(plan::MailboxFact {
            recipient_type: "UserMailbox".into(),
            hidden: false,
            delegates: None,
        }),
        drive: None,
        sharing: None,
        manager: None,
    }
}

pub(super) async fn harness(
    scripts: Vec<(StepKind, Vec<Result<Outcome, StepFailure>>)>,
    facts: Facts,
) -> Harness {
    harness_full(scripts, facts, Vec::new(), Policy::builtin()).await
}

/// A harness whose registry holds `steps` instead of the scripted step of their kind.
pub(super) async fn harness_with(
    scripts: Vec<(StepKind, Vec<Result<Outcome, StepFailure>>)>,
    facts: Facts,
    steps: Vec<Arc<dyn StepAction>>,
) -> Harness {
    harness_full(scripts, facts, steps, Policy::builtin()).await
}

/// A harness under `policy`.
async fn harness_under(
    scripts: Vec<(StepKind, Vec<Result<Outcome, StepFailure>>)>,
    facts: Facts,
    policy: Policy,
) -> Harness {
    harness_full(scripts, facts, Vec::new(), policy).await
}

async fn harness_full(
    scripts: Vec<(StepKind, Vec<Result<Outcome, StepFailure>>)>,
    facts: Facts,
    steps: Vec<Arc<dyn StepAction>>,
    policy: Policy,
) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Embedded::open(&dir.path().join("db")).unwrap());
    for q in StepKind::ALL
        .iter()
        .map(|k| k.queue())
        .chain(["plan".into(), "notify".into()])
    {
        db.ensure_queue(&q).await.unwrap();
    }
    let clock = Arc::new(ManualClock::new(t("2026-11-26T10:00:00Z")));
    let evidence = Evidence::new(
        Arc::new(FileEvidenceStore::open(&dir.path().join("evidence")).unwrap()),
        db.clone(),
        "test",
        clock.clone(),
    );
    let runs = Arc::new(Mutex::new(HashMap::new()));
    let remediation_lookups = Arc::new(AtomicUsize::new(0));
    let mut registry = StepRegistry::new();
    let mut scripted: HashMap<StepKind, Vec<_>> = scripts.into_iter().collect();
    for k in StepKind::ALL
        .into_iter()
        .filter(|k| *k != StepKind::Seal && !k.is_on_prem())
    {
        registry = registry.with(Arc::new(Scripted {
            kind: k,
            script: Mutex::new(scripted.remove(&k).unwrap_or_default()),
            runs: runs.clone(),
        }));
    }
    for step in steps {
        registry = registry.with(step);
    }
    let engine = Engine::new(
        db.clone(),
        db.clone(),
        evidence,
        clock.clone(),
        Arc::new(policy),
        Arc::new(FixedDirectory(facts)),
        Arc::new(registry),
        Arc::new(QueueNotifier::new(db.clone())),
        Arc::new(CountedRemediations {
            db: db.clone(),
            lookups: remediation_lookups.clone(),
        }),
    );
    Harness {
        engine,
        db,
        remediation_lookups,
        runs,
        clock,
        _dir: dir,
    }
}

impl Harness {
    pub(super) async fn open_case(&self, employee_id: &str) -> Case {
        self.open_case_effective(employee_id, HrEffectiveTime::Immediate)
            .await
    }

    async fn open_case_effective(&self, employee_id: &str, hr_effective: HrEffectiveTime) -> Case {
        self.open_case_from(
            employee_id,
            hr_effective,
            Source::Generic,
            TerminationKind::Involuntary,
        )
        .await
    }

    async fn open_case_from(
        &self,
        employee_id: &str,
        hr_effective: HrEffectiveTime,
        source: Source,
        kind: TerminationKind,
    ) -> Case {
        let facts = TerminationFacts {
            source,
            source_event_id: format!("e-{employee_id}"),
            source_subject_id: None,
            employee: EmployeeIdentifiers::new(Some(employee_id.into()), None, None, None).unwrap(),
            kind,
            hr_effective,
            reason: None,
        };
        let now = self.clock.now();
        let ev = TerminationEvent::new(
            facts,
            &Verified::by_function_key(b"{}", now),
            &EffectivePolicy::default(),
        )
        .unwrap();
        let case = Case::open(ev, now);
        CaseStore::create(&*self.db, &case).await.unwrap();
        self.engine.evidence.record_trigger(&case).await.unwrap();
        case
    }

    /// Delivers every visible message until the queues are quiet; returns how many.
    pub(super) async fn drain(&self) -> usize {
        let mut n = 0;
        loop {
            let mut any = false;
            for kind in StepKind::ALL {
                for m in self
                    .db
                    .receive(&kind.queue(), 32, Duration::from_secs(60))
                    .await
                    .unwrap()
                {
                    let msg: StepMessage = messages::decode(
                        "step",
                        &String::from_utf8(base64_decode(&m.text)).unwrap(),
                    )
                    .unwrap();
                    self.engine.run_step(&msg).await.unwrap();
                    self.db
                        .delete(&kind.queue(), &m.id, &m.pop_receipt)
                        .await
                        .unwrap();
                    any = true;
                    n += 1;
                }
            }
            if !any {
                return n;
            }
        }
    }

    pub(super) async fn case(&self, c: &Case) -> Case {
        CaseStore::get(&*self.db, &c.id)
            .await
            .unwrap()
            .unwrap()
            .value
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[tokio::test]
async fn a_case_runs_every_step_once_in_order_and_is_sealed() {
    let h = harness(vec![], facts()).await;
    let case = h.open_case("1042").await;
    h.engine.plan(&case.id).await.unwrap();
    // Only block-sign-in is ready first.
    assert_eq!(h.db.approximate_len("step-block-sign-in").await.unwrap(), 1);
    assert_eq!(
        h.db.approximate_len("step-revoke-sessions").await.unwrap(),
        0
    );
    h.drain().await;
    let done = h.case(&case).await;
    assert_eq!(done.status, CaseStatus::Completed);
    let runs = h.runs.lock().unwrap().clone();
    for k in [
        StepKind::BlockSignIn,
        StepKind::RevokeSessions,
        StepKind::ConvertMailbox,
        StepKind::RemoveLicences,
    ] {
        assert_eq!(
            runs.get(&k),
            Some(&1),
            "{k} should run exactly once: {runs:?}"
        );
    }
    assert!(h.engine.evidence.is_sealed(&done).await.unwrap());
    let report = h
        .engine
        .evidence
        .verify_stored_case(
            &offboard_core::evidence::period_of(done.event.effective_at()),
            &done.id,
        )
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.findings);
    // No step failed or waited: none looked for a remediation item to resolve.
    assert_eq!(h.remediation_lookups.load(Ordering::SeqCst), 0);
    assert!(
        done.plan
            .as_ref()
            .unwrap()
            .steps
            .iter()
            .all(|s| s.remediation_item == Some(false))
    );
    // Replaying any step message now changes nothing.
    let before = h.runs.lock().unwrap().clone();
    h.engine
        .run_step(&StepMessage {
            case_id: case.id.clone(),
            step: StepKind::BlockSignIn,
            attempt: 0,
        })
        .await
        .unwrap();
    assert_eq!(*h.runs.lock().unwrap(), before);
}

#[tokio::test]
async fn a_seal_message_redelivered_after_a_crash_before_the_ledger_completes_the_ledger() {
    let mut h = harness(vec![], facts()).await;
    let case = h.open_case("1042").await;
    h.engine.plan(&case.id).await.unwrap();
    h.drain().await;
    let done = h.case(&case).await;
    assert_eq!(done.status, CaseStatus::Completed);
    assert_eq!(h.engine.evidence.ledger_len().await.unwrap(), 1);
    // A worker killed after writing the seal but before appending its ledger entry: the
    // seal is there, the entry is not, and the redelivery reaches a new worker.
    std::fs::remove_file(h._dir.path().join("evidence/ledger/000000000000.json")).unwrap();
    h.engine.evidence = h.engine.evidence.as_new_instance();
    assert_eq!(h.engine.evidence.ledger_len().await.unwrap(), 0);
    assert!(h.engine.evidence.is_sealed(&done).await.unwrap());

    // The redelivered seal message finishes the work instead of trusting the seal alone.
    h.engine.seal(&case.id).await.unwrap();
    assert_eq!(h.engine.evidence.ledger_len().await.unwrap(), 1);
    let period = offboard_core::evidence::period_of(done.event.effective_at());
    let report = h
        .engine
        .evidence
        .verify_period(&period, &period)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.findings);
    // And a second redelivery appends nothing more.
    h.engine.seal(&case.id).await.unwrap();
    assert_eq!(h.engine.evidence.ledger_len().await.unwrap(), 1);
}

#[tokio::test]
async fn throttling_defers_without_spending_attempts_and_permanent_failure_is_remediated() {
    let h = harness(
        vec![
            (
                StepKind::RevokeSessions,
                vec![Err(StepFailure::Throttled {
                    retry_after: Duration::from_millis(10),
                    detail: "429".into(),
                })],
            ),
            (
                StepKind::RemoveLicences,
                vec![Err(StepFailure::Permanent {
                    detail: "403 Authorization_RequestDenied (request-id r-9)".into(),
                    action: None,
                })],
            ),
        ],
        facts(),
    )
    .await;
    let case = h.open_case("7").await;
    h.engine.plan(&case.id).await.unwrap();
    h.drain().await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    h.drain().await;
    let c = h.case(&case).await;
    assert_eq!(c.status, CaseStatus::CompletedWithExceptions);
    let p = c.plan.as_ref().unwrap();
    assert_eq!(
        p.step(StepKind::RevokeSessions).unwrap().status,
        StepStatus::Verified
    );
    assert_eq!(
        p.step(StepKind::RemoveLicences).unwrap().status,
        StepStatus::Failed
    );
    let items = RemediationStore::list(&*h.db, Some(RemediationStatus::Open))
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0].reason.contains("r-9"));
    assert_eq!(
        p.step(StepKind::RemoveLicences).unwrap().remediation_item,
        Some(true),
        "the failed step may have an item now"
    );
    assert!(
        h.db.approximate_len("notify").await.unwrap() >= 2,
        "step failure and case exceptions are notified"
    );

    // Fixed by a person: retry reopens, runs, completes, and seals a second generation.
    let operator = offboard_core::actor::HumanActor {
        object_id: "0b0e0e0e-0000-4000-8000-000000000001".into(),
        user_principal_name: Some("otto.operator@contoso.example".into()),
        app_id: None,
        kind: offboard_core::actor::ActorKind::Person,
        signed_in_with: offboard_core::actor::SignedInWith::Session,
        roles: vec!["Offboard.Operator".into()],
    };
    h.engine
        .retry_step(&case.id, StepKind::RemoveLicences, &operator)
        .await
        .unwrap();
    let period = offboard_core::evidence::period_of(case.event.effective_at());
    let packet = h.engine.evidence.packet(&period, &case.id).await.unwrap();
    let retry = packet
        .records
        .iter()
        .find(|r| r.body.step == "human-action")
        .expect("the retry is in the evidence");
    assert_eq!(
        retry.body.actor,
        "otto.operator@contoso.example (0b0e0e0e-0000-4000-8000-000000000001)"
    );
    let by = &retry.body.details.as_ref().unwrap()["by"];
    assert_eq!(by["objectId"], "0b0e0e0e-0000-4000-8000-000000000001");
    assert_eq!(by["userPrincipalName"], "otto.operator@contoso.example");
    assert_eq!(retry.body.action, "retry remove-licences");
    assert_eq!(h.case(&case).await.status, CaseStatus::Running);
    h.drain().await;
    let c = h.case(&case).await;
    assert_eq!(c.status, CaseStatus::Completed);
    assert_eq!(
        RemediationStore::list(&*h.db, Some(RemediationStatus::Resolved))
            .await
            .unwrap()
            .len(),
        1
    );
    let period = offboard_core::evidence::period_of(c.event.effective_at());
    let report = h
        .engine
        .evidence
        .verify_period(&period, &period)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.findings);
}

#[tokio::test]
async fn a_duplicated_message_for_a_running_step_waits_for_the_lease() {
    let h = harness(vec![], facts()).await;
    let case = h.open_case("9").await;
    h.engine.plan(&case.id).await.unwrap();
    let msg = StepMessage {
        case_id: case.id.clone(),
        step: StepKind::BlockSignIn,
        attempt: 0,
    };
    // Someone else holds the step.
    let claimed = matches!(h.engine.claim(&msg).await.unwrap(), Claim::Claimed { .. });
    assert!(claimed);
    match h.engine.run_step(&msg).await.unwrap() {
        Handled::Deferred(why) => assert!(why.contains("another invocation"), "{why}"),
        other => panic!("expected a deferral, got {other:?}"),
    }
    assert_eq!(h.runs.lock().unwrap().get(&StepKind::BlockSignIn), None);
    // Once the lease expires (the holder crashed), the next delivery runs it.
    h.clock
        .set(h.clock.now() + STEP_LEASE + chrono::Duration::seconds(1));
    h.engine.run_step(&msg).await.unwrap();
    assert_eq!(h.runs.lock().unwrap().get(&StepKind::BlockSignIn), Some(&1));
}

#[tokio::test]
async fn an_unresolvable_leaver_stops_the_case_with_an_exception() {
    let h = harness(vec![], facts()).await;
    let case = h.open_case("missing").await;
    h.engine.plan(&case.id).await.unwrap();
    let c = h.case(&case).await;
    assert_eq!(c.status, CaseStatus::CompletedWithExceptions);
    assert!(
        c.planning_exception
            .as_deref()
            .unwrap()
            .contains("no account")
    );
    assert!(c.plan.is_none());
    assert!(h.engine.evidence.is_sealed(&c).await.unwrap());
    assert_eq!(h.db.approximate_len("notify").await.unwrap(), 1);
    assert_eq!(h.drain().await, 0, "nothing was enqueued: no guess");
}

#[tokio::test]
async fn on_prem_steps_wait_for_the_agent_and_the_case_does_not_complete() {
    let mut f = facts();
    f.synced = true;
    f.on_premises_sam_account_name = Some("ada".into());
    let h = harness(vec![], f).await;
    let case = h.open_case("11").await;
    h.engine.plan(&case.id).await.unwrap();
    h.drain().await;
    let c = h.case(&case).await;
    assert_eq!(c.status, CaseStatus::Running);
    let p = c.plan.unwrap();
    assert_eq!(
        p.step(StepKind::AdDisable).unwrap().status,
        StepStatus::Waiting
    );
    assert!(
        p.step(StepKind::AdDisable)
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .contains("on-prem agent")
    );
    assert_eq!(
        p.step(StepKind::RevokeSessions).unwrap().status,
        StepStatus::Verified,
        "cloud sessions are revoked at once"
    );
    assert_eq!(p.step(StepKind::Seal).unwrap().status, StepStatus::Pending);

    // The wait has a remediation item that says what to configure...
    let open = RemediationStore::list(&*h.db, Some(RemediationStatus::Open))
        .await
        .unwrap();
    let waiting: Vec<_> = open.iter().filter(|i| i.case_id == case.id).collect();
    // The other AD steps wait behind ad-disable (pending, not yet at the agent).
    assert_eq!(waiting.len(), 1, "{open:?}");
    let item = waiting
        .iter()
        .find(|i| i.step == StepKind::AdDisable)
        .expect("an item for ad-disable");
    for setting in [
        "OFFBOARD_RELAY_NAMESPACE",
        "OFFBOARD_AGENT_SIGNING_KEY",
        "/retry",
    ] {
        assert!(item.reason.contains(setting), "{setting}: {}", item.reason);
    }
    // ...opened once however often the step is redelivered...
    h.engine
        .enqueue_step(
            &StepMessage {
                case_id: case.id.clone(),
                step: StepKind::AdDisable,
                attempt: 0,
            },
            Duration::ZERO,
        )
        .await
        .unwrap();
    h.drain().await;
    let again = RemediationStore::list(&*h.db, Some(RemediationStatus::Open))
        .await
        .unwrap();
    assert_eq!(again.len(), open.len());
    // ...and closed when the step moves (the agent, once configured, disabled the account).
    let msg = StepMessage {
        case_id: case.id.clone(),
        step: StepKind::AdDisable,
        attempt: 0,
    };
    let now = h.clock.now();
    h.engine
        .conclude(
            &msg,
            StepReport::from_actions(vec![ActionEvidence {
                target_system: crate::attempt::TargetSystem::Ad,
                action: "disable".into(),
                target_ids: vec!["ada".into()],
                request: None,
                response_status: None,
                service_request_id: None,
                read_back: None,
                outcome: Outcome::Verified,
                reason: None,
                details: None,
                started_at: now,
                ended_at: now,
            }]),
        )
        .await
        .unwrap();
    let resolved = RemediationStore::list(&*h.db, Some(RemediationStatus::Resolved))
        .await
        .unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].step, StepKind::AdDisable);
}

#[tokio::test]
async fn a_termination_that_arrives_after_its_sla_ran_out_is_alerted_and_recorded() {
    let h = harness(vec![], facts()).await;
    // Involuntary: 60 minutes. HR sends it three hours after the effective time.
    let effective = h.clock.now() - chrono::Duration::hours(3);
    let case = h
        .open_case_effective(
            "13",
            HrEffectiveTime::Instant {
                as_sent: effective.to_rfc3339(),
                at: effective.fixed_offset(),
            },
        )
        .await;
    h.engine.plan(&case.id).await.unwrap();
    h.drain().await;
    let c = h.case(&case).await;
    assert_eq!(c.status, CaseStatus::Completed, "sign-in was cut at once");
    assert!(
        c.sla_breached_at.is_some(),
        "the breach is flagged on the case"
    );

    // Evidence: one SLA record that separates HR's delay from offboard's time.
    let period = offboard_core::evidence::period_of(c.event.effective_at());
    let packet = h.engine.evidence.packet(&period, &c.id).await.unwrap();
    let sla: Vec<_> = packet
        .records
        .iter()
        .filter(|r| r.body.step == offboard_core::evidence::SLA_STEP)
        .collect();
    assert_eq!(sla.len(), 1, "flagged once");
    let reason = sla[0].body.reason.as_deref().unwrap();
    assert!(
        reason.contains("3 h 0 min after its effective time"),
        "{reason}"
    );
    assert!(reason.contains("HR's delay"), "{reason}");
    let d = sla[0].body.details.as_ref().unwrap();
    assert_eq!(d["arrivedAfterDeadline"], true);
    assert_eq!(d["hrDelaySeconds"], 10_800.0);

    // Alerted: the SLA notice is on the notify queue.
    let notices =
        h.db.receive("notify", 32, Duration::from_secs(60))
            .await
            .unwrap();
    let texts: Vec<String> = notices
        .iter()
        .map(|m| String::from_utf8(base64_decode(&m.text)).unwrap())
        .collect();
    assert!(texts.iter().any(|t| t.contains("HR's delay")), "{texts:?}");

    // The index (and so the report) says breached, with HR's delay and offboard's own time.
    let entry = h
        .engine
        .evidence
        .index()
        .get(&period, &c.id)
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(entry.sla_state(), "breached");
    assert_eq!(entry.hr_delay(), chrono::Duration::hours(3));
    assert_eq!(
        entry.own_time_to_sign_in_cut(),
        Some(chrono::Duration::zero())
    );
    let leaver = entry.leaver.expect("the resolved leaver");
    assert_eq!(leaver.object_id, "u-ada");
    assert_eq!(
        leaver.user_principal_name.as_deref(),
        Some("ada@contoso.com")
    );
}

#[tokio::test]
async fn a_termination_that_arrives_in_time_is_not_flagged() {
    let h = harness(vec![], facts()).await;
    let case = h.open_case("14").await;
    h.engine.plan(&case.id).await.unwrap();
    h.drain().await;
    let c = h.case(&case).await;
    assert_eq!(c.status, CaseStatus::Completed);
    assert!(c.sla_breached_at.is_none());
}

#[tokio::test]
async fn a_notification_no_sink_took_is_swept_from_its_poison_queue() {
    let h = harness(vec![], facts()).await;
    let case = h.open_case("12").await;
    h.db.ensure_queue("notify-poison").await.unwrap();
    let lost = offboard_core::notify::Notification {
        recipients: Vec::new(),
        kind: NotificationKind::SlaBreached,
        case_id: case.id.clone(),
        leaver: "Ada".into(),
        what: "sign-in was not cut within 60 minutes".into(),
        action: "check the case".into(),
        at: h.clock.now(),
        key: "sla".into(),
    };
    h.db.send(
        "notify-poison",
        &serde_json::to_string(&lost).unwrap(),
        std::time::Duration::ZERO,
    )
    .await
    .unwrap();
    assert_eq!(h.engine.sweep_poison().await.unwrap(), 1);
    let left =
        h.db.receive("notify-poison", 32, std::time::Duration::from_secs(1))
            .await
            .unwrap();
    assert!(
        left.is_empty(),
        "the lost notification is logged and removed"
    );
}
