//! A plan's connector steps: one per system outside Microsoft, after the sign-in cut. Kept
//! apart from `connector.rs` (the name and its queue, a leaf that `step.rs` reads) so that
//! the plan's modules import one way.

use super::connector::ConnectorName;
use super::dag::Plan;
use super::step::{Step, StepKind};

/// What a connector's step waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorAfter {
    /// The sign-in cut: `block-sign-in`, or `revoke-sessions` for a synced leaver (AD is
    /// disabled beside it). A connector offboard calls itself needs nothing more.
    SignInCut,
    /// The cloud account's disable: `block-sign-in`, or `verify-cloud-disabled` for a synced
    /// leaver (directory sync carries the AD disable). What Entra ID's provisioning service
    /// acts on, so a system it feeds waits for it.
    CloudDisabled,
}

/// A connector's step as the planner adds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedConnector {
    /// The connector.
    pub name: ConnectorName,
    /// What it would change, in words (the plan's preview, the dry run).
    pub preview: Vec<String>,
    /// What it waits for.
    pub after: ConnectorAfter,
}

impl Plan {
    /// Adds one step per connector (its name and what it would change), after what it waits
    /// for ([`ConnectorAfter`]) and beside the Microsoft 365 steps; the seal waits for them too.
    pub fn add_connectors(&mut self, connectors: Vec<PlannedConnector>) {
        if connectors.is_empty() {
            return;
        }
        let synced = self.facts.synced;
        for PlannedConnector {
            name,
            preview,
            after,
        } in connectors
        {
            let kind = StepKind::Connector(name);
            if self.step(kind).is_some() {
                continue;
            }
            let wanted = match (after, synced) {
                (_, false) => StepKind::BlockSignIn,
                (ConnectorAfter::SignInCut, true) => StepKind::RevokeSessions,
                (ConnectorAfter::CloudDisabled, true) => StepKind::VerifyCloudDisabled,
            };
            // A plan without that step (a policy that leaves it out) falls back to the cut.
            let cut = if synced {
                StepKind::RevokeSessions
            } else {
                StepKind::BlockSignIn
            };
            let after: Vec<StepKind> = self
                .step(wanted)
                .or_else(|| self.step(cut))
                .map(|s| s.kind)
                .into_iter()
                .collect();
            self.steps.push(Step::pending(kind, after, preview));
            if let Some(seal) = self.step_mut(StepKind::Seal) {
                seal.depends_on.push(kind);
            }
        }
        // Shown after the plan's own steps (whose order puts each after what it needs), by
        // name, and before the seal.
        let (mut connectors, mut rest): (Vec<Step>, Vec<Step>) = std::mem::take(&mut self.steps)
            .into_iter()
            .partition(|s| s.kind.connector().is_some());
        connectors.sort_by_key(|s| s.kind.display_order());
        let seal = rest.iter().position(|s| s.kind == StepKind::Seal);
        let seal = seal.map(|i| rest.remove(i));
        rest.extend(connectors);
        rest.extend(seal);
        self.steps = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::super::connector::{CONNECTOR_QUEUE, ConnectorName};
    use super::super::step::StepKind;

    #[test]
    fn a_step_name_and_its_queue_read_back() {
        let k = StepKind::Connector(ConnectorName::parse("salesforce").unwrap());
        assert_eq!(k.as_str(), "connector:salesforce");
        assert_eq!(k.queue(), CONNECTOR_QUEUE);
        assert_eq!(StepKind::parse("connector:salesforce"), Some(k));
        assert_eq!(StepKind::parse("connector:Bad Name"), None);
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(json, "\"connector:salesforce\"");
        assert_eq!(serde_json::from_str::<StepKind>(&json).unwrap(), k);
        // The built-in kinds are written as before.
        assert_eq!(
            serde_json::to_string(&StepKind::RemoveLicences).unwrap(),
            "\"remove-licences\""
        );
    }
}
