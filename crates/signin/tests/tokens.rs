//! Token validation against the local Entra ID stand-in, over HTTP: what is let in, what is
//! refused and why, and the sign-in page's round trip.

use chrono::{Duration, Utc};
use offboard_signin::{
    Principal, PrincipalKind, Role, SESSION_COOKIE, Session, SessionKey, SigninError,
    SigninSettings, TokenUse, TokenValidator,
};
use serde_json::json;
use standin_entra::{EntraConfig, EntraHandle};

const TENANT: &str = "9d2b1c3e-1111-4a2b-8c3d-4e5f6a7b8c9d";
const APP: &str = "0f1e2d3c-2222-4b5a-9c8d-7e6f5a4b3c2d";

async fn entra() -> EntraHandle {
    EntraHandle::spawn(EntraConfig::sample(TENANT, APP))
        .await
        .expect("the stand-in starts")
}

fn validator(e: &EntraHandle) -> TokenValidator {
    TokenValidator::new(
        SigninSettings {
            authority_host: e.authority_host(),
            tenant_id: TENANT.into(),
            client_id: APP.into(),
        },
        reqwest::Client::new(),
    )
}

fn person_claims(e: &EntraHandle) -> serde_json::Value {
    let mut c = e
        .signer()
        .base_claims("6f1c2d4e-0a11-4b7e-9c55-a1d2e3f40001");
    c["preferred_username"] = json!("ada.auditor@contoso.example");
    c["scp"] = json!("access_as_user");
    c["roles"] = json!(["Offboard.Auditor"]);
    c
}

async fn refused(v: &TokenValidator, token: &str) -> SigninError {
    match v.validate(token, TokenUse::Access).await {
        Ok(p) => panic!("expected a refusal, let in {p:?}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn a_persons_token_names_them_and_their_roles() {
    let e = entra().await;
    let token = e
        .user_access_token(
            "otto.operator@contoso.example",
            &["Offboard.Operator", "Some.Other.Role"],
        )
        .unwrap();
    let p: Principal = validator(&e)
        .validate(&token, TokenUse::Access)
        .await
        .unwrap();
    assert_eq!(p.kind, PrincipalKind::Person);
    assert_eq!(p.object_id, "6f1c2d4e-0a11-4b7e-9c55-a1d2e3f40002");
    assert_eq!(
        p.user_principal_name.as_deref(),
        Some("otto.operator@contoso.example")
    );
    assert_eq!(p.tenant_id, TENANT);
    assert_eq!(
        p.roles.iter().copied().collect::<Vec<_>>(),
        vec![Role::Operator]
    );
    assert!(p.may(Role::Auditor) && p.may(Role::Operator));
    assert_eq!(
        p.describe(),
        "otto.operator@contoso.example (6f1c2d4e-0a11-4b7e-9c55-a1d2e3f40002)"
    );
}

#[tokio::test]
async fn an_application_gets_a_token_with_client_credentials_and_is_named_as_one() {
    let e = entra().await;
    let http = reqwest::Client::new();
    let token_url = format!("{}/{TENANT}/oauth2/v2.0/token", e.authority_host());
    let client = &EntraConfig::sample(TENANT, APP).clients[0];
    let form = |secret: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", client.client_id.clone()),
            ("client_secret", secret.to_owned()),
            ("scope", format!("api://{APP}/.default")),
        ]
    };
    let wrong = http
        .post(&token_url)
        .form(&form("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215")
    );

    let ok: serde_json::Value = http
        .post(&token_url)
        .form(&form(&client.secret))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = ok["access_token"].as_str().unwrap();
    let p = validator(&e)
        .validate(token, TokenUse::Access)
        .await
        .unwrap();
    assert_eq!(p.kind, PrincipalKind::Application);
    assert_eq!(p.user_principal_name, None);
    assert_eq!(p.app_id.as_deref(), Some(client.client_id.as_str()));
    assert!(p.may(Role::Auditor) && !p.may(Role::Operator));
}

