//! Where the planner finds the leaver and what they have.

use async_trait::async_trait;

use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::plan::Facts;

use crate::attempt::StepFailure;

/// The outcome of looking for the leaver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Exactly one account matches.
    Found {
        /// Its object id.
        user_id: String,
        /// Which identifier found it (`employeeId`, `userPrincipalName`, `mail`).
        by: String,
    },
    /// No account matches any identifier.
    NotFound {
        /// The identifiers tried, as `name=value`.
        tried: Vec<String>,
    },
    /// Several accounts match the first identifier that matched anything.
    Ambiguous {
        /// The identifier.
        by: String,
        /// The matching accounts (UPNs or ids).
        candidates: Vec<String>,
    },
}

/// The leaver's directory (Entra ID through Graph and Exchange in production).
#[async_trait]
pub trait Directory: Send + Sync {
    /// Finds the leaver: by employee id, then UPN, then mail; never guesses.
    async fn resolve(&self, who: &EmployeeIdentifiers) -> Result<Resolution, StepFailure>;
    /// Gathers the facts the plan is built from. Reads only.
    async fn facts(&self, user_id: &str, resolved_by: &str) -> Result<Facts, StepFailure>;
    /// The leaver's account alone — what the sign-in cut needs (ids, synced or not,
    /// enabled) — with every list of the facts left empty. One read where the directory
    /// allows it; by default all of [`Directory::facts`].
    async fn account(&self, user_id: &str, resolved_by: &str) -> Result<Facts, StepFailure> {
        self.facts(user_id, resolved_by).await
    }
}
