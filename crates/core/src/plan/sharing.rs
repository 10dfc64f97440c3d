//! Sharing in the plan (issue 16, `revoke-sharing`): which link audiences the policy removes
//! from the leaver's OneDrive, what the planner found, whether the step also searches for
//! what others shared with the leaver (`[sharing] sharepoint_region`), and what the dry run
//! says the step would remove.
//!
//! A link that works for anyone (`anonymous`) or for everyone in the organisation
//! (`organization`) keeps a leaver's files open to people nobody chose, long after the
//! account is gone; a link for specific people (`users`) names who may open it and stays
//! unless the policy says otherwise.

use super::builder::Builder;
use super::facts::Facts;
use super::sharing_facts::SharingPolicy;
use super::step::StepKind;

/// Plans `revoke-sharing` after `cut`: the OneDrive's links the policy removes, and, with a
/// SharePoint region in the policy, the leaver's own permissions on items others shared with
/// them.
pub(super) fn plan(b: &mut Builder<'_>, facts: &Facts, cut: StepKind) {
    let policy = &b.policy.sharing;
    let elsewhere = policy.sharepoint_region.as_deref().map(|region| {
        format!(
            "search SharePoint and other people's OneDrives (region {region}) for items shared with the leaver and remove the leaver's own permissions on them; a link that also lets in others is listed for a person to edit"
        )
    });
    let preview = match (onedrive_preview(policy, facts), elsewhere) {
        (Ok(mut lines), Some(e)) => {
            lines.push(e);
            Ok(lines)
        }
        (Err(_), Some(e)) => Ok(vec![e]),
        (preview, None) => preview,
    };
    match preview {
        Ok(lines) => b.add(StepKind::RevokeSharing, vec![cut], lines),
        Err(why) => b.na(StepKind::RevokeSharing, why),
    }
}

/// What the step does on the leaver's OneDrive, or why nothing.
fn onedrive_preview(policy: &SharingPolicy, facts: &Facts) -> Result<Vec<String>, String> {
    let Some(drive) = &facts.drive else {
        return Err("no OneDrive".into());
    };
    if policy.remove_link_scopes.is_empty() {
        return Err(
            "the policy keeps every sharing link ([sharing] remove_link_scopes = [])".into(),
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
        return Err(format!(
            "no sharing links of scope {scopes} on the OneDrive {where_}"
        ));
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
    Ok(preview)
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

    #[test]
    fn the_region_is_three_letters_kept_in_capitals() {
        let p: SharingPolicy = toml::from_str("sharepoint_region = \"eur\"").unwrap();
        assert_eq!(p.sharepoint_region.as_deref(), Some("EUR"));
        let e = toml::from_str::<SharingPolicy>("sharepoint_region = \"Europe\"").unwrap_err();
        assert!(e.to_string().contains("dataLocationCode"), "{e}");
    }
}
