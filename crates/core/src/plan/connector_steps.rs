//! A plan's connector steps: one per system outside Microsoft, after the sign-in cut. Kept
//! apart from `connector.rs` (the name and its queue, a leaf that `step.rs` reads) so that
//! the plan's modules import one way.

use super::connector::ConnectorName;
use super::dag::Plan;
use super::step::{Step, StepKind};

impl Plan {
    /// Adds one step per connector (its name and what it would change), after the sign-in
    /// cut (`block-sign-in`, or `revoke-sessions` for a synced leaver, as the builder cuts)
    /// and beside the Microsoft 365 steps; the seal waits for them too.
    pub fn add_connectors(&mut self, connectors: Vec<(ConnectorName, Vec<String>)>) {
        if connectors.is_empty() {
            return;
        }
        let cut = if self.facts.synced {
            StepKind::RevokeSessions
        } else {
            StepKind::BlockSignIn
        };
        let after: Vec<StepKind> = self.step(cut).map(|s| s.kind).into_iter().collect();
        for (name, preview) in connectors {
            let kind = StepKind::Connector(name);
            if self.step(kind).is_some() {
                continue;
            }
            self.steps.push(Step::pending(kind, after.clone(), preview));
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
