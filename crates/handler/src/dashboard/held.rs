//! Held cases: every termination waiting for a person (`awaiting_approval`) — who, who raised
//! it and with what reason, why it was held (the blast-radius brake, or a protected person),
//! since when and until when — and, for
//! operators, a form to approve or reject each one with a reason.
//!
//! The form posts to `/api/dashboard/cases/{caseId}/decision` with the session's anti-forgery
//! token (checked by `access::require`, as for the retry form) and goes through the same code
//! as `POST /api/cases/{caseId}/approve|reject` (`routes::approvals::decide_case`), so four
//! eyes, the evidence record and what happens next are the same. Auditors see no form; the
//! decision route and the API answer them 403.

use maud::{Markup, html};
use offboard_core::case::{Actor, CaseStatus};
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use super::BASE;
use super::layout::{at, badge, page as chrome, problem_page, secure};
use crate::access::form_field;
use crate::problem::Problem;
use crate::request::Request;
use crate::routes::approvals::{decide_case, parse_id};
use crate::signin::Caller;
use crate::startup::AppState;

/// The held cases page.
pub async fn page(state: &AppState, req: &Request, caller: &Caller) -> Result<Markup, Problem> {
    let mut held = state
        .engine
        .held_cases()
        .await
        .map_err(|e| Problem::unavailable(e.to_string()))?;
    // The hold that expires first is the one to decide first.
    held.sort_by_key(|c| c.approval.as_ref().map(|a| a.hold.expires_at));
    let operator = super::is_operator(caller);
    // After a decision the form comes back here and says what became of the case.
    let decided = req
        .query_param("decided")
        .and_then(|id| parse_id(&id).ok())
        .zip(
            req.query_param("status")
                .and_then(|s| CaseStatus::parse(&s)),
        );
    let body = html! {
        @if let Some((id, status)) = &decided {
            p class="notice" role="status" {
                "Your decision on case " a href={ (BASE) "/cases/" (id) } { (id) } " is recorded: it is now " (badge(status.as_str())) "."
            }
        }
        p {
            "A held case has changed nothing yet. Approving it plans and runs it; rejecting it seals it with nothing changed; a hold nobody decides turns into a rejection when it expires. "
            "The person who raised a termination cannot approve it (four eyes)."
        }
        @if held.is_empty() {
            p { "No case is waiting for approval." }
        } @else {
            table class="held" {
                caption class="visually-hidden" { "Held cases, the first to expire first" }
                thead { tr {
                    th scope="col" { "Leaver" } th scope="col" { "Kind" } th scope="col" { "Source" }
                    th scope="col" { "Raised by" } th scope="col" { "Reason given" } th scope="col" { "Why held" } th scope="col" { "Held since" }
                    th scope="col" { "Expires" }
                    @if operator { th scope="col" { "Decision" } }
                } }
                tbody {
                    @for c in &held {
                        tr {
                            td { a href={ (BASE) "/cases/" (c.id) } { (c.event.employee().display_name()) } }
                            td { (c.event.kind().as_str().replace('_', " ")) }
                            td { (c.event.source().as_str()) }
                            td { (c.raised_by.as_ref().map(Actor::describe).unwrap_or_else(|| "—".to_owned())) }
                            td { (c.event.reason().unwrap_or("—")) }
                            @if let Some(a) = &c.approval {
                                td { (badge(a.hold.reason.as_str())) " " (a.hold.detail) }
                                td { (at(a.hold.held_at)) }
                                td { (at(a.hold.expires_at)) }
                            } @else {
                                td { "—" } td { "—" } td { "—" }
                            }
                            @if operator {
                                td {
                                    @if let Some(csrf) = &caller.session_csrf {
                                        form method="post" action={ (BASE) "/cases/" (c.id) "/decision" } class="decision" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            label for={ "reason-" (c.id) } { "Reason" }
                                            " "
                                            input id={ "reason-" (c.id) } type="text" name="reason" required;
                                            " "
                                            button type="submit" name="decision" value="approve" class="approve" { "Approve" }
                                            " "
                                            button type="submit" name="decision" value="reject" class="reject" { "Reject" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(chrome(caller, "Held cases", "Held", body))
}

/// The decision form's post: the operator (checked, with the form's anti-forgery token,
/// before this runs) approves or rejects the case; the browser goes back to the held list,
/// which says what became of it.
pub async fn decide(state: &AppState, req: &Request, caller: &Caller, id: &str) -> Response {
    let run = async {
        let id = parse_id(id)?;
        let approved = match form_field(req, "decision").as_deref() {
            Some("approve") => true,
            Some("reject") => false,
            other => {
                return Err(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    "Approve or reject?",
                    format!(
                        "the form's `decision` must be approve or reject (got {})",
                        other.unwrap_or("nothing")
                    ),
                ));
            }
        };
        let reason = form_field(req, "reason").unwrap_or_default();
        let by = Actor::signed_in(&caller.actor());
        decide_case(state, &id, approved, by, reason).await
    };
    match run.await {
        Ok(case) => {
            let mut back = Response::new(Vec::new().into());
            *back.status_mut() = StatusCode::SEE_OTHER;
            let to = format!(
                "{BASE}/held?decided={}&status={}",
                case.id,
                case.status.as_str()
            );
            if let Ok(v) = HeaderValue::from_str(&to) {
                back.headers_mut().insert("location", v);
            }
            secure(&mut back);
            back
        }
        Err(p) => problem_page(&p),
    }
}