#[tokio::test]
async fn expired_foreign_misaddressed_and_old_tokens_are_refused() {
    let e = entra().await;
    let v = validator(&e);
    let sign = |mutate: &dyn Fn(&mut serde_json::Value)| {
        let mut c = person_claims(&e);
        mutate(&mut c);
        e.signer().sign(&c).unwrap()
    };
    let now = Utc::now().timestamp();
    // Beyond the five minutes of clock skew.
    let expired = sign(&|c| {
        c["exp"] = json!(now - 600);
        c["nbf"] = json!(now - 4200);
    });
    assert!(
        matches!(refused(&v, &expired).await, SigninError::Invalid(m) if m.contains("expired"))
    );
    let not_yet = sign(&|c| c["nbf"] = json!(now + 900));
    assert!(matches!(
        refused(&v, &not_yet).await,
        SigninError::Invalid(_)
    ));
    let other_app = sign(&|c| c["aud"] = json!("00000003-0000-0000-c000-000000000000"));
    assert!(
        matches!(refused(&v, &other_app).await, SigninError::Invalid(m) if m.contains("another application"))
    );
    let other_issuer = sign(&|c| c["iss"] = json!("https://sts.windows.net/x/"));
    assert!(
        matches!(refused(&v, &other_issuer).await, SigninError::Invalid(m) if m.contains("another authority"))
    );
    let other_tenant = sign(&|c| c["tid"] = json!("11111111-2222-3333-4444-555555555555"));
    assert!(
        matches!(refused(&v, &other_tenant).await, SigninError::Invalid(m) if m.contains("another tenant"))
    );
    let v1 = sign(&|c| c["ver"] = json!("1.0"));
    assert!(matches!(refused(&v, &v1).await, SigninError::Invalid(m) if m.contains("v2.0")));
    let no_oid = sign(&|c| {
        c.as_object_mut().unwrap().remove("oid");
    });
    assert!(matches!(
        refused(&v, &no_oid).await,
        SigninError::Invalid(_)
    ));
}

#[tokio::test]
async fn a_changed_claim_a_foreign_algorithm_or_an_unknown_key_is_refused() {
    let e = entra().await;
    let v = validator(&e);
    let good = e.signer().sign(&person_claims(&e)).unwrap();
    v.validate(&good, TokenUse::Access).await.unwrap();

    // Raise the roles without the key: the signature no longer matches.
    let parts: Vec<&str> = good.split('.').collect();
    let mut claims = person_claims(&e);
    claims["roles"] = json!(["Offboard.Operator"]);
    use base64::Engine as _;
    let forged_payload =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert!(
        matches!(refused(&v, &forged).await, SigninError::Invalid(m) if m.contains("signature does not match"))
    );

    // A token "signed" with a shared secret under the tenant's key id.
    let kid = jsonwebtoken::decode_header(&good).unwrap().kid;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = kid;
    let hs = jsonwebtoken::encode(
        &header,
        &person_claims(&e),
        &jsonwebtoken::EncodingKey::from_secret(b"guessable"),
    )
    .unwrap();
    assert!(matches!(refused(&v, &hs).await, SigninError::Algorithm(a) if a == "HS256"));

    let mut header = jsonwebtoken::decode_header(&good).unwrap();
    header.kid = Some("not-a-published-key".into());
    let unknown = format!(
        "{}.{}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&header).unwrap()),
        parts[1],
        parts[2]
    );
    let err = refused(&v, &unknown).await;
    assert!(matches!(&err, SigninError::UnknownKey(k) if k == "not-a-published-key"));
    assert!(!err.is_unavailable());
    assert!(
        !err.to_string().contains(parts[1]),
        "the error never quotes the token"
    );

    assert!(matches!(
        refused(&v, "not a token").await,
        SigninError::Malformed(_)
    ));
}

#[tokio::test]
async fn an_authority_that_cannot_be_read_is_offboards_fault_not_the_callers() {
    let e = entra().await;
    let token = e
        .user_access_token("ada.auditor@contoso.example", &[])
        .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let v = TokenValidator::new(
        SigninSettings {
            authority_host: format!("http://127.0.0.1:{port}"),
            tenant_id: TENANT.into(),
            client_id: APP.into(),
        },
        reqwest::Client::new(),
    );
    let err = refused(&v, &token).await;
    assert!(err.is_unavailable(), "{err}");
    assert!(err.to_string().contains("openid-configuration"), "{err}");
}

