//! Two doors a leaver leaves open in Entra ID (issue 16), in the plan: the PIM eligibility
//! they could still activate (`remove-pim-eligibility`) and the groups, app registrations and
//! service principals they own (`transfer-ownerships`). The facts the planner reads for them,
//! when each step applies and what the dry run says it would change (the facts' types are in
//! the leaf `pim_owners_facts`).

use super::builder::Builder;
use super::facts::Facts;
use super::pim_owners_facts::EligibilityKind;
use super::step::StepKind;

/// Plans `remove-pim-eligibility` and `transfer-ownerships`. `pim_first`: the eligibility goes
/// before anything acts on the account (a cloud-only admin leaver), so it depends on nothing;
/// otherwise both wait for `cut`.
pub(super) fn plan(b: &mut Builder<'_>, facts: &Facts, cut: StepKind, pim_first: bool) {
    use StepKind::*;
    if facts.pim_eligibilities.is_empty() {
        b.na(
            RemovePimEligibility,
            "no PIM-eligible directory roles or groups",
        );
    } else {
        b.add(
            RemovePimEligibility,
            if pim_first { Vec::new() } else { vec![cut] },
            facts
                .pim_eligibilities
                .iter()
                .map(|e| match e.kind {
                    EligibilityKind::DirectoryRole => format!(
                        "remove eligibility for directory role {} at scope {} (schedule {}, adminRemove)",
                        e.name(),
                        e.scope,
                        e.schedule_id
                    ),
                    EligibilityKind::Group => format!(
                        "remove eligible {} of group {} (schedule {}, adminRemove)",
                        e.scope,
                        e.name(),
                        e.schedule_id
                    ),
                })
                .collect(),
        );
    }

    if facts.owned_objects.is_empty() {
        b.na(
            TransferOwnerships,
            "owns no groups, app registrations or service principals",
        );
        return;
    }
    let successor = successor(facts, b.policy.fallback_owner.as_deref());
    let preview = facts
        .owned_objects
        .iter()
        .map(|o| {
            let what = format!("{} {}", o.kind.label(), o.name());
            match (o.other_owners.is_empty(), &successor) {
                (false, _) => format!(
                    "remove the leaver as owner of {what} ({} other owner(s) remain)",
                    o.other_owners.len()
                ),
                (true, Some(s)) => {
                    format!("add {s} as owner of {what}, then remove the leaver as owner")
                }
                (true, None) => format!(
                    "record {what} as an exception: the leaver is its only owner and there is no successor (no manager, no fallback_owner in the policy)"
                ),
            }
        })
        .collect();
    b.add(TransferOwnerships, vec![cut], preview);
}

