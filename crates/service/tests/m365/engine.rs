//! The cloud steps and the Graph directory inside the real engine (embedded backend): a
//! termination is planned from the simulator's facts, every step runs from its queue, the
//! case is sealed, and a second delivery of every step message changes nothing.

use std::sync::Arc;
use std::time::Duration;

use offboard_core::case::{Case, CaseStatus};
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::messages::{self, StepMessage};
use offboard_core::plan::{StepKind, StepStatus};
use offboard_core::policy::Policy;
use offboard_core::ports::{CaseStore, MessageQueue};
use offboard_core::signature::Verified;
use offboard_embedded::{Embedded, FileEvidenceStore};
use offboard_service::engine::{Engine, QueueNotifier};
use offboard_service::evidence::Evidence;
use offboard_service::steps::{
    BlockSignIn, StepAction, StepContext, StepFailure, StepRegistry, StepReport, registry,
};
use offboard_service::{Clock, SystemClock};

use offboard_service::rights_index::RightsIndexService;
use offboard_service::steps::with_rights_index;

use crate::helpers::{Env, env, ids, writes};

struct Stack {
    engine: Engine,
    evidence: Evidence,
    db: Arc<Embedded>,
    _dir: tempfile::TempDir,
}

async fn stack(e: &Env) -> Stack {
    stack_with(e, registry(e.tenant.clone())).await
}

async fn stack_with(e: &Env, steps: StepRegistry) -> Stack {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Embedded::open(&dir.path().join("db")).unwrap());
    for q in StepKind::ALL
        .iter()
        .map(|k| k.queue())
        .chain(["plan".into(), "notify".into()])
    {
        db.ensure_queue(&q).await.unwrap();
    }
    db.ensure_queue("rights-index").await.unwrap();
    // remove-mailbox-rights-elsewhere reads the rights index: built once before the case.
    let rights = RightsIndexService::new(e.tenant.clone(), db.clone(), db.clone());
    rights.refresh(chrono::Utc::now()).await.unwrap();
    let steps = with_rights_index(steps, e.tenant.clone(), rights);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let evidence = Evidence::new(
        Arc::new(FileEvidenceStore::open(&dir.path().join("evidence")).unwrap()),
        db.clone(),
        "func-offboard",
        clock.clone(),
    );
    let engine = Engine::new(
        db.clone(),
        db.clone(),
        evidence.clone(),
        clock,
        Arc::new(Policy::builtin()),
        Arc::new(e.directory.clone()),
        Arc::new(steps),
        Arc::new(QueueNotifier::new(db.clone())),
        db.clone(),
    );
    Stack {
        engine,
        evidence,
        db,
        _dir: dir,
    }
}

impl Stack {
    async fn open(&self, employee_id: &str) -> Case {
        let now = chrono::Utc::now();
        let event = TerminationEvent::new(
            TerminationFacts {
                source: Source::Generic,
                source_event_id: format!("evt-{employee_id}"),
                source_subject_id: None,
                employee: EmployeeIdentifiers::new(Some(employee_id.into()), None, None, None)
                    .unwrap(),
                kind: TerminationKind::Voluntary,
                hr_effective: HrEffectiveTime::Immediate,
                reason: None,
            },
            &Verified::by_function_key(b"{}", now),
            &EffectivePolicy::default(),
        )
        .unwrap();
        let case = Case::open(event, now);
        CaseStore::create(&*self.db, &case).await.unwrap();
        self.evidence.record_trigger(&case).await.unwrap();
        case
    }

