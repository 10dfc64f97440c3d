//! What a crash leaves behind, and how soon the case goes on: successors whose messages were
//! lost, a lease whose holder died, a lease kept alive by a step that runs long.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use offboard_core::case::{Case, CaseStatus};
use offboard_core::evidence::Outcome;
use offboard_core::messages::StepMessage;
use offboard_core::plan::{LeaseHolder, StepKind, StepStatus};
use offboard_core::ports::{CaseStore, MessageQueue};
use offboard_embedded::Embedded;

use super::lease::RENEW_EVERY;
use super::tests::{Harness, facts, harness, harness_with};
use super::*;
use crate::steps::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};

pub(super) fn message(case_id: &offboard_core::ids::CaseId, step: StepKind) -> StepMessage {
    StepMessage {
        case_id: case_id.clone(),
        step,
        attempt: 0,
    }
}

/// Every message of every step queue taken and deleted unprocessed: what a handler that
/// died between storing the case and enqueueing leaves (the messages never existed).
pub(super) async fn lose_messages(db: &Embedded) -> usize {
    let mut lost = 0;
    for k in StepKind::ALL {
        for m in db
            .receive(&k.queue(), 32, Duration::from_secs(60))
            .await
            .unwrap()
        {
            db.delete(&k.queue(), &m.id, &m.pop_receipt).await.unwrap();
            lost += 1;
        }
    }
    lost
}

#[tokio::test]
async fn a_redelivered_message_of_a_finished_step_resends_its_lost_successors() {
    let h = harness(vec![], facts()).await;
    let case = h.open_case("77").await;
    h.engine.plan(&case.id).await.unwrap();
    lose_messages(&h.db).await;
    h.engine
        .run_step(&message(&case.id, StepKind::BlockSignIn))
        .await
        .unwrap();
    // The successors are queued on the case, but their messages are gone.
    assert!(lose_messages(&h.db).await > 0);
    let queued: Vec<StepKind> = h
        .case(&case)
        .await
        .plan
        .unwrap()
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Queued)
        .map(|s| s.kind)
        .collect();
    assert!(!queued.is_empty());
    assert_eq!(h.drain().await, 0, "nothing left to deliver");

    // The host redelivers the finished step's message (its invocation failed).
    match h
        .engine
        .run_step(&message(&case.id, StepKind::BlockSignIn))
        .await
        .unwrap()
    {
        Handled::Skipped(why) => assert!(why.contains("re-sent"), "{why}"),
        other => panic!("expected a skip that re-sends, got {other:?}"),
    }
    h.drain().await;
    assert_eq!(h.case(&case).await.status, CaseStatus::Completed);
}

/// A case whose `block-sign-in` has run and whose `revoke-sessions` ran, was throttled for
/// `delay` and is back in its queue (its one message); every other message is gone.
async fn revoke_throttled_for(delay: Duration, employee_id: &str) -> (Harness, Case) {
    let h = harness(
        vec![(
            StepKind::RevokeSessions,
            vec![Err(StepFailure::Throttled {
                retry_after: delay,
                detail: "429".into(),
            })],
        )],
        facts(),
    )
    .await;
    let case = h.open_case(employee_id).await;
    h.engine.plan(&case.id).await.unwrap();
    lose_messages(&h.db).await;
    h.engine
        .run_step(&message(&case.id, StepKind::BlockSignIn))
        .await
        .unwrap();
    lose_messages(&h.db).await;
    let deferred = h
        .engine
        .run_step(&message(&case.id, StepKind::RevokeSessions))
        .await
        .unwrap();
    assert!(matches!(deferred, Handled::Deferred(_)), "{deferred:?}");
    let queue = StepKind::RevokeSessions.queue();
    assert_eq!(h.db.approximate_len(&queue).await.unwrap(), 1);
    (h, case)
}

#[tokio::test]
async fn a_redelivered_finished_step_does_not_copy_a_successor_that_has_its_own_message() {
    // The successor runs, is throttled, and goes back to its queue for an hour.
    let (h, case) = revoke_throttled_for(Duration::from_secs(3600), "79").await;
    let queue = StepKind::RevokeSessions.queue();

    // The finished predecessor's message comes again: the never-claimed successors are
    // re-sent, the deferred one is not copied.
    let again = h
        .engine
        .run_step(&message(&case.id, StepKind::BlockSignIn))
        .await
        .unwrap();
    assert!(matches!(again, Handled::Skipped(_)), "{again:?}");
    assert_eq!(
        h.db.approximate_len(&queue).await.unwrap(),
        1,
        "one message for the deferred step, its own"
    );
}