/// Who takes over what the leaver alone owns: the manager (by UPN, else id), else the
/// policy's `fallback_owner`.
pub(super) fn successor(facts: &Facts, fallback_owner: Option<&str>) -> Option<String> {
    facts
        .manager
        .as_ref()
        .map(|m| {
            m.user_principal_name
                .clone()
                .unwrap_or_else(|| m.id.clone())
        })
        .or_else(|| fallback_owner.map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::TerminationKind;
    use crate::plan::tests::full_cloud_user;
    use crate::plan::{EligibilityFact, OwnedKind, OwnedObjectFact, StepStatus, build};
    use crate::policy::{DEFAULT_POLICY, Policy};

    fn t() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    fn eligible() -> Vec<EligibilityFact> {
        vec![
            EligibilityFact {
                kind: EligibilityKind::DirectoryRole,
                schedule_id: "sch-role".into(),
                target_id: "role-ua".into(),
                target_name: Some("User Administrator".into()),
                scope: "/".into(),
                privileged: true,
                privileged_roles: vec![],
            },
            EligibilityFact {
                kind: EligibilityKind::Group,
                schedule_id: "sch-group".into(),
                target_id: "g-helpdesk".into(),
                target_name: Some("Helpdesk Tier 1".into()),
                scope: "member".into(),
                privileged: false,
                privileged_roles: vec![],
            },
        ]
    }

    fn owned() -> Vec<OwnedObjectFact> {
        vec![
            OwnedObjectFact {
                kind: OwnedKind::Group,
                id: "g-campaigns".into(),
                display_name: Some("Campaigns".into()),
                other_owners: vec![],
            },
            OwnedObjectFact {
                kind: OwnedKind::Application,
                id: "app-mailer".into(),
                display_name: Some("Campaign Mailer".into()),
                other_owners: vec!["someone".into()],
            },
        ]
    }

    #[test]
    fn eligibility_goes_before_the_cut_for_a_cloud_only_leaver_and_after_it_when_synced() {
        let mut f = full_cloud_user();
        f.pim_eligibilities = eligible();
        let p = build(
            f.clone(),
            Policy::builtin().for_kind(TerminationKind::Voluntary),
            t(),
        );
        p.validate().unwrap();
        let pim = p.step(StepKind::RemovePimEligibility).unwrap();
        assert_eq!(pim.status, StepStatus::Pending);
        assert!(pim.depends_on.is_empty());
        let block = p.step(StepKind::BlockSignIn).unwrap();
        assert!(block.depends_on.contains(&StepKind::RemovePimEligibility));
        let text = pim.preview.join("\n");
        assert!(
            text.contains("User Administrator") && text.contains("sch-role"),
            "{text}"
        );
        assert!(text.contains("member of group Helpdesk Tier 1"), "{text}");
        // Plan order: the eligibility comes before the block it unblocks.
        let order: Vec<StepKind> = p.steps.iter().map(|s| s.kind).collect();
        let at = |k| order.iter().position(|o| *o == k).unwrap();
        assert!(at(StepKind::RemovePimEligibility) < at(StepKind::BlockSignIn));

        f.synced = true;
        f.on_premises_sam_account_name = Some("ada".into());
        let p = build(
            f,
            Policy::builtin().for_kind(TerminationKind::Voluntary),
            t(),
        );
        let pim = p.step(StepKind::RemovePimEligibility).unwrap();
        assert_eq!(pim.depends_on, vec![StepKind::RevokeSessions]);
    }

    #[test]
    fn nothing_eligible_and_nothing_owned_is_not_applicable() {
        let p = build(
            full_cloud_user(),
            Policy::builtin().for_kind(TerminationKind::Voluntary),
            t(),
        );
        for k in [StepKind::RemovePimEligibility, StepKind::TransferOwnerships] {
            assert_eq!(p.step(k).unwrap().status, StepStatus::NotApplicable, "{k}");
        }
        assert!(p.step(StepKind::BlockSignIn).unwrap().depends_on.is_empty());
    }

    #[test]
    fn ownerships_go_to_the_manager_else_the_fallback_else_an_exception() {
        let mut f = full_cloud_user();
        f.owned_objects = owned();
        let policy = Policy::builtin();
        let p = build(f.clone(), policy.for_kind(TerminationKind::Voluntary), t());
        let s = p.step(StepKind::TransferOwnerships).unwrap();
        assert_eq!(s.depends_on, vec![StepKind::BlockSignIn]);
        let text = s.preview.join("\n");
        assert!(
            text.contains("add grace@contoso.com as owner of group Campaigns"),
            "{text}"
        );
        assert!(
            text.contains(
                "remove the leaver as owner of app registration Campaign Mailer (1 other"
            ),
            "{text}"
        );

        f.manager = None;
        let p = build(f.clone(), policy.for_kind(TerminationKind::Voluntary), t());
        let text = p
            .step(StepKind::TransferOwnerships)
            .unwrap()
            .preview
            .join("\n");
        assert!(
            text.contains("record group Campaigns as an exception"),
            "{text}"
        );

        let with_fallback = Policy::parse(&DEFAULT_POLICY.replace(
            "fallback_owner = \"\"",
            "fallback_owner = \"it-owners@contoso.com\"",
        ))
        .unwrap();
        assert_eq!(
            with_fallback
                .for_kind(TerminationKind::Voluntary)
                .fallback_owner
                .as_deref(),
            Some("it-owners@contoso.com")
        );
        let p = build(f, with_fallback.for_kind(TerminationKind::Voluntary), t());
        let text = p
            .step(StepKind::TransferOwnerships)
            .unwrap()
            .preview
            .join("\n");
        assert!(
            text.contains("add it-owners@contoso.com as owner of group Campaigns"),
            "{text}"
        );
    }
}
