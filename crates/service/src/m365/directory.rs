//! The planner's view of Entra ID: find the leaver without guessing, then read everything the
//! plan depends on. Nothing here writes.
//!
//! Resolution asks Graph for every identifier HR sent in one `$batch`
//! (`GET /users?$filter=employeeId eq '…'`, then `userPrincipalName`, then `mail`) and decides
//! in that order: the first identifier that matches anything must match exactly one account,
//! and any other identifier that matches must match the same account — a UPN that now belongs
//! to someone else is a conflict for a human, not a guess for offboard.
//!
//! The facts come from one `$batch` of fourteen reads (user with `licenseAssignmentStates`,
//! licence details, direct and nested groups, directory and app role assignments, delegated
//! permission grants, PIM role and group eligibility, owned objects, authentication methods,
//! Intune devices, OneDrive, manager), then the owners of each owned group, app registration
//! and service principal (`m365::pim_owners`) and `Get-Mailbox` in Exchange by UPN. A listing
//! longer than one page is read again with paging.

use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::plan::{
    AppRoleFact, AuthMethodFact, DeviceFact, DirectoryRoleFact, DriveFact, Facts, GroupFact,
    LicenceFact, MailboxFact, OAuthGrantFact, PersonRef,
};
use offboard_graph::exchange::Mailbox;
use offboard_graph::{
    AppRoleAssignment, AuthMethod, AuthMethodKind, BatchRequest, BatchResponse, Drive, GraphError,
    Group, GroupEligibilitySchedule, GroupKind, LicenseDetails, ManagedDevice, NotApplicableReason,
    OAuth2PermissionGrant, OwnedObject, Reply, RoleAssignment, RoleEligibilitySchedule, User,
    UserLookup,
};

use super::tenant::{Tenant, step_failure};
use crate::attempt::StepFailure;
use crate::directory::{Directory, Resolution};

/// [`Directory`] over Microsoft Graph and Exchange Online.
#[derive(Clone, Debug)]
pub struct GraphDirectory {
    tenant: Arc<Tenant>,
}

impl GraphDirectory {
    /// The directory of `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// The name a group kind has in the facts (and the plan preview).
pub(crate) fn kind_name(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Microsoft365 => "microsoft365",
        GroupKind::Security => "security",
        GroupKind::Dynamic => "dynamic",
        GroupKind::MailEnabledSecurity => "mailEnabledSecurity",
        GroupKind::Distribution => "distribution",
        GroupKind::SyncedFromOnPremises => "syncedFromOnPremises",
    }
}

/// The name an authentication method kind has in the facts (`password`, `phone`, ...).
pub(crate) fn method_name(kind: AuthMethodKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".to_owned())
}

fn person(u: &User) -> PersonRef {
    PersonRef {
        id: u.id.clone(),
        user_principal_name: u.user_principal_name.clone(),
        display_name: u.display_name.clone(),
        mail: u.mail.clone(),
    }
}

fn who(u: &User) -> String {
    u.user_principal_name
        .clone()
        .unwrap_or_else(|| u.id.clone())
}

/// A batch item read as a list; when it has more than one page, the whole list is read again
/// with paging (`all`), so no membership or method is missed.
async fn full_list<T, F, Fut>(
    item: BatchResponse,
    all: F,
    doing: &str,
) -> Result<Vec<T>, StepFailure>
where
    T: serde::de::DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Reply<Vec<T>>, GraphError>>,
{
    let more = item
        .body
        .as_ref()
        .and_then(|b| b.get("@odata.nextLink"))
        .is_some();
    let result = if more {
        all().await
    } else {
        item.into_list::<T>()
    };
    result.map(|r| r.value).map_err(|e| step_failure(&e, doing))
}

/// Whether the error means "there is none" (no manager, no OneDrive, no mailbox).
fn means_none(e: &GraphError) -> bool {
    e.is_not_found()
        || (matches!(e, GraphError::Permanent(_))
            && e.info()
                .message
                .contains("ManagementObjectNotFoundException"))
        || matches!(
            e.not_applicable(),
            Some(NotApplicableReason::NoOneDrive | NotApplicableReason::NoMailbox)
        )
}