#[tokio::test]
async fn the_stuck_step_sweep_counts_a_throttled_step_from_when_its_message_comes_back() {
    let (h, _) = revoke_throttled_for(Duration::from_secs(30 * 60), "81").await;
    let queue = StepKind::RevokeSessions.queue();
    let start = h.clock.now();

    // Queued a quarter of an hour ago, but its own message is due in another quarter.
    h.clock.set(start + chrono::Duration::minutes(15));
    h.engine.resume_stuck().await.unwrap();
    assert_eq!(
        h.db.approximate_len(&queue).await.unwrap(),
        1,
        "not sent twice while its message is away"
    );
    // Ten minutes after its message was due and still not run: lost, sent again.
    h.clock.set(start + chrono::Duration::minutes(41));
    h.engine.resume_stuck().await.unwrap();
    assert_eq!(h.db.approximate_len(&queue).await.unwrap(), 2);
}

/// Stores `holder` as the holder of `kind`'s lease, taken at `at`.
async fn hold(h: &Harness, case: &Case, kind: StepKind, holder: LeaseHolder, at: DateTime<Utc>) {
    let stored = CaseStore::get(&*h.db, &case.id).await.unwrap().unwrap();
    let mut c = stored.value;
    let s = c.plan.as_mut().unwrap().step_mut(kind).unwrap();
    s.status = StepStatus::Queued;
    s.attempts += 1;
    s.lease_until = Some(at + STEP_LEASE);
    s.lease_holder = Some(holder);
    CaseStore::replace(&*h.db, &c, &stored.etag).await.unwrap();
}

#[tokio::test]
async fn a_lease_whose_holder_died_on_this_host_is_taken_over_after_the_grace() {
    let me = holder::this_holder("other".into());
    if me.host.is_none() {
        return; // no /proc: a holder is never known dead, the lease runs out (tested elsewhere)
    }
    let h = harness(vec![], facts()).await;
    let case = h.open_case("78").await;
    h.engine.plan(&case.id).await.unwrap();
    lose_messages(&h.db).await;
    // The holder's process id now belongs to a process started later: the holder is gone.
    let dead = LeaseHolder {
        process_start: me.process_start.map(|s| s + 1),
        ..me.clone()
    };
    let taken = h.clock.now();
    hold(&h, &case, StepKind::BlockSignIn, dead, taken).await;
    let msg = message(&case.id, StepKind::BlockSignIn);
    // Within the grace, the step waits (a request the holder had just sent may still land).
    assert!(matches!(
        h.engine.run_step(&msg).await.unwrap(),
        Handled::Deferred(_)
    ));
    h.clock
        .set(taken + DEAD_HOLDER_GRACE + chrono::Duration::seconds(1));
    assert!(matches!(
        h.engine.run_step(&msg).await.unwrap(),
        Handled::Done(_)
    ));
    assert_eq!(h.runs.lock().unwrap().get(&StepKind::BlockSignIn), Some(&1));

    // A holder that is alive (this process) keeps its lease to the end, dead holder or not.
    let case = h.open_case("79").await;
    h.engine.plan(&case.id).await.unwrap();
    lose_messages(&h.db).await;
    let taken = h.clock.now();
    hold(&h, &case, StepKind::BlockSignIn, me.clone(), taken).await;
    let msg = message(&case.id, StepKind::BlockSignIn);
    h.clock
        .set(taken + STEP_LEASE - chrono::Duration::seconds(1));
    assert!(matches!(
        h.engine.run_step(&msg).await.unwrap(),
        Handled::Deferred(_)
    ));
    // And a holder on another host is never judged: its lease runs out.
    let elsewhere = LeaseHolder {
        host: Some("another-host/pid:[1]".into()),
        process_start: me.process_start.map(|s| s + 1),
        ..me
    };
    let taken = h.clock.now();
    hold(&h, &case, StepKind::BlockSignIn, elsewhere, taken).await;
    h.clock
        .set(taken + DEAD_HOLDER_GRACE + chrono::Duration::seconds(1));
    assert!(matches!(
        h.engine.run_step(&msg).await.unwrap(),
        Handled::Deferred(_)
    ));
    h.clock
        .set(taken + STEP_LEASE + chrono::Duration::seconds(1));
    assert!(matches!(
        h.engine.run_step(&msg).await.unwrap(),
        Handled::Done(_)
    ));
}

