//! Notification sinks against real receivers: a local HTTP server that records every request
//! (standing in for a Teams webhook and a Standard Webhooks receiver) and the tenant simulator
//! for Graph `sendMail`. Every test goes through `Sinks::from_settings`, the path the `notify`
//! function takes.

use std::collections::VecDeque;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use azure_core::credentials::TokenCredential;
use chrono::{TimeZone, Utc};
use offboard_core::CaseId;
use offboard_core::notify::{Notification, NotificationKind};
use offboard_core::signature::{WebhookSecret, verify_standard_webhooks};
use offboard_graph::{GraphClient, GraphClientOptions};
use offboard_service::settings::{
    MailSettings, NotifySettings, OFFBOARD_NOTIFY_MAIL_FROM,
    OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET, OFFBOARD_NOTIFY_WEBHOOK_SECRET,
};
use offboard_service::sinks::{SinkError, Sinks, case_link, webhook_id};
use secrecy::SecretString;
use serde_json::Value;
use standin_tenant::demo::ids;
use standin_tenant::{SimConfig, SimHandle, TenantSim};
use warp::Filter;

const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const WEBHOOK_KEY_B64: &str = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TEAMS_SIG: &str = "tEaMsSiGnAtUrE0123456789";

// ---------------------------------------------------------------------------------------------
// A receiver that records requests and answers from a script
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Recorded {
    path: String,
    query: String,
    headers: warp::http::HeaderMap,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: String,
    retry_after: Option<&'static str>,
}

fn answer(status: u16, body: &str) -> Answer {
    Answer {
        status,
        body: body.to_owned(),
        retry_after: None,
    }
}

#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
}

impl Receiver {
    /// Serves on 127.0.0.1; answers from the script, then with `default`.
    async fn spawn(default: Answer) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let (log, queue) = (requests.clone(), script.clone());
        let route = warp::post()
            .and(warp::path::full())
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .map(
                move |path: warp::path::FullPath,
                      query: String,
                      headers: warp::http::HeaderMap,
                      body: bytes::Bytes| {
                    log.lock().unwrap().push(Recorded {
                        path: path.as_str().to_owned(),
                        query,
                        headers,
                        body: body.to_vec(),
                    });
                    let a = queue
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or_else(|| default.clone());
                    let mut rsp = warp::http::Response::builder().status(a.status);
                    if let Some(r) = a.retry_after {
                        rsp = rsp.header("Retry-After", r);
                    }
                    rsp.body(a.body).unwrap()
                },
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Self {
            addr,
            requests,
            script,
        }
    }

    fn then(&self, a: Answer) -> &Self {
        self.script.lock().unwrap().push_back(a);
        self
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }
}

/// A Teams receiver answering like Workflows (202, empty body) and its secret URL.
async fn teams_receiver() -> (Receiver, String) {
    let r = Receiver::spawn(answer(202, "")).await;
    let url = r.url(&format!(
        "/workflows/4d2a/triggers/manual/paths/invoke?api-version=2016-06-01&sig={TEAMS_SIG}"
    ));
    (r, url)
}

fn teams_settings(url: &str) -> NotifySettings {
    NotifySettings {
        teams_webhook_url: Some(SecretString::from(url.to_owned())),
        ..Default::default()
    }
}

