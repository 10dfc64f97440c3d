//! The dry run: the planner's reads and the plan they would give, with no case, no queue and
//! no write. The engine's planning and `offboard plan` (which has no stores) share it.

use chrono::{DateTime, Utc};

use offboard_core::event::TerminationKind;
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::plan::{self, Plan};
use offboard_core::policy::Policy;

use crate::attempt::StepFailure;
use crate::directory::{Directory, Resolution};
use crate::settings::ConnectorConfig;

/// What a dry run shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    /// The plan, with each step's preview of what it would change.
    pub plan: Option<Plan>,
    /// Why no plan could be made (leaver not found or ambiguous).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
}

/// Resolves the leaver in the directory and gathers the facts the plan needs: `Ok(Err(why))`
/// when no account or several match (offboard never guesses).
pub(super) async fn facts_for(
    directory: &dyn Directory,
    who: &EmployeeIdentifiers,
) -> Result<Result<plan::Facts, String>, StepFailure> {
    match directory.resolve(who).await? {
        Resolution::Found { user_id, by } => Ok(Ok(directory.facts(&user_id, &by).await?)),
        Resolution::NotFound { tried } => Ok(Err(format!(
            "no account in Entra ID matches the leaver (tried {}); nothing was changed — correct the identifiers in HR or offboard the account by hand",
            tried.join(", ")
        ))),
        Resolution::Ambiguous { by, candidates } => Ok(Err(format!(
            "{} accounts match the leaver's {by} ({}); offboard never guesses — make the identifier unique or offboard the right account by hand",
            candidates.len(),
            candidates.join(", ")
        ))),
    }
}

/// The dry run on its own (the engine's, and `offboard plan`'s, which has no stores): reads
/// the directory and returns the plan a termination of `who` would get. Changes nothing.
pub async fn dry_run(
    directory: &dyn Directory,
    policy: &Policy,
    who: &EmployeeIdentifiers,
    kind: TerminationKind,
    now: DateTime<Utc>,
) -> Result<DryRun, StepFailure> {
    dry_run_with_connectors(directory, policy, &[], who, kind, now).await
}

/// [`dry_run`] with the connector file's systems: each shows what would change there.
pub async fn dry_run_with_connectors(
    directory: &dyn Directory,
    policy: &Policy,
    connectors: &[ConnectorConfig],
    who: &EmployeeIdentifiers,
    kind: TerminationKind,
    now: DateTime<Utc>,
) -> Result<DryRun, StepFailure> {
    Ok(match facts_for(directory, who).await? {
        Ok(facts) => {
            let systems = crate::connectors::planned(connectors, &facts, who);
            let mut plan = plan::build(facts, policy.for_kind(kind), now);
            plan.add_connectors(systems);
            DryRun {
                plan: Some(plan),
                exception: None,
            }
        }
        Err(why) => DryRun {
            plan: None,
            exception: Some(why),
        },
    })
}
