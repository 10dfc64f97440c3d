//! The SCIM client against two real SCIM service providers nobody here wrote — scim2-server
//! (PyPI) and a SCIMMY server (npm) — each started fresh and seeded through its own SCIM
//! API; the answers a real server cannot give on cue (429, 5xx, 409) come from a forwarding
//! proxy in front of it.

use offboard_scim_client::{Credential, ScimClient, ScimClientOptions, ScimError, UserFilter};
use standin_scim_proxy::{Implementation, ScimProxy, ScimServer, user};
use std::time::Duration;

const TOKEN: &str = "connector-test-token-0123456789";

async fn server(imp: Implementation) -> ScimServer {
    ScimServer::start(imp, TOKEN)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", imp.name()))
}

fn client(base: &str, options: ScimClientOptions) -> ScimClient {
    ScimClient::new(
        base.parse().expect("base URL"),
        Credential::Bearer(TOKEN.to_owned().into()),
        options,
    )
    .expect("client")
}

fn quick() -> ScimClientOptions {
    ScimClientOptions {
        backoff: Duration::from_millis(20),
        wait_for_retry_after: Duration::from_secs(2),
        ..ScimClientOptions::default()
    }
}

#[tokio::test]
async fn finds_by_user_name_external_id_and_email_on_both() {
    for imp in Implementation::BOTH {
        let s = server(imp).await;
        let id = s
            .seed(user("ada@contoso.com", "E100", "ada.l@contoso.com", true))
            .await
            .expect("seed");
        s.seed(user("bob@contoso.com", "E200", "bob@contoso.com", true))
            .await
            .expect("seed");
        let c = client(&s.base_url, quick());
        for f in [
            UserFilter::UserName("ada@contoso.com".into()),
            UserFilter::ExternalId("E100".into()),
            UserFilter::Email("ada.l@contoso.com".into()),
        ] {
            let found = c
                .find(&f)
                .await
                .unwrap_or_else(|e| panic!("{}: {f}: {e}", imp.name()));
            assert_eq!(found.status, 200, "{}", imp.name());
            let ids: Vec<_> = found.value.iter().map(|u| u.id.as_str()).collect();
            assert_eq!(ids, [id.as_str()], "{}: {f}", imp.name());
            assert_eq!(found.value[0].user_name.as_deref(), Some("ada@contoso.com"));
            assert!(found.value[0].is_active());
        }
        let none = c
            .find(&UserFilter::UserName("nobody@contoso.com".into()))
            .await
            .expect("empty search");
        assert!(none.value.is_empty(), "{}", imp.name());
    }
}

#[tokio::test]
async fn deactivates_reads_back_and_an_inactive_user_stays_so_on_both() {
    for imp in Implementation::BOTH {
        let s = server(imp).await;
        let id = s
            .seed(user("ada@contoso.com", "E100", "ada@contoso.com", true))
            .await
            .expect("seed");
        let c = client(&s.base_url, quick());
        let patched = c.deactivate(&id).await.expect("deactivate");
        assert!(patched.value, "{}: the user was there", imp.name());
        assert!(matches!(patched.status, 200 | 204), "{}", imp.name());
        let back = c
            .get(&id)
            .await
            .expect("read back")
            .value
            .expect("still there");
        assert_eq!(back.active, Some(false), "{}", imp.name());
        // Already inactive: a second PATCH is harmless and the read-back the same.
        assert!(c.deactivate(&id).await.expect("again").value);
        let back = c
            .get(&id)
            .await
            .expect("read back")
            .value
            .expect("still there");
        assert!(!back.is_active(), "{}", imp.name());
        // The other attributes are untouched.
        assert_eq!(back.user_name.as_deref(), Some("ada@contoso.com"));
    }
}

#[tokio::test]
async fn a_user_not_there_is_an_answer_not_an_error_on_both() {
    for imp in Implementation::BOTH {
        let s = server(imp).await;
        let id = s
            .seed(user("ada@contoso.com", "E100", "ada@contoso.com", true))
            .await
            .expect("seed");
        let c = client(&s.base_url, quick());
        assert_eq!(c.get("no-such-user").await.expect("get").value, None);
        let gone = c.deactivate("no-such-user").await.expect("patch");
        assert!(!gone.value, "{}: 404 means already gone", imp.name());
        assert_eq!(gone.status, 404);
        let deleted = c.delete(&id).await.expect("delete");
        assert!(deleted.value, "{}", imp.name());
        assert_eq!(
            c.get(&id).await.expect("read back").value,
            None,
            "{}",
            imp.name()
        );
        assert!(
            !c.delete(&id).await.expect("delete again").value,
            "{}",
            imp.name()
        );
    }
}