fn webhook_settings(r: &Receiver) -> NotifySettings {
    NotifySettings {
        webhook_url: Some(url::Url::parse(&r.url("/hooks/offboard")).unwrap()),
        webhook_secret: Some(SecretString::from(WEBHOOK_SECRET)),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Notifications, the tenant simulator, log capture
// ---------------------------------------------------------------------------------------------

fn notification() -> Notification {
    let case_id = CaseId::derive("bamboohr", "evt-7731");
    Notification {
        recipients: Vec::new(),
        kind: NotificationKind::StepFailed,
        key: format!("{case_id}:StepFailed:block-sign-in:1"),
        leaver: "Adele Vance".into(),
        what: "step block-sign-in failed: 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.".into(),
        action: format!(
            "Fix the cause, then retry: POST /api/cases/{case_id}/steps/block-sign-in/retry (open items: GET /api/remediations)."
        ),
        at: Utc.with_ymd_and_hms(2025, 3, 1, 9, 30, 0).unwrap(),
        case_id,
    }
}

use standin_identity::EndpointCredential as SimCredential;

async fn tenant() -> (SimHandle, GraphClient, Arc<SimCredential>) {
    let sim = TenantSim::spawn(SimConfig::default()).await.unwrap();
    let credential =
        Arc::new(SimCredential::new(sim.identity_endpoint(), sim.identity_header()).unwrap());
    let graph = GraphClient::new(
        sim.graph_base(),
        credential.clone(),
        GraphClientOptions::default(),
    )
    .unwrap();
    (sim, graph, credential)
}

fn mail_settings() -> MailSettings {
    MailSettings {
        from: ids::GRADY.into(),
        to: vec!["MeganB@contoso.com".into(), "compliance@contoso.com".into()],
    }
}

/// Everything logged on this thread (the test runtime's only thread) while the guard lives.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The facts of the Teams card as (title, value).
fn card_facts(card: &Value) -> Vec<(String, String)> {
    card.pointer("/attachments/0/content/body")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "FactSet")
        .flat_map(|e| e["facts"].as_array().unwrap().clone())
        .map(|f| {
            (
                f["title"].as_str().unwrap().to_owned(),
                f["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Teams
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn teams_gets_an_adaptive_card_naming_the_leaver_what_failed_and_what_to_do() {
    let (teams, url) = teams_receiver().await;
    let sinks = Sinks::from_settings(&teams_settings(&url), None).unwrap();
    assert_eq!(sinks.names(), vec!["teams"]);
    let n = notification();

    let done = sinks.deliver(&n).await.unwrap();
    assert_eq!(done.sent, vec!["teams"]);

    let reqs = teams.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.path, "/workflows/4d2a/triggers/manual/paths/invoke");
    assert!(
        req.query.contains(&format!("sig={TEAMS_SIG}")),
        "posted to the URL as configured"
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    let card = req.json();
    assert_eq!(card["type"], "message");
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let content = &card["attachments"][0]["content"];
    assert_eq!(content["type"], "AdaptiveCard");
    assert_eq!(content["version"], "1.2");
    assert_eq!(
        content["body"][0]["text"],
        "Offboarding step failed: Adele Vance"
    );
    let facts = card_facts(&card);
    let fact = |t: &str| {
        facts
            .iter()
            .find(|(title, _)| title == t)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no fact {t} in {facts:?}"))
    };
    assert_eq!(fact("Leaver"), "Adele Vance");
    assert_eq!(fact("What failed"), n.what);
    assert_eq!(fact("What to do"), n.action);
    assert_eq!(fact("Case"), n.case_id.as_str());
    assert_eq!(fact("Link"), format!("/api/cases/{}", n.case_id.as_str()));
    assert_eq!(fact("When"), "2025-03-01T09:30:00Z");
}

#[tokio::test]
async fn teams_answers_are_read_as_teams_means_them() {
    let (teams, url) = teams_receiver().await;
    let sinks = Sinks::from_settings(&teams_settings(&url), None).unwrap();
    let n = notification();
    let failure = |r: Result<_, offboard_service::sinks::DeliveryError>| {
        let e = r.unwrap_err();
        assert_eq!(e.failures.len(), 1);
        e.failures[0].clone()
    };

    // A legacy Incoming Webhook hides Teams' throttling inside a 200.
    teams.then(answer(
        200,
        "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production",
    ));
    let e = failure(sinks.deliver(&n).await);
    assert!(e.is_transient(), "{e}");
    assert!(e.to_string().contains("HTTP 429"), "{e}");

    // ... and its refusals too.
    teams.then(answer(
        200,
        "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 400 with ContextId tcid=1",
    ));
    let e = failure(sinks.deliver(&n).await);
    assert!(!e.is_transient(), "{e}");

    // Workflows throttling with Retry-After.
    teams.then(Answer {
        status: 429,
        body: String::new(),
        retry_after: Some("7"),
    });
    let e = failure(sinks.deliver(&n).await);
    assert!(matches!(
        e,
        SinkError::Transient { retry_after: Some(d), .. } if d.as_secs() == 7
    ));

    // A deleted webhook: permanent, and the message says what to do.
    teams.then(answer(404, r#"{"error":{"code":"TriggerNotFound"}}"#));
    let e = failure(sinks.deliver(&n).await);
    assert!(!e.is_transient());
    assert!(
        e.to_string()
            .contains(OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET),
        "{e}"
    );

    // A legacy success ("1") is a success.
    teams.then(answer(200, "1"));
    assert_eq!(sinks.deliver(&n).await.unwrap().sent, vec!["teams"]);
    assert_eq!(teams.requests().len(), 5);
}

// ---------------------------------------------------------------------------------------------
// Signed webhook
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_webhook_is_signed_per_standard_webhooks_and_carries_the_notification() {
    let hook = Receiver::spawn(answer(204, "")).await;
    let sinks = Sinks::from_settings(&webhook_settings(&hook), None).unwrap();
    let n = notification();

    assert_eq!(sinks.deliver(&n).await.unwrap().sent, vec!["webhook"]);

    let reqs = hook.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.path, "/hooks/offboard");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("webhook-id"), Some(n.key.as_str()));
    let secret = WebhookSecret::parse(WEBHOOK_SECRET).unwrap();
    let verify = |body: &[u8]| {
        verify_standard_webhooks(
            &secret,
            body,
            req.header("webhook-id"),
            req.header("webhook-timestamp"),
            req.header("webhook-signature"),
            Utc::now(),
        )
    };
    verify(&req.body).expect("the receiver's Standard Webhooks check passes");
    let mut tampered = req.body.clone();
    tampered[10] ^= 1;
    assert!(verify(&tampered).is_err(), "the signature covers the body");
    let other = WebhookSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
    assert!(
        verify_standard_webhooks(
            &other,
            &req.body,
            req.header("webhook-id"),
            req.header("webhook-timestamp"),
            req.header("webhook-signature"),
            Utc::now(),
        )
        .is_err(),
        "and is made with the configured secret"
    );

    let body = req.json();
    assert_eq!(body["type"], "offboard.notification.step_failed");
    assert_eq!(body["timestamp"], "2025-03-01T09:30:00.000Z");
    let data = &body["data"];
    assert_eq!(data["leaver"], "Adele Vance");
    assert_eq!(data["whatLabel"], "What failed");
    assert_eq!(data["what"], n.what.as_str());
    assert_eq!(data["action"], n.action.as_str());
    assert_eq!(data["caseId"], n.case_id.as_str());
    assert_eq!(data["link"], case_link(&n.case_id).as_str());
    assert_eq!(data["key"], n.key.as_str());
}

#[tokio::test]
async fn a_webhook_without_its_secret_fails_each_delivery_naming_the_setting() {
    let hook = Receiver::spawn(answer(204, "")).await;
    let mut settings = webhook_settings(&hook);
    settings.webhook_secret = None;
    let sinks = Sinks::from_settings(&settings, None).unwrap();

    let err = sinks.deliver(&notification()).await.unwrap_err();
    assert!(!err.is_transient(), "retrying cannot help: {err}");
    assert!(
        err.to_string().contains(OFFBOARD_NOTIFY_WEBHOOK_SECRET),
        "{err}"
    );
    assert!(hook.requests().is_empty(), "nothing unsigned is sent");

    let mut bad = webhook_settings(&hook);
    bad.webhook_secret = Some(SecretString::from("whsec_!!not-base64!!"));
    let err = Sinks::from_settings(&bad, None)
        .unwrap()
        .deliver(&notification())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(OFFBOARD_NOTIFY_WEBHOOK_SECRET),
        "{err}"
    );
    assert!(!err.to_string().contains("not-base64"), "{err}");
    assert!(hook.requests().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Email through Graph
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn email_goes_out_through_graph_send_mail_from_the_configured_mailbox() {
    let (sim, graph, _) = tenant().await;
    let settings = NotifySettings {
        mail: Some(mail_settings()),
        ..Default::default()
    };
    let sinks = Sinks::from_settings(&settings, Some(graph)).unwrap();
    let n = notification();

    assert_eq!(sinks.deliver(&n).await.unwrap().sent, vec!["email"]);

    let sent = sim.state().sent_mail;
    assert_eq!(sent.len(), 1);
    let mail = &sent[0];
    assert_eq!(mail.from, "GradyA@contoso.com");
    assert_eq!(
        mail.to,
        vec!["MeganB@contoso.com", "compliance@contoso.com"]
    );
    assert_eq!(
        mail.subject,
        "[offboard] Offboarding step failed: Adele Vance"
    );
    for needle in [
        "Leaver: Adele Vance",
        &format!("What failed: {}", n.what),
        &format!("What to do: {}", n.action),
        &format!("Case: {}", n.case_id.as_str()),
        &format!("Link: /api/cases/{}", n.case_id.as_str()),
    ] {
        assert!(
            mail.body.contains(needle),
            "{needle:?} not in {}",
            mail.body
        );
    }
    let calls: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/sendMail"))
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "POST");
    assert_eq!(calls[0].path, format!("/users/{}/sendMail", ids::GRADY));
    assert_eq!(calls[0].status, 202);
}

#[tokio::test]
async fn email_failures_are_classified_and_mail_needs_a_graph_client() {
    let (sim, graph, _) = tenant().await;
    // Graph times out at the gateway: ambiguous for a non-idempotent sendMail, so the client
    // does not repeat it and the sink reports it transient (the host retries the message).
    sim.inject_faults(1, 504);
    let settings = NotifySettings {
        mail: Some(mail_settings()),
        ..Default::default()
    };
    let sinks = Sinks::from_settings(&settings, Some(graph.clone())).unwrap();
    let err = sinks.deliver(&notification()).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(sim.state().sent_mail.is_empty());

    // A sender with no mailbox: permanent, naming the setting.
    let mut no_mailbox = mail_settings();
    no_mailbox.from = "nobody@contoso.com".into();
    let sinks = Sinks::from_settings(
        &NotifySettings {
            mail: Some(no_mailbox),
            ..Default::default()
        },
        Some(graph),
    )
    .unwrap();
    let err = sinks.deliver(&notification()).await.unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(err.to_string().contains(OFFBOARD_NOTIFY_MAIL_FROM), "{err}");

    let err = Sinks::from_settings(&settings, None).unwrap_err();
    assert_eq!(err.name, OFFBOARD_NOTIFY_MAIL_FROM);
}

// ---------------------------------------------------------------------------------------------
// Fan-out, retry and idempotency
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_transient_failure_fails_the_delivery_and_the_retry_sends_only_what_is_missing() {
    let (teams, teams_url) = teams_receiver().await;
    let hook = Receiver::spawn(answer(200, "ok")).await;
    let (sim, graph, _) = tenant().await;
    let settings = NotifySettings {
        mail: Some(mail_settings()),
        ..NotifySettings {
            teams_webhook_url: teams_settings(&teams_url).teams_webhook_url,
            ..webhook_settings(&hook)
        }
    };
    let sinks = Sinks::from_settings(&settings, Some(graph)).unwrap();
    assert_eq!(sinks.names(), vec!["teams", "webhook", "email"]);
    let n = notification();

    // The webhook receiver is down once.
    hook.then(Answer {
        status: 503,
        body: "maintenance".into(),
        retry_after: Some("3"),
    });
    let err = sinks.deliver(&n).await.unwrap_err();
    assert!(err.is_transient(), "the host must retry the message: {err}");
    assert_eq!(err.failures.len(), 1);
    assert_eq!(err.failures[0].sink(), "webhook");
    assert_eq!(err.retry_after().map(|d| d.as_secs()), Some(3));
    assert_eq!(err.delivered, vec!["teams", "email"]);

    // The host retries the same message.
    let done = sinks.deliver(&n).await.unwrap();
    assert_eq!(done.sent, vec!["webhook"]);
    assert_eq!(done.already_sent, vec!["teams", "email"]);

    // Teams and the mailbox saw it once; the webhook twice, with one id and two valid signatures.
    assert_eq!(teams.requests().len(), 1);
    assert_eq!(sim.state().sent_mail.len(), 1);
    let attempts = hook.requests();
    assert_eq!(attempts.len(), 2);
    let secret = WebhookSecret::parse(WEBHOOK_SECRET).unwrap();
    for a in &attempts {
        assert_eq!(a.header("webhook-id"), Some(webhook_id(&n.key).as_str()));
        verify_standard_webhooks(
            &secret,
            &a.body,
            a.header("webhook-id"),
            a.header("webhook-timestamp"),
            a.header("webhook-signature"),
            Utc::now(),
        )
        .unwrap();
    }
    assert_eq!(attempts[0].body, attempts[1].body, "the same event");

    // A duplicate of the message (the engine sent it twice) sends nothing.
    let again = sinks.deliver(&n).await.unwrap();
    assert!(again.sent.is_empty());
    assert_eq!(again.already_sent.len(), 3);
    assert_eq!(teams.requests().len(), 1);
    assert_eq!(hook.requests().len(), 2);
    assert_eq!(sim.state().sent_mail.len(), 1);

    // Another notification is a new key: delivered everywhere.
    let mut next = notification();
    next.kind = NotificationKind::CaseCompletedWithExceptions;
    next.key = format!("{}:CaseCompletedWithExceptions:completed:9", next.case_id);
    assert_eq!(sinks.deliver(&next).await.unwrap().sent.len(), 3);
}

#[tokio::test]
async fn a_permanent_failure_is_reported_as_not_worth_retrying() {
    let (teams, teams_url) = teams_receiver().await;
    let hook = Receiver::spawn(answer(410, "")).await;
    let settings = NotifySettings {
        teams_webhook_url: teams_settings(&teams_url).teams_webhook_url,
        ..webhook_settings(&hook)
    };
    let sinks = Sinks::from_settings(&settings, None).unwrap();
    let err = sinks.deliver(&notification()).await.unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(err.to_string().contains("410 Gone"), "{err}");
    assert_eq!(err.delivered, vec!["teams"]);
    assert_eq!(teams.requests().len(), 1);
}

#[tokio::test]
async fn with_no_sink_the_notification_is_logged_and_says_nobody_was_told() {
    let (logs, _guard) = Logs::capture();
    let sinks = Sinks::from_settings(&NotifySettings::default(), None).unwrap();
    assert!(sinks.is_empty());
    let n = notification();

    let done = sinks.deliver(&n).await.unwrap();
    assert!(done.sent.is_empty() && done.already_sent.is_empty());
    assert_eq!(
        done.describe(),
        "no notification sink is configured; the notification was logged only"
    );

    let text = logs.text();
    assert!(
        text.contains("no notification sink is configured"),
        "{text}"
    );
    for needle in [
        "WARN",
        "Adele Vance",
        n.what.as_str(),
        n.action.as_str(),
        n.case_id.as_str(),
    ] {
        assert!(text.contains(needle), "{needle:?} not logged: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets stay out of logs and errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn no_secret_token_or_signature_appears_in_logs_or_errors() {
    let (logs, _guard) = Logs::capture();
    let mut errors: Vec<String> = Vec::new();
    let n = notification();

    // Teams refusing (500 with an answer), then unreachable (a closed port).
    let (teams, teams_url) = teams_receiver().await;
    teams.then(answer(500, "internal error"));
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let unreachable_url =
        format!("http://127.0.0.1:{closed}/webhookb2/x/IncomingWebhook/y?sig={TEAMS_SIG}");
    // The webhook refusing the signature.
    let hook = Receiver::spawn(answer(401, "bad signature")).await;
    // Graph refusing the sender.
    let (_sim, graph, credential) = tenant().await;
    let token = credential
        .get_token(&["https://graph.microsoft.com/.default"], None)
        .await
        .unwrap();
    let token = token.token.secret().to_owned();
    assert!(token.len() > 20);
    let mut mail = mail_settings();
    mail.from = "nobody@contoso.com".into();

    for settings in [
        NotifySettings {
            teams_webhook_url: teams_settings(&teams_url).teams_webhook_url,
            mail: Some(mail),
            ..webhook_settings(&hook)
        },
        teams_settings(&unreachable_url),
        teams_settings(&format!("ftp://127.0.0.1/x?sig={TEAMS_SIG}")),
    ] {
        errors.push(format!("{settings:?}"));
        let sinks = Sinks::from_settings(&settings, Some(graph.clone())).unwrap();
        errors.push(format!("{sinks:?}"));
        let err = sinks.deliver(&n).await.unwrap_err();
        errors.push(err.to_string());
        errors.push(format!("{err:?}"));
        for f in &err.failures {
            errors.push(f.to_string());
        }
    }
    assert_eq!(hook.requests().len(), 1, "the webhook was really called");
    assert_eq!(teams.requests().len(), 1, "Teams was really called");

    let all = format!("{}\n{}", errors.join("\n"), logs.text());
    assert!(
        all.contains("could not connect"),
        "the unreachable case ran: {all}"
    );
    assert!(all.contains("HTTP 401"), "the refused signature ran: {all}");
    let signature = hook.requests()[0]
        .header("webhook-signature")
        .unwrap()
        .trim_start_matches("v1,")
        .to_owned();
    for secret in [
        TEAMS_SIG,
        teams_url.as_str(),
        unreachable_url.as_str(),
        WEBHOOK_SECRET,
        WEBHOOK_KEY_B64,
        signature.as_str(),
        token.as_str(),
    ] {
        assert!(!all.contains(secret), "{secret:?} leaked into:\n{all}");
    }
}
