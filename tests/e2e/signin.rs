//! Signing in with Entra ID through the local Functions host: a GRC tool's bearer token, and a
//! browser's sign-in (redirect, the stand-in's sign-in page, `form_post` back, session cookie),
//! against the local Entra ID stand-in. The compliance API does not require it yet (issue 19).

use offboard_api::Me;
use offboard_service::settings;
use offboard_testkit::{Backend, SimConfig, TestApp, spawn_app, spawn_app_with};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use standin_entra::{EntraConfig, EntraHandle};
use standin_tenant::demo::DEMO_TENANT_ID;

const APP: &str = "0f1e2d3c-2222-4b5a-9c8d-7e6f5a4b3c2d";
const SESSION_KEY: &str = "c2Vzc2lvbi1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXMhIQ==";

async fn app_with_signin() -> (TestApp, EntraHandle) {
    let entra = EntraHandle::spawn(EntraConfig::sample(DEMO_TENANT_ID, APP))
        .await
        .expect("the Entra ID stand-in starts");
    let authority = entra.authority_host();
    let app = spawn_app_with(Backend::Embedded, SimConfig::default(), |s| {
        s.insert(settings::OFFBOARD_SIGNIN_CLIENT_ID.into(), APP.into());
        s.insert(settings::OFFBOARD_SIGNIN_AUTHORITY.into(), authority);
        s.insert(
            settings::OFFBOARD_SIGNIN_SESSION_KEY.into(),
            SESSION_KEY.into(),
        );
    })
    .await;
    (app, entra)
}

/// A client that shows redirects instead of following them, as the test plays the browser.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client")
}

/// `name=value` of the `Set-Cookie` named `name`, as a browser would send it back.
fn cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// A hidden input's value on the stand-in's `form_post` page.
fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let rest = &page[page.find(&marker)? + marker.len()..];
    Some(rest[..rest.find('"')?].replace("&amp;", "&"))
}

