//! Queue-trigger semantics through the local Functions host.

use offboard_testkit::TestApp;
use std::time::Duration;

use crate::on_every_backend;

on_every_backend!(
    poisoned_message_lands_in_the_poison_queue,
    |app: TestApp| async move {
        // Not a plan message: the handler fails every attempt, the host retries it
        // maxDequeueCount (5) times and then moves it to plan-poison, where the `poison`
        // timer function takes it (an unreadable message is logged as an error and removed).
        app.enqueue("plan", "this is not a plan message").await;
        app.wait_log(Duration::from_secs(90), "unreadable poison message dropped")
            .await;
        let log = app.handler_log();
        let swept = log
            .lines()
            .find(|l| l.contains("unreadable poison message dropped"))
            .unwrap();
        assert!(swept.contains("plan-poison"), "{swept}");
        let attempts = log
            .lines()
            .filter(|l| l.contains("invocation failed") && l.contains("not a valid plan message"))
            .count();
        assert_eq!(
            attempts, 5,
            "the handler should have seen exactly 5 attempts:\n{log}"
        );
        assert_eq!(app.queue.approximate_len("plan").await.unwrap(), 0);
        assert_eq!(app.queue.approximate_len("plan-poison").await.unwrap(), 0);
        app.shutdown().await;
    }
);
