//! The stand-in's routes: discovery, keys, the sign-in page and the token endpoint.

use std::sync::Arc;

use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;
use warp::Filter as _;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, StatusCode};
use warp::hyper::body::Bytes;

use crate::{EntraConfig, Signer};

type Reply = warp::reply::Response;

pub(crate) fn all(config: Arc<EntraConfig>, signer: Arc<Signer>) -> BoxedFilter<(Reply,)> {
    let state = warp::any().map(move || (config.clone(), signer.clone()));
    let discovery = warp::get()
        .and(warp::path!(
            String / "v2.0" / ".well-known" / "openid-configuration"
        ))
        .and(state.clone())
        .map(|tenant: String, (c, s): (Arc<EntraConfig>, Arc<Signer>)| discovery(&c, &s, &tenant));
    let keys = warp::get()
        .and(warp::path!(String / "discovery" / "v2.0" / "keys"))
        .and(state.clone())
        .map(|tenant: String, (c, s): (Arc<EntraConfig>, Arc<Signer>)| {
            tenant_checked(&c, &tenant, || {
                json_reply(StatusCode::OK, &s.keys_document())
            })
        });
    let authorize_page = warp::get()
        .and(warp::path!(String / "oauth2" / "v2.0" / "authorize"))
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(state.clone())
        .map(
            |tenant: String, query: String, (c, _s): (Arc<EntraConfig>, Arc<Signer>)| {
                tenant_checked(&c, &tenant, || sign_in_page(&c, &pairs(query.as_bytes())))
            },
        );
    let authorize_answer = warp::post()
        .and(warp::path!(String / "oauth2" / "v2.0" / "authorize"))
        .and(warp::body::content_length_limit(64 * 1024))
        .and(warp::body::bytes())
        .and(state.clone())
        .map(
            |tenant: String, body: Bytes, (c, s): (Arc<EntraConfig>, Arc<Signer>)| {
                tenant_checked(&c, &tenant, || signed_in(&c, &s, &pairs(&body)))
            },
        );
    let token = warp::post()
        .and(warp::path!(String / "oauth2" / "v2.0" / "token"))
        .and(warp::body::content_length_limit(64 * 1024))
        .and(warp::body::bytes())
        .and(state)
        .map(
            |tenant: String, body: Bytes, (c, s): (Arc<EntraConfig>, Arc<Signer>)| {
                tenant_checked(&c, &tenant, || client_credentials(&c, &s, &pairs(&body)))
            },
        );
    discovery
        .or(keys)
        .unify()
        .or(authorize_page)
        .unify()
        .or(authorize_answer)
        .unify()
        .or(token)
        .unify()
        .boxed()
}

fn pairs(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Reply {
    let mut r = Reply::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    r
}

fn json_reply(status: StatusCode, body: &Value) -> Reply {
    reply(status, "application/json; charset=utf-8", body.to_string())
}

fn html_reply(status: StatusCode, body: String) -> Reply {
    reply(status, "text/html; charset=utf-8", body)
}

/// Entra's error answer of the token endpoint and of protocol errors (`error`,
/// `error_description` starting with the AADSTS code, `error_codes`).
fn oauth_error(status: StatusCode, error: &str, code: u32, description: &str) -> Reply {
    json_reply(
        status,
        &json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description}"),
            "error_codes": [code],
        }),
    )
}

/// Only the configured tenant exists here (Entra: AADSTS90002 for an unknown tenant).
fn tenant_checked(config: &EntraConfig, tenant: &str, answer: impl FnOnce() -> Reply) -> Reply {
    if tenant.eq_ignore_ascii_case(&config.tenant_id) {
        answer()
    } else {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant}' not found."),
        )
    }
}

fn discovery(config: &EntraConfig, signer: &Signer, tenant: &str) -> Reply {
    tenant_checked(config, tenant, || {
        let base = signer.issuer().trim_end_matches("/v2.0").to_owned();
        json_reply(
            StatusCode::OK,
            &json!({
                "issuer": signer.issuer(),
                "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
                "token_endpoint": format!("{base}/oauth2/v2.0/token"),
                "jwks_uri": format!("{base}/discovery/v2.0/keys"),
                "response_modes_supported": ["query", "fragment", "form_post"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scope_supported": ["openid", "profile", "email", "offline_access"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username", "oid", "tid", "ver", "roles"],
                "tenant_region_scope": "EU",
            }),
        )
    })
}

/// A registered redirect URI, or a loopback one whose port differs (Entra ignores the port of
/// `http://localhost` and `http://127.0.0.1` redirect URIs: "Redirect URI restrictions",
/// localhost exceptions).
fn redirect_allowed(config: &EntraConfig, uri: &str) -> bool {
    let Ok(asked) = url::Url::parse(uri) else {
        return false;
    };
    config.redirect_uris.iter().any(|registered| {
        let Ok(reg) = url::Url::parse(registered) else {
            return false;
        };
        let loopback = |u: &url::Url| {
            u.scheme() == "http" && matches!(u.host_str(), Some("localhost" | "127.0.0.1"))
        };
        reg == asked
            || (loopback(&reg)
                && loopback(&asked)
                && reg.host_str() == asked.host_str()
                && reg.path() == asked.path())
    })
}