fn licences(user: &User, details: &[LicenseDetails]) -> Vec<LicenceFact> {
    let mut by_sku: BTreeMap<String, LicenceFact> = BTreeMap::new();
    let part = |sku: &str| {
        details
            .iter()
            .find(|d| d.sku_id.eq_ignore_ascii_case(sku))
            .map(|d| d.sku_part_number.clone())
            .filter(|p| !p.is_empty())
    };
    for s in &user.license_assignment_states {
        let f = by_sku
            .entry(s.sku_id.to_ascii_lowercase())
            .or_insert_with(|| LicenceFact {
                sku_id: s.sku_id.clone(),
                sku_part_number: part(&s.sku_id),
                direct: false,
                via_groups: Vec::new(),
                disabled_plans: Vec::new(),
            });
        match &s.assigned_by_group {
            None => {
                f.direct = true;
                f.disabled_plans = user
                    .assigned_licenses
                    .iter()
                    .find(|l| l.sku_id.eq_ignore_ascii_case(&s.sku_id))
                    .map(|l| l.disabled_plans.clone())
                    .unwrap_or_default();
            }
            Some(g) => {
                if !f.via_groups.contains(g) {
                    f.via_groups.push(g.clone());
                }
            }
        }
    }
    // Graph always sends licenseAssignmentStates with assignedLicenses; should it not, a
    // licence of unknown origin is planned as direct: assignLicense then either removes it
    // or refuses it as group-based, which the step records (never as done).
    for l in &user.assigned_licenses {
        by_sku
            .entry(l.sku_id.to_ascii_lowercase())
            .or_insert_with(|| LicenceFact {
                sku_id: l.sku_id.clone(),
                sku_part_number: part(&l.sku_id),
                direct: true,
                via_groups: Vec::new(),
                disabled_plans: l.disabled_plans.clone(),
            });
    }
    by_sku.into_values().collect()
}

fn groups(
    direct: &[Group],
    transitive: &[Group],
    group_roles: &BTreeMap<String, Vec<String>>,
) -> Vec<GroupFact> {
    let fact = |g: &Group, is_direct: bool| {
        let kind = g.kind();
        GroupFact {
            id: g.id.clone(),
            display_name: g.display_name.clone(),
            kind: kind_name(kind).to_owned(),
            removable: g.membership_editable_in_graph(),
            assigns_licences: !g.assigned_licenses.is_empty(),
            direct: is_direct,
            privileged_roles: group_roles.get(&g.id).cloned().unwrap_or_default(),
        }
    };
    let mut out: Vec<GroupFact> = direct.iter().map(|g| fact(g, true)).collect();
    for g in transitive {
        if !out.iter().any(|f| f.id.eq_ignore_ascii_case(&g.id)) {
            out.push(fact(g, false));
        }
    }
    out
}

#[async_trait]
impl Directory for GraphDirectory {
    async fn enabled_accounts(&self) -> Result<u64, StepFailure> {
        self.tenant
            .graph
            .count_enabled_users()
            .await
            .map(|r| r.value)
            .map_err(|e| step_failure(&e, "count the tenant's enabled accounts"))
    }

