//! Sharing links on the leaver's OneDrive in the plan (issue 16, `revoke-sharing`): which
//! link audiences the policy removes, what the planner found, and what the dry run says the
//! step would remove.
//!
//! A link that works for anyone (`anonymous`) or for everyone in the organisation
//! (`organization`) keeps a leaver's files open to people nobody chose, long after the
//! account is gone; a link for specific people (`users`) names who may open it and stays
//! unless the policy says otherwise.

use super::builder::Builder;
use super::facts::Facts;
#[cfg(test)]
use super::sharing_facts::SharingPolicy;
use super::step::StepKind;

/// Plans `revoke-sharing` after `cut`.
pub(super) fn plan(b: &mut Builder<'_>, facts: &Facts, cut: StepKind) {
    let policy = &b.policy.sharing;
    let Some(drive) = &facts.drive else {
        return b.na(StepKind::RevokeSharing, "no OneDrive");
    };
    if policy.remove_link_scopes.is_empty() {
        return b.na(
            StepKind::RevokeSharing,
            "the policy keeps every sharing link ([sharing] remove_link_scopes = [])",
        );
    }
    let scopes = policy
        .remove_link_scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let where_ = drive.web_url.as_deref().unwrap_or(&drive.id);
    let mut preview: Vec<String> = Vec::new();
    let mut kept = 0;
    let complete = match &facts.sharing {
        None => false,
        Some(s) => {
            for l in &s.links {
                if policy.removes(&l.scope) {
                    preview.push(format!(
                        "remove the {} {} link on {} (permission {})",
                        l.scope, l.link_type, l.path, l.permission_id
                    ));
                } else {
                    kept += 1;
                }
            }
            s.complete
        }
    };
    if preview.is_empty() && complete {
        return b.na(
            StepKind::RevokeSharing,
            format!("no sharing links of scope {scopes} on the OneDrive {where_}"),
        );
    }
    if !complete {
        preview.push(format!(
            "walk the OneDrive {where_} again at run time (the planner's walk did not read it all) and remove the {scopes} links it finds"
        ));
    }
    if kept > 0 {
        preview.push(format!(
            "keep {kept} link(s) of other scopes (not in [sharing] remove_link_scopes)"
        ));
    }
    b.add(StepKind::RevokeSharing, vec![cut], preview);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_removes_anonymous_and_organisation_links_only() {
        let p = SharingPolicy::default();
        assert!(p.removes("anonymous") && p.removes("organization"));
        assert!(!p.removes("users"));
        assert!(
            !p.removes("existingAccess"),
            "an unknown scope is never removed"
        );
    }

    #[test]
    fn the_section_names_scopes_and_refuses_unknown_ones() {
        let p: SharingPolicy = toml::from_str("remove_link_scopes = [\"users\"]").unwrap();
        assert!(p.removes("users") && !p.removes("anonymous"));
        assert!(toml::from_str::<SharingPolicy>("remove_link_scopes = [\"everyone\"]").is_err());
        assert!(toml::from_str::<SharingPolicy>("scopes = []").is_err());
        let empty: SharingPolicy = toml::from_str("").unwrap();
        assert_eq!(empty, SharingPolicy::default());
    }
}
