//! Signing a person in the way a browser does, for tests of what a signed-in browser may do:
//! `GET /api/signin`, the Entra ID stand-in's sign-in page (a person and their app roles
//! picked on it), its `form_post` back to `/api/signin/callback`, and the session cookie.

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::TestApp;

/// A signed-in browser: its session cookie, and the anti-forgery token its pages' forms carry.
#[derive(Debug, Clone)]
pub struct BrowserSession {
    /// `__Host-offboard-session=…`, as the browser sends it back.
    pub cookie: String,
    /// The session's anti-forgery token.
    pub csrf: String,
}

/// A client that shows redirects instead of following them, as the test plays the browser.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client")
}

fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let rest = &page[page.find(&marker)? + marker.len()..];
    Some(rest[..rest.find('"')?].replace("&amp;", "&"))
}

impl TestApp {
    /// Signs `upn` in through the sign-in page with `roles` chosen, as a browser would.
    pub async fn sign_in(&self, upn: &str, roles: &[&str]) -> anyhow::Result<BrowserSession> {
        let b = browser();
        let start = b
            .get(format!("{}/api/signin", self.base_url()))
            .send()
            .await?;
        anyhow::ensure!(start.status() == 302, "sign-in answered {}", start.status());
        let pending = set_cookie(&start, "__Host-offboard-signin").context("sign-in cookie")?;
        let authorize = url::Url::parse(&url_of(&start)?)?;
        let mut choice: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
        let mut endpoint = authorize.clone();
        endpoint.set_query(None);
        choice.push(("login_hint".into(), upn.to_owned()));
        for r in roles {
            choice.push(("role".into(), (*r).to_owned()));
        }
        let page = b
            .post(endpoint.as_str())
            .form(&choice)
            .send()
            .await?
            .text()
            .await?;
        let id_token = hidden(&page, "id_token").context("the form_post page has an id_token")?;
        let state = hidden(&page, "state").context("and a state")?;
        let done = b
            .post(format!("{}/api/signin/callback", self.base_url()))
            .header(COOKIE, &pending)
            .form(&[("id_token", id_token.as_str()), ("state", state.as_str())])
            .send()
            .await?;
        anyhow::ensure!(done.status() == 303, "callback answered {}", done.status());
        let cookie = set_cookie(&done, "__Host-offboard-session").context("a session cookie")?;
        // The session is signed, not encrypted: its anti-forgery token is in the clear, as the
        // dashboard's pages put it in their forms.
        let value = cookie.split_once('=').map(|(_, v)| v).unwrap_or_default();
        let body = value.split('.').next().unwrap_or_default();
        let json: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body)?)?;
        let csrf = json["csrf"]
            .as_str()
            .context("the session's csrf")?
            .to_owned();
        Ok(BrowserSession { cookie, csrf })
    }
}

fn url_of(resp: &reqwest::Response) -> anyhow::Result<String> {
    Ok(resp
        .headers()
        .get(LOCATION)
        .context("a Location")?
        .to_str()?
        .to_owned())
}
