//! The tenant's state: what a seed file holds and what `/_sim/state` returns.
//!
//! The types mirror the Graph resources offboarding touches, with Graph's property names
//! (camelCase) so a seed reads like Graph output. A few fields exist only in the simulator
//! (the on-premises side of a synced user, the mailbox's Exchange view); they are marked
//! "simulator only" and never appear in Graph or Exchange answers, which are projections built
//! in `graph.rs` and `exchange.rs`. The format is documented in `standins/tenant-sim/README.md`.
//!
//! This file holds the [`Tenant`] and its lookups; the resources are one file per area:
//! `directory` (identities, roles, users, groups, applications, authentication methods),
//! `licenses`, `devices`, `drives`, `mail` and `provisioning`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

mod devices;
mod directory;
mod drives;
mod licenses;
mod mail;
mod pim_owners;
mod provisioning;

pub use devices::*;
pub use directory::*;
pub use drives::*;
pub use licenses::*;
pub use mail::*;
pub use pim_owners::*;
pub use provisioning::*;

/// A whole tenant: the seed format and the live state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// Entra tenant id (GUID); tokens carry it as `tid` and Exchange URLs contain it.
    pub tenant_id: String,
    /// The tenant's initial domain, e.g. `contoso.com` (used in Exchange identities).
    pub domain: String,
    /// Where its SharePoint content lives (`siteCollection.dataLocationCode`, e.g. `NAM`):
    /// the region an app-only search must name.
    #[serde(default = "default_region")]
    pub data_location_code: String,
    /// The app's managed identities and the application permissions they hold.
    pub identities: Identities,
    /// Directory role definitions (built-in templates) that assignments refer to.
    #[serde(default)]
    pub role_definitions: Vec<RoleDefinition>,
    /// Products (SKUs) the tenant subscribes to.
    #[serde(default)]
    pub skus: Vec<Sku>,
    /// Users.
    #[serde(default)]
    pub users: Vec<User>,
    /// Groups of every kind.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Directory role assignments (users and the managed identity's service principal).
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    /// Enterprise applications (service principals) users can hold app roles on.
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipal>,
    /// App role assignments granted to users.
    #[serde(default)]
    pub app_role_assignments: Vec<AppRoleAssignment>,
    /// Delegated permission grants (user consent and admin consent for all users).
    #[serde(default)]
    pub oauth2_permission_grants: Vec<OAuth2PermissionGrant>,
    /// PIM-eligible directory roles.
    #[serde(default)]
    pub role_eligibility_schedules: Vec<RoleEligibility>,
    /// PIM-for-Groups eligibility.
    #[serde(default)]
    pub group_eligibility_schedules: Vec<GroupEligibility>,
    /// App registrations.
    #[serde(default)]
    pub applications: Vec<Application>,
    /// Owners of groups, app registrations and service principals.
    #[serde(default)]
    pub owners: Vec<Ownership>,
    /// Authentication methods registered by users.
    #[serde(default)]
    pub authentication_methods: Vec<AuthenticationMethod>,
    /// Intune managed devices.
    #[serde(default)]
    pub managed_devices: Vec<ManagedDevice>,
    /// OneDrive for Business drives.
    #[serde(default)]
    pub drives: Vec<Drive>,
    /// Exchange Online mailboxes.
    #[serde(default)]
    pub mailboxes: Vec<Mailbox>,
    /// Mail sent through `sendMail` (simulator only: lets tests read notifications).
    #[serde(default)]
    pub sent_mail: Vec<SentMail>,
    /// Users deleted through Graph (soft-deleted, as `/directory/deletedItems` would hold them).
    #[serde(default)]
    pub deleted_users: Vec<User>,
    /// Automatic provisioning jobs of enterprise applications (simulator only).
    #[serde(default)]
    pub provisioning_jobs: Vec<ProvisioningJob>,
    /// What the provisioning service did (`/auditLogs/provisioning`).
    #[serde(default)]
    pub provisioning_logs: Vec<ProvisioningLogEntry>,
}

impl Tenant {
    /// Finds a user by object id or UPN (case-insensitive, as Graph does).
    pub fn user(&self, key: &str) -> Option<&User> {
        self.users.iter().find(|u| {
            u.id.eq_ignore_ascii_case(key) || u.user_principal_name.eq_ignore_ascii_case(key)
        })
    }