/// Reads `name="…" value="…"` of a hidden input from the stand-in's form_post page.
fn hidden(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!(r#"name="{name}" value=""#))?;
    let rest = &page[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

#[tokio::test]
async fn the_sign_in_page_returns_an_id_token_bound_to_the_nonce_and_the_chosen_roles() {
    let e = entra().await;
    let http = reqwest::Client::new();
    let authorize = format!("{}/{TENANT}/oauth2/v2.0/authorize", e.authority_host());
    let redirect = "http://127.0.0.1:7071/api/signin/callback";
    let params = |redirect: &str| {
        vec![
            ("client_id", APP.to_owned()),
            ("response_type", "id_token".to_owned()),
            ("response_mode", "form_post".to_owned()),
            ("redirect_uri", redirect.to_owned()),
            ("scope", "openid profile".to_owned()),
            ("nonce", "n-0S6_WzA2Mj".to_owned()),
            ("state", "<s&t>".to_owned()),
        ]
    };
    let page = http
        .get(&authorize)
        .query(&params(redirect))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("ada.auditor@contoso.example") && html.contains("Offboard.Operator"));
    assert!(html.contains("&lt;s&amp;t&gt;"), "state is escaped: {html}");

    let unregistered = http
        .get(&authorize)
        .query(&params("https://evil.example/callback"))
        .send()
        .await
        .unwrap();
    assert_eq!(unregistered.status(), 400);
    assert!(unregistered.text().await.unwrap().contains("AADSTS50011"));

    let mut chosen = params(redirect);
    chosen.push(("login_hint", "otto.operator@contoso.example".into()));
    chosen.push(("role", "Offboard.Operator".into()));
    chosen.push(("role", "Offboard.Superuser".into()));
    let answer = http
        .post(&authorize)
        .form(&chosen)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        answer.contains(&format!(r#"action="{redirect}""#)),
        "{answer}"
    );
    let id_token = hidden(&answer, "id_token").expect("an id_token field");
    assert_eq!(hidden(&answer, "state").as_deref(), Some("&lt;s&amp;t&gt;"));

    let v = validator(&e);
    let p = v
        .validate(
            &id_token,
            TokenUse::Id {
                nonce: "n-0S6_WzA2Mj",
            },
        )
        .await
        .unwrap();
    assert_eq!(
        p.user_principal_name.as_deref(),
        Some("otto.operator@contoso.example")
    );
    assert_eq!(
        p.roles.iter().copied().collect::<Vec<_>>(),
        vec![Role::Operator]
    );
    let replayed = v
        .validate(
            &id_token,
            TokenUse::Id {
                nonce: "another sign-in",
            },
        )
        .await;
    assert!(matches!(replayed, Err(SigninError::Invalid(m)) if m.contains("nonce")));
}

#[tokio::test]
async fn a_session_cookie_opens_only_as_signed_and_until_it_ends() {
    let e = entra().await;
    let token = e
        .user_access_token("ada.auditor@contoso.example", &["Offboard.Auditor"])
        .unwrap();
    let principal = validator(&e)
        .validate(&token, TokenUse::Access)
        .await
        .unwrap();
    let key =
        SessionKey::from_secret(&"c2Vzc2lvbi1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXMhIQ==".into())
            .unwrap();
    let now = Utc::now();
    let session = Session::new(principal, now + Duration::minutes(60));
    assert_eq!(session.csrf.len(), 43, "32 random bytes, base64url");
    let cookie = key.seal(&session);
    assert_eq!(key.open(&cookie, now).unwrap(), session);

    // Someone edits their own cookie to become an operator.
    let (body, tag) = cookie.split_once('.').unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = String::from_utf8(b64.decode(body).unwrap()).unwrap();
    let raised = b64.encode(text.replace("Offboard.Auditor", "Offboard.Operator"));
    let forged = format!("{raised}.{tag}");
    assert!(
        matches!(key.open(&forged, now), Err(SigninError::Session(m)) if m.contains("signature"))
    );

    let other_key =
        SessionKey::from_secret(&"b3RoZXIta2V5LWZvci10ZXN0cy1vbmx5LTMyLWJ5dGVzISEhIQ==".into())
            .unwrap();
    assert!(other_key.open(&cookie, now).is_err());
    assert!(
        matches!(key.open(&cookie, now + Duration::minutes(61)), Err(SigninError::Session(m)) if m.contains("ended"))
    );
    assert!(key.open("garbage", now).is_err());

    let short = SessionKey::from_secret(&"c2hvcnQ=".into());
    assert!(matches!(short, Err(SigninError::SessionKey(m)) if m.contains("at least 32")));
    assert_eq!(SESSION_COOKIE, "__Host-offboard-session");
}

#[test]
fn a_pending_sign_in_opens_only_as_one_and_lapses_after_ten_minutes() {
    use offboard_signin::PendingSignIn;
    let key =
        SessionKey::from_secret(&"c2Vzc2lvbi1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXMhIQ==".into())
            .unwrap();
    let now = Utc::now();
    let pending = PendingSignIn::new("/api/me".into(), now);
    assert_ne!(pending.nonce, pending.state);
    let cookie = key.seal_pending(&pending);
    assert_eq!(key.open_pending(&cookie, now).unwrap(), pending);
    assert!(
        key.open(&cookie, now).is_err(),
        "a sign-in cookie is not a session"
    );
    assert!(matches!(
        key.open_pending(&cookie, now + Duration::minutes(11)),
        Err(SigninError::Session(m)) if m.contains("too long")
    ));
}
