//! Queue triggers keep taking messages while an invocation runs long: as the host does, a
//! new batch is fetched once no more than `newBatchThreshold` invocations are in flight, so
//! one slow message does not hold back the ones behind it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use offboard_core::ports::MessageQueue;
use offboard_embedded::Embedded;
use serde_json::{Value, json};
use standin_funchost::{AppDefinition, HandlerSpec, HostOptions, LocalHost};
use tokio::sync::Notify;
use warp::Filter;

/// A handler that records every message it is given and holds the one saying "slow" until
/// told to let it go.
async fn handler(seen: Arc<Mutex<Vec<String>>>, release: Arc<Notify>) -> u16 {
    let route = warp::post()
        .and(warp::path("work"))
        .and(warp::body::json())
        .then(move |body: Value| {
            let (seen, release) = (seen.clone(), release.clone());
            async move {
                let text = body["Data"]["item"].as_str().unwrap_or_default().to_owned();
                seen.lock().unwrap().push(text.clone());
                if text == "slow" {
                    release.notified().await;
                }
                warp::reply::json(&json!({"Outputs": {}, "Logs": [], "ReturnValue": null}))
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(warp::serve(route).incoming(listener).run());
    port
}

fn app(dir: &std::path::Path) -> AppDefinition {
    std::fs::write(
        dir.join("host.json"),
        json!({
            "version": "2.0",
            "customHandler": {"description": {"defaultExecutablePath": "handler"}},
            "extensions": {"queues": {
                "maxPollingInterval": "00:00:01", "visibilityTimeout": "00:00:01",
                "batchSize": 1, "newBatchThreshold": 4, "maxDequeueCount": 5,
                "messageEncoding": "none"
            }}
        })
        .to_string(),
    )
    .unwrap();
    let f = dir.join("functions/work");
    std::fs::create_dir_all(&f).unwrap();
    std::fs::write(
        f.join("function.json"),
        json!({"bindings": [{"type": "queueTrigger", "direction": "in", "name": "item",
                             "queueName": "work", "connection": "AzureWebJobsStorage"}]})
        .to_string(),
    )
    .unwrap();
    AppDefinition::load(&dir.join("host.json"), &dir.join("functions")).unwrap()
}

async fn wait_for(seen: &Mutex<Vec<String>>, want: &[&str]) -> bool {
    for _ in 0..100 {
        let got = seen.lock().unwrap().clone();
        if want.iter().all(|w| got.iter().any(|g| g == w)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_long_invocation_does_not_hold_back_the_messages_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let queue = Arc::new(Embedded::open(&dir.path().join("db")).unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(Notify::new());
    let port = handler(seen.clone(), release.clone()).await;
    let q: Arc<dyn MessageQueue> = queue.clone();
    let host = LocalHost::start(HostOptions {
        app: app(dir.path()),
        handler: HandlerSpec::Attached { port },
        app_settings: BTreeMap::new(),
        port: 0,
        function_key: "k".repeat(32),
        queues: Arc::new(move |_| Ok(q.clone())),
    })
    .await
    .unwrap();

    queue.send("work", "slow", Duration::ZERO).await.unwrap();
    assert!(
        wait_for(&seen, &["slow"]).await,
        "the slow message never arrived"
    );
    for m in ["a", "b", "c"] {
        queue.send("work", m, Duration::ZERO).await.unwrap();
    }
    let behind = wait_for(&seen, &["a", "b", "c"]).await;
    release.notify_one();
    assert!(
        behind,
        "messages waited behind the slow one: {:?}",
        seen.lock().unwrap()
    );
    host.shutdown().await;
}