    /// Mutable [`Self::user`].
    pub fn user_mut(&mut self, key: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| {
            u.id.eq_ignore_ascii_case(key) || u.user_principal_name.eq_ignore_ascii_case(key)
        })
    }

    /// Finds a group by id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id))
    }

    /// Finds a SKU by id.
    pub fn sku(&self, id: &str) -> Option<&Sku> {
        self.skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(id))
    }

    /// The mailbox of a user, if any.
    pub fn mailbox(&self, user_id: &str) -> Option<&Mailbox> {
        self.mailboxes
            .iter()
            .find(|m| m.user_id.eq_ignore_ascii_case(user_id))
    }

    /// Mutable [`Self::mailbox`].
    pub fn mailbox_mut(&mut self, user_id: &str) -> Option<&mut Mailbox> {
        self.mailboxes
            .iter_mut()
            .find(|m| m.user_id.eq_ignore_ascii_case(user_id))
    }

    /// Groups the object is a direct member of.
    pub fn direct_groups(&self, member_id: &str) -> Vec<&Group> {
        self.groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m.eq_ignore_ascii_case(member_id)))
            .collect()
    }

    /// Groups the object is a member of directly or through nested groups.
    pub fn transitive_groups(&self, member_id: &str) -> Vec<&Group> {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut out = Vec::new();
        let mut frontier = vec![member_id.to_owned()];
        while let Some(current) = frontier.pop() {
            for g in self.direct_groups(&current) {
                if seen.insert(g.id.clone()) {
                    out.push(g);
                    frontier.push(g.id.clone());
                }
            }
        }
        out
    }

    /// Directory role definitions held by a principal.
    pub fn roles_of(&self, principal_id: &str) -> Vec<&RoleDefinition> {
        self.role_assignments
            .iter()
            .filter(|a| a.principal_id.eq_ignore_ascii_case(principal_id))
            .filter_map(|a| {
                self.role_definitions
                    .iter()
                    .find(|d| d.id.eq_ignore_ascii_case(&a.role_definition_id))
            })
            .collect()
    }

    /// Whether the principal holds a role with one of these display names.
    pub fn has_role_named(&self, principal_id: &str, names: &[&str]) -> bool {
        self.roles_of(principal_id)
            .iter()
            .any(|d| names.iter().any(|n| d.display_name.eq_ignore_ascii_case(n)))
    }

    /// Whether the principal holds any privileged directory role.
    pub fn holds_privileged_role(&self, principal_id: &str) -> bool {
        self.roles_of(principal_id).iter().any(|d| d.is_privileged)
    }

    /// The user's effective licences: direct ones, then those inherited from groups (a SKU can
    /// appear twice, once direct and once per licensing group, as in `licenseAssignmentStates`).
    pub fn license_states(&self, user_id: &str) -> Vec<LicenseState> {
        self.user(user_id)
            .map(|u| self.license_states_of(u))
            .unwrap_or_default()
    }

    /// [`Tenant::license_states`] of a user already in hand (no lookup by id: listing a
    /// 100,000-user tenant must not search the users once per user listed).
    pub fn license_states_of(&self, user: &User) -> Vec<LicenseState> {
        let mut out = Vec::new();
        {
            for l in &user.assigned_licenses {
                out.push(LicenseState {
                    sku_id: l.sku_id.clone(),
                    disabled_plans: l.disabled_plans.clone(),
                    assigned_by_group: None,
                });
            }
            for g in self.transitive_groups(&user.id) {
                for l in &g.assigned_licenses {
                    out.push(LicenseState {
                        sku_id: l.sku_id.clone(),
                        disabled_plans: l.disabled_plans.clone(),
                        assigned_by_group: Some(g.id.clone()),
                    });
                }
            }
        }
        out
    }

    /// The distinct SKUs a user holds (direct or group-based).
    pub fn effective_skus(&self, user_id: &str) -> Vec<String> {
        let mut skus: Vec<String> = Vec::new();
        for s in self.license_states(user_id) {
            if !skus.iter().any(|k| k.eq_ignore_ascii_case(&s.sku_id)) {
                skus.push(s.sku_id);
            }
        }
        skus
    }

    /// The app identity with this client id.
    pub fn identity_by_client_id(&self, client_id: &str) -> Option<&AppIdentity> {
        self.identities
            .system_assigned
            .iter()
            .chain(self.identities.user_assigned.iter())
            .find(|i| i.client_id.eq_ignore_ascii_case(client_id))
    }
}

fn default_region() -> String {
    "NAM".to_owned()
}