#[tokio::test]
async fn a_wrong_token_is_refused_as_unauthorized_on_both() {
    for imp in Implementation::BOTH {
        let s = server(imp).await;
        let c = ScimClient::new(
            s.base_url.parse().expect("url"),
            Credential::Bearer("not-the-token".to_owned().into()),
            quick(),
        )
        .expect("client");
        let err = c
            .find(&UserFilter::UserName("ada@contoso.com".into()))
            .await
            .expect_err("refused");
        assert!(
            matches!(err, ScimError::Unauthorized { status: 401, .. }),
            "{}: {err:?}",
            imp.name()
        );
        assert!(!err.to_string().contains("not-the-token"), "{err}");
    }
}

#[tokio::test]
async fn throttling_is_waited_out_in_process_or_handed_back_to_a_queue_worker() {
    for imp in Implementation::BOTH {
        let s = server(imp).await;
        let id = s
            .seed(user("ada@contoso.com", "E100", "ada@contoso.com", true))
            .await
            .expect("seed");
        let proxy = ScimProxy::start(&s.origin).await.expect("proxy");
        let base = s.base_url_via(&proxy.url());

        // In-process: two 429s with Retry-After: 1, then the PATCH goes through.
        proxy.throttle_next(2, 1);
        let c = client(&base, quick());
        assert!(c.deactivate(&id).await.expect("after the wait").value);
        let statuses: Vec<_> = proxy.seen().iter().map(|r| r.status).collect();
        assert_eq!(&statuses[..2], [429, 429], "{}", imp.name());
        assert!(
            matches!(statuses[2], 200 | 204),
            "{}: {statuses:?}",
            imp.name()
        );

        // A queue worker never sleeps on it: the delay comes back to re-enqueue the step.
        proxy.throttle_next(1, 7);
        let worker = client(&base, ScimClientOptions::for_queue_workers());
        match worker.get(&id).await {
            Err(ScimError::Throttled {
                retry_after,
                status,
                detail,
            }) => {
                assert_eq!((retry_after, status), (Duration::from_secs(7), 429));
                assert!(detail.contains("rate limit exceeded"), "{detail}");
            }
            other => panic!("{}: {other:?}", imp.name()),
        }
        // The next request goes through again.
        let back = worker.get(&id).await.expect("after the throttle").value;
        assert_eq!(back.and_then(|u| u.active), Some(false));
    }
}

#[tokio::test]
async fn server_errors_are_retried_and_refusals_quote_the_system() {
    let s = server(Implementation::Scimmy).await;
    let id = s
        .seed(user("ada@contoso.com", "E100", "ada@contoso.com", true))
        .await
        .expect("seed");
    let proxy = ScimProxy::start(&s.origin).await.expect("proxy");
    let c = client(&s.base_url_via(&proxy.url()), quick());

    // A 502 and a 500, then the real answer: retried in-process.
    proxy.answer_next(502, None, "bad gateway");
    proxy.answer_next(500, None, "internal error");
    assert!(c.deactivate(&id).await.expect("third attempt").value);

    // Out of attempts: transient, for the engine to back off.
    for _ in 0..3 {
        proxy.answer_next(503, None, "maintenance");
    }
    let err = c.deactivate(&id).await.expect_err("still failing");
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("maintenance"), "{err}");

    // 409 and 400 are refusals that say what the system answered.
    proxy.answer_next(409, None, "user is the last owner of the org");
    let err = c.deactivate(&id).await.expect_err("refused");
    assert!(!err.is_retryable());
    assert!(
        matches!(err, ScimError::Refused { status: 409, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("last owner of the org"), "{err}");
    proxy.answer_next(400, None, "active is read-only for this user");
    let err = c.delete(&id).await.expect_err("refused");
    assert!(
        matches!(err, ScimError::Refused { status: 400, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_system_that_is_down_is_a_transient_failure_after_the_retries() {
    for imp in Implementation::BOTH {
        let mut s = server(imp).await;
        let id = s
            .seed(user("ada@contoso.com", "E100", "ada@contoso.com", true))
            .await
            .expect("seed");
        s.stop().await;
        let c = client(&s.base_url, quick());
        let err = c.deactivate(&id).await.expect_err("down");
        assert!(
            matches!(err, ScimError::Transient { status: None, .. }),
            "{}: {err:?}",
            imp.name()
        );
        assert!(err.to_string().contains("could not connect"), "{err}");
    }
}
