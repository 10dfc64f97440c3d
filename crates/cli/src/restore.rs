//! `offboard plan --restore CASE`: what restoring a case would do, read from the case and its
//! evidence (the snapshot in its `plan` record, what its steps changed), printed without
//! changing anything: the restore steps in order, what waits for a second approval, and what
//! cannot come back with what the person and their manager do.

use std::path::Path;

use anyhow::Context;
use offboard_core::ids::CaseId;
use offboard_service::restore::reverse_plan;

use crate::show::Layout;
use crate::store;

/// Prints the reverse plan of `case` (as JSON with `json`).
pub async fn preview(
    case: &str,
    data: Option<&Path>,
    json: bool,
    wide: bool,
) -> anyhow::Result<()> {
    let id = CaseId::parse(case).with_context(|| format!("`{case}` is not a case id"))?;
    let opened = store::open(data).await?;
    let found = opened
        .compliance
        .cases()
        .get(&id)
        .await
        .with_context(|| format!("reading case {id} from the {}", opened.describe))?
        .with_context(|| format!("no case {id} in the {}", opened.describe))?
        .value;
    let reverse = reverse_plan(&found, opened.compliance.evidence_service())
        .await
        .with_context(|| format!("case {id} cannot be restored"))?;
    if json {
        let doc = serde_json::json!({
            "caseId": id,
            "changed": false,
            "restore": reverse,
        });
        return Ok(crate::plan::print_or_closed(
            &serde_json::to_string_pretty(&doc)?,
        )?);
    }
    let layout = Layout::for_stdout(wide);
    let leaver = found
        .plan
        .as_ref()
        .map(|p| {
            p.facts
                .user
                .user_principal_name
                .clone()
                .unwrap_or_else(|| p.facts.user.id.clone())
        })
        .unwrap_or_default();
    println!(
        "Restore of case {id} ({leaver}, {}): what it would put back. Nothing was changed.",
        found.status
    );
    if reverse.steps.is_empty() {
        println!("   nothing to put back: the case's evidence shows no change of its own to undo");
    }
    crate::show::print_steps(&reverse.steps, layout);
    for a in &reverse.second_approval {
        println!("Needs a second approval (not done by a restore):");
        layout.print(
            "   ",
            &format!("{}: {} — {}", a.what, a.items.join(", "), a.how),
        );
    }
    if !reverse.lost.is_empty() {
        println!("Cannot come back:");
    }
    for l in &reverse.lost {
        let items = if l.items.is_empty() {
            String::new()
        } else {
            format!(" ({})", l.items.join(", "))
        };
        layout.print(
            &format!("   {:<26} ", l.step.as_str()),
            &format!(
                "{}{items}. The person: {}. The manager: {}.",
                l.what, l.for_person, l.for_manager
            ),
        );
    }
    Ok(())
}