    /// Delivers every visible step message until the queues are quiet.
    async fn drain(&self) -> usize {
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
                    use base64::Engine as _;
                    let text = base64::engine::general_purpose::STANDARD
                        .decode(&m.text)
                        .unwrap();
                    let msg: StepMessage =
                        messages::decode("step", &String::from_utf8(text).unwrap()).unwrap();
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

    async fn case(&self, c: &Case) -> Case {
        CaseStore::get(&*self.db, &c.id)
            .await
            .unwrap()
            .unwrap()
            .value
    }
}

#[tokio::test]
async fn a_termination_runs_through_the_engine_and_a_replay_changes_nothing() {
    let e = env().await;
    let s = stack(&e).await;
    let case = s.open("E1001").await;
    s.engine.plan(&case.id).await.unwrap();
    s.drain().await;

    let done = s.case(&case).await;
    // The dynamic group, the mail-enabled security group and the distribution list stay:
    // the case says so instead of claiming success.
    assert_eq!(done.status, CaseStatus::CompletedWithExceptions);
    let plan = done.plan.as_ref().unwrap();
    assert_eq!(plan.facts.user.id, ids::ADELE);
    for st in &plan.steps {
        let want = match st.kind {
            StepKind::RemoveGroups => StepStatus::Exception,
            k if k.is_on_prem() || k == StepKind::VerifyCloudDisabled => StepStatus::NotApplicable,
            StepKind::RemoveDirectoryRoles
            | StepKind::RemovePimEligibility
            | StepKind::TransferOwnerships
            // The built-in policy keeps accounts.
            | StepKind::DeleteAccount => StepStatus::NotApplicable,
            _ => StepStatus::Verified,
        };
        assert_eq!(st.status, want, "{}: {:?}", st.kind, st.reason);
    }
    assert!(plan.sign_in_cut_at().is_some());
    assert!(s.evidence.is_sealed(&done).await.unwrap());
    let t = e.sim.state();
    assert!(!t.user(ids::ADELE).unwrap().account_enabled);
    assert_eq!(
        t.mailbox(ids::ADELE).unwrap().recipient_type_details,
        "SharedMailbox"
    );
    assert!(t.effective_skus(ids::ADELE).is_empty());

    // Every step message delivered again (the host redelivers, an operator replays).
    let before = writes(&e.sim);
    for st in &plan.steps {
        let text = messages::encode(&StepMessage {
            case_id: case.id.clone(),
            step: st.kind,
            attempt: 0,
        })
        .unwrap();
        s.db.send(&st.kind.queue(), &text, Duration::ZERO)
            .await
            .unwrap();
    }
    s.drain().await;
    assert_eq!(writes(&e.sim), before);
    assert_eq!(
        s.case(&done).await.status,
        CaseStatus::CompletedWithExceptions
    );
}

#[tokio::test]
async fn an_unknown_leaver_stops_the_case_without_touching_the_tenant() {
    let e = env().await;
    let s = stack(&e).await;
    let case = s.open("E9999").await;
    s.engine.plan(&case.id).await.unwrap();
    let done = s.case(&case).await;
    assert_eq!(done.status, CaseStatus::CompletedWithExceptions);
    assert!(done.plan.is_none());
    let why = done.planning_exception.unwrap();
    assert!(why.contains("employeeId=E9999"), "{why}");
    assert!(writes(&e.sim).is_empty());
}

/// `block-sign-in` whose first attempt sends its change and then ends as if the next call
/// had failed (or the handler had died) before the step could record anything; later
/// attempts are the real step.
struct InterruptedOnce {
    real: BlockSignIn,
    tenant: Arc<offboard_service::m365::Tenant>,
    interrupted: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl StepAction for InterruptedOnce {
    fn kind(&self) -> StepKind {
        StepKind::BlockSignIn
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        if self
            .interrupted
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return self.real.run(ctx).await;
        }
        self.tenant
            .graph
            .set_account_enabled(&ctx.facts.user.id, false)
            .await
            .map_err(|e| StepFailure::Transient {
                detail: e.to_string(),
            })?;
        Err(StepFailure::Transient {
            detail: "the read-back failed after the change was sent".into(),
        })
    }
}

#[tokio::test]
async fn a_change_whose_attempt_ended_early_is_announced_and_its_retry_names_that_attempt() {
    let e = env().await;
    let steps = registry(e.tenant.clone()).with(Arc::new(InterruptedOnce {
        real: BlockSignIn::new(e.tenant.clone()),
        tenant: e.tenant.clone(),
        interrupted: Default::default(),
    }));
    let s = stack_with(&e, steps).await;
    let case = s.open("E1001").await;
    s.engine.plan(&case.id).await.unwrap();
    // The retry comes after a backoff: deliver until the case is sealed (bounded).
    for _ in 0..60 {
        s.drain().await;
        if s.case(&case).await.status.is_final() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let done = s.case(&case).await;
    assert!(done.status.is_final(), "{:?}", done.status);
    let block = done
        .plan
        .as_ref()
        .unwrap()
        .step(StepKind::BlockSignIn)
        .unwrap();
    assert_eq!(block.status, StepStatus::Verified);
    assert_eq!(block.attempts, 2);

    // One change reached the tenant, and the evidence names it by the id it was sent with.
    let patches: Vec<_> = e
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path == format!("/users/{}", ids::ADELE))
        .filter(|r| {
            r.body
                .as_ref()
                .is_some_and(|b| b.get("accountEnabled").is_some())
        })
        .collect();
    assert_eq!(patches.len(), 1, "{patches:?}");
    let sent_as = patches[0].client_request_id.clone().unwrap();
    let period = offboard_core::evidence::period_of(done.event.effective_at());
    let records: Vec<_> = s
        .evidence
        .store()
        .records(&period, &case.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.record.unwrap())
        .filter(|r| r.body.step == "block-sign-in")
        .collect();
    let announced = records
        .iter()
        .find(|r| {
            r.body
                .details
                .as_ref()
                .is_some_and(|d| d["clientRequestId"] == sent_as.as_str())
        })
        .expect("the change was recorded before it was sent");
    let d = announced.body.details.as_ref().unwrap();
    assert_eq!(d["announced"], true);
    assert_eq!(d["attempt"], 1);
    assert_eq!(announced.body.request.as_ref().unwrap().method, "PATCH");

    // Attempt 2 found sign-in blocked and says which attempt blocked it.
    let verified = records
        .iter()
        .find(|r| r.body.outcome == offboard_core::evidence::Outcome::Verified)
        .unwrap();
    assert!(verified.seq > announced.seq);
    let by = &verified.body.details.as_ref().unwrap()["changedBy"];
    assert_eq!(by["attempt"], 1, "{by}");
    assert_eq!(by["announcementSeq"], announced.seq);
    assert_eq!(by["clientRequestId"], sent_as.as_str());
    assert_eq!(by["verifiedByAttempt"], 2);
    assert_eq!(
        done.plan
            .as_ref()
            .unwrap()
            .step(StepKind::BlockSignIn)
            .unwrap()
            .evidence_seq,
        Some(verified.seq)
    );

    // The chain, with the announcement in it, still verifies.
    let report = s
        .evidence
        .verify_stored_case(&period, &case.id)
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
}

/// How many of the tenant's changes are `change` (`METHOD path`); a `PATCH` of the user
/// counts only when it sets `accountEnabled` (the password reset patches the same path).
fn count(e: &Env, change: &str) -> usize {
    e.sim
        .requests()
        .iter()
        .filter(|r| format!("{} {}", r.method, r.path) == change)
        .filter(|r| {
            r.method != "PATCH"
                || r.body
                    .as_ref()
                    .is_some_and(|b| b.get("accountEnabled").is_some())
        })
        .count()
}

#[tokio::test]
async fn the_inline_cut_writes_once_and_the_queued_steps_adopt_it_without_a_call() {
    use offboard_service::engine::SignInCutOutcome;
    let e = env().await;
    let s = stack(&e).await;
    let case = s.open("E1001").await;
    let block = format!("PATCH /users/{}", ids::ADELE);
    let revoke = format!("POST /users/{}/revokeSignInSessions", ids::ADELE);

    let cut = s
        .engine
        .cut_sign_in(&case.id, None, Duration::from_secs(3))
        .await
        .unwrap();
    assert!(matches!(cut, SignInCutOutcome::Verified { .. }), "{cut:?}");
    assert_eq!((count(&e, &block), count(&e, &revoke)), (1, 1));
    // Claimed once: asking again answers from the case and sends nothing.
    let again = s
        .engine
        .cut_sign_in(&case.id, None, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(again, cut);
    assert_eq!((count(&e, &block), count(&e, &revoke)), (1, 1));

    s.engine.plan(&case.id).await.unwrap();
    // Planned: a cut can no longer be claimed (the queued steps own the case now).
    let stored = s.case(&case).await;
    assert!(stored.sign_in_cut.as_ref().unwrap().finished_at.is_some());
    s.drain().await;
    let done = s.case(&case).await;
    let plan = done.plan.as_ref().unwrap();
    let kept = done.sign_in_cut.as_ref().unwrap();
    for kind in [StepKind::BlockSignIn, StepKind::RevokeSessions] {
        let st = plan.step(kind).unwrap();
        let inline = kept.verified(kind).unwrap();
        assert_eq!(st.status, StepStatus::Verified, "{kind}");
        assert_eq!(st.evidence_seq, inline.evidence_seq, "{kind}");
        assert_eq!(
            st.finished_at,
            Some(inline.at),
            "{kind}: cut when the cut read it back"
        );
    }
    assert_eq!(plan.sign_in_cut_at(), kept.verified_at());
    assert_eq!(
        (count(&e, &block), count(&e, &revoke)),
        (1, 1),
        "the queued steps sent nothing"
    );
    assert!(s.evidence.is_sealed(&done).await.unwrap());
}

#[tokio::test]
async fn a_step_that_finds_the_cut_held_waits_and_never_writes_beside_it() {
    use offboard_core::case::SignInCut;
    use offboard_service::engine::SignInCutOutcome;
    let e = env().await;
    let s = stack(&e).await;
    let case = s.open("E1001").await;
    // Another invocation holds the cut (claimed, still inside its lease) — as when the intake
    // that claimed it died and the scheduler sent the case to planning.
    let held = CaseStore::get(&*s.db, &case.id).await.unwrap().unwrap();
    let mut c = held.value.clone();
    let now = chrono::Utc::now();
    c.sign_in_cut = Some(SignInCut::claimed(now, now + chrono::Duration::minutes(2)));
    CaseStore::replace(&*s.db, &c, &held.etag).await.unwrap();

    // A second cut is refused while the first holds it.
    let second = s
        .engine
        .cut_sign_in(&case.id, None, Duration::from_secs(3))
        .await
        .unwrap();
    assert!(
        matches!(second, SignInCutOutcome::Queued { .. }),
        "{second:?}"
    );
    s.engine.plan(&case.id).await.unwrap();
    s.drain().await;
    let waiting = s.case(&case).await;
    let block = waiting
        .plan
        .as_ref()
        .unwrap()
        .step(StepKind::BlockSignIn)
        .unwrap();
    assert_eq!(
        block.status,
        StepStatus::Queued,
        "deferred until the claim ends"
    );
    assert!(
        block.lease_until.is_none(),
        "the step gave its own lease back"
    );
    assert!(
        writes(&e.sim).is_empty(),
        "nothing written beside the held cut: {:?}",
        writes(&e.sim)
    );
}