/// `block-sign-in` that runs past one renewal of its lease.
struct Slow;

#[async_trait]
impl StepAction for Slow {
    fn kind(&self) -> StepKind {
        StepKind::BlockSignIn
    }
    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        tokio::time::sleep(RENEW_EVERY + Duration::from_secs(3)).await;
        Ok(StepReport::from_actions(vec![ActionEvidence {
            target_system: crate::attempt::TargetSystem::Entra,
            action: "slow".into(),
            target_ids: vec![],
            request: None,
            response_status: Some(204),
            service_request_id: Some("req-slow".into()),
            read_back: None,
            outcome: Outcome::Verified,
            reason: None,
            details: None,
            started_at: ctx.now,
            ended_at: ctx.now,
        }]))
    }
}

#[tokio::test]
async fn a_running_step_renews_its_lease() {
    let h = harness_with(vec![], facts(), vec![Arc::new(Slow)]).await;
    let case = h.open_case("80").await;
    h.engine.plan(&case.id).await.unwrap();
    lose_messages(&h.db).await;
    let claimed_at = h.clock.now();
    let msg = message(&case.id, StepKind::BlockSignIn);
    let lease = || async {
        let c = CaseStore::get(&*h.db, &case.id)
            .await
            .unwrap()
            .unwrap()
            .value;
        c.plan
            .unwrap()
            .step(StepKind::BlockSignIn)
            .unwrap()
            .lease_until
    };
    let watch = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let first = lease().await;
        // Time passes while the step runs; the renewal extends the lease from then.
        h.clock.set(claimed_at + chrono::Duration::seconds(5));
        tokio::time::sleep(RENEW_EVERY + Duration::from_secs(1)).await;
        (first, lease().await)
    };
    let (done, (first, renewed)) = tokio::join!(h.engine.run_step(&msg), watch);
    done.unwrap();
    assert_eq!(first, Some(claimed_at + STEP_LEASE));
    assert_eq!(
        renewed,
        Some(claimed_at + chrono::Duration::seconds(5) + STEP_LEASE)
    );
    // Concluded: the lease and its holder are gone.
    let s = h.case(&case).await.plan.unwrap();
    let block = s.step(StepKind::BlockSignIn).unwrap();
    assert_eq!((block.lease_until, &block.lease_holder), (None, &None));
}

#[tokio::test]
async fn two_seal_messages_at_once_seal_the_case_once() {
    let h = harness(vec![], facts()).await;
    let case = h.open_case("81").await;
    h.engine.plan(&case.id).await.unwrap();
    // Run every step but the seal, whose message is lost; two copies of it then arrive at
    // once (a redelivered plan message re-sends queued steps, the seal among them).
    while deliver_all_but_the_seal(&h).await > 0 {}
    assert!(h.case(&case).await.plan.unwrap().is_finished());
    lose_messages(&h.db).await;
    let seal = message(&case.id, StepKind::Seal);
    let (a, b) = tokio::join!(h.engine.run_step(&seal), h.engine.run_step(&seal));
    let (a, b) = (a.unwrap(), b.unwrap());
    h.drain().await;
    let done = h.case(&case).await;
    assert_eq!(done.status, CaseStatus::Completed, "{a:?} {b:?}");
    assert_eq!(
        h.engine.evidence.ledger_len().await.unwrap(),
        1,
        "{a:?} {b:?}"
    );
    let period = offboard_core::evidence::period_of(done.event.effective_at());
    let report = h
        .engine
        .evidence
        .verify_period(&period, &period)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.findings);
}

/// Delivers every visible step message but the seal's; returns how many.
async fn deliver_all_but_the_seal(h: &Harness) -> usize {
    let mut n = 0;
    for k in StepKind::ALL.into_iter().filter(|k| *k != StepKind::Seal) {
        for m in
            h.db.receive(&k.queue(), 32, Duration::from_secs(60))
                .await
                .unwrap()
        {
            use base64::Engine as _;
            let text = base64::engine::general_purpose::STANDARD
                .decode(&m.text)
                .unwrap();
            let msg: StepMessage =
                offboard_core::messages::decode("step", &String::from_utf8(text).unwrap()).unwrap();
            h.engine.run_step(&msg).await.unwrap();
            h.db.delete(&k.queue(), &m.id, &m.pop_receipt)
                .await
                .unwrap();
            n += 1;
        }
    }
    n
}
