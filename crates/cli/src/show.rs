//! How the CLI prints a plan (the demo and `offboard plan` show it the same way).

use offboard_core::plan::{Plan, StepStatus};

/// One line per step in dependency order: the step, what it would change (or why it does not
/// apply), and the steps it waits for.
pub fn print_plan_steps(plan: &Plan) {
    for s in &plan.steps {
        let what = match s.status {
            StepStatus::NotApplicable => {
                format!("not applicable: {}", s.reason.as_deref().unwrap_or(""))
            }
            _ => s.preview.join("; "),
        };
        let after = if s.depends_on.is_empty() {
            String::new()
        } else {
            format!(
                "  (after {})",
                s.depends_on
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        println!(
            "   {:<26} {}{}",
            s.kind.as_str(),
            truncate(&what, 110),
            truncate(&after, 60)
        );
    }
}

/// `s` cut to `n` characters, with an ellipsis when cut.
pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}
