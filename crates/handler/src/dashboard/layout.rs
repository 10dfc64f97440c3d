//! The dashboard's chrome (header, navigation, who is signed in, sign out) and the helpers
//! every page uses: times, statuses, the security headers.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use crate::problem::Problem;
use crate::signin::Caller;

use super::BASE;

/// The dashboard's Content-Security-Policy: its own stylesheet and script only, no inline
/// code, no plugins, no framing, forms only to this site, no `<base>` rewriting.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the headers every dashboard answer carries.
pub fn secure(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // Pages show evidence of people: never kept by a shared cache or the back button.
    h.insert("cache-control", HeaderValue::from_static("no-store"));
}

/// An HTML answer.
pub fn html(status: StatusCode, markup: Markup) -> Response {
    let mut resp = Response::new(markup.into_string().into());
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(&mut resp);
    resp
}

/// A problem as a page (same status, same words as the API's problem).
pub fn problem_page(p: &Problem) -> Response {
    let status = p.status();
    let (title, detail) = p.words();
    html(
        status,
        html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "offboard — " (title) }
                       link rel="stylesheet" href={ (BASE) "/assets/dashboard.css" }; }
                body {
                    main id="main" {
                        h1 { (title) }
                        p class="problem" { (detail) }
                        p { a href=(BASE) { "Back to the overview" } }
                    }
                }
            }
        },
    )
}

/// A whole page: header with navigation and the signed-in person, then `body`.
pub fn page(caller: &Caller, title: &str, current: &str, body: Markup) -> Markup {
    let nav: &[(&str, String)] = &[
        ("Overview", BASE.to_owned()),
        ("Cases", format!("{BASE}/cases")),
        ("Held", format!("{BASE}/held")),
        ("Findings", format!("{BASE}/findings")),
        ("Reports", format!("{BASE}/reports")),
    ];
    let who = caller
        .principal
        .user_principal_name
        .clone()
        .unwrap_or_else(|| caller.principal.describe());
    let roles = caller
        .principal
        .roles
        .iter()
        .map(|r| r.value())
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — offboard" }
                link rel="stylesheet" href={ (BASE) "/assets/dashboard.css" };
                script src={ (BASE) "/assets/verify.js" } defer {}
                script src={ (BASE) "/assets/dashboard.js" } defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    span class="brand" { "offboard" }
                    nav aria-label="Main" {
                        ul {
                            @for (label, href) in nav {
                                li {
                                    @if *label == current {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                            @if super::is_operator(caller) {
                                li {
                                    @if current == "Plan" {
                                        a href={ (BASE) "/plan" } aria-current="page" { "Plan preview" }
                                    } @else {
                                        a href={ (BASE) "/plan" } { "Plan preview" }
                                    }
                                }
                            }
                        }
                    }
                    div class="who" {
                        span { (who) } " " span class="roles" { "(" (roles) ")" }
                        @if let Some(csrf) = &caller.session_csrf {
                            form method="post" action="/api/signout" class="inline" {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A UTC instant as the evidence writes it, to the second for reading.
pub fn at(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// An optional instant, or a dash.
pub fn at_or_dash(t: Option<DateTime<Utc>>) -> String {
    t.map(at).unwrap_or_else(|| "—".to_owned())
}

/// A status as a badge (the class says how it reads; the text says what it is).
pub fn badge(text: &str) -> Markup {
    let class = match text {
        "completed" | "verified" | "met" | "ok" => "badge good",
        "completed_with_exceptions" | "failed" | "breached" | "exception" => "badge bad",
        "running" | "queued" | "pending" | "received" | "scheduled" | "waiting" => "badge busy",
        _ => "badge",
    };
    html! { span class=(class) { (text.replace('_', " ")) } }
}
