//! Queue-trigger semantics through the local Functions host.

use offboard_testkit::TestApp;
use std::time::Duration;

use crate::on_every_backend;

on_every_backend!(
    poisoned_message_lands_in_the_poison_queue,
    |app: TestApp| async move {
        // Not a plan message: the handler fails every attempt.
        app.enqueue("plan", "this is not a plan message").await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if app.queue.approximate_len("plan-poison").await.unwrap() == 1 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message never reached plan-poison"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(app.queue.approximate_len("plan").await.unwrap(), 0);
        // It was tried maxDequeueCount (5) times: the poison copy is the original text.
        let poisoned = app
            .queue
            .receive("plan-poison", 1, Duration::from_secs(30))
            .await
            .unwrap();
        let text = String::from_utf8(base64_decode(&poisoned[0].text)).unwrap();
        assert_eq!(text, "this is not a plan message");
        let attempts = app
            .handler_log()
            .matches("not a valid plan message")
            .count();
        assert_eq!(attempts, 5, "the handler should have seen 5 attempts");
        app.shutdown().await;
    }
);

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}
