//! Throttling, faults and the bounds of in-process retries; secrets stay out of errors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use offboard_graph::{
    GraphClient, GraphClientOptions, GraphError, MailMessage, WritePacer, WriteQuota,
};

use crate::helpers::{env, graph_options, ids, statuses};

#[tokio::test]
async fn waits_as_told_by_retry_after_and_succeeds() {
    let e = env().await;
    e.sim.throttle_next(1, 1);
    let t = Instant::now();
    let u = e.graph.get_user(ids::ADELE).await.unwrap();
    assert_eq!(u.status, 200);
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        t.elapsed()
    );
    assert_eq!(statuses(&e.sim, "/users/"), vec![429, 200]);
    assert_eq!(e.sim.requests()[0].retry_after.as_deref(), Some("1"));
}

#[tokio::test]
async fn the_write_quota_throttles_and_the_client_rides_it_out() {
    let e = env().await;
    e.sim.set_write_quota(2, Duration::from_secs(2));
    let t = Instant::now();
    for id in [ids::ADELE, ids::ALEX, ids::JOHANNA] {
        e.graph.revoke_sign_in_sessions(id).await.unwrap();
    }
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "the third write waited for the window"
    );
    let st = statuses(&e.sim, "revokeSignInSessions");
    assert_eq!(st, vec![200, 200, 429, 200]);
    let throttled = e
        .sim
        .requests()
        .into_iter()
        .find(|r| r.status == 429)
        .unwrap();
    assert!(throttled.retry_after.unwrap().parse::<u64>().unwrap() <= 2);
    // Reads are not limited by the write quota.
    e.graph.get_user(ids::ADELE).await.unwrap();
}

#[tokio::test]
async fn a_long_retry_after_is_handed_back_to_the_caller() {
    let e = env().await;
    e.sim.throttle_next(1, 120);
    let t = Instant::now();
    let err = e.graph.get_user(ids::ADELE).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(matches!(err, GraphError::Throttled { .. }));
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn transient_faults_are_retried_within_bounds() {
    let e = env().await;
    e.sim.inject_faults(2, 503);
    assert_eq!(e.graph.get_user(ids::ADELE).await.unwrap().status, 200);
    assert_eq!(statuses(&e.sim, "/users/"), vec![503, 503, 200]);

    e.sim.clear_requests();
    e.sim.inject_faults(10, 504);
    let err = e.graph.get_user(ids::ADELE).await.unwrap_err();
    assert!(matches!(err, GraphError::Transient(_)));
    assert_eq!(err.status(), Some(504));
    assert_eq!(e.sim.requests().len(), 4, "max_attempts bounds the retries");
}

#[tokio::test]
async fn ambiguous_failures_of_non_idempotent_calls_are_not_repeated() {
    let e = env().await;
    e.sim.inject_faults(1, 504);
    let msg = MailMessage {
        subject: "s".into(),
        body: "b".into(),
        to: vec!["MeganB@contoso.com".into()],
    };
    let err = e.graph.send_mail(ids::GRADY, &msg).await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(
        statuses(&e.sim, "sendMail"),
        vec![504],
        "sent once: a repeat could mail twice"
    );
    // A 503 says the request was not processed, so even sendMail is repeated.
    e.sim.inject_faults(1, 503);
    e.graph.send_mail(ids::GRADY, &msg).await.unwrap();
    assert_eq!(e.sim.state().sent_mail.len(), 1);
}

#[tokio::test]
async fn random_fault_injection_is_absorbed_by_retries() {
    let e = env().await;
    let mut s = e.sim.settings();
    s.fault_rate = 0.3;
    s.fault_retry_after_secs = None;
    e.sim.set_settings(s);
    let mut ok = 0;
    for _ in 0..20 {
        if e.graph.get_user(ids::ADELE).await.is_ok() {
            ok += 1;
        }
    }
    let faults = e.sim.requests().iter().filter(|r| r.status >= 500).count();
    assert!(
        faults > 0,
        "30% fault rate produced no fault in {} requests",
        e.sim.requests().len()
    );
    assert!(ok >= 18, "retries absorb a 30% fault rate (ok = {ok})");
}

#[tokio::test]
async fn tokens_never_appear_in_errors_or_debug_output() {
    let e = env().await;
    let token = crate::helpers::mint(&e.sim, "https://graph.microsoft.com", None);
    let err = e.graph.get_user("missing-user").await.unwrap_err();
    for text in [
        format!("{err}"),
        format!("{err:?}"),
        format!("{:?}", e.graph),
        format!("{:?}", e.exchange),
    ] {
        assert!(!text.contains("eyJ"), "looks like a JWT in: {text}");
        assert!(!text.contains(&token));
        assert!(!text.contains(&e.sim.identity_header()));
    }
}

#[tokio::test]
async fn writes_paced_to_the_quota_are_held_back_instead_of_refused_by_graph() {
    let e = env().await;
    e.sim.set_write_quota(2, Duration::from_secs(60));
    // Two clients of one instance share its pacer, told the tenant's quota.
    let pacer = Arc::new(WritePacer::new(WriteQuota {
        writes: 2,
        window: Duration::from_secs(60),
    }));
    let options = || GraphClientOptions {
        pacer: Some(pacer.clone()),
        max_pace_wait: Duration::ZERO,
        ..graph_options()
    };
    let steps = GraphClient::new(e.sim.graph_base(), e.cred.clone(), options()).unwrap();
    let intake = GraphClient::new(e.sim.graph_base(), e.cred.clone(), options()).unwrap();
    steps.revoke_sign_in_sessions(ids::ADELE).await.unwrap();
    intake.revoke_sign_in_sessions(ids::ALEX).await.unwrap();
    let err = steps
        .revoke_sign_in_sessions(ids::JOHANNA)
        .await
        .unwrap_err();
    // Not sent: the step is re-enqueued with the wait, and Graph never had to refuse.
    assert!(matches!(err, GraphError::Throttled { .. }), "{err:?}");
    assert!(err.retry_after().unwrap() > Duration::from_secs(50));
    assert_eq!(err.info().code, "PacedByClient");
    assert_eq!(statuses(&e.sim, "revokeSignInSessions"), vec![200, 200]);
    // Reads are not paced.
    intake.get_user(ids::JOHANNA).await.unwrap();
}