async fn problem(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    (
        status,
        body["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_bearer_token_names_the_caller_and_a_bad_one_says_why_it_was_refused() {
    let (app, entra) = app_with_signin().await;
    let me = format!("{}/api/me", app.base_url());
    let token = entra
        .user_access_token("otto.operator@contoso.example", &["Offboard.Operator"])
        .unwrap();
    let resp = browser().get(&me).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let who: Me = resp.json().await.unwrap();
    assert_eq!(
        who.user_principal_name.as_deref(),
        Some("otto.operator@contoso.example")
    );
    assert_eq!(who.roles, vec!["Offboard.Operator"]);
    assert_eq!(
        (who.kind.as_str(), who.signed_in_with.as_str()),
        ("person", "bearer")
    );
    assert_eq!(who.tenant_id, DEMO_TENANT_ID);

    let mut claims = entra.signer().base_claims("someone");
    claims["aud"] = serde_json::json!("another-app");
    let other_app = entra.signer().sign(&claims).unwrap();
    let (status, detail) = problem(
        browser()
            .get(&me)
            .bearer_auth(&other_app)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert!(detail.contains("another application"), "{detail}");
    assert!(
        !detail.contains(&other_app),
        "the answer never quotes the token"
    );

    let (status, detail) = problem(browser().get(&me).send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert!(detail.contains("/api/signin"), "{detail}");
    let log = app.handler_log();
    assert!(
        !log.contains(&token) && !log.contains(&other_app),
        "no token in the logs"
    );
}

#[tokio::test]
async fn a_browser_signs_in_through_entra_id_and_its_session_names_the_person() {
    let (app, entra) = app_with_signin().await;
    let b = browser();
    let start = b
        .get(format!("{}/api/signin?returnTo=/api/cases", app.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 302);
    let pending = cookie(&start, "__Host-offboard-signin").expect("a sign-in cookie");
    let set = start.headers().get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=None"));
    let authorize = url::Url::parse(start.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert!(authorize.as_str().starts_with(&entra.authority_host()));
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(
        q["redirect_uri"],
        format!("{}/api/signin/callback", app.base_url())
    );
    assert_eq!(
        (q["response_type"].as_str(), q["response_mode"].as_str()),
        ("id_token", "form_post")
    );

    // The stand-in's sign-in page, then the person and role chosen on it.
    assert_eq!(
        b.get(authorize.as_str()).send().await.unwrap().status(),
        200
    );
    let mut choice: Vec<(String, String)> = q.clone().into_iter().collect();
    choice.push(("login_hint".into(), "ada.auditor@contoso.example".into()));
    choice.push(("role".into(), "Offboard.Auditor".into()));
    let page = b
        .post(authorize.as_str().split('?').next().unwrap())
        .form(&choice)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id_token = hidden(&page, "id_token").expect("the form_post page carries an id_token");
    let state = hidden(&page, "state").expect("and the state");
    let callback = format!("{}/api/signin/callback", app.base_url());

    // An answer whose state is not this browser's sign-in is refused (login forgery).
    let forged = b
        .post(&callback)
        .header(COOKIE, &pending)
        .form(&[
            ("id_token", id_token.as_str()),
            ("state", "someone-elses-state"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(problem(forged).await.0, 401);
    // Without the sign-in cookie there is nothing to finish.
    let cookieless = b
        .post(&callback)
        .form(&[("id_token", id_token.as_str()), ("state", state.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(problem(cookieless).await.0, 401);

    let done = b
        .post(&callback)
        .header(COOKIE, &pending)
        .form(&[("id_token", id_token.as_str()), ("state", state.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()[LOCATION], "/api/cases");
    let session = cookie(&done, "__Host-offboard-session").expect("a session cookie");
    let me: Me = b
        .get(format!("{}/api/me", app.base_url()))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me.user_principal_name.as_deref(),
        Some("ada.auditor@contoso.example")
    );
    assert_eq!(
        (me.roles, me.signed_in_with.as_str()),
        (vec!["Offboard.Auditor".to_owned()], "session")
    );

    // Signing out clears the cookie.
    let out = b
        .post(format!("{}/api/signout", app.base_url()))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(
        cookie(&out, "__Host-offboard-session").as_deref(),
        Some("__Host-offboard-session=")
    );
}

#[tokio::test]
async fn a_person_without_a_role_or_a_foreign_return_path_gets_no_session() {
    let (app, entra) = app_with_signin().await;
    let b = browser();
    let foreign = b
        .get(format!(
            "{}/api/signin?returnTo=//evil.example/",
            app.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(foreign).await.0, 400);

    let start = b
        .get(format!("{}/api/signin", app.base_url()))
        .send()
        .await
        .unwrap();
    let pending = cookie(&start, "__Host-offboard-signin").unwrap();
    let authorize = url::Url::parse(start.headers()[LOCATION].to_str().unwrap()).unwrap();
    let mut choice: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    choice.push(("login_hint".into(), "otto.operator@contoso.example".into()));
    let page = b
        .post(format!(
            "{}/{DEMO_TENANT_ID}/oauth2/v2.0/authorize",
            entra.authority_host()
        ))
        .form(&choice)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = b
        .post(format!("{}/api/signin/callback", app.base_url()))
        .header(COOKIE, &pending)
        .form(&[
            ("id_token", hidden(&page, "id_token").unwrap()),
            ("state", hidden(&page, "state").unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert!(cookie(&resp, "__Host-offboard-session").is_none());
    let (status, detail) = problem(resp).await;
    assert_eq!(status, 403);
    assert!(
        detail.contains("neither Offboard.Auditor nor Offboard.Operator"),
        "{detail}"
    );
}

#[tokio::test]
async fn without_an_app_registration_sign_in_says_which_setting_turns_it_on() {
    let app = spawn_app(Backend::Embedded).await;
    let (status, detail) = problem(
        browser()
            .get(format!("{}/api/me", app.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 503);
    assert!(detail.contains("OFFBOARD_SIGNIN_CLIENT_ID"), "{detail}");
}
