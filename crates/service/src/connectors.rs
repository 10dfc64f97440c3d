//! The configured connectors as the planner sees them: which leaver value each finds the
//! leaver by, and what its step would change (the plan's preview, the dry run). A leaf: the
//! engine and the connector steps both read it.

use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::plan::{ConnectorAfter, Facts, PlannedConnector};

use crate::settings::{
    ConnectorAction, ConnectorConfig, ConnectorKind, LeaverValue, ScimAttribute,
};

/// The leaver's `value`, if known: from the account the planner resolved in Entra ID
/// (`facts`), or as HR sent it (`hr`).
pub fn leaver_value(facts: &Facts, hr: &EmployeeIdentifiers, value: LeaverValue) -> Option<String> {
    let v = match value {
        LeaverValue::UserPrincipalName => facts.user.user_principal_name.clone(),
        LeaverValue::Mail => facts.user.mail.clone(),
        LeaverValue::EmployeeId => facts.employee_id.clone(),
        LeaverValue::ObjectId => Some(facts.user.id.clone()),
        LeaverValue::OnPremisesSamAccountName => facts.on_premises_sam_account_name.clone(),
        LeaverValue::HrEmployeeId => hr.employee_id.clone(),
        LeaverValue::HrUserPrincipalName => hr.user_principal_name.clone(),
        LeaverValue::HrMail => hr.mail.clone(),
    };
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// One step per connector, with what it would change for this leaver and what it waits for.
pub fn planned(
    connectors: &[ConnectorConfig],
    facts: &Facts,
    hr: &EmployeeIdentifiers,
) -> Vec<PlannedConnector> {
    connectors
        .iter()
        .map(|c| {
            let after = match &c.kind {
                ConnectorKind::Scim(_) => ConnectorAfter::SignInCut,
                ConnectorKind::EntraProvisioning(_) => ConnectorAfter::CloudDisabled,
            };
            let preview = match &c.kind {
                ConnectorKind::Scim(scim) => {
                    let filters: Vec<String> = scim
                        .find
                        .iter()
                        .filter_map(|f| {
                            let v = leaver_value(facts, hr, f.from)?;
                            let attr = match f.attribute {
                                ScimAttribute::UserName => "userName",
                                ScimAttribute::ExternalId => "externalId",
                                ScimAttribute::Emails => "emails.value",
                            };
                            Some(format!("{attr} eq \"{v}\""))
                        })
                        .collect();
                    let what = match scim.action {
                        ConnectorAction::Deactivate => "deactivate (PATCH active=false)",
                        ConnectorAction::Delete => "delete (DELETE)",
                    };
                    if filters.is_empty() {
                        vec![format!(
                            "{}: none of the values it finds the leaver by is known: recorded as an exception",
                            c.name
                        )]
                    } else {
                        vec![format!(
                            "{}: find the account where {} at {}; {what}, then read it back (none found: not applicable)",
                            c.name,
                            filters.join(" or "),
                            scim.base_url
                        )]
                    }
                }
                ConnectorKind::EntraProvisioning(app) => vec![format!(
                    "{}: nothing is sent; Entra ID's provisioning service disables the leaver in {} once the account is disabled, and offboard reads that from the provisioning logs (servicePrincipal/id eq '{}', sourceIdentity/id eq '{}') for up to {} minutes (none, or a failure: an exception with a remediation item)",
                    c.name, app.display_name, app.service_principal_id, facts.user.id, app.wait_minutes
                )],
            };
            PlannedConnector {
                name: c.name,
                preview,
                after,
            }
        })
        .collect()
}
