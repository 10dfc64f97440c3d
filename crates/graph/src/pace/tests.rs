//! The pacer on tokio's paused clock: instants below are the test's virtual time, so they are
//! exact and say nothing about how fast the machine is.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::*;

const LONG: Duration = Duration::from_secs(3600);

fn quota(writes: u32, secs: u64) -> WriteQuota {
    WriteQuota {
        writes,
        window: Duration::from_secs(secs),
    }
}

#[test]
fn a_quota_reads_as_writes_per_seconds() {
    assert_eq!("3000/150".parse(), Ok(WriteQuota::GRAPH));
    assert_eq!(
        " 1417 / 5s ".parse(),
        Ok(WriteQuota {
            writes: 1417,
            window: Duration::from_secs(5)
        })
    );
    for bad in ["", "3000", "0/150", "3000/0", "x/1", "3000/-1", "3000/nan"] {
        assert!(bad.parse::<WriteQuota>().is_err(), "{bad}");
    }
}

#[tokio::test(start_paused = true)]
async fn writes_inside_the_quota_go_at_once_and_the_next_waits_for_the_oldest_to_leave() {
    let pacer = WritePacer::new(quota(10, 10));
    let start = Instant::now();
    for _ in 0..10 {
        pacer
            .acquire(WriteClass::CleanUp, 1, LONG)
            .await
            .expect("room")
            .sent();
    }
    assert_eq!(Instant::now(), start, "ten of ten fit the empty window");
    tokio::time::advance(Duration::from_secs(2)).await;
    // The next write waits until the first leaves the window, ten seconds after it was
    // answered.
    pacer
        .acquire(WriteClass::CleanUp, 1, LONG)
        .await
        .expect("room")
        .sent();
    assert_eq!(Instant::now(), start + Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn while_cuts_are_asked_for_clean_up_leaves_them_the_reserve() {
    let pacer = WritePacer::new(quota(10, 10));
    let start = Instant::now();
    pacer
        .acquire(WriteClass::SignInCut, 1, LONG)
        .await
        .expect("room")
        .sent();
    for _ in 0..8 {
        pacer
            .acquire(WriteClass::CleanUp, 1, LONG)
            .await
            .expect("room")
            .sent();
    }
    assert!(
        pacer
            .acquire(WriteClass::CleanUp, 1, Duration::ZERO)
            .await
            .is_err(),
        "clean-up may not take the last slot"
    );
    pacer
        .acquire(WriteClass::SignInCut, 1, Duration::ZERO)
        .await
        .expect("the cut takes the reserved slot")
        .sent();
    assert_eq!(Instant::now(), start);
}

#[tokio::test(start_paused = true)]
async fn a_window_without_cuts_gives_clean_up_the_whole_quota() {
    let pacer = WritePacer::new(quota(10, 10));
    pacer
        .acquire(WriteClass::SignInCut, 1, LONG)
        .await
        .expect("room")
        .sent();
    tokio::time::advance(Duration::from_secs(10)).await;
    for _ in 0..10 {
        pacer
            .acquire(WriteClass::CleanUp, 1, Duration::ZERO)
            .await
            .expect("the whole window")
            .sent();
    }
}

#[tokio::test(start_paused = true)]
async fn a_waiting_cut_goes_before_clean_up_that_waited_longer() {
    let pacer = Arc::new(WritePacer::new(quota(10, 10)));
    for _ in 0..10 {
        pacer
            .acquire(WriteClass::SignInCut, 1, LONG)
            .await
            .expect("room")
            .sent();
    }
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (i, class) in [
        WriteClass::CleanUp,
        WriteClass::CleanUp,
        WriteClass::SignInCut,
    ]
    .into_iter()
    .enumerate()
    {
        let (pacer, order) = (pacer.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let permit = pacer.acquire(class, 1, LONG).await.expect("room");
            order.lock().expect("order").push((i, class));
            permit.sent();
        }));
        // The clean-up writes ask first.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for t in tasks {
        t.await.expect("task");
    }
    let order = order.lock().expect("order").clone();
    assert_eq!(
        order.first(),
        Some(&(2, WriteClass::SignInCut)),
        "the cut asked last and went first: {order:?}"
    );
    assert_eq!(order.len(), 3);
}

/// The inline cut's time budget drops its write's wait: the clean-up behind it must not wait
/// for that cut for good (it did, seen as a 300-second mass run whose clean-up never ran).
#[tokio::test(start_paused = true)]
async fn a_cut_given_up_mid_wait_no_longer_holds_clean_up_back() {
    let pacer = WritePacer::new(quota(10, 10));
    // Five leavers' cuts fill the window.
    cuts(&pacer, 5, Duration::ZERO).await;
    let given_up = tokio::time::timeout(
        Duration::from_secs(1),
        pacer.acquire(WriteClass::SignInCut, 1, LONG),
    )
    .await;
    assert!(
        given_up.is_err(),
        "the window is full: the cut was still waiting"
    );
    assert_eq!(
        pacer.lock().cuts_waiting,
        0,
        "its wait is no longer counted"
    );
    // Once the window has emptied and no cut has been asked for a window, clean-up goes.
    tokio::time::advance(Duration::from_secs(20)).await;
    let start = Instant::now();
    pacer
        .acquire(WriteClass::CleanUp, 1, LONG)
        .await
        .expect("room")
        .sent();
    assert_eq!(Instant::now(), start, "clean-up went at once");
}