/// What is wrong with a sign-in request, in Entra's words, or `None`.
fn refuse_sign_in(config: &EntraConfig, p: &[(String, String)]) -> Option<Reply> {
    let bad = |code: u32, text: &str| {
        Some(html_reply(
            StatusCode::BAD_REQUEST,
            format!(
                "<!doctype html><title>Sign in error</title><p>AADSTS{code}: {}</p>",
                escape(text)
            ),
        ))
    };
    if first(p, "client_id") != Some(config.app_client_id.as_str()) {
        return bad(700016, "Application was not found in the directory.");
    }
    if first(p, "response_type") != Some("id_token") {
        return bad(
            700054,
            "response_type 'id_token' is the only one this stand-in serves.",
        );
    }
    if first(p, "response_mode") != Some("form_post") {
        return bad(900144, "response_mode must be form_post.");
    }
    if first(p, "nonce").is_none() {
        return bad(
            900144,
            "The request body must contain the following parameter: 'nonce'.",
        );
    }
    if !first(p, "scope").is_some_and(|s| s.split(' ').any(|x| x == "openid")) {
        return bad(900144, "The request must include the 'openid' scope.");
    }
    match first(p, "redirect_uri") {
        Some(uri) if redirect_allowed(config, uri) => None,
        _ => bad(
            50011,
            "The redirect URI specified in the request does not match the redirect URIs configured for the application.",
        ),
    }
}

/// The parameters of the sign-in request carried through the page as hidden fields.
const CARRIED: [&str; 6] = [
    "client_id",
    "response_type",
    "response_mode",
    "redirect_uri",
    "scope",
    "nonce",
];

fn sign_in_page(config: &EntraConfig, p: &[(String, String)]) -> Reply {
    if let Some(refusal) = refuse_sign_in(config, p) {
        return refusal;
    }
    let mut hidden = String::new();
    for name in CARRIED.iter().copied().chain(["state"]) {
        if let Some(v) = first(p, name) {
            hidden.push_str(&format!(
                r#"<input type="hidden" name="{name}" value="{}">"#,
                escape(v)
            ));
        }
    }
    let people: String = config
        .people
        .iter()
        .enumerate()
        .map(|(i, person)| {
            format!(
                r#"<li><label><input type="radio" name="login_hint" value="{upn}"{checked}> {name} ({upn})</label></li>"#,
                upn = escape(&person.user_principal_name),
                name = escape(&person.display_name),
                checked = if i == 0 { " checked" } else { "" },
            )
        })
        .collect();
    let roles: String = config
        .app_roles
        .iter()
        .map(|r| {
            format!(
                r#"<li><label><input type="checkbox" name="role" value="{r}"> {r}</label></li>"#,
                r = escape(r)
            )
        })
        .collect();
    html_reply(
        StatusCode::OK,
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in (local Entra ID stand-in)</title></head>
<body><main><h1>Sign in</h1><p>Local stand-in for Microsoft Entra ID: pick who you are and the app roles you hold.</p>
<form method="post"><fieldset><legend>Person</legend><ul>{people}</ul></fieldset>
<fieldset><legend>App roles</legend><ul>{roles}</ul></fieldset>{hidden}
<button type="submit">Sign in</button></form></main></body></html>"#
        ),
    )
}

fn signed_in(config: &EntraConfig, signer: &Signer, p: &[(String, String)]) -> Reply {
    if let Some(refusal) = refuse_sign_in(config, p) {
        return refusal;
    }
    let person = first(p, "login_hint").and_then(|upn| {
        config
            .people
            .iter()
            .find(|x| x.user_principal_name.eq_ignore_ascii_case(upn))
    });
    let Some(person) = person else {
        return html_reply(
            StatusCode::BAD_REQUEST,
            "<!doctype html><title>Sign in error</title><p>AADSTS50034: The user account does not exist in this directory.</p>".to_owned(),
        );
    };
    // Only roles the app registration declares can be assigned.
    let roles: Vec<&str> = p
        .iter()
        .filter(|(k, v)| k == "role" && config.app_roles.contains(v))
        .map(|(_, v)| v.as_str())
        .collect();
    let nonce = first(p, "nonce").unwrap_or_default();
    let Ok(token) = signer.id_token(person, &roles, nonce) else {
        return html_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "signing failed".to_owned(),
        );
    };
    let redirect = first(p, "redirect_uri").unwrap_or_default();
    let state = first(p, "state")
        .map(|s| {
            format!(
                r#"<input type="hidden" name="state" value="{}">"#,
                escape(s)
            )
        })
        .unwrap_or_default();
    // Entra answers `form_post` with a page whose form posts itself to the redirect URI.
    html_reply(
        StatusCode::OK,
        format!(
            r#"<!doctype html><html><head><title>Working...</title></head><body onload="document.forms[0].submit()">
<form method="POST" name="hiddenform" action="{action}"><input type="hidden" name="id_token" value="{token}">{state}
<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript></form></body></html>"#,
            action = escape(redirect),
            token = escape(&token),
        ),
    )
}

fn client_credentials(config: &EntraConfig, signer: &Signer, p: &[(String, String)]) -> Reply {
    if first(p, "grant_type") != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    let client =
        first(p, "client_id").and_then(|id| config.clients.iter().find(|c| c.client_id == id));
    let Some(client) = client else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application was not found in the directory.",
        );
    };
    let secret_ok = first(p, "client_secret")
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(client.secret.as_bytes())));
    if !secret_ok {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        );
    }
    let scopes_ours = [
        format!("{}/.default", config.app_client_id),
        format!("api://{}/.default", config.app_client_id),
    ];
    if !first(p, "scope").is_some_and(|s| scopes_ours.iter().any(|x| x == s)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
        );
    }
    match signer.app_access_token(client) {
        Ok(token) => json_reply(
            StatusCode::OK,
            &json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}),
        ),
        Err(_) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            50000,
            "signing failed",
        ),
    }
}

/// HTML-escapes text for element content and quoted attributes. Five characters, no crate:
/// this page is the stand-in's, and nothing here renders untrusted markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}
