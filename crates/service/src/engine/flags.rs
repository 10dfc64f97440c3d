//! Flags a step raises on its case (possible exfiltration, found by `stop-forwarding`): the
//! step marks the evidence of what it found with `possibleExfiltration` and the words for a
//! person (`exfiltration`); the engine puts the flag on the case and notifies, once per
//! finding however often the step's message is delivered.

use chrono::{DateTime, Utc};

use offboard_core::case::{Case, CaseFlag, CaseFlagKind};
use offboard_core::notify::NotificationKind;
use offboard_core::plan::StepKind;

use super::Engine;
use super::outcome::EngineError;
use crate::attempt::StepReport;

/// The flags `report` raises.
pub(super) fn raised(report: &StepReport, step: StepKind, now: DateTime<Utc>) -> Vec<CaseFlag> {
    report
        .actions
        .iter()
        .filter_map(|a| a.details.as_ref())
        .filter(|d| d["possibleExfiltration"] == true)
        .map(|d| CaseFlag {
            kind: CaseFlagKind::PossibleExfiltration,
            step,
            detail: d["exfiltration"]
                .as_str()
                .unwrap_or("mail forwarded outside the organisation")
                .to_owned(),
            at: now,
        })
        .collect()
}

/// Adds the flags `case` does not hold yet (same kind, step and finding).
pub(super) fn add(case: &mut Case, raised: &[CaseFlag]) {
    for f in raised {
        if !case
            .flags
            .iter()
            .any(|x| x.kind == f.kind && x.step == f.step && x.detail == f.detail)
        {
            case.flags.push(f.clone());
        }
    }
}

impl Engine {
    /// Notifies each raised flag; the notification key is the finding, so a redelivered
    /// step message does not notify twice.
    pub(super) async fn notify_flags(
        &self,
        case: &Case,
        raised: &[CaseFlag],
    ) -> Result<(), EngineError> {
        for f in raised {
            self.notify(
                case,
                NotificationKind::PossibleExfiltration,
                &format!("{}: {}", f.step, f.detail),
                "Review what was forwarded (the case evidence lists each address and rule before the change) and involve security; forwarding has been stopped.",
                &format!("{}:{}", f.step, f.detail),
            )
            .await?;
        }
        Ok(())
    }
}
