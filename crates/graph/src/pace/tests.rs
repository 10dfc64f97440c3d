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

#[tokio::test(start_paused = true)]
async fn a_write_further_away_than_the_caller_waits_is_not_sent_and_deferred_ones_are_spread() {
    let pacer = WritePacer::new(quota(10, 10));
    for _ in 0..10 {
        pacer
            .acquire(WriteClass::SignInCut, 1, LONG)
            .await
            .expect("room")
            .sent();
    }
    let first = pacer
        .acquire(WriteClass::SignInCut, 1, Duration::from_secs(1))
        .await
        .err()
        .expect("ten seconds away: handed back");
    let second = pacer
        .acquire(WriteClass::SignInCut, 1, Duration::from_secs(1))
        .await
        .err()
        .expect("handed back");
    // The first comes back one slot (1 s) after the window frees, the next one slot later.
    assert_eq!(first, Duration::from_secs(11));
    assert_eq!(second, Duration::from_secs(12));
    // Nothing was taken: the window still holds ten writes, freed after ten seconds.
    tokio::time::advance(Duration::from_secs(10)).await;
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
