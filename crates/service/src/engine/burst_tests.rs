//! A layoff's burst: every leaver's sign-in cut comes before anyone's clean-up, so a clean-up
//! step the instance's write pacer holds back goes back to its queue before it reads.

use std::sync::Arc;
use std::time::Duration;

use offboard_core::plan::StepKind;
use offboard_core::ports::MessageQueue;

use super::Handled;
use super::crash_tests::{lose_messages, message};
use super::tests::{facts, harness};

#[tokio::test]
async fn in_a_burst_of_cuts_a_clean_up_step_goes_back_to_its_queue_before_it_reads() {
    let h = harness(vec![], facts()).await;
    let case = h.open_case("80").await;
    h.engine.plan(&case.id).await.unwrap();
    lose_messages(&h.db).await;
    // A layoff's intake has asked the instance's pacer for 600 cut writes in a moment: more
    // than Graph's window holds at that rate.
    let pacer = Arc::new(offboard_graph::WritePacer::new(
        offboard_graph::WriteQuota::GRAPH,
    ));
    for _ in 0..600 {
        pacer
            .acquire(
                offboard_graph::WriteClass::SignInCut,
                1,
                Duration::from_secs(1),
            )
            .await
            .unwrap()
            .sent();
    }
    let engine = h.engine.clone().with_write_pacer(pacer);
    engine
        .run_step(&message(&case.id, StepKind::BlockSignIn))
        .await
        .unwrap();
    let held = engine
        .run_step(&message(&case.id, StepKind::RemoveLicences))
        .await
        .unwrap();
    match held {
        Handled::Deferred(why) => assert!(why.contains("sign-in cuts"), "{why}"),
        other => panic!("expected the clean-up step to wait, got {other:?}"),
    }
    assert_eq!(h.runs.lock().unwrap().get(&StepKind::RemoveLicences), None);
    let step = h.case(&case).await.plan.unwrap();
    assert_eq!(
        step.step(StepKind::RemoveLicences).unwrap().attempts,
        0,
        "not claimed: nothing read, nothing written"
    );
    assert_eq!(
        h.db.approximate_len(&StepKind::RemoveLicences.queue())
            .await
            .unwrap(),
        1,
        "back in its queue"
    );
    // The cut's own steps are never held.
    let revoked = engine
        .run_step(&message(&case.id, StepKind::RevokeSessions))
        .await
        .unwrap();
    assert!(matches!(revoked, Handled::Done(_)), "{revoked:?}");
}