/// A cut write asked for with half a second to wait, which must be handed back.
async fn away(pacer: &WritePacer) -> Duration {
    pacer
        .acquire(WriteClass::SignInCut, 1, Duration::from_millis(500))
        .await
        .err()
        .expect("further than half a second: handed back")
}

#[tokio::test(start_paused = true)]
async fn a_write_further_away_than_the_caller_waits_is_not_sent_and_deferred_ones_are_spread() {
    let pacer = WritePacer::new(quota(10, 10));
    // One write a second fills the window by the ninth second.
    for i in 0..10 {
        if i > 0 {
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        pacer
            .acquire(WriteClass::SignInCut, 1, LONG)
            .await
            .expect("room")
            .sent();
    }
    // Each comes back when its slot frees, the first when the oldest write leaves the
    // window, the next a slot later.
    assert_eq!(away(&pacer).await, Duration::from_secs(1));
    assert_eq!(away(&pacer).await, Duration::from_secs(2));
    assert_eq!(away(&pacer).await, Duration::from_secs(3));
    // The first returns, finds its slot taken by a write that did not wait, and is sent away
    // again: it goes behind the two still away, not behind every turn ever handed out.
    tokio::time::advance(Duration::from_secs(1)).await;
    pacer
        .acquire(WriteClass::SignInCut, 1, LONG)
        .await
        .expect("the oldest write left the window")
        .sent();
    assert_eq!(away(&pacer).await, Duration::from_secs(3));
    // Nothing was taken by the writes sent away: the window frees as its writes age.
    tokio::time::advance(Duration::from_secs(1)).await;
    pacer
        .acquire(WriteClass::SignInCut, 1, Duration::ZERO)
        .await
        .expect("the window has room again")
        .sent();
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_every_write_until_its_retry_after() {
    let pacer = WritePacer::new(quota(10, 10));
    let start = Instant::now();
    // Graph refuses the first write: another instance used the app's quota.
    pacer
        .acquire(WriteClass::SignInCut, 1, LONG)
        .await
        .expect("room")
        .throttled(1, Duration::from_secs(3));
    assert!(
        pacer
            .acquire(WriteClass::SignInCut, 1, Duration::from_secs(2))
            .await
            .is_err(),
        "three seconds away: handed back"
    );
    for class in [WriteClass::SignInCut, WriteClass::CleanUp] {
        pacer.acquire(class, 1, LONG).await.expect("room").sent();
        assert_eq!(Instant::now(), start + Duration::from_secs(3), "{class:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn refused_writes_do_not_count_and_a_dropped_permit_counts_as_sent() {
    let pacer = WritePacer::new(quota(2, 10));
    let start = Instant::now();
    pacer
        .acquire(WriteClass::SignInCut, 2, LONG)
        .await
        .expect("room")
        .throttled(2, Duration::ZERO);
    {
        let _dropped = pacer
            .acquire(WriteClass::SignInCut, 2, LONG)
            .await
            .expect("room");
    }
    // The refused pair left the window empty; the two dropped writes fill it, and the next
    // write waits for them to leave.
    pacer
        .acquire(WriteClass::SignInCut, 1, LONG)
        .await
        .expect("room")
        .sent();
    assert_eq!(Instant::now(), start + Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn an_unbounded_quota_never_holds_a_write() {
    let pacer = WritePacer::new(WriteQuota {
        writes: u32::MAX,
        window: Duration::from_secs(1),
    });
    for class in [WriteClass::CleanUp, WriteClass::SignInCut] {
        pacer
            .acquire(class, 20, Duration::ZERO)
            .await
            .expect("room")
            .sent();
    }
}

/// Asks for and sends `n` cuts of two writes each (block sign-in, revoke sessions), `gap`
/// apart.
async fn cuts(pacer: &WritePacer, n: usize, gap: Duration) {
    for _ in 0..n {
        for _ in 0..2 {
            pacer
                .acquire(WriteClass::SignInCut, 1, LONG)
                .await
                .expect("room for the cut")
                .sent();
        }
        tokio::time::advance(gap).await;
    }
}

/// Takes `n` clean-up writes at once, then finds no room for one more.
async fn clean_up_gets_exactly(pacer: &WritePacer, n: usize) {
    for _ in 0..n {
        pacer
            .acquire(WriteClass::CleanUp, 1, Duration::ZERO)
            .await
            .expect("room for clean-up")
            .sent();
    }
    assert!(
        pacer
            .acquire(WriteClass::CleanUp, 1, Duration::ZERO)
            .await
            .is_err(),
        "no room for clean-up beyond {n} writes"
    );
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_cuts_stops_clean_up_until_it_has_passed() {
    let pacer = WritePacer::new(WriteQuota::GRAPH);
    let start = Instant::now();
    // A layoff's intake: 30 leavers a second for five seconds, 300 cut writes of 3,000.
    cuts(&pacer, 150, Duration::from_millis(33)).await;
    let refused = pacer
        .acquire(WriteClass::CleanUp, 1, Duration::from_secs(5))
        .await
        .err()
        .expect("the window has room, but not for the cuts still coming at this rate");
    // Handed back until the burst's asks have left the horizon, not a whole window.
    assert!(
        refused <= CUT_RATE_HORIZON + Duration::from_secs(1),
        "{refused:?}"
    );
    // A clean-up step that has not started is told so before it reads anything.
    let held = pacer
        .clean_up_held_for_cuts()
        .expect("held for the burst's cuts");
    assert!(
        held <= CUT_RATE_HORIZON + Duration::from_secs(1),
        "{held:?}"
    );
    // The burst goes on: every later leaver's cut still finds room at once.
    cuts(&pacer, 850, Duration::from_millis(33)).await;
    let cut_done = Instant::now();
    assert!(cut_done - start < Duration::from_secs(40));
    // Once no cut has been asked for over the horizon, clean-up takes what the cuts left:
    // their 2,000 writes in the window are more than the reserve, so none is kept beside them.
    tokio::time::advance(CUT_RATE_HORIZON).await;
    clean_up_gets_exactly(&pacer, 3_000 - 2_000).await;
}

#[tokio::test(start_paused = true)]
async fn one_leaver_a_second_leaves_clean_up_the_window_less_the_reserve() {
    let pacer = WritePacer::new(WriteQuota::GRAPH);
    // Two cut writes a second: 20 in the window, 300 over a window, the reserve itself. The
    // cuts' 20 writes already in the window are part of their reserve, not kept beside it.
    cuts(&pacer, 10, Duration::from_secs(1)).await;
    assert_eq!(pacer.clean_up_held_for_cuts(), None, "not a burst");
    clean_up_gets_exactly(&pacer, 3_000 - 300).await;
}

#[tokio::test(start_paused = true)]
async fn a_write_waits_no_longer_than_the_caller_allows_in_all() {
    let pacer = Arc::new(WritePacer::new(WriteQuota::GRAPH));
    cuts(&pacer, 100, Duration::from_millis(10)).await;
    // Cuts keep coming while the clean-up write waits: each recheck finds it held again.
    let feeder = {
        let pacer = pacer.clone();
        tokio::spawn(async move { cuts(&pacer, 400, Duration::from_millis(50)).await })
    };
    let asked = Instant::now();
    let held = pacer
        .acquire(WriteClass::CleanUp, 1, Duration::from_secs(5))
        .await;
    assert!(held.is_err(), "still held when its five seconds were up");
    assert!(Instant::now() - asked <= Duration::from_secs(5));
    feeder.await.expect("feeder");
}

/// Cut writes asked for each second, steadily, beside clean-up that takes all the room it is
/// given, for three Graph windows: no cut ever waits for room, and the last window holds at
/// least `at_least` writes (and never more than the quota).
async fn a_window_beside_steady_cuts(cut_writes_per_second: usize, at_least: usize) {
    let pacer = WritePacer::new(WriteQuota::GRAPH);
    // The pacer learns the cuts' rate over the horizon before clean-up starts.
    let horizon = CUT_RATE_HORIZON.as_secs() as usize;
    let gap = Duration::from_secs(1) / (cut_writes_per_second as u32 / 2);
    cuts(&pacer, horizon * cut_writes_per_second / 2, gap).await;
    let mut per_second = Vec::new();
    for _ in 0..450 {
        for _ in 0..cut_writes_per_second {
            let asked = Instant::now();
            pacer
                .acquire(WriteClass::SignInCut, 1, LONG)
                .await
                .expect("room for the cut")
                .sent();
            assert_eq!(Instant::now(), asked, "a cut waited");
        }
        let mut clean_up = 0;
        while let Ok(permit) = pacer.acquire(WriteClass::CleanUp, 1, Duration::ZERO).await {
            permit.sent();
            clean_up += 1;
        }
        per_second.push(cut_writes_per_second + clean_up);
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    let last_window: usize = per_second[300..].iter().sum();
    assert!(
        (at_least..=3_000).contains(&last_window),
        "{last_window} writes in the last window"
    );
}

/// Four leavers a second: clean-up takes what the writes leaving the window free, less the
/// room of the cuts to come in the next eighth of the window, instead of leaving the cuts'
/// room twice (once for the cuts already in the window, once for those to come: 1,800 writes
/// a window) or a reserve beside the cuts' own writes (2,700).
#[tokio::test(start_paused = true)]
async fn clean_up_beside_steady_cuts_uses_what_leaves_the_window() {
    a_window_beside_steady_cuts(8, 2_800).await;
}

/// One leaver a second, the cuts' writes exactly the reserve (300 a window): counted towards
/// it, they leave clean-up the rest of the window (2,962 of 3,000; kept beside them, 2,700),
/// and still no cut waits.
#[tokio::test(start_paused = true)]
async fn cuts_as_many_as_the_reserve_leave_clean_up_the_rest_and_never_wait() {
    a_window_beside_steady_cuts(2, 2_900).await;
}