    async fn resolve(&self, who_: &EmployeeIdentifiers) -> Result<Resolution, StepFailure> {
        let mut lookups: Vec<(&'static str, String, UserLookup)> = Vec::new();
        if let Some(v) = &who_.employee_id {
            lookups.push(("employeeId", v.clone(), UserLookup::EmployeeId(v.clone())));
        }
        if let Some(v) = &who_.user_principal_name {
            lookups.push(("userPrincipalName", v.clone(), UserLookup::Upn(v.clone())));
        }
        if let Some(v) = &who_.mail {
            lookups.push(("mail", v.clone(), UserLookup::Mail(v.clone())));
        }
        let tried: Vec<String> = lookups
            .iter()
            .map(|(name, value, _)| format!("{name}={value}"))
            .collect();
        if lookups.is_empty() {
            // Only an on-premises account name: Entra ID cannot be searched by it.
            return Ok(Resolution::NotFound {
                tried: vec![format!(
                    "onPremisesSamAccountName={} (Entra ID is searched by employeeId, userPrincipalName or mail only)",
                    who_.on_premises_sam_account_name.as_deref().unwrap_or("")
                )],
            });
        }
        let batch = lookups
            .iter()
            .enumerate()
            .map(|(i, (_, _, l))| BatchRequest::find_users(&i.to_string(), l))
            .collect();
        let replies = self
            .tenant
            .graph
            .batch(batch)
            .await
            .map_err(|e| step_failure(&e, "look up the leaver"))?
            .value;
        let mut matches: Vec<(&'static str, Vec<User>)> = Vec::new();
        for ((name, _, _), item) in lookups.iter().zip(replies) {
            let users = item
                .into_list::<User>()
                .map_err(|e| step_failure(&e, &format!("look up the leaver by {name}")))?
                .value;
            matches.push((name, users));
        }
        let Some((by, first)) = matches.iter().find(|(_, users)| !users.is_empty()) else {
            return Ok(Resolution::NotFound { tried });
        };
        if first.len() > 1 {
            return Ok(Resolution::Ambiguous {
                by: (*by).to_owned(),
                candidates: first.iter().map(who).collect(),
            });
        }
        let found = &first[0];
        // Every other identifier that matches anything must point at the same account.
        let mut conflicting: Vec<&'static str> = vec![*by];
        let mut candidates = vec![who(found)];
        for (name, users) in &matches {
            for u in users {
                if !u.id.eq_ignore_ascii_case(&found.id) {
                    if !conflicting.contains(name) {
                        conflicting.push(*name);
                    }
                    let c = who(u);
                    if !candidates.contains(&c) {
                        candidates.push(c);
                    }
                }
            }
        }
        if candidates.len() > 1 {
            return Ok(Resolution::Ambiguous {
                by: conflicting.join(" and "),
                candidates,
            });
        }
        Ok(Resolution::Found {
            user_id: found.id.clone(),
            by: (*by).to_owned(),
        })
    }

    async fn account(&self, user_id: &str, resolved_by: &str) -> Result<Facts, StepFailure> {
        let user = self
            .tenant
            .graph
            .get_user(user_id)
            .await
            .map_err(|e| step_failure(&e, "read the leaver's account"))?
            .value;
        Ok(Facts {
            user: person(&user),
            resolved_by: resolved_by.to_owned(),
            synced: user.is_synced(),
            employee_id: user.employee_id.clone(),
            on_premises_sam_account_name: user
                .on_premises_sam_account_name
                .clone()
                .filter(|_| user.is_synced()),
            account_enabled: user.account_enabled.unwrap_or(true),
            licences: Vec::new(),
            groups: Vec::new(),
            directory_roles: Vec::new(),
            app_roles: Vec::new(),
            oauth_grants: Vec::new(),
            pim_eligibilities: Vec::new(),
            owned_objects: Vec::new(),
            auth_methods: Vec::new(),
            devices: Vec::new(),
            mailbox: None,
            drive: None,
            sharing: None,
            manager: None,
        })
    }

    async fn facts(&self, user_id: &str, resolved_by: &str) -> Result<Facts, StepFailure> {
        let graph = &self.tenant.graph;
        let reads = vec![
            BatchRequest::get_user("user", user_id),
            BatchRequest::license_details("licences", user_id),
            BatchRequest::member_of_groups("groups", user_id),
            BatchRequest::transitive_member_of_groups("nested", user_id),
            BatchRequest::role_assignments_of("roles", user_id),
            BatchRequest::app_role_assignments("appRoles", user_id),
            BatchRequest::oauth_grants_of("grants", user_id),
            BatchRequest::role_eligibilities_of("pimRoles", user_id),
            BatchRequest::group_eligibilities_of("pimGroups", user_id),
            BatchRequest::owned_objects("owned", user_id),
            BatchRequest::authentication_methods("methods", user_id),
            BatchRequest::managed_devices("devices", user_id),
            BatchRequest::user_drive("drive", user_id),
            BatchRequest::manager("manager", user_id),
        ];
        let mut items: BTreeMap<String, BatchResponse> = graph
            .batch(reads)
            .await
            .map_err(|e| step_failure(&e, "read the leaver's state"))?
            .value
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let mut take = |id: &str| {
            items.remove(id).ok_or_else(|| StepFailure::Transient {
                detail: format!("the $batch answer had no '{id}' item; reading again"),
            })
        };

        let user: User = take("user")?
            .into_result()
            .map_err(|e| step_failure(&e, "read the leaver"))?
            .value;
        let details: Vec<LicenseDetails> = full_list(
            take("licences")?,
            || graph.license_details(user_id),
            "read the leaver's licences",
        )
        .await?;
        let direct: Vec<Group> = full_list(
            take("groups")?,
            || graph.member_of_groups(user_id),
            "read the leaver's groups",
        )
        .await?;
        let nested: Vec<Group> = full_list(
            take("nested")?,
            || graph.transitive_member_of_groups(user_id),
            "read the leaver's nested groups",
        )
        .await?;
        let roles: Vec<RoleAssignment> = full_list(
            take("roles")?,
            || graph.role_assignments_of(user_id),
            "read the leaver's directory roles",
        )
        .await?;
        let app_roles: Vec<AppRoleAssignment> = full_list(
            take("appRoles")?,
            || graph.app_role_assignments(user_id),
            "read the leaver's app role assignments",
        )
        .await?;
        let grants: Vec<OAuth2PermissionGrant> = full_list(
            take("grants")?,
            || graph.oauth_grants_of(user_id),
            "read the delegated permission grants the leaver consented to",
        )
        .await?;
        let pim_roles: Vec<RoleEligibilitySchedule> = full_list(
            take("pimRoles")?,
            || graph.role_eligibilities_of(user_id),
            "read the directory roles the leaver is PIM-eligible for",
        )
        .await?;
        let pim_groups: Vec<GroupEligibilitySchedule> = full_list(
            take("pimGroups")?,
            || graph.group_eligibilities_of(user_id),
            "read the groups the leaver is PIM-eligible for",
        )
        .await?;
        // Roles held through groups: the role-assignable groups the leaver is in, and every
        // group they may join under PIM for Groups.
        let role_groups: BTreeSet<String> = direct
            .iter()
            .chain(&nested)
            .filter(|g| g.is_assignable_to_role == Some(true))
            .map(|g| g.id.clone())
            .chain(pim_groups.iter().map(|e| e.group_id.clone()))
            .collect();
        let group_roles =
            super::pim_owners::privileged_roles_of_groups(graph, &role_groups).await?;
        let owned: Vec<OwnedObject> = full_list(
            take("owned")?,
            || graph.owned_objects(user_id),
            "read what the leaver owns",
        )
        .await?;
        let owned_objects = super::pim_owners::owned_facts(graph, user_id, &owned).await?;
        let methods: Vec<AuthMethod> = full_list(
            take("methods")?,
            || graph.authentication_methods(user_id),
            "read the leaver's authentication methods",
        )
        .await?;
        let devices: Vec<ManagedDevice> = full_list(
            take("devices")?,
            || graph.managed_devices(user_id),
            "read the leaver's managed devices",
        )
        .await?;
        let drive: Option<Drive> = match take("drive")?.into_result::<Drive>() {
            Ok(r) => Some(r.value),
            Err(e) if means_none(&e) => None,
            Err(e) => return Err(step_failure(&e, "read the leaver's OneDrive")),
        };
        let manager: Option<User> = match take("manager")?.into_result::<User>() {
            Ok(r) => Some(r.value),
            Err(e) if means_none(&e) => None,
            Err(e) => return Err(step_failure(&e, "read the leaver's manager")),
        };
        // Exchange is asked by UPN, the identity every Exchange cmdlet accepts.
        let mailbox_identity = user.user_principal_name.as_deref().unwrap_or(user_id);
        let mailbox: Option<Mailbox> =
            match self.tenant.exchange.get_mailbox(mailbox_identity).await {
                Ok(r) => Some(r.value),
                Err(e) if means_none(&e) => None,
                Err(e) => return Err(step_failure(&e, "read the leaver's mailbox (Get-Mailbox)")),
            };
        // Who else may open or send from it, as the baseline the scan judges later grants
        // against; a failed read leaves it unknown (the plan does not depend on it).
        let delegates = match &mailbox {
            Some(m) => {
                match super::delegates::read(&self.tenant.exchange, mailbox_identity, m).await {
                    Ok(d) => Some(d),
                    Err(e) => {
                        tracing::warn!(
                            "the rights on the leaver's mailbox could not be read; the ghost-access scan will not judge rights granted on it later: {e}"
                        );
                        None
                    }
                }
            }
            None => None,
        };

        let sharing = match &drive {
            Some(d) => Some(sharing_fact(
                graph
                    .sharing_links(&d.id, offboard_core::plan::sharing_facts::WALK_MAX_ITEMS)
                    .await
                    .map_err(|e| {
                        step_failure(&e, "walk the leaver's OneDrive for sharing links")
                    })?,
            )),
            None => None,
        };

        Ok(Facts {
            user: person(&user),
            resolved_by: resolved_by.to_owned(),
            synced: user.is_synced(),
            employee_id: user.employee_id.clone(),
            on_premises_sam_account_name: user
                .on_premises_sam_account_name
                .clone()
                .filter(|_| user.is_synced()),
            // Unknown counts as enabled: the block step then reads it back and records it.
            account_enabled: user.account_enabled.unwrap_or(true),
            licences: licences(&user, &details),
            groups: groups(&direct, &nested, &group_roles),
            directory_roles: roles
                .iter()
                .map(|r| DirectoryRoleFact {
                    assignment_id: r.id.clone(),
                    role_definition_id: r.role_definition_id.clone(),
                    role_name: r
                        .role_definition
                        .as_ref()
                        .and_then(|d| d.display_name.clone()),
                    privileged: offboard_core::privileged_roles::is_privileged(
                        &r.role_definition_id,
                    ),
                })
                .collect(),
            app_roles: app_roles
                .iter()
                .map(|a| AppRoleFact {
                    assignment_id: a.id.clone(),
                    resource_name: a.resource_display_name.clone(),
                    resource_id: Some(a.resource_id.clone()),
                    app_role_id: Some(a.app_role_id.clone()),
                })
                .collect(),
            // Listing by principal returns only the leaver's own consents; admin consent for
            // all users has no principal and is not the leaver's to lose.
            oauth_grants: grants
                .iter()
                .filter(|g| g.consent_type.as_deref().is_none_or(|c| c == "Principal"))
                .map(|g| OAuthGrantFact {
                    grant_id: g.id.clone(),
                    client_id: g.client_id.clone(),
                    resource_id: g.resource_id.clone(),
                    scope: g.scope.clone().unwrap_or_default(),
                })
                .collect(),
            pim_eligibilities: super::pim_owners::eligibility_facts(
                &pim_roles,
                &pim_groups,
                &group_roles,
            ),
            owned_objects,
            auth_methods: methods
                .iter()
                .map(|m| AuthMethodFact {
                    id: m.id.clone(),
                    method_type: method_name(m.kind),
                })
                .collect(),
            devices: devices
                .iter()
                .map(|d| DeviceFact {
                    id: d.id.clone(),
                    name: d.device_name.clone(),
                    os: d.operating_system.clone(),
                })
                .collect(),
            mailbox: mailbox.map(|m| MailboxFact {
                recipient_type: m
                    .recipient_type_details
                    .clone()
                    .unwrap_or_else(|| "UserMailbox".to_owned()),
                hidden: m.hidden_from_address_lists_enabled.unwrap_or(false),
                delegates,
            }),
            drive: drive.map(|d| DriveFact {
                id: d.id,
                web_url: d.web_url,
            }),
            sharing,
            manager: manager.as_ref().map(person),
        })
    }
}

/// The planner's summary of a walk of the OneDrive: every link set directly on an item.
fn sharing_fact(walk: offboard_graph::SharingWalk) -> offboard_core::plan::SharingFact {
    offboard_core::plan::SharingFact {
        links: walk
            .items
            .iter()
            .flat_map(|i| {
                i.links.iter().map(|p| {
                    let link = p.link.clone().unwrap_or_default();
                    offboard_core::plan::SharingLinkFact {
                        item_id: i.item_id.clone(),
                        path: i.path.clone(),
                        permission_id: p.id.clone(),
                        scope: link.scope.unwrap_or_default(),
                        link_type: link.link_type.unwrap_or_default(),
                    }
                })
            })
            .collect(),
        items_checked: walk.items_checked,
        complete: walk.complete,
    }
}
