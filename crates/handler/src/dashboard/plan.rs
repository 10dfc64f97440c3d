//! Plan preview (operators): the dry run for a person — the steps a termination would get and
//! what each would change — reading the tenant only: no case, no queue, no write.

use maud::{Markup, html};
use offboard_core::event::TerminationKind;
use offboard_core::ids::EmployeeIdentifiers;

use super::layout::{badge, page as chrome};
use crate::problem::Problem;
use crate::request::Request;
use crate::signin::Caller;
use crate::startup::AppState;

const KINDS: [&str; 6] = [
    "involuntary",
    "voluntary",
    "for_cause",
    "retirement",
    "contract_end",
    "death",
];

/// The plan preview page.
pub async fn page(state: &AppState, req: &Request, caller: &Caller) -> Result<Markup, Problem> {
    let who = req
        .query_param("who")
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty());
    let kind_text = req
        .query_param("kind")
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "involuntary".to_owned());
    let kind = TerminationKind::parse(&kind_text)
        .ok_or_else(|| Problem::bad_query(format!("`kind` must be one of {}", KINDS.join(", "))))?;
    let dry = match &who {
        None => None,
        Some(w) => {
            let ids = if w.contains('@') {
                EmployeeIdentifiers::new(None, Some(w.clone()), None, None)
            } else {
                EmployeeIdentifiers::new(Some(w.clone()), None, None, None)
            }
            .map_err(|e| Problem::bad_query(e.to_string()))?;
            let dry = state.engine.dry_run(&ids, kind).await.map_err(|e| {
                Problem::unavailable(format!("could not read the tenant for the dry run: {e}"))
            })?;
            // It shows who holds what: written to the evidence before it is shown.
            let seq = crate::routes::offboardings::record_dry_run(
                state,
                &caller.actor(),
                &ids,
                kind,
                &dry,
                "dashboard",
            )
            .await?;
            Some((dry, seq))
        }
    };
    let body = html! {
        form method="get" class="filters" aria-label="Whom to preview" {
            label for="p-who" { "UPN or employee id" }
            input id="p-who" type="text" name="who" value=[who.as_deref()] required;
            label for="p-kind" { "Kind" }
            select id="p-kind" name="kind" {
                @for k in KINDS {
                    @if k == kind.as_str() { option value=(k) selected { (k.replace('_', " ")) } }
                    @else { option value=(k) { (k.replace('_', " ")) } }
                }
            }
            button type="submit" { "Preview" }
        }
        @if let Some((d, seq)) = &dry {
            p role="status" { "A dry run: nothing was changed and no case was opened. It is recorded in the evidence as ledger entry " (seq) ", with your name." }
            @if let Some(why) = &d.exception { p class="problem" { (why) } }
            @if let Some(plan) = &d.plan {
                table {
                    thead { tr { th scope="col" { "Step" } th scope="col" { "After" } th scope="col" { "Would" } th scope="col" { "Status" } } }
                    tbody {
                        @for s in &plan.steps {
                            tr {
                                td { (s.kind) }
                                td { (s.depends_on.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")) }
                                td { ul class="plain" { @for p in &s.preview { li { (p) } } } }
                                td { (badge(s.status.as_str())) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(chrome(caller, "Plan preview", "Plan", body))
}
