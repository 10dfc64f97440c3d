//! How the CLI prints for people: long lines are wrapped to the terminal, never cut, and
//! printed whole when the output is not a terminal (a file, a pipe) or with `--wide`. The
//! demo and `offboard plan` show a plan the same way.

use std::io::IsTerminal;

use offboard_core::plan::{Plan, StepStatus};

/// Where lines wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The width to wrap at; `None` prints every line whole.
    width: Option<usize>,
}

/// Narrower than this, wrapping would leave a column of single words: lines are printed whole.
const MIN_WIDTH: usize = 40;

impl Layout {
    /// Wraps at the terminal's width when standard output is a terminal and `wide` is not
    /// asked for; otherwise prints whole lines.
    pub fn for_stdout(wide: bool) -> Self {
        let width = (!wide && std::io::stdout().is_terminal())
            .then(|| console::Term::stdout().size_checked())
            .flatten()
            .map(|(_rows, cols)| usize::from(cols));
        Self::with_width(width)
    }

    /// Wraps at `width` columns (`None`: never).
    pub fn with_width(width: Option<usize>) -> Self {
        Self {
            width: width.filter(|w| *w >= MIN_WIDTH),
        }
    }

    /// `head` then `text`, the text's continuation lines indented under its first character.
    pub fn item(&self, head: &str, text: &str) -> String {
        let indent = " ".repeat(head.chars().count());
        match self.width {
            Some(width) if head.chars().count() + MIN_WIDTH / 2 < width => {
                let options = textwrap::Options::new(width)
                    .initial_indent(head)
                    .subsequent_indent(&indent);
                textwrap::fill(text, options)
            }
            _ => format!("{head}{text}"),
        }
    }

    /// Prints [`Layout::item`].
    pub fn print(&self, head: &str, text: &str) {
        println!("{}", self.item(head, text));
    }
}

/// One entry per step in dependency order: the step, what it would change (or why it does not
/// apply), and the steps it waits for.
pub fn print_plan_steps(plan: &Plan, layout: Layout) {
    print_steps(&plan.steps, layout);
}

/// [`print_plan_steps`] for any steps (a restore's reverse plan).
pub fn print_steps(steps: &[offboard_core::plan::Step], layout: Layout) {
    for s in steps {
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
        layout.print(
            &format!("   {:<26} ", s.kind.as_str()),
            &format!("{what}{after}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &str = "remove from dynamic group All Retail Staff: the leaver stays until the rule `(user.department -eq \"Retail\")` no longer matches them — change the department in HR";

    #[test]
    fn a_terminal_gets_wrapped_lines_that_keep_every_word() {
        let text = Layout::with_width(Some(60)).item("   #18  ", LONG);
        assert!(text.lines().count() > 1, "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= 60, "{line:?}");
            assert!(!line.ends_with('…'), "{line:?}");
        }
        assert!(text.lines().skip(1).all(|l| l.starts_with("        ")));
        let words: Vec<&str> = text.split_whitespace().skip(1).collect();
        assert_eq!(words, LONG.split_whitespace().collect::<Vec<_>>());
    }

    #[test]
    fn without_a_width_the_line_is_whole() {
        assert_eq!(
            Layout::with_width(None).item("   x ", LONG),
            format!("   x {LONG}")
        );
    }
}
